"""Train the SoundStream-style codec, then encode the corpus into acoustic codes.

    train_codec.py train --minutes 20 [--seed 0]
    train_codec.py fit-encoder --bundle DIR --minutes 20   # a new encoder for a bundle's frozen decoder
    train_codec.py evaluate          # held-out reconstruction numbers into logs/codec.log
    train_codec.py encode [--limit N]  # data/{train,heldout}.npz -> data/codes_{train,heldout}.npy [N, Q, T]

The decoder is the reference SoundStreamDecoder (weights-spec/reference/model.py)
built from default.json's codec section (Snake activations), so its state dict
is the bundle's `codec.decoder.*`; the encoder reads the log-magnitude STFT and
the raw samples (`SpectralEncoder`) and is not exported. The residual vector
quantiser has Q = coarse + fine = 4 levels of 256 codes, codebooks updated by
exponential moving averages (k-means style, decay 0.97) with dead codes
restarted from batch residuals, and a commitment loss; codebooks are exported
as `codec.rvq.codebooks`.

Loss: multi-resolution STFT (spectral convergence + log-magnitude L1 at
n_fft 256 / 512 / 1024 / 2048 / 4096, hop n_fft / 4) + 0.1 x log-mel L1
+ 0.1 x waveform L1 + 2 x waveform L1 below 1 kHz + 0.25 x commitment; Adam,
lr 1e-3 on a cosine to 1e-4 over the wall-clock budget. No adversarial loss
(CPU budget), so the decoded audio is smoother than the input.

The encoder is not exported, so a bundle alone cannot turn audio into codes.
`fit-encoder` trains a fresh encoder, with the same loss, against the
bundle's decoder and codebooks held fixed (gradients pass the quantiser
straight through), and saves it with them as runs/codec.pt: `encode` then
gives codes that the shipped decoder, and the stages trained on it, understand.
"""

import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import common
from common import ref


