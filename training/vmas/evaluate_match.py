"""Recall@1 and Recall@10 of VMAs' video-to-music matching on held-out pairs (VMAs Appendix E, retrieval).

    evaluate_match.py --bundle DIR [--data training/data/vmas/heldout] [--limit N] [--json]

Each held-out clip's frames (prepare.py) give a video vector and its codes a music vector, through the bundle's
video encoder and contrastive projections as `v2meow match` computes them (VMAS.md §14.3: the clip's frames in
windows of window_seconds from the start, the last frame held, every window's memory rows averaged; the whole
clip's codes; the runtime agrees with this reference to float32 rounding, tests/golden/vmas-match). Every video ranks all N recordings by cosine
similarity; Recall@k is the share of videos whose own recording is among the first k. Chance is k / N.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
import common  # noqa: E402  (puts weights-spec/reference on the path)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from vmas import bundle, contrastive  # noqa: E402
from vmas import config as vconfig  # noqa: E402

DEFAULT_DATA = os.path.join(common.HERE, "data", "vmas", "heldout")


def pooled_inputs(encoder, codebooks, config, frames, codes, batch=8):
    """Per batch of clips, (every window's video memory rows [B, rows, d], the own codes' codebook vectors [B, T, D]):
    what the contrastive projections average and project (VMAS.md §14.3: the clip's frames in windows of
    window_seconds from the start, the last frame held past the end; the whole clip's codes). Callers hold
    torch.no_grad() around it (a generator's own would stay entered in the caller between batches)."""
    v = config["video"]
    mean = torch.tensor(v["mean"], dtype=torch.float32).view(1, 3, 1, 1, 1)
    std = torch.tensor(v["std"], dtype=torch.float32).view(1, 3, 1, 1, 1)
    window = vconfig.window_video_frames(config)
    count = frames.shape[1]
    # VMAS.md §14.3: windows w·F … w·F + F − 1, the last frame held past the end.
    windows = [np.minimum(np.arange(w * window, (w + 1) * window), count - 1) for w in range(-(-count // window))]
    for start in range(0, len(codes), batch):
        clips = np.asarray(frames[start:start + batch])
        rows = []
        for picks in windows:
            pixels = torch.from_numpy(clips[:, picks]).permute(0, 4, 1, 2, 3).float() / 255.0
            rows.append(encoder((pixels - mean) / std)["memory"])
        part = torch.from_numpy(np.asarray(codes[start:start + batch]).astype(np.int64))
        yield torch.cat(rows, dim=-2), contrastive.music_from_codes(codebooks, part)


def vectors(folder, frames, codes, batch=8):
    """(video vectors [N, E], music vectors [N, E]) of uint8 frames [N, F, H, W, 3] and codes [N, K, T]."""
    config = bundle.read_config(folder)
    if not vconfig.has_contrastive(config):
        raise ValueError(f"{folder}: no contrastive projections (VMAS.md §14)")
    encoder = bundle.load_component(folder, config, "video_encoder")
    projections = bundle.load_component(folder, config, "contrastive")
    codebooks = torch.from_numpy(bundle.read_component(folder, "codec")[0]["rvq.codebooks"])
    videos, musics = [], []
    with torch.no_grad():
        for memory, music in pooled_inputs(encoder, codebooks, config, frames, codes, batch):
            videos.append(projections.video_embedding(memory))
            musics.append(projections.music_embedding(music))
    return torch.cat(videos).numpy(), torch.cat(musics).numpy()


def recall(video, music, ks=(1, 10)):
    """{k: share of videos whose own recording (same row) ranks in the first k}; ties count against the pair."""
    sims = video @ music.T
    own = np.diag(sims)[:, None]
    rank = (sims > own).sum(axis=1) + (sims == own).sum(axis=1) - 1  # 0 = first
    return {k: float(np.mean(rank < k)) for k in ks}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--data", default=DEFAULT_DATA, help="a prepare.py split folder")
    p.add_argument("--limit", type=int, default=0, help="the first N clips (0: all)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    try:
        frames = np.load(os.path.join(args.data, "frames.npy"), mmap_mode="r")
        codes = np.load(os.path.join(args.data, "codes.npy"), mmap_mode="r")
        n = min(len(codes), args.limit or len(codes))
        video, music = vectors(args.bundle, frames[:n], codes[:n])
    except (OSError, ValueError, vconfig.ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    r = recall(video, music)
    result = {"pairs": n, "recall@1": r[1], "recall@10": r[10], "chance@1": 1 / n, "chance@10": min(1.0, 10 / n)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{n} held-out pairs: Recall@1 {r[1]:.3f} (chance {1 / n:.3f}), Recall@10 {r[10]:.3f} (chance {min(1, 10 / n):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
