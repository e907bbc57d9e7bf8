"""config.json of a vmas/1 bundle: defaults, validation and derived sizes (VMAS.md §3).

`resolve` returns a full copy of the config with every default written out, or
raises ConfigError naming the field; `load` adds the file's path in front.
Unknown keys inside the known sections are errors (usually typos); unknown
top-level keys are optional components (SPEC §2.1) and are kept untouched.
The codec section is read by the shared reader of `config.py` (SPEC §3.10,
VMAS.md §9), plus this family's `levels` and `codebook_size`.
"""

import copy
import json
import math

import config as shared
from config import DTYPES, ConfigError

FORMAT = "vmas/1"
COMPONENTS = ("video_encoder", "music_decoder", "codec")
# The config.json section each file's __metadata__["config"] holds (VMAS.md §2).
SECTIONS = {"video_encoder": "encoder", "music_decoder": "decoder", "codec": "codec",
            "codec_encoder": "codec",  # the codec's optional encoder (SPEC §9.3), present when its file is
            "contrastive": "contrastive"}  # the optional contrastive projections (VMAS.md §14), when config names them
CONTRASTIVE = "contrastive"
KNOWN_TOP = ("format", "name", "dtype", "sample_rate", "window_seconds", "prompt_seconds", "temperature",
             "top_k", "guidance", "video", "encoder", "decoder", "codec")
ATTENTION_KINDS = ("mask_unit", "global")

MAX_STAGES = 8
MAX_WIDTH = 1 << 16       # any stage's width, embed_dim · 2^s
MAX_WINDOW_FRAMES = 1 << 16   # video frames per window, F
MAX_WINDOW_STEPS = 1 << 20    # codec frames per window, Tw
MAX_CODEBOOKS = 32
MAX_CODEBOOK_SIZE = 1 << 16
WHOLE = 1e-9  # how far a product may be from a whole number (window_seconds × fps and the like)

_MISSING = object()


def _int(section, key, where, low, high, default=_MISSING):
    value = section.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}.{key}: required")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}.{key}: expected an integer from {low} to {high}, found {value!r}")
    section[key] = value
    return value


def _num(section, key, where, low, high, default=_MISSING, above=True):
    """A number in (low, high] (above) or [low, high]."""
    value = section.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}.{key}: required")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key}: expected a number, found {value!r}")
    if (value <= low if above else value < low) or value > high:
        lo = f"> {low}" if above else f">= {low}"
        raise ConfigError(f"{where}.{key}: expected a number {lo} and <= {high}, found {value!r}")
    section[key] = value
    return value


def _ints(section, key, where, count, low, high, default=_MISSING):
    value = section.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}.{key}: required")
    if not isinstance(value, list) or len(value) != count or not all(
        isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in value
    ):
        raise ConfigError(f"{where}.{key}: expected {count} integers from {low} to {high}, found {value!r}")
    section[key] = list(value)
    return section[key]


def _nums(section, key, where, count, default, positive):
    value = section.get(key, default)
    if not isinstance(value, list) or len(value) != count or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and (v > 0 or not positive)
        for v in value
    ):
        kind = "numbers > 0" if positive else "numbers"
        raise ConfigError(f"{where}.{key}: expected {count} {kind}, found {value!r}")
    section[key] = list(value)
    return section[key]


def _choice(section, key, where, choices, default=_MISSING):
    value = section.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}.{key}: required")
    if value not in choices:
        raise ConfigError(f"{where}.{key}: expected one of {list(choices)}, found {value!r}")
    section[key] = value
    return value


def _object(config, key, where="config"):
    value = config.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.{key}: required object missing" if value is None else f"{where}.{key}: expected an object")
    return value


def _no_unknown(section, where, allowed):
    for key in section:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown field (allowed: {', '.join(allowed)})")


def _whole(value, what, where):
    """value must be a whole number (within WHOLE); returns it as an int."""
    n = round(value)
    if abs(value - n) > WHOLE:
        raise ConfigError(f"{where}: {what} = {value!r} is not a whole number")
    return int(n)


def conv_out(size, kernel, stride, padding):
    """Positions of a strided convolution along one axis (VMAS.md §3.3)."""
    return (size + 2 * padding - kernel) // stride + 1


