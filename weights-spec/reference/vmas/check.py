"""Validate a vmas/1 bundle against the contract (VMAS.md §2-§5, §9).

    python3 -m vmas.check DIR

Prints "ok" and exits 0, or prints one line per problem, each naming the file and tensor with what was
expected and what was found, and exits 1.
"""

import json
import os
import sys

import numpy as np

import safetensors_io
from config import DTYPES, ConfigError

from . import config as vconfig
from . import layout


def check_component(folder, config, component, errors):
    path = os.path.join(folder, f"{component}.safetensors")
    if not os.path.isfile(path):
        errors.append(f"{path}: missing")
        return
    try:
        infos, metadata, _ = safetensors_io.read_header(path)
    except safetensors_io.SafetensorsError as e:
        errors.append(str(e))
        return

    for key, expected in (("format", vconfig.FORMAT), ("component", component)):
        if metadata.get(key) != expected:
            errors.append(f"{path}: __metadata__ '{key}': expected {expected!r}, found {metadata.get(key)!r}")
    section = vconfig.SECTIONS[component]
    if "config" not in metadata:
        errors.append(f"{path}: __metadata__ 'config': missing")
    else:
        try:
            # Compare after defaults, so an explicit default equals an omitted one.
            probe = dict(config)
            probe[section] = json.loads(metadata["config"])
            resolved = vconfig.resolve(probe)[section]
        except (json.JSONDecodeError, ConfigError) as e:
            errors.append(f"{path}: __metadata__ 'config': not a valid {section} section: {e}")
        else:
            if resolved != config[section]:
                errors.append(f"{path}: __metadata__ 'config': expected {vconfig.section_json(config, component)}, "
                              f"found {metadata['config']}")

    want_dtype = DTYPES[config["dtype"]]
    expected = layout.component_tensors(config, component)
    for name, shape in expected.items():
        info = infos.get(name)
        if info is None:
            errors.append(f"{path}: tensor '{name}': missing, expected {list(shape)} {want_dtype}")
            continue
        if info.shape != tuple(shape):
            errors.append(f"{path}: tensor '{name}': expected {list(shape)}, found {list(info.shape)}")
        if info.dtype != want_dtype:
            errors.append(f"{path}: tensor '{name}': expected dtype {want_dtype} (config dtype "
                          f"{config['dtype']}), found {info.dtype}")
    for name in infos:
        if name not in expected:
            errors.append(f"{path}: tensor '{name}': unexpected (not in the layout for this config)")

    if not any(e.startswith(path) for e in errors):
        tensors, _, _ = safetensors_io.read_f32(path)
        for name in expected:
            bad = np.flatnonzero(~np.isfinite(tensors[name]))
            if bad.size:
                errors.append(f"{path}: tensor '{name}': element {int(bad[0])} is {tensors[name].flat[bad[0]]} "
                              f"(weights must be finite)")


def check(folder):
    """Returns the list of problems (empty when the bundle is valid)."""
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        return [f"{path}: missing"]
    try:
        config = vconfig.load(path)
    except ConfigError as e:
        return [str(e)]
    errors = []
    for component in vconfig.COMPONENTS:
        check_component(folder, config, component, errors)
    # The codec's optional encoder (SPEC §9.3): checked when its file is there.
    if os.path.exists(os.path.join(folder, "codec_encoder.safetensors")):
        check_component(folder, config, "codec_encoder", errors)
    # The contrastive projections (VMAS.md §14): required when config.json names them.
    if vconfig.has_contrastive(config):
        check_component(folder, config, vconfig.CONTRASTIVE, errors)
    return errors


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 -m vmas.check DIR", file=sys.stderr)
        return 2
    errors = check(argv[0])
    for e in errors:
        print(e)
    if errors:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
