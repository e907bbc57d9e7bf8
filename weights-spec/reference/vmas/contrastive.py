"""The optional contrastive projections of a vmas/1 bundle (VMAS.md §14): a video and a piece of music each to a
unit vector, compared by cosine similarity.

VMAs' global video–music contrastive objective (Lin et al. 2025, §4.4) pools the video encoder's features over
time and the music's features taken through the codec's embedding matrix over time; each goes through its own
projection into one shared space. Training feeds the music side the decoder's predicted distributions
(`music_from_probabilities`); retrieval feeds it the codes of a recording (`music_from_codes`), which is the same
map at one-hot distributions.
"""

import torch
from torch import nn
from torch.nn import functional as F


class ContrastiveProjections(nn.Module):
    """The contrastive file's module: tensors video.weight [E, d], video.bias [E], music.weight [E, D],
    music.bias [E] (VMAS.md §14.2)."""

    def __init__(self, config):
        super().__init__()
        dim = config["contrastive"]["dim"]
        self.video = nn.Linear(config["decoder"]["d_model"], dim)
        self.music = nn.Linear(config["codec"]["codebook_dim"], dim)

    def video_embedding(self, memory):
        """memory [(B,) rows, d] (every window's encoder memory, rows stacked) -> unit vectors [(B,) E]."""
        return unit(self.video(memory.mean(dim=-2)))

    def music_embedding(self, frames):
        """frames [(B,) T, D] (the codec's embeddings per frame) -> unit vectors [(B,) E]."""
        return unit(self.music(frames.mean(dim=-2)))


def unit(x):
    """x / ‖x‖₂ over the last axis; a zero vector stays zero (VMAS.md §14.3)."""
    norm = x.norm(dim=-1, keepdim=True)
    return torch.where(norm > 0, x / torch.where(norm > 0, norm, torch.ones_like(norm)), torch.zeros_like(x))


def music_from_codes(codebooks, codes):
    """codebooks [Q, N, D], codes [(B,) Q, T] (integers) -> frames [(B,) T, D]: per frame the sum over the Q levels of
    each level's codebook row, in level order (SPEC §9.1's z before out_proj)."""
    frames = None
    for q in range(codebooks.shape[0]):
        rows = codebooks[q][codes[..., q, :].long()]
        frames = rows if frames is None else frames + rows
    return frames


def music_from_probabilities(codebooks, probabilities):
    """codebooks [Q, N, D], probabilities [(B,) Q, T, N] (the decoder's softmax per level and frame) -> frames
    [(B,) T, D]: the expected codebook row of each level, summed over the levels. One-hot probabilities give
    music_from_codes."""
    frames = None
    for q in range(codebooks.shape[0]):
        rows = probabilities[..., q, :, :] @ codebooks[q]
        frames = rows if frames is None else frames + rows
    return frames


def similarity(video, music):
    """Cosine similarity of unit vectors: their dot product over the last axis."""
    return (video * music).sum(dim=-1)


def info_nce(video, music, temperature):
    """VMAs' contrastive loss over a batch: video [B, E] and music [B, E] unit vectors, pair i matching pair i; the
    mean cross-entropy of each video's similarities to every music in the batch, divided by the temperature."""
    logits = video @ music.t() / temperature
    return F.cross_entropy(logits, torch.arange(video.shape[0], device=video.device))
