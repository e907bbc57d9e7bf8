"""training/evaluation/real_music.py: the D2M-GAN beat scores, on clicks whose onsets are known, and how captions match prompts."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))

import common  # noqa: E402
import real_music  # noqa: E402


def clicks(times, seconds=6.0):
    """Short decaying noise bursts at `times` (s) over silence: one clear onset each."""
    rng = np.random.default_rng(1)
    wav = np.zeros(int(seconds * common.SR))
    burst = rng.normal(0, 0.5, 800) * np.exp(-np.arange(800) / 150)
    for t in times:
        i = int(t * common.SR)
        wav[i: i + 800] += burst
    return wav


def test_the_same_beats_score_one_and_shifted_beats_score_nothing():
    reference = clicks(np.arange(0.5, 5.5, 0.5))
    same = real_music.beat_scores([reference], [reference])
    assert same == {"d2m_beat_coverage": 1.0, "d2m_beat_hit": 1.0, "d2m_beat_f1": 1.0}
    shifted = real_music.beat_scores([clicks(np.arange(0.75, 5.5, 0.5))], [reference])
    assert shifted["d2m_beat_hit"] == 0.0 and shifted["d2m_beat_f1"] == 0.0
    assert shifted["d2m_beat_coverage"] == 1.0  # as many beats, none of them in place


def test_half_the_beats_cover_half_and_hit_half():
    reference = clicks(np.arange(0.5, 5.5, 0.5))
    half = real_music.beat_scores([clicks(np.arange(0.5, 5.5, 1.0))], [reference])
    assert half["d2m_beat_coverage"] == 0.5
    assert half["d2m_beat_hit"] == 0.5
    assert abs(half["d2m_beat_f1"] - 2 * 0.5 * 1.0 / 1.5) < 1e-3  # every generated beat is on a reference beat


def test_a_caption_matches_a_prompt_by_its_tempo_word_and_one_other_word():
    calm = "slow ambient pad strings"
    assert real_music.matches_prompt("slow 72 bpm; D dorian; ambient; pad, strings; low energy", calm)
    assert real_music.matches_prompt("Slow 80 bpm; strings; medium energy", calm)  # case as the text tower reads it
    assert not real_music.matches_prompt("slow 70 bpm; C major; ballad; piano; low energy", calm)  # no other word
    assert not real_music.matches_prompt("fast 140 bpm; ambient; pad; high energy", calm)  # wrong tempo
    assert not real_music.matches_prompt("slowly; ambient", calm)  # whole words only
