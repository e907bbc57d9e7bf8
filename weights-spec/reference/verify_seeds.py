"""Runs `v2meow verify` on fresh seeds of the example configs, on both CPU-side backends (SPEC §10).

    verify_seeds.py [--seeds N] [--first-seed S] [--configs tiny,odd,...] [--devices cpu,ilgpu-cpu]
                    [--work DIR] [--data FILE.jsonl] [--log FILE]
    verify_seeds.py --render DATA.jsonl [DATA.jsonl ...] [--log FILE]

For each config in weights-spec/examples/ (or those named) and each k in 0..N-1 it exports a bundle with
seed S + k, writes its golden (float32 and float64 evaluations) with golden seed S + 50000 + k, and runs
`v2meow verify BUNDLE GOLDEN --device D` for each device. A config's family is its `format`: v2meow/1
configs go through export.py and golden.py (SPEC §10), vmas/1 configs through `python -m vmas.export` and
`vmas.golden` (VMAS.md §10, §13). The committed goldens use export seeds 1-3 and 11-12 and golden seeds
101-103 and 201-202; the default S = 7000 is far from them. Each bundle is deleted once verified
(paper-size bundles are gigabytes). vmas-paper (about 1.9 B parameters, a float64 evaluation of 15 GB of
weights) runs only when named.

Each verify run is appended to the data file (JSON lines) as soon as it ends, so runs split over several
processes (one per config, say) or cut short can be rendered together with --render. The log (markdown) holds, per config and per tensor, the worst ratio of the runtime's error against float64
to PyTorch-f32's over all seeds, per device, the worst runtime error as a fraction of its limit, and the
number of failing runs; then one line per verify run. Exits 1 if any run failed.
"""

import argparse
import collections
import datetime
import json
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
# Left out of the default config list: too large to export and evaluate in float64 on an ordinary machine.
NAMED_ONLY = {"vmas-paper"}

# "ok   stage1.logits   [37, 257]   2.80E-7   3.88E-7   0.72   1.6E-6" (TensorComparison.ToString)
FLOAT_LINE = re.compile(r"^(ok  |FAIL) (\S+)\s+(\[[^\]]*\])\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")
INTEGER_LINE = re.compile(r"^(ok  |FAIL) (\S+)\s+(\[[^\]]*\])\s+(exact|.* of entries differ.*)$")


def number(text):
    return {"-": math.nan, "inf": math.inf}[text] if text in ("-", "inf") else float(text)


def run(args, **kwargs):
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, **kwargs)


def family(config):
    """"vmas" for a vmas/1 example config, else "v2meow"."""
    with open(os.path.join(EXAMPLES, config + ".json")) as f:
        return "vmas" if json.load(f).get("format") == "vmas/1" else "v2meow"


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
    if family(config) == "vmas":
        # The vmas package imports the shared reference modules: weights-spec/reference on the path (VMAS.md §13).
        tools, env = ([PYTHON, "-m", "vmas.export"], [PYTHON, "-m", "vmas.golden"]), dict(os.environ, PYTHONPATH=HERE)
    else:
        tools, env = ([PYTHON, os.path.join(HERE, "export.py")], [PYTHON, os.path.join(HERE, "golden.py")]), None
    for step in (
        tools[0] + ["--config", os.path.join(EXAMPLES, config + ".json"), "--seed", str(seed), "--out", bundle],
        tools[1] + ["--bundle", bundle, "--seed", str(golden_seed), "--out", os.path.join(folder, "golden.safetensors")],
    ):
        r = run(step, env=env)
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


def kind(name):
    """stage2.decoder.layers.3 -> decoder.layers.*; codec.blocks.1 -> codec.blocks.*; stage1.logits -> logits."""
    name = re.sub(r"\.\d+$", ".*", name)
    return name.split(".", 1)[1] if name.startswith("stage") else name


