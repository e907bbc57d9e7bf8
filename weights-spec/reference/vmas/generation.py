"""VMAs generation (VMAS.md §6.4, §7): one window step by step with a key/value cache, classifier-free
guidance, temperature, top-k and the counter RNG; and the whole video as overlapping windows with prompts.

Sampled code c[k, t] of candidate c draws u(seed, 1 + c·2^32, t_global · K + k), t_global the frame's index in
the whole output (frame t of a window whose frame Tp is global frame first_frame has t_global =
first_frame + t − Tp). Prompt codes are fed, never sampled, and draw nothing.
"""

import numpy as np
import torch

import sampling

from . import config as vconfig
from . import delay


def guided(cond, null, guidance):
    """VMAS.md §6.4 in float32: c alone for g = 1, u alone for g = 0, else u + g·(c − u), no fused multiply-add."""
    if guidance == 1:
        return cond
    if guidance == 0:
        return null
    c, u = np.asarray(cond, dtype=np.float32), np.asarray(null, dtype=np.float32)
    return u + np.float32(guidance) * (c - u)


@torch.no_grad()
def generate_window(decoder, memory, frames, temperature, top_k, guidance, seed, first_frame,
                    prompt=None, candidate=0):
    """Codes [K, frames] of one window: the prompt [K, Tp] (Tp may be 0) in the first Tp columns, then frames
    Tp … frames − 1 sampled (VMAS.md §7).

    decoder is a vmas MusicDecoder; memory [T', d] the window's video memory (float32). first_frame is the
    global index of the window's frame Tp, the first sampled one.
    """
    k_count, n = decoder.codebooks, decoder.codebook_size
    prompt = np.zeros((k_count, 0), dtype=np.int64) if prompt is None else np.asarray(prompt, dtype=np.int64)
    tp = prompt.shape[1]
    if prompt.shape[0] != k_count or not 0 <= tp < frames or (prompt.size and (prompt.min() < 0 or prompt.max() >= n)):
        raise ValueError(f"window of {frames} frames: prompt {list(prompt.shape)} must be [{k_count}, Tp < {frames}] "
                         f"with codes in [0, {n})")
    codes = np.full((k_count, frames), -1, dtype=np.int64)
    codes[:, :tp] = prompt
    stream = 1 + candidate * (1 << 32)  # candidate c draws from stream 1 + c·2^32 (VMAS.md §7.2)
    rows = [("cond", memory)] if guidance != 0 else []
    if guidance != 1:
        rows.append(("null", None))  # the null condition: cross-attention adds nothing (VMAS.md §6.4)
    caches = {name: decoder.new_cache() for name, _ in rows}

    def logits_of(ids):
        """Runs the new positions `ids` [n, K] through each row; the last position's [K, N] logits per row."""
        tensor = torch.from_numpy(np.asarray(ids, dtype=np.int64))
        return {name: decoder(tensor, mem, caches[name])["logits"][-1].numpy() for name, mem in rows}

    # Steps 0 … Tp − 1 output prompt codes or N only, so positions 0 … Tp are fed at once.
    feed = np.concatenate([np.full((1, k_count), n, dtype=np.int64), delay.step_outputs(prompt, n)[:tp]])
    last = delay.positions(frames, k_count) - 1
    for j in range(tp, last + 1):
        out = logits_of(feed)
        logits = guided(out.get("cond"), out.get("null"), guidance)
        step = np.full(k_count, n, dtype=np.int64)
        for k in range(k_count):
            t = delay.frame_of(j, k)
            if 0 <= t < tp:
                step[k] = prompt[k, t]
            elif tp <= t < frames:
                counter = (first_frame + t - tp) * k_count + k
                u = sampling.uniform(seed, stream, counter)
                step[k] = codes[k, t] = sampling.sample(logits[k], temperature, u, top_k=top_k)
        feed = step[None, :]
    return codes


class Window:
    """One window of the plan (VMAS.md §7.3): start in seconds, its first global frame, frames, prompt frames."""

    def __init__(self, index, start_seconds, first_frame, frames, prompt):
        self.index, self.start_seconds = index, start_seconds
        self.first_frame, self.frames, self.prompt = first_frame, frames, prompt

    def __repr__(self):
        return (f"Window({self.index}, start {self.start_seconds} s, global frames {self.first_frame} + "
                f"{self.frames}, prompt {self.prompt})")


def total_frames(config, duration):
    """Codec frames covering `duration` seconds: ⌈round(duration · sample_rate) / hop⌉, at least 1."""
    samples = int(round(duration * config["sample_rate"]))
    return max(1, -(-samples // vconfig.hop(config)))


def plan(config, duration):
    """The windows of a video of `duration` seconds (VMAS.md §7.3). Window w starts at w·(Tw − Tp) global
    frames (w·(window_seconds − prompt_seconds) seconds), takes the Tp frames before its new ones as prompt
    (none for window 0) and ends at the window's length or at the last frame, whichever is first."""
    tw, tp = vconfig.window_frames(config), vconfig.prompt_frames(config)
    total = total_frames(config, duration)
    hop_seconds = config["window_seconds"] - config["prompt_seconds"]
    windows = [Window(0, 0.0, 0, min(tw, total), 0)]
    w = 1
    while w * (tw - tp) + tp < total:
        first = w * (tw - tp)
        windows.append(Window(w, w * hop_seconds, first, min(tw, total - first), tp))
        w += 1
    return windows


@torch.no_grad()
def generate(config, encoder, decoder, frames_at, duration, seed, candidate=0, temperature=None, top_k=None,
             guidance=None):
    """Codes [K, total_frames] for a whole video, window by window.

    frames_at(start_seconds) returns the window's normalised frames [3, F, Hf, Wf] (VMAS.md §6.1). Temperature,
    top_k and guidance default to the config's.
    """
    temperature = config["temperature"] if temperature is None else temperature
    top_k = config["top_k"] if top_k is None else top_k
    guidance = config["guidance"] if guidance is None else guidance
    windows = plan(config, duration)
    total = total_frames(config, duration)
    codes = np.full((decoder.codebooks, total), -1, dtype=np.int64)
    for win in windows:
        frames = torch.as_tensor(np.asarray(frames_at(win.start_seconds), dtype=np.float32))
        memory = encoder(frames)["memory"]
        prompt = codes[:, win.first_frame:win.first_frame + win.prompt]
        window_codes = generate_window(decoder, memory, win.frames, temperature, top_k, guidance, seed,
                                       win.first_frame + win.prompt, prompt, candidate)
        codes[:, win.first_frame:win.first_frame + win.frames] = window_codes
    return codes


def frame_times(config, start_seconds):
    """The times at which a window starting at start_seconds samples its F video frames (VMAS.md §6.1)."""
    fps = config["video"]["fps"]
    return start_seconds + (np.arange(vconfig.window_video_frames(config)) + 0.5) / fps


def normalise(pixels, config):
    """RGB frames [F, Hf, Wf, 3] uint8 (already resized and cropped) -> [3, F, Hf, Wf] float32 (VMAS.md §6.1)."""
    v = config["video"]
    x = np.asarray(pixels, dtype=np.float32).transpose(3, 0, 1, 2) / np.float32(255)
    mean = np.asarray(v["mean"], dtype=np.float32)[:, None, None, None]
    std = np.asarray(v["std"], dtype=np.float32)[:, None, None, None]
    return (x - mean) / std


def waveform_samples(config, duration):
    """round(duration × sample_rate): the length the waveform is cut to."""
    return int(round(duration * config["sample_rate"]))

