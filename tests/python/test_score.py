"""training/evaluation/score.py: its onsets are the training evaluation's, and it still gives the committed
fixture numbers that the .NET tests hold the runtime's `v2meow score` to."""

import json
import os
import sys

import numpy as np
import pytest
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "training"))
sys.path.insert(0, os.path.join(ROOT, "training", "evaluation"))

import common  # noqa: E402
import score  # noqa: E402
import text_tower  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "score")


def clicks(seconds=3.0, at=(0.3, 0.9, 1.55, 2.4), seed=0):
    rng = np.random.default_rng(seed)
    x = 0.02 * rng.standard_normal(int(seconds * score.SR))
    for t in at:
        i = int(t * score.SR)
        x[i:i + 800] += 0.5 * rng.standard_normal(800) * np.exp(-np.arange(800) / 240)
    return x.astype(np.float32)


def test_the_mel_bands_are_the_training_ones():
    assert np.allclose(score.mel_filterbank(), common.mel_filterbank(512).numpy(), atol=1e-6)


def test_the_envelope_and_onsets_are_text_towers():
    x = clicks()
    reference = text_tower.onset_envelope(torch.tensor(x[None]))[0].numpy()
    ours = score.onset_envelope(x)
    # float32 (torch) against float64 (numpy) of the same formula.
    assert ours.shape == reference.shape
    assert np.allclose(ours, reference, rtol=1e-4, atol=1e-4)
    assert np.array_equal(score.onset_times(ours), text_tower.onset_times(reference))


def test_the_scores_of_a_hand_worked_case():
    assert score.loris([0.1, 0.9, 2.5, 3.2], 4.0, [0.4, 1.5, 3.9], 4.0) == pytest.approx((2 / 3, 2 / 3, 2 / 3, 4))
    assert score.av_align([1.05, 2.1, 3.0], [1.0, 2.0], 10) == pytest.approx(1 / 4)


def test_the_committed_fixture_numbers_are_current():
    with open(os.path.join(FIXTURES, "expected.json"), encoding="utf-8") as f:
        expected = json.load(f)
    result = score.score(os.path.join(FIXTURES, "video.mp4"), os.path.join(FIXTURES, "music.wav"))
    for key in ("beat_coverage", "beat_hit", "beat_f1", "av_align", "audio_onsets", "visual_beats", "bins", "fps"):
        assert result[key] == pytest.approx(expected[key]), key
    assert result["onsets"] == pytest.approx(expected["onsets"])
    assert result["beats"] == pytest.approx(expected["beats"])
    assert np.allclose(result["motion"], expected["motion"], rtol=1e-5, atol=1e-6)
