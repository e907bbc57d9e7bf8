"""A trainable VMAs: the reference's video encoder, music decoder and contrastive projections (weights-spec/reference/
vmas, VMAS.md §6 and §14) with the frozen codebooks of the shared real-music codec, one forward pass giving both of
VMAs' losses. The module names are the bundle's components, so the state dict exports as it is."""

import numpy as np
import torch
from torch import nn

import beats
import objectives
from vmas import model as vmodel


class Vmas(nn.Module):
    def __init__(self, config, codebooks):
        super().__init__()
        self.config = config
        self.video_encoder = vmodel.build(config, "video_encoder")
        self.music_decoder = vmodel.build(config, "music_decoder")
        self.contrastive = vmodel.build(config, "contrastive")
        self.register_buffer("codebooks", torch.as_tensor(np.asarray(codebooks, dtype=np.float32)))
        v = config["video"]
        self.register_buffer("mean", torch.tensor(v["mean"], dtype=torch.float32).view(1, 3, 1, 1, 1))
        self.register_buffer("std", torch.tensor(v["std"], dtype=torch.float32).view(1, 3, 1, 1, 1))

    def frames(self, pixels):
        """uint8 [B, F, H, W, 3] -> normalised float [B, 3, F, H, W] (VMAS.md §6.1: pixel/255, minus mean, over std)."""
        x = torch.as_tensor(pixels).permute(0, 4, 1, 2, 3).float() / 255.0
        return (x - self.mean) / self.std

    def losses(self, pixels, codes, weights, keep, temperature):
        """(token loss, contrastive loss) of a batch: pixels uint8 [B, F, H, W, 3], codes int [B, K, T] (numpy),
        weights [B, T] per codec frame, keep [B] 1 for conditioned rows and 0 for the null condition (classifier-free
        guidance's dropout; memory 0 is the null condition, VMAS.md §6.4)."""
        special = self.config["decoder"]["codebook_size"]
        memory = self.video_encoder(self.frames(pixels))["memory"]
        ids, targets = objectives.delayed_batch(codes, special)
        conditioned = memory * keep.view(-1, 1, 1)
        logits = self.music_decoder(ids, conditioned)["logits"]
        step_weights = objectives.frame_weights_per_step(weights, codes.shape[1])
        token = objectives.weighted_token_loss(logits, targets, step_weights)
        contrast = objectives.contrastive_loss(self.contrastive, memory, logits, self.codebooks, codes.shape[2], temperature)
        return token, contrast

    def bundle_state(self):
        """"<component>.<tensor>" float32 numpy of the trained components (the codec's come from music_codec)."""
        out = {}
        for component in ("video_encoder", "music_decoder", "contrastive"):
            for name, value in getattr(self, component).state_dict().items():
                out[f"{component}.{name}"] = value.detach().float().numpy()
        return out


def frame_weights(music_beats, motion, video_beat_window, overlap_window, weight_floor, enabled=True):
    """[B, T] float32 Eq. 4 weights of a batch's beat tracks, or ones when the beat weighting is off."""
    if not enabled:
        return torch.ones(music_beats.shape, dtype=torch.float32)
    return torch.from_numpy(np.stack([beats.weights(m, o, video_beat_window, overlap_window, weight_floor)
                                      for m, o in zip(music_beats, motion)]))
