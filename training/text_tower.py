"""A small MuLan-style text tower: caption words -> 128-d style vector, trained contrastively against audio.

    text_tower.py train [--seed 0] [--steps 1500]   # -> text_tower.json, data/style_{train,heldout}.npy
    text_tower.py styles                            # data/style_*.npy again from the committed text_tower.json
    text_tower.py embed "fast bright major piano drums" --out style.npy   # for --style-embedding
    text_tower.py --vocabulary music train          # default model v5's: text_tower_music.json, with
                                                    # V2MEOW_SET=v5 (music_dataset.py)

Text side: the caption's words (vocabulary corpus.WORDS for the synthetic corpus, music_corpus.WORDS for the
real-music one; unknown words are ignored) as a bag of words, times a [words, 128] matrix, L2-normalised:
the style vector is the normalised sum of the word vectors, so the shipped tower is just a table of
vectors (text_tower.json) and any combination of the words is a valid prompt. Captions are split on
whitespace and the punctuation of the real-music captions (",;"), as the runtime splits prompts (SPEC).

Audio side (training only): per clip, the mean and standard deviation over
time of the 64-band log-mel (25 Hz), the onset rate and the mean spectral
centroid, standardised, through a two-layer MLP to 128-d, L2-normalised.

Loss: symmetric InfoNCE (temperature 0.1) over a batch; clips sharing the
same caption count as positives of each other.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import common
import corpus
import music_corpus

HERE = os.path.dirname(os.path.abspath(__file__))
VOCABULARIES = {"synthetic": (corpus.WORDS, os.path.join(HERE, "text_tower.json")),
                "music": (music_corpus.WORDS, os.path.join(HERE, "text_tower_music.json"))}
# Set by main() from --vocabulary: the word list and the tower file of the corpus trained on.
WORDS, TOWER = VOCABULARIES["synthetic"]


def words_of(text):
    return [w for w in re.split(r"[\s,;]+", str(text).lower()) if w]


def bag_of_words(captions):
    out = np.zeros((len(captions), len(WORDS)), dtype=np.float32)
    for i, c in enumerate(captions):
        for w in words_of(c):
            if w in WORDS:
                out[i, WORDS.index(w)] += 1
    return out


def onset_envelope(wav):
    """Spectral flux of a 100 Hz log-mel: [B, frames]."""
    mel = common.log_mel(wav, hop=160, n_fft=512)
    return torch.relu(mel[:, 1:] - mel[:, :-1]).mean(-1)


def onset_times(envelope, rate=100.0, delta=0.25, wait=5, threshold=None):
    """Peaks of one onset envelope: local maxima above mean + delta * std (or above a fixed `threshold`), at least
    `wait` frames apart."""
    e = np.asarray(envelope, dtype=np.float64)
    if threshold is None:
        threshold = e.mean() + delta * e.std()
    peaks, last = [], -wait
    for i in range(1, len(e) - 1):
        if e[i] > threshold and e[i] >= e[i - 1] and e[i] > e[i + 1] and i - last >= wait:
            peaks.append(i)
            last = i
    return (np.array(peaks) + 1) / rate


def spectral_centroid(wav):
    spec = torch.stft(wav, 1024, 256, window=torch.hann_window(1024), return_complex=True).abs()
    freqs = torch.linspace(0, common.SR / 2, spec.shape[1])
    return ((spec * freqs[None, :, None]).sum(1) / (spec.sum(1) + 1e-8)).mean(-1)


def audio_descriptors(audio_int16):
    rows = []
    for i in range(0, audio_int16.shape[0], 32):
        wav = torch.tensor(audio_int16[i:i + 32].astype(np.float32) / 32767)
        mel = common.log_mel(wav, hop=640)
        env = onset_envelope(wav)
        rate = torch.tensor([len(onset_times(e)) / (wav.shape[1] / common.SR) for e in env.numpy()])
        rows.append(torch.cat([mel.mean(1), mel.std(1), rate[:, None], spectral_centroid(wav)[:, None] / 1000], 1))
    return torch.cat(rows).numpy()


class AudioTower(nn.Module):
    def __init__(self, dim_in, dim=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim_in, 256), nn.GELU(), nn.Linear(256, dim))

    def forward(self, x):
        return F.normalize(self.net(x), dim=-1)


def embed_words(table, bow):
    return F.normalize(bow @ table, dim=-1)


def train(args):
    torch.manual_seed(args.seed)
    train_set, held = common.load_corpus("train"), common.load_corpus("heldout")
    a_train, a_held = audio_descriptors(train_set["audio"]), audio_descriptors(held["audio"])
    mean, std = a_train.mean(0), a_train.std(0) + 1e-5
    a_train = torch.tensor((a_train - mean) / std, dtype=torch.float32)
    a_held = torch.tensor((a_held - mean) / std, dtype=torch.float32)
    b_train = torch.tensor(bag_of_words(train_set["captions"]))
    b_held = torch.tensor(bag_of_words(held["captions"]))
    table = nn.Parameter(torch.randn(len(WORDS), 128) * 0.1)
    tower = AudioTower(a_train.shape[1])
    opt = torch.optim.Adam([table, *tower.parameters()], lr=3e-3)
    same = (b_train[:, None, :] == b_train[None, :, :]).all(-1).float()
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, a_train.shape[0], (128,))
        t = embed_words(table, b_train[idx])
        a = tower(a_train[idx])
        sim = t @ a.t() / 0.1
        pos = same[idx][:, idx]
        target = pos / pos.sum(1, keepdim=True)
        loss = 0.5 * (-(target * F.log_softmax(sim, 1)).sum(1).mean() - (target * F.log_softmax(sim.t(), 1)).sum(1).mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            with torch.no_grad():
                # Held-out: for each clip, is its own caption the best of all held-out captions for its audio?
                sim_h = tower(a_held) @ embed_words(table, b_held).t()
                hit = (b_held[sim_h.argmax(1)] == b_held).all(-1).float().mean().item()
                # Per attribute: does the audio prefer its own word over the opposite one?
                pairs = [(a, b) for a, b in (("slow", "fast"), ("bright", "dark"), ("major", "minor"),
                                             ("drums", "ambient"), ("low", "high"), ("piano", "guitar"))
                         if a in WORDS and b in WORDS]
                acc = []
                for w1, w2 in pairs:
                    e1 = F.normalize(table[WORDS.index(w1)], dim=0)
                    e2 = F.normalize(table[WORDS.index(w2)], dim=0)
                    has1, has2 = b_held[:, WORDS.index(w1)] > 0, b_held[:, WORDS.index(w2)] > 0
                    ah = tower(a_held)
                    pref1 = (ah @ e1 > ah @ e2)
                    mask = has1 | has2
                    acc.append(((pref1 == has1) & mask).float().sum().item() / max(1, mask.sum().item()))
            common.log("text_tower.log", f"step {step} loss {loss.item():.4f} heldout caption-top1 {hit:.3f} "
                       + " ".join(f"{w1}/{w2} {x:.2f}" for (w1, w2), x in zip(pairs, acc)))
    table = table.detach()
    with open(TOWER, "w", encoding="utf-8") as f:
        json.dump({"words": list(WORDS), "dim": 128,
                   "vectors": [[round(float(v), 6) for v in row] for row in table]}, f)
        f.write("\n")
    for name, bow in (("train", b_train), ("heldout", b_held)):
        np.save(os.path.join(common.DATA, f"style_{name}.npy"), embed_words(table, bow).numpy().astype(np.float32))
    print(f"wrote {TOWER}")


def load_table():
    with open(TOWER, encoding="utf-8") as f:
        data = json.load(f)
    return data["words"], torch.tensor(data["vectors"], dtype=torch.float32)


def style_for(text):
    words, table = load_table()
    bow = torch.zeros(len(words))
    for w in words_of(text):
        if w in words:
            bow[words.index(w)] += 1
    if bow.sum() == 0:
        raise ValueError(f"'{text}': none of the words {' '.join(words)}")
    return embed_words(table, bow[None])[0].numpy().astype(np.float32)


def main():
    global WORDS, TOWER
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vocabulary", choices=sorted(VOCABULARIES), default="synthetic",
                   help="the corpus's words and tower file (default synthetic: v4's)")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--steps", type=int, default=1500)
    sub.add_parser("styles", help="data/style_{train,heldout}.npy from the committed text_tower.json (no training)")
    e = sub.add_parser("embed", help="a style vector (.npy, 128 float32) for v2meow generate --style-embedding")
    e.add_argument("text")
    e.add_argument("--out", required=True)
    args = p.parse_args()
    WORDS, TOWER = VOCABULARIES[args.vocabulary]
    if args.command == "train":
        torch.set_num_threads(1)
        train(args)
    elif args.command == "styles":
        _, table = load_table()
        for name in ("train", "heldout"):
            bow = torch.tensor(bag_of_words(common.load_corpus(name)["captions"]))
            np.save(os.path.join(common.DATA, f"style_{name}.npy"), embed_words(table, bow).numpy().astype(np.float32))
            print(f"wrote data/style_{name}.npy")
    else:
        try:
            np.save(args.out, style_for(args.text))
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
