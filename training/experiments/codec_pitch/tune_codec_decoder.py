"""Tune the real-music codec's decoder so held notes keep their pitch, resumably; codes stay as they were.

    experiments/codec_pitch/tune_codec_decoder.py --minutes 70 [--adv-weight 0 --low-weight 50 --lr 3e-4 ...]

Why: the decoder of checkpoints/codec_music.pt plays a held note at a multiple of the codec's 50 Hz frame
rate (a piano's A5 at about 800 Hz: evaluation/codec_pitch.py), although the codes carry the note's
phase (a 440 Hz tone cycles through 5 codes, 8.8 periods a frame). Its losses compare magnitudes over 0.4 s
crops at windows of at most 4096 samples, which barely separate 400 Hz from 440 Hz in a short crop, and
nothing asked for the waveform. Here the decoder alone trains, on the first 4 levels that the default model
decodes, with train_codec_music.py's losses plus:

- log-magnitude and spectral convergence at windows of 4096 and 8192 samples (2 Hz bins) over 1.28 s crops,
  where a note 10 % off lands in other bins;
- waveform L1 below 1 kHz (train_codec.low_band_l1): bass, chords and melody at their phase;
- a quarter of each batch synthetic held notes (harmonic tones at equal-tempered pitches, up to three at a
  time, with attacks and decays), so that steady pitch is trained whatever the corpus's share of it.

The encoder and the codebooks are frozen (the quantiser in eval mode), so every code the stages were
trained on means what it meant, and a bundle takes the new decoder without retraining a stage.

--adv-weight 0 drops the discriminator (a pure reconstruction objective, four times as fast a step).
--decoder-channels 256,128,64,32,16 trains a wider decoder from scratch on the same frozen encoder and
codebooks (config "decoder_channels"; the bundle's SPEC would first have to take the encoder's widths apart
from the decoder's); that is the GPU run `gpu.sh` prepares, as this CPU cannot train one far enough.

Checkpoints, every --save-minutes and at the end: --state (runs/codec_tuned_state.pt, to resume exactly)
and --out (runs/codec_tuned.pt, the whole codec in fp16 with the tuned decoder, the discriminator, step and
config), neither committed: the result was not shipped (README.md beside this file). A first run starts
from checkpoints/codec_music.pt. The log goes to experiments/codec_pitch/logs/ (--log names the file).
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

# training/ holds common and the codec's training, whose pieces this reuses.
TRAINING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, TRAINING)
import common  # noqa: E402
import train_codec_music  # noqa: E402
from codec_music import MusicCodec  # noqa: E402
from stft_discriminator import MultiScaleStftDiscriminator, discriminator_loss, generator_losses  # noqa: E402
from train_codec import low_band_l1, stft_loss  # noqa: E402
from train_codec_music import SMALL as CODEC, CropPool  # noqa: E402

STATE = os.path.join(common.RUNS, "codec_tuned_state.pt")
TUNED = os.path.join(common.RUNS, "codec_tuned.pt")
LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs", "tune.log")


def fine_stft_loss(x, y):
    """Spectral convergence + log-magnitude L1 at windows of 4096 and 8192 samples, hop an eighth."""
    loss = 0.0
    for n in (4096, 8192):
        w = torch.hann_window(n, device=x.device)
        sx = torch.stft(x, n, n // 8, window=w, return_complex=True).abs() + 1e-5
        sy = torch.stft(y, n, n // 8, window=w, return_complex=True).abs() + 1e-5
        loss = loss + torch.norm(sy - sx) / torch.norm(sy) + (sx.log() - sy.log()).abs().mean()
    return loss / 2


def held_notes(rng, samples):
    """One crop of synthetic held notes (float32): 1-3 harmonic tones at equal-tempered pitches (MIDI 33-93,
    55 Hz to 1.76 kHz), each with a random spectral slope, attack, decay and start, at -32 to -18 dB RMS."""
    t = np.arange(samples) / common.SR
    out = np.zeros(samples)
    for _ in range(int(rng.integers(1, 4))):
        f0 = 440.0 * 2 ** ((int(rng.integers(33, 94)) - 69) / 12)
        harmonics = np.arange(1, int(7000 // f0) + 1)
        amps = harmonics ** -rng.uniform(0.5, 2.0) * rng.uniform(0.3, 1.0, len(harmonics))
        phases = rng.uniform(0, 2 * np.pi, len(harmonics))
        tone = (amps[:, None] * np.sin(2 * np.pi * f0 * harmonics[:, None] * t + phases[:, None])).sum(0)
        start = rng.uniform(-0.5, 0.6)
        since = np.clip(t - start, 0, None)
        envelope = np.minimum(since / rng.uniform(0.005, 0.05), 1) * np.exp(-since / rng.uniform(0.3, 4.0))
        out += tone * envelope * (t >= start)
    rms = np.sqrt(np.mean(out ** 2)) + 1e-9
    return (out / rms * 10 ** (rng.uniform(-32, -18) / 20)).astype(np.float32)


def batch(pool, rng, size, samples, hop, tone_share):
    """size crops of the corpus, of which round(size * tone_share) are replaced by synthetic held notes."""
    wav = pool.crops(rng, size, samples, hop)
    for i in range(int(round(size * tone_share))):
        wav[i] = torch.from_numpy(held_notes(rng, samples))
    return wav


def resume(model, disc, opt_g, opt_d, state, tuned, fresh_decoder):
    """(step, seconds, source): this tuning's newest checkpoint, else the trained codec's weights at step 0
    (with fresh_decoder, only its encoder and codebooks: the decoder and discriminator start anew)."""
    step, seconds, source = train_codec_music.resume(model, disc, opt_g, opt_d, state, tuned)
    if source is not None:
        return step, seconds, source
    if not os.path.exists(CODEC):
        raise SystemExit(f"error: {CODEC} is missing: the tuning starts from the trained codec")
    if fresh_decoder:
        trained = train_codec_music.to_float(torch.load(CODEC, map_location="cpu")["model"])
        kept = {k: v for k, v in trained.items() if not k.startswith("decoder.")}
        missing, unexpected = model.load_state_dict(kept, strict=False)
        assert not unexpected and all(k.startswith("decoder.") for k in missing), (missing, unexpected)
    else:
        train_codec_music.resume(model, disc, opt_g, opt_d, None, CODEC)
    return 0, 0.0, CODEC


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=os.path.join(TRAINING, "codec_music.json"))
    p.add_argument("--data", default=os.path.join(common.DATA, "music", "train"))
    p.add_argument("--minutes", type=float, default=60, help="wall-clock budget of this run")
    p.add_argument("--total-minutes", type=float, default=None,
                   help="stop once the checkpoint has this much tuning in all (a rerun then does nothing)")
    p.add_argument("--levels", type=int, default=4, help="RVQ levels the decoder learns to decode")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--frames", type=int, default=64, help="crop length in codec frames")
    p.add_argument("--tone-share", type=float, default=0.25, help="share of each batch that is synthetic held notes")
    p.add_argument("--low-weight", type=float, default=10.0, help="weight of the waveform L1 below 1 kHz")
    p.add_argument("--adv-weight", type=float, default=1.0,
                   help="weight of the adversarial and feature-matching terms; 0 trains without the discriminator")
    p.add_argument("--decoder-channels", help="a wider decoder from scratch, e.g. 256,128,64,32,16")
    p.add_argument("--disc-start", type=int, default=0, help="step at which the discriminator joins")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--state", default=STATE, help="full checkpoint to resume from and write")
    p.add_argument("--out", default=TUNED, help="fp16 checkpoint to write")
    p.add_argument("--log", default=LOG, help="log file (a bare name goes to logs/ beside this file)")
    p.add_argument("--save-minutes", type=float, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cuda on a GPU machine")
    args = p.parse_args()
    args.log = os.path.join(os.path.dirname(LOG), args.log)  # a full path stays as given
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = common.load_config(args.config)
    if args.decoder_channels:
        config["codec"]["decoder_channels"] = [int(c) for c in args.decoder_channels.split(",")]
    model = MusicCodec(config).to(args.device)
    disc = MultiScaleStftDiscriminator().to(args.device)
    opt_g = torch.optim.Adam(model.decoder.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.9))
    step, seconds, source = resume(model, disc, opt_g, opt_d, args.state, args.out, bool(args.decoder_channels))
    if args.total_minutes is not None and seconds >= args.total_minutes * 60:
        print(f"{source}: {seconds / 60:.1f} min of tuning already, --total-minutes {args.total_minutes}: done")
        return
    model.encoder.requires_grad_(False)
    model.encoder.eval()
    model.rvq.eval()
    rng = np.random.default_rng([args.seed, step, 11])  # a resumed run draws new crops
    pool = CropPool(args.data)
    hop = int(np.prod(config["codec"]["strides"]))
    samples = args.frames * hop
    keep = torch.full((args.batch,), args.levels, device=args.device)
    common.log(args.log, f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC: decoder of {os.path.basename(args.config)}"
                    f" at {args.levels} levels, resumed from {os.path.relpath(source, TRAINING)} at step {step} "
                    f"({seconds / 60:.1f} min), {pool.refresh()} clips, batch {args.batch} x {samples} samples "
                    f"({args.tone_share:.0%} held notes), decoder channels {config['codec'].get('decoder_channels', config['codec']['channels'])}, "
                    f"lr {args.lr}, budget {args.minutes} min, device {args.device}, "
                    f"threads {torch.get_num_threads()}")
    start = last_save = time.time()
    avg = None
    total = float("inf") if args.total_minutes is None else args.total_minutes * 60
    while time.time() - start < args.minutes * 60 and seconds + time.time() - start < total:
        wav = batch(pool, rng, args.batch, samples, hop, args.tone_share).to(args.device)
        with torch.no_grad():
            latent, _, _ = model.rvq(model.encoder(wav), keep)
        out = common.decode_waveform(model.decoder, latent)
        spec = stft_loss(out, wav)
        fine = fine_stft_loss(out, wav)
        low = low_band_l1(out, wav)
        mel = (common.log_mel(out, 160) - common.log_mel(wav, 160)).abs().mean()
        wave = (out - wav).abs().mean()
        if args.adv_weight > 0 and step >= args.disc_start:
            d_loss = discriminator_loss(disc(wav), disc(out.detach()))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            adv, feat = generator_losses(disc(wav), disc(out))
        else:
            d_loss = adv = feat = torch.zeros(())
        loss = spec + fine + args.low_weight * low + mel + 0.1 * wave + args.adv_weight * (adv + 2 * feat)
        opt_g.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.decoder.parameters(), 10.0)
        opt_g.step()
        step += 1
        values = np.array([x.item() for x in (loss, spec, fine, low, mel, wave, adv, feat, d_loss)])
        avg = values if avg is None else 0.95 * avg + 0.05 * values
        if step % 25 == 0:
            elapsed = seconds + time.time() - start
            common.log(args.log, f"step {step} t {elapsed / 60:.1f}min loss {avg[0]:.4f} stft {avg[1]:.4f} fine {avg[2]:.4f} "
                            f"low {avg[3]:.5f} mel {avg[4]:.4f} wav {avg[5]:.4f} adv {avg[6]:.4f} feat {avg[7]:.4f} "
                            f"disc {avg[8]:.4f}")
        if time.time() - last_save > args.save_minutes * 60:
            train_codec_music.save(model, disc, opt_g, opt_d, step, json.loads(json.dumps(config)),
                                   seconds + time.time() - start, args.state, args.out)
            last_save = time.time()
    train_codec_music.save(model, disc, opt_g, opt_d, step, config, seconds + time.time() - start, args.state, args.out)
    common.log(args.log, f"stopped at step {step}, {(seconds + time.time() - start) / 60:.1f} min of tuning in all")


if __name__ == "__main__":
    main()
