"""Tests of VMAs training (training/vmas): the beat weights, video beats, the losses, a training step, resuming and
the export, at tiny sizes with the shared real-music codec."""

import json
import os
import sys

import numpy as np
import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.abspath(os.path.join(HERE, "..", "..", "training"))
sys.path.insert(0, os.path.join(TRAINING, "vmas"))
sys.path.insert(1, TRAINING)

import common  # noqa: E402,F401  (reference and evaluation on the path)
import beats  # noqa: E402
import bundle_export  # noqa: E402
import music_codec  # noqa: E402
import objectives  # noqa: E402
import trainable  # noqa: E402
import trainer  # noqa: E402
from vmas import config as vconfig  # noqa: E402
from vmas import contrastive  # noqa: E402

EXAMPLE = os.path.join(TRAINING, "..", "weights-spec", "examples", "vmas-default.json")


def tiny_config():
    """vmas-default's codec and rates with a 1-second window, 16 × 16 frames at 4 fps and a one-layer decoder."""
    with open(EXAMPLE) as f:
        c = json.load(f)
    c.update({"name": "vmas-test", "window_seconds": 1, "prompt_seconds": 0.2})
    c["video"] = {"fps": 4, "height": 16, "width": 16}
    c["encoder"] = {"embed_dim": 8, "patch_stride": [2, 4, 4], "stages": [
        {"depth": 1, "heads": 1, "attention": "mask_unit", "mask_unit": [1, 2, 2]},
        {"depth": 1, "heads": 2, "attention": "global", "pool": [1, 4, 4]}]}
    c["decoder"].update({"d_model": 16, "n_heads": 2, "head_dim": 8, "d_ff": 32, "layers": 1})
    c["contrastive"] = {"dim": 8}
    return vconfig.resolve(c)


# ---------------------------------------------------------------- beats

def test_beat_weights_on_a_hand_worked_example():
    # Ten frames. Music beats at 1, 4 and 8. Motion peaks (window ±1) at 2 and 7.
    music = np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0])
    motion = np.array([0, 1, 3, 1, 0, 0, 1, 5, 2, 1], dtype=float)
    video = beats.video_beats(motion, 1)
    assert video.tolist() == [0, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    # Overlap window ±1: the beat at 1 has the video beat at 2, the one at 8 has 7; the one at 4 has none.
    assert beats.overlap(music, video, 1).tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert beats.overlap(music, video, 0).tolist() == [0] * 10
    assert beats.weights(music, motion, 1, 1, 0.25).tolist() == [0.25, 1, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 1, 0.25]
    # A flat stretch has no maximum: a still video has no beats.
    assert beats.video_beats(np.zeros(6), 2).sum() == 0
    with pytest.raises(ValueError, match="weight_floor"):
        beats.weights(music, motion, 1, 1, 1.5)


def test_music_beats_mark_the_codec_frames_of_clicks():
    sr, rate = 16000, 50
    audio = np.zeros(sr * 2)
    for t in (0.5, 1.2, 1.7):  # clicks: a 5 ms burst of noise
        audio[int(t * sr): int(t * sr) + 80] = np.random.RandomState(1).uniform(-0.8, 0.8, 80)
    marked = np.flatnonzero(beats.music_beats(audio, sr, 100, rate)) / rate
    assert len(marked) == 3 and np.all(np.abs(marked - [0.5, 1.2, 1.7]) <= 0.04), marked


def test_video_beats_find_known_motion_bursts():
    """A square that sits still and jumps quickly around frames 10, 30 and 50 of 64 at 8 fps."""
    fps, rate, n = 8.0, 50, 64
    position = np.zeros(n)
    for burst in (10, 30, 50):
        position[burst:] += 12  # each burst moves the square 12 pixels in one frame
    frames = np.zeros((n, 64, 64, 3), np.uint8)
    for i, x in enumerate(position.astype(int)):
        frames[i, 24:40, 4 + x: 20 + x] = 255
    magnitudes = beats.flow_magnitudes(frames)
    assert set(np.argsort(magnitudes)[-3:]) == {10, 30, 50}
    steps = int(n / fps * rate)
    motion = beats.motion_on_codec_frames(magnitudes, fps, steps, rate)
    found = np.flatnonzero(beats.video_beats(motion, 25)) / rate
    assert len(found) == 3 and np.all(np.abs(found - (np.array([10, 30, 50]) + 0.5) / fps) < 1 / fps), found


# ---------------------------------------------------------------- losses

def test_step_weights_follow_the_delay_pattern():
    w = torch.tensor([[1.0, 0.5, 0.25]])
    per_step = objectives.frame_weights_per_step(w, 2)
    # Step p of codebook k predicts frame p - k.
    assert per_step[0].tolist() == [[1.0, 0.0], [0.5, 1.0], [0.25, 0.5], [0.0, 0.25]]
    ids, targets = objectives.delayed_batch(np.array([[[3, 4, 5], [6, 7, 8]]]), 9)
    assert targets[0].tolist() == [[3, -1], [4, 6], [5, 7], [-1, 8]] and ids[0, 0].tolist() == [9, 9]


def test_weighted_token_loss_is_plain_cross_entropy_at_unit_weights_and_scales_with_them():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 2, 5)
    targets = torch.randint(0, 5, (2, 4, 2))
    targets[0, 0, 1] = -1
    plain = torch.nn.functional.cross_entropy(logits[targets >= 0], targets[targets >= 0])
    ones = torch.ones(2, 4, 2)
    assert torch.allclose(objectives.weighted_token_loss(logits, targets, ones), plain)
    assert torch.allclose(objectives.weighted_token_loss(logits, targets, 0.5 * ones), 0.5 * plain)


