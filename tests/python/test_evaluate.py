"""training/evaluate.py's beat statistics: the sign test against scipy's exact binomial test, and the
beat alignment of onset lists whose pairing is known."""

import os
import sys

import numpy as np
from scipy.stats import binomtest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))

import evaluate  # noqa: E402


def test_sign_test_matches_the_exact_binomial_test():
    for wins, n in [(71, 120), (77, 120), (24, 40), (20, 40), (0, 5), (40, 40)]:
        assert abs(evaluate.sign_test_p(wins, n) - binomtest(wins, n, 0.5).pvalue) < 1e-12


def test_matched_onsets_beat_every_other_pairing():
    rng = np.random.default_rng(0)
    truth = [np.sort(rng.uniform(0, 10, 40)) for _ in range(12)]
    generated = [t + rng.normal(0, 0.02, t.shape) for t in truth]
    beats = evaluate.beat_alignment(generated, truth, resamples=1000)
    assert beats["clips_matched_better"] == 12
    assert beats["f1_gain_95ci"][0] > 0.2
    assert beats["sign_test_p"] < 0.001
    # Paired with the wrong clip, the music scores below its average over the others, which include its own.
    shifted = evaluate.beat_alignment(generated[1:] + generated[:1], truth, resamples=1000)
    assert shifted["f1_gain"] < 0 and shifted["clips_matched_better"] < 6


def _brute_force_scores(generated, truth, tolerance=0.1):
    """BCS/BHS/F1 by the definition, onset by onset."""
    if len(generated) == 0 or len(truth) == 0:
        return 0.0, 0.0, 0.0
    bcs = np.mean([np.min(np.abs(truth - g)) <= tolerance for g in generated])
    bhs = np.mean([np.min(np.abs(generated - t)) <= tolerance for t in truth])
    return bcs, bhs, (2 * bcs * bhs / (bcs + bhs) if bcs + bhs > 0 else 0.0)


def test_beat_scores_match_the_definition():
    rng = np.random.default_rng(2)
    for n_gen, n_truth in [(30, 50), (1, 7), (12, 1), (0, 5), (5, 0)]:
        generated = np.sort(np.round(rng.uniform(0, 10, n_gen), 2))  # onsets lie on a 10 ms grid
        truth = np.sort(np.round(rng.uniform(0, 10, n_truth), 2))
        assert np.allclose(evaluate.beat_scores(generated, truth), _brute_force_scores(generated, truth), atol=1e-12)


def test_shuffle_p_is_small_only_for_a_real_pairing():
    rng = np.random.default_rng(3)
    truth = [np.sort(rng.uniform(0, 10, 40)) for _ in range(20)]
    aligned = [t + rng.normal(0, 0.02, t.shape) for t in truth]
    unrelated = [np.sort(rng.uniform(0, 10, 40)) for _ in range(20)]
    assert evaluate.beat_alignment(aligned, truth, resamples=999)["shuffle_p"] == 1 / 1000
    assert evaluate.beat_alignment(unrelated, truth, resamples=999)["shuffle_p"] > 0.05


def test_a_clips_own_music_density_does_not_decide_its_gain():
    # Music unrelated to the clips, scored against clip music from sparse to dense: against the music side
    # alone, dense clips would all gain and sparse ones all lose; with both sides removed, density says little.
    rng = np.random.default_rng(4)
    density = np.linspace(2, 12, 40)
    truth = [np.sort(rng.uniform(0, 10, int(d * 10))) for d in density]
    generated = [np.sort(rng.uniform(0, 10, 80)) for _ in density]
    f1 = evaluate.pairing_scores(generated, truth)[:, :, 2]
    music_side_only = np.diag(f1) - (f1.sum(1) - np.diag(f1)) / 39
    assert evaluate.spearman(music_side_only, density) > 0.8
    assert abs(evaluate.spearman(evaluate.per_clip_gains(f1), density)) < 0.4


def test_per_clip_gains_carry_the_summary():
    rng = np.random.default_rng(1)
    truth = [np.sort(rng.uniform(0, 10, 30)) for _ in range(8)]
    generated = [np.sort(rng.uniform(0, 10, 30)) for _ in range(8)]
    beats = evaluate.beat_alignment(generated, truth, resamples=500)
    gain = np.array(beats["f1_gain_per_clip"])
    assert len(gain) == 8
    assert abs(gain.mean() - beats["f1_gain"]) < 1e-12
    assert int((gain > 0).sum()) == beats["clips_matched_better"]
    assert evaluate.gain_summary(gain, resamples=500) == {k: beats[k] for k in
                                                          ("f1_gain", "f1_gain_95ci", "clips_matched_better",
                                                           "clips", "sign_test_p")}
