"""VMAs' training objectives (Lin et al. 2025, §4.4): the beat-weighted autoregressive loss (Eq. 4) over the delay
pattern, and the global video–music contrastive loss (Eq. 2) on the bundle's contrastive projections (VMAS.md §14).
The total is L = L_ar + contrastive_weight · L_contrastive.
"""

import numpy as np
import torch
from torch.nn import functional as F

from vmas import contrastive, delay


def delayed_batch(codes, special):
    """codes [B, K, T] (numpy) -> (input ids [B, P, K], targets [B, P, K]) of the delay pattern (VMAS.md §7.1):
    targets hold step p's output for codebook k, the code of frame p − k, and -1 where that is no frame."""
    ids = np.stack([delay.delayed_input(c, special) for c in codes])
    targets = np.stack([delay.step_outputs(c, special) for c in codes])
    targets[targets == special] = -1
    return torch.from_numpy(ids), torch.from_numpy(targets)


def frame_weights_per_step(weights, codebooks):
    """weights [B, T] per codec frame -> [B, P, K]: step p of codebook k predicts frame p − k, so it takes that
    frame's weight (0 where there is no frame)."""
    b, frames = weights.shape
    out = weights.new_zeros((b, delay.positions(frames, codebooks), codebooks))
    for k in range(codebooks):
        out[:, k:k + frames, k] = weights
    return out


def weighted_token_loss(logits, targets, weights):
    """Eq. 4: the mean over every predicted code of its frame's weight times its cross-entropy. logits [B, P, K, N],
    targets [B, P, K] (-1: nothing predicted), weights [B, P, K]. All-one weights give the plain mean cross-entropy."""
    valid = targets >= 0
    ce = F.cross_entropy(logits[valid], targets[valid], reduction="none")
    return (weights[valid] * ce).sum() / valid.sum()


def predicted_distributions(logits, frames):
    """logits [B, P, K, N] -> softmax per codebook, undelayed to [B, K, T, N]: codebook k's distribution for frame t
    is step t + k's."""
    k_count = logits.shape[2]
    return torch.stack([F.softmax(logits[:, k:k + frames, k], dim=-1) for k in range(k_count)], dim=1)


def contrastive_loss(projections, memory, logits, codebooks, frames, temperature):
    """Eq. 2: InfoNCE over the batch between the videos' vectors (memory mean-pooled, projected, unit) and the music
    vectors of the decoder's predicted distributions taken through the codec's codebooks (VMAS.md §14.3)."""
    video = projections.video_embedding(memory)
    music = projections.music_embedding(contrastive.music_from_probabilities(codebooks, predicted_distributions(logits, frames)))
    return contrastive.info_nce(video, music, temperature)
