"""How well music fits its video: LORIS's beat scores and AV-Align, the reference for `v2meow score`.

    score.py VIDEO AUDIO [--json] [--curves]

docs/scoring.md states every definition; in short:

- Audio: mono (channels averaged), 16 kHz. A WAV at 16 kHz is read as it is (integer PCM divided by
  2^(bits-1)); anything else is decoded and resampled by ffmpeg (-ac 1 -ar 16000, 32-bit float).
- Onsets: training/text_tower.py's onset_envelope and onset_times in numpy: power spectrum of 512-sample
  frames every 160 samples (periodic Hann, centred with reflection), 64 HTK-mel bands 30 Hz-8 kHz
  (common.mel_filterbank), ln(mel + 1e-5), spectral flux = mean over bands of the positive differences;
  peaks above mean + 0.25 std, >= previous, > next, at least 5 frames apart, at (j + 1) / 100 s.
- Motion: frames at the video's own rate (ffprobe avg_frame_rate, at most 30 fps), decoded by ffmpeg exactly
  as the runtime's VideoFrameReader decodes them (fps filter rounding to nearest, area scaling to a shorter
  side of at most 128 pixels, RGB24), gray by cv2.cvtColor, then AV-Align's
  cv2.calcOpticalFlowFarneback(prev, next, None, 0.5, 3, 15, 3, 5, 1.2, 0); m[i] = mean flow magnitude
  into frame i, m[0] = m[1]. Visual beats: strict local maxima of m, at i / fps.
- AV-Align (Yariv et al. 2024): onsets with a visual beat within one frame (open interval), over onsets +
  beats - matched.
- LORIS (Yu et al. 2023, beats_scores.py): 1-second bins; a bin is a beat bin of a side when it holds one of
  its times; the video's visual beats are the reference, the music's onsets the generated beats; BCS =
  hits / music beat bins, BHS = hits / visual beat bins, F1 their harmonic mean.

The runtime's C# (runtime/V2Meow.Runtime/Scoring) reimplements all of it, Farneback included; the committed
fixtures in tests/fixtures/score/ hold this script's numbers, which the .NET tests compare against.
"""

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np
from scipy.io import wavfile

SR = 16000
N_FFT = 512
HOP = 160
BANDS = 64
ENVELOPE_RATE = SR / HOP
DELTA = 0.25
WAIT = 5
MAX_FPS = 30.0
FALLBACK_FPS = 25.0
SHORT_SIDE = 128


# ---------------------------------------------------------------- audio and onsets

def mel_filterbank(n_fft=N_FFT, bands=BANDS, fmin=30.0, fmax=8000.0):
    """training/common.py mel_filterbank, in float64."""
    def hz_to_mel(f):
        return 2595 * np.log10(1 + f / 700)

    def mel_to_hz(m):
        return 700 * (10 ** (m / 2595) - 1)

    freqs = np.linspace(0, SR / 2, n_fft // 2 + 1)
    points = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), bands + 2))
    fb = np.zeros((bands, len(freqs)))
    for i in range(bands):
        lo, mid, hi = points[i], points[i + 1], points[i + 2]
        fb[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return fb


def read_audio(path):
    """Mono float32 samples at 16 kHz."""
    if path.lower().endswith(".wav"):
        try:
            rate, data = wavfile.read(path)
        except ValueError:
            rate, data = None, None
        if rate == SR:
            if data.dtype == np.uint8:
                x = (data.astype(np.float64) - 128) / 128
            elif data.dtype.kind == "i":
                x = data.astype(np.float64) / float(2 ** (8 * data.dtype.itemsize - 1))
            else:
                x = data.astype(np.float64)
            if x.ndim == 2:
                x = x.mean(axis=1)
            return x.astype(np.float32)
    out = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
                          "-i", "file:" + os.path.abspath(path), "-map", "0:a:0", "-vn", "-sn", "-dn",
                          "-ac", "1", "-ar", str(SR), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype="<f4").copy()


def onset_envelope(x):
    """Spectral flux of the 100 Hz log-mel; empty for FFT/2 samples or less."""
    x = np.asarray(x, dtype=np.float64)
    if len(x) <= N_FFT // 2:
        return np.zeros(0)
    padded = np.pad(x, N_FFT // 2, mode="reflect")
    frames = 1 + len(x) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2
    mel = np.log(power @ mel_filterbank().T + 1e-5)
    return np.maximum(mel[1:] - mel[:-1], 0).mean(axis=1)


def onset_times(envelope):
    """training/text_tower.py onset_times."""
    e = np.asarray(envelope, dtype=np.float64)
    if len(e) < 3:
        return np.zeros(0)
    threshold = e.mean() + DELTA * e.std()
    peaks, last = [], -WAIT
    for i in range(1, len(e) - 1):
        if e[i] > threshold and e[i] >= e[i - 1] and e[i] > e[i + 1] and i - last >= WAIT:
            peaks.append(i)
            last = i
    return (np.array(peaks, dtype=np.float64) + 1) / ENVELOPE_RATE


# ---------------------------------------------------------------- video and motion

def _rate(text):
    if not text or "/" not in text:
        return 0.0
    num, den = text.split("/")
    return float(num) / float(den) if float(den) != 0 else 0.0


def _tag_seconds(tags):
    for key, value in (tags or {}).items():
        if key.upper() == "DURATION":
            h, m, s = value.split(":")
            return int(h) * 3600 + int(m) * 60 + float(s)
    return 0.0


def probe(path):
    """(stream index, width, height, duration, frame rate) of the first video stream, as VideoProbe reads them."""
    info = json.loads(subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                                      "file:" + os.path.abspath(path)], check=True, capture_output=True).stdout)
    video = next(s for s in info["streams"] if s.get("codec_type") == "video"
                 and not s.get("disposition", {}).get("attached_pic"))
    seconds = float(video.get("duration", 0) or 0) or _tag_seconds(video.get("tags")) or float(info["format"].get("duration", 0))
    rate = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    return video["index"], int(video["width"]), int(video["height"]), seconds, rate


