"""ONNX exports of the reference model for the ONNX Runtime column of `v2meow bench`.

For each stage of a v2meow/1 bundle, three graphs from the PyTorch reference (torch.onnx, opset 14):

  {stage}.prefill.onnx  the teacher-forced pass of the first N positions of one window, encoder included
                        (what the runtime's and PyTorch's prefill rows time); inputs: tokens, each stream, style
  {stage}.memory.onnx   stages with an encoder: the encoder and every layer's cross-attention keys and values,
                        computed once per window as the runtime does (its decode rows do not time it)
  {stage}.step.onnx     one decode step of a batch: token ids [B], the position, every layer's past keys and
                        values [B, H, p, Dh] (and cross keys and values [H, M, Dh]) in; logits [B, vocab] and
                        the present keys and values [B, H, p + 1, Dh] out

and codec.onnx (codes [levels, frames] -> waveform). Weights are float32, as the reference holds them. The
relative-position bias of a step is looked up inside the graph, by clamped distance, in a per-distance table
built here from the bundle's bias weights (the runtime does the same); prefill graphs have their bucket
tables as constants, so each is exported for one length.

check.safetensors records, from the reference in eager mode, the outputs the bench compares ONNX Runtime's
against before timing: the first and last prefill logits, the logits of the first decode steps of two
sequences, and the codec's waveform, with the inputs that made them.

    /usr/bin/python3 bench/pytorch/export_onnx.py --bundle DIR --out DIR [--prefill N] [--codec-seconds S]

Progress goes to stderr; the last line of stdout is the JSON summary.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "weights-spec", "reference"))
sys.path.insert(0, HERE)

import bundle as bundle_mod  # noqa: E402
import model as model_mod  # noqa: E402
import safetensors_io  # noqa: E402
from buckets import bucket  # noqa: E402
from config import has_encoder, total_levels  # noqa: E402
from reference_bench import stage_inputs  # noqa: E402

OPSET = 14
CHECK_STEPS = 3
CHECK_BATCH = 2


def progress(message):
    print(message, file=sys.stderr, flush=True)


class Prefill(nn.Module):
    """The stage's forward on one window: logits [n, vocab]."""

    def __init__(self, model, stream_names):
        super().__init__()
        self.model, self.stream_names = model, stream_names

    def forward(self, tokens, *rest):
        streams, style = None, None
        if self.stream_names:
            streams = dict(zip(self.stream_names, rest[: len(self.stream_names)]))
            style = rest[len(self.stream_names)] if len(rest) > len(self.stream_names) else None
        return self.model(tokens, streams, style)["decoder"]["logits"]


class Memory(nn.Module):
    """Encoder output projected into every decoder layer's cross-attention keys and values [H, M, Dh]."""

    def __init__(self, model, stream_names):
        super().__init__()
        self.model, self.stream_names = model, stream_names

    def forward(self, *inputs):
        streams = dict(zip(self.stream_names, inputs[: len(self.stream_names)]))
        style = inputs[len(self.stream_names)] if len(inputs) > len(self.stream_names) else None
        memory = self.model.encoder(streams, style)["out"]
        out = []
        for layer in self.model.decoder.layers:
            attention = layer.cross_attn
            out.append(attention.heads(attention.k(memory)))
            out.append(attention.heads(attention.v(memory)))
        return tuple(out)


