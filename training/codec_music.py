"""The real-music codec: a convolutional encoder that mirrors the bundle's SoundStreamDecoder, the residual
vector quantiser of train_codec.py, and the reference decoder itself.

The encoder is SoundStream's (Zeghidour et al. 2021, §3.1): a causal conv, then per stride a block of the
decoder's residual units followed by a strided conv that divides the rate by the stride and
doubles the channels, then a conv to the latent. It is the decoder run backwards with the same building
blocks (pad_for_conv, ResidualUnit, Snake), so the runtime can implement it with the kernels it already
has (Conv1d, Snake, residual add) plus a strided Conv1d. An STFT front end (train_codec.SpectralEncoder)
learns faster on this CPU but would need an STFT in the runtime; the plain conv encoder is the one that
can be exported.

The decoder is weights-spec/reference/model.py's SoundStreamDecoder built from the config's codec
section, so its state dict is the bundle's `codec.decoder.*` unchanged (SPEC §9).
"""

import numpy as np
import torch
from torch import nn

import common
from common import ref
from train_codec import EmaRvq


class EncoderBlock(nn.Module):
    """Residual units at the block's input rate, then a strided conv (kernel 2 x stride, causal)."""

    def __init__(self, cin, cout, stride, c):
        super().__init__()
        self.stride = stride
        self.res = nn.ModuleList([ref.ResidualUnit(cin, d, c) for d in c["residual_dilations"]])
        self.act = ref.activation(c, cin)
        self.down = nn.Conv1d(cin, cout, 2 * stride, stride=stride)

    def forward(self, x):
        for unit in self.res:
            x = unit(x)
        # Left padding of 2s - s samples keeps it causal and gives exactly T / s outputs.
        return self.down(torch.nn.functional.pad(self.act(x), (self.stride, 0)))


class ConvEncoder(nn.Module):
    """waveform [B, T * hop] -> latent [B, latent_dim, T]; channels and strides the decoder's, reversed."""

    def __init__(self, c):
        super().__init__()
        ch = list(reversed(c["channels"]))
        self.kernel, self.padding = c["kernel_size"], c["padding"]
        self.in_conv = nn.Conv1d(1, ch[0], self.kernel)
        self.blocks = nn.ModuleList([EncoderBlock(ch[b], ch[b + 1], s, c)
                                     for b, s in enumerate(reversed(c["strides"]))])
        self.out_act = ref.activation(c, ch[-1])
        self.out_conv = nn.Conv1d(ch[-1], c["latent_dim"], self.kernel)

    def forward(self, wav):
        x = self.in_conv(ref.pad_for_conv(wav[:, None], self.kernel, 1, self.padding))
        for block in self.blocks:
            x = block(x)
        return self.out_conv(ref.pad_for_conv(self.out_act(x), self.kernel, 1, self.padding))


class MusicCodec(nn.Module):
    def __init__(self, config, dead_below=0.02):
        super().__init__()
        c = config["codec"]
        t = config["tokens"]
        self.levels = t["coarse_levels"] + t["fine_levels"]
        self.encoder = ConvEncoder(c)
        # A low dead-code floor: 1024 codes see ~0.16 vectors per step each at batch 8 x 0.4 s, so a code is
        # restarted when used less than once in ~50 steps. Restarted codes start at a count of 0.1, so one
        # that stays unused is tried again after ~50 steps; each restart takes its own vector of the batch.
        self.rvq = EmaRvq(self.levels, t["codebook_size"], c["codebook_dim"], decay=0.97, dead_below=dead_below,
                          distinct_restarts=True, restart_count=0.1)
        # "decoder_channels", where a config has it, widens the decoder alone (experiments/codec_pitch): the
        # encoder keeps "channels". The bundle's SPEC mirrors one set of widths in both (§5.3), so such a
        # codec needs the SPEC to take the encoder's widths apart before it can ship.
        self.decoder = ref.SoundStreamDecoder({**c, "channels": c.get("decoder_channels", c["channels"])})

    def forward(self, wav, keep=None):
        q, codes, commit = self.rvq(self.encoder(wav), keep)
        return common.decode_waveform(self.decoder, q), codes, commit

    def decode_codes(self, codes):
        """codes [B, q, T] (the first q levels) -> waveform, as the runtime decodes (SPEC §9: sum of the
        levels' codebook rows, then the decoder)."""
        cb = self.rvq.codebooks
        latent = sum(cb[level][codes[:, level]] for level in range(codes.shape[1])).permute(0, 2, 1)
        return common.decode_waveform(self.decoder, latent)


def bits_per_second(config, levels):
    """Bitrate at `levels` RVQ levels: frames/s x levels x log2(codebook size)."""
    return config["rates"]["acoustic_hz"] * levels * np.log2(config["tokens"]["codebook_size"])


def bundle_state(model_state):
    """The exported part of a MusicCodec state dict, named as the bundle's codec component (SPEC §5.2):
    `rvq.codebooks` and the reference decoder's `decoder.*`; the encoder and the EMA statistics stay out."""
    out = {"rvq.codebooks": model_state["rvq.codebooks"].float()}
    out.update({k: v.float() for k, v in model_state.items() if k.startswith("decoder.")})
    return out
