"""PyTorch reference of the VMAs video encoder and music decoder (VMAS.md §6); the codec is the shared one.

Module attribute names are the tensor names of VMAS.md §5, so `state_dict()` keys are exactly the names in
the bundle files. Written for clarity and for training: every module takes optional leading batch
dimensions; the goldens run one unbatched window at a time in float32 (and again in float64).
"""

import math

import numpy as np
import torch
from torch import nn

import model as shared

from . import config as vconfig


# ---------------------------------------------------------------- video encoder (VMAS.md §6.2, Hiera)

def max_pool(x, pool):
    """x [..., T, H, W, C] -> [..., T, H / ph, W / pw, C], the maximum of each (1, ph, pw) cell per channel."""
    _, ph, pw = pool
    if ph == 1 and pw == 1:
        return x
    *lead, t, h, w, c = x.shape
    cells = x.reshape(*lead, t, h // ph, ph, w // pw, pw, c)
    return cells.amax(dim=(-4, -2))


def to_windows(x, unit):
    """x [..., T, H, W, C] -> [..., windows, mt·mh·mw, C]: windows in (t, h, w) order of their index
    (⌊t/mt⌋, ⌊h/mh⌋, ⌊w/mw⌋), rows inside a window in (t, h, w) order."""
    *lead, t, h, w, c = x.shape
    mt, mh, mw = unit
    n = len(lead)
    x = x.reshape(*lead, t // mt, mt, h // mh, mh, w // mw, mw, c)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3, n + 5, n + 6)
    return x.reshape(*lead, (t // mt) * (h // mh) * (w // mw), mt * mh * mw, c)


def from_windows(x, grid, unit):
    """The inverse of to_windows: [..., windows, mt·mh·mw, C] -> [..., T, H, W, C]."""
    *lead, _, _, c = x.shape
    t, h, w = grid
    mt, mh, mw = unit
    n = len(lead)
    x = x.reshape(*lead, t // mt, h // mh, w // mw, mt, mh, mw, c)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2, n + 5, n + 6)
    return x.reshape(*lead, t, h, w, c)


class MaskUnitAttention(nn.Module):
    """Hiera's attention: qkv with biases, queries max-pooled in a transition block, each query attending to the
    keys of its mask unit (the whole grid for "global"), scale 1/sqrt(D / heads)."""

    def __init__(self, dim_in, dim, heads, unit, pool):
        super().__init__()
        self.heads, self.unit, self.pool = heads, tuple(unit), tuple(pool)
        self.qkv = nn.Linear(dim_in, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.scale = (dim // heads) ** -0.5

    def forward(self, x):
        """x [..., T, Hin, Win, D_in] (already normalised) -> [..., T, H, W, D] on the pooled grid."""
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = max_pool(q, self.pool)
        grid = q.shape[-4:-1]
        key_unit = (self.unit[0], self.unit[1] * self.pool[1], self.unit[2] * self.pool[2])
        # [..., windows, n, D] -> [..., windows, heads, n, D / heads]
        split = lambda y: y.reshape(*y.shape[:-1], self.heads, -1).transpose(-3, -2)  # noqa: E731
        qw, kw, vw = split(to_windows(q, self.unit)), split(to_windows(k, key_unit)), split(to_windows(v, key_unit))
        scores = self.scale * (qw @ kw.transpose(-1, -2))
        o = torch.softmax(scores, dim=-1) @ vw
        o = o.transpose(-3, -2)
        o = o.reshape(*o.shape[:-2], -1)  # heads back side by side: head a in channels a·Dh … a·Dh + Dh − 1
        return self.proj(from_windows(o, grid, self.unit))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(shared.gelu(self.fc1(x)))


class HieraBlock(nn.Module):
    def __init__(self, block, mlp_hidden, eps):
        super().__init__()
        self.transition, self.pool = block.transition, block.pool
        self.norm1 = shared.Norm(block.dim_in, "layernorm", eps)
        if block.transition:
            self.proj = nn.Linear(block.dim_in, block.dim)
        self.attn = MaskUnitAttention(block.dim_in, block.dim, block.heads, block.mask_unit, block.pool)
        self.norm2 = shared.Norm(block.dim, "layernorm", eps)
        self.mlp = Mlp(block.dim, mlp_hidden)

    def forward(self, x):
        """x [..., T, Hin, Win, D_in] -> [..., T, H, W, D]."""
        xn = self.norm1(x)
        skip = max_pool(self.proj(xn), self.pool) if self.transition else x
        x = skip + self.attn(xn)
        return x + self.mlp(self.norm2(x))


class PositionEmbedding(nn.Module):
    """Hiera's separable learned positions: spatial [H0·W0, C0] plus temporal [T', C0]."""

    def __init__(self, grid, c0):
        super().__init__()
        self.grid = grid
        self.spatial = nn.Parameter(torch.zeros(grid[1] * grid[2], c0))
        self.temporal = nn.Parameter(torch.zeros(grid[0], c0))

    def forward(self):
        """[T', H0, W0, C0]: spatial[h·W0 + w] + temporal[t], summed first."""
        t, h, w = self.grid
        return (self.spatial[None, :, :] + self.temporal[:, None, :]).reshape(t, h, w, -1)


class VideoEncoder(nn.Module):
    """Frames [(B,) 3, F, Hf, Wf] -> memory [(B,) T', d] (VMAS.md §6.2)."""

    def __init__(self, config):
        super().__init__()
        e = config["encoder"]
        self.grid = vconfig.patch_grid(config)
        self.patch_embed = nn.Conv3d(3, e["embed_dim"], tuple(e["patch_kernel"]), tuple(e["patch_stride"]),
                                     tuple(e["patch_padding"]))
        self.pos_embed = PositionEmbedding(self.grid, e["embed_dim"])
        self.blocks = nn.ModuleList([HieraBlock(b, vconfig.mlp_width(config, b.dim), e["norm_eps"])
                                     for b in vconfig.blocks(config)])
        self.norm = shared.Norm(vconfig.final_width(config), "layernorm", e["norm_eps"])
        self.proj = nn.Linear(vconfig.final_width(config), config["decoder"]["d_model"])

    def forward(self, frames):
        """Returns embed [(B,) T'·H0·W0, C0], blocks (each [(B,) rows_i, D_i], rows in (t, h, w) order),
        out [(B,) T', Dl] (after the final norm and the spatial mean) and memory [(B,) T', d]."""
        batched = frames.dim() == 5
        x = self.patch_embed(frames if batched else frames[None])  # [B, C0, T', H0, W0]
        x = x.permute(0, 2, 3, 4, 1)  # rows in (t, h, w) order, channels last
        x = x + self.pos_embed()
        rows = lambda y: y.reshape(y.shape[0], -1, y.shape[-1])  # noqa: E731
        embed = rows(x)
        outputs = []
        for block in self.blocks:
            x = block(x)
            outputs.append(rows(x))
        x = self.norm(x)
        out = x.mean(dim=(-3, -2))  # [B, T', Dl]
        memory = self.proj(out)
        result = {"embed": embed, "blocks": outputs, "out": out, "memory": memory}
        if not batched:
            result = {k: [b[0] for b in v] if k == "blocks" else v[0] for k, v in result.items()}
        return result


# ---------------------------------------------------------------- music decoder (VMAS.md §6.3, MusicGen)

def sinusoidal_positions(first, count, d, max_period, dtype=torch.float32):
    """[count, d]: cos then sin of p / max_period^(i / (d/2 − 1)) for positions first.., MusicGen's
    create_sin_embedding. Computed in float64 and rounded once; dtype float64 keeps it unrounded (the float64
    evaluation of the goldens)."""
    half = d // 2
    p = np.arange(first, first + count, dtype=np.float64)[:, None]
    phase = p / np.power(np.float64(max_period), np.arange(half, dtype=np.float64) / (half - 1))[None, :]
    return torch.from_numpy(np.concatenate([np.cos(phase), np.sin(phase)], axis=1)).to(dtype)


class MusicLayer(shared.Layer):
    """SPEC §6.1's decoder layer with cross-attention; memory None is the null condition, whose
    cross-attention adds nothing (VMAS.md §6.4)."""

    def forward(self, x, bias, mask=None, memory=None, past=None):
        h = self.self_attn_norm(x)
        a, kv = self.self_attn(h, h, bias=bias, mask=mask, past=past)
        x = x + a
        if memory is not None:
            x = x + self.cross_attn(self.cross_attn_norm(x), memory)[0]
        x = x + self.ffn(self.ffn_norm(x))
        return x, kv


class MusicTransformer(nn.Module):
    """K embeddings summed, sinusoidal positions, pre-norm layers without position bias, K heads."""

    def __init__(self, t):
        super().__init__()
        self.d, self.max_period = t["d_model"], t["max_period"]
        self.embed = nn.ModuleList([nn.Embedding(t["codebook_size"] + 1, t["d_model"])
                                    for _ in range(t["codebooks"])])
        self.layers = nn.ModuleList([MusicLayer(t, cross=True) for _ in range(t["layers"])])
        self.final_norm = shared.Norm(t["d_model"], t["norm"], t["norm_eps"])
        self.head = nn.ModuleList([nn.Linear(t["d_model"], t["codebook_size"], bias=False)
                                   for _ in range(t["codebooks"])])

    def forward(self, ids, memory=None, cache=None):
        """ids [(B,) P, K] delayed-pattern input ids (VMAS.md §7.1); memory [(B,) T', d] or None (null condition).

        With a cache, ids hold positions cache.length.. and the cache is extended. Returns embed, layers and out
        [(B,) P, d] and logits [(B,) P, K, N].
        """
        offset = 0 if cache is None else cache.length
        n = ids.shape[-2]
        x = self.embed[0](ids[..., 0])
        for k in range(1, len(self.embed)):
            x = x + self.embed[k](ids[..., k])
        x = x + sinusoidal_positions(offset, n, self.d, self.max_period, x.dtype)
        embed = x
        m = offset + n
        mask = torch.arange(m)[None, :] > torch.arange(offset, m)[:, None]  # key after query: hidden
        layers = []
        for i, layer in enumerate(self.layers):
            past = None if cache is None or cache.length == 0 else cache.kv[i]
            x, kv = layer(x, None, mask, memory, past)
            if cache is not None:
                cache.kv[i] = kv
            layers.append(x)
        if cache is not None:
            cache.length = m
        out = self.final_norm(x)
        logits = torch.stack([head(out) for head in self.head], dim=-2)
        return {"embed": embed, "layers": layers, "out": out, "logits": logits}


class MusicDecoder(nn.Module):
    """The music_decoder file's module: its tensors are named decoder.* (VMAS.md §5.2)."""

    def __init__(self, config):
        super().__init__()
        t = config["decoder"]
        self.codebooks, self.codebook_size = t["codebooks"], t["codebook_size"]
        self.decoder = MusicTransformer(t)

    def new_cache(self):
        return shared.DecoderCache(len(self.decoder.layers))

    def forward(self, ids, memory=None, cache=None):
        return self.decoder(ids, memory, cache)


# ---------------------------------------------------------------- loading

def build(config, component):
    if component == "video_encoder":
        return VideoEncoder(config)
    if component == "music_decoder":
        return MusicDecoder(config)
    if component == "codec":
        c = config["codec"]
        return shared.Codec(config, c["levels"], c["codebook_size"])
    if component == "contrastive":
        from .contrastive import ContrastiveProjections

        return ContrastiveProjections(config)
    raise ValueError(component)


def load(config, component, tensors):
    """Model with weights from `tensors` (name -> float32 numpy array), strict."""
    m = build(config, component)
    state = {name: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for name, a in tensors.items()}
    m.load_state_dict(state, strict=True)
    return m.eval()


def parameter_count(config):
    from . import layout

    return sum(math.prod(shape) for component in vconfig.COMPONENTS
               for shape in layout.component_tensors(config, component).values())