def test_contrastive_loss_is_infonce_by_hand_and_reaches_the_decoder():
    config = tiny_config()
    torch.manual_seed(1)
    model = trainable.Vmas(config, np.random.RandomState(0).standard_normal((4, 1024, 64)))
    memory = torch.randn(3, 1, 16)
    logits = torch.randn(3, 50 + 3, 4, 1024)
    loss = objectives.contrastive_loss(model.contrastive, memory, logits, model.codebooks, 50, 0.1)
    # By hand: the vectors, their similarities over the batch, cross-entropy with the diagonal as the answer.
    video = model.contrastive.video_embedding(memory)
    music = model.contrastive.music_embedding(contrastive.music_from_probabilities(
        model.codebooks, objectives.predicted_distributions(logits, 50)))
    sims = video @ music.t() / 0.1
    manual = -torch.log_softmax(sims, dim=1).diagonal().mean()
    assert torch.allclose(loss, manual, atol=1e-6)
    # The gradient reaches both projections and the decoder's logits (the music side is the predicted distributions).
    logits.requires_grad_(True)
    objectives.contrastive_loss(model.contrastive, memory, logits, model.codebooks, 50, 0.1).backward()
    assert logits.grad.abs().sum() > 0
    assert model.contrastive.music.weight.grad.abs().sum() > 0 and model.contrastive.video.weight.grad.abs().sum() > 0


# ---------------------------------------------------------------- training, resuming, export

def tiny_data(folder, clips, config, seed=0):
    """Clips of two windows: the trainer cuts windows at codec frames 0, 25 and 50 (whole video frames at 4 fps)."""
    rng = np.random.RandomState(seed)
    v, steps = config["video"], 2 * vconfig.window_frames(config)
    for split in ("train", "heldout"):
        out = os.path.join(folder, split)
        os.makedirs(out)
        np.save(os.path.join(out, "frames.npy"), rng.randint(0, 256, (clips, 2 * vconfig.window_video_frames(config), v["height"], v["width"], 3)).astype(np.uint8))
        np.save(os.path.join(out, "codes.npy"), rng.randint(0, 1024, (clips, 4, steps)).astype(np.int16))
        np.save(os.path.join(out, "music_beats.npy"), (rng.uniform(size=(clips, steps)) < 0.1).astype(np.uint8))
        np.save(os.path.join(out, "motion.npy"), rng.uniform(size=(clips, steps)).astype(np.float32))


