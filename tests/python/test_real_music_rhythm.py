"""training/evaluation/real_music.py: tempo, percussive share and absolute-threshold onsets, on clicks whose tempo
is known and on a sustained chord that has no onsets after its first."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))

import common  # noqa: E402
import evaluate  # noqa: E402
import real_music  # noqa: E402

SECONDS = 10.0


def click_train(bpm, seconds=SECONDS):
    """Short decaying noise bursts every beat over silence: one clear, broadband onset each."""
    rng = np.random.default_rng(1)
    wav = np.zeros(int(seconds * common.SR))
    burst = rng.normal(0, 0.5, 800) * np.exp(-np.arange(800) / 150)
    for t in np.arange(0.25, seconds - 0.1, 60.0 / bpm):
        i = int(t * common.SR)
        wav[i: i + 800] += burst
    return wav


def sustained_chord(seconds=SECONDS):
    """A C major pad (three notes, five harmonics each) held for the whole clip, with a slow 0.3 Hz swell of
    +-20 % and a quiet noise floor: a flat clip whose onset envelope has only weak wobbles after the start."""
    rng = np.random.default_rng(2)
    t = np.arange(int(seconds * common.SR)) / common.SR
    wav = sum(np.sin(2 * np.pi * f * k * t) / k for f in (261.6, 329.6, 392.0) for k in range(1, 6))
    wav = wav * (1 + 0.2 * np.sin(2 * np.pi * 0.3 * t)) * np.minimum(t / 0.5, 1.0)
    return 0.1 * wav / np.abs(wav).max() + rng.normal(0, 1e-3, len(t))


def test_tempo_finds_the_click_trains_tempo():
    for bpm in (70, 120, 150):
        assert abs(real_music.tempo_bpm(click_train(bpm)) - bpm) < 3, bpm


def test_clicks_are_percussive_and_a_chord_is_not():
    assert real_music.percussive_share(click_train(120)) > 0.7
    assert real_music.percussive_share(sustained_chord()) < 0.1


def test_absolute_onsets_count_the_clicks_and_not_the_chords_wobbles():
    clicks = click_train(120)
    assert abs(len(real_music.absolute_onsets(clicks)) / SECONDS - 2.0) < 0.3  # 120 BPM: 2 a second
    chord = sustained_chord()
    assert len(real_music.absolute_onsets(chord)) / SECONDS < 0.3  # its start at most
    # The per-clip threshold (evaluate.onsets) finds weak peaks in the same chord: what the absolute one is for.
    assert len(evaluate.onsets(chord)) / SECONDS > 1.0


def test_absolute_onsets_do_not_depend_on_the_level():
    clicks = click_train(120)
    assert len(real_music.absolute_onsets(clicks)) == len(real_music.absolute_onsets(0.01 * clicks))


def test_frechet_terms_split_the_distance_into_the_means_and_the_covariances():
    rng = np.random.default_rng(3)
    a = rng.normal(0, 1, (4000, 3))
    b = rng.normal(0, 2, (4000, 3)) + np.array([1.0, 0.0, -2.0])
    mean, cov = real_music.frechet_terms(a, b)
    assert mean == pytest.approx(((a.mean(0) - b.mean(0)) ** 2).sum())
    assert mean == pytest.approx(5.0, abs=0.3)
    # Diagonal covariances 1 and 4: each dimension adds (1 - 2)^2 = 1.
    assert cov == pytest.approx(3.0, abs=0.3)
    assert real_music.frechet(a, b) == pytest.approx(mean + cov)
    assert real_music.frechet_terms(a, a)[0] == 0.0
