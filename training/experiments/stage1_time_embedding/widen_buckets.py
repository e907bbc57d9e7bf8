"""Warm-start a stage with more relative-position buckets from a checkpoint with fewer.

    widen_buckets.py --stage 1 --config runs/v4.json --init runs/stage1_3fps.pt --out runs/stage1_b64_init.pt

Each bucket of the wider table starts from the old table's row for the nearest
distance that lands in it, so the widened model's bias at every distance starts
close to the old one's and training refines it (the other weights are copied as
they are). Encoders are bidirectional, decoders causal (buckets.py).
"""

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "weights-spec", "reference"))
sys.path.insert(0, os.path.join(HERE, "..", ".."))  # training/: common
import buckets  # noqa: E402
import common  # noqa: E402


def widened_rows(old_buckets, new_buckets, max_distance, bidirectional):
    """For each new bucket, the old bucket of the smallest relative position (by magnitude) that lands in it."""
    span = 4 * max_distance
    rel = np.concatenate([-np.arange(span + 1), np.arange(1, span + 1)]) if bidirectional else -np.arange(span + 1)
    new = buckets.bucket(rel, bidirectional, new_buckets, max_distance)
    old = buckets.bucket(rel, bidirectional, old_buckets, max_distance)
    rows = np.full(new_buckets, -1, dtype=np.int64)  # -1: no distance lands there (T5's +0 bucket); never read
    for b in range(new_buckets):
        hits = np.flatnonzero(new == b)
        if len(hits):
            rows[b] = old[hits[np.argmin(np.abs(rel[hits]))]]
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", type=int, choices=[1, 2, 3], required=True)
    p.add_argument("--config", required=True, help="the wider config")
    p.add_argument("--init", required=True, help="checkpoint trained with fewer buckets")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    config = common.load_config(args.config)
    t = config[f"stage{args.stage}"]
    state = torch.load(args.init, map_location="cpu")["model"]
    for key in [k for k in state if k.endswith("rel_bias.weight")]:
        old = state[key]
        if old.shape[1] != t["n_heads"]:
            raise SystemExit(f"{args.init}: {key} has {old.shape[1]} heads, the config {t['n_heads']}")
        bidirectional = key.startswith("encoder.")
        rows = widened_rows(old.shape[0], t["rel_buckets"], t["rel_max_distance"], bidirectional)
        wide = torch.zeros(t["rel_buckets"], old.shape[1], dtype=old.dtype)
        used = torch.from_numpy(rows >= 0)
        wide[used] = old[torch.from_numpy(rows[rows >= 0])]
        state[key] = wide
        print(f"{key}: {old.shape[0]} -> {t['rel_buckets']} buckets, rows {rows.tolist()}")
    torch.save({"model": state, "step": 0}, args.out)


if __name__ == "__main__":
    main()
