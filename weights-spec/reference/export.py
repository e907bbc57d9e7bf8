"""Write a bundle: config.json plus stage1/2/3 and codec safetensors (SPEC §2).

    export.py --config CONFIG.json --seed N --out DIR [--dtype float32|float16|bfloat16]
    export.py --config CONFIG.json --state-dict FILE --out DIR [--dtype ...]

Without --state-dict the weights are random, drawn from numpy's legacy
RandomState (its streams are frozen across numpy versions, so a seed always
gives the same bundle). The scales keep activations O(1) and logits
unsaturated so goldens exercise real arithmetic.

--state-dict takes trained weights: a torch state dict (.pt/.pth/.bin) or a
.safetensors file whose keys are "<component>.<tensor name>" (for example
"stage1.decoder.layers.0.ffn.up.weight", "codec.rvq.codebooks"). Weight-norm
pairs (X.weight_g / X.weight_v, or torch 2's
X.parametrizations.weight.original0 / original1) are folded into X.weight.

The codec's optional encoder (SPEC §9.3) is written as codec_encoder.safetensors: with --codec-encoder
for random weights, and from a state dict whenever it holds "codec_encoder.<tensor name>" keys (for
example "codec_encoder.encoder.in_conv.weight"), all of which must then be there.
"""

import argparse
import json
import os
import sys

import numpy as np

import config as config_mod
import layout
import safetensors_io

COMPONENT_INDEX = {name: i for i, name in enumerate(config_mod.COMPONENTS + (config_mod.CODEC_ENCODER,))}
# The component whose metadata `config` is another component's section: the encoder mirrors the codec.
SECTION_OF = {config_mod.CODEC_ENCODER: "codec"}


def _fan_in_std(name, shape):
    """1/sqrt(fan_in) for linear, conv and transposed-conv weights."""
    if name.endswith("up.weight") and name.startswith("decoder.blocks."):
        cin, _, k = shape
        return 1.0 / np.sqrt(cin * k / 2)  # stride s, kernel 2s: each output sees cin * 2 taps
    if len(shape) == 3:
        return 1.0 / np.sqrt(shape[1] * shape[2])
    return 1.0 / np.sqrt(shape[1])


def random_tensor(rng, name, shape):
    draw = lambda: rng.standard_normal(shape)  # noqa: E731
    if "_norm." in name:
        return 1.0 + 0.1 * draw() if name.endswith(".weight") else 0.1 * draw()
    if name.endswith("rel_bias.weight"):
        return 0.5 * draw()
    if name.endswith(".alpha"):
        return np.exp(0.5 * draw())  # Snake frequencies: positive, spread around 1
    if name == "rvq.codebooks" or name.endswith("embed.weight"):
        return draw()
    if name.endswith((".bias", ".bias_ih", ".bias_hh")):  # the last two: an encodec codec's LSTM
        return 0.1 * draw()
    return _fan_in_std(name, shape) * draw()


def random_weights(config, component, seed):
    rng = np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, COMPONENT_INDEX[component]])
    return {
        name: random_tensor(rng, name, shape).astype(np.float32)
        for name, shape in layout.component_tensors(config, component).items()
    }


def _to_numpy(value):
    if isinstance(value, np.ndarray):
        return value.astype(np.float32)
    import torch  # only trained weights need torch; random export runs on numpy alone

    return value.detach().to(dtype=torch.float32).cpu().numpy()


def fold_weight_norm(state):
    """Replace weight-norm pairs by the weight they stand for: g * v / ||v||.

    The norm runs over every dimension where g has size 1 (dim=0 by default).
    """
    out = dict(state)
    pairs = []
    for key in state:
        if key.endswith(".weight_g"):
            pairs.append((key[: -len("_g")], key, key[: -len("_g")] + "_v"))
        if key.endswith(".parametrizations.weight.original0"):
            base = key[: -len(".parametrizations.weight.original0")]
            pairs.append((base + ".weight", key, base + ".parametrizations.weight.original1"))
    for weight, g_key, v_key in pairs:
        g, v = out.pop(g_key).astype(np.float64), out.pop(v_key).astype(np.float64)
        axes = tuple(i for i in range(v.ndim) if g.ndim == v.ndim and g.shape[i] == 1)
        norm = np.sqrt((v * v).sum(axis=axes, keepdims=True))
        out[weight] = (g * v / norm).astype(np.float32)
    return out


