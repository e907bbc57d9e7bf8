"""Token spaces and sequence layouts of the three stages (SPEC §7)."""

import numpy as np

import config as config_mod


def stage1_bos(config):
    return config["tokens"]["semantic_codes"]


def stage1_sequence(config, semantic):
    """[BOS, s0, s1, ...]"""
    return np.concatenate([[stage1_bos(config)], np.asarray(semantic, dtype=np.int64)])


def stage2_sep(config):
    return config["tokens"]["semantic_codes"]


def stage2_coarse_id(config, level, code):
    t = config["tokens"]
    return t["semantic_codes"] + 1 + level * t["codebook_size"] + np.asarray(code)


def stage2_interleaved(config):
    return config["stage2"]["layout"] == "interleaved"


def stage2_group(config):
    """Positions per semantic token in the interleaved layout: the token and its r frames of Qc levels."""
    return 1 + config_mod.frames_per_semantic(config) * config["tokens"]["coarse_levels"]


def stage2_sequence(config, semantic, coarse):
    """The stage-2 decoder sequence of SPEC §7.2; coarse is [coarse_levels, T] codes.

    prefix:      [semantic..., SEP, coarse time-major]
    interleaved: [s0, frames 0..r-1 time-major, s1, frames r..2r-1, ...]; every group but the last
                 is whole (r * (N - 1) <= T <= r * N), so a prompt may end on a semantic token.
    """
    coarse = np.asarray(coarse, dtype=np.int64)
    semantic = np.asarray(semantic, dtype=np.int64)
    levels = np.arange(coarse.shape[0])[:, None]
    ids = stage2_coarse_id(config, levels, coarse).T  # [T, Qc]
    if not stage2_interleaved(config):
        return np.concatenate([semantic, [stage2_sep(config)], ids.reshape(-1)])
    r, n, t = config_mod.frames_per_semantic(config), semantic.shape[0], ids.shape[0]
    if not r * (n - 1) <= t <= r * n:
        raise ValueError(f"interleaved stage 2: {t} coarse frames for {n} semantic tokens (need {r * (n - 1)} to {r * n})")
    out = []
    for i in range(n):
        out.append(semantic[i:i + 1])
        out.append(ids[r * i:r * (i + 1)].reshape(-1))
    return np.concatenate(out)


def stage2_range(config, k):
    """Allowed id range [lo, hi) for the k-th coarse token of the stage's output (level k mod Qc)."""
    t = config["tokens"]
    q = k % t["coarse_levels"]
    lo = t["semantic_codes"] + 1 + q * t["codebook_size"]
    return lo, lo + t["codebook_size"]


def stage3_sep(config):
    t = config["tokens"]
    return (t["coarse_levels"] + t["fine_levels"]) * t["codebook_size"]


def stage3_id(config, level, code):
    """level counts over all Q levels (0 .. coarse+fine-1)."""
    return level * config["tokens"]["codebook_size"] + np.asarray(code)


def stage3_sequence(config, coarse, fine):
    """[coarse time-major, SEP, fine time-major]; coarse [coarse_levels, T], fine [fine_levels, T]."""
    c = config["tokens"]["coarse_levels"]
    coarse = np.asarray(coarse, dtype=np.int64)
    fine = np.asarray(fine, dtype=np.int64)
    cid = stage3_id(config, np.arange(coarse.shape[0])[:, None], coarse)
    fid = stage3_id(config, c + np.arange(fine.shape[0])[:, None], fine)
    return np.concatenate([cid.T.reshape(-1), [stage3_sep(config)], fid.T.reshape(-1)])


def stage3_range(config, k):
    """Allowed id range [lo, hi) for the k-th fine token after SEP."""
    t = config["tokens"]
    q = t["coarse_levels"] + k % t["fine_levels"]
    lo = q * t["codebook_size"]
    return lo, lo + t["codebook_size"]
