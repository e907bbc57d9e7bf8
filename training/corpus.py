"""Synthetic video-music corpus, generated on demand from a seed (never committed).

    corpus.py build --seed 1 --clips 640 --out training/data/train.npz [--motion beat]
    corpus.py features --seed 1 --clips 600 --fps 3 --out training/data/features_train_3fps.npy [--motion beat]
    corpus.py video --seed 1 --index 0 --seconds 10 --out clip.mp4 [--audio] [--motion beat]

Each clip is `seconds` long and made of 1-4 scenes separated by hard cuts.
A scene is a palette (hue, brightness), a panned striped background, a few
moving shapes and occasional white flashes; its energy (0..1) sets the pan and
shape speeds and the flash rate. Motion is steady (the corpus the default model
was trained on) or, with --motion beat, shapes and pan move in a burst on every
beat of the scene's music and settle before the next, so the picture shows the
beat (`beat_time`); only the picture changes. The music is synthesised to fit
the picture:

- tempo follows the scene's energy (70..165 BPM, jittered +-8 %), changing at cuts;
  hi-hats go from quarter to eighth to sixteenth notes as energy rises;
- drum accents (kick + crash) land on every cut and every flash;
- mode follows brightness (major when bright, 80 %), register rises with brightness;
- the melody instrument follows the hue (warm: piano, green: pluck, cool: bell, 75 %);
- bass, chord pad and melody follow a four-bar progression in a random key.

Audio is 16 kHz mono float in [-1, 1]. Video features are the `builtin` stream
computed straight from rendered frames (weights-spec/reference/extractor.py
`compute`), rendered at the instants ffmpeg would pick from a 24 fps file, so
`build` writes no video; `video` writes a real file (libx264, 24 fps,
224x128, the short side already at the extractor's 128) for the runtime and
the parity test.

The caption lists the attributes, e.g. "fast bright major piano drums".
Everything is a function of (seed, clip index): numpy's Generator seeded with
[seed, index].
"""

import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "weights-spec", "reference"))
import extractor  # noqa: E402

SR = 16000
WIDTH, HEIGHT = 224, 128
VIDEO_FPS = 24
INSTRUMENTS = ("piano", "pluck", "bell")
WORDS = ("slow", "medium", "fast", "bright", "dark", "major", "minor",
         "piano", "pluck", "bell", "drums", "ambient")


# ---------------------------------------------------------------- clip description

def hsv(h, s, v):
    h = (h % 360) / 60.0
    c = v * s
    x = c * (1 - abs(h % 2 - 1))
    r, g, b = [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][int(h) % 6]
    m = v - c
    return np.array([r + m, g + m, b + m])


def instrument_for_hue(h):
    h %= 360
    if h >= 300 or h < 75:
        return "piano"
    return "pluck" if h < 165 else "bell"


