"""Pool the beat alignment of several evaluate.py runs on disjoint sets of clips.

    pool_beats.py logs/eval_test300.json logs/eval_test300s4.json [--out logs/beats_pooled.json]

Each run's per-clip F1 gain is its clip's matched F1 minus that music's mean F1 against the other clips of
the same run, so gains from different runs are on one scale and can be concatenated. Prints each run and
the pool: mean gain with its 95 % bootstrap interval over clips, clips better and the sign test's p
(evaluate.gain_summary). The runs must come from different corpus seeds; the same clips twice would count
them twice.
"""

import argparse
import json
import sys

import numpy as np

import evaluate


def pooled(runs):
    """{name: eval.json dict} -> ({name: summary}, pooled summary); every run must hold f1_gain_per_clip."""
    gains, summaries = [], {}
    for name, run in runs.items():
        per_clip = run.get("beats", {}).get("f1_gain_per_clip")
        if per_clip is None:
            raise ValueError(f"{name}: no beats.f1_gain_per_clip; it predates per-clip output, run evaluate.py again")
        summaries[name] = evaluate.gain_summary(per_clip)
        gains.extend(per_clip)
    return summaries, evaluate.gain_summary(gains)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("logs", nargs="+", help="evaluate.py outputs on disjoint clips")
    p.add_argument("--out", help="write the summaries as JSON here")
    args = p.parse_args()
    runs = {}
    for path in args.logs:
        with open(path, encoding="utf-8") as f:
            runs[path] = json.load(f)
    splits = [r.get("split") for r in runs.values()]
    if len(set(splits)) != len(splits):
        sys.exit(f"the same split twice ({splits}): pool runs on disjoint clips only")
    try:
        summaries, pool = pooled(runs)
    except ValueError as e:
        sys.exit(str(e))
    print("| run | clips | F1 gain (95 % CI) | clips better (sign-test p) |\n|---|---|---|---|")
    for name, s in list(summaries.items()) + [("pooled", pool)]:
        low, high = s["f1_gain_95ci"]
        print(f"| {name} | {s['clips']} | {s['f1_gain']:+.4f} ({low:+.4f} .. {high:+.4f}) | "
              f"{s['clips_matched_better']} (p {s['sign_test_p']:.2g}) |")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"runs": summaries, "pooled": pool}, f, indent=2)


if __name__ == "__main__":
    main()