class Step(nn.Module):
    """One decode position for a batch, the reference's layer arithmetic with a leading batch dimension."""

    def __init__(self, decoder, distance_bias, time_table):
        super().__init__()
        self.decoder = decoder
        self.register_buffer("distance_bias", distance_bias)  # [H, max_distance + 1]: bias of key distance 0..
        self.max_distance = distance_bias.shape[1] - 1
        self.time_table = None
        if time_table is not None:
            self.register_buffer("time", time_table)
            self.time_table = True

    def forward(self, tokens, position, *caches):
        decoder = self.decoder
        layers = len(decoder.layers)
        past = caches[: 2 * layers]
        cross = caches[2 * layers:]
        x = decoder.embed(tokens)[:, None, :]  # [B, 1, d]
        if self.time_table is not None:
            x = x + self.time[position][None, None, :]
        # SPEC §6.3: the bias of key j for the query at `position`, by distance position - j, clamped.
        distance = torch.clamp(position - torch.arange(position + 1), max=self.max_distance)
        bias = self.distance_bias[:, distance][:, None, :]  # [H, 1, p + 1]
        present = []
        for i, layer in enumerate(decoder.layers):
            attention = layer.self_attn
            h = layer.self_attn_norm(x)
            q, k, v = attention.heads(attention.q(h)), attention.heads(attention.k(h)), attention.heads(attention.v(h))
            k = torch.cat([past[2 * i], k], dim=-2)
            v = torch.cat([past[2 * i + 1], v], dim=-2)
            present += [k, v]
            scores = attention.scale * (q @ k.transpose(-1, -2)) + bias
            o = torch.softmax(scores, dim=-1) @ v
            x = x + attention.o(o.transpose(-3, -2).reshape(x.shape[0], 1, attention.h * attention.dh))
            if layer.cross:
                attention = layer.cross_attn
                q = attention.heads(attention.q(layer.cross_attn_norm(x)))
                scores = attention.scale * (q @ cross[2 * i].transpose(-1, -2))
                o = torch.softmax(scores, dim=-1) @ cross[2 * i + 1]
                x = x + attention.o(o.transpose(-3, -2).reshape(x.shape[0], 1, attention.h * attention.dh))
            x = x + layer.ffn(layer.ffn_norm(x))
        logits = decoder.head(decoder.final_norm(x))[:, 0, :]
        return (logits, *present)


class CodecGraph(nn.Module):
    def __init__(self, codec):
        super().__init__()
        self.codec = codec

    def forward(self, codes):
        return self.codec(codes)["waveform"]


def distance_table(decoder):
    """[H, max_distance + 1]: the decoder's bias for keys 0..max_distance positions before the query."""
    distances = np.arange(decoder.max_distance + 1)
    buckets = bucket(-distances, False, decoder.buckets, decoder.max_distance)
    return decoder.rel_bias.weight.detach()[torch.from_numpy(buckets)].t().contiguous()


def export(module, args, path, input_names, output_names, dynamic_axes=None):
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    try:
        import onnx  # Debian: python3-onnx; optional, a structural check only
        onnx.checker.check_model(onnx.load(path))
    except ImportError:
        pass


