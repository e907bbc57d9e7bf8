"""config.json: defaults, validation and derived quantities (SPEC §3).

`resolve` returns a full copy of the config with every default written out,
or raises ConfigError naming the field. Unknown keys inside the known sections
are errors (they are usually typos); unknown top-level keys are optional
components and are kept untouched.
"""

import copy
import json
import math
import re

FORMAT = "v2meow/1"
DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}
COMPONENTS = ("stage1", "stage2", "stage3", "codec")
# The optional component holding the codec's encoder (SPEC §9.3): present when its file is, no config.json key.
CODEC_ENCODER = "codec_encoder"
CODEC_KINDS = ("soundstream", "encodec")
KNOWN_TOP = ("format", "name", "dtype", "rates", "tokens", "windows", "temperatures") + COMPONENTS

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ConfigError(Exception):
    pass


_MISSING = object()


# SPEC §3's upper bounds, the same the runtime's reader (BundleConfigReader) enforces: a config outside them
# is refused here too, so the reference never exports a bundle the runtime would reject. Keyed by
# "section.field", or by the field alone for the fields every stage or stream has.
_MAXIMUM = {
    "rates.video_fps": 240, "rates.semantic_hz": 1000, "rates.acoustic_hz": 10_000, "rates.sample_rate": 384_000,
    "tokens.semantic_codes": 1 << 20, "tokens.codebook_size": 1 << 16, "tokens.coarse_levels": 64,
    "tokens.fine_levels": 64,
    "windows.stage1_seconds": 3600, "windows.stage2_seconds": 3600, "windows.stage3_seconds": 3600,
    "temperatures.stage1": 100, "temperatures.stage2": 100, "temperatures.stage3": 100,
    "codec.codebook_dim": 1 << 16, "codec.latent_dim": 1 << 16, "codec.kernel_size": 4096,
    "codec.lstm_layers": 16, "codec.residual_kernel_size": 4096, "codec.compress": 1 << 16,
}
_FIELD_MAXIMUM = {
    "d_model": 1 << 16, "n_heads": 1024, "head_dim": 4096, "rel_buckets": 1024, "rel_max_distance": 1 << 16,
    "d_ff": 1 << 18, "norm_eps": 1, "attention_scale": 1000, "encoder_layers": 1024, "decoder_layers": 1024,
    "style_dim": 1 << 16, "dim": 1 << 20, "vocab": 1 << 24, "tokens_per_frame": 4096,
    "min_period": 1e6, "max_period": 1e6,
}
# Rates must be at least this: a rate of 1e-300 would make every window empty.
_MINIMUM = {"rates.video_fps": 0.01, "rates.semantic_hz": 0.01, "rates.acoustic_hz": 0.01}
MAX_WINDOW_STEPS = 1 << 20
MAX_HOP = 1 << 20


def _maximum(where, key):
    return _MAXIMUM.get(f"{where}.{key}", _FIELD_MAXIMUM.get(key))


def _int(section, key, where, minimum, default=_MISSING):
    value = section.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}.{key}: required")
    maximum = _maximum(where, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where}.{key}: expected an integer >= {minimum}, found {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{where}.{key}: expected an integer from {minimum} to {maximum}, found {value!r}")
    section[key] = value
    return value


def _num(section, key, where, default=_MISSING, positive=True):
    value = section.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}.{key}: required")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key}: expected a number, found {value!r}")
    if positive and value <= 0:
        raise ConfigError(f"{where}.{key}: expected a number > 0, found {value!r}")
    if not positive and value < 0:
        raise ConfigError(f"{where}.{key}: expected a number >= 0, found {value!r}")
    low, high = _MINIMUM.get(f"{where}.{key}"), _maximum(where, key)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{where}.{key}: expected a number from {low if low is not None else 0} to {high}, found {value!r}")
    section[key] = value
    return value


def _choice(section, key, where, choices, default=_MISSING):
    value = section.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"{where}.{key}: required")
    if value not in choices:
        raise ConfigError(f"{where}.{key}: expected one of {list(choices)}, found {value!r}")
    section[key] = value
    return value


def _bool(section, key, where, default):
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected true or false, found {value!r}")
    section[key] = value
    return value


def _section(config, key, where="config"):
    value = config.get(key)
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}.{key}: expected an object")
    config[key] = value
    return value


def _no_unknown(section, where, allowed):
    for key in section:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown field (allowed: {', '.join(allowed)})")


TRANSFORMER_FIELDS = (
    "d_model", "n_heads", "head_dim", "d_ff", "activation", "norm", "norm_eps",
    "rel_buckets", "rel_max_distance", "attention_scale",
)


