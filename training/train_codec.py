"""Train the SoundStream-style codec, then encode the corpus into acoustic codes.

    train_codec.py train --minutes 20 [--seed 0]
    train_codec.py evaluate          # held-out reconstruction numbers into logs/codec.log
    train_codec.py encode [--limit N]  # data/{train,heldout}.npz -> data/codes_{train,heldout}.npy [N, Q, T]

The decoder is the reference SoundStreamDecoder (weights-spec/reference/model.py)
built from default.json's codec section, so its state dict is the bundle's
`codec.decoder.*`; the encoder mirrors it (residual units then a strided
conv, strides reversed, channels 8 -> 128, then a conv to the 32-d latent) and
is not exported. The residual vector quantiser has Q = coarse + fine = 4
levels of 256 codes, codebooks updated by exponential moving averages
(k-means style, decay 0.97) with dead codes restarted from batch residuals,
and a commitment loss; codebooks are exported as `codec.rvq.codebooks`.

Loss: multi-resolution STFT (spectral convergence + log-magnitude L1 at
n_fft 256 / 512 / 1024 / 2048, hop n_fft / 4) + log-mel L1 + 0.1 x waveform L1
+ 0.25 x commitment. No adversarial loss (CPU budget), so the decoded audio is
smoother than the input.
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


class ResidualUnit(nn.Module):
    def __init__(self, ch, dilation):
        super().__init__()
        self.dilation = dilation
        self.conv1 = nn.Conv1d(ch, ch, 7, dilation=dilation)
        self.conv2 = nn.Conv1d(ch, ch, 1)

    def forward(self, x):
        h = self.conv1(ref.pad_for_conv(F.elu(x), 7, self.dilation, "causal"))
        return x + self.conv2(F.elu(h))


class EncoderBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        self.res = nn.ModuleList([ResidualUnit(cin, d) for d in (1, 3, 9)])
        self.down = nn.Conv1d(cin, cout, 2 * stride, stride=stride)

    def forward(self, x):
        for unit in self.res:
            x = unit(x)
        return self.down(F.pad(F.elu(x), (self.stride, 0)))  # T*s samples -> T frames


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch = list(reversed(c["channels"]))       # 8, 16, 32, 64, 128
        strides = list(reversed(c["strides"]))   # 2, 4, 5, 8
        self.in_conv = nn.Conv1d(1, ch[0], 7)
        self.blocks = nn.ModuleList([EncoderBlock(ch[i], ch[i + 1], s) for i, s in enumerate(strides)])
        self.out_conv = nn.Conv1d(ch[-1], c["latent_dim"], 3)

    def forward(self, wav):
        x = self.in_conv(F.pad(wav[:, None], (6, 0)))
        for block in self.blocks:
            x = block(x)
        return self.out_conv(F.pad(F.elu(x), (2, 0)))  # [B, latent, T]


class EmaRvq(nn.Module):
    def __init__(self, levels, size, dim, decay=0.97):
        super().__init__()
        self.levels, self.size, self.decay = levels, size, decay
        self.register_buffer("codebooks", torch.randn(levels, size, dim) * 0.1)
        self.register_buffer("ema_count", torch.ones(levels, size))
        self.register_buffer("ema_sum", self.codebooks.clone())
        self.register_buffer("initialised", torch.zeros(()))

    def nearest(self, level, r):
        cb = self.codebooks[level]
        d = (r * r).sum(1, keepdim=True) - 2 * r @ cb.t() + (cb * cb).sum(1)[None]
        return d.argmin(1)

    def forward(self, z):
        """z [B, D, T] -> (quantised with straight-through, codes [B, Q, T], commitment loss)."""
        b, d, t = z.shape
        flat = z.permute(0, 2, 1).reshape(-1, d)
        residual = flat.detach()
        quantised = torch.zeros_like(flat)
        codes = []
        if self.training and self.initialised.item() == 0:
            for level in range(self.levels):
                pick = residual[torch.randperm(residual.shape[0])[: self.size]]
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
                dead = self.ema_count[level] < 0.3  # unused for ~40 steps
                if dead.any():
                    k = int(dead.sum())
                    pick = residual[torch.randint(0, residual.shape[0], (k,))]
                    self.codebooks[level][dead] = pick
                    self.ema_sum[level][dead] = pick
                    self.ema_count[level][dead] = 1.0
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
        self.encoder = Encoder(c)
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
    for n in (256, 512, 1024, 2048):
        w = torch.hann_window(n)
        sx = torch.stft(x, n, n // 4, window=w, return_complex=True).abs() + 1e-5
        sy = torch.stft(y, n, n // 4, window=w, return_complex=True).abs() + 1e-5
        loss = loss + torch.norm(sy - sx) / torch.norm(sy) + (sx.log() - sy.log()).abs().mean()
    return loss / 4


def train(args):
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    config = common.load_config()
    # Its own pool of corpus music (seed args.pool_seed), so codec training need not wait for the full corpus.
    import corpus
    audio = np.stack([(corpus.synthesise(corpus.describe(args.pool_seed, i))[0] * 32767).astype(np.int16)
                      for i in range(args.pool)])
    model = CodecModel(config)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr, betas=(0.8, 0.99))
    hop = int(np.prod(config["codec"]["strides"]))
    crop = args.frames * hop
    start = time.time()
    step = 0
    logname = "codec.log"
    common.log(logname, f"# codec: pool {args.pool} clips of seed {args.pool_seed}, seed {args.seed}, batch {args.batch} x {crop} samples, lr {args.lr}, "
                        f"budget {args.minutes} min, threads {torch.get_num_threads()}")
    avg = None
    while time.time() - start < args.minutes * 60 and step < args.max_steps:
        idx = rng.integers(0, audio.shape[0], args.batch)
        offs = rng.integers(0, (audio.shape[1] - crop) // hop, args.batch) * hop
        wav = torch.tensor(np.stack([audio[i, o:o + crop] for i, o in zip(idx, offs)]).astype(np.float32) / 32767)
        out, codes, commit = model(wav)
        spec = stft_loss(out, wav)
        mel = (common.log_mel(out, 160) - common.log_mel(wav, 160)).abs().mean()
        wave = (out - wav).abs().mean()
        loss = spec + 0.1 * mel + 0.1 * wave + 0.25 * commit
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        values = np.array([loss.item(), spec.item(), mel.item(), wave.item(), commit.item()])
        avg = values if avg is None else 0.95 * avg + 0.05 * values
        if step % 25 == 0:
            used = [len(torch.unique(codes[:, q])) for q in range(codes.shape[1])]
            common.log(logname, f"step {step} t {time.time() - start:.0f}s loss {avg[0]:.4f} stft {avg[1]:.4f} "
                                f"mel {avg[2]:.4f} wav {avg[3]:.4f} commit {avg[4]:.4f} codes-used {used}")
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
    """Held-out reconstruction: log-mel L1 and multi-resolution STFT loss with all Q levels and the coarse ones."""
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
            common.log("codec.log", f"heldout 8 clips, {levels} levels: log-mel L1 {mel:.3f}, "
                                    f"stft loss {stft_loss(out, wav).item():.3f}")
        silence = (common.log_mel(torch.zeros_like(wav), 160) - common.log_mel(wav, 160)).abs().mean().item()
        common.log("codec.log", f"heldout 8 clips, reference: log-mel L1 of silence {silence:.3f}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["train", "encode", "evaluate"])
    p.add_argument("--minutes", type=float, default=20)
    p.add_argument("--max-steps", type=int, default=1 << 30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--frames", type=int, default=40, help="crop length in codec frames (50 per second)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=None, help="encode only the first N clips of each split")
    p.add_argument("--pool", type=int, default=300, help="clips of music synthesised for codec training")
    p.add_argument("--pool-seed", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(common.RUNS, exist_ok=True)
    {"train": train, "encode": encode, "evaluate": evaluate}[args.command](args)


if __name__ == "__main__":
    main()
