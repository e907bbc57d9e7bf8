"""The codec's optional encoder, the component `codec_encoder` (SPEC §9.3): waveform -> latent -> RVQ codes.

The encoder is SEANet's (SoundStream §3.1, EnCodec §3.1): the decoder's blocks in reverse, each block its
residual units at the block's input rate, the activation, then a strided convolution (kernel 2s, stride s)
that divides the rate by s. Its tensors are `encoder.*` in codec_encoder.safetensors; with the codec's
`out_proj` the file also holds `rvq.in_proj.*`, the Linear from the latent to the codebook space. The
codebooks themselves are the codec's `rvq.codebooks`. Module names follow training/codec_music.py's
ConvEncoder, so a trained MusicCodec's `encoder.*` state dict loads unchanged.

Codes are chosen by `rvq_encode`, a nearest-codebook search in float32 with one fixed order of operations
(SPEC §9.3), so every implementation picks the same code for the same latent.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import config as config_mod
import model as model_mod

COMPONENT = config_mod.CODEC_ENCODER


def pad_for_down(x, kernel, stride, padding):
    """Zero padding so a stride-s conv of kernel k gives exactly L / s outputs (SPEC §9.3): P_total = k - s."""
    total = kernel - stride
    left = total if padding == "causal" else total // 2
    return F.pad(x, (left, total - left))


class EncoderBlock(nn.Module):
    """Residual units at the block's input rate, the activation, then Down: kernel 2s, stride s."""

    def __init__(self, cin, cout, stride, c):
        super().__init__()
        self.stride, self.padding = stride, c["padding"]
        self.res = nn.ModuleList([model_mod.ResidualUnit(cin, d, c) for d in c["residual_dilations"]])
        self.act = model_mod.activation(c, cin)
        self.down = nn.Conv1d(cin, cout, 2 * stride, stride=stride)

    def forward(self, x):
        for unit in self.res:
            x = unit(x)
        return self.down(pad_for_down(self.act(x), 2 * self.stride, self.stride, self.padding))


class SeanetEncoder(nn.Module):
    """waveform [N] (N a multiple of hop) -> latent [C_latent, N / hop]; channels and strides the codec's,
    reversed. Kind "encodec" (VMAS.md §9) narrows the residual units and adds x + LSTM(x) after the blocks."""

    def __init__(self, c):
        super().__init__()
        ch = list(reversed(c["channels"]))
        self.kernel, self.padding = c["kernel_size"], c["padding"]
        self.in_conv = nn.Conv1d(1, ch[0], self.kernel)
        self.blocks = nn.ModuleList([EncoderBlock(ch[b], ch[b + 1], s, c)
                                     for b, s in enumerate(reversed(c["strides"]))])
        if c.get("kind") == "encodec" and c["lstm_layers"] > 0:
            self.lstm = model_mod.Lstm(ch[-1], c["lstm_layers"])
        else:
            self.lstm = None
        self.out_act = model_mod.activation(c, ch[-1])
        self.out_conv = nn.Conv1d(ch[-1], c["latent_dim"], self.kernel)

    def forward(self, waveform):
        """waveform [N] -> (latent [C_latent, T], in_conv output, block outputs, LSTM output or None)."""
        x = self.in_conv(model_mod.pad_for_conv(waveform[None, None], self.kernel, 1, self.padding))
        first = x[0]
        blocks = []
        for block in self.blocks:
            x = block(x)
            blocks.append(x[0])
        lstm = None
        if self.lstm is not None:
            x = self.lstm(x)
            lstm = x[0]
        latent = self.out_conv(model_mod.pad_for_conv(self.out_act(x), self.kernel, 1, self.padding))
        return latent[0], first, blocks, lstm


class _InProjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.in_proj = nn.Linear(c["latent_dim"], c["codebook_dim"])


class CodecEncoder(nn.Module):
    """The component: `encoder.*`, and `rvq.in_proj.*` when the codec has out_proj."""

    def __init__(self, c):
        super().__init__()
        self.encoder = SeanetEncoder(c)
        self.rvq = _InProjection(c) if c["out_proj"] else None

    def forward(self, waveform):
        """waveform [T * hop] -> {"in_conv", "blocks", "lstm" (encodec), "latent" [D, T]}: the latent is what
        the RVQ quantises, after in_proj when there is one."""
        latent, in_conv, blocks, lstm = self.encoder(waveform)
        if self.rvq is not None:
            latent = self.rvq.in_proj(latent.t()).t()
        result = {"in_conv": in_conv, "blocks": blocks, "latent": latent}
        if lstm is not None:
            result["lstm"] = lstm
        return result


def load(codec_config, tensors):
    """The encoder with weights from `tensors` (name -> float32 numpy array), strict."""
    m = CodecEncoder(codec_config)
    state = {name: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for name, a in tensors.items()}
    m.load_state_dict(state, strict=True)
    return m.eval()


def frames_for(samples, hop):
    """Frames of a waveform of `samples` samples: ceil(samples / hop); it is zero-padded on the right to that."""
    return -(-samples // hop)


def rvq_encode(latent, codebooks, levels):
    """latent [D, T] float32, codebooks [Q, K, D] -> codes int32 [levels, T] (SPEC §9.3).

    Level by level on the residual r (the latent at level 0): for each frame and code k,
    dist = sum over d = 0 .. D-1, in that order, of (r[d] - c[k, d])^2, each difference, square and sum rounded
    to float32 (no fused multiply-add); the code is the k of the smallest dist, the lowest k on a tie; then
    r = r - c[code] in float32. numpy's float32 ufuncs round every operation, so this is that arithmetic.
    """
    latent = np.asarray(latent, dtype=np.float32)
    codebooks = np.asarray(codebooks, dtype=np.float32)
    d, t = latent.shape
    q, k, dim = codebooks.shape
    if dim != d or not 1 <= levels <= q:
        raise ValueError(f"rvq_encode: latent {list(latent.shape)}, codebooks {list(codebooks.shape)}, {levels} levels")
    residual = np.ascontiguousarray(latent.T)  # [T, D]
    codes = np.zeros((levels, t), dtype=np.int32)
    for level in range(levels):
        book = codebooks[level]
        dist = np.zeros((t, k), dtype=np.float32)
        with np.errstate(over="ignore"):  # a distance past float32's range is +inf, as the runtime's is
            for j in range(d):
                e = residual[:, j:j + 1] - book[None, :, j]
                dist = dist + e * e
        chosen = dist.argmin(axis=1)  # the first minimum: the lowest index on a tie
        codes[level] = chosen
        residual = residual - book[chosen]
    return codes
