"""The real-music codec beside Opus on held-out real recordings: log-mel distance (log_mel_distance.py).

    codec_vs_opus.py [--checkpoint checkpoints/codec_music.pt] [--clips 24] [--levels 4 8 12]

The recordings are data/music/heldout_rec (music_corpus.py recordings --split heldout: the odd-numbered
Singularity tracks, which no training run reads); --clips of them, evenly spread. Each clip (10 s, 16 kHz)
goes through the codec at each --levels (bitrate = 50 frames/s x levels x 10 bits) and through FFmpeg's
libopus at 6 and 12 kbps (VBR, application audio; the bitrate actually spent, Ogg pages included, is
reported from the file size). Rendered held-out music (data/music/heldout: held-out Freedoom tracks and
composed pieces of seed 2) gets the same table with --set rendered. Results are appended to
logs/codec_vs_opus.log and written to logs/codec_vs_opus_SET.json.
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import torch

import sys
# training/ holds common (which puts weights-spec/reference and training/evaluation on the path) and the build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common
import log_mel_distance
import music_corpus
from codec_music import MusicCodec, bits_per_second
from train_codec_music import SMALL, to_float

SR = 16000


def opus_roundtrip(clip, kbps):
    """int16 clip -> (float reconstruction, bits per second spent). ffmpeg is given argument lists."""
    with tempfile.TemporaryDirectory() as tmp:
        raw, enc = os.path.join(tmp, "in.raw"), os.path.join(tmp, "out.opus")
        clip.astype("<i2").tofile(raw)
        subprocess.run(["ffmpeg", "-y", "-v", "error", "-f", "s16le", "-ar", str(SR), "-ac", "1", "-i", raw,
                        "-c:a", "libopus", "-b:a", f"{kbps}k", "-application", "audio", enc], check=True)
        spent = os.path.getsize(enc) * 8 / (len(clip) / SR)
        out = subprocess.run(["ffmpeg", "-v", "error", "-i", enc, "-ac", "1", "-ar", str(SR), "-f", "s16le", "-"],
                             check=True, capture_output=True).stdout
    # ffmpeg applies the Ogg Opus pre-skip, so the decoded samples line up with the input.
    return np.frombuffer(out, dtype=np.int16).astype(np.float64) / 32767, spent


def load_codec(path):
    s = torch.load(path, map_location="cpu")  # a GPU run saves CUDA tensors
    model = MusicCodec(s["config"])
    model.load_state_dict(to_float(s["model"]))
    return model.eval(), s


def round_trip(model, wav, levels):
    """A float waveform through the codec's encoder and its first `levels` levels -> float64 waveform."""
    with torch.no_grad():
        codes = model.rvq(model.encoder(torch.tensor(wav[None], dtype=torch.float32)))[1]
        return model.decode_codes(codes[:, :levels])[0].numpy().astype(np.float64)


def pick(audio, n):
    idx = np.linspace(0, len(audio) - 1, min(n, len(audio))).round().astype(int)
    return audio[idx]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=SMALL)
    p.add_argument("--set", choices=["recordings", "rendered"], default="recordings")
    p.add_argument("--clips", type=int, default=24)
    p.add_argument("--levels", type=int, nargs="+", default=[4, 8, 12])
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    folder = os.path.join(common.DATA, "music", "heldout_rec" if args.set == "recordings" else "heldout")
    audio, _ = music_corpus.load_shards(folder)
    clips = pick(audio, args.clips)
    model, state = load_codec(args.checkpoint)
    config = state["config"]
    rows = {}
    with torch.no_grad():
        for clip in clips:
            ref = clip.astype(np.float64) / 32767
            codes = model.rvq(model.encoder(torch.tensor(ref[None], dtype=torch.float32)))[1]
            for levels in args.levels:
                out = model.decode_codes(codes[:, :levels])[0].numpy()
                name = f"codec {levels} levels"
                rows.setdefault(name, {"bps": bits_per_second(config, levels), "d": []})["d"].append(
                    log_mel_distance.distance(ref, out))
            for kbps in (6, 12):
                out, spent = opus_roundtrip(clip, kbps)
                row = rows.setdefault(f"opus {kbps} kbps", {"bps": [], "d": []})
                row["bps"].append(spent)
                row["d"].append(log_mel_distance.distance(ref, out))
    result = {"checkpoint": os.path.relpath(args.checkpoint, common.HERE), "step": state["step"],
              "training_minutes": round(state["seconds"] / 60, 1), "set": args.set, "clips": len(clips),
              "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": {}}
    lines = [f"# {result['measured']}: {args.set}, {len(clips)} held-out clips of 10 s, checkpoint "
             f"{result['checkpoint']} (step {state['step']}, {result['training_minutes']} min of training)",
             f"{'':20s} {'kbit/s':>8s} {'log-mel dist (dB)':>18s} {'95% interval':>16s}"]
    for name, row in rows.items():
        d = np.array(row["d"])
        bps = float(np.mean(row["bps"]))
        half = 1.96 * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        result["rows"][name] = {"kbps": round(bps / 1000, 2), "log_mel_db": round(float(d.mean()), 3),
                                "ci95": round(float(half), 3), "per_clip": [round(float(x), 3) for x in d]}
        lines.append(f"{name:20s} {bps / 1000:8.2f} {d.mean():18.2f} {d.mean() - half:7.2f}..{d.mean() + half:.2f}")
    for line in lines:
        common.log("codec_vs_opus.log", line)
    with open(os.path.join(common.LOGS, f"codec_vs_opus_{args.set}.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
