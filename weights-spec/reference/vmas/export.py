"""Write a vmas/1 bundle: config.json plus video_encoder, music_decoder and codec safetensors (VMAS.md §2, §12).

    python3 -m vmas.export --config CONFIG.json --seed N --out DIR [--dtype float32|float16|bfloat16]
    python3 -m vmas.export --config CONFIG.json --state-dict FILE --out DIR [--dtype ...]

(run from weights-spec/reference, or with it on PYTHONPATH.)

Without --state-dict the weights are random, drawn from numpy's legacy RandomState (frozen streams, so a seed
always gives the same bundle), in the order of vmas/layout.py, seeded with [seed mod 2^32, seed >> 32,
component index] (video_encoder 0, music_decoder 1, codec 2, codec_encoder 3, contrastive 4; the last written
when config.json has a "contrastive" section, VMAS.md §14). The scales keep activations O(1) and logits
unsaturated, so goldens exercise real arithmetic (VMAS.md §12).

--state-dict takes trained weights keyed "<component>.<tensor name>" (for example
"music_decoder.decoder.layers.0.ffn.up.weight", "codec.rvq.codebooks"), as a torch state dict or a
.safetensors file; weight-norm pairs are folded as export.py does.
"""

import argparse
import json
import os
import re
import sys

import numpy as np

import export as shared
import safetensors_io
from config import DTYPES, ConfigError

from . import config as vconfig
from . import layout

COMPONENT_INDEX = {name: i for i, name in enumerate(vconfig.COMPONENTS + ("codec_encoder", "contrastive"))}
ENCODER = "codec_encoder"  # the codec's optional encoder (SPEC §9.3)
CONTRASTIVE = vconfig.CONTRASTIVE  # the optional contrastive projections (VMAS.md §14), when config.json names them
_ENCODER_NORM = re.compile(r"(^|\.)norm\d?\.(weight|bias)$")  # norm1, norm2 and the final norm


def random_tensor(rng, component, name, shape):
    draw = lambda: rng.standard_normal(shape)  # noqa: E731
    if component == "video_encoder":
        if _ENCODER_NORM.search(name):
            return 1.0 + 0.1 * draw() if name.endswith(".weight") else 0.1 * draw()
        if name.startswith("pos_embed."):
            return 0.5 * draw()  # spatial + temporal: about 0.7, beside the patch embedding's O(1)
        if name.endswith(".bias"):
            return 0.1 * draw()
        if name == "patch_embed.weight":
            return draw() / np.sqrt(np.prod(shape[1:]))  # fan-in 3·kt·kh·kw
        return draw() / np.sqrt(shape[1])
    if component == "music_decoder" and name.startswith("decoder.embed."):
        return draw()
    return shared.random_tensor(rng, name, shape)  # the decoder's layers and heads, the codec: as v2meow/1


def random_weights(config, component, seed):
    rng = np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, COMPONENT_INDEX[component]])
    return {
        name: random_tensor(rng, component, name, shape).astype(np.float32)
        for name, shape in layout.component_tensors(config, component).items()
    }


def trained_weights(config, state):
    """Split a flat "<component>.<name>" dict per component, checking every shape."""
    state = shared.fold_weight_norm(state)
    out, errors, used = {}, [], set()
    for component in vconfig.COMPONENTS:
        out[component] = {}
        for name, shape in layout.component_tensors(config, component).items():
            key = f"{component}.{name}"
            if key not in state:
                errors.append(f"state dict: missing '{key}' {list(shape)}")
                continue
            used.add(key)
            value = np.asarray(state[key], dtype=np.float32)
            if value.shape != tuple(shape):
                errors.append(f"state dict: '{key}': expected {list(shape)}, found {list(value.shape)}")
            out[component][name] = value
    optional = [c for c, present in ((ENCODER, any(key.startswith(ENCODER + ".") for key in state)),
                                     (CONTRASTIVE, vconfig.has_contrastive(config))) if present]
    for component in optional:
        out[component] = {}
        for name, shape in layout.component_tensors(config, component).items():
            key = f"{component}.{name}"
            if key not in state:
                errors.append(f"state dict: missing '{key}' {list(shape)}")
                continue
            used.add(key)
            value = np.asarray(state[key], dtype=np.float32)
            if value.shape != tuple(shape):
                errors.append(f"state dict: '{key}': expected {list(shape)}, found {list(value.shape)}")
            out[component][name] = value
    for key in sorted(set(state) - used):
        if key.split(".", 1)[0] in vconfig.COMPONENTS + (ENCODER, CONTRASTIVE):
            errors.append(f"state dict: unexpected tensor '{key}'")
    if errors:
        raise ValueError("\n".join(errors))
    return out


def write_bundle(config, weights, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for component in vconfig.COMPONENTS + tuple(c for c in (ENCODER, CONTRASTIVE) if c in weights):
        tensors, dtypes = {}, {}
        for name, values in weights[component].items():
            tensors[name], dtypes[name] = shared.encode(values, config["dtype"])
        metadata = {
            "format": vconfig.FORMAT,
            "component": component,
            "config": vconfig.section_json(config, component),
        }
        safetensors_io.write(os.path.join(out_dir, f"{component}.safetensors"), tensors, metadata, dtypes)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--out", required=True)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--seed", type=int, help="random weights from this seed (0 .. 2^64-1)")
    source.add_argument("--state-dict", help="trained weights, keys '<component>.<tensor name>'")
    p.add_argument("--dtype", choices=sorted(DTYPES), help="overrides config.json's dtype")
    p.add_argument("--codec-encoder", action="store_true",
                   help="random weights: also write the codec's encoder, codec_encoder.safetensors (SPEC §9.3)")
    args = p.parse_args(argv)
    try:
        config = vconfig.load(args.config)
        if args.dtype:
            config["dtype"] = args.dtype
        if args.state_dict:
            weights = trained_weights(config, shared.load_state_dict(args.state_dict))
        else:
            if not 0 <= args.seed < 1 << 64:
                raise ValueError(f"--seed {args.seed}: expected 0 .. 2^64-1")
            components = vconfig.COMPONENTS + ((ENCODER,) if args.codec_encoder else ()) + (
                (CONTRASTIVE,) if vconfig.has_contrastive(config) else ())
            weights = {c: random_weights(config, c, args.seed) for c in components}
    except (ConfigError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_bundle(config, weights, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
