"""T5 relative-position buckets (SPEC §6.3), as HF transformers' T5
`_relative_position_bucket`, with the log step in float32 like that code.

relative_position = key_pos - query_pos. Encoders are bidirectional,
decoders causal (keys after the query all land in bucket 0; they are masked).
"""

import math

import numpy as np


def bucket(relative_position, bidirectional, num_buckets, max_distance):
    """Bucket index for an integer array of relative positions (key - query)."""
    rel = np.asarray(relative_position, dtype=np.int64)
    base = np.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        base = np.where(rel > 0, num_buckets, 0)
        n = np.abs(rel)
    else:
        n = np.maximum(-rel, 0)
    max_exact = num_buckets // 2
    # float32 at every step, as torch does it on a float32 tensor with Python scalars.
    ratio = np.float32(math.log(max_distance / max_exact))
    with np.errstate(divide="ignore"):
        scaled = np.log(n.astype(np.float32) / np.float32(max_exact)) / ratio * np.float32(num_buckets - max_exact)
    scaled = np.where(n < max_exact, 0, scaled)  # the log of small n is unused; keep it finite
    large = max_exact + scaled.astype(np.int64)  # truncation toward zero; scaled >= 0 here
    large = np.minimum(large, num_buckets - 1)
    return (base + np.where(n < max_exact, n, large)).astype(np.int64)


def bucket_matrix(query_len, key_len, bidirectional, num_buckets, max_distance, query_offset=0):
    """[query_len, key_len] buckets for queries at positions query_offset.. and keys at 0.."""
    q = np.arange(query_offset, query_offset + query_len)[:, None]
    k = np.arange(key_len)[None, :]
    return bucket(k - q, bidirectional, num_buckets, max_distance)
