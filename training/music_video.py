"""Paired videos for the real-music corpus: a picture that follows what the music does.

    music_video.py video --folder data/music/train --index 0 --out clip.mp4     # one clip, with its audio
    music_video.py features --folder data/music/train --fps 3 --out data/music/features_train_3fps.npy

No real paired video-music data is reachable here, so the picture is made from the music (the model
card says so). It reuses corpus.py's renderer (a striped, panning background, moving shapes, white
flashes; `--motion beat` bursts) and drives it from the clip:
- beats -> the shapes and the pan move in a burst on every beat (corpus.beat_time), phase-locked to the
  score's beat grid (composed pieces) or to the caption's tempo from the clip start (Freedoom);
- onsets (spectral-flux peaks, the strongest few per second) and section downbeats -> white flashes;
- sections -> hard cuts: the score's section boundaries, or jumps of more than 6 dB between one-second
  loudness windows when there is no score;
- tempo -> speed: pan and shape speeds scale with the beats per minute;
- loudness -> scale and brightness: shape size per scene from its loudness, and the whole frame's
  brightness follows the short-time loudness envelope;
- mode and register -> palette: major-like modes warm and bright, minor-like cool and dark, a higher
  register lighter; with no mode known, the spectral centroid sets hue and lightness.
Rows follow load_shards' clip order. Everything is a function of the clip's caption and audio.
"""

import argparse
import json
import os
import subprocess
import zlib

import numpy as np

import corpus
import music_corpus

SR = music_corpus.SR
BRIGHT_MODES = ("major", "lydian", "mixolydian")


def envelope_db(audio, rate):
    """RMS level in dB of windows of 1 / rate s."""
    n = max(1, min(int(SR / rate), len(audio)))  # a scene's own window can round one sample past its end
    frames = audio[: len(audio) // n * n].reshape(-1, n)
    return 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-6)


