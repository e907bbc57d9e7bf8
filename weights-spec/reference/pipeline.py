"""Video features -> music with a bundle, in Python: the reference modules and the SPEC §8 sampler.

    pipeline.py --bundle DIR --features FEATURES.npy --out music.wav [--style STYLE.npy | --prompt TEXT] [--seed N]
    pipeline.py --bundle DIR --video clip.mp4 --out music.wav --prompt "fast bright major piano drums"
    pipeline.py ... --arrays DIR   # also semantic.npy, codes.npy, waveform.npy, for the runtime's parity test

Stage 1 runs over windows of windows.stage1_seconds (the encoder sees that
window's feature rows and the style vector; zeros when none is given, as the
runtime does) and stage 3 over windows.stage3_seconds of coarse frames, each
window independent; stage 2 runs over windows of windows.stage2_seconds that
overlap by half, each prompted with the coarse frames of the overlap, as the
runtime does. Token k of stage N uses u(seed, N, k) with k counting
across windows (SPEC §8.1), temperatures from config.json, full vocabulary
ranges of SPEC §7.
"""

import argparse
import json
import re
import os
import wave

import numpy as np
import torch

import config as config_mod
import generation
import model as ref
import safetensors_io
import sampling
import tokens as tok


def load_bundle(folder, temperatures=None):
    """(config, models) of an exported bundle; `temperatures` ({"stage2": 0.5, ...}) replaces the config's
    sampling temperatures, as the CLI's --temperatures does."""
    config = config_mod.load(os.path.join(folder, "config.json"))
    config["temperatures"].update(temperatures or {})
    models = {}
    for component in config_mod.COMPONENTS:
        tensors, _, _ = safetensors_io.read_f32(os.path.join(folder, f"{component}.safetensors"))
        models[component] = ref.load(config, component, tensors)
    return config, models


def _decode(decoder, memory, prefix, count, ranges, temperature, seed, stream, counter):
    """Feed `prefix`, then sample `count` tokens; token k restricted to ranges(k), drawn with counter + k."""
    def draw(k, logits):
        lo, hi = ranges(k)
        return sampling.sample(logits, temperature, sampling.uniform(seed, stream, counter + k), lo, hi)

    return generation.decode(decoder, memory, prefix, count, draw)


@torch.no_grad()
def generate(config, models, features, style=None, seed=0):
    """features [T, 24] at video_fps -> waveform float32 at sample_rate (T / fps seconds)."""
    semantic = semantic_from_features(config, models, features, style, seed)
    coarse = coarse_from_semantic(config, models, semantic, seed)
    fine = fine_from_coarse(config, models, coarse, seed)
    codes = torch.tensor(np.concatenate([coarse, fine]))
    return models["codec"](codes)["waveform"].numpy().astype(np.float32), semantic, codes.numpy()


@torch.no_grad()
def semantic_from_features(config, models, features, style=None, seed=0, temperature=None):
    """Stage 1: video rows [T, 24] at video_fps -> semantic ids, over independent windows of stage1_seconds;
    the bundle's stage-1 temperature unless `temperature` is given."""
    r, w = config["rates"], config["windows"]
    temperature = config["temperatures"]["stage1"] if temperature is None else temperature
    fps = r["video_fps"]
    seconds = features.shape[0] / fps
    style_dim = config["stage1"].get("style_dim", 0)
    style_t = None
    if style_dim:
        style_t = torch.tensor(np.zeros(style_dim, np.float32) if style is None else style, dtype=torch.float32)
    semantic = []
    n_sem = int(round(seconds * r["semantic_hz"]))
    w1 = w["stage1_seconds"]
    s1 = models["stage1"]
    codes = config["tokens"]["semantic_codes"]
    start = 0.0
    while len(semantic) < n_sem:
        rows = features[int(start * fps): int(round((start + w1) * fps))]
        if rows.shape[0] == 0:
            rows = features[-1:]
        memory = s1.encoder({"builtin": torch.tensor(rows, dtype=torch.float32)}, style_t)["out"]
        count = min(int(w1 * r["semantic_hz"]), n_sem - len(semantic))
        semantic += _decode(s1.decoder, memory, [tok.stage1_bos(config)], count,
                            lambda k: (0, codes), temperature, seed, 1, len(semantic))
        start += w1
    return semantic