def output_size(width, height, short_side=SHORT_SIDE):
    """VideoFrameReader.OutputSize: scaled down so the shorter side is at most short_side, each side even."""
    scale = short_side / min(width, height) if min(width, height) > short_side else 1.0
    return tuple(max(2, 2 * int(math.floor(s * scale / 2 + 1e-9))) for s in (width, height))


def frame_rate(rate):
    return min(rate, MAX_FPS) if rate > 0 and math.isfinite(rate) else FALLBACK_FPS


def read_frames(path):
    """RGB24 frames [n, h, w, 3] at the analysis rate, exactly as the runtime's VideoFrameReader yields them; and the rate."""
    index, width, height, seconds, rate = probe(path)
    fps = frame_rate(rate)
    w, h = output_size(width, height)
    out = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
                          "-i", "file:" + os.path.abspath(path), "-map", f"0:{index}", "-an", "-sn", "-dn",
                          "-vf", f"fps=fps={fps!r}:start_time=0:round=near:eof_action=pass,scale={w}:{h}:flags=area,format=rgb24",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], check=True, capture_output=True).stdout
    frames = np.frombuffer(out, dtype=np.uint8)[: len(out) // (w * h * 3) * (w * h * 3)].reshape(-1, h, w, 3)
    count = max(1, math.ceil(max(0.0, seconds) * fps - 1e-6))
    if len(frames) < count:
        frames = np.concatenate([frames, np.repeat(frames[-1:], count - len(frames), axis=0)])
    return frames[:count], fps, seconds


def motion_curve(frames):
    """AV-Align's flow trajectory: mean Farneback magnitude into each frame, the first pair's value first."""
    import cv2

    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    mags = []
    for prev, cur in zip(gray[:-1], gray[1:]):
        flow = cv2.calcOpticalFlowFarneback(prev, cur, None, 0.5, 3, 15, 3, 5, 1.2, 0)
        mags.append(float(cv2.mean(cv2.magnitude(flow[..., 0], flow[..., 1]))[0]))
    return ([mags[0]] + mags) if mags else []


def local_maxima(curve, fps):
    return [i / fps for i in range(1, len(curve) - 1) if curve[i - 1] < curve[i] > curve[i + 1]]


# ---------------------------------------------------------------- scores

def av_align(onsets, beats, fps):
    matched = sum(1 for a in onsets if any(v - 1 / fps < a < v + 1 / fps for v in beats))
    union = len(onsets) + len(beats) - matched
    return matched / union if union else 0.0


def loris(onsets, audio_seconds, beats, video_seconds):
    bins = int(min(math.ceil(max(0.0, audio_seconds)), math.ceil(max(0.0, video_seconds))))

    def binned(times):
        b = np.zeros(bins, dtype=bool)
        for t in times:
            k = math.floor(t)
            if 0 <= k < bins:
                b[k] = True
        return b

    music, video = binned(onsets), binned(beats)
    hits = int((music & video).sum())
    coverage = hits / music.sum() if music.sum() else 0.0
    hit = hits / video.sum() if video.sum() else 0.0
    f1 = 2 * coverage * hit / (coverage + hit) if coverage + hit else 0.0
    return float(coverage), float(hit), float(f1), bins


def score(video_path, audio_path):
    audio = read_audio(audio_path)
    onsets = onset_times(onset_envelope(audio)).tolist()
    frames, fps, seconds = read_frames(video_path)
    curve = motion_curve(frames)
    beats = local_maxima(curve, fps)
    coverage, hit, f1, bins = loris(onsets, len(audio) / SR, beats, seconds)
    return {
        "beat_coverage": coverage, "beat_hit": hit, "beat_f1": f1, "av_align": av_align(onsets, beats, fps),
        "audio_onsets": len(onsets), "visual_beats": len(beats), "bins": bins, "fps": fps,
        "onsets": onsets, "beats": beats, "motion": curve,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("video")
    parser.add_argument("audio")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--curves", action="store_true", help="with --json: the onset times, beat times and motion curve too")
    args = parser.parse_args()
    result = score(args.video, args.audio)
    if not args.curves:
        for key in ("onsets", "beats", "motion"):
            result.pop(key)
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        for key, value in result.items():
            print(f"{key:14} {value}")


if __name__ == "__main__":
    main()
