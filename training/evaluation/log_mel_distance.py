"""The log-mel distance between a reference recording and its reconstruction, in dB (codec_vs_opus.py).

Definition (the model card quotes it):
- both signals 16 kHz mono, the same length, scaled by one gain: 1 / RMS of the reference, so a codec that
  changes the level is charged for it, and quiet and loud clips weigh alike;
- power spectrogram: Hann window of 1024 samples (64 ms), hop 256 (16 ms), no centring pad, |FFT|^2
  divided by the window's sum of squares, so white noise of RMS 1 has power 1 in every bin;
- 64 triangular mel bands from 30 Hz to 8 kHz (HTK mel scale, common.mel_filterbank's bands);
- level per band and frame: 10 log10(max(power, 1e-6)), that is floored 60 dB below white noise at the
  reference's RMS: a band that far below the music is not heard beside it, so a codec is not charged for
  what a listener would not notice (Opus's bandwidth limit counts only where the high band is audible),
  and silence in one and faint noise in the other do not count without bound;
- distance: the mean over frames and bands of |level(reference) - level(reconstruction)|, in dB.
"""

import numpy as np

import os
import sys
# training/ holds common (which puts weights-spec/reference and training/evaluation on the path) and the build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common

N_FFT, HOP, FLOOR = 1024, 256, 1e-6
_FB = common.mel_filterbank(N_FFT).numpy().astype(np.float64)


def log_mel_db(x):
    """x [samples] float -> [frames, 64] levels in dB."""
    frames = 1 + (len(x) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None] + HOP * np.arange(frames)[:, None]
    window = np.hanning(N_FFT + 1)[:-1]  # periodic Hann
    power = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2 / np.sum(window ** 2)
    return 10 * np.log10(np.maximum(power @ _FB.T, FLOOR))


def distance(reference, reconstruction):
    n = min(len(reference), len(reconstruction))
    ref = np.asarray(reference[:n], np.float64)
    gain = 1.0 / (np.sqrt(np.mean(ref ** 2)) + 1e-9)
    a = log_mel_db(ref * gain)
    b = log_mel_db(np.asarray(reconstruction[:n], np.float64) * gain)
    return float(np.mean(np.abs(a - b)))
