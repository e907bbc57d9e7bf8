"""Golden tensors of a vmas/1 bundle for the runtime's tests: seeded inputs, intermediates, outputs (VMAS.md §10).

    python3 -m vmas.golden --bundle DIR --seed N --out FILE.safetensors

As golden.py for v2meow/1: weights upcast to float32, everything computed in float32 by torch on one CPU
thread, inputs from numpy's legacy RandomState seeded [seed mod 2^32, seed >> 32], and beside every computed
float tensor its float64 evaluation `float64.{name}` (the same modules widened to float64 on the same inputs
widened exactly). Names (the runtime's verifier depends on them):

  encoder.input.frames          f32 [3, F, Hf, Wf]   one window of normalised frames
  encoder.embed                 f32 [T'·H0·W0, C0]   patch embedding plus positions
  encoder.blocks.{i}            f32 [rows_i, D_i]    block outputs, rows in (t, h, w) order
  encoder.out                   f32 [T', Dl]         after the final norm and the spatial mean
  encoder.memory                f32 [T', d]
  decoder.input.ids             int32 [P, K]         delayed-pattern input ids (VMAS.md §7.1)
  decoder.embed / .layers.{i} / .out   f32 [P, d]    conditioned on encoder.memory
  decoder.logits                f32 [P, K, N]        conditioned on encoder.memory
  decoder.logits_null           f32 [P, K, N]        the null condition (VMAS.md §6.4)
  codec.input.codes int32 [Q, T]; codec.latent; codec.in_conv; codec.lstm (encodec kind, lstm_layers > 0);
  codec.blocks.{b}; codec.waveform    as SPEC §10
  codec_encoder.*               as SPEC §10, when the bundle has codec_encoder.safetensors (SPEC §9.3)
  sampling.logits f32 [R, V]; sampling.tokens.t{temperature}.k{top_k}.s{seed} int32 [R]
  generation.prompt int32 [K, Tp]; generation.codes.{first,continued} int32 [K, Tn]
  contrastive.input.codes       int32 [3, Q, 13]     three recordings' codes (VMAS.md §14), when the bundle has them
  contrastive.video             f32 [E]              the unit video vector of encoder.memory
  contrastive.music             f32 [3, E]           the unit music vectors of the three recordings
  contrastive.similarity        f32 [3]              cosine of the video vector with each music vector
  float64.{name}                f64, beside every computed float tensor above (not the inputs)

The float64 decoder tensors are conditioned on float64.encoder.memory, so the float64 graph is the float32
one evaluated in float64 end to end. Generation is integer output and runs in float32 only.
"""

import argparse
import json
import sys

import numpy as np
import torch

import golden as shared
import safetensors_io
import sampling

from . import bundle
from . import config as vconfig
from . import contrastive
from . import delay
from . import generation

FORMAT = "vmas-golden/1"
f32, put, i32, spanning, float64_twin = shared.f32, shared.put, shared.i32, shared.spanning, shared.float64_twin

# Lengths chosen so no sequence is a multiple of 16 (kernels tile by 16 and up; ragged tails are where they
# break): P = 37 decoder positions (T = 38 − K frames), 11 codec frames, 37 sampling rows of 67 logits.
DECODER_POSITIONS = 37
CODEC_FRAMES = 11
SAMPLING_ROWS = 37
SAMPLING_VOCAB = 67
SAMPLING_TEMPERATURES = (0.0, 1.0)
SAMPLING_TOP_K = (0, 5)
SAMPLING_SEEDS = shared.SAMPLING_SEEDS  # 0, 7 and 2^64 − 1 (the 64-bit wraparound)
GENERATION_FRAMES = 7     # Tn of both generation cases
GENERATION_PROMPT = 3     # Tp of the "continued" case
GENERATION_FIRST_FRAME = 17  # global index of the "continued" case's first sampled frame (counters from 17·K)
CONTRASTIVE_RECORDINGS = 3  # recordings ranked against the golden's video (VMAS.md §14)
CONTRASTIVE_FRAMES = 13     # codec frames of each