def test_one_training_step_decreases_the_loss():
    config = tiny_config()
    _, tensors = music_codec.load(levels=4)
    torch.manual_seed(0)
    model = trainable.Vmas(config, tensors["codec.rvq.codebooks"])
    rng = np.random.RandomState(0)
    pixels = rng.randint(0, 256, (3, 4, 16, 16, 3)).astype(np.uint8)
    codes = rng.randint(0, 1024, (3, 4, 50))
    weights = trainable.frame_weights((rng.uniform(size=(3, 50)) < 0.2).astype(np.uint8), rng.uniform(size=(3, 50)), 3, 1, 0.5)
    keep = torch.ones(3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def total():
        token, contrast = model.losses(pixels, codes, weights, keep, 0.1)
        return token + 0.5 * contrast

    before = total()
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = total()
    assert float(after) < float(before)


def tiny_run_folders(tmp_path, monkeypatch):
    """(config, its path, data folder) of a tiny config and 4 clips a split, runs and logs kept under tmp_path."""
    config = tiny_config()
    config_path = str(tmp_path / "config.json")
    with open(config_path, "w") as f:
        json.dump(config, f)
    data = str(tmp_path / "data")
    tiny_data(data, 4, config)
    monkeypatch.setattr(trainer, "RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(trainer, "LOGS", str(tmp_path / "logs"))
    return config, config_path, data


def test_training_resumes_and_exports_a_bundle_the_checker_accepts(tmp_path, monkeypatch):
    config, config_path, data = tiny_run_folders(tmp_path, monkeypatch)
    args = ["--run", "t", "--data", data, "--config", config_path, "--batch", "2", "--warmup", "1",
            "--save-every", "2", "--eval-every", "2", "--log-every", "1", "--threads", "1"]
    assert trainer.main(args + ["--steps", "2"]) == 0
    assert trainer.main(args + ["--steps", "3", "--no-beat-weight", "--no-contrastive"]) == 0
    log = open(tmp_path / "logs" / "vmas_t.log").read()
    assert "resumed" in log and "step 3 loss" in log and "heldout token" in log
    state = str(tmp_path / "runs" / "t" / "state.pt")
    assert torch.load(state)["step"] == 3
    assert trainer.Split(os.path.join(data, "train"), config).starts == [0, 25, 50]
    out = str(tmp_path / "bundle")
    assert bundle_export.export_state(state, out, name="vmas-test-trained") == []
    names = sorted(os.listdir(out))
    assert names == ["codec.safetensors", "codec_encoder.safetensors", "config.json", "contrastive.safetensors",
                     "music_decoder.safetensors", "video_encoder.safetensors"]
    # Matching on the held-out clips: each clip's two windows averaged, as v2meow match does.
    import evaluate_match

    assert evaluate_match.main(["--bundle", out, "--data", os.path.join(data, "heldout"), "--json"]) == 0


def test_retrieval_refit_changes_only_the_projections(tmp_path, monkeypatch):
    import fit_retrieval

    _, config_path, data = tiny_run_folders(tmp_path, monkeypatch)
    assert trainer.main(["--run", "t", "--data", data, "--config", config_path, "--batch", "2", "--warmup", "1",
                         "--steps", "1", "--threads", "1"]) == 0
    assert fit_retrieval.main(["--run", "t", "--data", data, "--steps", "100", "--batch", "4"]) == 0
    before = torch.load(tmp_path / "runs" / "t" / "state.pt")["model"]
    after = torch.load(tmp_path / "runs" / "t-retrieval" / "state.pt")["model"]
    changed = {k.split(".")[0] for k in before if not torch.equal(before[k], after[k])}
    assert changed == {"contrastive"}
    log = open(tmp_path / "logs" / "vmas_t-retrieval.log").read()
    assert "step 100 loss" in log and "held-out (4) Recall@1" in log
    # Four training pairs, fitted for 100 steps: each video's own recording ranks first.
    assert "train Recall@1 1.000" in log
    assert fit_retrieval.main(["--run", "missing", "--data", data]) == 2


def test_trainer_refuses_missing_data(tmp_path, capsys):
    assert trainer.main(["--run", "x", "--data", str(tmp_path)]) == 2
    assert "prepare.py" in capsys.readouterr().err


def test_recall_counts_the_pairs_own_rank():
    import evaluate_match

    video = np.eye(3)
    music = np.array([[1.0, 0, 0], [0, 0.2, 1], [0, 1, 0.2]])  # pair 0 matches; 1 and 2 come second
    assert evaluate_match.recall(video, music, ks=(1, 2)) == {1: 1 / 3, 2: 1.0}
    # A tie with another recording counts against the pair.
    assert evaluate_match.recall(np.ones((2, 2)), np.ones((2, 2)), ks=(1,)) == {1: 0.0}
