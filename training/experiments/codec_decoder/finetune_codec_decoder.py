"""Fine-tune only the real-music codec's decoder for the levels the default model decodes, resumably.

    experiments/codec_decoder/finetune_codec_decoder.py --minutes 120 [--total-minutes 150] [--levels 4]

The encoder and the codebooks stay as trained (frozen, the quantiser in eval mode), so every code the
stages were trained on means what it meant: only what the decoder makes of them changes, and a bundle can
take the new decoder without retraining a stage.

Why: the codec was trained with quantiser dropout over all 12 levels, while the default model decodes the
first 4. Its output carries a broadband noise floor that a level-normalised log-mel measure charges heavily
(the model card: the held-out music through the codec is far further from real recordings than the music
itself). So the decoder is trained on 4-level latents only, with train_codec_music.py's losses plus the
measure's own terms: log-mel levels in dB, each clip scaled to RMS 1, floored 60 dB down
(evaluation/log_mel_distance.py), whose L1 charges noise in quiet bands as the card's distances do.

Checkpoints, every --save-minutes and at the end: runs/codec_decoder_state.pt (to resume exactly) and
runs/codec_decoder.pt (the whole codec in fp16 with the new decoder, the discriminator, step and config),
neither committed: the experiment's result was not shipped (README.md beside this file). A first run starts
from checkpoints/codec_music.pt. The log goes to experiments/codec_decoder/logs/finetune.log.
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
from codec_music import MusicCodec  # noqa: E402
from stft_discriminator import MultiScaleStftDiscriminator, discriminator_loss, generator_losses  # noqa: E402
from train_codec import stft_loss  # noqa: E402
import train_codec_music  # noqa: E402
from train_codec_music import SMALL as CODEC, CropPool  # noqa: E402

STATE = os.path.join(common.RUNS, "codec_decoder_state.pt")
SMALL = os.path.join(common.RUNS, "codec_decoder.pt")
LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs", "finetune.log")
N_FFT, HOP, FLOOR_DB = 1024, 256, -60.0


def level_db(wav, gain):
    """wav [B, samples] scaled by gain [B, 1] -> [B, frames, 64] log-mel levels in dB, as the card's
    log-mel distance and Fréchet distance read them (power per bin normalised by the window's energy)."""
    window = torch.hann_window(N_FFT, device=wav.device)
    spec = torch.stft(wav * gain, N_FFT, HOP, window=window, center=False, return_complex=True).abs() ** 2
    mel = torch.einsum("mf,bft->btm", common.mel_filterbank(N_FFT).to(wav.device), spec / window.pow(2).sum())
    return 10 * torch.log10(mel.clamp_min(10 ** (FLOOR_DB / 10)))


def level_loss(out, wav):
    """Mean |dB difference| / 10 of level-normalised, floored log-mel levels (the reference sets the gain)."""
    gain = 1 / (wav.pow(2).mean(1, keepdim=True).sqrt() + 1e-4)
    return (level_db(out, gain) - level_db(wav, gain)).abs().mean() / 10


def resume(model, disc, opt_g, opt_d):
    """(step, seconds, source): this fine-tuning's newest checkpoint, else the trained codec's weights at step 0."""
    step, seconds, source = train_codec_music.resume(model, disc, opt_g, opt_d, STATE, SMALL)
    if source is None:
        _, _, source = train_codec_music.resume(model, disc, opt_g, opt_d, None, CODEC)
    return step, seconds, source


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=os.path.join(TRAINING, "codec_music.json"))
    p.add_argument("--data", default=os.path.join(common.DATA, "music", "train"))
    p.add_argument("--minutes", type=float, default=60, help="wall-clock budget of this run")
    p.add_argument("--total-minutes", type=float, default=None,
                   help="stop once the checkpoint has this much fine-tuning in all (a rerun then does nothing)")
    p.add_argument("--levels", type=int, default=4, help="RVQ levels the decoder learns to decode")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--frames", type=int, default=20, help="crop length in codec frames")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--save-minutes", type=float, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = common.load_config(args.config)
    model = MusicCodec(config).to(args.device)
    disc = MultiScaleStftDiscriminator().to(args.device)
    opt_g = torch.optim.Adam(model.decoder.parameters(), lr=args.lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.9))
    step, seconds, source = resume(model, disc, opt_g, opt_d)
    if args.total_minutes is not None and seconds >= args.total_minutes * 60:
        print(f"{source}: {seconds / 60:.1f} min of fine-tuning already, --total-minutes {args.total_minutes}: done")
        return
    model.encoder.requires_grad_(False)
    model.encoder.eval()
    model.rvq.eval()
    rng = np.random.default_rng([args.seed, step, 7])
    pool = CropPool(args.data)
    hop = int(np.prod(config["codec"]["strides"]))
    samples = args.frames * hop
    keep = torch.full((args.batch,), args.levels)
    common.log(LOG, f"# {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC: decoder of {os.path.basename(args.config)}"
                    f" at {args.levels} levels, resumed from {source} at step {step} ({seconds / 60:.1f} min), "
                    f"{pool.refresh()} clips, batch {args.batch} x {samples} samples, lr {args.lr}, "
                    f"budget {args.minutes} min, threads {torch.get_num_threads()}")
    start = last_save = time.time()
    avg = None
    total = float("inf") if args.total_minutes is None else args.total_minutes * 60
    while time.time() - start < args.minutes * 60 and seconds + time.time() - start < total:
        wav = pool.crops(rng, args.batch, samples, hop).to(args.device)
        with torch.no_grad():
            latent, _, _ = model.rvq(model.encoder(wav), keep)
        out = common.decode_waveform(model.decoder, latent)
        spec = stft_loss(out, wav)
        mel = (common.log_mel(out, 160) - common.log_mel(wav, 160)).abs().mean()
        level = level_loss(out, wav)
        wave = (out - wav).abs().mean()
        d_loss = discriminator_loss(disc(wav), disc(out.detach()))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        adv, feat = generator_losses(disc(wav), disc(out))
        loss = spec + mel + level + 0.1 * wave + adv + 2 * feat
        opt_g.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.decoder.parameters(), 10.0)
        opt_g.step()
        step += 1
        values = np.array([x.item() for x in (loss, spec, mel, level * 10, wave, adv, feat, d_loss)])
        avg = values if avg is None else 0.95 * avg + 0.05 * values
        if step % 25 == 0:
            elapsed = seconds + time.time() - start
            common.log(LOG, f"step {step} t {elapsed / 60:.1f}min loss {avg[0]:.4f} stft {avg[1]:.4f} mel {avg[2]:.4f} "
                            f"level-dB {avg[3]:.3f} wav {avg[4]:.4f} adv {avg[5]:.4f} feat {avg[6]:.4f} disc {avg[7]:.4f}")
        if time.time() - last_save > args.save_minutes * 60:
            train_codec_music.save(model, disc, opt_g, opt_d, step, json.loads(json.dumps(config)),
                                   seconds + time.time() - start, STATE, SMALL)
            last_save = time.time()
    train_codec_music.save(model, disc, opt_g, opt_d, step, config, seconds + time.time() - start, STATE, SMALL)
    common.log(LOG, f"stopped at step {step}, {(seconds + time.time() - start) / 60:.1f} min of fine-tuning in all")


if __name__ == "__main__":
    main()
