"""training/pool_beats.py: runs on disjoint clips pool into the summary of all their clips, each paired
only within its own run, from the onset files evaluate.py writes; a run without one is refused by name."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "experiments", "beat_confirmation")))

import evaluate  # noqa: E402
import pool_beats  # noqa: E402


def _onsets(rng, clips, jitter, density=3.0):
    """Onset lists on the 100 Hz envelope's frames, as evaluate.onsets gives them."""
    truth = [np.unique(rng.integers(1, 1000, int(density * 10))) / 100.0 for _ in range(clips)]
    generated = [np.unique(np.clip(np.rint((t + rng.normal(0, jitter, t.shape)) * 100), 1, 999)) / 100.0
                 for t in truth]
    return generated, truth


def _run(tmp_path, name, generated, truth):
    path = str(tmp_path / f"{name}.json")
    return path, {"beats": {"onsets_file": evaluate.write_onsets(path, generated, truth)}}


def test_onsets_round_trip_exactly(tmp_path):
    generated, truth = _onsets(np.random.default_rng(7), 4, 0.05)
    path, run = _run(tmp_path, "r", generated, truth)
    back_generated, back_truth = evaluate.read_onsets(path, run["beats"])
    assert all(np.array_equal(a, b) for a, b in zip(back_generated + back_truth, generated + truth))
    with pytest.raises(ValueError, match="frames"):
        evaluate.write_onsets(path, [np.array([0.123])], [np.array([0.5])])


def test_pool_is_the_summary_of_all_clips_together(tmp_path):
    rng = np.random.default_rng(5)
    on_a, on_b = _onsets(rng, 6, 0.02), _onsets(rng, 9, 0.5)
    runs = dict([_run(tmp_path, "a", *on_a), _run(tmp_path, "b", *on_b)])
    per_run, pool = pool_beats.pooled(pool_beats.load_onsets(runs), resamples=500)
    a, b = (per_run[str(tmp_path / f"{x}.json")] for x in "ab")
    assert pool["clips"] == 15
    assert pool["f1_gain_per_clip"] == a["f1_gain_per_clip"] + b["f1_gain_per_clip"]
    assert abs(pool["f1_gain"] - np.mean(pool["f1_gain_per_clip"])) < 1e-12
    alone = evaluate.beat_alignment(*on_a, resamples=500)
    assert {k: a[k] for k in alone} == alone
    matched = (6 * np.array(a["matched_bcs_bhs_f1"]) + 9 * np.array(b["matched_bcs_bhs_f1"])) / 15
    assert np.allclose(pool["matched_bcs_bhs_f1"], matched)


def test_a_run_without_onsets_is_named(tmp_path):
    runs = dict([_run(tmp_path, "new", *_onsets(np.random.default_rng(6), 3, 0.02))])
    runs["old.json"] = {"beats": {"f1_gain": 0.01}}
    with pytest.raises(ValueError, match="old.json"):
        pool_beats.load_onsets(runs)


def test_density_check_sees_music_side_gains_follow_density():
    rng = np.random.default_rng(4)
    truth = [np.sort(rng.uniform(0, 10, int(d * 10))) for d in np.linspace(2, 12, 40)]
    generated = [np.sort(rng.uniform(0, 10, 80)) for _ in truth]  # unrelated to the clips
    check = pool_beats.density_check(evaluate.pairing_scores(generated, truth), truth)
    assert check["spearman_density_music_side_gain"] > 0.8
    assert abs(check["spearman_density_both_sides_gain"]) < 0.4


def test_moving_aligned_onsets_off_their_clip_removes_the_gain(tmp_path):
    generated, truth = _onsets(np.random.default_rng(8), 12, 0.01)
    runs = dict([_run(tmp_path, "r", generated, truth)])
    assert pool_beats.shifted_gain(pool_beats.load_onsets(runs), 0.0, 10.0) > 0.3
    assert abs(pool_beats.shifted_gain(pool_beats.load_onsets(runs), 2.5, 10.0)) < 0.05
