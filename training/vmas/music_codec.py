"""The shared real-music codec (training/codec_music.json, checkpoints/codec_music.pt) as a vmas/1 bundle's codec.

VMAS.md §3.5 allows a `soundstream`-kind codec in a vmas/1 bundle, so the trained 16 kHz, 50 Hz codec is used as it
is, cut to its first LEVELS levels: the decoder reads one codebook per level (decoder.codebooks = codec.levels), and
the levels past the fourth add nothing audible at this size (training/logs). The codes come from the reference's
codec encoder (weights-spec/reference/codec_encoder.py, SPEC §9.3), so they are the codes the runtime's
`v2meow codec encode` and `v2meow match` compute for the same audio.
"""

import os

import numpy as np
import torch

import codec_encoder  # weights-spec/reference, on the path through common
import common

CHECKPOINT = os.path.join(common.HERE, "checkpoints", "codec_music.pt")
LEVELS = 4


def load(checkpoint=CHECKPOINT, levels=LEVELS):
    """(codec section for a vmas/1 config, {"codec.*": tensor, "codec_encoder.*": tensor} float32 numpy)."""
    s = torch.load(checkpoint, map_location="cpu")
    c = dict(s["config"]["codec"])
    size = s["config"]["tokens"]["codebook_size"]
    c.update({"kind": "soundstream", "levels": levels, "codebook_size": size})
    c.setdefault("out_proj", False)
    model = {k: v.float().numpy() for k, v in s["model"].items() if torch.is_tensor(v) and v.is_floating_point()}
    books = model["rvq.codebooks"]
    if books.shape[0] < levels:
        raise ValueError(f"{checkpoint}: {books.shape[0]} RVQ levels, fewer than the {levels} asked for")
    tensors = {"codec.rvq.codebooks": np.ascontiguousarray(books[:levels])}
    tensors.update({f"codec.{k}": v for k, v in model.items() if k.startswith("decoder.")})
    tensors.update({f"codec_encoder.{k}": v for k, v in model.items() if k.startswith("encoder.")})
    return c, tensors


class Encoder:
    """Waveforms -> codes [levels, T] with the reference encoder and SPEC §9.3's RVQ search."""

    def __init__(self, codec_section, tensors):
        prefix = "codec_encoder."
        self.section = codec_section
        self.module = codec_encoder.load(codec_section, {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
        self.codebooks = tensors["codec.rvq.codebooks"]
        self.hop = int(np.prod(codec_section["strides"]))

    def encode(self, waveform):
        """waveform [N] float in [-1, 1] at the codec's rate -> codes int16 [levels, ceil(N / hop)]."""
        frames = codec_encoder.frames_for(len(waveform), self.hop)
        padded = np.zeros(frames * self.hop, dtype=np.float32)
        padded[: len(waveform)] = waveform
        with torch.no_grad():
            latent = self.module(torch.from_numpy(padded))["latent"].numpy()
        return codec_encoder.rvq_encode(latent, self.codebooks, self.codebooks.shape[0]).astype(np.int16)
