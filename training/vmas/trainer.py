"""Train a small VMAs with its own objectives (Lin et al. 2025, §4.4) on data from prepare.py.

    trainer.py --run NAME [--data DIR] [--config C.json] [--steps N] [--batch B] [--minutes M]
               [--video-beat-window W] [--overlap-window D] [--weight-floor F] [--contrastive-weight A]
               [--temperature T] [--no-beat-weight] [--no-contrastive]

Loss: the autoregressive cross-entropy over the delay pattern, each code weighted by its frame's video–music beat
overlap (beats.py; Eq. 4), plus contrastive_weight × InfoNCE between the videos' and the predicted music's vectors
(objectives.py; Eq. 2). --no-beat-weight (all weights 1) and --no-contrastive (weight 0) are the paper's Table 5
ablations. The paper's symbols are lost in the text this was written from, so the hyperparameters are named for
what they are: the video-beat window (local-maximum half-width, codec frames), the overlap window (half-width,
codec frames), the weight floor, the contrastive (balancing) weight and the InfoNCE temperature.

A run keeps its state in training/runs/vmas/NAME/state.pt (model, optimiser, step, settings, random state) every
--save-every steps and at the end; running the same command again resumes it (--steps is the total). Its log is
training/logs/vmas_NAME.log. bundle_export.py turns the state into a vmas/1 bundle.
"""

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
import common  # noqa: E402  (puts weights-spec/reference and training/evaluation on the path)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import music_codec  # noqa: E402
import trainable  # noqa: E402
from vmas import config as vconfig  # noqa: E402

DEFAULT_CONFIG = os.path.join(common.HERE, "..", "weights-spec", "examples", "vmas-default.json")
# VMAs' own folders, whatever model set (V2MEOW_SET) the V2Meow scripts are pointed at.
DEFAULT_DATA = os.path.join(common.HERE, "data", "vmas")
RUNS = os.path.join(common.HERE, "runs", "vmas")
LOGS = os.path.join(common.HERE, "logs")


def log(name, line):
    """Prints a line and appends it to LOGS/name."""
    os.makedirs(LOGS, exist_ok=True)
    print(line, flush=True)
    with open(os.path.join(LOGS, name), "a", encoding="utf-8") as f:
        f.write(line + "\n")


class Split:
    """A prepare.py folder, memory-mapped: frames, codes and the two beat tracks of each clip, cut into the config's
    windows. A window may start at any codec frame t0 where the video frame t0 · fps / frame_rate is whole too
    (for 9.6 fps and 50 Hz: every 2.5 s), so a clip longer than the window gives several."""

    def __init__(self, folder, config):
        names = ("frames", "codes", "music_beats", "motion")
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, f"{n}.npy"))]
        if missing:
            raise FileNotFoundError(f"{folder}: no {missing[0]}.npy; run training/vmas/prepare.py first")
        self.frames, self.codes, self.music_beats, self.motion = (
            np.load(os.path.join(folder, f"{n}.npy"), mmap_mode="r") for n in names)
        self.count = len(self.codes)
        self.window, self.window_frames = vconfig.window_frames(config), vconfig.window_video_frames(config)
        self.ratio = config["video"]["fps"] / vconfig.frame_rate(config)
        steps = self.codes.shape[2]
        if steps < self.window or self.frames.shape[1] < self.window_frames:
            raise ValueError(f"{folder}: clips of {steps} codec frames, shorter than the config's window of {self.window}")
        self.starts = [t for t in range(steps - self.window + 1) if abs(t * self.ratio - round(t * self.ratio)) < 1e-9
                       and round(t * self.ratio) + self.window_frames <= self.frames.shape[1]]

    def batch(self, index, starts=None):
        """(pixels, codes, music beats, motion) of clips `index`, each cut to the window at its start (codec frames;
        default 0)."""
        starts = [0] * len(index) if starts is None else starts
        cut = []
        for i, t0 in zip(index, starts):
            f0 = int(round(t0 * self.ratio))
            window = slice(t0, t0 + self.window)
            cut.append((self.frames[i, f0:f0 + self.window_frames], self.codes[i, :, window], self.music_beats[i, window],
                        self.motion[i, window]))
        return tuple(np.stack([np.asarray(c[j]) for c in cut]) for j in range(4))


def settings(args):
    return {k: getattr(args, k) for k in ("video_beat_window", "overlap_window", "weight_floor", "contrastive_weight",
                                          "temperature", "condition_dropout", "no_beat_weight", "no_contrastive",
                                          "batch", "lr", "warmup", "steps", "seed")}