class SpectralEncoder(nn.Module):
    """Log-magnitude STFT (n_fft 1024, one frame per hop) and the frame's raw samples -> three convolutions
    -> latent [B, latent, T].

    Frame t's window is centred on the middle of the hop it stands for, so it sees a little of the
    frames either side; only the decoder has to be causal. A waveform encoder mirroring the decoder
    (the first version) reached a given loss about 4x later on this CPU budget; from the magnitude
    spectrum the pitches are there to be read. The magnitude alone is not enough, though: a
    convolutional decoder given the same latent every frame can only repeat one 20 ms waveform, that is
    partials at multiples of 50 Hz, so a sustained note at any other pitch needs its phase in the latent.
    The raw samples carry it.
    """

    def __init__(self, c, hop):
        super().__init__()
        self.hop = hop
        self.net = nn.Sequential(
            nn.Conv1d(513 + 1024, 256, 3, padding=1), nn.ELU(),
            nn.Conv1d(256, 256, 3, padding=1), nn.ELU(),
            nn.Conv1d(256, c["latent_dim"], 1))

    def forward(self, wav):
        frames = wav.shape[1] // self.hop
        x = F.pad(wav, (0, self.hop))[:, self.hop // 2:]
        spec = torch.stft(x, 1024, self.hop, window=torch.hann_window(1024), return_complex=True).abs()
        windows = F.pad(x, (512, 512)).unfold(1, 1024, self.hop)[:, :frames].permute(0, 2, 1)  # [B, 1024, T]
        return self.net(torch.cat([torch.log(spec[..., :frames] + 1e-4), 4 * windows], 1))


class EmaRvq(nn.Module):
    def __init__(self, levels, size, dim, decay=0.97, dead_below=0.3, distinct_restarts=False, restart_count=1.0):
        super().__init__()
        self.levels, self.size, self.decay, self.dead_below = levels, size, decay, dead_below
        self.distinct_restarts, self.restart_count = distinct_restarts, restart_count
        self.register_buffer("codebooks", torch.randn(levels, size, dim) * 0.1)
        self.register_buffer("ema_count", torch.ones(levels, size))
        self.register_buffer("ema_sum", self.codebooks.clone())
        self.register_buffer("initialised", torch.zeros(()))

    def nearest(self, level, r):
        cb = self.codebooks[level]
        d = (r * r).sum(1, keepdim=True) - 2 * r @ cb.t() + (cb * cb).sum(1)[None]
        return d.argmin(1)

    def forward(self, z, keep=None):
        """z [B, D, T] -> (quantised with straight-through, codes [B, Q, T], commitment loss). keep [B], when
        given, is how many levels each item's output sums (quantiser dropout, SoundStream §3.3); the
        codebooks still learn from every level's residual."""
        b, d, t = z.shape
        flat = z.permute(0, 2, 1).reshape(-1, d)
        residual = flat.detach()
        quantised = torch.zeros_like(flat)
        codes = []
        if self.training and self.initialised.item() == 0:
            for level in range(self.levels):
                n = residual.shape[0]
                # Fewer vectors than codes (a large codebook, small batch): draw with replacement, jittered.
                pick = (residual[torch.randperm(n)[: self.size]] if n >= self.size else
                        residual[torch.randint(0, n, (self.size,))] *
                        (1 + 0.05 * torch.randn(self.size, 1, device=residual.device)))
                self.codebooks[level] = pick
                self.ema_sum[level] = pick
                residual = residual - self.codebooks[level][self.nearest(level, residual)]
            self.initialised.fill_(1)
            residual = flat.detach()
        for level in range(self.levels):
            idx = self.nearest(level, residual)
            q = self.codebooks[level][idx]
            if self.training:
                onehot = F.one_hot(idx, self.size).float()
                count = onehot.sum(0)
                self.ema_count[level].mul_(self.decay).add_(count, alpha=1 - self.decay)
                self.ema_sum[level].mul_(self.decay).add_(onehot.t() @ residual, alpha=1 - self.decay)
                n = self.ema_count[level].sum()
                smoothed = (self.ema_count[level] + 1e-5) / (n + self.size * 1e-5) * n
                self.codebooks[level] = self.ema_sum[level] / smoothed[:, None]
                dead = self.ema_count[level] < self.dead_below  # 0.3: unused for ~40 steps at decay 0.97
                if dead.any() and self.distinct_restarts:
                    # At most half the batch's vectors, each to one code: restarting many codes on copies of
                    # a few vectors leaves them duplicates that stay unused (a 1024-code book, small batches).
                    n = residual.shape[0]
                    dead = dead.nonzero()[:, 0]
                    dead = dead[torch.randperm(len(dead))[: n // 2]]
                    pick = residual[torch.randperm(n)[: len(dead)]]
                    self.codebooks[level][dead] = pick
                    self.ema_sum[level][dead] = pick * self.restart_count
                    self.ema_count[level][dead] = self.restart_count
                elif dead.any():
                    k = int(dead.sum())
                    pick = residual[torch.randint(0, residual.shape[0], (k,))]
                    self.codebooks[level][dead] = pick
                    self.ema_sum[level][dead] = pick
                    self.ema_count[level][dead] = 1.0
            if keep is not None:
                q_out = q * (level < keep).to(q.device).repeat_interleave(t)[:, None]
                quantised = quantised + q_out
            else:
                quantised = quantised + q
            residual = residual - q
            codes.append(idx)
        commit = F.mse_loss(flat, quantised.detach())
        out = flat + (quantised - flat).detach()
        codes = torch.stack(codes, 0).view(self.levels, b, t).permute(1, 0, 2)
        return out.view(b, t, d).permute(0, 2, 1), codes, commit


class CodecModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = config["codec"]
        self.encoder = SpectralEncoder(c, int(np.prod(c["strides"])))
        self.rvq = EmaRvq(config_total_levels(config), config["tokens"]["codebook_size"], c["codebook_dim"])
        self.decoder = ref.SoundStreamDecoder(c)

    def forward(self, wav):
        z = self.encoder(wav)
        q, codes, commit = self.rvq(z)
        return common.decode_waveform(self.decoder, q), codes, commit


def config_total_levels(config):
    return config["tokens"]["coarse_levels"] + config["tokens"]["fine_levels"]


def stft_loss(x, y):
    loss = 0.0
    for n in (256, 512, 1024, 2048, 4096):
        w = torch.hann_window(n, device=x.device)
        sx = torch.stft(x, n, n // 4, window=w, return_complex=True).abs() + 1e-5
        sy = torch.stft(y, n, n // 4, window=w, return_complex=True).abs() + 1e-5
        loss = loss + torch.norm(sy - sx) / torch.norm(sy) + (sx.log() - sy.log()).abs().mean()
    return loss / 5


def low_band_l1(x, y, cutoff_hz=1000.0):
    """Waveform L1 of the difference below cutoff_hz: rewards keeping the phase of bass, chords and
    melody (where it is predictable) without asking the decoder to copy noise sample for sample."""
    d = torch.fft.rfft(x - y)
    keep = int(cutoff_hz / common.SR * x.shape[-1])
    return torch.fft.irfft(d[..., :keep], n=x.shape[-1]).abs().mean()


def set_cosine_lr(opt, base_lr, start, budget):
    """Cosine decay over the wall-clock budget, to a tenth of the initial rate."""
    progress = min(1.0, (time.time() - start) / budget)
    for group in opt.param_groups:
        group["lr"] = base_lr * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def random_crops(audio, rng, batch, crop, hop):
    """`batch` crops of `crop` samples at hop-aligned offsets of random clips, float in [-1, 1]."""
    idx = rng.integers(0, audio.shape[0], batch)
    offs = rng.integers(0, (audio.shape[1] - crop) // hop, batch) * hop
    return torch.tensor(np.stack([audio[i, o:o + crop] for i, o in zip(idx, offs)]).astype(np.float32) / 32767)


def reconstruction_loss(out, wav, commit):
    """The training loss (module docstring) and its terms: total, STFT, log-mel, waveform, low band."""
    spec = stft_loss(out, wav)
    mel = (common.log_mel(out, 160) - common.log_mel(wav, 160)).abs().mean()
    wave = (out - wav).abs().mean()
    low = low_band_l1(out, wav)
    return spec + 0.1 * mel + 0.1 * wave + 2 * low + 0.25 * commit, spec, mel, wave, low


def train(args):
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    config = common.load_config()
    audio = common.load_corpus("train")["audio"][: args.pool]
    model = CodecModel(config)
    if args.init:  # resume: weights and codebooks (not the optimiser state)
        model.load_state_dict(torch.load(args.init)["model"])
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr, betas=(0.8, 0.99))
    hop = int(np.prod(config["codec"]["strides"]))
    crop = args.frames * hop
    start = time.time()
    budget = args.minutes * 60
    step = 0
    logname = "codec.log"
    common.log(logname, f"# codec: first {args.pool} training clips, init {args.init}, seed {args.seed}, batch {args.batch} x {crop} samples, lr {args.lr}, "
                        f"budget {args.minutes} min, threads {torch.get_num_threads()}")
    avg = None
    while time.time() - start < budget and step < args.max_steps:
        set_cosine_lr(opt, args.lr, start, budget)
        wav = random_crops(audio, rng, args.batch, crop, hop)
        out, codes, commit = model(wav)
        loss, spec, mel, wave, low = reconstruction_loss(out, wav, commit)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        values = np.array([loss.item(), spec.item(), mel.item(), wave.item(), low.item(), commit.item()])
        avg = values if avg is None else 0.95 * avg + 0.05 * values
        if step % 25 == 0:
            used = [len(torch.unique(codes[:, q])) for q in range(codes.shape[1])]
            common.log(logname, f"step {step} t {time.time() - start:.0f}s loss {avg[0]:.4f} stft {avg[1]:.4f} "
                                f"mel {avg[2]:.4f} wav {avg[3]:.4f} low {avg[4]:.4f} commit {avg[5]:.4f} codes-used {used}")
        if step % 200 == 0:
            torch.save({"model": model.state_dict(), "step": step}, os.path.join(common.RUNS, "codec.pt"))
    torch.save({"model": model.state_dict(), "step": step}, os.path.join(common.RUNS, "codec.pt"))
    common.log(logname, f"done: {step} steps in {(time.time() - start) / 60:.1f} min")


def fit_encoder(args):
    """A new encoder for the bundle's decoder and codebooks, which stay as shipped."""
    import bundle as bundle_io

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    config = bundle_io.read_config(args.bundle)
    tensors, _ = bundle_io.read_component(args.bundle, "codec")
    model = CodecModel(config)
    model.decoder.load_state_dict({k[len("decoder."):]: torch.from_numpy(v) for k, v in tensors.items()
                                   if k.startswith("decoder.")})
    model.rvq.codebooks.copy_(torch.from_numpy(tensors["rvq.codebooks"]))
    model.rvq.initialised.fill_(1)
    model.rvq.eval()  # no EMA updates, no dead-code restarts: the codebooks are the bundle's
    model.decoder.requires_grad_(False)
    audio = common.load_corpus("train")["audio"][: args.pool]
    opt = torch.optim.Adam(model.encoder.parameters(), lr=args.lr, betas=(0.8, 0.99))
    hop = int(np.prod(config["codec"]["strides"]))
    crop = args.frames * hop
    start, budget, step, avg = time.time(), args.minutes * 60, 0, None
    logname = "codec_encoder.log"
    common.log(logname, f"# fit-encoder: decoder and codebooks of {os.path.normpath(args.bundle)}, first {args.pool} "
                        f"training clips, seed {args.seed}, batch {args.batch} x {crop} samples, lr {args.lr}, "
                        f"budget {args.minutes} min, threads {torch.get_num_threads()}")
    while time.time() - start < budget and step < args.max_steps:
        set_cosine_lr(opt, args.lr, start, budget)
        wav = random_crops(audio, rng, args.batch, crop, hop)
        out, _, commit = model(wav)
        loss, spec, mel, _, _ = reconstruction_loss(out, wav, commit)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.encoder.parameters(), 5.0)
        opt.step()
        step += 1
        values = np.array([loss.item(), spec.item(), mel.item(), commit.item()])
        avg = values if avg is None else 0.95 * avg + 0.05 * values
        if step % 25 == 0:
            common.log(logname, f"step {step} t {time.time() - start:.0f}s loss {avg[0]:.4f} stft {avg[1]:.4f} "
                                f"mel {avg[2]:.4f} commit {avg[3]:.4f}")
        if step % 200 == 0:
            torch.save({"model": model.state_dict(), "step": step}, os.path.join(common.RUNS, "codec.pt"))
    torch.save({"model": model.state_dict(), "step": step}, os.path.join(common.RUNS, "codec.pt"))
    common.log(logname, f"done: {step} steps in {(time.time() - start) / 60:.1f} min")


def load_trained(config):
    model = CodecModel(config)
    model.load_state_dict(torch.load(os.path.join(common.RUNS, "codec.pt"))["model"])
    return model.eval()


def encode(args):
    config = common.load_config()
    model = load_trained(config)
    for name in ("train", "heldout"):
        audio = common.load_corpus(name)["audio"][: args.limit]
        codes = []
        with torch.no_grad():
            for i in range(audio.shape[0]):  # one clip at a time: whole-clip batches thrash memory
                wav = torch.tensor(audio[i:i + 1].astype(np.float32) / 32767)
                codes.append(model.rvq(model.encoder(wav))[1].numpy().astype(np.int16))
        codes = np.concatenate(codes)
        np.save(os.path.join(common.DATA, f"codes_{name}.npy"), codes)
        print(f"{name}: codes {codes.shape}")


def evaluate(args):
    """Held-out reconstruction with all Q levels and the coarse ones: log-mel L1, multi-resolution STFT loss,
    and evaluate.py's harmonic share and pulse clarity beside the original's."""
    import evaluate as measures

    config = common.load_config()
    model = load_trained(config)
    audio = common.load_corpus("heldout")["audio"][:8]
    wav = torch.tensor(audio.astype(np.float32) / 32767)
    qc = config["tokens"]["coarse_levels"]
    with torch.no_grad():
        codes = model.rvq(model.encoder(wav))[1]
        for levels in (codes.shape[1], qc):
            cb = model.rvq.codebooks
            latent = sum(cb[q][codes[:, q]] for q in range(levels)).permute(0, 2, 1)
            out = common.decode_waveform(model.decoder, latent)
            mel = (common.log_mel(out, 160) - common.log_mel(wav, 160)).abs().mean().item()
            harmonic = np.mean([measures.harmonic_ratio(x) for x in out.numpy()])
            pulse = np.mean([measures.pulse_clarity(x) for x in out.numpy()])
            common.log(args.log, f"heldout 8 clips, {levels} levels: log-mel L1 {mel:.3f}, "
                                    f"stft loss {stft_loss(out, wav).item():.3f}, harmonic share {harmonic:.3f}, "
                                    f"pulse clarity {pulse:.3f}")
        silence = (common.log_mel(torch.zeros_like(wav), 160) - common.log_mel(wav, 160)).abs().mean().item()
        common.log(args.log, f"heldout 8 clips, reference: log-mel L1 of silence {silence:.3f}; original "
                                f"harmonic share {np.mean([measures.harmonic_ratio(x) for x in wav.numpy()]):.3f}, "
                                f"pulse clarity {np.mean([measures.pulse_clarity(x) for x in wav.numpy()]):.3f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["train", "fit-encoder", "encode", "evaluate"])
    p.add_argument("--minutes", type=float, default=20)
    p.add_argument("--max-steps", type=int, default=1 << 30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--frames", type=int, default=40, help="crop length in codec frames (50 per second)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=None, help="encode only the first N clips of each split")
    p.add_argument("--pool", type=int, default=300, help="training clips (data/train.npz) the codec trains on")
    p.add_argument("--init", help="checkpoint to start from")
    p.add_argument("--bundle", help="fit-encoder: the bundle whose codec decoder and codebooks to fit")
    p.add_argument("--log", default="codec.log", help="evaluate: the log under logs/ to append to")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(common.RUNS, exist_ok=True)
    {"train": train, "fit-encoder": fit_encoder, "encode": encode, "evaluate": evaluate}[args.command](args)


if __name__ == "__main__":
    main()
