"""training/stage_checkpoints.py: the committed fp16 stages restore into runs/ without touching what is there."""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

import stage_checkpoints  # noqa: E402


def point_at(monkeypatch, tmp_path):
    runs, committed = tmp_path / "runs", tmp_path / "committed"
    runs.mkdir()
    monkeypatch.setattr(stage_checkpoints.common, "RUNS", str(runs))
    monkeypatch.setattr(stage_checkpoints, "COMMITTED", str(committed))
    return runs, committed


def write_runs(runs, seed):
    torch.manual_seed(seed)
    for i, stage in enumerate(stage_checkpoints.STAGES):
        torch.save({"model": {"w": torch.randn(4, 3), "steps": torch.tensor([7])}, "step": 100 + i}, runs / f"{stage}.pt")
    np.savez(runs / stage_checkpoints.KMEANS, centroids=np.arange(6.0).reshape(2, 3))


def test_save_then_restore_gives_the_fp16_rounded_weights_and_marks_stage1_done(monkeypatch, tmp_path):
    runs, committed = point_at(monkeypatch, tmp_path)
    write_runs(runs, 0)
    original = torch.load(runs / "stage2.pt")
    stage_checkpoints.save()
    assert torch.load(committed / "stage2.pt")["model"]["w"].dtype == torch.float16
    for f in runs.iterdir():
        f.unlink()
    stage_checkpoints.restore()
    restored = torch.load(runs / "stage2.pt")
    assert restored["step"] == 101
    assert restored["model"]["w"].dtype == torch.float32
    assert torch.equal(restored["model"]["w"], original["model"]["w"].half().float())
    assert torch.equal(restored["model"]["steps"], torch.tensor([7]))  # integers stay as they are
    assert (runs / "stage1.done").exists()
    assert np.array_equal(np.load(runs / stage_checkpoints.KMEANS)["centroids"], np.arange(6.0).reshape(2, 3))


def test_restore_leaves_a_run_that_is_already_there(monkeypatch, tmp_path):
    runs, committed = point_at(monkeypatch, tmp_path)
    write_runs(runs, 0)
    stage_checkpoints.save()
    write_runs(runs, 1)  # newer training in runs/
    newer = torch.load(runs / "stage3.pt")["model"]["w"]
    stage_checkpoints.restore()
    assert torch.equal(torch.load(runs / "stage3.pt")["model"]["w"], newer)
    assert not (runs / "stage1.done").exists()


def test_the_committed_v5_stages_load_as_fp16_with_their_steps():
    folder = os.path.join(stage_checkpoints.HERE, "checkpoints", "v5")
    for stage in stage_checkpoints.STAGES:
        state = torch.load(os.path.join(folder, f"{stage}.pt"))
        assert state["step"] > 0
        assert all(v.dtype == torch.float16 for v in state["model"].values() if v.is_floating_point())
