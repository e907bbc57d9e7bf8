"""Counter-based RNG and the token sampler (SPEC §8).

All integer arithmetic is modulo 2^64. Python ints are unbounded, so every
product is masked explicitly.
"""

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64 increment (2^64 / golden ratio)
MIX1 = 0xBF58476D1CE4E5B9    # SplitMix64 finaliser multipliers
MIX2 = 0x94D049BB133111EB


def splitmix64_finalise(z):
    z &= MASK
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return z ^ (z >> 31)


def uniform(seed, stream, counter):
    """u in [0, 1) with 24 random bits, so it is exact in float32 and float64."""
    x = ((seed * GOLDEN) & MASK) ^ ((stream * MIX1) & MASK) ^ (counter & MASK)
    h = splitmix64_finalise(x)
    return (h >> 40) * 2.0 ** -24


def sample(logits, temperature, u, lo=0, hi=None, top_k=0):
    """Index (into the full row) drawn from logits[lo:hi] with uniform draw u.

    T == 0 is argmax with the lowest index winning ties. Otherwise weights
    exp((l - max) / T) in float64, an inclusive running sum in index order, and
    the first index whose running sum exceeds u * total.
    """
    row = np.asarray(logits, dtype=np.float32)
    hi = row.shape[0] if hi is None else hi
    window = row[lo:hi].astype(np.float64)
    if temperature == 0:
        return lo + int(np.argmax(window))  # numpy argmax returns the first maximum
    keep = np.ones(window.shape[0], dtype=bool)
    if 0 < top_k < window.shape[0]:
        # The k largest, ties to the lower index: a stable sort on -logit.
        order = np.argsort(-window, kind="stable")
        keep[:] = False
        keep[order[:top_k]] = True
    m = window[keep].max()
    weights = np.where(keep, np.exp((window - m) / np.float64(temperature)), 0.0)
    cumulative = np.cumsum(weights)  # sequential, index order
    threshold = u * cumulative[-1]
    return lo + int(np.argmax(cumulative > threshold))
