"""docs/deploy: the Kubernetes Indexed Job and the Slurm array run here as their schedulers would run them
(the same command line, the same variables, one process per shard at once) on a manifest in a temporary
folder standing in for shared storage; every item must come out exactly once. The container definition is
checked against the tree (what it builds and runs exists); building it needs a container engine this
machine does not have."""

import json
import os
import re
import subprocess

import numpy as np
import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(ROOT, "docs", "deploy")
V2MEOW = os.path.join(ROOT, "v2meow")
TINY = os.path.join(ROOT, "tests", "golden", "tiny", "bundle")
ITEMS = 8


@pytest.fixture
def shared(tmp_path):
    """A clip, the tiny bundle's features for it, and a manifest of ITEMS outputs, as on shared storage."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=64x48:rate=10:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(tmp_path / "in" / "clip.mp4")], check=True)
    np.save(tmp_path / "clip.npy", np.linspace(-1, 1, 16, dtype=np.float32)[None])
    with open(tmp_path / "manifest.jsonl", "w", encoding="utf-8") as f:
        for i in range(ITEMS):
            f.write(json.dumps({"video": "in/clip.mp4", "output": f"out/item-{i}.wav", "seed": i, "model": TINY,
                                "features": {"clip": "clip.npy"}}) + "\n")
    return tmp_path


def check_every_item_once(folder, shards):
    results = sorted(folder.glob(f"manifest.results.*-of-{shards}.jsonl"))
    assert len(results) == shards
    lines = [json.loads(line) for r in results for line in r.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["item"] for line in lines) == list(range(1, ITEMS + 1))
    assert all(line["status"] == "ok" and "scores" in line for line in lines)
    assert sorted(p.name for p in (folder / "out").iterdir()) == sorted(f"item-{i}.wav" for i in range(ITEMS))


def run_all(commands):
    """Starts every (argv, env) at once, as a scheduler does, and waits for all."""
    processes = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for argv, env in commands]
    outcomes = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in processes]
    for code, out, err in outcomes:
        assert code == 0, out + err


def test_the_kubernetes_indexed_job_runs_every_item_once(shared):
    with open(os.path.join(DEPLOY, "kubernetes-indexed-job.yaml"), encoding="utf-8") as f:
        job = yaml.safe_load(f)
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    container = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["SHARDS"]) == spec["completions"], "SHARDS must equal completions"
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert {r["action"] for r in spec["podFailurePolicy"]["rules"]} >= {"FailIndex", "Ignore"}

    env["MANIFEST"] = str(shared / "manifest.jsonl")  # the volume's path, here
    # Kubernetes expands $(VAR) in args from the container's environment; the image's entrypoint is v2meow.
    args = [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], a) for a in container["args"]]
    run_all([([V2MEOW, *args], {**os.environ, **env, "JOB_COMPLETION_INDEX": str(i)})
             for i in range(spec["completions"])])
    check_every_item_once(shared, spec["completions"])


def test_the_slurm_array_runs_every_item_once(shared):
    script = os.path.join(DEPLOY, "slurm-array.sbatch")
    subprocess.run(["bash", "-n", script], check=True)
    with open(script, encoding="utf-8") as f:
        array = re.search(r"^#SBATCH --array=(\d+)-(\d+)$", f.read(), re.M)
    first, last = int(array.group(1)), int(array.group(2))
    tasks = last - first + 1
    slurm = {"SLURM_ARRAY_JOB_ID": "1000", "SLURM_ARRAY_TASK_COUNT": str(tasks),
             "SLURM_ARRAY_TASK_MIN": str(first), "SLURM_ARRAY_TASK_MAX": str(last)}
    run_all([(["bash", script], {**os.environ, **slurm, "SLURM_ARRAY_TASK_ID": str(i),
                                 "MANIFEST": str(shared / "manifest.jsonl"), "V2MEOW": V2MEOW})
             for i in range(first, last + 1)])
    check_every_item_once(shared, tasks)


def test_the_container_builds_what_the_tree_has():
    with open(os.path.join(DEPLOY, "Dockerfile"), encoding="utf-8") as f:
        dockerfile = f.read()
    project = re.search(r"dotnet publish (\S+\.csproj)", dockerfile).group(1)
    assert os.path.isfile(os.path.join(ROOT, project))
    with open(os.path.join(ROOT, project), encoding="utf-8") as f:
        assembly = re.search(r"<AssemblyName>(\w+)</AssemblyName>", f.read()).group(1)
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", dockerfile, re.M).group(1))
    assert entrypoint == ["dotnet", f"/app/{assembly}.dll"]
    assert "ffmpeg" in dockerfile
    assert [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")] == [
        "mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/runtime:10.0"]
