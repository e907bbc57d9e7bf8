"""training/log_mel_distance.py on signals whose distance is known in advance."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))

import log_mel_distance  # noqa: E402

SR = 16000


def noise(seconds=2.0, seed=0):
    return 0.1 * np.random.default_rng(seed).standard_normal(int(SR * seconds))


def test_identical_signals_are_at_distance_zero():
    x = noise()
    assert log_mel_distance.distance(x, x) == 0.0


def test_half_the_amplitude_is_six_decibels():
    # White noise fills every band far above the floor, so each band drops by exactly 20 log10 2.
    x = noise()
    assert log_mel_distance.distance(x, 0.5 * x) == pytest.approx(20 * np.log10(2), abs=1e-9)


def test_one_gain_for_both_makes_it_level_free():
    x, y = noise(seed=1), noise(seed=1) + 0.3 * noise(seed=2)
    assert log_mel_distance.distance(100 * x, 100 * y) == pytest.approx(log_mel_distance.distance(x, y), rel=1e-9)


def test_silence_costs_each_band_its_level_above_the_floor():
    x = noise()
    levels = log_mel_distance.log_mel_db(x / np.sqrt(np.mean(x ** 2)))
    assert log_mel_distance.distance(x, np.zeros_like(x)) == pytest.approx(np.mean(levels + 60), rel=1e-6)


def test_frames_and_bands():
    assert log_mel_distance.log_mel_db(noise(1.0)).shape == (1 + (SR - 1024) // 256, 64)