@torch.no_grad()
def coarse_from_semantic(config, models, semantic, seed=0):
    """Stage 2: semantic ids -> coarse codes [Qc, T], windows of stage2_seconds overlapping by half, as the
    runtime's GenerateCoarse lays them: each window after the first is prompted with the frames of the
    overlap, which the window before generated, and generates the rest. In the interleaved layout windows
    are whole groups of r frames (one semantic token each); in the prefix layout r is 1."""
    r, w, temps = config["rates"], config["windows"], config["temperatures"]
    n_sem = len(semantic)
    qc = config["tokens"]["coarse_levels"]
    per_sem = r["acoustic_hz"] / r["semantic_hz"]
    total = int(round(n_sem * per_sem))  # frames
    group = config_mod.frames_per_semantic(config) if tok.stage2_interleaved(config) else 1
    units = -(-total // group)
    width = max(1, int(round(w["stage2_seconds"] * r["acoustic_hz"])) // group)
    decoder = models["stage2"].decoder
    coarse = np.zeros((qc, 0), dtype=np.int64)
    start, prev_end = 0, None
    while True:
        end = min(units, start + width)
        carried = 0 if prev_end is None else prev_end - start
        f0, f1, fc = start * group, end * group, carried * group
        if tok.stage2_interleaved(config):
            window_semantic = semantic[start:end]
        else:
            s0 = int(np.floor(f0 / per_sem + 1e-9))
            window_semantic = semantic[s0:min(n_sem, max(s0 + 1, int(np.ceil(f1 / per_sem - 1e-9))))]
        new = generation.stage2_continue(config, decoder, window_semantic, coarse[:, f0:f0 + fc], f1 - f0 - fc,
                                         temps["stage2"], seed, f0 + fc)
        coarse = np.concatenate([coarse, new], 1)
        if end >= units:
            break
        prev_end, start = end, end - width // 2
    return coarse[:, :total]  # [Qc, T]


@torch.no_grad()
def fine_from_coarse(config, models, coarse, seed=0):
    """Stage 3: coarse codes [Qc, T] -> fine codes [Qf, T], independent windows of stage3_seconds."""
    r, w, t, temps = config["rates"], config["windows"], config["tokens"], config["temperatures"]
    qf = t["fine_levels"]
    w3 = int(w["stage3_seconds"] * r["acoustic_hz"])
    fine = []
    counter = 0
    for i in range(0, coarse.shape[1], w3):
        c = coarse[:, i:i + w3]
        prefix = list(tok.stage3_sequence(config, c, np.zeros((qf, 0), dtype=np.int64)))
        ids = _decode(models["stage3"].decoder, None, prefix, c.shape[1] * qf,
                      lambda k: tok.stage3_range(config, k), temps["stage3"], seed, 3, counter)
        counter += len(ids)
        fine += [ids[k] - tok.stage3_range(config, k)[0] for k in range(len(ids))]
    return np.array(fine, dtype=np.int64).reshape(-1, qf).T


def prompt_style(folder, text):
    """The bundle's text tower applied to a prompt (SPEC, optional component `text_tower`): the counts of its
    vocabulary words weight their embeddings, and the sum is scaled to unit length."""
    path = os.path.join(folder, "text_tower.safetensors")
    if not os.path.isfile(path):
        raise SystemExit(f"{folder}: --prompt needs a bundle with a text tower (text_tower.safetensors)")
    tensors, _, metadata = safetensors_io.read_f32(path)
    words = json.loads(metadata["words"])
    counts = np.zeros(len(words))
    for word in re.split(r"[\s,;]+", text.lower()):
        if word in words:
            counts[words.index(word)] += 1
    if not counts.any():
        raise SystemExit(f"'{text}': none of the tower's words ({' '.join(words)})")
    v = counts @ tensors["embeddings"].astype(np.float64)
    return (v / max(np.linalg.norm(v), 1e-12)).astype(np.float32)


def write_wav(path, audio, sample_rate):
    """16-bit mono PCM, clipped to [-1, 1]."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--features", help=".npy [T, 24] builtin rows")
    src.add_argument("--video")
    p.add_argument("--out", required=True)
    p.add_argument("--style")
    p.add_argument("--prompt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arrays", help="also write semantic.npy, codes.npy and waveform.npy (float32) into this folder")
    args = p.parse_args()
    torch.set_num_threads(1)
    config, models = load_bundle(args.bundle)
    if args.video:
        import extractor

        features = extractor.extract(args.video, config["rates"]["video_fps"])
    else:
        features = np.load(args.features)
    style = None
    if args.style:
        style = np.load(args.style)
    elif args.prompt:
        style = prompt_style(args.bundle, args.prompt)
    wav, semantic, codes = generate(config, models, features, style, args.seed)
    if args.arrays:
        os.makedirs(args.arrays, exist_ok=True)
        np.save(os.path.join(args.arrays, "semantic.npy"), np.asarray(semantic, dtype=np.int32))
        np.save(os.path.join(args.arrays, "codes.npy"), codes.astype(np.int32))
        np.save(os.path.join(args.arrays, "waveform.npy"), wav)
    write_wav(args.out, wav, config["rates"]["sample_rate"])
    print(f"wrote {args.out}: {len(wav) / config['rates']['sample_rate']:.1f} s")


if __name__ == "__main__":
    main()
