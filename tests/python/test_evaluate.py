"""training/evaluate.py's beat statistics: the sign test against scipy's exact binomial test, and the
beat alignment of onset lists whose pairing is known."""

import os
import sys

import numpy as np
from scipy.stats import binomtest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

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
