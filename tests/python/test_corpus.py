"""training/corpus.py --motion beat: the picture shows the music's beat. Shapes and pan move in a burst on
every beat and travel as far over each beat as at a steady speed, so a clip's mean motion still follows its
energy while the feature rows of a burst move more than the rows where the picture settles."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))

import corpus  # noqa: E402
import extractor  # noqa: E402  (weights-spec/reference, on the path once corpus is imported)


def test_motion_keeps_its_mean_speed_over_each_beat():
    scene = {"bpm": 120.0}
    beats = np.arange(0, 12) * 0.5
    np.testing.assert_allclose(corpus.beat_time(scene, beats), beats, atol=1e-12)


def test_motion_bursts_at_the_beat_and_settles_before_the_next():
    scene = {"bpm": 90.0}
    period = 60.0 / 90.0
    first_quarter = corpus.beat_time(scene, 0.25 * period) / period
    assert first_quarter > 0.6
    t = np.linspace(0, 3 * period, 301)
    assert np.all(np.diff(corpus.beat_time(scene, t)) >= 0)
    # Speed just after a beat is four times the mean, and nearly zero just before the next.
    step = 1e-4
    assert abs((corpus.beat_time(scene, step) - corpus.beat_time(scene, 0)) / step - 4) < 1e-2
    assert (corpus.beat_time(scene, period - 1e-9) - corpus.beat_time(scene, period - step - 1e-9)) / step < 1e-3


def test_rows_of_a_burst_show_more_motion_than_rows_of_settling():
    # A row is in a burst when the picture moves there faster than its mean speed (corpus.beat_time runs
    # ahead of the clock by 30 %), settling when it moves at under 70 % of it; rows across a cut are left out.
    # Slow clips only: above about 100 BPM a 1/3 s row spans most of a beat, bursts and settling alike.
    motion = extractor.FEATURE_NAMES.index("motion_lag1")
    clips = (corpus.describe(2, i, motion="beat") for i in range(20))
    slow = [c for c in clips if max(s["bpm"] for s in c["scenes"]) < 100]
    assert len(slow) >= 2
    for clip in slow[:2]:
        rows = corpus.features(clip, 3)
        burst, settling = [], []
        for r in range(rows.shape[0]):
            t0, t1 = r / 3, (r + 1) / 3
            scene = next((s for s in clip["scenes"] if s["start"] <= t0 and t1 <= s["end"]), None)
            if scene is None:
                continue
            start = scene["start"]
            speed = (corpus.beat_time(scene, t1 - start) - corpus.beat_time(scene, t0 - start)) * 3
            (burst if speed > 1.3 else settling if speed < 0.7 else []).append(rows[r, motion])
        assert len(burst) >= 5 and len(settling) >= 5
        assert np.mean(burst) > 2 * np.mean(settling), (np.mean(burst), np.mean(settling))
