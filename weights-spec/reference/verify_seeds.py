"""Runs `v2meow verify` on fresh seeds of the example configs, on both CPU-side backends (SPEC §10).

    verify_seeds.py [--seeds N] [--first-seed S] [--configs tiny,odd,...] [--devices cpu,ilgpu-cpu]
                    [--work DIR] [--log FILE]

For each config in weights-spec/examples/ (or those named) and each k in 0..N-1 it exports a bundle with
seed S + k, writes its golden (float32 and float64 evaluations) with golden seed S + 50000 + k, and runs
`v2meow verify BUNDLE GOLDEN --device D` for each device. The committed goldens use seeds 1-3 and
101-103; the default S = 7000 is far from them. Each bundle is deleted once verified (paper-size bundles
are gigabytes).

The log (markdown) holds, per config and per tensor, the worst ratio of the runtime's error against float64
to PyTorch-f32's over all seeds, per device, the worst runtime error as a fraction of its limit, and the
number of failing runs; then one line per verify run. Exits 1 if any run failed.
"""

import argparse
import collections
import datetime
import math
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(REPO, "weights-spec", "examples")
PYTHON = os.environ.get("PYTHON", "/usr/bin/python3")

# "ok   stage1.logits   [37, 257]   2.80E-7   3.88E-7   0.72   1.6E-6" (TensorComparison.ToString)
FLOAT_LINE = re.compile(r"^(ok  |FAIL) (\S+)\s+(\[[^\]]*\])\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")
INTEGER_LINE = re.compile(r"^(ok  |FAIL) (\S+)\s+(\[[^\]]*\])\s+(exact|.* of entries differ.*)$")


def number(text):
    return {"-": math.nan, "inf": math.inf}[text] if text in ("-", "inf") else float(text)


def run(args, **kwargs):
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, **kwargs)


def cli():
    """The built CLI (built by ./v2meow on first use)."""
    dll = os.path.join(REPO, "runtime", "V2Meow.Cli", "bin", "Release", "net10.0", "v2meow.dll")
    if not os.path.isfile(dll):
        subprocess.run(["dotnet", "build", "runtime/V2Meow.Cli", "-c", "Release", "-v", "quiet", "-nologo"], cwd=REPO, check=True)
    return ["dotnet", dll]


def make_set(config, seed, golden_seed, folder):
    """Exports the bundle and writes its golden; returns (seconds, error text or None)."""
    start = time.monotonic()
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    bundle = os.path.join(folder, "bundle")
    for step in (
        [PYTHON, os.path.join(HERE, "export.py"), "--config", os.path.join(EXAMPLES, config + ".json"),
         "--seed", str(seed), "--out", bundle],
        [PYTHON, os.path.join(HERE, "golden.py"), "--bundle", bundle, "--seed", str(golden_seed),
         "--out", os.path.join(folder, "golden.safetensors")],
    ):
        r = run(step)
        if r.returncode != 0:
            return time.monotonic() - start, (r.stderr or r.stdout).strip().splitlines()[-1:]
    return time.monotonic() - start, None


def verify(folder, device):
    """Runs verify; returns (exit code, seconds, {tensor: (pass, runtime, torch, ratio, limit)}, last line)."""
    start = time.monotonic()
    r = run(cli() + ["verify", os.path.join(folder, "bundle"), os.path.join(folder, "golden.safetensors"),
                     "--device", device])
    seconds = time.monotonic() - start
    tensors = {}
    for line in r.stdout.splitlines():
        m = FLOAT_LINE.match(line)
        if m:
            try:
                tensors[m.group(2)] = (m.group(1) == "ok  ",) + tuple(number(g) for g in m.group(4, 5, 6, 7))
                continue
            except ValueError:
                pass
        m = INTEGER_LINE.match(line)
        if m:
            tensors[m.group(2)] = (m.group(1) == "ok  ", None, None, None, None)
    lines = (r.stdout + r.stderr).strip().splitlines()
    return r.returncode, seconds, tensors, lines[-1] if lines else ""


def worst(values):
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return max(finite) if finite else math.nan


