"""The built-in visual extractor, the dense stream `builtin` (SPEC "Built-in visual extractor").

    extractor.py VIDEO [--fps 1] [--json | --out FEATURES.npy]

A line-for-line twin of `BuiltInVisualExtractor` in
loaders/V2Meow.Loaders/Features: the same ffmpeg decode (the arguments of
`VideoFrameReader`), the same sub-frame rule (8 sub-frames per row at 8 x fps,
short side at most 128) and the same arithmetic: integer sums where the C#
sums integers, sequential float64 sums (np.cumsum, not the pairwise np.sum)
where it sums doubles, and the same casts to float32 at the end. On the same
decoded frames the rows are bit-identical; tests/V2Meow.Tests/Features/
ExtractorParityTests.cs checks that.

`compute(frames, steps)` takes already decoded RGB24 sub-frames (uint8
[H, W, 3] arrays), so training code can extract features from rendered frames
without writing a video file.
"""

import argparse
import json
import math
import subprocess
import sys

import numpy as np

DIMENSION = 24
SUB_FRAMES = 8
ANALYSIS_SHORT_SIDE = 128
CUT_THRESHOLD = 0.4
EDGE_THRESHOLD = 0.5
FEATURE_NAMES = [
    "mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b", "brightness", "contrast", "saturation",
    "hue_0", "hue_45", "hue_90", "hue_135", "hue_180", "hue_225", "hue_270", "hue_315",
    "motion_lag1", "motion_lag2", "motion_lag4", "motion_peak", "colour_change", "cut", "edge_density",
]

LAGS = (1, 2, 4)
LUMA_SCALE = 255_000.0  # luma in thousandths of a level: 299 R + 587 G + 114 B
# Left to right as the C# constant: (long)(0.5 * 255000 * 0.5 * 255000), exact.
EDGE_THRESHOLD_SQUARED = int(EDGE_THRESHOLD * LUMA_SCALE * EDGE_THRESHOLD * LUMA_SCALE)


# ---------------------------------------------------------------- decoding (VideoProbe, VideoFrameReader)

def count_frames(seconds, fps):
    """max(1, ceil(seconds * fps)); a product within 1e-6 above a whole number counts as that number."""
    exact = max(0.0, seconds) * fps
    return int(max(1, math.ceil(exact - 1e-6)))


def output_size(width, height, max_short_side):
    short = min(width, height)
    scale = max_short_side / short if short > max_short_side else 1.0

    def even(size):
        return max(2, 2 * int(math.floor(size / 2 + 1e-9)))

    return even(width * scale), even(height * scale)


def _tag_seconds(tags):
    value = (tags or {}).get("DURATION") or (tags or {}).get("duration")
    if not value:
        return 0.0
    try:
        h, m, s = value.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        return 0.0


def _rotation(stream):
    degrees = None
    for entry in stream.get("side_data_list", []) or []:
        if "rotation" in entry:
            degrees = float(entry["rotation"])
            break
    if degrees is None and "rotate" in (stream.get("tags") or {}):
        degrees = -float(stream["tags"]["rotate"])
    if degrees is None:
        return 0
    quarter = int(round(degrees / 90.0))
    return ((quarter % 4) + 4) % 4 * 90


