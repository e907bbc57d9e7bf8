"""training/beat_ceiling.py builds its event lists from the same clip descriptions the synthesiser plays:
the music grid must be the synthesiser's beats, subdivisions and accents, and nothing else."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "experiments", "beat_ceiling")))

import beat_ceiling  # noqa: E402
import corpus  # noqa: E402


def test_row_centre_places_a_time_at_the_middle_of_its_row():
    assert beat_ceiling.row_centre(0.34, 3) == 0.5
    assert beat_ceiling.row_centre(0.0, 6) == 1 / 12
    assert beat_ceiling.row_centre(2.71, None) == 2.71


def test_music_grid_is_what_the_synthesiser_plays():
    for index in range(6):
        clip = corpus.describe(2, index)
        expected = []
        for t, scene in corpus.beat_times(clip):
            period, subdivisions = 60.0 / scene["bpm"], corpus.hat_subdivisions(scene["energy"])
            expected += [t + j * period / subdivisions for j in range(subdivisions)]
        expected += corpus.accent_times(clip)
        np.testing.assert_array_equal(beat_ceiling.events(clip, "music", None), np.unique(np.round(expected, 3)))


def test_video_grid_keeps_the_cuts_and_changes_only_the_tempo():
    clip = next(c for c in (corpus.describe(2, i) for i in range(40)) if len(c["cuts"]) > 0)
    exact = beat_ceiling.events(clip, "video", None)
    for cut in np.round(clip["cuts"], 3):
        assert cut in exact
    rows = beat_ceiling.events(clip, "video", 3)
    for cut in clip["cuts"]:
        assert round(beat_ceiling.row_centre(cut, 3), 3) in rows
    assert not np.array_equal(exact, beat_ceiling.events(clip, "music", None))
