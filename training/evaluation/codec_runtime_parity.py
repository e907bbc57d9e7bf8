"""The runtime's codec beside the Python codec it was exported from, on held-out real recordings.

    codec_runtime_parity.py --bundle DIR [--checkpoint checkpoints/codec_music.pt] [--clips 8] [--levels 4 12]
                            [--v2meow ../v2meow] [--device cpu]

DIR is the checkpoint exported with export_codec_music.py. Each clip (10 s, 16 kHz, from data/music/heldout_rec,
evenly spread as codec_vs_opus.py picks them) goes as a float32 WAV through `v2meow codec encode` and
`v2meow codec roundtrip --levels L`, and through the checkpoint's MusicCodec in PyTorch (encoder, the RVQ's nearest
codes, decode_codes of the first L levels), whose output is rounded to 16-bit as the runtime's WAV is. Reported:
the share of codes on which the two agree (all levels), the log-mel distance (log_mel_distance.py) of each
reconstruction to the recording, and the distance between the two reconstructions. Agreement to float32 noise
means equal codes but for near-ties (the Python RVQ computes |r|² − 2r·c + |c|², the runtime SPEC §9.3's direct
differences) and reconstructions whose log-mel distance to each other is far below either one's to the recording.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
import log_mel_distance  # noqa: E402
import music_corpus  # noqa: E402
import safetensors_io  # noqa: E402
from codec_vs_opus import load_codec, pick  # noqa: E402
from train_codec_music import SMALL  # noqa: E402

SR = 16000


def write_float_wav(path, samples):
    """Mono IEEE-float WAV (format 3): the runtime reads exactly these float32 samples."""
    data = np.asarray(samples, dtype="<f4").tobytes()
    header = b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
    header += (3).to_bytes(2, "little") + (1).to_bytes(2, "little") + SR.to_bytes(4, "little")
    header += (SR * 4).to_bytes(4, "little") + (4).to_bytes(2, "little") + (32).to_bytes(2, "little")
    with open(path, "wb") as f:
        f.write(header + b"data" + len(data).to_bytes(4, "little") + data)


def read_pcm16_wav(path):
    """The runtime's 16-bit WAV as floats, scaled back by 32767 as WavWriter scales."""
    with open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw[44:], dtype="<i2").astype(np.float64) / 32767


def as_pcm16(x):
    """A reconstruction rounded to 16 bits as the runtime's WavWriter rounds it."""
    return np.round(np.clip(x, -1, 1) * 32767) / 32767


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--checkpoint", default=SMALL)
    p.add_argument("--clips", type=int, default=8)
    p.add_argument("--levels", type=int, nargs="+", default=[4, 12])
    p.add_argument("--v2meow", default=os.path.join(common.HERE, "..", "v2meow"))
    p.add_argument("--device", default="cpu")
    p.add_argument("--data", default=os.path.join(common.DATA, "music", "heldout_rec"))
    args = p.parse_args()
    torch.set_num_threads(1)
    audio, _ = music_corpus.load_shards(args.data)
    clips = pick(audio, args.clips)
    model, state = load_codec(args.checkpoint)
    rows = {level: {"runtime": [], "python": [], "between": []} for level in args.levels}
    agree, total, seconds = 0, 0, 0.0
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for i, clip in enumerate(clips):
            ref = clip.astype(np.float64) / 32767
            x = ref.astype(np.float32)
            wav = os.path.join(tmp, f"clip{i}.wav")
            write_float_wav(wav, x)
            codes_path = os.path.join(tmp, f"clip{i}.safetensors")
            subprocess.run([args.v2meow, "codec", "encode", wav, "-o", codes_path, "--bundle", args.bundle,
                            "--device", args.device], check=True, capture_output=True)
            runtime_codes = safetensors_io.read(codes_path)[0]["codes"]
            python_codes = model.rvq(model.encoder(torch.from_numpy(x)[None]))[1][0].numpy()
            agree += int((runtime_codes == python_codes).sum())
            total += runtime_codes.size
            for level in args.levels:
                out = os.path.join(tmp, f"clip{i}.{level}.wav")
                start = time.time()
                subprocess.run([args.v2meow, "codec", "roundtrip", wav, "-o", out, "--bundle", args.bundle,
                                "--levels", str(level), "--device", args.device], check=True, capture_output=True)
                seconds += time.time() - start
                runtime = read_pcm16_wav(out)
                python = as_pcm16(model.decode_codes(torch.from_numpy(python_codes[None, :level]).long())[0].numpy())
                rows[level]["runtime"].append(log_mel_distance.distance(ref, runtime))
                rows[level]["python"].append(log_mel_distance.distance(ref, python))
                rows[level]["between"].append(log_mel_distance.distance(python, runtime))
            print(f"clip {i}: codes agree {int((runtime_codes == python_codes).sum())}/{runtime_codes.size}", flush=True)

    lines = [f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {len(clips)} held-out recordings of 10 s, "
             f"checkpoint {os.path.relpath(args.checkpoint, common.HERE)} (step {state['step']}), bundle {args.bundle}, "
             f"runtime device {args.device}",
             f"codes equal in runtime and PyTorch: {agree}/{total} ({100 * agree / total:.3f} %)",
             f"{'levels':>6s} {'runtime dB':>11s} {'PyTorch dB':>11s} {'runtime vs PyTorch dB':>22s} {'max per clip':>13s}"]
    for level, row in rows.items():
        lines.append(f"{level:6d} {np.mean(row['runtime']):11.4f} {np.mean(row['python']):11.4f} "
                     f"{np.mean(row['between']):22.4f} {np.max(row['between']):13.4f}")
    lines.append(f"runtime roundtrip wall time (CLI start, load, encode, decode of 10 s): {seconds / (len(clips) * len(args.levels)):.2f} s a clip")
    for line in lines:
        common.log("codec_runtime_parity.log", line)


if __name__ == "__main__":
    main()
