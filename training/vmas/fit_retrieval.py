"""Refit a trained VMAs run's contrastive projections for retrieval: recordings' own codes, not predictions.

    fit_retrieval.py --run main [--out-run main-retrieval] [--steps 600] [--batch 256] [--lr 3e-3]

Trained as the paper has it (trainer.py, objectives.contrastive_loss), the music side of the contrastive loss is
the decoder's predicted distribution through the codec's codebooks. The decoder sees the video through
cross-attention, so it can carry the video's identity into its predictions and solve that loss without the
projections learning anything about real music: on held-out pairs, ranking recordings by their own codes (what
`v2meow match` does, evaluate_match.py) was at chance for every run. This step keeps the video encoder and the
decoder as trained (generation is unchanged) and fits only the two projections with the same InfoNCE between
each training clip's video vector and the vector of its recording's own codes, both computed as VMAS.md §14.3
and evaluate_match.py compute them (the whole 10 s clip: two windows of frames, every code). It writes a new run
state (RUNS/OUT_RUN/state.pt) that bundle_export.py exports; its log is logs/vmas_OUT_RUN.log.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
import common  # noqa: E402  (puts weights-spec/reference on the path)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import evaluate_match  # noqa: E402
import music_codec  # noqa: E402
import trainable  # noqa: E402
import trainer  # noqa: E402
from vmas import contrastive  # noqa: E402
from vmas import config as vconfig  # noqa: E402


def clip_inputs(model, config, folder, batch=16):
    """(mean video memory [N, d], mean codebook vector of the own codes [N, D]) of a prepare.py split, pooled as
    evaluate_match.py (and `v2meow match`) pool them."""
    frames = np.load(os.path.join(folder, "frames.npy"), mmap_mode="r")
    codes = np.load(os.path.join(folder, "codes.npy"), mmap_mode="r")
    model.eval()
    videos, musics = [], []
    with torch.no_grad():
        for memory, music in evaluate_match.pooled_inputs(model.video_encoder, model.codebooks, config, frames, codes, batch):
            videos.append(memory.mean(dim=-2))
            musics.append(music.mean(dim=-2))
    return torch.cat(videos), torch.cat(musics)


def embed(projections, video, music):
    """Unit vectors of pooled inputs: ContrastiveProjections' arithmetic after its mean (VMAS.md §14.3)."""
    return contrastive.unit(projections.video(video)), contrastive.unit(projections.music(music))


def recall(video, music):
    """evaluate_match.recall (Recall@1 and @10) of unit vectors."""
    return evaluate_match.recall(video.detach().numpy(), music.detach().numpy())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="the trained run (training/runs/vmas/RUN/state.pt)")
    p.add_argument("--out-run", help="the run to write (default RUN-retrieval)")
    p.add_argument("--data", default=trainer.DEFAULT_DATA)
    p.add_argument("--codec", default=music_codec.CHECKPOINT)
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--temperature", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    out_run = args.out_run or args.run + "-retrieval"
    state_path = os.path.join(trainer.RUNS, args.run, "state.pt")
    if not os.path.isfile(state_path):
        print(f"error: {state_path}: no such state (train first: trainer.py)", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    s = torch.load(state_path, map_location="cpu")
    config = vconfig.resolve(s["config"])
    _, codec_tensors = music_codec.load(args.codec, config["codec"]["levels"])
    model = trainable.Vmas(config, codec_tensors["codec.rvq.codebooks"])  # the run's own sizes, as bundle_export builds it
    model.load_state_dict(s["model"])
    log = f"vmas_{out_run}.log"
    start = time.time()
    train_video, train_music = clip_inputs(model, config, os.path.join(args.data, "train"))
    held_video, held_music = clip_inputs(model, config, os.path.join(args.data, "heldout"))
    trainer.log(log, f"refit {args.run}'s contrastive projections on {len(train_video)} clips' own codes "
                     f"({time.time() - start:.0f} s to pool them); held-out before: {recall(*embed(model.contrastive, held_video, held_music))}")
    projections = model.contrastive
    projections.train()
    opt = torch.optim.AdamW(projections.parameters(), lr=args.lr, weight_decay=0.01)
    generator = torch.Generator().manual_seed(args.seed)
    for step in range(1, args.steps + 1):
        index = torch.randperm(len(train_video), generator=generator)[: args.batch]
        video, music = embed(projections, train_video[index], train_music[index])
        loss = contrastive.info_nce(video, music, args.temperature)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.steps:
            with torch.no_grad():
                held = recall(*embed(projections, held_video, held_music))
                train = recall(*embed(projections, train_video, train_music))
            trainer.log(log, f"step {step} loss {float(loss):.4f} train Recall@1 {train[1]:.3f} @10 {train[10]:.3f}; "
                             f"held-out ({len(held_video)}) Recall@1 {held[1]:.3f} @10 {held[10]:.3f}")
    s["model"] = model.state_dict()
    s["settings"] = dict(s.get("settings", {}), retrieval_refit=vars(args))
    folder = os.path.join(trainer.RUNS, out_run)
    os.makedirs(folder, exist_ok=True)
    torch.save(s, os.path.join(folder, "state.pt.tmp"))
    os.replace(os.path.join(folder, "state.pt.tmp"), os.path.join(folder, "state.pt"))
    trainer.log(log, f"wrote {folder}/state.pt ({time.time() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
