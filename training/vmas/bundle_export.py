"""Export a trained VMAs run as a vmas/1 bundle, through the reference exporter (VMAS.md §12).

    bundle_export.py --run NAME --out DIR [--name NAME] [--codec CHECKPOINT] [--dtype float16]
    bundle_export.py --state FILE --out DIR

The bundle holds the run's video encoder, music decoder and contrastive projections, and the shared real-music
codec (music_codec.py) with its encoder, so `v2meow generate`, `v2meow codec` and `v2meow match` all run on it;
vmas.check must print ok for it.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
import common  # noqa: E402  (puts weights-spec/reference on the path)

import torch  # noqa: E402

import music_codec  # noqa: E402
import trainable  # noqa: E402
import trainer  # noqa: E402
from vmas import check  # noqa: E402
from vmas import config as vconfig  # noqa: E402
from vmas import export  # noqa: E402


def export_state(state_path, out, codec=music_codec.CHECKPOINT, name=None, dtype=None):
    """Writes the bundle (in `dtype`, default the config's); returns the list of vmas.check's problems (empty: ok)."""
    s = torch.load(state_path, map_location="cpu")
    config = vconfig.resolve(s["config"])
    if name:
        config["name"] = name
    if dtype:
        config["dtype"] = dtype
    _, codec_tensors = music_codec.load(codec, config["codec"]["levels"])
    model = trainable.Vmas(config, codec_tensors["codec.rvq.codebooks"])
    model.load_state_dict(s["model"])
    state = model.bundle_state()
    state.update(codec_tensors)
    export.write_bundle(config, export.trained_weights(config, state), out)
    return check.check(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="a trainer.py run name (training/runs/vmas/NAME/state.pt)")
    source.add_argument("--state", help="a state.pt")
    p.add_argument("--out", required=True)
    p.add_argument("--name", help="the bundle's name (default: the config's)")
    p.add_argument("--codec", default=music_codec.CHECKPOINT)
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), help="the bundle's dtype (default: the config's); "
                   "the embedded model is float16, half the size")
    args = p.parse_args(argv)
    path = args.state or os.path.join(trainer.RUNS, args.run, "state.pt")
    if not os.path.isfile(path):
        print(f"error: {path}: no such state (train first: training/vmas/trainer.py)", file=sys.stderr)
        return 2
    try:
        problems = export_state(path, args.out, args.codec, args.name, args.dtype)
    except (ValueError, OSError, vconfig.ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"wrote {args.out} (vmas.check: ok)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
