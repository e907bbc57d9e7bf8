"""Default model v5's training arrays, made from the real-music corpus shards (music_corpus.py).

    music_dataset.py collect              # data/music/{train,heldout}/ -> data/music/v5/{train,heldout}.npz
    music_dataset.py codes [--levels 4]   # -> data/music/v5/codes_{train_subset,heldout}.npy
    music_dataset.py subsets              # -> data/music/v5/{semantic,style}_train_subset.npy
    music_dataset.py video-set            # -> data/music/v5/{features,semantic,style}_train_video*.npy

The v4 scripts (semantic.py, text_tower.py, train_stages.py) read their arrays from common.DATA; with
V2MEOW_SET=v5 they read these instead, under the same names:
- {split}.npz: `audio` int16 [clips, 160000] (16 kHz) and `captions` (one caption text per clip);
- codes_{split}.npy: int16 [clips, levels, 500], the first --levels RVQ levels of checkpoints/codec_music.pt
  (the levels past the fourth add nothing measurable: logs/codec_vs_opus.log);
- train_subset: every fourth training clip (1000 clips, 2.8 h), what the three stages train on: on this
  2-core CPU its codes take 0.6 s per clip and its paired-video rows 1 s per clip (music_video.py features
  --every 4). Stage 1 overfits 1000 clips (held-out cross-entropy flat from step 400 while the training
  loss falls), so it continues on train_video: train_subset and the clips 2 past it (every fourth from
  the third, music_video.py features --every 8 --offset 2 and --offset 6), 2000 clips. The semantic k-means and the text
  tower see every training clip.
Every step skips an output that exists.
"""

import argparse
import os

import numpy as np
import torch

import common
import music_corpus
from codec_vs_opus import load_codec  # training/evaluation, on the path once common is imported
from train_codec_music import SMALL

SUBSET_EVERY = 4
SOURCES = {"train": os.path.join("music", "train"), "heldout": os.path.join("music", "heldout")}
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "data")


def out_path(name):
    return os.path.join(common.DATA, name)


def collect():
    os.makedirs(common.DATA, exist_ok=True)
    for split, folder in SOURCES.items():
        path = out_path(f"{split}.npz")
        if os.path.exists(path):
            continue
        audio, captions = music_corpus.load_shards(os.path.join(CORPUS, folder))
        texts = np.array([c.get("text", "") for c in captions])
        np.savez(path + ".tmp.npz", audio=audio, captions=texts)
        os.replace(path + ".tmp.npz", path)
        print(f"{path}: {len(texts)} clips")


def quantise(model, wav, levels):
    """The first `levels` RVQ codes [B, levels, frames]: a level's code depends on the levels before it only,
    so the rest are not computed."""
    z = model.encoder(wav)
    residual = z.permute(0, 2, 1).reshape(-1, z.shape[1])
    out = []
    for level in range(levels):
        idx = model.rvq.nearest(level, residual)
        residual = residual - model.rvq.codebooks[level][idx]
        out.append(idx.view(z.shape[0], z.shape[2]))
    return torch.stack(out, 1)


def codes(levels, threads):
    torch.set_num_threads(threads)
    model, state = load_codec(SMALL)
    for split, source, step in (("heldout", "heldout", 1), ("train_subset", "train", SUBSET_EVERY)):
        path = out_path(f"codes_{split}.npy")
        if os.path.exists(path):
            continue
        audio = common.load_corpus(source)["audio"][::step]
        rows = []
        with torch.no_grad():
            for i in range(0, len(audio), 2):  # small batches: the full-rate convolutions stay in cache
                wav = torch.tensor(audio[i:i + 2].astype(np.float32) / 32767)
                rows.append(quantise(model, wav, levels).numpy().astype(np.int16))
        rows = np.concatenate(rows)
        np.save(path, rows)
        common.log("music_dataset.log", f"{split}: codes {rows.shape} from {os.path.relpath(SMALL, HERE)} "
                                        f"(step {state['step']}), first {levels} levels")


def subsets():
    for key in ("semantic", "style"):
        source, path = out_path(f"{key}_train.npy"), out_path(f"{key}_train_subset.npy")
        if not os.path.exists(path):
            np.save(path, np.load(source)[::SUBSET_EVERY])
            print(f"{path}: every {SUBSET_EVERY}th clip of {os.path.basename(source)}")


def video_set():
    """Stage 1's 2000 clips: the train_subset rows, then those of the clips at 2, 10, 18, ... and 6, 14, 22, ...
    (rendered by two processes side by side)."""
    slices = ((0, SUBSET_EVERY, "features_train_subset_3fps.npy"), (2, 8, "features_train_offset2_3fps.npy"),
              (6, 8, "features_train_offset6_3fps.npy"))
    for key in ("semantic", "style"):
        train = np.load(out_path(f"{key}_train.npy"))
        np.save(out_path(f"{key}_train_video.npy"), np.concatenate([train[first::every] for first, every, _ in slices]))
    rows = np.concatenate([np.load(out_path(name)) for _, _, name in slices])
    np.save(out_path("features_train_video_3fps.npy"), rows)
    print(f"{out_path('features_train_video_3fps.npy')}: {len(rows)} clips")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["collect", "codes", "subsets", "video-set"])
    p.add_argument("--levels", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if args.command == "collect":
        collect()
    elif args.command == "codes":
        codes(args.levels, args.threads)
    elif args.command == "subsets":
        subsets()
    else:
        video_set()


if __name__ == "__main__":
    main()
