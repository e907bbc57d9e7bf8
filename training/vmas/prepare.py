"""Data for VMAs training: each corpus clip's raw frames, codec codes and beat tracks, written to a data folder.

    prepare.py --split train [--corpus DIR] [--out DIR] [--config C.json] [--limit N] [--every K]

For each 10-second clip (longer than the config's window: the trainer takes windows out of it) of the real-music corpus (training/music_corpus.py load_shards' shards in
DIR/{train,heldout}), the paired picture (training/music_video.py: describe + render, a function of the caption
and the audio) is rendered at the config's video rate, frame f at (f + 0.5) / fps (VMAS.md §6.1), resized to
cover the config's frame size and centre-cropped (cv2 bilinear, half-pixel centres, as the runtime's reader);
the audio goes through the shared real-music codec's encoder (music_codec.py); and the two beat tracks of the
beat weighting (beats.py) are kept unweighted, so the weights' hyperparameters can change without a new pass:

    OUT/SPLIT/frames.npy       uint8 [N, F, H, W, 3]  F = clip seconds × fps
    OUT/SPLIT/codes.npy        int16 [N, K, T]       T = clip seconds × frame_rate
    OUT/SPLIT/music_beats.npy  uint8 [N, T]          onsets per codec frame
    OUT/SPLIT/motion.npy       float32 [N, T]        mean optical-flow magnitude on the codec frames
    OUT/SPLIT/clips.json       the source shard, row and caption of each clip, and the settings

OUT defaults to training/data/vmas (git-ignored, as all of training/data).
"""

import argparse
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
import common  # noqa: E402  (puts weights-spec/reference and training/evaluation on the path)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import beats  # noqa: E402
import music_codec  # noqa: E402
import music_corpus  # noqa: E402
import music_video  # noqa: E402
from vmas import config as vconfig  # noqa: E402

DEFAULT_CONFIG = os.path.join(common.HERE, "..", "weights-spec", "examples", "vmas-default.json")
# The corpus and VMAs' data folder, whatever model set (V2MEOW_SET) the V2Meow scripts are pointed at.
DEFAULT_CORPUS = os.path.join(common.HERE, "data", "music")
DEFAULT_OUT = os.path.join(common.HERE, "data", "vmas")


def cover_and_crop(frame, width, height):
    """Scale by max(W / w0, H / h0) so the frame covers W × H, keep the centre W × H (VideoFrames.CoverAndCrop)."""
    h0, w0 = frame.shape[:2]
    scale = max(width / w0, height / h0)
    w1, h1 = max(width, int(round(w0 * scale))), max(height, int(round(h0 * scale)))
    resized = cv2.resize(frame, (w1, h1), interpolation=cv2.INTER_LINEAR)
    x, y = (w1 - width) // 2, (h1 - height) // 2
    return resized[y: y + height, x: x + width]


def clip_lengths(config, seconds=music_corpus.CLIP_SECONDS):
    """(video frames, codec frames) of a whole clip at the config's rates; both must be whole numbers."""
    frames, steps = seconds * config["video"]["fps"], seconds * vconfig.frame_rate(config)
    if abs(frames - round(frames)) > 1e-9 or abs(steps - round(steps)) > 1e-9:
        raise ValueError(f"a {seconds} s clip is not whole frames at {config['video']['fps']} fps and {vconfig.frame_rate(config)} Hz")
    return int(round(frames)), int(round(steps))


def clip_frames(clip, config):
    """The clip's frames [F, H, W, 3] uint8 RGB of a music_video clip description."""
    v = config["video"]
    count = clip_lengths(config)[0]
    return np.stack([cover_and_crop(music_video.render(clip, (f + 0.5) / v["fps"]), v["width"], v["height"])
                     for f in range(count)])


