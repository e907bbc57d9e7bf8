"""Adds the trained text tower to a bundle as the optional `text_tower` component (SPEC, "Optional
component: text_tower"): config.json gains {"text_tower": {"kind": "bag_of_words", "dim": D, "words": W}}
and text_tower.safetensors holds `embeddings` [W, D] float32 with the vocabulary in its metadata.

    /usr/bin/python3 training/export_text_tower.py --bundle runtime/V2Meow.Runtime/DefaultModel/bundle
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "weights-spec", "reference"))

import safetensors_io  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", required=True)
    p.add_argument("--tower", default=os.path.join(HERE, "text_tower.json"))
    args = p.parse_args()
    with open(args.tower, encoding="utf-8") as f:
        tower = json.load(f)
    words, vectors = tower["words"], np.asarray(tower["vectors"], dtype=np.float32)
    config_path = os.path.join(args.bundle, "config.json")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    style_dim = config["stage1"].get("style_dim", 0)
    if vectors.shape != (len(words), style_dim):
        sys.exit(f"error: tower vectors {vectors.shape} do not fit {len(words)} words x style_dim {style_dim}")
    config["text_tower"] = {"kind": "bag_of_words", "dim": style_dim, "words": len(words)}
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    metadata = {"format": "v2meow/1", "component": "text_tower", "words": json.dumps(words)}
    safetensors_io.write(os.path.join(args.bundle, "text_tower.safetensors"), {"embeddings": vectors}, metadata, {"embeddings": "F32"})
    print(f"wrote {args.bundle}/text_tower.safetensors: {len(words)} words x {style_dim}")


if __name__ == "__main__":
    main()
