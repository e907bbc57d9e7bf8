"""Collect the trained components into one state dict for export.py --state-dict.

    assemble.py [--out runs/default_state.pt] [--reuse stage1 stage3 --reuse-from BUNDLE]
    V2MEOW_SET=v5 assemble.py --codec-music checkpoints/codec_music.pt --levels 4     # default model v5

Keys are "<component>.<tensor name>" (SPEC §12): the stage checkpoints'
StageModel state dicts under stage1/2/3, and from the codec checkpoint only
the exported part: the RVQ codebooks as `codec.rvq.codebooks` and the
reference SoundStreamDecoder as `codec.decoder.*` (the encoder and the EMA
statistics stay behind). Components named by --reuse are taken as they are
from an exported bundle instead (upcast to float32; a float16 bundle exports
back to the same bits), for a model that retrains only some of them.

With --codec-music the codec is the real-music codec's checkpoint (codec_music.py), its first --levels
codebooks (the bundle's coarse + fine levels), and its encoder goes along as the optional codec_encoder
component (SPEC §9.3), so `v2meow codec` works with the bundle. Stage checkpoints come from runs/ (runs/v5/
with V2MEOW_SET=v5).
"""

import argparse
import os

import torch

import common


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(common.RUNS, "default_state.pt"))
    p.add_argument("--reuse", nargs="*", default=[], choices=["stage1", "stage2", "stage3", "codec"],
                   help="components taken from --reuse-from instead of runs/")
    p.add_argument("--reuse-from", help="the bundle folder the --reuse components come from")
    p.add_argument("--codec-music", help="the real-music codec checkpoint (checkpoints/codec_music.pt) instead of "
                                         "runs/codec.pt")
    p.add_argument("--levels", type=int, help="with --codec-music: the RVQ levels kept (default all)")
    args = p.parse_args()
    if args.reuse and not args.reuse_from:
        p.error("--reuse needs --reuse-from")
    state = {}
    for component in args.reuse:
        import bundle as bundle_io

        tensors, _ = bundle_io.read_component(args.reuse_from, component)
        state.update({f"{component}.{k}": torch.from_numpy(v).float() for k, v in tensors.items()})
        print(f"{component}: from {args.reuse_from}")
    for stage in ("stage1", "stage2", "stage3"):
        if stage in args.reuse:
            continue
        ckpt = torch.load(os.path.join(common.RUNS, f"{stage}.pt"), map_location="cpu")
        for k, v in ckpt["model"].items():
            state[f"{stage}.{k}"] = v.float()
        print(f"{stage}: step {ckpt['step']}")
    if args.codec_music:
        import codec_music
        import config as config_mod
        from train_codec_music import to_float

        ckpt = torch.load(args.codec_music, map_location="cpu")
        model = to_float(ckpt["model"])
        codec = codec_music.bundle_state(model)
        codec["rvq.codebooks"] = codec["rvq.codebooks"][: args.levels]
        state.update({f"codec.{k}": v for k, v in codec.items()})
        state.update({f"{config_mod.CODEC_ENCODER}.{k}": v for k, v in model.items() if k.startswith("encoder.")})
        print(f"codec and its encoder: {args.codec_music} (step {ckpt['step']}), "
              f"{codec['rvq.codebooks'].shape[0]} levels")
    elif "codec" not in args.reuse:
        ckpt = torch.load(os.path.join(common.RUNS, "codec.pt"), map_location="cpu")
        state["codec.rvq.codebooks"] = ckpt["model"]["rvq.codebooks"].float()
        for k, v in ckpt["model"].items():
            if k.startswith("decoder."):
                state[f"codec.{k}"] = v.float()
        print(f"codec: step {ckpt['step']}")
    torch.save(state, args.out)
    print(f"wrote {args.out}: {len(state)} tensors")


if __name__ == "__main__":
    main()
