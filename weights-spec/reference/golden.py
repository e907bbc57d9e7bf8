"""Golden tensors for the runtime's tests: seeded inputs, intermediates, outputs.

    golden.py --bundle DIR --seed N --out FILE.safetensors

Weights are upcast to float32 and everything is computed in float32 with
torch on one CPU thread (so reruns on one machine are bit-identical). Inputs
come from numpy's legacy RandomState, whose streams never change. Names
(the runtime's verifier depends on them; SPEC §10):

  {stage}.input.streams.{name}   f32 [T, dim] (dense) / int32 [T] (tokens)
  {stage}.input.style            f32 [style_dim]           (style_dim > 0)
  {stage}.input.tokens           int32 [L]                 decoder input
  {stage}.encoder.buckets        int32 [Te, Te]            (encoder stages)
  {stage}.encoder.embed / .layers.{i} / .out   f32 [Te, d]
  {stage}.decoder.buckets        int32 [L, L]
  {stage}.decoder.embed / .layers.{i} / .out   f32 [L, d]
  {stage}.logits                 f32 [L, V]
  codec.input.codes int32 [Q, T]; codec.latent [C_latent, T]; codec.in_conv [C0, T];
  codec.blocks.{b} [C_{b+1}, T * prod(strides[:b+1])]; codec.waveform [T * hop]
  codec_encoder.input.waveform f32 [T * hop]; codec_encoder.in_conv [C_B, T * hop];
  codec_encoder.blocks.{b} [C_(B-b-1), T * hop / prod(strides reversed[:b+1])]; codec_encoder.lstm (encodec kind);
  codec_encoder.latent [D, T]; codec_encoder.codes int32 [Q, T]   (bundles with codec_encoder.safetensors)
  sampling.logits f32 [N, V]; sampling.tokens.t{temperature}.s{seed} int32 [N]
  generation.stage2.semantic int32 [N]; generation.stage2.carried int32 [Qc, Tc];
  generation.stage2.coarse int32 [Qc, Tn]  (one seeded stage-2 window, generation.py)
  float64.{name}                 f64, beside every float tensor above that is computed (not the inputs)

The float64 tensors evaluate the same graph again in float64: the same modules with the same weights
(widened exactly from the bundle dtype) on the same inputs. They are what the runtime's verifier measures
both the runtime and these float32 tensors against (SPEC §10). Every float tensor here comes from a
teacher-forced graph whose tokens are inputs; the only sampled tokens (generation.*) are integers compared
exactly, so no sampled token feeds a float64 tensor and the two evaluations are of one graph.
"""

import argparse
import copy
import json
import os
import sys

import numpy as np
import torch

import bundle
import codec_encoder
import config as config_mod
import generation
import model as model_mod
import safetensors_io
import sampling
import tokens as tokens_mod

FORMAT = "v2meow-golden/2"
FLOAT64 = "float64."  # prefix of the float64 evaluation of each computed float tensor

# Lengths chosen so no sequence is a multiple of 16 (kernels tile by 16 and
# up; ragged tails are where they break).
DECODER_LEN = 37
VIDEO_FRAMES = 13
CODEC_FRAMES = 11
SAMPLING_ROWS = 37
SAMPLING_VOCAB = 67
SAMPLING_TEMPERATURES = (0.0, 0.4, 1.0)
SAMPLING_SEEDS = (0, 7, (1 << 64) - 1)  # the largest seed exercises the 64-bit wraparound


def spanning(rng, shape, high):
    """Random ids in [0, high) that include both ends of the range."""
    ids = rng.randint(0, high, size=shape)
    flat = ids.reshape(-1)
    flat[0] = 0
    if flat.size > 1:
        flat[-1] = high - 1
    return ids


def f32(t):
    return t.detach().cpu().numpy().astype(np.float32)


def f64(t):
    return t.detach().cpu().numpy().astype(np.float64)