def render(records, command):
    """The markdown log of a list of run records (see run_all); a repeated (config, seed, device) counts once."""
    seen, unique = set(), []
    for r in records:
        if (r["config"], r["seed"], r["device"]) not in seen:
            seen.add((r["config"], r["seed"], r["device"]))
            unique.append(r)
    records = unique
    configs, devices = [], []
    for r in records:
        if r["config"] not in configs:
            configs.append(r["config"])
        if r["device"] != "-" and r["device"] not in devices:
            devices.append(r["device"])
    results = collections.defaultdict(lambda: collections.defaultdict(list))  # (config, tensor) -> device -> values
    order = collections.defaultdict(list)
    for r in records:
        for name, value in r["tensors"].items():
            if name not in order[r["config"]]:
                order[r["config"]].append(name)
            results[(r["config"], name)][r["device"]].append(value)
    failed = [r for r in records if r["code"] != 0]
    seeds = sorted({r["seed"] for r in records})
    out = [
        "# v2meow verify on fresh seeds",
        "",
        f"    {command}",
        "",
        f"commit {run(['git', 'rev-parse', '--short', 'HEAD']).stdout.strip()}, rendered "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; export seeds {seeds[0] if seeds else '-'}.."
        f"{seeds[-1] if seeds else '-'}, golden seed = export seed + 50000",
        "",
        f"{len(records)} verify runs, {len(records) - len(failed)} passed, {len(failed)} failed.",
        "",
        "Per tensor, over all seeds: `ratio` is the worst runtime error / PyTorch-f32 error (both against float64),",
        "`of limit` the worst runtime error / its limit (fails above 1), `torch` the worst PyTorch-f32 error,",
        "`fail` the runs in which the tensor failed.",
        "",
        "## Worst ratio by kind of tensor (all stages, layers and blocks together)",
        "",
    ]
    columns = [(c, d) for c in configs for d in devices if any(r["config"] == c and r["device"] == d for r in records)]
    kinds = []
    by_kind = collections.defaultdict(list)
    for r in records:
        for name, v in r["tensors"].items():
            if v[1] is None:
                continue
            if kind(name) not in kinds:
                kinds.append(kind(name))
            by_kind[(kind(name), r["config"], r["device"])].append(v[3])
    out += ["| tensor | " + " | ".join(f"{c} {d}" for c, d in columns) + " |", "|---|" + "---:|" * len(columns)]
    for k in sorted(kinds):
        out.append(f"| {k} | " + " | ".join(fmt(worst(by_kind[(k, c, d)]), ".2f") for c, d in columns) + " |")
    out.append("")
    for config in configs:
        if not order[config]:
            continue
        runs_here = {d: sum(1 for r in records if r["config"] == config and r["device"] == d) for d in devices}
        out += [f"## {config}", "", "runs: " + ", ".join(f"{d} {n}" for d, n in runs_here.items()), ""]
        head = "| tensor | torch |" + "".join(f" {d} ratio | {d} of limit | {d} fail |" for d in devices)
        out += [head, "|---|---:|" + "---:|---:|---:|" * len(devices)]
        integers = [n for n in order[config] if next(v for d in devices for v in results[(config, n)][d])[1] is None]
        cells = "".join(f" exact | | {sum(not v[0] for n in integers for v in results[(config, n)][d])} |" for d in devices)
        out.append(f"| {len(integers)} integer tensors (buckets, codes, sampled ids) | |{cells}")
        for name in order[config]:
            if name in integers:
                continue
            by_device = results[(config, name)]
            torch = worst([v[2] for d in devices for v in by_device[d]])
            cells = ""
            for d in devices:
                values = by_device[d]
                share = worst([v[1] / v[4] if v[4] else math.inf for v in values])
                cells += f" {fmt(worst([v[3] for v in values]), '.2f')} | {fmt(share, '.2f')} | {sum(not v[0] for v in values)} |"
            out.append(f"| {name} | {fmt(torch, '.1e')} |{cells}")
        out.append("")
    out += ["## Runs", "", "| config | seed | golden seed | device | exit | seconds | last line |", "|---|---:|---:|---|---:|---:|---|"]
    out += [f"| {r['config']} | {r['seed']} | {r['golden_seed']} | {r['device']} | {r['code']} | {r['seconds']:.1f} | {r['last']} |"
            for r in records]
    return "\n".join(out) + "\n", len(failed)


def run_all(args, data):
    """Exports, writes goldens and verifies; appends one record per verify run to `data`."""
    import tempfile
    work = args.work or tempfile.mkdtemp(prefix="verify_seeds.")
    for config in args.configs.split(","):
        for k in range(args.seeds):
            seed, golden_seed = args.first_seed + k, args.first_seed + 50000 + k
            folder = os.path.join(work, f"{config}.{seed}")
            records = []
            seconds, error = make_set(config, seed, golden_seed, folder)
            if error:
                records.append(dict(config=config, seed=seed, golden_seed=golden_seed, device="-", code="export",
                                    seconds=seconds, last=" ".join(error), tensors={}))
                print(f"{config} seed {seed}: export failed: {error}", flush=True)
            else:
                for device in args.devices.split(","):
                    code, seconds, tensors, last = verify(folder, device)
                    records.append(dict(config=config, seed=seed, golden_seed=golden_seed, device=device, code=code,
                                        seconds=seconds, last=last, tensors=tensors))
                    print(f"{config} seed {seed} {device}: exit {code} in {seconds:.1f} s: {last}", flush=True)
            with open(data, "a") as f:
                for r in records:
                    f.write(json.dumps(r) + "\n")
            shutil.rmtree(folder, ignore_errors=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--first-seed", type=int, default=7000)
    p.add_argument("--configs", default=",".join(sorted(f[:-5] for f in os.listdir(EXAMPLES)
                                                        if f.endswith(".json") and f[:-5] not in NAMED_ONLY)))
    p.add_argument("--devices", default="cpu,ilgpu-cpu")
    p.add_argument("--work", default=None, help="scratch folder (default: a temp dir, removed)")
    p.add_argument("--data", default=None, help="JSON lines of the runs, appended to (default: beside the log)")
    p.add_argument("--render", nargs="+", default=None, metavar="DATA", help="only render these data files")
    p.add_argument("--log", default=os.path.join(HERE, "verify_seeds.log"))
    args = p.parse_args(argv)
    command = "weights-spec/reference/verify_seeds.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.render:
        files = args.render
    else:
        files = [args.data or os.path.splitext(args.log)[0] + ".jsonl"]
        run_all(args, files[0])
    records = []
    for path in files:
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    text, failed = render(records, command)
    with open(args.log, "w") as f:
        f.write(text)
    print(f"wrote {args.log}: {len(records)} runs, {failed} failed")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
