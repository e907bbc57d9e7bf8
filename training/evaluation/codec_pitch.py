"""Does the real-music codec keep a held note's pitch? General MIDI notes through the codec, in cents.

    codec_pitch.py [--checkpoint checkpoints/codec_music.pt ...] [--levels 4] [--opus 6 12] [--unquantised]
                   [--out logs/codec_pitch.json]

Each note (8 instruments over their ranges, 5 semitones apart, so every pitch class comes up) is rendered
by fluidsynth through both of the corpus's banks, dry, 1.6 s held, scaled to RMS 0.05, and goes through
each --checkpoint's codec at its first --levels levels (what the default model decodes). On the steady part
(0.3-1.3 s), the strongest spectral peak of the original between 0.8 and 8 times the note's frequency is
the reference partial (at most 7.5 kHz); the coded note's pitch is its strongest peak within ±15 % of that
partial, so errors read at most ±242 cents (8-times zero-padded Hann FFT of the 1 s: 0.125 Hz bins). Reported: the median absolute error in cents, the share of notes
within 20 cents (about where a held note starts to sound out of tune beside the others), and the share of the
coded power locked to the codec's 320-sample frame (the synchronous average over frames: a decoder that
repeats one waveform a frame plays every note at a multiple of 50 Hz; the originals have under 0.02). The
same notes through FFmpeg's libopus at each --opus bitrate (codec_vs_opus.py's round trip) give the rows a
listener would compare with.
"""

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
import midi_file  # noqa: E402
import music_corpus  # noqa: E402
from codec_vs_opus import load_codec, opus_roundtrip, round_trip  # noqa: E402
from train_codec_music import SMALL  # noqa: E402

# (GM program, name, lowest and highest MIDI note played)
INSTRUMENTS = [(0, "piano", 36, 96), (24, "nylon guitar", 40, 84), (33, "finger bass", 28, 60),
               (48, "strings", 36, 96), (56, "trumpet", 52, 84), (71, "clarinet", 50, 90),
               (73, "flute", 60, 96), (19, "church organ", 36, 96)]
HOP = 320
STEADY = (0.3, 1.3)


def notes():
    """(program, name, pitch) for every note measured."""
    return [(prog, name, pitch) for prog, name, low, high in INSTRUMENTS for pitch in range(low, high + 1, 5)]


def render_note(program, pitch, bank):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "note.mid")
        midi_file.write(path, [(0, 1.6, 0, pitch, 100)], 60, {0: program})
        wav = music_corpus.render_midi(path, bank, reverb=False)[:int(2.0 * common.SR)]
    return wav / (np.sqrt(np.mean(wav ** 2)) + 1e-12) * 0.05


def rendered_notes():
    """[((program, name, pitch, bank), float64 wav)] for every note through both banks, cached in runs/."""
    keys = [(prog, name, pitch, bank) for prog, name, pitch in notes() for bank in music_corpus.BANKS]
    names = np.array([f"{prog} {pitch} {os.path.basename(bank)}" for prog, _, pitch, bank in keys])
    cache = os.path.join(common.RUNS, "codec_pitch_notes.npz")
    if os.path.exists(cache):
        saved = np.load(cache)
        if "keys" in saved.files and np.array_equal(saved["keys"], names):
            return list(zip(keys, saved["notes"]))
    wavs = [render_note(prog, pitch, bank) for prog, _, pitch, bank in keys]
    os.makedirs(common.RUNS, exist_ok=True)
    np.savez(cache + ".tmp.npz", notes=np.stack(wavs), keys=names)
    os.replace(cache + ".tmp.npz", cache)
    return list(zip(keys, wavs))


def spectrum(x):
    a, b = (int(s * common.SR) for s in STEADY)
    seg = x[a:b] * np.hanning(b - a)
    return np.abs(np.fft.rfft(seg, 8 * len(seg))), np.fft.rfftfreq(8 * len(seg), 1 / common.SR)


def peak(mag, freqs, lo, hi):
    band = (freqs >= lo) & (freqs <= hi)
    return float(freqs[band][np.argmax(mag[band])])