def export_stage(config, folder, stage, out, prefill, rng, check):
    tensors, _ = bundle_mod.read_component(folder, stage)
    model = model_mod.load(config, stage, tensors)
    decoder = model.decoder
    tokens, streams, style = stage_inputs(config, stage, rng, "cpu")
    window = len(tokens)
    n = min(prefill, window) if prefill > 0 else window
    prompt = tokens[:n]
    names = [s["name"] for s in config[stage]["streams"]] if has_encoder(config, stage) else []
    extra = [streams[name] for name in names] + ([style] if style is not None else [])
    extra_names = list(names) + (["style"] if style is not None else [])

    progress(f"{stage}: prefill graph of {n} positions")
    export(Prefill(model, names), (prompt, *extra), os.path.join(out, f"{stage}.prefill.onnx"),
           ["tokens", *extra_names], ["logits"])
    with torch.no_grad():
        logits = model(prompt, streams, style)["decoder"]["logits"]
    check[f"{stage}.prefill.tokens"] = prompt.numpy().astype(np.int64)
    for i, name in enumerate(extra_names):
        check[f"{stage}.prefill.{name}"] = extra[i].numpy()
    rows = min(4, n)
    check[f"{stage}.prefill.logits_first"] = logits[:rows].numpy()
    check[f"{stage}.prefill.logits_last"] = logits[-rows:].numpy()

    layers, heads, head_dim = len(decoder.layers), decoder.layers[0].self_attn.h, decoder.layers[0].self_attn.dh
    cross = []
    if names:
        progress(f"{stage}: memory graph")
        memory_names = [f"cross_{kind}_{i}" for i in range(layers) for kind in ("k", "v")]
        export(Memory(model, names), tuple(extra), os.path.join(out, f"{stage}.memory.onnx"), extra_names, memory_names)
        with torch.no_grad():
            cross = list(Memory(model, names)(*extra))
    time_table = None
    if decoder.time_spec is not None:
        time_table = decoder.position_time(0, window)
    step = Step(decoder, distance_table(decoder), time_table).eval()
    past_names = [f"past_{kind}_{i}" for i in range(layers) for kind in ("k", "v")]
    present_names = [f"present_{kind}_{i}" for i in range(layers) for kind in ("k", "v")]
    cross_names = [f"cross_{kind}_{i}" for i in range(layers) for kind in ("k", "v")] if names else []
    batch = CHECK_BATCH
    empty = [torch.zeros(batch, heads, 0, head_dim) for _ in range(2 * layers)]
    # Traced at position 2 with two cached positions: a dynamic batch and past length, any position.
    warm = [torch.zeros(batch, heads, 2, head_dim) for _ in range(2 * layers)]
    dynamic = {"tokens": {0: "batch"}, "logits": {0: "batch"}}
    for name in past_names:
        dynamic[name] = {0: "batch", 2: "past"}
    for name in present_names:
        dynamic[name] = {0: "batch", 2: "present"}
    progress(f"{stage}: step graph")
    export(step, (tokens[:batch].clone(), torch.tensor(2), *warm, *cross), os.path.join(out, f"{stage}.step.onnx"),
           ["tokens", "position", *past_names, *cross_names], ["logits", *present_names], dynamic)

    # The reference's own decode (model.decoder with its cache), one sequence at a time, for the check.
    sequences = [tokens[b::batch][:CHECK_STEPS] for b in range(batch)]
    memory = model.encoder(streams, style)["out"] if names else None
    expected = np.zeros((CHECK_STEPS, batch, decoder.head.out_features), dtype=np.float32)
    with torch.no_grad():
        for b in range(batch):
            cache = decoder.new_cache()
            for i in range(CHECK_STEPS):
                expected[i, b] = decoder(sequences[b][i:i + 1], memory, cache)["logits"][0].numpy()
    check[f"{stage}.step.tokens"] = torch.stack(sequences, dim=1).numpy().astype(np.int64)  # [steps, B]
    check[f"{stage}.step.logits"] = expected
    del empty
    return {"window": window, "prefill": n, "layers": layers, "heads": heads, "head_dim": head_dim,
            "vocab": decoder.head.out_features, "cross": bool(names), "streams": extra_names}


def export_codec(config, folder, out, seconds, rng, check):
    tensors, _ = bundle_mod.read_component(folder, "codec")
    codec = model_mod.load(config, "codec", tensors)
    frames = int(round(seconds * config["rates"]["acoustic_hz"]))
    codes = torch.from_numpy(rng.integers(0, config["tokens"]["codebook_size"], size=(total_levels(config), frames)))
    progress(f"codec: graph of {frames} frames")
    export(CodecGraph(codec), (codes,), os.path.join(out, "codec.onnx"), ["codes"], ["waveform"])
    with torch.no_grad():
        check["codec.codes"] = codes.numpy().astype(np.int64)
        check["codec.waveform"] = codec(codes)["waveform"].numpy()
    return {"frames": frames, "seconds": seconds}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--prefill", type=int, default=0, help="prefill positions per stage (0: the whole window)")
    parser.add_argument("--codec-seconds", type=float, default=2.0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    config = bundle_mod.read_config(args.bundle)
    check = {}
    summary = {"opset": OPSET, "torch": torch.__version__, "stages": {}}
    for stage in ("stage1", "stage2", "stage3"):
        summary["stages"][stage] = export_stage(config, args.bundle, stage, args.out, args.prefill, rng, check)
    summary["codec"] = export_codec(config, args.bundle, args.out, args.codec_seconds, rng, check)
    safetensors_io.write(os.path.join(args.out, "check.safetensors"),
                         {k: np.ascontiguousarray(v) for k, v in check.items()})
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