def fmt(v, spec):
    return "-" if v is None or math.isnan(v) else "inf" if math.isinf(v) else format(v, spec)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--first-seed", type=int, default=7000)
    p.add_argument("--configs", default=",".join(sorted(f[:-5] for f in os.listdir(EXAMPLES) if f.endswith(".json"))))
    p.add_argument("--devices", default="cpu,ilgpu-cpu")
    p.add_argument("--work", default=None, help="scratch folder (default: a temp dir, removed)")
    p.add_argument("--log", default=os.path.join(HERE, "verify_seeds.log"))
    args = p.parse_args(argv)
    configs, devices = args.configs.split(","), args.devices.split(",")

    import tempfile
    work = args.work or tempfile.mkdtemp(prefix="verify_seeds.")
    runs = []  # (config, seed, golden_seed, device, code, seconds, last line)
    # (config, tensor) -> device -> list of (pass, runtime, torch, ratio, limit)
    results = collections.defaultdict(lambda: collections.defaultdict(list))
    order = collections.defaultdict(list)
    started = datetime.datetime.now(datetime.timezone.utc)
    for config in configs:
        for k in range(args.seeds):
            seed, golden_seed = args.first_seed + k, args.first_seed + 50000 + k
            folder = os.path.join(work, f"{config}.{seed}")
            seconds, error = make_set(config, seed, golden_seed, folder)
            if error:
                runs.append((config, seed, golden_seed, "-", "export", seconds, " ".join(error)))
                print(f"{config} seed {seed}: export failed: {error}", flush=True)
                continue
            for device in devices:
                code, seconds, tensors, last = verify(folder, device)
                runs.append((config, seed, golden_seed, device, code, seconds, last))
                for name, value in tensors.items():
                    if name not in order[config]:
                        order[config].append(name)
                    results[(config, name)][device].append(value)
                print(f"{config} seed {seed} {device}: exit {code} in {seconds:.1f} s: {last}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)

    failed = [r for r in runs if r[4] != 0]
    out = [
        f"# v2meow verify on fresh seeds ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"weights-spec/reference/verify_seeds.py --seeds {args.seeds} --first-seed {args.first_seed} "
        f"--configs {args.configs} --devices {args.devices}",
        f"commit {run(['git', 'rev-parse', '--short', 'HEAD']).stdout.strip()}; export seeds {args.first_seed}.."
        f"{args.first_seed + args.seeds - 1}, golden seeds {args.first_seed + 50000}..{args.first_seed + 50000 + args.seeds - 1}",
        "",
        f"{len(runs)} verify runs, {len(runs) - len(failed)} passed, {len(failed)} failed.",
        "",
        "Per tensor, over all seeds: `ratio` is the worst runtime error / PyTorch-f32 error (both against float64),",
        "`of limit` the worst runtime error / its limit (fails above 1), `torch` the worst PyTorch-f32 error,",
        "`fail` the runs in which the tensor failed. Integer tensors (ids, buckets, codes) are exact or fail.",
        "",
    ]
    for config in configs:
        if not order[config]:
            continue
        out += [f"## {config}", ""]
        head = "| tensor | torch |" + "".join(f" {d} ratio | {d} of limit | {d} fail |" for d in devices)
        out += [head, "|---|---:|" + "---:|---:|---:|" * len(devices)]
        integers = [n for n in order[config] if results[(config, n)][devices[0]][0][1] is None]
        cells = "".join(f" exact | | {sum(not v[0] for n in integers for v in results[(config, n)][d])} |" for d in devices)
        out.append(f"| {len(integers)} integer tensors (buckets, codes, sampled ids) | |{cells}")
        for name in order[config]:
            if name in integers:
                continue
            by_device = results[(config, name)]
            any_values = [v for d in devices for v in by_device[d]]
            torch = worst([v[2] for v in any_values])
            cells = ""
            for d in devices:
                values = by_device[d]
                share = worst([v[1] / v[4] if v[4] else math.inf for v in values])
                cells += f" {fmt(worst([v[3] for v in values]), '.2f')} | {fmt(share, '.2f')} | {sum(not v[0] for v in values)} |"
            out.append(f"| {name} | {fmt(torch, '.1e')} |{cells}")
        out.append("")
    out += ["## Runs", "", "| config | seed | golden seed | device | exit | seconds | last line |", "|---|---:|---:|---|---:|---:|---|"]
    out += [f"| {c} | {s} | {g} | {d} | {code} | {sec:.1f} | {last} |" for c, s, g, d, code, sec, last in runs]
    with open(args.log, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {args.log}: {len(runs)} runs, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
