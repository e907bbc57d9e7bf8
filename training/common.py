"""Shared pieces of the training scripts: batched forward passes over the reference modules, log-mel, paths.

The reference model (weights-spec/reference/model.py) runs one unbatched
sequence at a time. Training needs batches, so the functions here run the
reference modules' own parameters on [batch, time, features] tensors with the
same math (pre-norm blocks, shared relative bias, causal mask, style position
last). `check_against_reference` asserts on one sequence that the batched pass
equals the reference forward, so what is trained is what is exported.
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "weights-spec", "reference")
# The evaluation scripts (training/evaluation/) are modules the build steps and experiments use too.
EVALUATION = os.path.join(HERE, "evaluation")
sys.path.insert(0, REFERENCE)
sys.path.insert(0, EVALUATION)

import config as config_mod  # noqa: E402
import model as ref  # noqa: E402

# V2MEOW_SET=v5 points the scripts at default model v5's arrays (music_dataset.py), and keeps its checkpoints and
# logs apart from v4's: data/music/v5, runs/v5, logs/v5. Unset: v4's data, runs and logs.
MODEL_SET = os.environ.get("V2MEOW_SET", "")
DATA = os.path.join(HERE, "data", "music", MODEL_SET) if MODEL_SET else os.path.join(HERE, "data")
RUNS = os.path.join(HERE, "runs", MODEL_SET)
LOGS = os.path.join(HERE, "logs", MODEL_SET)
DEFAULT_CONFIG = os.path.join(HERE, "..", "weights-spec", "examples", "default.json")


def load_config(path=DEFAULT_CONFIG):
    return config_mod.load(path)


def temperature_override(item):
    """argparse type for "stage2=0.5" -> ("stage2", 0.5): a sampling temperature that replaces a bundle's."""
    import argparse

    stage, _, value = item.partition("=")
    try:
        temperature = float(value)
    except ValueError:
        temperature = -1.0
    if stage not in ("stage1", "stage2", "stage3") or temperature < 0:
        raise argparse.ArgumentTypeError(f"a temperature override is STAGE=T, STAGE stage1, stage2 or stage3 and "
                                         f"T >= 0; got {item!r}")
    return stage, temperature


def log(name, line):
    os.makedirs(LOGS, exist_ok=True)
    print(line, flush=True)
    with open(os.path.join(LOGS, name), "a", encoding="utf-8") as f:
        f.write(line + "\n")


# ---------------------------------------------------------------- batched transformer

def attention(att, x, source, bias=None, mask=None, keep=None):
    """Batched multi-head attention; appends its weights [B, H, n, m] to `keep` when given."""
    b, n, _ = x.shape
    m = source.shape[1]
    q = att.q(x).view(b, n, att.h, att.dh).transpose(1, 2)
    k = att.k(source).view(b, m, att.h, att.dh).transpose(1, 2)
    v = att.v(source).view(b, m, att.h, att.dh).transpose(1, 2)
    scores = att.scale * (q @ k.transpose(-1, -2))
    if bias is not None:
        scores = scores + bias  # the causal mask is folded in as -inf (run_stack)
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    p = torch.softmax(scores, dim=-1)
    if keep is not None:
        keep.append(p)
    o = p @ v
    return att.o(o.transpose(1, 2).reshape(b, n, att.h * att.dh))


def run_stack(stack, x, memory=None, keep=None):
    """The stack's layers and final norm; `keep` collects each layer's cross-attention weights."""
    n = x.shape[1]
    bias = stack.rel_bias.weight[stack.bucket_table(n, n)].permute(2, 0, 1)
    if not stack.bidirectional:
        # Key after query hidden: folded into the [H, n, n] bias once rather than masked per layer and batch.
        bias = bias.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    for layer in stack.layers:
        h = layer.self_attn_norm(x)
        x = x + attention(layer.self_attn, h, h, bias)
        if layer.cross:
            x = x + attention(layer.cross_attn, layer.cross_attn_norm(x), memory, keep=keep)
        x = x + layer.ffn(layer.ffn_norm(x))
    return stack.final_norm(x)


