"""Semantic tokens: k-means over 25 Hz log-mel frames (with their first difference).

    semantic.py [--seed 0] [--iterations 25]
    # data/{train,heldout}.npz -> data/semantic_{train,heldout}.npy [N, 250], runs/semantic_kmeans.npz

The paper takes w2v-BERT tokens (k-means over a self-supervised speech/music
model). With no such model here, the representation is the 64-band log-mel
spectrum at 25 Hz (n_fft 1024, hop 640 = one frame per semantic token, frame
i centred at i / 25 s) concatenated with its difference from the previous
frame (so onsets get their own clusters), each dimension standardised over
the training set. K-means (k = tokens.semantic_codes = 256, k-means++ seeding
on a subsample, Lloyd iterations on all frames) gives the codebook; tokens
are nearest centroids.
"""

import argparse
import os

import numpy as np
import torch

import common


def representation(audio_int16):
    wav = torch.tensor(audio_int16.astype(np.float32) / 32767)
    mel = common.log_mel(wav, hop=640)  # [N, frames + 1, 64]
    frames = wav.shape[1] // 640
    mel = mel[:, :frames]
    delta = torch.cat([torch.zeros_like(mel[:, :1]), mel[:, 1:] - mel[:, :-1]], dim=1)
    return torch.cat([mel, delta], dim=-1)  # [N, frames, 128]


def nearest(x, centroids):
    d = (x * x).sum(1, keepdim=True) - 2 * x @ centroids.t() + (centroids * centroids).sum(1)[None]
    return d.argmin(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--iterations", type=int, default=25)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--fit-frames", type=int, help="fit on this many frames drawn at random (default: all); every "
                                                  "frame is still tokenised")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    k = common.load_config()["tokens"]["semantic_codes"]
    train = representation(common.load_corpus("train")["audio"])
    n, t, d = train.shape
    x = train.reshape(-1, d)
    mean, std = x.mean(0), x.std(0) + 1e-5
    x = (x - mean) / std
    if args.fit_frames and args.fit_frames < x.shape[0]:
        x = x[torch.randperm(x.shape[0])[: args.fit_frames]]
    # k-means++ seeding on a subsample.
    sub = x[torch.randperm(x.shape[0])[:20000]]
    centroids = [sub[torch.randint(0, sub.shape[0], (1,))][0]]
    dist = ((sub - centroids[0]) ** 2).sum(1)
    for _ in range(1, k):
        c = sub[torch.multinomial(dist / dist.sum(), 1)][0]
        centroids.append(c)
        dist = torch.minimum(dist, ((sub - c) ** 2).sum(1))
    centroids = torch.stack(centroids)
    for it in range(args.iterations):
        idx = nearest(x, centroids)
        sums = torch.zeros_like(centroids).index_add_(0, idx, x)
        counts = torch.bincount(idx, minlength=k).float()
        empty = counts == 0
        centroids = torch.where(empty[:, None], x[torch.randint(0, x.shape[0], (k,))], sums / counts.clamp(min=1)[:, None])
        inertia = ((x - centroids[idx]) ** 2).sum(1).mean().item()
        common.log("semantic.log", f"iteration {it + 1} inertia {inertia:.3f} empty {int(empty.sum())}")
    np.savez(os.path.join(common.RUNS, "semantic_kmeans.npz"), centroids=centroids.numpy(), mean=mean.numpy(),
             std=std.numpy())
    for name, rep in (("train", train), ("heldout", representation(common.load_corpus("heldout")["audio"]))):
        tokens = nearest((rep.reshape(-1, d) - mean) / std, centroids).view(rep.shape[0], rep.shape[1])
        np.save(os.path.join(common.DATA, f"semantic_{name}.npy"), tokens.numpy().astype(np.int16))
        used = len(np.unique(tokens.numpy()))
        common.log("semantic.log", f"{name}: tokens {tuple(tokens.shape)}, {used} of {k} codes used")


if __name__ == "__main__":
    main()
