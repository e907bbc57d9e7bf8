"""Export the real-music codec (checkpoints/codec_music.pt) as a bundle that has its encoder (SPEC §9.3).

    export_codec_music.py --out DIR [--checkpoint checkpoints/codec_music.pt] [--stages-from BUNDLE | --seed N]

codec.safetensors holds the codebooks and the decoder (codec_music.bundle_state); codec_encoder.safetensors holds
the trained ConvEncoder's `encoder.*` unchanged: its modules are named as the component's tensors, and its
strided convolutions pad causally, as SPEC §9.3 does for a causal codec (a centred codec is refused: this encoder
was not trained with the centred rule). The config is the checkpoint's. The three stages come from --stages-from,
a bundle whose tokens and codec agree with the checkpoint's config, or are drawn at random (--seed, default 0):
enough for `v2meow codec encode|decode|roundtrip`, which read the codec alone. The weights are written in the
config's dtype (float16: the checkpoint's own precision, so nothing is rounded).
"""

import argparse
import os
import sys

import torch

import common  # noqa: F401  (puts weights-spec/reference on the path)
import bundle as bundle_io
import codec_music
import config as config_mod
import export
from train_codec_music import SMALL, to_float

STAGES = ("stage1", "stage2", "stage3")


def state_dict(checkpoint, stages_from=None, seed=0):
    """(config, flat "<component>.<tensor>" dict) of the checkpoint's codec and encoder and the stages."""
    s = torch.load(checkpoint, map_location="cpu")
    config = config_mod.resolve(s["config"])
    if config["codec"]["padding"] != "causal":
        raise ValueError(f"{checkpoint}: codec.padding {config['codec']['padding']!r}; codec_music.py's encoder pads causally only")
    model = to_float(s["model"])
    state = {f"codec.{k}": v for k, v in codec_music.bundle_state(model).items()}
    state.update({f"{config_mod.CODEC_ENCODER}.{k}": v.float() for k, v in model.items() if k.startswith("encoder.")})
    for stage in STAGES:
        if stages_from:
            tensors, _ = bundle_io.read_component(stages_from, stage)
        else:
            tensors = export.random_weights(config, stage, seed)
        state.update({f"{stage}.{k}": v for k, v in tensors.items()})
    return config, {k: export._to_numpy(v) for k, v in state.items()}, s["step"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--checkpoint", default=SMALL)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--stages-from", help="a bundle whose stage1/2/3 go into the export unchanged")
    source.add_argument("--seed", type=int, default=0, help="random stages from this seed (default 0)")
    args = p.parse_args(argv)
    try:
        config, state, step = state_dict(args.checkpoint, args.stages_from, args.seed)
        config["name"] = f"{config['name']}-step{step}"
        weights = export.trained_weights(config, state)
    except (config_mod.ConfigError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    export.write_bundle(config, weights, args.out)
    print(f"wrote {args.out}: codec and encoder of {os.path.relpath(args.checkpoint)} (step {step}), "
          f"stages {'from ' + args.stages_from if args.stages_from else f'random (seed {args.seed})'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
