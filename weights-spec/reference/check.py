"""Validate a bundle against the contract (SPEC §2-§5).

    check.py DIR

Prints "ok" and exits 0, or prints one line per problem, each naming the file
and tensor with what was expected and what was found, and exits 1.
"""

import json
import os
import sys

import numpy as np

import config as config_mod
import layout
import safetensors_io


def check_component(folder, config, component, errors, section_name=None):
    """section_name: the config.json section the file's metadata `config` must equal (the component's own by
    default; the codec's for codec_encoder, whose layout follows from it)."""
    section_name = section_name or component
    path = os.path.join(folder, f"{component}.safetensors")
    if not os.path.isfile(path):
        errors.append(f"{path}: missing")
        return
    try:
        infos, metadata, _ = safetensors_io.read_header(path)
    except safetensors_io.SafetensorsError as e:
        errors.append(str(e))
        return

    for key, expected in (("format", config_mod.FORMAT), ("component", component)):
        if metadata.get(key) != expected:
            errors.append(f"{path}: __metadata__ '{key}': expected {expected!r}, found {metadata.get(key)!r}")
    if "config" not in metadata:
        errors.append(f"{path}: __metadata__ 'config': missing")
    else:
        try:
            section = json.loads(metadata["config"])
            # Compare after defaults, so an explicit default equals an omitted one.
            probe = dict(config)
            probe[section_name] = section
            resolved = config_mod.resolve(probe)[section_name]
        except (json.JSONDecodeError, config_mod.ConfigError) as e:
            errors.append(f"{path}: __metadata__ 'config': not a valid {section_name} section: {e}")
        else:
            if resolved != config[section_name]:
                errors.append(
                    f"{path}: __metadata__ 'config': expected {config_mod.section_json(config, section_name)}, "
                    f"found {metadata['config']}"
                )

    want_dtype = config_mod.DTYPES[config["dtype"]]
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
            if not np.all(np.isfinite(tensors[name])):
                errors.append(f"{path}: tensor '{name}': contains NaN or infinity")


def check(folder):
    """Returns the list of problems (empty when the bundle is valid)."""
    path = os.path.join(folder, "config.json")
    if not os.path.isfile(path):
        return [f"{path}: missing"]
    try:
        config = config_mod.load(path)
    except config_mod.ConfigError as e:
        return [f"{path}: {e}"]
    errors = []
    for component in config_mod.COMPONENTS:
        check_component(folder, config, component, errors)
    # The codec's encoder is optional (SPEC §9.3): checked when its file is there.
    if os.path.exists(os.path.join(folder, f"{config_mod.CODEC_ENCODER}.safetensors")):
        check_component(folder, config, config_mod.CODEC_ENCODER, errors, section_name="codec")
    return errors


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: check.py DIR", file=sys.stderr)
        return 2
    errors = check(argv[0])
    if errors:
        for e in errors:
            print(e)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