def _transformer(section, where):
    d = _int(section, "d_model", where, 1)
    h = _int(section, "n_heads", where, 1)
    if "head_dim" not in section and d % h != 0:
        raise ConfigError(f"{where}.head_dim: required when d_model ({d}) is not a multiple of n_heads ({h})")
    dh = _int(section, "head_dim", where, 1, d // h)
    _int(section, "d_ff", where, 1)
    _choice(section, "activation", where, ("gelu", "relu", "geglu"), "gelu")
    _choice(section, "norm", where, ("layernorm", "rmsnorm"), "layernorm")
    _num(section, "norm_eps", where, 1e-6)
    buckets = _int(section, "rel_buckets", where, 4, 32)
    if buckets % 2:
        raise ConfigError(f"{where}.rel_buckets: expected an even number, found {buckets}")
    dist = _int(section, "rel_max_distance", where, 1, 128)
    if dist <= buckets // 2:
        # The log-spaced range needs max_distance > max_exact for every stack kind.
        raise ConfigError(f"{where}.rel_max_distance: expected > rel_buckets/2 = {buckets // 2}, found {dist}")
    _num(section, "attention_scale", where, 1.0 / math.sqrt(dh))


def _streams(section, where):
    streams = section.get("streams")
    if not isinstance(streams, list) or not streams:
        raise ConfigError(f"{where}.streams: expected a non-empty list")
    seen = set()
    for i, s in enumerate(streams):
        w = f"{where}.streams[{i}]"
        if not isinstance(s, dict):
            raise ConfigError(f"{w}: expected an object")
        name = s.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{w}.name: expected [A-Za-z][A-Za-z0-9_]*, found {name!r}")
        if name in seen:
            raise ConfigError(f"{w}.name: duplicate stream name {name!r}")
        seen.add(name)
        kind = _choice(s, "kind", w, ("dense", "tokens"))
        if kind == "dense":
            _no_unknown(s, w, ("name", "kind", "dim"))
            _int(s, "dim", w, 1)
        else:
            _no_unknown(s, w, ("name", "kind", "vocab", "tokens_per_frame"))
            _int(s, "vocab", w, 1)
            _int(s, "tokens_per_frame", w, 1, 1)
    _int(section, "style_dim", where, 0, 0)


def _time_embedding(section, where):
    """stage1.time_embedding (SPEC §6.8): null, or the shortest and longest sinusoid periods in seconds."""
    spec = section.get("time_embedding")
    if spec is None:
        return  # absent stays absent, so older bundles' stored configs still match (check.py)
    w = f"{where}.time_embedding"
    if not isinstance(spec, dict):
        raise ConfigError(f"{w}: expected null or an object with min_period and max_period")
    _no_unknown(spec, w, ("min_period", "max_period"))
    low, high = _num(spec, "min_period", w), _num(spec, "max_period", w)
    if high <= low:
        raise ConfigError(f"{w}.max_period: expected > min_period ({low}), found {high}")
    if section["d_model"] % 2:
        raise ConfigError(f"{w}: needs an even d_model (sine and cosine pairs), found {section['d_model']}")


def resolve(raw):
    """Validate `raw` (a parsed config.json) and return it with defaults filled in."""
    if not isinstance(raw, dict):
        raise ConfigError("config: expected a JSON object")
    c = copy.deepcopy(raw)
    if c.get("format") != FORMAT:
        raise ConfigError(f"config.format: expected {FORMAT!r}, found {c.get('format')!r}")
    if not isinstance(c.get("name", ""), str):
        raise ConfigError("config.name: expected a string")
    c.setdefault("name", "")
    _choice(c, "dtype", "config", tuple(DTYPES), "float32")

    rates = _section(c, "rates")
    _no_unknown(rates, "rates", ("video_fps", "semantic_hz", "acoustic_hz", "sample_rate"))
    _num(rates, "video_fps", "rates", 1)
    _num(rates, "semantic_hz", "rates", 25)
    _num(rates, "acoustic_hz", "rates", 50)
    _int(rates, "sample_rate", "rates", 1, 16000)

    tokens = _section(c, "tokens")
    _no_unknown(tokens, "tokens", ("semantic_codes", "codebook_size", "coarse_levels", "fine_levels"))
    _int(tokens, "semantic_codes", "tokens", 1, 1024)
    _int(tokens, "codebook_size", "tokens", 1, 1024)
    _int(tokens, "coarse_levels", "tokens", 1, 4)
    _int(tokens, "fine_levels", "tokens", 1, 8)

    windows = _section(c, "windows")
    _no_unknown(windows, "windows", ("stage1_seconds", "stage2_seconds", "stage3_seconds"))
    _num(windows, "stage1_seconds", "windows", 10)
    _num(windows, "stage2_seconds", "windows", 10)
    _num(windows, "stage3_seconds", "windows", 3)

    temps = _section(c, "temperatures")
    _no_unknown(temps, "temperatures", ("stage1", "stage2", "stage3"))
    _num(temps, "stage1", "temperatures", 1.0, positive=False)
    _num(temps, "stage2", "temperatures", 0.95, positive=False)
    _num(temps, "stage3", "temperatures", 0.4, positive=False)

    for key in COMPONENTS:
        if not isinstance(c.get(key), dict):
            raise ConfigError(f"config.{key}: required object missing")

    s1 = c["stage1"]
    _no_unknown(s1, "stage1", TRANSFORMER_FIELDS + ("encoder_layers", "decoder_layers", "streams", "style_dim", "time_embedding"))
    _transformer(s1, "stage1")
    _int(s1, "encoder_layers", "stage1", 1)
    _int(s1, "decoder_layers", "stage1", 1)
    _streams(s1, "stage1")
    _time_embedding(s1, "stage1")

    s2 = c["stage2"]
    variant = _choice(s2, "variant", "stage2", ("decoder_only", "encoder_decoder"), "decoder_only")
    if variant == "decoder_only":
        _no_unknown(s2, "stage2", TRANSFORMER_FIELDS + ("variant", "layout", "decoder_layers"))
    else:
        _no_unknown(s2, "stage2", TRANSFORMER_FIELDS + ("variant", "layout", "encoder_layers", "decoder_layers", "streams", "style_dim"))
        _int(s2, "encoder_layers", "stage2", 1)
        _streams(s2, "stage2")
    _transformer(s2, "stage2")
    _int(s2, "decoder_layers", "stage2", 1)
    layout = _choice(s2, "layout", "stage2", ("prefix", "interleaved"), "prefix")
    if layout == "interleaved":
        ratio = rates["acoustic_hz"] / rates["semantic_hz"]
        if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
            raise ConfigError(f"stage2.layout: \"interleaved\" needs rates.acoustic_hz / rates.semantic_hz to be a whole "
                              f"number >= 1, found {rates['acoustic_hz']} / {rates['semantic_hz']}")

    s3 = c["stage3"]
    _no_unknown(s3, "stage3", TRANSFORMER_FIELDS + ("decoder_layers",))
    _transformer(s3, "stage3")
    _int(s3, "decoder_layers", "stage3", 1)

    strides = resolve_codec(c["codec"])["strides"]
    hop = math.prod(strides)
    if rates["acoustic_hz"] * hop != rates["sample_rate"]:
        raise ConfigError(
            f"codec.strides: hop {hop} (product of strides) times rates.acoustic_hz "
            f"{rates['acoustic_hz']} must equal rates.sample_rate {rates['sample_rate']}"
        )
    for stage, hz_keys in (("stage1", ("video_fps", "semantic_hz")), ("stage2", ("semantic_hz", "acoustic_hz")),
                           ("stage3", ("acoustic_hz",))):
        seconds = windows[f"{stage}_seconds"]
        for hz in hz_keys:
            n = seconds * rates[hz]
            if n > MAX_WINDOW_STEPS:
                raise ConfigError(f"windows.{stage}_seconds: {seconds} s at rates.{hz} {rates[hz]} is more than {MAX_WINDOW_STEPS} steps")
            if abs(n - round(n)) > 1e-9:
                raise ConfigError(f"windows.{stage}_seconds: {seconds} s at rates.{hz} {rates[hz]} is not a whole number of steps")
    return c


# Fields only the "encodec" kind has (VMAS.md §9), with their defaults.
ENCODEC_FIELDS = {"lstm_layers": 2, "residual_kernel_size": 3, "compress": 2}
CODEC_FIELDS = ("kind", "codebook_dim", "latent_dim", "out_proj", "channels", "strides", "kernel_size",
                "residual_dilations", "padding", "activation")


def resolve_codec(codec, extra=()):
    """Validates a codec section in place (SPEC §3.10, VMAS.md §9) and fills in its defaults.

    `extra` names fields a model family adds and checks itself (vmas/1's levels and codebook_size).
    """
    kind = codec.get("kind", CODEC_KINDS[0])
    if kind not in CODEC_KINDS:
        raise ConfigError(f"codec.kind: expected one of {list(CODEC_KINDS)}, found {codec.get('kind')!r}")
    if kind == "soundstream":
        for key in ENCODEC_FIELDS:
            if key in codec:
                raise ConfigError(f"codec.{key}: only allowed with kind \"encodec\" (VMAS.md §9), found kind {kind!r}")
    _no_unknown(codec, "codec", CODEC_FIELDS + (tuple(ENCODEC_FIELDS) if kind == "encodec" else ()) + tuple(extra))
    dim = _int(codec, "codebook_dim", "codec", 1)
    latent = _int(codec, "latent_dim", "codec", 1, dim)
    explicit = codec.get("out_proj")
    if latent != dim and explicit is False:
        raise ConfigError(f"codec.out_proj: false, but latent_dim {latent} != codebook_dim {dim} needs the projection")
    _bool(codec, "out_proj", "codec", latent != dim)
    if latent != dim:
        codec["out_proj"] = True
    strides = codec.get("strides")
    if not isinstance(strides, list) or not strides or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in strides
    ):
        raise ConfigError(f"codec.strides: expected a non-empty list of integers >= 1, found {strides!r}")
    if len(strides) > 32 or max(strides) > 4096:
        raise ConfigError(f"codec.strides: expected 1 to 32 integers, each 1 to 4096, found {strides!r}")
    channels = codec.get("channels")
    if not isinstance(channels, list) or len(channels) != len(strides) + 1 or not all(
        isinstance(ch, int) and not isinstance(ch, bool) and ch >= 1 for ch in channels
    ):
        raise ConfigError(
            f"codec.channels: expected {len(strides) + 1} integers >= 1 (one more than strides), found {channels!r}"
        )
    if max(channels) > 1 << 16:
        raise ConfigError(f"codec.channels: expected integers from 1 to 65536, found {channels!r}")
    _int(codec, "kernel_size", "codec", 1, 7)
    dil = codec.setdefault("residual_dilations", [1, 3, 9])
    if not isinstance(dil, list) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in dil):
        raise ConfigError(f"codec.residual_dilations: expected a list of integers >= 1, found {dil!r}")
    if len(dil) > 64 or any(x > 1 << 16 for x in dil):
        raise ConfigError(f"codec.residual_dilations: expected at most 64 integers, each 1 to 65536, found {dil!r}")
    _choice(codec, "padding", "codec", ("causal", "centred"), "causal")
    _choice(codec, "activation", "codec", ("elu", "snake"), "elu")

    if kind == "encodec":
        _int(codec, "lstm_layers", "codec", 0, ENCODEC_FIELDS["lstm_layers"])
        _int(codec, "residual_kernel_size", "codec", 1, ENCODEC_FIELDS["residual_kernel_size"])
        compress = _int(codec, "compress", "codec", 1, ENCODEC_FIELDS["compress"])
        for ch in channels[1:]:
            if ch % compress:
                raise ConfigError(f"codec.compress: {compress} does not divide channels {channels[1:]} "
                                  f"(residual units are C_(b+1) / compress wide)")
    hop = math.prod(strides)
    if hop > MAX_HOP:
        raise ConfigError(f"codec.strides: hop {hop} (product of strides) is more than {MAX_HOP}")
    return codec


def load(path):
    with open(path, "r", encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid JSON: {e}") from None
    return resolve(raw)


def section_json(config, component):
    """The compact JSON stored in each file's __metadata__["config"] (SPEC §2.2)."""
    return json.dumps(config[component], separators=(",", ":"), sort_keys=True)


# Derived quantities (SPEC §4, §6).

def hop(config):
    return math.prod(config["codec"]["strides"])


def total_levels(config):
    t = config["tokens"]
    return t["coarse_levels"] + t["fine_levels"]


def vocab_size(config, stage):
    t = config["tokens"]
    s, k, c = t["semantic_codes"], t["codebook_size"], t["coarse_levels"]
    if stage == "stage1":
        return s + 1
    if stage == "stage2":
        return s + 1 + c * k
    if stage == "stage3":
        return total_levels(config) * k + 1
    raise ValueError(stage)


def frames_per_semantic(config):
    """Acoustic frames per semantic token, r; a whole number when stage2.layout is "interleaved" (SPEC §7.2)."""
    r = config["rates"]
    return int(round(r["acoustic_hz"] / r["semantic_hz"]))


def has_encoder(config, stage):
    return stage == "stage1" or (stage == "stage2" and config["stage2"]["variant"] == "encoder_decoder")
