"""training/music_video.py: the picture's events come from the music's."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

import music_corpus  # noqa: E402
import music_video  # noqa: E402

SR = music_video.SR


def clicks(times, seconds=4.0):
    x = 0.001 * np.random.default_rng(0).standard_normal(int(SR * seconds))
    for t in times:
        i = int(t * SR)
        x[i:i + 400] += 0.5 * np.exp(-np.arange(400) / 60.0)
    return x


def test_onsets_find_clicks():
    times = [0.5, 1.25, 2.0, 3.1]
    found = music_video.onsets(clicks(times), per_second=1.0)
    assert len(found) == len(times)
    assert np.max(np.abs(found - np.array(times))) < 0.04


def test_loudness_jumps_cut_scenes_without_a_score():
    x = np.concatenate([0.01 * np.ones(3 * SR), 0.2 * np.ones(3 * SR)]) * np.sin(np.arange(6 * SR) * 0.07)
    assert music_video.section_cuts({"source": "freedoom"}, x, 6.0) == [3.0]


def test_composed_cuts_are_the_score_sections_and_mode_sets_the_palette():
    for index in range(12):
        for cap in music_corpus.composed_captions(7, index):
            cuts = music_video.section_cuts(cap, np.zeros(SR * 10), 10.0)
            # A clip spanning n sections has n - 1 boundaries; those within 0.5 s of its ends are not cut.
            assert len(cuts) <= len(cap["sections"]) - 1
            assert all(0.5 < c < 9.5 for c in cuts)
            if len(cap["sections"]) == 1:
                assert cuts == []
            hue, _ = music_video.palette(cap, None)
            assert (hue < 90) == (cap["mode"] in music_video.BRIGHT_MODES)
