"""training/evaluation/codec_pitch.py: the pitch error in cents and the frame-locked share, on tones whose pitch
is known, and on a tone played as one waveform repeated every codec frame (what the real-music codec does)."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training", "evaluation")))

import codec_pitch  # noqa: E402
import common  # noqa: E402

T = np.arange(int(2.0 * common.SR)) / common.SR


def note(hz, phase=0.0):
    """A held harmonic tone: five partials falling 6 dB per octave."""
    return sum(np.sin(2 * np.pi * hz * k * T + phase * k) / k for k in range(1, 6)) * 0.05


def midi_hz(pitch):
    return 440.0 * 2 ** ((pitch - 69) / 12)


@pytest.mark.parametrize("pitch,cents", [(45, 0.0), (57, 30.0), (60, -50.0), (69, 100.0), (81, -15.0)])
def test_cents_error_reads_a_known_detuning(pitch, cents):
    original = note(midi_hz(pitch))
    coded = note(midi_hz(pitch) * 2 ** (cents / 1200), phase=0.7)
    assert codec_pitch.cents_error(original, coded, pitch) == pytest.approx(cents, abs=2.0)


def test_a_waveform_repeated_every_frame_sits_on_the_frame_rate_grid():
    # The first 320 samples of A4 (8.8 periods) repeated: every partial moves to a multiple of 50 Hz.
    frame = note(440.0)[:codec_pitch.HOP]
    coded = np.tile(frame, len(T) // codec_pitch.HOP)
    error = codec_pitch.cents_error(note(440.0), coded, 69)
    assert abs(error - 1200 * np.log2(450 / 440)) < 2 or abs(error - 1200 * np.log2(400 / 440)) < 2, error
    assert codec_pitch.frame_locked_share(coded) > 0.99
    assert codec_pitch.frame_locked_share(note(440.0)) < 0.05  # its 5th partial, 2200 Hz, is on the grid: 0.027


def test_summary_counts_the_notes_within_20_cents():
    rows = [{"instrument": "piano", "cents": c, "frame_locked": 0.5, "frame_locked_original": 0.0}
            for c in (0.0, 20.0, -20.5, 100.0)]
    out = codec_pitch.summary(rows)
    assert out["within_20_cents"] == 0.5
    assert out["median_abs_cents"] == 20.2
    assert out["by_instrument"]["piano"] == 20.2
