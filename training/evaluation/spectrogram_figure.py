"""Spectrograms of one held-out clip along the chain of stages, as a PNG (no plotting library needed).

    spectrogram_figure.py --bundle DIR [--clip 0] [--seconds 5] [--out figures/heldout0_spectrograms.png]

Panels, top to bottom (0-4 kHz, time left to right, each scaled to its own peak, 60 dB range):
the corpus music, the clip's true codes through the codec, the true semantic tokens through
stages 2 and 3 and the codec, and the music generated from the clip's video (seed 0): rhythm_chain.py's links.
"""

import argparse
import os
import struct
import zlib

import numpy as np
import torch

import sys
# training/ holds common (which puts weights-spec/reference and training/evaluation on the path) and the build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common
import pipeline  # weights-spec/reference/pipeline.py, on the path once common is imported
import rhythm_chain

SEPARATOR = 6  # white rows between panels


def spectrogram(wav, seconds, n_fft=512, hop=80, top_hz=4000.0, range_db=60.0):
    """[rows, columns] in 0..1, low frequencies at the bottom, one column per hop."""
    x = torch.tensor(wav[: int(seconds * common.SR)], dtype=torch.float32)
    mag = torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft), return_complex=True).abs().numpy()
    mag = mag[: int(top_hz / (common.SR / n_fft))]
    db = 20 * np.log10(mag + 1e-9)
    return np.clip((db - db.max() + range_db) / range_db, 0, 1)[::-1]


def colour(v):
    """0..1 -> RGB bytes on a black-purple-orange-yellow ramp."""
    stops = np.array([[0, 0, 0], [80, 18, 123], [230, 90, 40], [252, 253, 191]], dtype=np.float64)
    pos = v * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i)[..., None]
    return (stops[i] * (1 - f) + stops[i + 1] * f).astype(np.uint8)


def write_png(path, rgb):
    """8-bit RGB PNG, rows unfiltered."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def chain(bundle, clip):
    config, models = pipeline.load_bundle(bundle)
    held = common.load_corpus("heldout")
    semantic = np.load(os.path.join(common.DATA, "semantic_heldout.npy")).astype(np.int64)[clip]
    codes = np.load(os.path.join(common.DATA, "codes_heldout.npy")).astype(np.int64)[clip]
    features = common.load_features("heldout", config)[clip]
    return [held["audio"][clip].astype(np.float32) / 32767] + [
        rhythm_chain.link_music(config, models, link, features, semantic, codes)
        for link in ("codes", "semantic->2->3", "video->1->2->3")]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--clip", type=int, default=0)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--out", default=os.path.join(common.HERE, "figures", "heldout0_spectrograms.png"))
    args = p.parse_args()
    torch.set_num_threads(1)
    panels = [colour(np.repeat(spectrogram(w, args.seconds), 2, axis=0)) for w in chain(args.bundle, args.clip)]
    gap = np.full((SEPARATOR, panels[0].shape[1], 3), 255, dtype=np.uint8)
    rgb = np.concatenate([x for panel in panels for x in (panel, gap)][:-1])
    write_png(args.out, rgb)
    print(f"{args.out}: {rgb.shape[1]}x{rgb.shape[0]}, {len(panels)} panels")


if __name__ == "__main__":
    main()
