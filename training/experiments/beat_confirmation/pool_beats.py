"""Pool the beat alignment of several evaluate.py runs on disjoint sets of clips.

    pool_beats.py logs/eval_test300.json logs/eval_test300s4.json [--out logs/beats_pooled.json]

Each run's onset lists (OUT.onsets.json, which evaluate.py writes beside it) are scored again pair by pair
within the run (a clip is only paired with clips of its own corpus seed), then pooled: matched against
shuffled BCS/BHS/F1, the per-clip F1 gains with their bootstrap interval and sign test, and the
permutation test shuffling each run's pairing on its own (evaluate.alignment_summary). Printed per run and
pooled; the runs must be on different clips, or a clip would count twice.
"""

import argparse
import json
import os
import sys

import numpy as np

# training/ holds common (which puts weights-spec/reference and training/evaluation on the path), corpus and the
# build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import common  # noqa: E402,F401  (puts training/evaluation on the path)
import evaluate  # noqa: E402


def load_onsets(runs):
    """{path: eval.json dict} -> {path: (generated, truth) onset lists}; every run must name its onsets file
    (evaluate.write_onsets), which lies beside it."""
    onsets = {}
    for path, run in runs.items():
        beats = run.get("beats", {})
        if "onsets_file" not in beats:
            raise ValueError(f"{path}: no beats.onsets_file; it predates onset output, run evaluate.py again")
        onsets[path] = evaluate.read_onsets(path, beats)
    return onsets


def density_check(scores, truth):
    """How much a clip's own music density decides its per-clip gain: the rank correlation between the clip's
    ground-truth onset count and its gain taken against the music side only (matched minus the music against
    the other clips' music, the earlier per-clip statistic) or both sides (evaluate.per_clip_gains), and how
    many clips the music-side gain counts as better."""
    f1 = scores[:, :, 2]
    n = len(f1)
    music_side = np.diag(f1) - evaluate.mismatched_means(f1)[0]
    density = np.array([len(t) for t in truth], dtype=np.float64)
    better = int((music_side > 0).sum())
    return {"music_side_clips_better": better, "music_side_sign_test_p": evaluate.sign_test_p(better, n),
            "spearman_density_music_side_gain": evaluate.spearman(density, music_side),
            "spearman_density_both_sides_gain": evaluate.spearman(density, evaluate.per_clip_gains(f1))}


def shifted_gain(onsets, shift, seconds):
    """The pooled mean F1 gain with every generated onset list moved `shift` seconds later, wrapping round the
    clip: the same music, density and rhythm, off its clip's timing. What remains of the gain is not timing."""
    gains = []
    for generated, truth in onsets.values():
        moved = [np.sort(np.round((g + shift) % seconds, 6)) for g in generated]
        gains.append(evaluate.per_clip_gains(evaluate.pairing_scores(moved, truth)[:, :, 2]))
    return float(np.concatenate(gains).mean())  # weighted by clips, as the pooled f1_gain is


def pooled(onsets, resamples=10000):
    """({path: summary}, pooled summary) of load_onsets' runs on disjoint clips."""
    matrices = {path: evaluate.pairing_scores(generated, truth) for path, (generated, truth) in onsets.items()}
    summaries = {path: {**evaluate.alignment_summary([m], resamples), **density_check(m, onsets[path][1])}
                 for path, m in matrices.items()}
    return summaries, evaluate.alignment_summary(list(matrices.values()), resamples)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("logs", nargs="+", help="evaluate.py outputs on disjoint clips")
    p.add_argument("--shift-control", type=float, nargs="*", metavar="SECONDS",
                   help="also the pooled gain with the generated onsets moved by each of these shifts (shifted_gain)")
    p.add_argument("--seconds", type=float, default=10.0, help="clip length, for --shift-control's wrap")
    p.add_argument("--out", help="write the summaries (without per-clip lists) as JSON here")
    args = p.parse_args()
    runs = {}
    for path in args.logs:
        with open(path, encoding="utf-8") as f:
            runs[path] = json.load(f)
    splits = [r.get("split") for r in runs.values()]
    if len(set(splits)) != len(splits):
        sys.exit(f"the same split twice ({splits}): pool runs on disjoint clips only")
    try:
        onsets = load_onsets(runs)
    except ValueError as e:
        sys.exit(str(e))
    summaries, pool = pooled(onsets)
    print("| run | clips | BCS matched / shuffled | BHS matched / shuffled | F1 matched / shuffled | F1 gain (95 % CI) "
          "| clips better (sign-test p) | shuffle p |\n|---|---|---|---|---|---|---|---|")
    for name, s in list(summaries.items()) + [("pooled", pool)]:
        m, sh = s["matched_bcs_bhs_f1"], s["shuffled_bcs_bhs_f1"]
        low, high = s["f1_gain_95ci"]
        print(f"| {name} | {s['clips']} | " + " | ".join(f"{m[k]:.4f} / {sh[k]:.4f}" for k in range(3))
              + f" | {s['f1_gain']:+.4f} ({low:+.4f} .. {high:+.4f}) | {s['clips_matched_better']} "
              f"(p {s['sign_test_p']:.2g}) | {s['shuffle_p']:.4f} |")
    print("\n| run | music-side gain: clips better (sign-test p) | rank correlation with the clip's own onset "
          "count: music-side gain, both-sides gain |\n|---|---|---|")
    for name, s in summaries.items():
        print(f"| {name} | {s['music_side_clips_better']} (p {s['music_side_sign_test_p']:.2g}) | "
              f"{s['spearman_density_music_side_gain']:+.2f}, {s['spearman_density_both_sides_gain']:+.2f} |")
    shifted = {}
    for shift in args.shift_control or []:
        shifted[f"{shift:g}"] = shifted_gain(onsets, shift, args.seconds)
        print(f"generated onsets moved {shift:g} s: pooled F1 gain {shifted[f'{shift:g}']:+.4f}")
    if shifted:
        print(f"mean over the shifts: {np.mean(list(shifted.values())):+.4f} (in place: {pool['f1_gain']:+.4f})")
    if args.out:
        brief = {name: {k: v for k, v in s.items() if k != "f1_gain_per_clip"} for name, s in summaries.items()}
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"runs": brief, "pooled": {k: v for k, v in pool.items() if k != "f1_gain_per_clip"},
                       "shifted_f1_gain": shifted}, f, indent=2)


if __name__ == "__main__":
    main()
