"""VMAs' video-beat alignment weights (Lin et al. 2025, §4.4, Eqs. 3-4), on the codec's frame grid.

- Music beats: onsets of the recording by the evaluation's onset detector (training/evaluation/score.py, the one
  `v2meow score` and the model card's beat metrics use), each marking the codec frame it falls in.
- Video beats: the mean optical-flow magnitude of each consecutive frame pair (cv2.calcOpticalFlowFarneback with
  AV-Align's parameters, as score.py's motion_curve), linearly interpolated to the codec frames; a frame is a video
  beat when its magnitude is the largest within the video-beat window around it (and the window is not flat).
- Overlap: a music beat with a video beat within the overlap window of it.
- Weight of frame t: max(overlap_t, weight_floor); the floor keeps frames without an aligned beat from being ignored.
  All ones is the plain autoregressive loss (the `--no-beat-weight` ablation).
Windows count codec frames either side of t (a half-width), so at 50 frames a second 12 is 0.24 s each way.
"""

import numpy as np

import score  # training/evaluation/score.py, on the path through common


def music_beats(audio, sample_rate, frames, frame_rate):
    """[frames] 0/1: 1 where an onset of `audio` (mono float, `sample_rate` Hz) falls in codec frame t, i.e. in
    [t / frame_rate, (t + 1) / frame_rate)."""
    if sample_rate != score.SR:
        raise ValueError(f"music_beats: the onset detector reads {score.SR} Hz audio, given {sample_rate} Hz")
    beats = np.zeros(frames, dtype=np.uint8)
    for t in score.onset_times(score.onset_envelope(audio)):
        index = int(np.floor(t * frame_rate))
        if 0 <= index < frames:
            beats[index] = 1
    return beats


def flow_magnitudes(frames):
    """frames [F, H, W, 3] uint8 RGB -> [F] mean Farneback magnitude into each frame, frame 0 taking frame 1's (AV-Align's
    trajectory, score.motion_curve)."""
    curve = score.motion_curve(list(frames))
    return np.asarray(curve if curve else [0.0] * len(frames), dtype=np.float64)


def motion_on_codec_frames(magnitudes, video_fps, frames, frame_rate):
    """The per-video-frame magnitudes linearly interpolated to codec frame centres (t + 0.5) / frame_rate; video frame
    f stands for time (f + 0.5) / video_fps (VMAS.md §6.1); held constant past either end."""
    video_times = (np.arange(len(magnitudes)) + 0.5) / video_fps
    return np.interp((np.arange(frames) + 0.5) / frame_rate, video_times, magnitudes)


def video_beats(motion, window):
    """[T] 0/1: 1 where motion[t] is the maximum of motion[t − window … t + window] and that stretch is not flat."""
    motion = np.asarray(motion, dtype=np.float64)
    beats = np.zeros(len(motion), dtype=np.uint8)
    for t in range(len(motion)):
        span = motion[max(0, t - window): t + window + 1]
        if motion[t] >= span.max() and span.max() > span.min():
            beats[t] = 1
    return beats


def overlap(music, video, window):
    """[T] 0/1: a music beat at t with a video beat somewhere in t − window … t + window (Eq. 3)."""
    music, video = np.asarray(music), np.asarray(video)
    near = np.zeros(len(video), dtype=bool)
    for shift in range(-window, window + 1):
        lo, hi = max(0, shift), min(len(video), len(video) + shift)
        near[lo - shift: hi - shift] |= video[lo:hi].astype(bool)
    return (music.astype(bool) & near).astype(np.uint8)


def weights(music, motion, video_beat_window, overlap_window, weight_floor):
    """The per-frame loss weights of Eq. 4: max(overlap, weight_floor), float32 [T]."""
    if not 0 <= weight_floor <= 1:
        raise ValueError(f"weight_floor: expected 0 to 1, found {weight_floor}")
    hits = overlap(music, video_beats(motion, video_beat_window), overlap_window)
    return np.maximum(hits.astype(np.float32), np.float32(weight_floor))
