"""Collect the trained components into one state dict for export.py --state-dict.

    assemble.py [--out runs/default_state.pt]

Keys are "<component>.<tensor name>" (SPEC §12): the stage checkpoints'
StageModel state dicts under stage1/2/3, and from the codec checkpoint only
the exported part: the RVQ codebooks as `codec.rvq.codebooks` and the
reference SoundStreamDecoder as `codec.decoder.*` (the encoder and the EMA
statistics stay behind).
"""

import argparse
import os

import torch

import common


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(common.RUNS, "default_state.pt"))
    args = p.parse_args()
    state = {}
    for stage in ("stage1", "stage2", "stage3"):
        ckpt = torch.load(os.path.join(common.RUNS, f"{stage}.pt"), map_location="cpu")
        for k, v in ckpt["model"].items():
            state[f"{stage}.{k}"] = v.float()
        print(f"{stage}: step {ckpt['step']}")
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
