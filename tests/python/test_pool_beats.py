"""training/pool_beats.py: gains of disjoint runs are concatenated, and a run without per-clip gains is
refused by name."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

import pool_beats  # noqa: E402


def _run(gains):
    return {"beats": {"f1_gain_per_clip": list(gains)}}


def test_pool_is_the_summary_of_all_clips_together():
    a, b = [0.1, -0.05, 0.02], [0.03, 0.04, -0.01, 0.2]
    runs, pool = pool_beats.pooled({"a": _run(a), "b": _run(b)})
    assert pool["clips"] == 7 and pool["clips_matched_better"] == 5
    assert abs(pool["f1_gain"] - np.mean(a + b)) < 1e-12
    assert runs["a"]["clips"] == 3 and runs["b"]["clips_matched_better"] == 3


def test_a_run_without_per_clip_gains_is_named():
    with pytest.raises(ValueError, match="old.json"):
        pool_beats.pooled({"new.json": _run([0.1]), "old.json": {"beats": {"f1_gain": 0.01}}})