def float64_twin(m):
    """The same module with every parameter widened to float64 (exact: f16, bf16 and f32 all are)."""
    return copy.deepcopy(m).double()


def put(out, name, value, value64):
    """A computed float tensor and its float64 evaluation."""
    out[name] = f32(value)
    out[FLOAT64 + name] = f64(value64)


def i32(a):
    return np.asarray(a, dtype=np.int32)


def encoder_inputs(rng, t):
    """One window of VIDEO_FRAMES frames per stream, plus a style vector."""
    streams = {}
    for s in t["streams"]:
        if s["kind"] == "dense":
            streams[s["name"]] = rng.standard_normal((VIDEO_FRAMES, s["dim"])).astype(np.float32)
        else:
            streams[s["name"]] = spanning(rng, VIDEO_FRAMES * s["tokens_per_frame"], s["vocab"])
    style = rng.standard_normal(t["style_dim"]).astype(np.float32) if t["style_dim"] > 0 else None
    return streams, style


def decoder_input(rng, config, stage):
    t = config["tokens"]
    s, k, c, f = t["semantic_codes"], t["codebook_size"], t["coarse_levels"], t["fine_levels"]
    n = DECODER_LEN - 1
    if stage == "stage1":
        return tokens_mod.stage1_sequence(config, spanning(rng, n, s)), {"semantic": n}
    if stage == "stage2":
        if tokens_mod.stage2_interleaved(config):
            # Whole groups, then a last one cut short, about DECODER_LEN positions in all.
            r = config_mod.frames_per_semantic(config)
            semantic = max(1, (n + 1) // tokens_mod.stage2_group(config) + 1)
            frames = max(r * (semantic - 1), min(r * semantic, (n + 1 - semantic) // c))
        else:
            frames = n // (c + 1)
            semantic = n - frames * c
        seq = tokens_mod.stage2_sequence(config, spanning(rng, semantic, s), spanning(rng, (c, frames), k))
        return seq, {"semantic": semantic, "coarse_frames": frames}
    frames = n // (c + f)
    seq = tokens_mod.stage3_sequence(config, spanning(rng, (c, frames), k), spanning(rng, (f, frames), k))
    return seq, {"coarse_frames": frames, "fine_frames": frames}


def stack_goldens(out, prefix, result, result64):
    out[f"{prefix}.buckets"] = i32(result["buckets"])
    put(out, f"{prefix}.embed", result["embed"], result64["embed"])
    for i, (layer, layer64) in enumerate(zip(result["layers"], result64["layers"])):
        put(out, f"{prefix}.layers.{i}", layer, layer64)
    put(out, f"{prefix}.out", result["out"], result64["out"])


def stage_goldens(out, folder, config, stage, rng):
    weights, _ = bundle.read_component(folder, stage)
    m = model_mod.load(config, stage, weights)
    info = {}
    streams = style = None
    if config_mod.has_encoder(config, stage):
        streams, style = encoder_inputs(rng, config[stage])
        for name, value in streams.items():
            out[f"{stage}.input.streams.{name}"] = value.astype(np.float32) if value.dtype.kind == "f" else i32(value)
        if style is not None:
            out[f"{stage}.input.style"] = style
        info["video_frames"] = VIDEO_FRAMES
    seq, layout_info = decoder_input(rng, config, stage)
    info.update(layout_info)
    out[f"{stage}.input.tokens"] = i32(seq)

    def run(model, dtype):
        with torch.no_grad():
            return model(
                torch.from_numpy(seq.astype(np.int64)),
                None if streams is None else {k: torch.from_numpy(v.astype(dtype) if v.dtype.kind == "f" else v.astype(np.int64))
                                              for k, v in streams.items()},
                None if style is None else torch.from_numpy(style.astype(dtype)),
            )

    result, result64 = run(m, np.float32), run(float64_twin(m), np.float64)
    if "encoder" in result:
        stack_goldens(out, f"{stage}.encoder", result["encoder"], result64["encoder"])
    stack_goldens(out, f"{stage}.decoder", result["decoder"], result64["decoder"])
    put(out, f"{stage}.logits", result["decoder"]["logits"], result64["decoder"]["logits"])
    return info


def codec_goldens(out, folder, config, rng):
    weights, _ = bundle.read_component(folder, "codec")
    m = model_mod.load(config, "codec", weights)
    codes = spanning(rng, (config_mod.total_levels(config), CODEC_FRAMES), config["tokens"]["codebook_size"])
    out["codec.input.codes"] = i32(codes)
    with torch.no_grad():
        result = m(torch.from_numpy(codes.astype(np.int64)))
        result64 = float64_twin(m)(torch.from_numpy(codes.astype(np.int64)))
    put(out, "codec.latent", result["latent"], result64["latent"])
    put(out, "codec.in_conv", result["in_conv"], result64["in_conv"])
    if "lstm" in result:  # kind "encodec" (VMAS.md §9): after x + LSTM(x)
        put(out, "codec.lstm", result["lstm"], result64["lstm"])
    for b, (block, block64) in enumerate(zip(result["blocks"], result64["blocks"])):
        put(out, f"codec.blocks.{b}", block, block64)
    put(out, "codec.waveform", result["waveform"], result64["waveform"])
    return {"frames": CODEC_FRAMES}


def codec_encoder_goldens(out, folder, codec_config, codebooks, sample_rate, seed):
    """The codec's encoder (SPEC §9.3) on CODEC_FRAMES frames of a seeded waveform: tones at a few frequencies
    plus noise, in [-1, 1]. The codes are rvq_encode of the float32 latent over every level. Its own
    RandomState (component 3), so the other goldens keep their values. Returns the inputs metadata entry."""
    weights, _ = bundle.read_component(folder, codec_encoder.COMPONENT)
    m = codec_encoder.load(codec_config, weights)
    hop = int(np.prod(codec_config["strides"]))
    n = CODEC_FRAMES * hop
    rng = np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, 3])
    t = np.arange(n) / sample_rate
    tones = sum(rng.uniform(0.1, 0.3) * np.sin(2 * np.pi * rng.uniform(0.01, 0.45) * sample_rate * t + rng.uniform(0, 6.3))
                for _ in range(3))
    waveform = np.clip(tones + 0.1 * rng.standard_normal(n), -1, 1).astype(np.float32)
    out["codec_encoder.input.waveform"] = waveform
    with torch.no_grad():
        result = m(torch.from_numpy(waveform))
        result64 = float64_twin(m)(torch.from_numpy(waveform.astype(np.float64)))
    put(out, "codec_encoder.in_conv", result["in_conv"], result64["in_conv"])
    for b, (block, block64) in enumerate(zip(result["blocks"], result64["blocks"])):
        put(out, f"codec_encoder.blocks.{b}", block, block64)
    if "lstm" in result:  # kind "encodec": after x + LSTM(x)
        put(out, "codec_encoder.lstm", result["lstm"], result64["lstm"])
    put(out, "codec_encoder.latent", result["latent"], result64["latent"])
    out["codec_encoder.codes"] = i32(codec_encoder.rvq_encode(out["codec_encoder.latent"], codebooks, codebooks.shape[0]))
    return {"samples": n, "levels": int(codebooks.shape[0])}


def has_codec_encoder(folder):
    return os.path.exists(os.path.join(folder, f"{codec_encoder.COMPONENT}.safetensors"))


def generation_goldens(out, folder, config, seed):
    """One stage-2 window generated with the SPEC §8 sampler: 5 semantic tokens, one group of r frames
    carried over, 4 groups of new frames (r = 1 in the prefix layout). Its own RandomState, so the
    other goldens keep their values."""
    rng = np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, 2])
    t = config["tokens"]
    r = config_mod.frames_per_semantic(config) if tokens_mod.stage2_interleaved(config) else 1
    semantic = spanning(rng, 5, t["semantic_codes"])
    carried = spanning(rng, (t["coarse_levels"], r), t["codebook_size"])
    weights, _ = bundle.read_component(folder, "stage2")
    m = model_mod.load(config, "stage2", weights)
    memory = None
    if config_mod.has_encoder(config, "stage2"):  # the encoder input of the stage-2 goldens
        t2 = config["stage2"]
        streams = {s["name"]: torch.from_numpy(out[f"stage2.input.streams.{s['name']}"].astype(
            np.float32 if s["kind"] == "dense" else np.int64)) for s in t2["streams"]}
        style = torch.from_numpy(out["stage2.input.style"]) if t2["style_dim"] else None
        with torch.no_grad():
            memory = m.encoder(streams, style)["out"]
    first_frame, temperature = 6, config["temperatures"]["stage2"]
    coarse = generation.stage2_continue(config, m.decoder, semantic, carried, 4 * r, temperature, seed, first_frame,
                                        memory)
    out["generation.stage2.semantic"] = i32(semantic)
    out["generation.stage2.carried"] = i32(carried)
    out["generation.stage2.coarse"] = i32(coarse)
    return {"stage2": {"temperature": temperature, "seed": str(seed), "stream": 2, "first_frame": first_frame,
                       "top_k": 0, "layout": config["stage2"]["layout"]}}