def describe(seed, index, seconds=10.0, motion="steady"):
    """The clip's random choices: scenes, palette, energy, flashes, musical key; `motion` ("steady" or
    "beat") is how the picture moves (render) and draws nothing, so both show the same clip and music."""
    rng = np.random.default_rng([seed, index])
    energy = rng.uniform(0, 1)
    bright = rng.uniform(0.15, 0.95)
    hue = rng.uniform(0, 360)
    n_scenes = int(rng.integers(1, 5))
    cuts = np.sort(rng.uniform(1.5, seconds - 1.5, n_scenes - 1)) if n_scenes > 1 else np.zeros(0)
    # Keep scenes at least 1 s apart.
    cuts = np.array([c for i, c in enumerate(cuts) if i == 0 or c - cuts[i - 1] > 1.0])
    bounds = np.concatenate([[0.0], cuts, [seconds]])
    scenes = []
    for s in range(len(bounds) - 1):
        e = float(np.clip(energy + rng.normal(0, 0.15), 0, 1))
        v = float(np.clip(bright + rng.normal(0, 0.08), 0.08, 1))
        h = hue + rng.normal(0, 20)
        n_shapes = int(rng.integers(2, 7))
        shapes = []
        for _ in range(n_shapes):
            speed = (20 + 280 * e) * rng.uniform(0.6, 1.4)
            angle = rng.uniform(0, 2 * np.pi)
            shapes.append({
                "pos": rng.uniform([0, 0], [WIDTH, HEIGHT]),
                "vel": speed * np.array([np.cos(angle), np.sin(angle)]),
                "radius": rng.uniform(8, 28),
                "square": bool(rng.uniform() < 0.4),
                "colour": hsv(h + rng.uniform(-60, 60), rng.uniform(0.6, 1), min(1, v + 0.25)),
            })
        flash_rate = 0.05 + 0.3 * e
        span = bounds[s + 1] - bounds[s]
        flashes = np.sort(rng.uniform(bounds[s] + 0.2, bounds[s + 1] - 0.2,
                                      rng.poisson(flash_rate * span))) if span > 0.5 else np.zeros(0)
        bpm = (70 + 95 * e) * rng.uniform(0.92, 1.08)
        scenes.append({
            "start": bounds[s], "end": bounds[s + 1], "energy": e, "value": v, "hue": h,
            "pan": (10 + 190 * e) * rng.choice([-1, 1]), "stripe": rng.uniform(10, 40),
            "bg_a": hsv(h, 0.5, v * 0.55), "bg_b": hsv(h + 35, 0.65, v),
            "shapes": shapes, "flashes": flashes, "bpm": bpm,
        })
    major = (bright > 0.5) if rng.uniform() < 0.8 else (bright <= 0.5)
    instrument = instrument_for_hue(hue) if rng.uniform() < 0.75 else INSTRUMENTS[int(rng.integers(3))]
    drums = not (energy < 0.25 and rng.uniform() < 0.5)
    return {
        "seed": seed, "index": index, "seconds": seconds, "motion": motion,
        "energy": energy, "bright": bright, "hue": hue,
        "scenes": scenes, "cuts": cuts, "major": bool(major), "instrument": instrument, "drums": drums,
        "root": int(rng.integers(40, 48)), "music_seed": int(rng.integers(1 << 31)),
    }


def caption(clip):
    bpm = np.mean([s["bpm"] for s in clip["scenes"]])
    tempo = "slow" if bpm < 100 else ("medium" if bpm < 130 else "fast")
    return " ".join([tempo, "bright" if clip["bright"] > 0.5 else "dark", "major" if clip["major"] else "minor",
                     clip["instrument"], "drums" if clip["drums"] else "ambient"])


# ---------------------------------------------------------------- video

_YY, _XX = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)


def _bounce(p, size):
    p = np.mod(p, 2 * size)
    return np.where(p > size, 2 * size - p, p)


def beat_time(scene, local):
    """Where the picture's motion has got to `local` seconds into a scene: the shapes and the pan move
    in a burst on every beat of the music and settle before the next, as dancers do, so the video
    shows the beat the music plays (its kinematic beats). Over each beat they travel as far as at a
    steady speed, so the scene's mean motion still follows its energy."""
    period = 60.0 / scene["bpm"]
    beats = local / period
    whole = np.floor(beats)
    return period * (whole + 1 - (1 - (beats - whole)) ** 4)


