"""The default model's trained stages as small committed checkpoints, so a fresh clone resumes
`reproduce.sh v5` after its training steps instead of repeating them (about three hours on 2 cores).

    V2MEOW_SET=v5 stage_checkpoints.py save      runs/v5/stage{1,2,3}.pt, semantic_kmeans.npz -> checkpoints/v5/
    V2MEOW_SET=v5 stage_checkpoints.py restore   the reverse, for each file runs/v5/ lacks (and stage1.done)

Weights are kept in fp16, the bundle's own dtype: widened back to fp32 they export to the same bundle bytes,
because rounding to fp16 twice gives what rounding once gives. The k-means centroids are copied as they are.
"""

import argparse
import os
import shutil

import numpy as np
import torch

import common

HERE = os.path.dirname(os.path.abspath(__file__))
COMMITTED = os.path.join(HERE, "checkpoints", common.MODEL_SET)
STAGES = ("stage1", "stage2", "stage3")
KMEANS = "semantic_kmeans.npz"


def save():
    os.makedirs(COMMITTED, exist_ok=True)
    for stage in STAGES:
        state = torch.load(os.path.join(common.RUNS, f"{stage}.pt"), map_location="cpu")
        small = {"model": {k: v.half() if v.is_floating_point() else v for k, v in state["model"].items()},
                 "step": state["step"]}
        torch.save(small, os.path.join(COMMITTED, f"{stage}.pt"))
        print(f"{stage}: step {state['step']} -> {os.path.relpath(os.path.join(COMMITTED, f'{stage}.pt'), HERE)}")
    shutil.copyfile(os.path.join(common.RUNS, KMEANS), os.path.join(COMMITTED, KMEANS))


def restore():
    os.makedirs(common.RUNS, exist_ok=True)
    for stage in STAGES:
        target = os.path.join(common.RUNS, f"{stage}.pt")
        source = os.path.join(COMMITTED, f"{stage}.pt")
        if os.path.exists(target) or not os.path.exists(source):
            continue
        state = torch.load(source, map_location="cpu")
        state["model"] = {k: v.float() if v.is_floating_point() else v for k, v in state["model"].items()}
        torch.save(state, target)
        print(f"{stage}: restored step {state['step']} from {os.path.relpath(source, HERE)}")
        if stage == "stage1":
            # Stage 1 trains in two parts (reproduce.sh); the committed checkpoint is the second's end.
            open(os.path.join(common.RUNS, "stage1.done"), "w").close()
    kmeans = os.path.join(common.RUNS, KMEANS)
    if not os.path.exists(kmeans) and os.path.exists(os.path.join(COMMITTED, KMEANS)):
        shutil.copyfile(os.path.join(COMMITTED, KMEANS), kmeans)
        np.load(kmeans)  # a truncated copy fails here rather than in the tokeniser


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("save", "restore"))
    args = p.parse_args()
    if not common.MODEL_SET:
        p.error("V2MEOW_SET names the model whose stages these are (v5)")
    {"save": save, "restore": restore}[args.command]()


if __name__ == "__main__":
    main()
