"""MusicGen's delay pattern (VMAS.md §7.1).

Codes c[k, t], k < K, t < T. Step j = 0 … T + K − 2 outputs, for codebook k, c[k, j − k] when
0 ≤ j − k < T and the special token N otherwise. Input position 0 holds N for every codebook; position
j + 1 holds step j's outputs; position p predicts step p. So T frames feed P = T + K − 1 positions.
"""

import numpy as np


def positions(frames, codebooks):
    """P = T + K − 1: input positions (and steps) of a window of T frames."""
    return frames + codebooks - 1


def frame_of(step, k):
    """The frame t = j − k whose code codebook k outputs at step j (a valid frame only when 0 ≤ t < T)."""
    return step - k


def step_outputs(codes, special):
    """codes [K, T] -> the outputs of every step [P, K]: c[k, j − k] or `special` outside the frames."""
    codes = np.asarray(codes)
    k_count, frames = codes.shape
    out = np.full((positions(frames, k_count), k_count), special, dtype=np.int64)
    for k in range(k_count):
        out[k:k + frames, k] = codes[k]
    return out


def delayed_input(codes, special):
    """codes [K, T] -> input ids [P, K], position-major: row 0 all `special`, row p the outputs of step p − 1."""
    outputs = step_outputs(codes, special)
    ids = np.empty_like(outputs)
    ids[0] = special
    ids[1:] = outputs[:-1]
    return ids


def undelay(outputs, frames):
    """Step outputs [P, K] -> codes [K, T]: codebook k's code of frame t is step t + k's output."""
    outputs = np.asarray(outputs)
    k_count = outputs.shape[1]
    return np.stack([outputs[k:k + frames, k] for k in range(k_count)])