def render(clip, t):
    """RGB24 frame [HEIGHT, WIDTH, 3] at time t."""
    scene = next((s for s in clip["scenes"] if t < s["end"]), clip["scenes"][-1])
    local = t - scene["start"]
    if clip["motion"] == "beat":
        local = beat_time(scene, local)
    ramp = (_YY / (HEIGHT - 1))[..., None]
    img = scene["bg_a"] * (1 - ramp) + scene["bg_b"] * ramp
    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * (_XX + scene["pan"] * local) / (2 * scene["stripe"]))
    img = img * (0.75 + 0.25 * stripes[..., None])
    for sh in scene["shapes"]:
        x = _bounce(sh["pos"][0] + sh["vel"][0] * local, WIDTH)
        y = _bounce(sh["pos"][1] + sh["vel"][1] * local, HEIGHT)
        if sh["square"]:
            mask = (np.abs(_XX - x) < sh["radius"]) & (np.abs(_YY - y) < sh["radius"])
        else:
            mask = (_XX - x) ** 2 + (_YY - y) ** 2 < sh["radius"] ** 2
        img[mask] = sh["colour"]
    for f in scene["flashes"]:
        if 0 <= t - f < 0.15:
            a = 1 - (t - f) / 0.15
            img = img * (1 - 0.85 * a) + 0.85 * a
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def subframe_times(seconds, fps=1.0):
    """Times of the frames ffmpeg's fps filter picks from a VIDEO_FPS file for the extractor's sub-frames:
    sub-frame k takes the last source frame j / VIDEO_FPS before (k + 0.5) / (8 fps)."""
    rate = extractor.SUB_FRAMES * fps
    n_src = int(round(seconds * VIDEO_FPS))
    n = extractor.count_frames(seconds, rate)
    j = np.minimum(np.ceil((np.arange(n) + 0.5) / rate * VIDEO_FPS - 1e-9).astype(int) - 1, n_src - 1)
    return np.maximum(j, 0) / VIDEO_FPS


def features(clip, fps=1.0):
    frames = (render(clip, t) for t in subframe_times(clip["seconds"], fps))
    return extractor.compute(frames, extractor.count_frames(clip["seconds"], fps))


