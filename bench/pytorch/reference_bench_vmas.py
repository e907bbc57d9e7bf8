"""PyTorch eager timings of the VMAs reference (weights-spec/reference/vmas) on one vmas/1 bundle.

The VMAs half of the side-by-side table; reference_bench.py is the V2Meow half. Runs the work `v2meow bench`
runs on the runtime, with the same lengths:

- the video encoder on one window of frames [3, F, Hf, Wf] (VMAS.md §6.2);
- the music decoder's teacher-forced prefill of one window, P = Tw + K − 1 delayed positions, conditioned on
  that window's memory (VMAS.md §6.3);
- decode of N steps through the reference's key/value cache from an empty cache at batch 1 and at --batch,
  each step one position per sequence, the K heads, an argmax per codebook fed back through the delay pattern
  (VMAS.md §7.1); unguided (the conditioned rows only) and guided (a null-conditioned pass beside it, its
  logits combined as VMAS.md §6.4, as generation.generate_window does);
- the codec on --codec-seconds of random codes of every level.

Prints one JSON object (progress on stderr):

    PYTHONPATH=weights-spec/reference /usr/bin/python3 bench/pytorch/reference_bench_vmas.py --bundle DIR \
        [--device cpu|cuda] [--decode 64] [--batch 8] [--prefill N] [--codec-seconds 2] [--repeats 3] [--threads N]
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

from vmas import bundle as vbundle  # noqa: E402
from vmas import config as vconfig  # noqa: E402
from vmas import delay  # noqa: E402
from vmas import model as vmodel  # noqa: E402


def on_device(device):
    """The reference builds its positions and causal mask on the CPU; make both follow the weights."""
    positions = vmodel.sinusoidal_positions

    def sinusoidal_positions(*args, **kwargs):
        return positions(*args, **kwargs).to(device)

    vmodel.sinusoidal_positions = sinusoidal_positions
    arange = torch.arange

    def device_arange(*args, **kwargs):
        kwargs.setdefault("device", device)
        return arange(*args, **kwargs)

    vmodel.torch.arange = device_arange


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def timed(fn, device, repeats):
    """Seconds of the best of `repeats` runs after one warm-up, each ended by a synchronise (as reference_bench.py)."""
    fn()
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def progress(message):
    print(message, file=sys.stderr, flush=True)


def weight_bytes(module):
    return sum(p.numel() * p.element_size() for p in module.parameters())


def bench_encoder(config, folder, device, repeats, rng):
    encoder = vbundle.load_component(folder, config, "video_encoder").to(device)
    frames_count = vconfig.window_video_frames(config)
    v = config["video"]
    frames = torch.from_numpy(rng.standard_normal((3, frames_count, v["height"], v["width"])).astype(np.float32)).to(device)
    progress(f"video encoder: one window of {frames_count} frames")
    with torch.no_grad():
        seconds = timed(lambda: encoder(frames), device, repeats)
        memory = encoder(frames)["memory"]
    return {"frames": frames_count, "frames_per_s": frames_count / seconds, "weight_bytes_f32": weight_bytes(encoder)}, memory


def bench_decoder(config, folder, device, memory, decode_steps, batch, prefill_positions, guidance, repeats, rng):
    decoder = vbundle.load_component(folder, config, "music_decoder").to(device)
    k_count, n = decoder.codebooks, decoder.codebook_size
    window = vconfig.window_frames(config)
    positions = window + k_count - 1
    prefill = min(prefill_positions, positions) if prefill_positions > 0 else positions
    codes = rng.integers(0, n, size=(k_count, window))
    ids = torch.from_numpy(delay.delayed_input(codes, n)[:prefill]).to(device)  # [P, K], VMAS.md §7.1
    result = {"positions": positions, "prefill_positions": prefill, "weight_bytes_f32": weight_bytes(decoder)}
    with torch.no_grad():
        progress(f"music decoder: prefill of {prefill} positions")
        seconds = timed(lambda: decoder(ids, memory), device, repeats)
        result["prefill_positions_per_s"] = prefill / seconds
        result["prefill_tokens_per_s"] = prefill * k_count / seconds  # K codebook tokens a position

        # Steps of at least one frame (K positions) and at most one window, as the runtime's side caps them.
        steps = max(k_count, min(decode_steps, positions))
        frames = steps - k_count + 1
        t_of = delay.frame_of(torch.arange(steps, device=device)[:, None], torch.arange(k_count, device=device)[None, :])
        outputs = (t_of >= 0) & (t_of < frames)  # [steps, K]: where step j outputs a frame of codebook k, not N

        def decode(rows, guided):
            cond_memory = memory.expand(rows, *memory.shape)
            caches = [decoder.new_cache()] + ([decoder.new_cache()] if guided else [])
            feed = torch.full((rows, 1, k_count), n, dtype=torch.long, device=device)
            g = torch.tensor(guidance, dtype=torch.float32, device=device)
            for j in range(steps):
                logits = decoder(feed, cond_memory, caches[0])["logits"][:, -1]  # [rows, K, N]
                if guided:
                    null = decoder(feed, None, caches[1])["logits"][:, -1]
                    logits = null + g * (logits - null)
                chosen = logits.argmax(dim=-1)  # [rows, K]
                feed = torch.where(outputs[j], chosen, torch.full_like(chosen, n))[:, None, :]

        for rows in sorted({1, batch}):
            for guided in (False, True):
                name = f"decode_b{rows}" + ("_guided" if guided else "")
                progress(f"music decoder: {name}, {steps} steps")
                seconds = timed(lambda: decode(rows, guided), device, repeats)
                result[name] = {"steps": steps, "batch": rows, "guided": guided,
                                "tokens_per_s": steps * k_count * rows / seconds}
    result["decode_steps"] = steps
    return result


def bench_codec(config, folder, device, seconds, repeats, rng):
    codec = vbundle.load_component(folder, config, "codec").to(device)
    c = config["codec"]
    frames = max(1, int(round(seconds * vconfig.frame_rate(config))))
    codes = torch.from_numpy(rng.integers(0, c["codebook_size"], size=(c["levels"], frames))).to(device)
    samples = frames * vconfig.hop(config)
    progress(f"codec: {frames} frames, {samples} samples")
    with torch.no_grad():
        elapsed = timed(lambda: codec(codes), device, repeats)
    return {"frames": frames, "samples": samples, "samples_per_s": samples / elapsed, "weight_bytes_f32": weight_bytes(codec)}


def copy_bandwidth(device):
    """Bytes per second of a 64 MiB device-to-device copy, read + write (as reference_bench.py)."""
    a = torch.ones(64 * 1024 * 1024 // 4, device=device)
    b = torch.empty_like(a)
    return 2 * a.numel() * 4 / timed(lambda: b.copy_(a), device, 5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--decode", type=int, default=64, help="decode steps (positions per sequence)")
    parser.add_argument("--batch", type=int, default=8, help="the batched decode's sequences")
    parser.add_argument("--prefill", type=int, default=0, help="prefill positions (0: the whole window)")
    parser.add_argument("--guidance", type=float, default=None, help="the guided rows' scale (default: the bundle's, 3 where it is 1)")
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
    config = vbundle.read_config(args.bundle)
    guidance = args.guidance if args.guidance is not None else (config["guidance"] if config["guidance"] != 1 else 3.0)
    copy = copy_bandwidth(args.device)
    encoder, memory = bench_encoder(config, args.bundle, args.device, args.repeats, rng)
    result = {
        "engine": f"pytorch {torch.__version__} eager",
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(0),
        "threads": torch.get_num_threads(),
        "copy_bytes_per_s": copy,
        "guidance": guidance,
        "encoder": encoder,
        "decoder": bench_decoder(config, args.bundle, args.device, memory, args.decode, args.batch, args.prefill, guidance,
                                 args.repeats, rng),
        "codec": bench_codec(config, args.bundle, args.device, args.codec_seconds, args.repeats, rng),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
