"""Train the real-music codec (codec_music.py) on the real-music corpus, resumably.

    train_codec_music.py --minutes 120 [--total-minutes 600] [--config codec_music.json] [--data data/music/train]

Reconstruction loss: train_codec.stft_loss (spectral convergence + log-magnitude L1 at n_fft 256 ... 4096,
hop n_fft / 4) + log-mel L1 (common.log_mel, hop 160) + 0.1 x waveform L1 + 0.25 x commitment, as the
synthetic codec had. After --disc-start steps the multi-scale STFT discriminator of stft_discriminator.py
joins (EnCodec §3.3): hinge losses, generator loss + 1 x adversarial + 2 x feature matching. The warm-up
lets the codebooks settle before the discriminator sees anything but noise.

Quantiser dropout (SoundStream §3.3): half the items of a batch decode from the first n levels only,
n uniform in 1..Q, so any prefix of the levels is a usable lower bitrate (the stages can use the first
few; codec_vs_opus.py measures several).

Adam, lr 3e-4, betas (0.5, 0.9) for both networks (EnCodec §4.2). Crops: --batch x --frames codec frames
from random clips of the corpus folder, re-listed every 5 minutes, so the corpus can grow while this runs.

Checkpoints, every --save-minutes and at the end:
- runs/codec_music_state.pt: everything to resume exactly (fp32 weights, optimisers, step); not committed;
- checkpoints/codec_music.pt: codec and discriminator in fp16 plus the step and config (a few MB,
  committed). Started again, training resumes from the first, or from the second's weights (fresh
  optimisers) when runs/ is gone, e.g. on a fresh clone.
"""

import argparse
import glob
import json
import os
import time

import numpy as np
import torch

import common
from codec_music import MusicCodec
from stft_discriminator import MultiScaleStftDiscriminator, discriminator_loss, generator_losses
from train_codec import stft_loss

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.path.join(common.RUNS, "codec_music_state.pt")
SMALL = os.path.join(HERE, "checkpoints", "codec_music.pt")
LOG = "codec_music.log"