def encoder_goldens(out, encoder, config, rng):
    v = config["video"]
    frames = rng.standard_normal((3, vconfig.window_video_frames(config), v["height"], v["width"])).astype(np.float32)
    out["encoder.input.frames"] = frames
    with torch.no_grad():
        result = encoder(torch.from_numpy(frames))
        result64 = float64_twin(encoder)(torch.from_numpy(frames.astype(np.float64)))
    put(out, "encoder.embed", result["embed"], result64["embed"])
    for i, (block, block64) in enumerate(zip(result["blocks"], result64["blocks"])):
        put(out, f"encoder.blocks.{i}", block, block64)
    put(out, "encoder.out", result["out"], result64["out"])
    put(out, "encoder.memory", result["memory"], result64["memory"])
    return result["memory"], result64["memory"], {"frames": frames.shape[1], "grid": list(vconfig.patch_grid(config))}


def decoder_goldens(out, decoder, config, memory, memory64, rng):
    t = config["decoder"]
    k_count, n = t["codebooks"], t["codebook_size"]
    frames = DECODER_POSITIONS + 1 - k_count
    codes = spanning(rng, (k_count, frames), n)
    ids = delay.delayed_input(codes, n)
    out["decoder.input.ids"] = i32(ids)
    twin = float64_twin(decoder)
    tensor = torch.from_numpy(ids)
    with torch.no_grad():
        result, result64 = decoder(tensor, memory), twin(tensor, memory64)
        null, null64 = decoder(tensor, None), twin(tensor, None)
    put(out, "decoder.embed", result["embed"], result64["embed"])
    for i, (layer, layer64) in enumerate(zip(result["layers"], result64["layers"])):
        put(out, f"decoder.layers.{i}", layer, layer64)
    put(out, "decoder.out", result["out"], result64["out"])
    put(out, "decoder.logits", result["logits"], result64["logits"])
    put(out, "decoder.logits_null", null["logits"], null64["logits"])
    return {"frames": frames, "positions": ids.shape[0]}


def codec_goldens(out, codec, config, rng):
    c = config["codec"]
    codes = spanning(rng, (c["levels"], CODEC_FRAMES), c["codebook_size"])
    out["codec.input.codes"] = i32(codes)
    with torch.no_grad():
        result = codec(torch.from_numpy(codes.astype(np.int64)))
        result64 = float64_twin(codec)(torch.from_numpy(codes.astype(np.int64)))
    put(out, "codec.latent", result["latent"], result64["latent"])
    put(out, "codec.in_conv", result["in_conv"], result64["in_conv"])
    if "lstm" in result:
        put(out, "codec.lstm", result["lstm"], result64["lstm"])
    for b, (block, block64) in enumerate(zip(result["blocks"], result64["blocks"])):
        put(out, f"codec.blocks.{b}", block, block64)
    put(out, "codec.waveform", result["waveform"], result64["waveform"])
    return {"frames": CODEC_FRAMES}


def temperature_tag(t):
    return repr(float(t))  # 0.0, 1.0


def sampling_goldens(out, rng):
    logits = (3.0 * rng.standard_normal((SAMPLING_ROWS, SAMPLING_VOCAB))).astype(np.float32)
    # Row 0 has its maximum twice: argmax must return the lower index.
    logits[0, 5] = logits[0, 40] = logits[0].max() + 1.0
    # Row 1's 5th and 6th largest are equal: top-5 keeps the lower index (SPEC §8.2).
    order = np.argsort(-logits[1], kind="stable")
    logits[1, max(order[4], order[5])] = logits[1, min(order[4], order[5])]
    out["sampling.logits"] = logits
    cases = []
    for temperature in SAMPLING_TEMPERATURES:
        for top_k in SAMPLING_TOP_K:
            for seed in SAMPLING_SEEDS:
                name = f"sampling.tokens.t{temperature_tag(temperature)}.k{top_k}.s{seed}"
                out[name] = i32([sampling.sample(logits[row], temperature, sampling.uniform(seed, 0, row), top_k=top_k)
                                 for row in range(SAMPLING_ROWS)])
                cases.append({"name": name, "temperature": temperature, "top_k": top_k, "seed": str(seed)})
    return {"stream": 0, "counter": "row index", "range": [0, SAMPLING_VOCAB], "cases": cases}


