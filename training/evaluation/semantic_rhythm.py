"""Stage 1's rhythm, read off its semantic tokens without the later stages.

    semantic_rhythm.py --bundle DIR [--bundle DIR ...] [--clips 24] [--temperature T] [--out logs/semantic_rhythm.json]

Each semantic token is a k-means centroid (semantic.py) of 64 log-mel bands and
their first difference; the centroid's summed positive difference is how much
of an onset the token stands for. Along a token sequence that gives a 25 Hz
onset envelope, scored like evaluate.py scores audio: pulse clarity (largest
normalised autocorrelation at lags of 0.25-1.5 s) and BCS/BHS/F1 of its peaks
against the onsets of the clip's corpus music, matched and against every other
clip's music (shuffled; evaluate.beat_alignment). The true tokens of the held-out clips show what the
measure can see; each bundle's stage 1 is sampled from the clip's video rows
(no style, seed 0, the bundle's stage-1 temperature unless --temperature).
Needs runs/semantic_kmeans.npz and data/semantic_heldout.npy.
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
import evaluate
import pipeline  # weights-spec/reference/pipeline.py, on the path once common is imported
import text_tower


def token_onset_strength():
    km = np.load(os.path.join(common.RUNS, "semantic_kmeans.npz"))
    centroids = km["centroids"] * km["std"] + km["mean"]
    return np.clip(centroids[:, common.MEL_BANDS:], 0, None).sum(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", action="append", default=[])
    p.add_argument("--clips", type=int, default=24)
    p.add_argument("--temperature", type=float)
    p.add_argument("--out", default=os.path.join(common.LOGS, "semantic_rhythm.json"))
    args = p.parse_args()
    torch.set_num_threads(1)
    strength = token_onset_strength()
    held = common.load_corpus("heldout")
    n = min(args.clips, held["audio"].shape[0])
    truth = [evaluate.onsets(held["audio"][i].astype(np.float32) / 32767) for i in range(n)]

    result = {"clips": n, "rows": {}}

    def row(name, sequences):
        # onset_times reports a peak at frame i as (i + 1) / rate, right for audio flux; token i stands for
        # the log-mel frame centred at i / 25 s.
        peaks = [text_tower.onset_times(strength[s], rate=25.0, wait=1) - 1 / 25.0 for s in sequences]
        beats = evaluate.beat_alignment(peaks, truth)
        matched, shuffled = beats["matched_bcs_bhs_f1"], beats["shuffled_bcs_bhs_f1"]
        pulse = np.mean([evaluate.envelope_pulse_clarity(strength[s], rate=25.0) for s in sequences])
        result["rows"][name] = {"pulse_clarity": float(pulse), **beats}
        print(f"| {name} | {pulse:.3f} | {matched[0]:.3f} / {shuffled[0]:.3f} | {matched[1]:.3f} / {shuffled[1]:.3f} "
              f"| {matched[2]:.3f} / {shuffled[2]:.3f} | {evaluate.f1_gain_text(beats)} "
              f"| {beats['clips_matched_better']} / {n} |", flush=True)

    print("| semantic tokens | pulse clarity | BCS matched / shuffled | BHS | F1 | F1 gain (95 % CI) | clips better |\n"
          "|---|---|---|---|---|---|---|")
    row("true (from the corpus music)", np.load(os.path.join(common.DATA, "semantic_heldout.npy")).astype(np.int64)[:n])
    for folder in args.bundle:
        config, models = pipeline.load_bundle(folder)
        features = common.load_features("heldout", config)
        temperature = config["temperatures"]["stage1"] if args.temperature is None else args.temperature
        row(f"{config['name']} stage 1 ({config['rates']['video_fps']:g} fps, T {temperature:g})",
            [np.array(pipeline.semantic_from_features(config, models, features[i], temperature=temperature))
             for i in range(n)])
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
