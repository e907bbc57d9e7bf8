"""Teacher-forced training of stages 1, 2 and 3 with the reference StageModel (default.json sizes).

    train_stages.py 1 --minutes 20 [--seed 0]
    train_stages.py 2 --minutes 20
    train_stages.py 3 --minutes 15

Stage 1 (video -> semantic): the whole 10 s clip is one window: encoder input
= 10 s of `builtin` rows at the config's video_fps (30 at default.json's 3) + the style vector (the text tower's
embedding of the clip's caption; zeros for 20 % of examples, so generation
without a prompt, which the runtime feeds as zeros, is in distribution, and
the video rows are zeroed for 10 % so the style alone carries information);
decoder [BOS, s0 .. s249] predicts s0 .. s249 (SPEC §7.1).

Stage 2 (semantic -> coarse acoustic, decoder only): random crops of the 10 s
clips as long as windows.stage2_seconds (3 s in default.json), or 3 s when the
window is longer, to keep CPU time down, in the config's stage2.layout (SPEC
§7.2; default.json interleaves each semantic token with its 2 frames x 2
coarse levels, so a frame's own semantic token is always 1-4 positions back);
the loss is on the coarse tokens only. The runtime runs the same windows,
overlapping by half.

Stage 3 (coarse -> fine, decoder only): random 2 s crops (SPEC §7.3: 100 x 2
coarse, SEP, 100 x 2 fine; the window is 3 s); loss on the fine tokens.

Loss: cross-entropy over the stage's full vocabulary. AdamW (lr 1e-3,
weight decay 0.01, 100 warm-up steps, cosine decay over the time budget to
10 %), gradient clipping at 1.0. Checkpoints runs/stageN.pt (or runs/RUN.pt with --run) every 200 steps.
"""

import argparse
import math
import os
import time
from typing import NamedTuple, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

import common
import tokens as tok
from common import ref


def stage1_batch(data, rng, batch, config, train=True):
    idx = rng.integers(0, data["features"].shape[0], batch)
    feats = torch.tensor(data["features"][idx], dtype=torch.float32)
    style = torch.tensor(data["style"][idx], dtype=torch.float32)
    sem = torch.tensor(data["semantic"][idx].astype(np.int64))
    if train:
        drop_style = torch.tensor(rng.uniform(size=batch) < 0.2)
        style[drop_style] = 0
        drop_video = torch.tensor(rng.uniform(size=batch) < 0.1)
        feats[drop_video] = 0
    bos = torch.full((batch, 1), tok.stage1_bos(config), dtype=torch.long)
    inputs = torch.cat([bos, sem[:, :-1]], 1)
    return inputs, sem, {"builtin": feats}, style


def stage2_crop_seconds(config):
    """Stage 2 trains at the bundle's window length, or on 3 s crops when the window is longer (CPU time)."""
    return min(config["windows"]["stage2_seconds"], 3.0)


def stage2_batch(data, rng, batch, config):
    t = config["tokens"]
    n_sem = int(round(stage2_crop_seconds(config) * 25))
    n_ac = 2 * n_sem
    idx = rng.integers(0, data["semantic"].shape[0], batch)
    starts = rng.integers(0, data["semantic"].shape[1] - n_sem + 1, batch)
    seqs = []
    for i, s in zip(idx, starts):
        sem = data["semantic"][i, s:s + n_sem]
        coarse = data["codes"][i, : t["coarse_levels"], 2 * s:2 * s + n_ac]
        seqs.append(tok.stage2_sequence(config, sem, coarse))
    seqs = torch.tensor(np.stack(seqs))
    return seqs[:, :-1], seqs[:, 1:], seqs[:, 1:] > tok.stage2_sep(config)  # coarse ids lie above SEP