def learning_rate(args, step):
    """Linear warm-up, then cosine decay to a tenth over --steps (the paper's schedule, without D-Adaptation)."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def step_losses(model, split, index, starts, args, generator):
    pixels, codes, onsets, motion = split.batch(index, starts)
    codes = codes.astype(np.int64)
    weights = trainable.frame_weights(onsets, motion, args.video_beat_window, args.overlap_window, args.weight_floor,
                                      enabled=not args.no_beat_weight)
    keep = (torch.rand(len(index), generator=generator) >= args.condition_dropout).float()
    return model.losses(pixels, codes, weights, keep, args.temperature)


def evaluate(model, split, args, count=16):
    """Held-out plain (unweighted) cross-entropy and contrastive loss over the first `count` clips, batch by batch."""
    model.eval()
    tokens, contrasts = [], []
    with torch.no_grad():
        for start in range(0, min(count, split.count), args.batch):
            index = np.arange(start, min(start + args.batch, count, split.count))
            pixels, codes, onsets, _ = split.batch(index)
            codes = codes.astype(np.int64)
            token, contrast = model.losses(pixels, codes, torch.ones(onsets.shape), torch.ones(len(index)), args.temperature)
            tokens.append(float(token))
            contrasts.append(float(contrast))
    model.train()
    return float(np.mean(tokens)), float(np.mean(contrasts))


def build(args):
    config = vconfig.load(args.config)
    section, tensors = music_codec.load(args.codec, config["codec"]["levels"])
    return config, trainable.Vmas(config, tensors["codec.rvq.codebooks"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--codec", default=music_codec.CHECKPOINT)
    p.add_argument("--steps", type=int, default=4000, help="total steps of the run")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--video-beat-window", type=int, default=12, help="video beat: local maximum within ±W codec frames")
    p.add_argument("--overlap-window", type=int, default=5, help="a music beat overlaps a video beat within ±D codec frames")
    p.add_argument("--weight-floor", type=float, default=0.5, help="weight of frames without an overlapping beat")
    p.add_argument("--contrastive-weight", type=float, default=0.5, help="balancing weight of the contrastive loss")
    p.add_argument("--temperature", type=float, default=0.1, help="InfoNCE temperature")
    p.add_argument("--condition-dropout", type=float, default=0.1, help="share of rows trained on the null condition")
    p.add_argument("--no-beat-weight", action="store_true", help="ablation: every frame weighted 1")
    p.add_argument("--no-contrastive", action="store_true", help="ablation: no contrastive loss")
    p.add_argument("--minutes", type=float, default=0, help="stop (and save) after this much wall time")
    p.add_argument("--save-every", type=int, default=200)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    if args.no_contrastive:
        args.contrastive_weight = 0.0

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    try:
        config, model = build(args)
        train = Split(os.path.join(args.data, "train"), config)
        heldout_dir = os.path.join(args.data, "heldout")
        heldout = Split(heldout_dir, config) if os.path.isdir(heldout_dir) else None
    except (FileNotFoundError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if train.count < 2:
        print(f"error: {args.data}/train: {train.count} clips; the contrastive loss needs a batch of at least 2", file=sys.stderr)
        return 2
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    folder = os.path.join(RUNS, args.run)
    state_path = os.path.join(folder, "state.pt")
    log_name = f"vmas_{args.run}.log"
    step, seconds = 0, 0.0
    generator = torch.Generator().manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    if os.path.isfile(state_path):
        s = torch.load(state_path, map_location="cpu")
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, seconds = s["step"], s["seconds"]
        generator.set_state(s["generator"])
        rng.set_state(s["numpy_rng"])
        log(log_name, f"resumed {state_path} at step {step} ({seconds:.0f} s)")
    else:
        log(log_name, f"run {args.run}: {json.dumps(settings(args))}; {train.count} training clips, "
                             f"{len(train.starts)} windows each; "
                             f"{sum(p.numel() for p in model.parameters() if p.requires_grad)} parameters")

    def save():
        os.makedirs(folder, exist_ok=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "seconds": seconds,
                    "generator": generator.get_state(), "numpy_rng": rng.get_state(), "config": config,
                    "settings": settings(args)}, state_path + ".tmp")
        os.replace(state_path + ".tmp", state_path)

    model.train()
    start = time.time()
    batch = min(args.batch, train.count)
    while step < args.steps:
        for group in opt.param_groups:
            group["lr"] = learning_rate(args, step)
        index = rng.choice(train.count, size=batch, replace=False)
        starts = [train.starts[j] for j in rng.randint(len(train.starts), size=batch)]
        token, contrast = step_losses(model, train, index, starts, args, generator)
        loss = token + args.contrastive_weight * contrast
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        elapsed = seconds + time.time() - start
        if step % args.log_every == 0 or step == 1:
            log(log_name, f"step {step} loss {float(loss):.4f} token {float(token):.4f} contrastive "
                                 f"{float(contrast):.4f} lr {learning_rate(args, step - 1):.2e} {elapsed:.0f} s")
        if heldout is not None and step % args.eval_every == 0:
            ce, con = evaluate(model, heldout, args)
            log(log_name, f"step {step} heldout token {ce:.4f} contrastive {con:.4f}")
        out_of_time = args.minutes and time.time() - start >= args.minutes * 60
        if step % args.save_every == 0 or step == args.steps or out_of_time:
            seconds = elapsed
            start = time.time()
            save()
        if out_of_time:
            log(log_name, f"stopped at step {step}: --minutes {args.minutes}")
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
