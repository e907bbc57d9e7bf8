"""A compact copy of the training corpus for a GPU machine that cannot render it: clips spread evenly over
data/music/train, int16, compressed, in one shard that train_codec_music.CropPool reads.

    experiments/codec_pitch/pack_crops.py [--mib 60] [--out data/gpu_codec]

--mib bounds the file (the device tool carries 64 MiB of ignored paths); clips are added, evenly spread over
the corpus (composed pieces and Freedoom's tracks alike), until the next would pass it.
"""

import argparse
import io
import os
import sys

import numpy as np

TRAINING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, TRAINING)
import common  # noqa: E402
import music_corpus  # noqa: E402


def compressed_size(clips):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, audio=np.stack(clips))
    return buffer.tell()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(common.DATA, "music", "train"))
    p.add_argument("--mib", type=float, default=60)
    p.add_argument("--out", default=os.path.join(common.DATA, "gpu_codec"))
    args = p.parse_args()
    audio, _ = music_corpus.load_shards(args.data)
    # Take every k-th clip, k chosen from a sample's compression ratio, then trim to the bound.
    sample = [audio[i] for i in np.linspace(0, len(audio) - 1, 32).round().astype(int)]
    per_clip = compressed_size(sample) / len(sample)
    count = min(len(audio), int(args.mib * 2 ** 20 / per_clip))
    clips = [audio[i] for i in np.linspace(0, len(audio) - 1, count).round().astype(int)]
    while len(clips) > 1 and compressed_size(clips) > args.mib * 2 ** 20:
        clips = clips[:int(len(clips) * 0.95)]
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "train.npz")
    np.savez_compressed(path + ".tmp.npz", audio=np.stack(clips))
    os.replace(path + ".tmp.npz", path)
    seconds = sum(len(c) for c in clips) / common.SR
    print(f"{path}: {len(clips)} of {len(audio)} clips, {seconds / 60:.0f} min of music, "
          f"{os.path.getsize(path) / 2 ** 20:.1f} MiB")


if __name__ == "__main__":
    main()