def _video(v):
    _no_unknown(v, "video", ("fps", "height", "width", "mean", "std"))
    _num(v, "fps", "video", 0.01, 240, above=False)
    _int(v, "height", "video", 1, 4096)
    _int(v, "width", "video", 1, 4096)
    _nums(v, "mean", "video", 3, [0.45, 0.45, 0.45], positive=False)
    _nums(v, "std", "video", 3, [0.225, 0.225, 0.225], positive=True)


def _encoder(e, frames, video):
    where = "encoder"
    _no_unknown(e, where, ("embed_dim", "patch_kernel", "patch_stride", "patch_padding", "stages", "mlp_ratio",
                           "norm_eps"))
    c0 = _int(e, "embed_dim", where, 1, MAX_WIDTH)
    kernel = _ints(e, "patch_kernel", where, 3, 1, 4096, [3, 7, 7])
    stride = _ints(e, "patch_stride", where, 3, 1, 4096, [2, 4, 4])
    padding = _ints(e, "patch_padding", where, 3, 0, 4095, [1, 3, 3])
    for axis, (k, p) in enumerate(zip(kernel, padding)):
        if p >= k:
            raise ConfigError(f"encoder.patch_padding: entry {axis} is {p}, expected < patch_kernel's {k}")
    ratio = _num(e, "mlp_ratio", where, 0, 64, 4.0)
    _num(e, "norm_eps", where, 0, 1, 1e-6)
    sizes = (frames, video["height"], video["width"])
    names = ("frames per window (window_seconds × video.fps)", "video.height", "video.width")
    grid = []
    for axis in range(3):
        if sizes[axis] + 2 * padding[axis] < kernel[axis]:  # compared before dividing: no floor of a negative
            raise ConfigError(f"encoder.patch_kernel: {names[axis]} {sizes[axis]} is smaller than the patch "
                              f"(kernel {kernel[axis]}, padding {padding[axis]} on each side)")
        grid.append(conv_out(sizes[axis], kernel[axis], stride[axis], padding[axis]))

    stages = e.get("stages")
    if not isinstance(stages, list) or not 1 <= len(stages) <= MAX_STAGES:
        raise ConfigError(f"encoder.stages: expected a list of 1 to {MAX_STAGES} stage objects, found {stages!r}")
    for s, stage in enumerate(stages):
        w = f"encoder.stages[{s}]"
        if not isinstance(stage, dict):
            raise ConfigError(f"{w}: expected an object")
        kind = _choice(stage, "attention", w, ATTENTION_KINDS)
        allowed = ["depth", "heads", "attention"] + (["mask_unit"] if kind == "mask_unit" else []) + \
            (["pool"] if s > 0 else [])
        if s == 0 and "pool" in stage:
            raise ConfigError(f"{w}.pool: not allowed on the first stage (it has no previous grid to pool)")
        if kind == "global" and "mask_unit" in stage:
            raise ConfigError(f"{w}.mask_unit: only allowed with attention \"mask_unit\"")
        _no_unknown(stage, w, allowed)
        dim = c0 << s
        if dim > MAX_WIDTH:
            raise ConfigError(f"{w}: width embed_dim × 2^{s} = {dim} is more than {MAX_WIDTH}")
        _int(stage, "depth", w, 1, 1024)
        heads = _int(stage, "heads", w, 1, 1024)
        if dim % heads:
            raise ConfigError(f"{w}.heads: {heads} does not divide the stage's width {dim} (embed_dim × 2^{s})")
        if round(ratio * dim) < 1:
            raise ConfigError(f"encoder.mlp_ratio: {ratio} × {dim} rounds to an MLP of width 0")
        if s > 0:
            pool = _ints(stage, "pool", w, 3, 1, 4096)
            if pool[0] != 1:
                raise ConfigError(f"{w}.pool: the time entry must be 1 (pooling is spatial), found {pool!r}")
            if grid[1] % pool[1] or grid[2] % pool[2]:
                raise ConfigError(f"{w}.pool: {pool!r} does not divide the previous stage's grid "
                                  f"{grid[0]}×{grid[1]}×{grid[2]} (T'×H×W)")
            grid = [grid[0], grid[1] // pool[1], grid[2] // pool[2]]
        if kind == "mask_unit":
            unit = _ints(stage, "mask_unit", w, 3, 1, 4096)
            if any(g % m for g, m in zip(grid, unit)):
                raise ConfigError(f"{w}.mask_unit: {unit!r} does not divide the stage's grid "
                                  f"{grid[0]}×{grid[1]}×{grid[2]} (T'×H×W)")


def _decoder(d):
    where = "decoder"
    if "rel_buckets" in d or "rel_max_distance" in d:
        key = "rel_buckets" if "rel_buckets" in d else "rel_max_distance"
        raise ConfigError(f"decoder.{key}: not allowed (the music decoder's positions are sinusoidal, VMAS.md §6.3)")
    _no_unknown(d, where, ("d_model", "n_heads", "head_dim", "d_ff", "activation", "norm", "norm_eps",
                           "attention_scale", "layers", "codebooks", "codebook_size", "max_period"))
    dm = _int(d, "d_model", where, 4, 1 << 16)
    if dm % 2:
        raise ConfigError(f"decoder.d_model: expected an even number (cosine and sine halves, VMAS.md §6.3), found {dm}")
    h = _int(d, "n_heads", where, 1, 1024)
    if "head_dim" not in d and dm % h:
        raise ConfigError(f"decoder.head_dim: required when d_model ({dm}) is not a multiple of n_heads ({h})")
    dh = _int(d, "head_dim", where, 1, 4096, dm // h)
    _int(d, "d_ff", where, 1, 1 << 18)
    _choice(d, "activation", where, ("gelu", "relu", "geglu"), "gelu")
    _choice(d, "norm", where, ("layernorm", "rmsnorm"), "layernorm")
    _num(d, "norm_eps", where, 0, 1, 1e-6)
    _num(d, "attention_scale", where, 0, 1000, 1.0 / math.sqrt(dh))
    _int(d, "layers", where, 1, 1024)
    _int(d, "codebooks", where, 1, MAX_CODEBOOKS)
    _int(d, "codebook_size", where, 1, MAX_CODEBOOK_SIZE)
    _num(d, "max_period", where, 0, 1e6, 10000)


def resolve(raw):
    """Validate `raw` (a parsed config.json) and return it with defaults filled in."""
    if not isinstance(raw, dict):
        raise ConfigError("config: expected a JSON object")
    c = copy.deepcopy(raw)
    if c.get("format") != FORMAT:
        raise ConfigError(f"config.format: expected {FORMAT!r}, found {c.get('format')!r}")
    if not isinstance(c.get("name"), str):
        raise ConfigError("config.name: required string" if "name" not in c else "config.name: expected a string")
    _choice(c, "dtype", "config", tuple(DTYPES), "float32")
    rate = _int(c, "sample_rate", "config", 1, 192_000)
    window = _num(c, "window_seconds", "config", 0, 3600, 10)
    prompt = _num(c, "prompt_seconds", "config", 0, 3600, 2, above=False)
    if prompt >= window:
        raise ConfigError(f"config.prompt_seconds: expected < window_seconds ({window}), found {prompt}")
    _num(c, "temperature", "config", 0, 100, 1.0, above=False)
    _int(c, "top_k", "config", 0, MAX_CODEBOOK_SIZE, 250)
    _num(c, "guidance", "config", 0, 100, 3.0, above=False)

    video, encoder, decoder, codec = (_object(c, key) for key in ("video", "encoder", "decoder", "codec"))
    _video(video)
    frames = window * video["fps"]
    if frames > MAX_WINDOW_FRAMES:
        raise ConfigError(f"config.window_seconds: {window} s at video.fps {video['fps']} is more than "
                          f"{MAX_WINDOW_FRAMES} frames")
    frames = _whole(frames, f"window_seconds × video.fps = {window} × {video['fps']}", "config.window_seconds")
    _encoder(encoder, frames, video)
    _decoder(decoder)

    shared.resolve_codec(codec, extra=("levels", "codebook_size"))
    levels = _int(codec, "levels", "codec", 1, MAX_CODEBOOKS)
    size = _int(codec, "codebook_size", "codec", 1, MAX_CODEBOOK_SIZE)
    if decoder["codebooks"] != levels:
        raise ConfigError(f"decoder.codebooks: {decoder['codebooks']}, but the codec has {levels} levels "
                          f"(codec.levels; one codebook per level)")
    if decoder["codebook_size"] != size:
        raise ConfigError(f"decoder.codebook_size: {decoder['codebook_size']}, but the codec's codebooks hold "
                          f"{size} codes (codec.codebook_size)")
    hop = math.prod(codec["strides"])
    if rate % hop:
        raise ConfigError(f"codec.strides: sample_rate {rate} / hop {hop} (product of strides) is not a whole "
                          f"number of codec frames per second")
    frame_rate = rate // hop
    steps = window * frame_rate
    if steps > MAX_WINDOW_STEPS:
        raise ConfigError(f"config.window_seconds: {window} s at {frame_rate} codec frames per second is more than "
                          f"{MAX_WINDOW_STEPS} frames")
    _whole(steps, f"window_seconds × frame_rate = {window} × {frame_rate}", "config.window_seconds")
    _whole(prompt * frame_rate, f"prompt_seconds × frame_rate = {prompt} × {frame_rate}", "config.prompt_seconds")
    if CONTRASTIVE in c:
        _contrastive(_object(c, CONTRASTIVE))
    return c


def _contrastive(s):
    """The optional contrastive projections (VMAS.md §14.1): the width of the shared space."""
    _no_unknown(s, CONTRASTIVE, ("dim",))
    _int(s, "dim", CONTRASTIVE, 1, 1 << 16)


def has_contrastive(config):
    return CONTRASTIVE in config


def load(path):
    """Reads and resolves a config.json; errors name the file."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = json.load(f)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON: {e}") from None
    try:
        return resolve(raw)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def section_json(config, component):
    """The compact JSON stored in a file's __metadata__["config"] (SPEC §2.3 through VMAS.md §2)."""
    return json.dumps(config[SECTIONS[component]], separators=(",", ":"), sort_keys=True)


# ---------------------------------------------------------------- derived quantities (VMAS.md §1, §3.3, §5.1)

def hop(config):
    return math.prod(config["codec"]["strides"])


def frame_rate(config):
    """Codec frames per second, sample_rate / hop."""
    return config["sample_rate"] // hop(config)


def window_video_frames(config):
    """F, video frames per window."""
    return int(round(config["window_seconds"] * config["video"]["fps"]))


def window_frames(config):
    """Tw, codec frames per window."""
    return int(round(config["window_seconds"] * frame_rate(config)))


def prompt_frames(config):
    """Tp, codec frames a window after the first continues from."""
    return int(round(config["prompt_seconds"] * frame_rate(config)))


def patch_grid(config):
    """(T', H0, W0), the grid after the patch embedding."""
    e, v = config["encoder"], config["video"]
    sizes = (window_video_frames(config), v["height"], v["width"])
    return tuple(conv_out(n, k, s, p) for n, k, s, p in
                 zip(sizes, e["patch_kernel"], e["patch_stride"], e["patch_padding"]))


class Block:
    """One encoder block's shape: its stage, widths, grids and attention (VMAS.md §5.1, §6.2)."""

    def __init__(self, index, stage, transition, dim_in, dim, heads, attention, mask_unit, pool, grid_in, grid):
        self.index, self.stage, self.transition = index, stage, transition
        self.dim_in, self.dim, self.heads = dim_in, dim, heads
        self.attention, self.mask_unit, self.pool = attention, mask_unit, pool
        self.grid_in, self.grid = grid_in, grid  # (T', H, W) of the block's input and output rows

    @property
    def rows(self):
        return self.grid[0] * self.grid[1] * self.grid[2]


def blocks(config):
    """Every encoder block in order, numbered across stages."""
    e = config["encoder"]
    grid = patch_grid(config)
    out = []
    for s, stage in enumerate(e["stages"]):
        dim = e["embed_dim"] << s
        pool = tuple(stage.get("pool", (1, 1, 1)))
        new_grid = (grid[0], grid[1] // pool[1], grid[2] // pool[2])
        unit = tuple(stage["mask_unit"]) if stage["attention"] == "mask_unit" else new_grid
        for j in range(stage["depth"]):
            transition = s > 0 and j == 0
            out.append(Block(len(out), s, transition, dim >> 1 if transition else dim, dim, stage["heads"],
                             stage["attention"], unit, pool if transition else (1, 1, 1),
                             grid if transition else new_grid, new_grid))
        grid = new_grid
    return out


def mlp_width(config, dim):
    """round(mlp_ratio × dim), half to even (Python's round and .NET's Math.Round agree)."""
    return int(round(config["encoder"]["mlp_ratio"] * dim))


def final_width(config):
    """Dl, the last stage's width."""
    e = config["encoder"]
    return e["embed_dim"] << (len(e["stages"]) - 1)
