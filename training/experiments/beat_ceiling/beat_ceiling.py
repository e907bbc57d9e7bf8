"""How much beat alignment the video can give at all: evaluate.py's beat score of event lists built from the
clip descriptions instead of from a model.

    beat_ceiling.py [--clips 40]

For each held-out clip (corpus seed 2) the onsets of the corpus music are the ground truth, as in
evaluate.py, and the "generated beats" are one of:

  music grid      the beats and hi-hat subdivisions the music was synthesised on (each scene's tempo with
                  its +-8 % jitter, restarted at every cut) plus the accents on cuts and flashes;
  video grid      the same built from what the default corpus's picture (steady motion) shows: the grid
                  restarts at the clip's start and at each cut, its tempo is the one the scene's energy
                  gives without the jitter (the pan speed shows the energy exactly), accents at the cuts
                  and flashes;
  tempo shown     the music's own tempo with the video's cut and accent times: what `corpus.py --motion
                  beat` shows (shapes and pan move in a burst on every beat, corpus.beat_time), read only
                  from the rows that hold the cuts; the bursts also show each beat's row, so a model can
                  do better;

the video's times (cuts, flashes) exactly or known only to their row (the centre of a 1/fps row, as a
stage-1 decoder that finds the row under an event would place them), at 1, 3, 6 and 12 rows a second.
The F1 gain over every other clip's music bounds what any model fed those rows can reach, before stages
2 and 3 lose some of it (rhythm_chain.py). Writes logs/beat_ceiling.json and prints a Markdown table.
"""

import argparse
import json
import os
import sys

import numpy as np

# training/ holds common (which puts weights-spec/reference and training/evaluation on the path), corpus and the
# build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
import common  # noqa: E402
import corpus  # noqa: E402
import evaluate  # noqa: E402

FPS = (None, 12, 6, 3, 1)


def row_centre(t, fps):
    return t if fps is None else (np.floor(t * fps) + 0.5) / fps


def events(clip, tempo, fps):
    """Event times of one clip: each scene's tempo from the music ("music") or from its energy alone ("video"),
    cut and flash times at the centre of their 1/fps row (fps None: exact)."""
    times = []
    for s in clip["scenes"]:
        # The clip's first frame is its start whatever the row rate; a cut is known to its row.
        start = s["start"] if s["start"] == 0 else row_centre(s["start"], fps)
        period = 60.0 / (s["bpm"] if tempo == "music" else 70 + 95 * s["energy"])
        subdivisions = corpus.hat_subdivisions(s["energy"])
        t = start
        while t < s["end"] - 1e-6:
            times += [t + j * period / subdivisions for j in range(subdivisions)]
            t += period
    times += [row_centre(a, fps) for a in corpus.accent_times(clip)]
    return np.unique(np.round(np.array(times), 3))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=40)
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs", "beat_ceiling.json"))
    args = p.parse_args()
    held = common.load_corpus("heldout")
    n = min(args.clips, held["audio"].shape[0])
    truth = [evaluate.onsets(held["audio"][i].astype(np.float32) / 32767) for i in range(n)]
    clips = [corpus.describe(2, i) for i in range(n)]
    rows = ([("music grid", "music", None)] + [("video grid", "video", fps) for fps in FPS]
            + [("tempo shown", "music", fps) for fps in FPS[1:]])
    result = {"clips": n, "rows": []}
    print("| events | rows /s | BCS / BHS / F1 matched | F1 shuffled | F1 gain (95 % CI) | clips better |\n"
          "|---|---|---|---|---|---|")
    for name, tempo, fps in rows:
        beats = evaluate.beat_alignment([events(c, tempo, fps) for c in clips], truth)
        result["rows"].append({"events": name, "fps": fps, "beats": beats})
        m = beats["matched_bcs_bhs_f1"]
        print(f"| {name} | {fps or 'exact'} | {m[0]:.3f} / {m[1]:.3f} / {m[2]:.3f} | "
              f"{beats['shuffled_bcs_bhs_f1'][2]:.3f} | {evaluate.f1_gain_text(beats)} | "
              f"{beats['clips_matched_better']} / {n} |", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
