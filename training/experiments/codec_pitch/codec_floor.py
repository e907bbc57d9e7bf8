"""Where the real-music codec's level errors lie, and what it does with silence and a steady tone.

    experiments/codec_pitch/codec_floor.py > experiments/codec_pitch/logs/codec_floor.log

On the 24 held-out videos' own music (evaluation/real_music.py): each cell's log-mel level (the card's scale,
0 dB = white noise at the original's RMS; both clips at the original's gain) through the codec's 4 levels,
grouped by the original's level; the cells' spread over frames; the decoded clips' overall level; the
share of decoded power that repeats every 320-sample frame; and the power above 4 kHz through Opus 6 kbit/s.
Then decoded silence (RMS, where its power lies) and the codes of a steady 440 Hz tone, level by level.
"""

import os
import sys

import numpy as np
import torch

TRAINING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, TRAINING)
sys.path.insert(0, os.path.join(TRAINING, "evaluation"))
import log_mel_distance  # noqa: E402
import real_music  # noqa: E402
from codec_pitch import frame_locked  # noqa: E402
from codec_vs_opus import load_codec, opus_roundtrip, round_trip  # noqa: E402
from train_codec_music import SMALL  # noqa: E402


def above(x, hz):
    power = np.abs(np.fft.rfft(x)) ** 2
    return float(power[np.fft.rfftfreq(len(x), 1 / 16000) > hz].sum() / power.sum())


def main():
    model, _ = load_codec(SMALL)
    index, held, rendered, _, _ = real_music.held_out_references()
    clips = [held[item["clip"]] for item in index]
    coded = [round_trip(model, r, 4) for r in rendered]
    original, decoded = [], []
    for r, c in zip(rendered, coded):
        gain = 1 / (np.sqrt(np.mean(r ** 2)) + 1e-9)
        n = min(len(r), len(c))
        original.append(log_mel_distance.log_mel_db(r[:n] * gain))
        decoded.append(log_mel_distance.log_mel_db(c[:n] * gain))
    original, decoded = np.concatenate(original), np.concatenate(decoded)
    print(f"{len(clips)} clips, {original.shape[0]} frames x {original.shape[1]} bands")
    for low in range(-60, 20, 10):
        cells = (original >= low) & (original < low + 10)
        print(f"original cells at {low} to {low + 10} dB: share {cells.mean():.3f}, original mean "
              f"{original[cells].mean():.1f} dB, decoded mean {decoded[cells].mean():.1f} dB")
    print(f"spread of each band over frames (std, mean over bands): original {original.std(0).mean():.1f} dB, "
          f"decoded {decoded.std(0).mean():.1f} dB")
    level = [20 * np.log10(np.sqrt(np.mean(c ** 2)) / np.sqrt(np.mean(r ** 2))) for r, c in zip(rendered, coded)]
    print(f"decoded RMS against the original's: mean {np.mean(level):.1f} dB")
    print(f"frame-locked share of the power over each 10 s clip: decoded mean {np.mean([frame_locked(c) for c in coded]):.3f}, "
          f"original mean {np.mean([frame_locked(r) for r in rendered]):.3f}")
    opus6 = [opus_roundtrip(c, 6)[0] for c in clips]
    print(f"power above 4 kHz: original {np.mean([above(r, 4000) for r in rendered]):.4f}, "
          f"through Opus 6 kbit/s {np.mean([above(o, 4000) for o in opus6]):.4f}")

    silence = round_trip(model, np.zeros(48000), 4)[8000:]
    power = np.abs(np.fft.rfft(silence * np.hanning(len(silence)))) ** 2
    freqs = np.fft.rfftfreq(len(silence), 1 / 16000)
    print(f"decoded silence: RMS {np.sqrt(np.mean(silence ** 2)):.4f} ({20 * np.log10(np.sqrt(np.mean(silence ** 2))):.1f} dBFS), "
          f"strongest at {freqs[np.argmax(power)]:.0f} Hz, share in 300-1000 Hz "
          f"{power[(freqs >= 300) & (freqs < 1000)].sum() / power.sum():.2f}, frame-locked {frame_locked(silence):.2f}")
    t = np.arange(48000) / 16000
    tone = 0.1 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.sin(2 * np.pi * 880 * t)
    with torch.no_grad():
        codes = model.rvq(model.encoder(torch.tensor(tone[None], dtype=torch.float32)))[1][0].numpy()
    for level in range(4):
        print(f"steady 440 Hz tone, level {level} codes, frames 50-64: {codes[level, 50:65].tolist()}")


if __name__ == "__main__":
    main()
