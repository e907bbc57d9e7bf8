"""PyTorch reference of the three stages and the codec decoder (SPEC §6, §9).

Written for clarity, one unbatched sequence at a time, float32. Module
attribute names are the tensor names of SPEC §5, so `state_dict()` keys are
exactly the names in the bundle files (tests check this against layout.py).
Sequences are [time, features]; the codec works on [channels, time].
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from buckets import bucket_matrix
from config import has_encoder, total_levels, vocab_size


# ---------------------------------------------------------------- transformer

class Norm(nn.Module):
    """LayerNorm (weight and bias, biased variance) or RMSNorm (weight only)."""

    def __init__(self, d, kind, eps):
        super().__init__()
        self.kind, self.eps = kind, eps
        self.weight = nn.Parameter(torch.ones(d))
        if kind == "layernorm":
            self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        if self.kind == "layernorm":
            mean = x.mean(-1, keepdim=True)
            var = ((x - mean) ** 2).mean(-1, keepdim=True)
            return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps) * self.weight


def gelu(x):
    # exact erf form, not the tanh approximation
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class FeedForward(nn.Module):
    def __init__(self, d, d_ff, activation):
        super().__init__()
        self.activation = activation
        self.up = nn.Linear(d, d_ff, bias=False)
        if activation == "geglu":
            self.gate = nn.Linear(d, d_ff, bias=False)
        self.down = nn.Linear(d_ff, d, bias=False)

    def forward(self, x):
        if self.activation == "geglu":
            return self.down(gelu(self.gate(x)) * self.up(x))
        h = self.up(x)
        return self.down(gelu(h) if self.activation == "gelu" else torch.relu(h))


class Attention(nn.Module):
    """Multi-head attention, n_heads x head_dim (head_dim need not be d/n_heads)."""

    def __init__(self, d, n_heads, head_dim, scale):
        super().__init__()
        self.h, self.dh, self.scale = n_heads, head_dim, scale
        inner = n_heads * head_dim
        self.q = nn.Linear(d, inner, bias=False)
        self.k = nn.Linear(d, inner, bias=False)
        self.v = nn.Linear(d, inner, bias=False)
        self.o = nn.Linear(inner, d, bias=False)

    def heads(self, x):
        return x.view(*x.shape[:-1], self.h, self.dh).transpose(-3, -2)  # [..., H, n, Dh]

    def forward(self, x, source, bias=None, mask=None, past=None):
        """x [..., n, d] queries; source [..., m, d] keys/values (x itself for self-attention).

        Leading dimensions are a batch (the reference's stages use none; VMAs' training batches).
        bias [H, n, m'] and mask [n, m'] (True = hidden) cover past + new keys.
        past is (k, v) [..., H, p, Dh] from earlier steps; returns (out, (k, v)).
        """
        q = self.heads(self.q(x))
        k = self.heads(self.k(source))
        v = self.heads(self.v(source))
        if past is not None:
            k = torch.cat([past[0], k], dim=-2)
            v = torch.cat([past[1], v], dim=-2)
        scores = self.scale * (q @ k.transpose(-1, -2))
        if bias is not None:
            scores = scores + bias
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        o = torch.softmax(scores, dim=-1) @ v  # [..., H, n, Dh]
        return self.o(o.transpose(-3, -2).reshape(*x.shape[:-1], self.h * self.dh)), (k, v)


class Layer(nn.Module):
    """Pre-norm block: self-attention, [cross-attention], feed-forward."""

    def __init__(self, t, cross):
        super().__init__()
        d = t["d_model"]
        norm = lambda: Norm(d, t["norm"], t["norm_eps"])  # noqa: E731
        attn = lambda: Attention(d, t["n_heads"], t["head_dim"], t["attention_scale"])  # noqa: E731
        self.self_attn_norm = norm()
        self.self_attn = attn()
        self.cross = cross
        if cross:
            self.cross_attn_norm = norm()
            self.cross_attn = attn()
        self.ffn_norm = norm()
        self.ffn = FeedForward(d, t["d_ff"], t["activation"])

    def forward(self, x, bias, mask=None, memory=None, past=None):
        h = self.self_attn_norm(x)
        a, kv = self.self_attn(h, h, bias=bias, mask=mask, past=past)
        x = x + a
        if self.cross:
            # No relative bias and no mask across the two sequences.
            x = x + self.cross_attn(self.cross_attn_norm(x), memory)[0]
        x = x + self.ffn(self.ffn_norm(x))
        return x, kv


class Stack(nn.Module):
    """Layers sharing one relative-position bias table, then a final norm."""

    def __init__(self, t, layers, cross, bidirectional):
        super().__init__()
        self.bidirectional = bidirectional
        self.buckets, self.max_distance = t["rel_buckets"], t["rel_max_distance"]
        self.rel_bias = nn.Embedding(t["rel_buckets"], t["n_heads"])
        self.layers = nn.ModuleList([Layer(t, cross) for _ in range(layers)])
        self.final_norm = Norm(t["d_model"], t["norm"], t["norm_eps"])

    def bucket_table(self, n, m, offset=0):
        return torch.from_numpy(
            bucket_matrix(n, m, self.bidirectional, self.buckets, self.max_distance, offset)
        )

    def run(self, x, memory=None, cache=None):
        """Runs the layers on x [n, d]; returns (out, per-layer outputs, buckets).

        With a cache, x holds positions cache.length.. and the cache is extended.
        """
        offset = 0 if cache is None else cache.length
        n, m = x.shape[0], offset + x.shape[0]
        buckets = self.bucket_table(n, m, offset)
        bias = self.rel_bias.weight[buckets].permute(2, 0, 1)  # [H, n, m]
        mask = None
        if not self.bidirectional:
            q = torch.arange(offset, m)[:, None]
            mask = torch.arange(m)[None, :] > q  # key after query
        outputs = []
        for i, layer in enumerate(self.layers):
            past = None if cache is None or cache.length == 0 else cache.kv[i]
            x, kv = layer(x, bias, mask, memory, past)
            if cache is not None:
                cache.kv[i] = kv
            outputs.append(x)
        if cache is not None:
            cache.length = m
        return self.final_norm(x), outputs, buckets


class DecoderCache:
    """Self-attention keys/values of the positions decoded so far."""

    def __init__(self, layers):
        self.length = 0
        self.kv = [None] * layers


def time_embedding(times, d, spec, dtype=torch.float32):
    """SPEC §6.8: [len(times), d] float32, sin and cos of 2π·t/P_i for d/2 periods P_i from min_period to
    max_period (geometric), in float64 with Python's scalar pow for the periods, rounded once. The float64
    evaluation of the goldens (§10) asks for dtype float64 and gets the values unrounded."""
    half = d // 2
    low, high = spec["min_period"], spec["max_period"]
    periods = np.array([low * (high / low) ** (i / max(half - 1, 1)) for i in range(half)])
    angles = 2 * math.pi * np.asarray(times, dtype=np.float64)[:, None] / periods[None, :]
    out = np.empty((angles.shape[0], d))
    out[:, 0::2] = np.sin(angles)
    out[:, 1::2] = np.cos(angles)
    return torch.from_numpy(out).to(dtype)


def frame_times(positions, video_fps, tokens_per_frame=1):
    """Encoder stream position p -> the middle of its frame, (p // tokens_per_frame + 0.5) / video_fps seconds."""
    return (np.arange(positions) // tokens_per_frame + 0.5) / video_fps


def token_times(first, count, semantic_hz):
    """Stage-1 decoder position p (BOS at 0) -> p / semantic_hz, the time of the token it predicts."""
    return np.arange(first, first + count) / semantic_hz


class StreamInput(nn.Module):
    """One encoder input stream: a linear projection (dense) or an embedding (tokens)."""

    def __init__(self, stream, d):
        super().__init__()
        self.kind = stream["kind"]
        if self.kind == "dense":
            self.proj = nn.Linear(stream["dim"], d)
        else:
            self.embed = nn.Embedding(stream["vocab"], d)

    def forward(self, x):
        return self.proj(x) if self.kind == "dense" else self.embed(x)


class StyleInput(nn.Module):
    def __init__(self, style_dim, d):
        super().__init__()
        self.proj = nn.Linear(style_dim, d)

    def forward(self, style):
        return self.proj(style)[None, :]


class Encoder(Stack):
    def __init__(self, t, video_fps=None):
        super().__init__(t, t["encoder_layers"], cross=False, bidirectional=True)
        self.stream_order = [s["name"] for s in t["streams"]]
        self.streams = nn.ModuleDict({s["name"]: StreamInput(s, t["d_model"]) for s in t["streams"]})
        self.style = StyleInput(t["style_dim"], t["d_model"]) if t["style_dim"] > 0 else None
        self.time_spec, self.video_fps, self.d = t.get("time_embedding"), video_fps, t["d_model"]
        self.tokens_per_frame = {s["name"]: s.get("tokens_per_frame", 1) for s in t["streams"]}

    def stream_time(self, name, positions, dtype=torch.float32):
        """The time embedding of a stream's positions [positions, d], or None without one (SPEC §6.8)."""
        if self.time_spec is None:
            return None
        times = frame_times(positions, self.video_fps, self.tokens_per_frame[name])
        return time_embedding(times, self.d, self.time_spec, dtype)

    def embed(self, streams, style=None):
        """Streams concatenated in time in config order (each plus its time embedding), then the style position."""
        parts = []
        for name in self.stream_order:
            x = self.streams[name](streams[name])
            time = self.stream_time(name, x.shape[0], x.dtype)
            parts.append(x if time is None else x + time)
        if self.style is not None:
            if style is None:
                raise ValueError("this encoder has a style input; pass a style vector")
            parts.append(self.style(style))
        return torch.cat(parts, dim=0)

    def forward(self, streams, style=None):
        x = self.embed(streams, style)
        out, layers, buckets = self.run(x)
        return {"embed": x, "layers": layers, "out": out, "buckets": buckets}


class Decoder(Stack):
    def __init__(self, t, vocab, cross, token_hz=None):
        super().__init__(t, t["decoder_layers"], cross=cross, bidirectional=False)
        self.embed = nn.Embedding(vocab, t["d_model"])
        self.head = nn.Linear(t["d_model"], vocab, bias=False)
        self.time_spec, self.token_hz, self.d = t.get("time_embedding"), token_hz, t["d_model"]

    def new_cache(self):
        return DecoderCache(len(self.layers))

    def position_time(self, first, count, dtype=torch.float32):
        """The time embedding of positions first.. [count, d], or None without one (SPEC §6.8)."""
        if self.time_spec is None:
            return None
        return time_embedding(token_times(first, count, self.token_hz), self.d, self.time_spec, dtype)

    def forward(self, tokens, memory=None, cache=None):
        x = self.embed(tokens)
        time = self.position_time(0 if cache is None else cache.length, x.shape[0], x.dtype)
        if time is not None:
            x = x + time
        out, layers, buckets = self.run(x, memory, cache)
        return {"embed": x, "layers": layers, "out": out, "logits": self.head(out), "buckets": buckets}


class StageModel(nn.Module):
    """Stage 1 (encoder-decoder), stage 2 (either variant) or stage 3 (decoder only)."""

    def __init__(self, config, stage):
        super().__init__()
        t = config[stage]
        cross = has_encoder(config, stage)
        rates = config["rates"]
        if cross:
            self.encoder = Encoder(t, rates["video_fps"])
        self.decoder = Decoder(t, vocab_size(config, stage), cross, rates["semantic_hz"])

    def forward(self, tokens, streams=None, style=None):
        result = {}
        memory = None
        if hasattr(self, "encoder"):
            result["encoder"] = self.encoder(streams, style)
            memory = result["encoder"]["out"]
        result["decoder"] = self.decoder(tokens, memory)
        return result


# ---------------------------------------------------------------- codec

def pad_for_conv(x, kernel, dilation, padding):
    """Zero padding so a stride-1 conv keeps the length (SPEC §9.2)."""
    total = (kernel - 1) * dilation
    left = total if padding == "causal" else total // 2
    return F.pad(x, (left, total - left))


class ResidualVectorQuantizer(nn.Module):
    def __init__(self, c, levels, codebook_size):
        super().__init__()
        self.codebooks = nn.Parameter(torch.zeros(levels, codebook_size, c["codebook_dim"]))
        self.out_proj = nn.Linear(c["codebook_dim"], c["latent_dim"]) if c["out_proj"] else None

    def forward(self, codes):
        """codes [q, T] (q <= Q levels, the first q) -> latent [C_latent, T]."""
        z = self.codebooks[0][codes[0]]
        for level in range(1, codes.shape[0]):
            z = z + self.codebooks[level][codes[level]]
        if self.out_proj is not None:
            z = self.out_proj(z)
        return z.t()


class Snake(nn.Module):
    """snake(x) = x + sin²(α·x) / (α + 1e-9), one α per channel (SPEC §9.1)."""

    def __init__(self, channels):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        a = self.alpha[:, None]
        return x + torch.sin(a * x) ** 2 / (a + 1e-9)


def activation(c, channels):
    """The codec's activation: ELU (no parameters) or Snake (an `alpha` per channel)."""
    return Snake(channels) if c["activation"] == "snake" else nn.ELU()


class ResidualUnit(nn.Module):
    """x + conv2(Act(conv1(Act(x)))). SoundStream: conv1 is C -> C with kernel_size. EnCodec (VMAS.md §9): conv1 is
    C -> C / compress with residual_kernel_size, conv2 C / compress -> C."""

    def __init__(self, channels, dilation, c):
        super().__init__()
        encodec = c.get("kind") == "encodec"
        self.kernel = c["residual_kernel_size"] if encodec else c["kernel_size"]
        self.dilation, self.padding = dilation, c["padding"]
        hidden = channels // c["compress"] if encodec else channels
        self.act1 = activation(c, channels)
        self.conv1 = nn.Conv1d(channels, hidden, self.kernel, dilation=dilation)
        self.act2 = activation(c, hidden)
        self.conv2 = nn.Conv1d(hidden, channels, 1)

    def forward(self, x):
        h = self.conv1(pad_for_conv(self.act1(x), self.kernel, self.dilation, self.padding))
        return x + self.conv2(self.act2(h))


class LstmLayer(nn.Module):
    """One PyTorch LSTM layer with its tensors named as VMAS.md §9 stores them (gates i, f, g, o)."""

    def __init__(self, channels):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.zeros(4 * channels, channels))
        self.weight_hh = nn.Parameter(torch.zeros(4 * channels, channels))
        self.bias_ih = nn.Parameter(torch.zeros(4 * channels))
        self.bias_hh = nn.Parameter(torch.zeros(4 * channels))

    def forward(self, x):
        """x [..., T, C] -> h [..., T, C], from h = c = 0."""
        c = self.weight_hh.shape[1]
        inputs = x @ self.weight_ih.t() + self.bias_ih  # every step's input term at once
        h = x.new_zeros(x.shape[:-2] + (c,))
        cell = x.new_zeros(x.shape[:-2] + (c,))
        out = []
        for t in range(x.shape[-2]):
            g = inputs[..., t, :] + (h @ self.weight_hh.t() + self.bias_hh)
            i, f, z, o = g.split(c, dim=-1)
            cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(z)
            h = torch.sigmoid(o) * torch.tanh(cell)
            out.append(h)
        return torch.stack(out, dim=-2) if out else x.new_zeros(x.shape[:-1] + (c,))


class Lstm(nn.ModuleList):
    """EnCodec's SLSTM (VMAS.md §9): x + LSTM(x) over time, layer l + 1 reading layer l's h. A list of layers,
    so the tensors are decoder.lstm.{l}.*."""

    def __init__(self, channels, layers):
        super().__init__([LstmLayer(channels) for _ in range(layers)])

    def forward(self, x):
        """x [..., C, T] -> x + LSTM(x), [..., C, T]."""
        h = x.transpose(-1, -2)
        for layer in self:
            h = layer(h)
        return x + h.transpose(-1, -2)


class DecoderBlock(nn.Module):
    def __init__(self, cin, cout, stride, c):
        super().__init__()
        self.stride, self.padding = stride, c["padding"]
        self.act = activation(c, cin)
        self.up = nn.ConvTranspose1d(cin, cout, 2 * stride, stride=stride)
        self.res = nn.ModuleList([ResidualUnit(cout, d, c) for d in c["residual_dilations"]])

    def forward(self, x):
        t, s = x.shape[-1], self.stride
        y = self.up(self.act(x))  # full length (T - 1) * s + 2s
        start = 0 if self.padding == "causal" else s // 2
        x = y[..., start : start + t * s]
        for unit in self.res:
            x = unit(x)
        return x


class SoundStreamDecoder(nn.Module):
    """The codec decoder of SPEC §9; kind "encodec" adds the LSTM after in_conv and narrower residual units
    (VMAS.md §9)."""

    def __init__(self, c):
        super().__init__()
        self.kernel, self.padding = c["kernel_size"], c["padding"]
        ch = c["channels"]
        self.in_conv = nn.Conv1d(c["latent_dim"], ch[0], c["kernel_size"])
        if c.get("kind") == "encodec" and c["lstm_layers"] > 0:
            self.lstm = Lstm(ch[0], c["lstm_layers"])
        else:
            self.lstm = None
        self.blocks = nn.ModuleList(
            [DecoderBlock(ch[b], ch[b + 1], s, c) for b, s in enumerate(c["strides"])]
        )
        self.out_act = activation(c, ch[-1])
        self.out_conv = nn.Conv1d(ch[-1], 1, c["kernel_size"])

    def forward(self, latent):
        """latent [C_latent, T] -> (waveform [T * hop], in_conv output, block outputs, LSTM output or None)."""
        x = self.in_conv(pad_for_conv(latent[None], self.kernel, 1, self.padding))
        first = x[0]
        lstm = None
        if self.lstm is not None:
            x = self.lstm(x)
            lstm = x[0]
        blocks = []
        for block in self.blocks:
            x = block(x)
            blocks.append(x[0])
        y = self.out_conv(pad_for_conv(self.out_act(x), self.kernel, 1, self.padding))
        return torch.tanh(y[0, 0]), first, blocks, lstm


class Codec(nn.Module):
    """RVQ and decoder. levels and codebook_size default to a v2meow/1 config's (tokens); vmas/1 passes its
    codec section's."""

    def __init__(self, config, levels=None, codebook_size=None):
        super().__init__()
        c = config["codec"]
        levels = total_levels(config) if levels is None else levels
        codebook_size = config["tokens"]["codebook_size"] if codebook_size is None else codebook_size
        self.rvq = ResidualVectorQuantizer(c, levels, codebook_size)
        self.decoder = SoundStreamDecoder(c)

    def forward(self, codes):
        latent = self.rvq(codes)
        waveform, in_conv, blocks, lstm = self.decoder(latent)
        result = {"latent": latent, "in_conv": in_conv, "blocks": blocks, "waveform": waveform}
        if lstm is not None:
            result["lstm"] = lstm
        return result


# ---------------------------------------------------------------- loading

def build(config, component):
    return Codec(config) if component == "codec" else StageModel(config, component)


def load(config, component, tensors):
    """Model with weights from `tensors` (name -> float32 numpy array), strict."""
    model = build(config, component)
    state = {name: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for name, a in tensors.items()}
    model.load_state_dict(state, strict=True)
    return model.eval()