def temperature_tag(t):
    return repr(float(t))  # 0.0, 0.4, 1.0


def sampling_goldens(out, rng):
    logits = (3.0 * rng.standard_normal((SAMPLING_ROWS, SAMPLING_VOCAB))).astype(np.float32)
    # Row 0 has its maximum twice: argmax must return the lower index.
    logits[0, 5] = logits[0, 40] = logits[0].max() + 1.0
    out["sampling.logits"] = logits
    cases = []
    for temperature in SAMPLING_TEMPERATURES:
        for seed in SAMPLING_SEEDS:
            name = f"sampling.tokens.t{temperature_tag(temperature)}.s{seed}"
            picks = [
                sampling.sample(logits[row], temperature, sampling.uniform(seed, 0, row))
                for row in range(SAMPLING_ROWS)
            ]
            out[name] = i32(picks)
            cases.append({"name": name, "temperature": temperature, "seed": str(seed)})
    return {
        "stream": 0,
        "counter": "row index",
        "range": [0, SAMPLING_VOCAB],
        "top_k": 0,
        "cases": cases,
    }


def make(folder, seed):
    torch.set_num_threads(1)
    config = bundle.read_config(folder)
    rng = np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF])
    out, inputs = {}, {}
    for stage in ("stage1", "stage2", "stage3"):
        inputs[stage] = stage_goldens(out, folder, config, stage, rng)
    inputs["codec"] = codec_goldens(out, folder, config, rng)
    if has_codec_encoder(folder):
        codebooks = bundle.read_component(folder, "codec")[0]["rvq.codebooks"]
        inputs[codec_encoder.COMPONENT] = codec_encoder_goldens(out, folder, config["codec"], codebooks,
                                                                config["rates"]["sample_rate"], seed)
    metadata = {
        "format": FORMAT,
        "bundle": config["name"],
        "bundle_dtype": config["dtype"],
        "seed": str(seed),
        "compute": "float32, weights upcast from the bundle dtype; float64.* the same graph in float64",
        "inputs": json.dumps(inputs, separators=(",", ":"), sort_keys=True),
        "sampling": json.dumps(sampling_goldens(out, rng), separators=(",", ":")),
        "generation": json.dumps(generation_goldens(out, folder, config, seed), separators=(",", ":")),
    }
    return out, metadata


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    tensors, metadata = make(args.bundle, args.seed)
    safetensors_io.write(args.out, tensors, metadata)
    print(f"wrote {args.out} ({len(tensors)} tensors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
