"""Compare a freshly generated golden tree with the committed one.

    compare_goldens.py FRESH_DIR COMMITTED_DIR

Bundles must match bit for bit (export is pure numpy, seeded). Golden files
must have the same names, dtypes, shapes and metadata; integer tensors must
be equal and float tensors within 1e-6 relative (floor 1: values are O(1)),
which absorbs a different BLAS or torch version summing in another order.
Exits 1 listing every difference.
"""

import json
import os
import sys

import numpy as np

import safetensors_io

RELATIVE = 1e-6


def compare_file(fresh, committed, exact, errors):
    if not os.path.isfile(committed):
        errors.append(f"{committed}: missing (regenerate with make_goldens.sh)")
        return
    a, a_dtypes, a_meta = safetensors_io.read(fresh)
    b, b_dtypes, b_meta = safetensors_io.read(committed)
    if a_meta != b_meta:
        errors.append(f"{committed}: __metadata__ differs")
    for name in sorted(set(a) | set(b)):
        if name not in b:
            errors.append(f"{committed}: tensor '{name}': missing")
            continue
        if name not in a:
            errors.append(f"{committed}: tensor '{name}': no longer generated")
            continue
        if a_dtypes[name] != b_dtypes[name] or a[name].shape != b[name].shape:
            errors.append(
                f"{committed}: tensor '{name}': expected {a_dtypes[name]} {list(a[name].shape)}, "
                f"found {b_dtypes[name]} {list(b[name].shape)}"
            )
            continue
        if exact or a[name].dtype.kind != "f":
            if a[name].tobytes() != b[name].tobytes():
                errors.append(f"{committed}: tensor '{name}': values differ")
            continue
        x, y = a[name].astype(np.float64), b[name].astype(np.float64)
        excess = np.abs(x - y) - RELATIVE * np.maximum(np.abs(y), 1.0)
        if np.any(excess > 0):
            i = int(np.argmax(excess))
            errors.append(
                f"{committed}: tensor '{name}': element {i} is {y.flat[i]!r}, regenerated {x.flat[i]!r}"
            )


def compare_tree(fresh_root, committed_root):
    errors = []
    for set_name in sorted(os.listdir(fresh_root)):
        fresh, committed = os.path.join(fresh_root, set_name), os.path.join(committed_root, set_name)
        with open(os.path.join(fresh, "bundle", "config.json")) as f:
            want = json.load(f)
        try:
            with open(os.path.join(committed, "bundle", "config.json")) as f:
                have = json.load(f)
            if want != have:
                errors.append(f"{committed}/bundle/config.json: differs")
        except FileNotFoundError:
            errors.append(f"{committed}/bundle/config.json: missing")
        for component in sorted(os.listdir(os.path.join(fresh, "bundle"))):
            if component.endswith(".safetensors"):
                compare_file(os.path.join(fresh, "bundle", component),
                             os.path.join(committed, "bundle", component), True, errors)
        compare_file(os.path.join(fresh, "golden.safetensors"),
                     os.path.join(committed, "golden.safetensors"), False, errors)
    return errors


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: compare_goldens.py FRESH_DIR COMMITTED_DIR", file=sys.stderr)
        return 2
    errors = compare_tree(*argv)
    for e in errors:
        print(e)
    if errors:
        print("goldens are stale: run weights-spec/reference/make_goldens.sh")
        return 1
    print("goldens up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
