"""Held-out cross-entropy of each token stage of a bundle, on the regenerated corpus tokens.

    heldout_ce.py --bundle DIR [--bundle DIR ...] [--out logs/heldout_ce.json]

The loss train_stages.py reports (teacher-forced, over the stage's full
vocabulary, scored on the tokens the stage produces), averaged over the same
5 seeded batches of 12 held-out crops for every bundle. It shows that
regenerated semantic tokens are the ones a bundle's stage 1 was trained on,
and how a stage 3 trained on one encoder's codes fares on another's.
"""

import argparse
import json
import os

import numpy as np
import torch

import sys
# training/ holds common (which puts weights-spec/reference and training/evaluation on the path) and the build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common
import pipeline  # weights-spec/reference/pipeline.py, on the path once common is imported
import train_stages


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", action="append", required=True)
    p.add_argument("--out", default=os.path.join(common.LOGS, "heldout_ce.json"))
    args = p.parse_args()
    torch.set_num_threads(1)
    result = {}
    for folder in args.bundle:
        config, models = pipeline.load_bundle(folder)
        row = {}
        for stage in (1, 2, 3):
            data = train_stages.load_data("heldout", config, stage=stage)
            with torch.no_grad():
                row[f"stage{stage}"] = float(np.mean([
                    train_stages.loss_of(stage, models[f"stage{stage}"], config, data, np.random.default_rng(99), 12,
                                         False).item() for _ in range(5)]))
        result[config["name"]] = row
        print(config["name"], " ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