def load_state_dict(path):
    if path.endswith(".safetensors"):
        tensors, _, _ = safetensors_io.read_f32(path)
        return tensors
    import torch

    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    return {k: _to_numpy(v) for k, v in state.items()}


def trained_weights(config, state):
    """Split a flat "<component>.<name>" dict per component, checking every shape."""
    state = fold_weight_norm(state)
    out, errors = {}, []
    used = set()
    for component in config_mod.COMPONENTS:
        out[component] = {}
        for name, shape in layout.component_tensors(config, component).items():
            key = f"{component}.{name}"
            if key not in state:
                errors.append(f"state dict: missing '{key}' {list(shape)}")
                continue
            used.add(key)
            value = np.asarray(state[key], dtype=np.float32)
            if value.shape != tuple(shape):
                errors.append(f"state dict: '{key}': expected {list(shape)}, found {list(value.shape)}")
            out[component][name] = value
    if any(key.startswith(config_mod.CODEC_ENCODER + ".") for key in state):
        component = config_mod.CODEC_ENCODER
        out[component] = {}
        for name, shape in layout.component_tensors(config, component).items():
            key = f"{component}.{name}"
            if key not in state:
                errors.append(f"state dict: missing '{key}' {list(shape)}")
                continue
            used.add(key)
            value = np.asarray(state[key], dtype=np.float32)
            if value.shape != tuple(shape):
                errors.append(f"state dict: '{key}': expected {list(shape)}, found {list(value.shape)}")
            out[component][name] = value
    for key in sorted(set(state) - used):
        if key.split(".", 1)[0] in config_mod.COMPONENTS + (config_mod.CODEC_ENCODER,):
            errors.append(f"state dict: unexpected tensor '{key}'")
    if errors:
        raise ValueError("\n".join(errors))
    return out


def encode(values, dtype):
    """float32 array -> (array to write, safetensors dtype name)."""
    if dtype == "float32":
        return values.astype(np.float32), "F32"
    if dtype == "float16":
        return values.astype(np.float16), "F16"
    return safetensors_io.f32_to_bf16(values), "BF16"


def write_bundle(config, weights, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for component in config_mod.COMPONENTS + ((config_mod.CODEC_ENCODER,) if config_mod.CODEC_ENCODER in weights else ()):
        tensors, dtypes = {}, {}
        for name, values in weights[component].items():
            tensors[name], dtypes[name] = encode(values, config["dtype"])
        metadata = {
            "format": config_mod.FORMAT,
            "component": component,
            "config": config_mod.section_json(config, SECTION_OF.get(component, component)),
        }
        safetensors_io.write(os.path.join(out_dir, f"{component}.safetensors"), tensors, metadata, dtypes)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True)
    p.add_argument("--out", required=True)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--seed", type=int, help="random weights from this seed (0 .. 2^64-1)")
    source.add_argument("--state-dict", help="trained weights, keys '<component>.<tensor name>'")
    p.add_argument("--dtype", choices=sorted(config_mod.DTYPES), help="overrides config.json's dtype")
    p.add_argument("--codec-encoder", action="store_true",
                   help="random weights: also write the codec's encoder, codec_encoder.safetensors (SPEC §9.3)")
    args = p.parse_args(argv)
    try:
        config = config_mod.load(args.config)
        if args.dtype:
            config["dtype"] = args.dtype
        if args.state_dict:
            weights = trained_weights(config, load_state_dict(args.state_dict))
        else:
            if not 0 <= args.seed < 1 << 64:
                raise ValueError(f"--seed {args.seed}: expected 0 .. 2^64-1")
            components = config_mod.COMPONENTS + ((config_mod.CODEC_ENCODER,) if args.codec_encoder else ())
            weights = {c: random_weights(config, c, args.seed) for c in components}
    except (config_mod.ConfigError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_bundle(config, weights, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
