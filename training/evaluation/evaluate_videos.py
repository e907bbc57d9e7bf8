"""Score a few non-corpus videos with the C# runtime and measure the music, in pairs that differ in one thing.

    evaluate_videos.py [--seeds 3] [--out logs/eval_videos.json]

The videos come from ffmpeg's own sources (test pattern, Game of Life,
Mandelbrot zoom), nothing like the corpus's shapes-and-stripes renders:
each pair changes only the motion (the same source played 4x faster) or
only the brightness (the same source through `eq`). Each is scored end to
end by `./v2meow generate` with the embedded default model (ffmpeg decode,
built-in extractor, stages 1-3, codec; CPU backend), once per seed, and the
music is measured as evaluate.py does: onsets per second, spectral centroid,
harmonic share. The clip's motion is the mean `motion_lag1` of the reference
extractor's rows for the same file.
"""

import argparse
import json
import os
import subprocess
import sys
import wave

import numpy as np
import torch

# training/ holds common (which puts weights-spec/reference and training/evaluation on the path) and the build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common
import evaluate

sys.path.insert(0, common.REFERENCE)
import extractor  # noqa: E402

REPO = os.path.join(common.HERE, "..")
OUT = os.path.join(common.RUNS, "videos")

# name -> (lavfi source, extra filter); every clip 10 s, 24 fps.
LIFE = "life=s=320x240:mold=10:ratio=0.12:death_color=#203060:life_color=#f0c040:rate={rate}"
TESTSRC = "testsrc2=s=320x240:rate={rate}"
MANDEL = "mandelbrot=s=320x240:rate={rate}:end_pts={end}"
VIDEOS = {
    "testsrc": (TESTSRC.format(rate=24), ""),
    "testsrc_4x": (TESTSRC.format(rate=96), "setpts=PTS/4,fps=24"),
    "life": (LIFE.format(rate=6), "fps=24"),
    "life_4x": (LIFE.format(rate=24), ""),
    "mandelbrot": (MANDEL.format(rate=24, end=400), ""),
    "mandelbrot_4x": (MANDEL.format(rate=96, end=400), "setpts=PTS/4,fps=24"),
    "testsrc_dark": (TESTSRC.format(rate=24), "eq=brightness=-0.35"),
    "testsrc_bright": (TESTSRC.format(rate=24), "eq=brightness=0.25"),
}
PAIRS = [("motion", "testsrc", "testsrc_4x"), ("motion", "life", "life_4x"),
         ("motion", "mandelbrot", "mandelbrot_4x"), ("brightness", "testsrc_dark", "testsrc_bright")]


def render(name):
    source, extra = VIDEOS[name]
    path = os.path.join(OUT, name + ".mp4")
    if not os.path.exists(path):
        chain = ["-vf", extra + ",format=yuv420p" if extra else "format=yuv420p"]
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
                       + chain + ["-t", "10", "-c:v", "libx264", "-crf", "20", path], check=True)
    return path


def read_wav(path):
    with wave.open(path) as f:
        return np.frombuffer(f.readframes(f.getnframes()), np.int16).astype(np.float32) / 32767


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default=os.path.join(common.LOGS, "eval_videos.json"))
    args = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results = {}
    for name in VIDEOS:
        video = render(name)
        motion = float(extractor.extract(video)[:, 17].mean())
        runs = []
        for seed in range(args.seeds):
            wav_path = os.path.join(OUT, f"{name}_seed{seed}.wav")
            subprocess.run([os.path.join(REPO, "v2meow"), "generate", os.path.abspath(video), "-o",
                            os.path.abspath(wav_path), "--seed", str(seed), "--device", "cpu"],
                           check=True, stdout=subprocess.DEVNULL)
            wav = read_wav(wav_path)
            seconds = len(wav) / common.SR
            runs.append([len(evaluate.onsets(wav)) / seconds, evaluate.centroid(wav), evaluate.harmonic_ratio(wav)])
        mean = np.mean(runs, 0)
        results[name] = {"motion": motion, "onset_rate": float(mean[0]), "centroid_hz": float(mean[1]),
                         "harmonic_ratio": float(mean[2]), "runs": runs}
        print(f"{name}: motion {motion:.4f} onsets/s {mean[0]:.2f} centroid {mean[1]:.0f} Hz "
              f"harmonic {mean[2]:.3f}", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"seeds": args.seeds, "videos": results, "pairs": PAIRS}, f, indent=2)
    print("\n| pair | changes | motion | onsets /s | centroid Hz | harmonic share |\n|---|---|---|---|---|---|")
    for what, a, b in PAIRS:
        ra, rb = results[a], results[b]
        print(f"| {a} → {b} | {what} | {ra['motion']:.3f} → {rb['motion']:.3f} | {ra['onset_rate']:.2f} → "
              f"{rb['onset_rate']:.2f} | {ra['centroid_hz']:.0f} → {rb['centroid_hz']:.0f} | "
              f"{ra['harmonic_ratio']:.2f} → {rb['harmonic_ratio']:.2f} |")


if __name__ == "__main__":
    main()