def probe(path, ffprobe="ffprobe"):
    """(video stream index, duration seconds, display width, display height), as VideoProbe reads them."""
    out = subprocess.run(
        [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
        check=True, capture_output=True,
    ).stdout
    info = json.loads(out)
    videos = [s for s in info.get("streams", []) if s.get("codec_type") == "video"
              and not (s.get("disposition") or {}).get("attached_pic")]
    if not videos:
        raise ValueError(f"{path}: no video stream")
    video = min(videos, key=lambda s: s["index"])
    seconds = float(video.get("duration", 0) or 0)
    if not seconds > 0:
        seconds = _tag_seconds(video.get("tags"))
    if not seconds > 0:
        seconds = float((info.get("format") or {}).get("duration", 0) or 0)
    if not seconds > 0 or math.isnan(seconds):
        seconds = 0.0
    width, height = int(video["width"]), int(video["height"])
    display_w, display_h = width, height
    sar = video.get("sample_aspect_ratio", "")
    if ":" in sar:
        num, den = (int(v) for v in sar.split(":"))
        if num > 0 and den > 0 and num != den:
            display_w = max(1, int(round(width * num / den)))
    if _rotation(video) in (90, 270):
        display_w, display_h = display_h, display_w
    return video["index"], seconds, display_w, display_h


def _fps_text(fps):
    # C#'s double.ToString("R"): integers without a decimal point, otherwise the shortest round trip.
    return str(int(fps)) if float(fps).is_integer() else repr(float(fps))


def read_frames(path, fps, max_short_side, ffmpeg="ffmpeg", ffprobe="ffprobe"):
    """Exactly count_frames(duration, fps) RGB24 frames [H, W, 3], as VideoFrameReader yields them."""
    index, seconds, dw, dh = probe(path, ffprobe)
    width, height = output_size(dw, dh, max_short_side)
    count = count_frames(seconds, fps)
    args = [
        ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error",
        "-i", path,
        "-map", f"0:{index}", "-an", "-sn", "-dn",
        "-vf", f"fps=fps={_fps_text(fps)}:start_time=0:round=near:eof_action=pass,"
               f"scale={width}:{height}:flags=area,format=rgb24",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]
    raw = subprocess.run(args, check=True, capture_output=True).stdout
    size = width * height * 3
    decoded = min(count, len(raw) // size)
    if decoded == 0:
        raise ValueError(f"{path}: ffmpeg decoded no frames")
    missing = count - decoded
    if missing > 1 and missing / fps > 0.5:
        raise ValueError(f"{path}: decoding stopped at {decoded / fps:.2f} s of {seconds:.2f} s")
    frames = [np.frombuffer(raw, np.uint8, size, i * size).reshape(height, width, 3) for i in range(decoded)]
    frames += [frames[-1]] * missing
    return frames, seconds


# ---------------------------------------------------------------- features (BuiltInVisualExtractor.Accumulator)

def _hue_bins(r, g, b, mx, delta):
    """HSV hue binned into 8 bins of 45 degrees centred on 0, 45, ... 315 (ties between max channels: R, G, B)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hue = np.where(mx == r, 60.0 * (g - b) / delta,
                       np.where(mx == g, 60.0 * (b - r) / delta + 120.0, 60.0 * (r - g) / delta + 240.0))
    hue = hue + 22.5
    hue = np.where(hue < 0, hue + 360.0, hue)
    hue = np.where(hue >= 360.0, hue - 360.0, hue)
    return np.minimum(7, (hue / 45.0).astype(np.int64))


_HUE_TABLE = None


def _hue_table():
    """Hue bin of every RGB triple (8 = not coloured), by the same formula as _hue_bins, computed once."""
    global _HUE_TABLE
    if _HUE_TABLE is None:
        table = np.empty((256, 256, 256), dtype=np.int8)
        g, b = (a.astype(np.int64).ravel() for a in np.mgrid[0:256, 0:256])
        for red in range(256):
            r = np.full_like(g, red)
            mx = np.maximum(r, np.maximum(g, b))
            delta = mx - np.minimum(r, np.minimum(g, b))
            coloured = (delta > 0) & (5 * delta >= mx) & (5 * mx >= 255)
            bins = np.full(g.shape, 8, dtype=np.int64)
            bins[coloured] = _hue_bins(r[coloured], g[coloured], b[coloured], mx[coloured], delta[coloured])
            table[red] = bins.reshape(256, 256)
        _HUE_TABLE = table
    return _HUE_TABLE


def _edge_density(y, width, height):
    if width < 3 or height < 3:
        return 0.0
    gx = (y[:-2, 2:] + 2 * y[1:-1, 2:] + y[2:, 2:]) - (y[:-2, :-2] + 2 * y[1:-1, :-2] + y[2:, :-2])
    gy = (y[2:, :-2] + 2 * y[2:, 1:-1] + y[2:, 2:]) - (y[:-2, :-2] + 2 * y[:-2, 1:-1] + y[:-2, 2:])
    edges = int(np.count_nonzero(gx * gx + gy * gy > EDGE_THRESHOLD_SQUARED))
    return edges / ((width - 2) * (height - 2))


class Accumulator:
    """Running sums of the current step, and the last frames the motion and cut features look back at."""

    def __init__(self, steps):
        if steps < 1:
            raise ValueError("steps must be at least 1")
        self.steps = steps
        self.rows = np.zeros((steps, DIMENSION), dtype=np.float32)
        self.luma = {}          # sub-frame index -> int64 [H, W], the last 4 kept
        self.histogram = None
        self.frames = 0
        self.size = None
        self.step = -1
        self._reset()

    def _reset(self):
        self.step_frames = 0
        self.pixels = self.sum_r = self.sum_g = self.sum_b = 0
        self.sum_rr = self.sum_gg = self.sum_bb = self.sum_y = self.sum_yy = 0
        self.sum_saturation = self.sum_edges = self.motion_peak = self.colour_change = 0.0
        self.hue = [0] * 8
        self.motion = [0.0, 0.0, 0.0]
        self.motion_count = [0, 0, 0]

    def add(self, frame):
        frame = np.asarray(frame, dtype=np.uint8)
        h, w = frame.shape[:2]
        if self.frames == 0:
            self.size = (w, h)
        elif (w, h) != self.size:
            raise ValueError(f"sub-frame {self.frames} is {w}x{h}, the first was {self.size[0]}x{self.size[1]}")
        step = min(self.frames // SUB_FRAMES, self.steps - 1)
        if step != self.step:
            if self.step >= 0:
                self._flush()
            self.step = step
        k = self.frames
        self.frames += 1
        n = w * h

        rgb = frame.reshape(-1, 3).astype(np.int64)
        r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
        y = 299 * r + 587 * g + 114 * b
        self.sum_r += int(r.sum()); self.sum_g += int(g.sum()); self.sum_b += int(b.sum())
        self.sum_rr += int((r * r).sum()); self.sum_gg += int((g * g).sum()); self.sum_bb += int((b * b).sum())
        self.sum_y += int(y.sum()); self.sum_yy += int((y * y).sum())
        mx = np.maximum(r, np.maximum(g, b))
        mn = np.minimum(r, np.minimum(g, b))
        delta = mx - mn
        positive = mx > 0
        saturation = delta[positive] / mx[positive]
        # The C# adds pixel by pixel into a per-frame double, then that into the step's sum.
        frame_saturation = float(np.cumsum(saturation)[-1]) if saturation.size else 0.0
        self.sum_saturation += frame_saturation
        counts = np.bincount(_hue_table()[r, g, b].ravel(), minlength=9)  # bin 8: not coloured
        for i in range(8):
            self.hue[i] += int(counts[i])
        histogram = np.bincount((r >> 6) * 16 + (g >> 6) * 4 + (b >> 6), minlength=64)
        self.pixels += n

        y2 = y.reshape(h, w)
        self.sum_edges += _edge_density(y2, w, h)
        for l, lag in enumerate(LAGS):
            if k < lag:
                continue
            difference = int(np.abs(y - self.luma[k - lag]).sum()) / n / LUMA_SCALE
            self.motion[l] += difference
            self.motion_count[l] += 1
            if l == 0:
                self.motion_peak = max(self.motion_peak, difference)
        if k >= 1:
            distance = int(np.abs(histogram - self.histogram).sum())
            self.colour_change = max(self.colour_change, 0.5 * distance / n)
        self.histogram = histogram
        self.luma[k] = y
        self.luma.pop(k - max(LAGS), None)
        self.step_frames += 1

    def _flush(self):
        pixels = float(self.pixels)

        def std(mean_of_squares, mean):
            return math.sqrt(max(0.0, mean_of_squares - mean * mean))

        mean_r, mean_g, mean_b = self.sum_r / pixels, self.sum_g / pixels, self.sum_b / pixels
        mean_y = self.sum_y / pixels
        row = [0.0] * DIMENSION
        row[0], row[1], row[2] = mean_r / 255, mean_g / 255, mean_b / 255
        row[3] = std(self.sum_rr / pixels, mean_r) / 255
        row[4] = std(self.sum_gg / pixels, mean_g) / 255
        row[5] = std(self.sum_bb / pixels, mean_b) / 255
        row[6] = mean_y / LUMA_SCALE
        row[7] = std(self.sum_yy / pixels, mean_y) / LUMA_SCALE
        row[8] = self.sum_saturation / pixels
        for i in range(8):
            row[9 + i] = self.hue[i] / pixels
        for l in range(3):
            row[17 + l] = 0.0 if self.motion_count[l] == 0 else self.motion[l] / self.motion_count[l]
        row[20] = self.motion_peak
        row[21] = self.colour_change
        row[22] = 1.0 if self.colour_change > CUT_THRESHOLD else 0.0
        row[23] = self.sum_edges / self.step_frames
        self.rows[self.step] = np.array(row, dtype=np.float64).astype(np.float32)
        self._reset()

    def finish(self):
        if self.frames == 0:
            raise ValueError("no frames to extract features from")
        self._flush()
        self.rows[self.step + 1:] = self.rows[self.step]
        return self.rows


def compute(frames, steps):
    """Rows [steps, 24] float32 from decoded sub-frames in order, 8 per step (extra ones fold into the last)."""
    acc = Accumulator(steps)
    for frame in frames:
        acc.add(frame)
    return acc.finish()


def extract(path, fps=1.0, ffmpeg="ffmpeg", ffprobe="ffprobe"):
    """Features of a video file at `fps` rows per second: [count_frames(duration, fps), 24] float32."""
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps {fps}: must be a positive number")
    frames, seconds = read_frames(path, fps * SUB_FRAMES, ANALYSIS_SHORT_SIDE, ffmpeg, ffprobe)
    return compute(frames, count_frames(seconds, fps))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("video")
    p.add_argument("--fps", type=float, default=1.0)
    p.add_argument("--ffmpeg", default="ffmpeg")
    p.add_argument("--ffprobe", default="ffprobe")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the rows as JSON (exact float32 values)")
    out.add_argument("--out", help="write the rows as .npy")
    args = p.parse_args(argv)
    try:
        rows = extract(args.video, args.fps, args.ffmpeg, args.ffprobe)
    except (ValueError, OSError, subprocess.CalledProcessError) as e:
        print(f"error: {args.video}: {e}", file=sys.stderr)
        return 2
    if args.out:
        np.save(args.out, rows)
    elif args.json:
        json.dump({"names": FEATURE_NAMES, "rows": [[float(v) for v in row] for row in rows]}, sys.stdout)
        sys.stdout.write("\n")
    else:
        for i, row in enumerate(rows):
            print(i, " ".join(f"{v:.6f}" for v in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
