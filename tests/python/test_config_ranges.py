"""The reference's config reader refuses what SPEC §3's ranges refuse, as the runtime's reader does, so the
reference never exports a bundle the runtime would reject (and the two readers stay twins)."""

import copy
import glob
import json
import os

import pytest

import config as config_mod

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "weights-spec", "examples")


def tiny():
    with open(os.path.join(EXAMPLES, "tiny.json")) as f:
        return json.load(f)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(EXAMPLES, "*.json"))))
def test_every_example_config_is_inside_the_ranges(path):
    with open(path) as f:
        raw = json.load(f)
    if raw.get("format") == "vmas/1":  # the VMAs family's reader (VMAS.md §3)
        from vmas import config as vmas_config

        vmas_config.resolve(raw)
    else:
        config_mod.resolve(raw)


# The hostile configs, and one past each end of a few ranges: (path into the config, value, field named).
CASES = [
    (("windows", "stage1_seconds"), 1e9, "windows.stage1_seconds"),
    (("stage3", "rel_max_distance"), 2147483647, "stage3.rel_max_distance"),
    (("stage3", "rel_max_distance"), 10 ** 8, "stage3.rel_max_distance"),
    (("stage1", "encoder_layers"), 2147483647, "stage1.encoder_layers"),
    (("rates", "video_fps"), 1e6, "rates.video_fps"),
    (("rates", "video_fps"), 1e-300, "rates.video_fps"),
    (("tokens", "semantic_codes"), 2 ** 31 - 1, "tokens.semantic_codes"),
    (("codec", "strides"), [64, 67108869], "codec.strides"),
    (("codec", "residual_dilations"), [1] * 65, "codec.residual_dilations"),
    (("temperatures", "stage2"), 101, "temperatures.stage2"),
    (("stage2", "d_ff"), (1 << 18) + 1, "stage2.d_ff"),
]


@pytest.mark.parametrize("where,value,field", CASES, ids=[c[2] + "=" + repr(c[1])[:12] for c in CASES])
def test_a_value_outside_its_range_is_refused_by_name(where, value, field):
    raw = copy.deepcopy(tiny())
    section = raw
    for key in where[:-1]:
        section = section.setdefault(key, {})
    section[where[-1]] = value
    with pytest.raises(config_mod.ConfigError, match=field.replace(".", r"\.")):
        config_mod.resolve(raw)
