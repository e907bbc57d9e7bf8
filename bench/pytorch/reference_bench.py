"""PyTorch eager timings of the reference model on one bundle, for the side-by-side table.

Runs the same work the runtime benchmark runs — per stage a teacher-forced prefill of one window and a
batch-1 decode of N tokens through the reference's KV cache, and the codec on T frames — and prints one
JSON object. Called by `v2meow bench` (and usable alone):

    /usr/bin/python3 bench/pytorch/reference_bench.py --bundle DIR [--device cpu|cuda] [--decode 64] [--prefill N]

Progress goes to stderr, the JSON alone to stdout.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "weights-spec", "reference"))

import bundle as bundle_mod  # noqa: E402
import model as model_mod  # noqa: E402
from config import has_encoder, total_levels, vocab_size  # noqa: E402


def on_device(device):
    """The reference builds bucket tables on the CPU; move them where the weights are."""
    original = model_mod.Stack.bucket_table

    def bucket_table(self, n, m, offset=0):
        return original(self, n, m, offset).to(self.rel_bias.weight.device)

    model_mod.Stack.bucket_table = bucket_table
    # The causal mask is built from torch.arange without a device; default it to the bench device.
    torch_arange = torch.arange

    def arange(*args, **kwargs):
        kwargs.setdefault("device", device)
        return torch_arange(*args, **kwargs)

    model_mod.torch.arange = arange


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, repeats):
    fn()  # warm-up
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def stage_inputs(config, stage, rng, device):
    t = config[stage]
    windows, rates = config["windows"], config["rates"]
    seconds = windows[f"{stage}_seconds"]
    length = {
        "stage1": 1 + int(round(seconds * rates["semantic_hz"])),
        "stage2": int(round(seconds * rates["semantic_hz"])) + 1 + int(round(seconds * rates["acoustic_hz"])) * config["tokens"]["coarse_levels"],
        "stage3": int(round(seconds * rates["acoustic_hz"])) * total_levels(config) + 1,
    }[stage]
    tokens = torch.from_numpy(rng.integers(0, vocab_size(config, stage), size=length)).to(device)
    streams, style = None, None
    if has_encoder(config, stage):
        frames = int(round(seconds * rates["video_fps"]))
        streams = {}
        for s in t["streams"]:
            if s["kind"] == "dense":
                streams[s["name"]] = torch.from_numpy(rng.standard_normal((frames, s["dim"])).astype(np.float32)).to(device)
            else:
                n = frames * s.get("tokens_per_frame", 1)
                streams[s["name"]] = torch.from_numpy(rng.integers(0, s["vocab"], size=n)).to(device)
        if t["style_dim"] > 0:
            style = torch.from_numpy(rng.standard_normal(t["style_dim"]).astype(np.float32)).to(device)
    return tokens, streams, style


def progress(message):
    print(message, file=sys.stderr, flush=True)


def bench_stage(config, folder, stage, device, decode_tokens, prefill_tokens, repeats, rng):
    tensors, _ = bundle_mod.read_component(folder, stage)
    model = model_mod.load(config, stage, tensors).to(device)
    tokens, streams, style = stage_inputs(config, stage, rng, device)
    # --prefill caps the teacher-forced pass (slow CPUs, paper size); decode still counts from the whole window.
    prompt = tokens[:prefill_tokens] if prefill_tokens > 0 else tokens
    with torch.no_grad():
        progress(f"{stage}: prefill of {len(prompt)} positions")
        prefill = timed(lambda: model(prompt, streams, style), device, repeats)
        memory = model.encoder(streams, style)["out"] if hasattr(model, "encoder") else None
        steps = min(decode_tokens, len(tokens))

        def decode():
            cache = model.decoder.new_cache()
            for i in range(steps):
                model.decoder(tokens[i:i + 1], memory, cache)

        progress(f"{stage}: decode of {steps} tokens")
        decode_time = timed(decode, device, repeats)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.decoder.parameters())
    return {
        "prefill_tokens": len(prompt),
        "prefill_tokens_per_s": len(prompt) / prefill,
        "decode_tokens": steps,
        "decode_tokens_per_s": steps / decode_time,
        "decoder_weight_bytes_f32": weight_bytes,
    }


def bench_codec(config, folder, device, seconds, repeats, rng):
    tensors, _ = bundle_mod.read_component(folder, "codec")
    model = model_mod.load(config, "codec", tensors).to(device)
    frames = int(round(seconds * config["rates"]["acoustic_hz"]))
    codes = torch.from_numpy(rng.integers(0, config["tokens"]["codebook_size"], size=(total_levels(config), frames))).to(device)
    progress(f"codec: {seconds:g} s of audio")
    with torch.no_grad():
        elapsed = timed(lambda: model(codes), device, repeats)
    return {"audio_seconds": seconds, "audio_seconds_per_s": seconds / elapsed}


def copy_bandwidth(device):
    """Bytes per second of a device-to-device copy: the floor for bandwidth-bound decode."""
    n = 64 * 1024 * 1024 // 4
    a = torch.ones(n, device=device)
    b = torch.empty_like(a)
    elapsed = timed(lambda: b.copy_(a), device, 5)
    return 2 * a.numel() * 4 / elapsed  # read + write


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--decode", type=int, default=64, help="decode steps per stage (batch 1)")
    parser.add_argument("--prefill", type=int, default=0, help="prefill positions per stage (0: the whole window)")
    parser.add_argument("--codec-seconds", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.device == "cuda":
        on_device("cuda")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    config = bundle_mod.read_config(args.bundle)
    result = {
        "engine": f"pytorch {torch.__version__} eager",
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(0),
        "threads": torch.get_num_threads(),
        "copy_bytes_per_s": copy_bandwidth(args.device),
        "stages": {s: bench_stage(config, args.bundle, s, args.device, args.decode, args.prefill, args.repeats, rng) for s in ("stage1", "stage2", "stage3")},
        "codec": bench_codec(config, args.bundle, args.device, args.codec_seconds, args.repeats, rng),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