def frame_locked(x):
    """Share of x's power (whole frames of it) in its synchronous average over codec frames."""
    seg = x[:len(x) // HOP * HOP]
    pattern = seg.reshape(-1, HOP).mean(0)
    return float(np.mean(np.tile(pattern, len(seg) // HOP) ** 2) / np.mean(seg ** 2))


def frame_locked_share(x):
    """frame_locked of the steady part."""
    a, b = (int(s * common.SR) for s in STEADY)
    return frame_locked(x[a:b])


def cents_error(original, coded, pitch):
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    mag, freqs = spectrum(original)
    partial = peak(mag, freqs, 0.8 * f0, min(8 * f0, 7500.0))
    mag, freqs = spectrum(coded)
    return 1200 * np.log2(peak(mag, freqs, partial / 1.15, partial * 1.15) / partial)


def through_codec(model, levels):
    return lambda wav: round_trip(model, wav, levels)


def through_decoder(model):
    """The decoder on the encoder's output as it is, unquantised: what the decoder makes of everything the
    encoder keeps."""
    def code(wav):
        with torch.no_grad():
            latent = model.encoder(torch.tensor(wav[None], dtype=torch.float32))
            return common.decode_waveform(model.decoder, latent)[0].numpy().astype(np.float64)
    return code


def through_opus(kbps):
    return lambda wav: opus_roundtrip(np.round(wav * 32767).astype(np.int16), kbps)[0]


def measure(code, rendered):
    """One row per note: the pitch error and frame-locked share of code(wav), the round trip measured."""
    rows = []
    for (program, name, pitch, bank), wav in rendered:
        coded = code(wav)
        rows.append({"instrument": name, "pitch": pitch, "bank": os.path.basename(bank),
                     "cents": round(float(cents_error(wav, coded, pitch)), 1),
                     "frame_locked": round(frame_locked_share(coded), 3),
                     "frame_locked_original": round(frame_locked_share(wav), 3)})
    return rows


def summary(rows):
    cents = np.abs([r["cents"] for r in rows])
    out = {"notes": len(rows), "median_abs_cents": round(float(np.median(cents)), 1),
           "within_20_cents": round(float(np.mean(cents <= 20)), 3),
           "frame_locked": round(float(np.mean([r["frame_locked"] for r in rows])), 3),
           "frame_locked_original": round(float(np.mean([r["frame_locked_original"] for r in rows])), 3)}
    names = dict.fromkeys(r["instrument"] for r in rows)
    out["by_instrument"] = {name: round(float(np.median(np.abs([r["cents"] for r in rows if r["instrument"] == name]))), 1)
                            for name in names}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", action="append", help="codec checkpoint(s); default checkpoints/codec_music.pt")
    p.add_argument("--levels", type=int, default=4)
    p.add_argument("--opus", type=int, nargs="*", default=[6, 12], help="libopus bitrates (kbit/s) to measure beside")
    p.add_argument("--unquantised", action="store_true",
                   help="also each checkpoint's decoder on the encoder's unquantised output")
    p.add_argument("--out", default=os.path.join(common.LOGS, "codec_pitch.json"))
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    rendered = rendered_notes()
    result = {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "levels": args.levels, "codecs": {}}
    runs = []
    for path in args.checkpoint or [SMALL]:
        model, state = load_codec(path)
        name = f"{os.path.relpath(path, common.HERE)} (step {state['step']})"
        runs.append((f"{name}, {args.levels} levels", through_codec(model, args.levels)))
        if args.unquantised:
            runs.append((f"{name}, unquantised", through_decoder(model)))
    runs += [(f"opus {kbps} kbps", through_opus(kbps)) for kbps in args.opus]
    for name, code in runs:
        rows = measure(code, rendered)
        result["codecs"][name] = {"summary": summary(rows), "notes": rows}
        common.log(os.path.splitext(args.out)[0] + ".log", f"# {result['measured']}: {name}: {json.dumps(summary(rows))}")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