def onsets(audio, per_second=3.0):
    """Times (s) of spectral-flux peaks: log-magnitude increase summed over bins, hop 16 ms, local maxima
    at least 0.12 s apart, the strongest `per_second` per second kept."""
    hop, n = 256, 1024
    idx = np.arange(n)[None] + hop * np.arange(1 + (len(audio) - n) // hop)[:, None]
    mag = np.log(np.abs(np.fft.rfft(audio[idx] * np.hanning(n), axis=1)) + 1e-4)
    flux = np.maximum(np.diff(mag, axis=0), 0).sum(axis=1)
    peaks = [i for i in range(1, len(flux) - 1) if flux[i] >= flux[i - 1] and flux[i] > flux[i + 1]]
    keep = []
    for i in sorted(peaks, key=lambda i: -flux[i]):
        if len(keep) >= per_second * len(audio) / SR:
            break
        if all(abs(i - j) * hop / SR > 0.12 for j in keep):
            keep.append(i)
    return np.sort((np.array(keep, dtype=float) + 1) * hop / SR + n / 2 / SR)


def section_cuts(caption, audio, seconds):
    """Cut times within the clip: the score's section starts, else loudness jumps."""
    if caption.get("source") == "composed":
        import compose
        piece = compose.plan(caption["seed"], caption["index"])
        _, starts, _ = compose.notes(piece)
        spb = 60.0 / piece["bpm"]
        times = [s * spb - caption["start_s"] for s in starts]
        return [t for t in times if 0.5 < t < seconds - 0.5]
    level = envelope_db(audio, 1.0)
    cuts = []
    for k in range(1, len(level)):
        if abs(level[k] - level[k - 1]) > 6 and (not cuts or k - cuts[-1] >= 2):
            cuts.append(float(k))
    return cuts


def palette(caption, audio):
    """(hue in degrees, value 0..1) from mode and register, or from the spectral centroid."""
    if caption.get("mode"):
        import compose
        register = compose.plan(caption["seed"], caption["index"])["register"]
        bright = caption["mode"] in BRIGHT_MODES
        hue = 40 if bright else 225
        return hue, float(np.clip((0.75 if bright else 0.4) + register / 60, 0.15, 0.95))
    spec = np.abs(np.fft.rfft(audio)) ** 2
    centroid = float((spec * np.fft.rfftfreq(len(audio), 1 / SR)).sum() / (spec.sum() + 1e-12))
    warmth = float(np.clip((centroid - 500) / 2500, 0, 1))  # 500 Hz and below: cool, 3 kHz and above: warm
    return 225 - 185 * warmth, 0.3 + 0.55 * warmth


def describe(caption, audio):
    """A corpus.py clip description (scenes, shapes, flashes; motion on the beat) for a music clip, and the
    loudness envelope (dB, 24 per second) that modulates brightness."""
    seconds = len(audio) / SR
    rng = np.random.default_rng(zlib.crc32(json.dumps([caption.get(k) for k in ("source", "seed", "index", "track",
                                                                              "start_s")]).encode()))
    bpm = float(caption.get("bpm") or 120.0)
    period = 60.0 / bpm
    hue, value = palette(caption, audio)
    cuts = section_cuts(caption, audio, seconds)
    bounds = [0.0] + cuts + [seconds]
    hits = onsets(audio)
    track_db = envelope_db(audio, 1 / seconds)[0]
    scenes = []
    for s in range(len(bounds) - 1):
        a, b = bounds[s], bounds[s + 1]
        loud = envelope_db(audio[int(a * SR):int(b * SR)], 1 / max(b - a, 1 / SR))[0] - track_db  # dB vs clip
        size = float(np.clip(1 + loud / 12, 0.5, 1.6))
        h = hue + rng.normal(0, 15) + 25 * (s % 2)  # a cut shows: the palette shifts a little
        speed = 60 + 1.6 * bpm
        shapes = []
        for _ in range(int(rng.integers(2, 6))):
            angle = rng.uniform(0, 2 * np.pi)
            v = speed * rng.uniform(0.6, 1.4)
            shapes.append({"pos": rng.uniform([0, 0], [corpus.WIDTH, corpus.HEIGHT]),
                           "vel": v * np.array([np.cos(angle), np.sin(angle)]),
                           "radius": rng.uniform(8, 22) * size, "square": bool(rng.uniform() < 0.4),
                           "colour": corpus.hsv(h + rng.uniform(-50, 50), rng.uniform(0.6, 1), min(1, value + 0.25))})
        # Beats: the grid of the piece (composed clips start on the grid's k * 10 s; sections on bars),
        # so the scene's motion is phase-locked by starting it on the last beat at or before `a`.
        grid0 = -((caption.get("start_s", 0) / period) % 1) * period if caption.get("source") == "composed" else 0.0
        start = grid0 + np.floor((a - grid0) / period + 1e-9) * period
        flashes = [t for t in hits if a + 0.1 < t < b - 0.1][: max(1, int((b - a) * (0.4 + 0.6 * value)))]
        if s > 0:
            flashes = [a] + flashes  # the downbeat of a new section
        scenes.append({"start": start, "end": b, "energy": 0.5, "value": value, "hue": h, "bpm": bpm,
                       "pan": (0.8 * bpm) * rng.choice([-1, 1]), "stripe": rng.uniform(10, 40),
                       "bg_a": corpus.hsv(h, 0.5, value * 0.55), "bg_b": corpus.hsv(h + 35, 0.65, value),
                       "shapes": shapes, "flashes": np.array(sorted(flashes))})
    return {"seconds": seconds, "motion": "beat", "scenes": scenes, "cuts": np.array(cuts),
            "loudness": envelope_db(audio, corpus.VIDEO_FPS)}


def render(clip, t):
    """corpus.render's frame, its brightness scaled by the loudness at t (-30 dB below the clip's loudest
    window: 45 %, the loudest: 100 %)."""
    frame = corpus.render(clip, t).astype(np.float32)
    env = clip["loudness"]
    level = env[min(int(t * corpus.VIDEO_FPS), len(env) - 1)] - env.max()
    return (frame * float(np.clip(1 + level / 55, 0.45, 1))).astype(np.uint8)


def features(clip, fps):
    frames = (render(clip, t) for t in corpus.subframe_times(clip["seconds"], fps))
    return corpus.extractor.compute(frames, corpus.extractor.count_frames(clip["seconds"], fps))


def write_video(clip, audio, path):
    n = int(round(clip["seconds"] * corpus.VIDEO_FPS))
    wav = path + ".tmp.wav"
    corpus.write_wav(wav, audio)
    proc = subprocess.Popen(["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                             "-s", f"{corpus.WIDTH}x{corpus.HEIGHT}", "-r", str(corpus.VIDEO_FPS), "-i", "pipe:0",
                             "-i", wav, "-c:a", "aac", "-b:a", "96k", "-c:v", "libx264", "-crf", "18",
                             "-pix_fmt", "yuv420p", "-shortest", path], stdin=subprocess.PIPE)
    for i in range(n):
        proc.stdin.write(render(clip, i / corpus.VIDEO_FPS).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed writing {path}")
    os.remove(wav)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["video", "features"])
    p.add_argument("--folder", required=True)
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--fps", type=float, default=3)
    p.add_argument("--every", type=int, default=1, help="features: rows of every N-th clip only")
    p.add_argument("--offset", type=int, default=0, help="features: with --every, starting at this clip")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    audio, captions = music_corpus.load_shards(args.folder)
    if args.command == "video":
        wav = audio[args.index].astype(np.float64) / 32767
        write_video(describe(captions[args.index], wav), wav, args.out)
        print(captions[args.index].get("text", captions[args.index]))
    else:
        rows = [features(describe(c, a.astype(np.float64) / 32767), args.fps)
                for a, c in list(zip(audio, captions))[args.offset::args.every]]
        np.save(args.out, np.stack(rows).astype(np.float32))
        print(f"{args.out}: {len(rows)} clips")


if __name__ == "__main__":
    main()
