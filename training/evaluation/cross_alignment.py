"""Does stage 1's decoder look at the video row under the token it predicts? Read off its cross-attention.

    cross_alignment.py --bundle DIR [--bundle DIR ...] [--clips 8] [--out logs/cross_alignment.json]

Each held-out clip's true semantic tokens go through stage 1 teacher-forced (no style), and every
cross-attention head's weights over the video rows are kept. For each head: the correlation, over
the decoder positions, between the attention-weighted mean row and the row the position's token lies
under (t / semantic_hz * video_fps), and the mean distance in rows from the most-attended row to that
row. A head that follows the video in time scores a correlation near 1 and a distance below 1; a head
that does not, a correlation near 0 and a distance near a third of the window (the mean distance
between two random rows). Writes the rows to --out and prints a Markdown table.
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
from common import ref
import tokens as tok


@torch.no_grad()
def head_weights(stage1, config, features, semantic):
    """Cross-attention weights [layers][heads, positions, video rows] for one clip, teacher-forced."""
    style_dim = config["stage1"].get("style_dim", 0)
    style = torch.zeros(1, style_dim) if style_dim else None
    ids = torch.tensor([[tok.stage1_bos(config)] + list(semantic[:-1])])
    keep = []
    common.logits(stage1, ids, {"builtin": torch.tensor(features[None], dtype=torch.float32)}, style, keep)
    rows = features.shape[0]
    return [w[0, :, :, :rows].numpy() for w in keep]  # the style position, last, is not a row


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", action="append", default=[])
    p.add_argument("--checkpoint", action="append", default=[], metavar="CONFIG:CHECKPOINT",
                   help="a stage-1 training checkpoint (runs/stage1.pt) with the config it was trained for")
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--out", default=os.path.join(common.LOGS, "cross_alignment.json"))
    args = p.parse_args()
    torch.set_num_threads(1)
    semantic = np.load(os.path.join(common.DATA, "semantic_heldout.npy")).astype(np.int64)
    result = {"clips": args.clips, "bundles": {}}
    print("| bundle | layer.head | corr(attended row, token's row) | distance to the token's row (rows) | window (rows) |\n"
          "|---|---|---|---|---|")
    models_by_name = []
    for folder in args.bundle:
        config, models = pipeline.load_bundle(folder)
        models_by_name.append((config["name"], config, models["stage1"]))
    for item in args.checkpoint:
        config_path, checkpoint = item.split(":", 1)
        config = common.load_config(config_path)
        stage1 = ref.StageModel(config, "stage1")
        stage1.load_state_dict(torch.load(checkpoint, map_location="cpu")["model"])
        models_by_name.append((os.path.basename(checkpoint), config, stage1.eval()))
    for name, config, stage1 in models_by_name:
        features = common.load_features("heldout", config)
        rates = config["rates"]
        stats = {}
        for i in range(args.clips):
            weights = head_weights(stage1, config, features[i], semantic[i])
            rows = features[i].shape[0]
            expected = np.arange(semantic.shape[1]) / rates["semantic_hz"] * rates["video_fps"] - 0.5  # row whose middle is t
            for layer, w in enumerate(weights):
                for head in range(w.shape[0]):
                    mean_row = (w[head] * np.arange(rows)).sum(-1) / w[head].sum(-1)
                    distance = np.abs(w[head].argmax(-1) - expected).mean()
                    stats.setdefault(f"{layer}.{head}", []).append((np.corrcoef(mean_row, expected)[0, 1], distance))
        window_rows = features.shape[1]
        summary = {key: {"correlation": float(np.mean([c for c, _ in v])), "distance_rows": float(np.mean([d for _, d in v]))}
                   for key, v in stats.items()}
        result["bundles"][name] = {"window_rows": window_rows, "heads": summary}
        for key, s in summary.items():
            print(f"| {name} | {key} | {s['correlation']:+.2f} | {s['distance_rows']:.1f} | {window_rows} |", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