def stage3_batch(data, rng, batch, config, seconds=2):
    t = config["tokens"]
    n = seconds * 50
    idx = rng.integers(0, data["codes"].shape[0], batch)
    starts = rng.integers(0, data["codes"].shape[2] - n + 1, batch)
    seqs = []
    for i, s in zip(idx, starts):
        c = data["codes"][i, :, s:s + n]
        seqs.append(tok.stage3_sequence(config, c[: t["coarse_levels"]], c[t["coarse_levels"]:]))
    seqs = torch.tensor(np.stack(seqs))
    targets = seqs[:, 1:]
    fine = torch.arange(targets.shape[1]) >= n * t["coarse_levels"]  # targets from SEP's row on are fine
    return seqs[:, :-1], targets, fine[None].expand_as(targets)


def load_data(split, config, stage):
    """The arrays a stage trains on; only stage 1 reads the video rows (at the config's video_fps)."""
    data = {"features": common.load_features(split, config)} if stage == 1 else {}
    for key in ("semantic", "style"):
        path = os.path.join(common.DATA, f"{key}_{split}.npy")
        if os.path.exists(path):
            data[key] = np.load(path)
    path = os.path.join(common.DATA, f"codes_{split}.npy")
    if os.path.exists(path):
        # Codes may cover only the first clips (train_codec.py encode --limit); stages 2 and 3 use those.
        data["codes"] = np.load(path).astype(np.int64)
        if "semantic" in data:
            data["semantic"] = data["semantic"][: data["codes"].shape[0]] if stage in (2, 3) else data["semantic"]
    return data


class GuidedAttention(NamedTuple):
    """Stage 1's guided-attention term: the first `heads` cross-attention heads of `layers` (None: every
    decoder layer), pulled towards a Gaussian of `width` video rows around each token, times `weight`."""
    heads: int
    weight: float = 1.0
    width: float = 1.0
    layers: Optional[Sequence[int]] = None


def guided_attention_loss(weights, rows, config, guided):
    """Mean attention mass the first `guided.heads` cross-attention heads of each of `guided.layers` put away
    from the video row under each token (a Gaussian of `guided.width` rows around it; the style position
    counts as away): guided attention as in Tachibana et al. 2017, so those heads follow the video in time
    from the start. Not yet times `guided.weight`."""
    n = weights[0].shape[2]
    rates = config["rates"]
    under = torch.arange(n, dtype=torch.float32) / rates["semantic_hz"] * rates["video_fps"] - 0.5
    away = 1 - torch.exp(-((torch.arange(rows, dtype=torch.float32)[None, :] - under[:, None]) ** 2) / (2 * guided.width ** 2))
    away = torch.cat([away, torch.ones(n, weights[0].shape[3] - rows)], 1)  # [n, m]: the style column is all "away"
    layers = [w for i, w in enumerate(weights) if guided.layers is None or i in guided.layers]
    return torch.stack([(w[:, :guided.heads] * away).sum(-1).mean() for w in layers]).mean()


