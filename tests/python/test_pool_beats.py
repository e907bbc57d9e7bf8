"""training/pool_beats.py: runs on disjoint clips pool into the summary of all their clips, each paired
only within its own run, and a run without onset lists is refused by name."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

import evaluate  # noqa: E402
import pool_beats  # noqa: E402


def _run(rng, clips, jitter):
    truth = [np.sort(rng.uniform(0, 10, 30)) for _ in range(clips)]
    generated = [np.sort(t + rng.normal(0, jitter, t.shape)) for t in truth]
    return {"beats": {"onsets": {"generated": [g.tolist() for g in generated], "truth": [t.tolist() for t in truth]}}}


def test_pool_is_the_summary_of_all_clips_together():
    rng = np.random.default_rng(5)
    runs = {"a": _run(rng, 6, 0.02), "b": _run(rng, 9, 0.5)}
    per_run, pool = pool_beats.pooled(runs, resamples=500)
    assert pool["clips"] == 15
    assert pool["f1_gain_per_clip"] == per_run["a"]["f1_gain_per_clip"] + per_run["b"]["f1_gain_per_clip"]
    assert abs(pool["f1_gain"] - np.mean(pool["f1_gain_per_clip"])) < 1e-12
    on = runs["a"]["beats"]["onsets"]
    alone = evaluate.beat_alignment([np.array(g) for g in on["generated"]], [np.array(t) for t in on["truth"]],
                                    resamples=500)
    assert {k: per_run["a"][k] for k in alone} == alone
    matched = (6 * np.array(per_run["a"]["matched_bcs_bhs_f1"]) + 9 * np.array(per_run["b"]["matched_bcs_bhs_f1"])) / 15
    assert np.allclose(pool["matched_bcs_bhs_f1"], matched)


def test_a_run_without_onsets_is_named():
    rng = np.random.default_rng(6)
    with pytest.raises(ValueError, match="old.json"):
        pool_beats.pooled({"new.json": _run(rng, 3, 0.02), "old.json": {"beats": {"f1_gain": 0.01}}})


def test_density_check_sees_music_side_gains_follow_density():
    rng = np.random.default_rng(4)
    truth = [np.sort(rng.uniform(0, 10, int(d * 10))) for d in np.linspace(2, 12, 40)]
    generated = [np.sort(rng.uniform(0, 10, 80)) for _ in truth]  # unrelated to the clips
    check = pool_beats.density_check(evaluate.pairing_scores(generated, truth), truth)
    assert check["spearman_density_music_side_gain"] > 0.8
    assert abs(check["spearman_density_both_sides_gain"]) < 0.4
