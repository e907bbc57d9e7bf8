"""Where the codec's log-mel error lies: per group of 8 mel bands, the mean level difference (reconstruction
minus original, dB) and the mean absolute difference, on held-out rendered music, at the 4 levels the
default model decodes; level-normalised and floored as the model card's distances (finetune_codec_decoder.level_db).

    experiments/codec_decoder/band_levels.py CHECKPOINT [CHECKPOINT ...] [--clips 12] [--seconds 4]
"""

import argparse
import glob
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import common  # noqa: E402
from codec_music import MusicCodec  # noqa: E402
from finetune_codec_decoder import level_db  # noqa: E402
from train_codec_music import to_float  # noqa: E402


def load(path, config):
    model = MusicCodec(config)
    model.load_state_dict(to_float(torch.load(path)["model"]))
    return model.eval()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--clips", type=int, default=12)
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--levels", type=int, default=4)
    args = p.parse_args()
    torch.set_num_threads(1)
    config = common.load_config(os.path.join(HERE, "..", "..", "codec_music.json"))
    shards = sorted(glob.glob(os.path.join(common.DATA, "music", "heldout", "*.npz")))[:3]
    audio = np.concatenate([np.load(s)["audio"] for s in shards])[::2][: args.clips]
    wav = torch.tensor(audio[:, : int(args.seconds * common.SR)].astype(np.float32) / 32767)
    gain = 1 / (wav.pow(2).mean(1, keepdim=True).sqrt() + 1e-4)
    reference = level_db(wav, gain)
    out = {"clips": len(wav), "seconds": args.seconds, "levels": args.levels,
           "original level per 8 bands (dB)": [round(float(v), 1) for v in reference.mean((0, 1)).numpy().reshape(8, 8).mean(1)]}
    with torch.no_grad():
        for path in args.checkpoints:
            model = load(path, config)
            latent, _, _ = model.rvq(model.encoder(wav), torch.full((len(wav),), args.levels))
            decoded = level_db(common.decode_waveform(model.decoder, latent)[:, : wav.shape[1]], gain)
            difference = decoded - reference
            out[os.path.basename(path)] = {
                "mean |difference| (dB)": round(difference.abs().mean().item(), 2),
                "mean difference per 8 bands (dB)": [round(float(v), 1) for v in difference.mean((0, 1)).numpy().reshape(8, 8).mean(1)]}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