def loss_of(stage, model, config, data, rng, batch, train=True, guided=None):
    """Cross-entropy of one batch; in training, stage 1 adds the `guided` attention term when one is given."""
    if stage == 1:
        inputs, targets, streams, style = stage1_batch(data, rng, batch, config, train)
        keep = [] if train and guided and guided.heads else None
        out = common.logits(model, inputs, streams, style, keep)
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), targets.reshape(-1))
        if keep:
            rows = streams["builtin"].shape[1]
            loss = loss + guided.weight * guided_attention_loss(keep, rows, config, guided)
        return loss
    inputs, targets, scored = (stage2_batch if stage == 2 else stage3_batch)(data, rng, batch, config)
    return F.cross_entropy(common.logits(model, inputs, rows=scored), targets[scored])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", type=int, choices=[1, 2, 3])
    p.add_argument("--minutes", type=float, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, help="stop here even within the time budget (the schedule still follows the budget)")
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--config", default=common.DEFAULT_CONFIG, help="the bundle config trained for (default.json)")
    p.add_argument("--init", help="a checkpoint, or an exported bundle folder, to continue from (weights only; a "
                                  "fresh optimiser and schedule)")
    p.add_argument("--guided-heads", type=int, default=0,
                   help="stage 1: guide the first N cross-attention heads of each layer to the video row under the token")
    p.add_argument("--guided-weight", type=float, default=1.0)
    p.add_argument("--guided-width", type=float, default=1.0, help="rows")
    p.add_argument("--guided-layers", type=int, nargs="+", help="decoder layers whose heads are guided (default: all)")
    p.add_argument("--train-split", default="train", help="the arrays trained on, data/*_SPLIT.npy (default train; "
                                                           "v5: train_video for stage 1, train_codes for 2 and 3)")
    p.add_argument("--run", help="name of the checkpoint runs/RUN.pt and log logs/RUN.log (default stageN), so two "
                                 "runs can train side by side")
    args = p.parse_args()
    guided = GuidedAttention(args.guided_heads, args.guided_weight, args.guided_width, args.guided_layers)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    config = common.load_config(args.config)
    name = f"stage{args.stage}"
    model = ref.StageModel(config, name)
    if args.init and os.path.isdir(args.init):
        import bundle as bundle_io  # weights-spec/reference, on the path once common is imported

        tensors, _ = bundle_io.read_component(args.init, name)
        model.load_state_dict({k: torch.from_numpy(v).float() for k, v in tensors.items()})
    elif args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu")["model"])
    train_data, held_data = load_data(args.train_split, config, args.stage), load_data("heldout", config, args.stage)
    os.makedirs(common.RUNS, exist_ok=True)

    # What is trained is what is exported: the batched pass equals the reference forward.
    if args.stage == 1:
        i, _, s, st = stage1_batch(train_data, rng, 1, config, train=False)
        err = common.check_against_reference(model, i[0], {k: v[0] for k, v in s.items()}, st[0])
    else:
        i, _, _ = (stage2_batch if args.stage == 2 else stage3_batch)(train_data, rng, 1, config)
        err = common.check_against_reference(model, i[0])
    run = args.run or name
    logname = f"{run}.log"
    setting = {1: f"video_fps {config['rates']['video_fps']:g}, ", 2: f"layout {config['stage2']['layout']}, crops {stage2_crop_seconds(config)} s, "}
    guided_text = (f"guided attention {guided.heads} heads x {guided.weight} (width {guided.width} rows"
                   + (f", decoder layers {guided.layers}" if guided.layers else "") + "), "
                   if guided.heads else "")
    common.log(logname, f"# {name}: config {os.path.relpath(args.config, common.HERE)}, seed {args.seed}, " + setting.get(args.stage, "") + f"batch {args.batch}, lr {args.lr}, budget {args.minutes} min, init {args.init}, "
                        + guided_text + f"{sum(p.numel() for p in model.parameters())} parameters, batched-vs-reference max diff {err:.2e}")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    start, step, avg = time.time(), 0, None
    budget = args.minutes * 60
    held_rng = np.random.default_rng(1234)
    while time.time() - start < budget and (args.max_steps is None or step < args.max_steps):
        frac = (time.time() - start) / budget
        lr = args.lr * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        loss = loss_of(args.stage, model, config, train_data, rng, args.batch, guided=guided)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        if step % 50 == 0:
            line = f"step {step} t {time.time() - start:.0f}s lr {lr:.2e} train {avg:.4f}"
            if step % 200 == 0:
                model.eval()
                with torch.no_grad():
                    held = np.mean([loss_of(args.stage, model, config, held_data, held_rng, args.batch, False).item()
                                    for _ in range(3)])
                line += f" heldout {held:.4f}"
                torch.save({"model": model.state_dict(), "step": step}, os.path.join(common.RUNS, f"{run}.pt"))
            common.log(logname, line)
    model.eval()
    with torch.no_grad():
        held = np.mean([loss_of(args.stage, model, config, held_data, np.random.default_rng(99), args.batch, False).item()
                        for _ in range(5)])
    torch.save({"model": model.state_dict(), "step": step}, os.path.join(common.RUNS, f"{run}.pt"))
    common.log(logname, f"done: {step} steps in {(time.time() - start) / 60:.1f} min, final train {avg:.4f}, "
                        f"heldout {held:.4f}")


if __name__ == "__main__":
    main()