def generation_goldens(out, decoder, config, memory, seed, rng):
    n = config["decoder"]["codebook_size"]
    prompt = spanning(rng, (config["decoder"]["codebooks"], GENERATION_PROMPT), n)
    out["generation.prompt"] = i32(prompt)
    common = {"temperature": config["temperature"], "top_k": config["top_k"], "guidance": config["guidance"],
              "seed": str(seed), "stream": 1, "candidate": 0, "frames": GENERATION_FRAMES, "memory": "encoder.memory"}
    cases = {
        "first": dict(common, first_frame=0, prompt_frames=0, prompt=None),
        "continued": dict(common, first_frame=GENERATION_FIRST_FRAME, prompt_frames=GENERATION_PROMPT,
                          prompt="generation.prompt"),
    }
    for name, case in cases.items():
        codes = generation.generate_window(
            decoder, memory, GENERATION_FRAMES, case["temperature"], case["top_k"], case["guidance"], seed,
            case["first_frame"], prompt if case["prompt"] else None)
        out[f"generation.codes.{name}"] = i32(codes)
    return cases


def contrastive_goldens(out, projections, codebooks, config, memory, memory64, rng):
    """The matching of VMAS.md §14.3: the video vector of the golden window's memory, three recordings' music
    vectors from random codes, and their cosine similarities; drawn after every other input, so the tensors of a
    bundle without the component keep their values."""
    c = config["codec"]
    codes = spanning(rng, (CONTRASTIVE_RECORDINGS, c["levels"], CONTRASTIVE_FRAMES), c["codebook_size"])
    out["contrastive.input.codes"] = i32(codes)
    twin = float64_twin(projections)
    tensor = torch.from_numpy(codes.astype(np.int64))
    books = torch.from_numpy(codebooks)
    with torch.no_grad():
        video, video64 = projections.video_embedding(memory), twin.video_embedding(memory64)
        music = projections.music_embedding(contrastive.music_from_codes(books, tensor))
        music64 = twin.music_embedding(contrastive.music_from_codes(books.double(), tensor))
        put(out, "contrastive.video", video, video64)
        put(out, "contrastive.music", music, music64)
        put(out, "contrastive.similarity", contrastive.similarity(video[None], music),
            contrastive.similarity(video64[None], music64))
    return {"recordings": CONTRASTIVE_RECORDINGS, "frames": CONTRASTIVE_FRAMES, "memory": "encoder.memory"}


def make(folder, seed):
    torch.set_num_threads(1)
    config = bundle.read_config(folder)
    rng = np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF])
    out, inputs = {}, {}
    encoder = bundle.load_component(folder, config, "video_encoder")
    decoder = bundle.load_component(folder, config, "music_decoder")
    codec = bundle.load_component(folder, config, "codec")
    memory, memory64, inputs["encoder"] = encoder_goldens(out, encoder, config, rng)
    inputs["decoder"] = decoder_goldens(out, decoder, config, memory, memory64, rng)
    inputs["codec"] = codec_goldens(out, codec, config, rng)
    if shared.has_codec_encoder(folder):  # the codec's optional encoder (SPEC §9.3), as v2meow/1 records it
        codebooks = shared.bundle.read_component(folder, "codec")[0]["rvq.codebooks"]
        inputs["codec_encoder"] = shared.codec_encoder_goldens(out, folder, config["codec"], codebooks, config["sample_rate"], seed)
    sampling_info = sampling_goldens(out, rng)
    generation_info = generation_goldens(out, decoder, config, memory, seed, rng)
    if vconfig.has_contrastive(config):
        projections = bundle.load_component(folder, config, vconfig.CONTRASTIVE)
        codebooks = bundle.read_component(folder, "codec")[0]["rvq.codebooks"]
        inputs["contrastive"] = contrastive_goldens(out, projections, codebooks, config, memory, memory64, rng)
    metadata = {
        "format": FORMAT,
        "bundle": config["name"],
        "bundle_dtype": config["dtype"],
        "seed": str(seed),
        "compute": "float32, weights upcast from the bundle dtype; float64.* the same graph in float64",
        "inputs": json.dumps(inputs, separators=(",", ":"), sort_keys=True),
        "sampling": json.dumps(sampling_info, separators=(",", ":")),
        "generation": json.dumps(generation_info, separators=(",", ":")),
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