def prepare_clip(audio, caption, config, encoder):
    """(frames, codes, music_beats, motion) of one clip; audio int16 at 16 kHz."""
    wav = audio.astype(np.float64) / 32767
    frames = clip_frames(music_video.describe(caption, wav), config)
    steps = clip_lengths(config)[1]
    rate = vconfig.frame_rate(config)
    codes = encoder.encode(wav.astype(np.float32))[:, :steps]
    if codes.shape[1] < steps:  # a clip shorter than the window: the last frame's codes held (never in this corpus)
        codes = np.pad(codes, ((0, 0), (0, steps - codes.shape[1])), mode="edge")
    onsets = beats.music_beats(wav, config["sample_rate"], steps, rate)
    motion = beats.motion_on_codec_frames(beats.flow_magnitudes(frames), config["video"]["fps"], steps, rate)
    return frames, codes, onsets, motion.astype(np.float32)


def shard_clips(folder, every):
    """(shard path, row, audio row, caption) of every `every`-th clip of the folder's shards, shard by shard."""
    n = 0
    for path in sorted(glob.glob(os.path.join(folder, "*.npz"))):
        if path.endswith(".tmp.npz"):
            continue
        d = np.load(path)
        captions = json.loads(str(d["captions"]))
        for row in range(len(captions)):
            if n % every == 0:
                yield path, row, d["audio"][row], captions[row]
            n += 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", required=True, help="a folder of the corpus: train, heldout")
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--out", default=DEFAULT_OUT)
    p.add_argument("--config", default=DEFAULT_CONFIG)
    p.add_argument("--codec", default=music_codec.CHECKPOINT)
    p.add_argument("--limit", type=int, default=0, help="at most this many clips (0: all)")
    p.add_argument("--every", type=int, default=1, help="take every K-th clip, spreading a limit over the corpus")
    args = p.parse_args(argv)

    config = vconfig.load(args.config)
    section, tensors = music_codec.load(args.codec, config["codec"]["levels"])
    if any(section.get(k) != config["codec"].get(k) for k in ("strides", "codebook_dim", "channels", "codebook_size")):
        print(f"error: {args.config}: codec section does not match the codec of {args.codec}", file=sys.stderr)
        return 2
    folder = os.path.join(args.corpus, args.split)
    if not glob.glob(os.path.join(folder, "*.npz")):
        print(f"error: {folder}: no corpus shards (*.npz; training/music_corpus.py builds them)", file=sys.stderr)
        return 2
    encoder = music_codec.Encoder(section, tensors)
    clips = list(shard_clips(folder, max(1, args.every)))
    if args.limit:
        clips = clips[: args.limit]
    v = config["video"]
    (frames_n, steps), k = clip_lengths(config), config["codec"]["levels"]
    out = os.path.join(args.out, args.split)
    os.makedirs(out, exist_ok=True)
    mm = np.lib.format.open_memmap
    frames = mm(os.path.join(out, "frames.npy"), "w+", np.uint8, (len(clips), frames_n, v["height"], v["width"], 3))
    codes = mm(os.path.join(out, "codes.npy"), "w+", np.int16, (len(clips), k, steps))
    onsets = mm(os.path.join(out, "music_beats.npy"), "w+", np.uint8, (len(clips), steps))
    motion = mm(os.path.join(out, "motion.npy"), "w+", np.float32, (len(clips), steps))
    listing = []
    start = time.time()
    for i, (path, row, audio, caption) in enumerate(clips):
        frames[i], codes[i], onsets[i], motion[i] = prepare_clip(audio, caption, config, encoder)
        listing.append({"shard": os.path.basename(path), "row": row, "text": caption.get("text", "")})
        if (i + 1) % 25 == 0 or i + 1 == len(clips):
            print(f"{args.split}: {i + 1}/{len(clips)} clips, {time.time() - start:.0f} s", flush=True)
    for a in (frames, codes, onsets, motion):
        a.flush()
    with open(os.path.join(out, "clips.json"), "w") as f:
        json.dump({"config": os.path.abspath(args.config), "codec": os.path.abspath(args.codec), "fps": v["fps"],
                   "size": [v["height"], v["width"]], "levels": k, "clips": listing}, f, indent=1)
    print(f"wrote {out}: {len(clips)} clips of {frames_n} frames {v['height']}x{v['width']} and {k} x {steps} codes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