def encode(encoder, streams, style=None):
    """streams: name -> [B, T, dim] dense; style [B, style_dim] -> memory [B, Te, d]."""
    parts = []
    for name in encoder.stream_order:
        x = encoder.streams[name](streams[name])
        time = encoder.stream_time(name, x.shape[1])  # SPEC §6.8; None without a time embedding
        parts.append(x if time is None else x + time)
    if encoder.style is not None:
        parts.append(encoder.style.proj(style)[:, None, :])
    return run_stack(encoder, torch.cat(parts, dim=1))


def logits(stage_model, tokens, streams=None, style=None, keep=None, rows=None):
    """Teacher-forced logits [B, n, V] of a StageModel for token ids [B, n]; `keep` as in run_stack. With
    `rows` (a bool mask [B, n]) only those positions' logits, [count, V]: the head is the costliest layer of
    a decoder with a 1024-code vocabulary per level, and the loss reads only the scored positions."""
    memory = encode(stage_model.encoder, streams, style) if hasattr(stage_model, "encoder") else None
    dec = stage_model.decoder
    x = dec.embed(tokens)
    time = dec.position_time(0, tokens.shape[1])
    hidden = run_stack(dec, x if time is None else x + time, memory, keep)
    return dec.head(hidden if rows is None else hidden[rows])


def check_against_reference(stage_model, tokens, streams=None, style=None):
    """The batched pass on one sequence equals the reference forward (to f32 rounding)."""
    with torch.no_grad():
        batched = logits(stage_model, tokens[None],
                         None if streams is None else {k: v[None] for k, v in streams.items()},
                         None if style is None else style[None])[0]
        reference = stage_model(tokens, streams, style)["decoder"]["logits"]
    err = (batched - reference).abs().max().item()
    assert err < 1e-4, f"batched forward differs from the reference by {err}"
    return err


def decode_waveform(decoder, latent):
    """The reference SoundStreamDecoder on a batch: latent [B, C, T] -> waveform [B, T * hop]."""
    x = decoder.in_conv(ref.pad_for_conv(latent, decoder.kernel, 1, decoder.padding))
    for block in decoder.blocks:
        x = block(x)
    y = decoder.out_conv(ref.pad_for_conv(decoder.out_act(x), decoder.kernel, 1, decoder.padding))
    return torch.tanh(y[:, 0])


# ---------------------------------------------------------------- audio representation

SR = 16000
MEL_BANDS = 64


def mel_filterbank(n_fft=1024, bands=MEL_BANDS, fmin=30.0, fmax=8000.0):
    def hz_to_mel(f):
        return 2595 * np.log10(1 + f / 700)

    def mel_to_hz(m):
        return 700 * (10 ** (m / 2595) - 1)

    freqs = np.linspace(0, SR / 2, n_fft // 2 + 1)
    points = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), bands + 2))
    fb = np.zeros((bands, len(freqs)))
    for i in range(bands):
        lo, mid, hi = points[i], points[i + 1], points[i + 2]
        fb[i] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return torch.tensor(fb, dtype=torch.float32)


_FB = {}


def log_mel(audio, hop=640, n_fft=1024):
    """audio [B, samples] float -> log-mel [B, frames, 64], frame i centred at i * hop (25 Hz at hop 640)."""
    if n_fft not in _FB:
        _FB[n_fft] = mel_filterbank(n_fft)
    window = torch.hann_window(n_fft, device=audio.device)
    spec = torch.stft(audio, n_fft, hop, window=window, return_complex=True).abs() ** 2
    mel = torch.einsum("mf,bft->btm", _FB[n_fft].to(audio.device), spec)
    return torch.log(mel + 1e-5)


def load_corpus(name):
    d = np.load(os.path.join(DATA, f"{name}.npz"))
    return {k: d[k] for k in d.files}


def load_features(name, config):
    """The `builtin` rows of a split at the config's video_fps: data/{name}.npz holds them at 1 fps;
    other rates come from `corpus.py features` as data/features_{name}_{fps}fps.npy."""
    fps = config["rates"]["video_fps"]
    if fps == 1:
        return load_corpus(name)["features"]
    return np.load(os.path.join(DATA, f"features_{name}_{fps:g}fps.npy"))