class CropPool:
    """Clips of every shard in a folder (int16), re-listed on demand; random hop-aligned crops."""

    def __init__(self, folder):
        self.folder, self.loaded, self.clips = folder, set(), []

    def refresh(self):
        for path in sorted(glob.glob(os.path.join(self.folder, "*.npz"))):
            if path.endswith(".tmp.npz") or path in self.loaded:
                continue
            self.clips.extend(np.load(path)["audio"])
            self.loaded.add(path)
        return len(self.clips)

    def crops(self, rng, batch, samples, hop):
        out = []
        for i in rng.integers(0, len(self.clips), batch):
            clip = self.clips[i]
            o = int(rng.integers(0, (len(clip) - samples) // hop)) * hop
            out.append(clip[o:o + samples])
        return torch.tensor(np.stack(out).astype(np.float32) / 32767)


def to_half(state):
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def to_float(state):
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def save(model, disc, opt_g, opt_d, step, config, seconds, state=STATE, small=SMALL):
    """Writes both checkpoints (the codec's own paths unless others are given: a fine-tuning keeps its own)."""
    os.makedirs(os.path.dirname(state), exist_ok=True)
    os.makedirs(os.path.dirname(small), exist_ok=True)
    full = {"model": model.state_dict(), "disc": disc.state_dict(), "opt_g": opt_g.state_dict(),
            "opt_d": opt_d.state_dict(), "step": step, "seconds": seconds, "config": config}
    torch.save(full, state + ".tmp")
    os.replace(state + ".tmp", state)
    half = {"model": to_half(model.state_dict()), "disc": to_half(disc.state_dict()), "step": step,
            "seconds": seconds, "config": config}
    torch.save(half, small + ".tmp")
    os.replace(small + ".tmp", small)


def resume(model, disc, opt_g, opt_d, state=STATE, small=SMALL):
    """(step, training seconds so far, source) from the newest checkpoint there is: `state` with its optimisers,
    else `small`'s weights with fresh ones; (0, 0, None) when neither exists. `state` None skips the first."""
    if state is not None and os.path.exists(state):
        s = torch.load(state, map_location=next(model.parameters()).device)
        model.load_state_dict(s["model"])
        disc.load_state_dict(s["disc"])
        opt_g.load_state_dict(s["opt_g"])
        opt_d.load_state_dict(s["opt_d"])
        return s["step"], s["seconds"], state
    if os.path.exists(small):
        s = torch.load(small, map_location=next(model.parameters()).device)
        model.load_state_dict(to_float(s["model"]))
        disc.load_state_dict(to_float(s["disc"]))
        return s["step"], s["seconds"], small
    return 0, 0.0, None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=os.path.join(HERE, "codec_music.json"))
    p.add_argument("--data", default=os.path.join(common.DATA, "music", "train"))
    p.add_argument("--minutes", type=float, default=60, help="wall-clock budget of this run")
    p.add_argument("--total-minutes", type=float, default=None,
                   help="stop once the checkpoint has this much training in all (a rerun then does nothing)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--frames", type=int, default=20, help="crop length in codec frames")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--disc-start", type=int, default=500, help="step at which the discriminator joins")
    p.add_argument("--save-minutes", type=float, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cuda on a GPU machine (not tried here: no GPU)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = common.load_config(args.config)
    model = MusicCodec(config).to(args.device)
    disc = MultiScaleStftDiscriminator().to(args.device)
    opt_g = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.9))
    step, seconds, source = resume(model, disc, opt_g, opt_d)
    if args.total_minutes is not None and seconds >= args.total_minutes * 60:
        print(f"{source}: {seconds / 60:.1f} min of training already, --total-minutes {args.total_minutes}: done")
        return
    rng = np.random.default_rng([args.seed, step])  # a resumed run draws new crops, not the first run's again
    pool = CropPool(args.data)
    hop = int(np.prod(config["codec"]["strides"]))
    samples = args.frames * hop
    n_params = sum(p.numel() for p in model.parameters()) + sum(b.numel() for b in model.rvq.buffers())
    common.log(LOG, f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC: codec {os.path.basename(args.config)} "
                    f"({n_params / 1e6:.2f} M values), resumed from {source} at step {step} ({seconds / 60:.1f} min), "
                    f"{pool.refresh()} clips, batch {args.batch} x {samples} samples, lr {args.lr}, disc from step "
                    f"{args.disc_start}, budget {args.minutes} min, threads {torch.get_num_threads()}")
    start = last_save = last_list = time.time()
    avg = None
    total = float("inf") if args.total_minutes is None else args.total_minutes * 60
    while time.time() - start < args.minutes * 60 and seconds + time.time() - start < total:
        if time.time() - last_list > 300:
            pool.refresh()
            last_list = time.time()
        wav = pool.crops(rng, args.batch, samples, hop).to(args.device)
        drop = torch.rand(args.batch) < 0.5
        keep = torch.where(drop, torch.randint(1, model.levels + 1, (args.batch,)), torch.full((args.batch,), model.levels))
        out, codes, commit = model(wav, keep)
        spec = stft_loss(out, wav)
        mel = (common.log_mel(out, 160) - common.log_mel(wav, 160)).abs().mean()
        wave = (out - wav).abs().mean()
        loss = spec + mel + 0.1 * wave + 0.25 * commit
        adv = feat = d_loss = torch.zeros(())
        if step >= args.disc_start:
            d_loss = discriminator_loss(disc(wav), disc(out.detach()))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            adv, feat = generator_losses(disc(wav), disc(out))
            loss = loss + adv + 2 * feat
        opt_g.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt_g.step()
        step += 1
        values = np.array([x.item() for x in (loss, spec, mel, wave, commit, adv, feat, d_loss)])
        avg = values if avg is None else 0.95 * avg + 0.05 * values
        if step % 25 == 0:
            used = [len(torch.unique(codes[:, q])) for q in (0, 1, codes.shape[1] - 1)]
            elapsed = seconds + time.time() - start
            common.log(LOG, f"step {step} t {elapsed / 60:.1f}min clips {len(pool.clips)} loss {avg[0]:.4f} "
                            f"stft {avg[1]:.4f} mel {avg[2]:.4f} wav {avg[3]:.4f} commit {avg[4]:.4f} "
                            f"adv {avg[5]:.4f} feat {avg[6]:.4f} disc {avg[7]:.4f} codes-used(q0,q1,qlast) {used}")
        if time.time() - last_save > args.save_minutes * 60:
            save(model, disc, opt_g, opt_d, step, json.loads(json.dumps(config)), seconds + time.time() - start)
            last_save = time.time()
    save(model, disc, opt_g, opt_d, step, config, seconds + time.time() - start)
    common.log(LOG, f"stopped at step {step}, {(seconds + time.time() - start) / 60:.1f} min of training in all")


if __name__ == "__main__":
    main()