def write_video(clip, path, audio=None):
    n = int(round(clip["seconds"] * VIDEO_FPS))
    args = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", f"{WIDTH}x{HEIGHT}", "-r", str(VIDEO_FPS), "-i", "pipe:0"]
    wav = None
    if audio is not None:
        wav = path + ".tmp.wav"
        write_wav(wav, audio)
        args += ["-i", wav, "-c:a", "aac", "-b:a", "96k"]
    args += ["-c:v", "libx264", "-preset", "medium", "-crf", "18", "-pix_fmt", "yuv420p", path]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE)
    for i in range(n):
        proc.stdin.write(render(clip, i / VIDEO_FPS).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed writing {path}")
    if wav:
        os.remove(wav)


# ---------------------------------------------------------------- music

def _env(n, decay_s, attack_s=0.002):
    t = np.arange(n) / SR
    return np.minimum(1, t / attack_s) * np.exp(-t / decay_s)


def kick(rng):
    n = int(0.3 * SR)
    t = np.arange(n) / SR
    f = 45 + 90 * np.exp(-t / 0.03)
    return np.sin(2 * np.pi * np.cumsum(f) / SR) * _env(n, 0.09)


def snare(rng):
    n = int(0.2 * SR)
    t = np.arange(n) / SR
    return (0.7 * rng.standard_normal(n) * _env(n, 0.05) + 0.4 * np.sin(2 * np.pi * 185 * t) * _env(n, 0.04))


def hat(rng):
    n = int(0.06 * SR)
    x = rng.standard_normal(n + 1)
    return 0.35 * np.diff(x) * _env(n, 0.012)


def crash(rng):
    n = int(0.8 * SR)
    x = rng.standard_normal(n + 1)
    return 0.45 * np.diff(x) * _env(n, 0.25)


def tone(freq, n, instrument):
    t = np.arange(n) / SR
    if instrument == "piano":
        partials, decay = [(1, 1.0), (2, 0.5), (3, 0.25), (4, 0.12)], 0.35
    elif instrument == "pluck":
        partials, decay = [(1, 1.0), (2, 0.7), (3, 0.5), (5, 0.3), (7, 0.15)], 0.12
    else:  # bell: inharmonic partials, long ring
        partials, decay = [(1, 1.0), (2.76, 0.5), (5.4, 0.25), (8.9, 0.1)], 0.6
    out = np.zeros(n)
    for k, a in partials:
        if k * freq < SR / 2:
            out += a * np.sin(2 * np.pi * k * freq * t) * np.exp(-t * k * 0.5 / decay)
    return out * _env(n, decay)


def midi_hz(m):
    return 440.0 * 2 ** ((m - 69) / 12)


def _add(buf, x, start):
    i = int(round(start * SR))
    if i >= len(buf) or i < 0:
        return
    m = min(len(x), len(buf) - i)
    buf[i:i + m] += x[:m]


def beat_times(clip):
    """Beats at each scene's tempo, the grid restarting on every cut (the cut is a downbeat)."""
    beats = []
    for s in clip["scenes"]:
        t = s["start"]
        while t < s["end"] - 1e-6:
            beats.append((t, s))
            t += 60.0 / s["bpm"]
    return beats


def hat_subdivisions(energy):
    """Hi-hats per beat: quarter, eighth or sixteenth notes as the scene's energy rises."""
    return 1 if energy < 0.35 else (2 if energy < 0.7 else 4)


def accent_times(clip):
    """The cuts, then every scene's flashes: where the drums put a crash and a kick."""
    return list(clip["cuts"]) + [f for s in clip["scenes"] for f in s["flashes"]]


def synthesise(clip):
    """(audio [seconds * SR] float32, beat times, accent times)."""
    rng = np.random.default_rng(clip["music_seed"])
    n = int(clip["seconds"] * SR)
    drums, bass, pad, lead = (np.zeros(n) for _ in range(4))
    scale = [0, 2, 4, 5, 7, 9, 11] if clip["major"] else [0, 2, 3, 5, 7, 8, 10]
    progression = [0, 4, 5, 3] if clip["major"] else [0, 5, 2, 6]
    root = clip["root"]
    beats = beat_times(clip)
    melody_degree = 7
    for b, (t, s) in enumerate(beats):
        bar = b // 4
        beat_in_bar = b % 4
        period = 60.0 / s["bpm"]
        e = s["energy"]
        degree = progression[bar % 4]
        chord = [scale[(degree + i) % 7] + 12 * ((degree + i) // 7) for i in (0, 2, 4)]
        register = 12 * int(s["value"] > 0.55)
        if clip["drums"]:
            if beat_in_bar in (0, 2) or (e > 0.7 and rng.uniform() < 0.3):
                _add(drums, kick(rng), t)
            if beat_in_bar in (1, 3):
                _add(drums, 0.8 * snare(rng), t)
            subdivisions = hat_subdivisions(e)
            for j in range(subdivisions):
                _add(drums, hat(rng) * (1.0 if j == 0 else 0.6), t + j * period / subdivisions)
        # Bass: chord root on each beat (eighths when energetic).
        bass_notes = 2 if e > 0.6 else 1
        for j in range(bass_notes):
            f = midi_hz(root - 12 + chord[0])
            m = int(period / bass_notes * SR * 0.9)
            tt = np.arange(m) / SR
            x = (np.sin(2 * np.pi * f * tt) + 0.3 * np.sin(4 * np.pi * f * tt)) * _env(m, 0.25)
            _add(bass, 0.5 * x, t + j * period / bass_notes)
        # Pad: the chord held for the bar, on its first beat.
        if beat_in_bar == 0:
            m = int(4 * period * SR)
            tt = np.arange(m) / SR
            x = sum(np.sin(2 * np.pi * midi_hz(root + 12 + c) * tt) for c in chord)
            x *= np.minimum(1, tt / 0.08) * np.minimum(1, (tt[::-1]) / 0.1)
            _add(pad, 0.08 * x, t)
        # Melody: eighth notes, density rising with energy, a random walk on the scale.
        for j in range(2):
            if rng.uniform() < 0.35 + 0.5 * e:
                melody_degree = int(np.clip(melody_degree + rng.integers(-2, 3), 3, 13))
                if j == 0 and rng.uniform() < 0.5:
                    melody_degree = 7 + [0, 2, 4][int(rng.integers(3))]
                note = root + 12 + register + scale[melody_degree % 7] + 12 * (melody_degree // 7)
                _add(lead, 0.35 * tone(midi_hz(note), int(0.9 * SR), clip["instrument"]), t + j * period / 2)
    accents = accent_times(clip)
    for a in accents:
        _add(drums, 0.7 * crash(rng), a)
        _add(drums, kick(rng), a)
    mix = 0.9 * drums + bass + pad + lead
    mix = np.tanh(1.2 * mix / (np.abs(mix).max() + 1e-6)) * 0.8
    return mix.astype(np.float32), np.array([t for t, _ in beats]), np.sort(np.array(accents))


def write_wav(path, audio):
    import wave

    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


# ---------------------------------------------------------------- corpus

def build(seed, clips, seconds, out, motion="steady", log_every=50):
    feats, audios, captions, attrs = [], [], [], []
    for i in range(clips):
        clip = describe(seed, i, seconds, motion)
        feats.append(features(clip))
        audio, beats, accents = synthesise(clip)
        audios.append((audio * 32767).astype(np.int16))
        captions.append(caption(clip))
        attrs.append([np.mean([s["bpm"] for s in clip["scenes"]]), clip["energy"], clip["bright"], clip["hue"],
                      float(clip["major"]), float(clip["drums"]), INSTRUMENTS.index(clip["instrument"]),
                      len(clip["scenes"])])
        if (i + 1) % log_every == 0:
            print(f"{i + 1}/{clips} clips", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.savez(out, features=np.stack(feats), audio=np.stack(audios), captions=np.array(captions),
             attributes=np.array(attrs, dtype=np.float32), seed=seed, seconds=seconds, motion=motion)
    print(f"wrote {out}: {clips} clips of {seconds} s")


def build_features(seed, clips, seconds, fps, out, start=0, motion="steady", log_every=50):
    """Only the `builtin` rows of clips [start, start + clips), at another video_fps than build's 1."""
    rows = []
    for i in range(start, start + clips):
        rows.append(features(describe(seed, i, seconds, motion), fps))
        if (i + 1 - start) % log_every == 0:
            print(f"{i + 1 - start}/{clips} clips", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.save(out, np.stack(rows).astype(np.float32))
    print(f"wrote {out}: {clips} clips at {fps} fps")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="features + audio + captions of N clips into one .npz")
    b.add_argument("--seed", type=int, required=True)
    b.add_argument("--clips", type=int, required=True)
    b.add_argument("--seconds", type=float, default=10.0)
    b.add_argument("--out", required=True)
    f = sub.add_parser("features", help="only the builtin rows of clips [start, start + N) at --fps, as .npy [N, rows, 24]")
    f.add_argument("--seed", type=int, required=True)
    f.add_argument("--clips", type=int, required=True)
    f.add_argument("--start", type=int, default=0)
    f.add_argument("--seconds", type=float, default=10.0)
    f.add_argument("--fps", type=float, required=True)
    f.add_argument("--out", required=True)
    v = sub.add_parser("video", help="write one clip as an mp4 (and optionally its music)")
    v.add_argument("--seed", type=int, required=True)
    v.add_argument("--index", type=int, required=True)
    v.add_argument("--seconds", type=float, default=10.0)
    v.add_argument("--out", required=True)
    v.add_argument("--audio", action="store_true", help="mux the synthesised music into the mp4")
    v.add_argument("--wav", help="also write the music as a 16 kHz wav")
    for command in (b, f, v):
        command.add_argument("--motion", choices=["steady", "beat"], default="steady",
                             help="steady motion, or shapes and pan moving in a burst on every beat")
    args = p.parse_args(argv)
    if args.command == "build":
        build(args.seed, args.clips, args.seconds, args.out, args.motion)
    elif args.command == "features":
        build_features(args.seed, args.clips, args.seconds, args.fps, args.out, args.start, args.motion)
    else:
        clip = describe(args.seed, args.index, args.seconds, args.motion)
        audio = synthesise(clip)[0] if (args.audio or args.wav) else None
        write_video(clip, args.out, audio if args.audio else None)
        if args.wav:
            write_wav(args.wav, audio)
        print(f"wrote {args.out}: {caption(clip)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
