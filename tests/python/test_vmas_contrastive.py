"""Tests of the reference's optional contrastive projections of a vmas/1 bundle (VMAS.md §14)."""

import json
import os

import numpy as np
import pytest
import torch

import safetensors_io
from config import ConfigError
from vmas import check, export, layout
from vmas import config as vconfig
from vmas import contrastive
from vmas import model as vmodel

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(ROOT, "weights-spec", "examples", "vmas-match.json")
GOLDEN = os.path.join(ROOT, "tests", "golden", "vmas-match")


def raw():
    with open(EXAMPLE) as f:
        return json.load(f)


def test_layout_names_the_four_projection_tensors():
    config = vconfig.load(EXAMPLE)
    assert layout.component_tensors(config, "contrastive") == {
        "video.weight": (12, 32), "video.bias": (12,), "music.weight": (12, 8), "music.bias": (12,)}


@pytest.mark.parametrize("section, message", [
    ({}, "contrastive.dim: required"),
    ({"dim": 0}, "contrastive.dim: expected an integer from 1"),
    ({"dim": 4, "temperature": 0.1}, "contrastive.temperature: unknown field"),
    ([4], "config.contrastive: expected an object"),
])
def test_bad_sections_name_the_field(section, message):
    c = raw()
    c["contrastive"] = section
    with pytest.raises(ConfigError, match=message):
        vconfig.resolve(c)


def test_one_hot_probabilities_give_the_codes_features():
    rng = np.random.RandomState(5)
    codebooks = torch.from_numpy(rng.standard_normal((3, 7, 4)))
    codes = torch.from_numpy(rng.randint(0, 7, size=(2, 3, 9)))
    one_hot = torch.nn.functional.one_hot(codes, 7).double()
    from_codes = contrastive.music_from_codes(codebooks, codes)
    assert from_codes.shape == (2, 9, 4)
    # Frame 0 of clip 0 by hand: the sum of each level's row.
    expected = sum(codebooks[q, codes[0, q, 0]] for q in range(3))
    assert torch.allclose(from_codes[0, 0], expected)
    assert torch.allclose(contrastive.music_from_probabilities(codebooks, one_hot), from_codes)


def test_embeddings_are_unit_vectors_and_zero_stays_zero():
    config = vconfig.load(EXAMPLE)
    m = vmodel.load(config, "contrastive", export.random_weights(config, "contrastive", 3)).double()
    v = m.video_embedding(torch.randn(2, 6, 32, dtype=torch.float64))
    assert torch.allclose(v.norm(dim=-1), torch.ones(2, dtype=torch.float64))
    assert torch.equal(contrastive.unit(torch.zeros(2, 5)), torch.zeros(2, 5))
    s = contrastive.similarity(v[0], v)
    assert abs(float(s[0]) - 1) < 1e-12 and -1 <= float(s[1]) <= 1


def test_info_nce_is_low_for_matching_pairs_and_log_b_for_uninformative_ones():
    eye = torch.eye(4)
    assert contrastive.info_nce(eye, eye, 0.05) < 1e-6
    same = contrastive.unit(torch.ones(4, 4))
    assert abs(float(contrastive.info_nce(same, same, 0.1)) - np.log(4)) < 1e-6


def test_export_writes_and_check_requires_the_component(tmp_path):
    out = str(tmp_path / "bundle")
    assert export.main(["--config", EXAMPLE, "--seed", "13", "--out", out]) == 0
    assert check.check(out) == []
    _, _, metadata = safetensors_io.read_f32(os.path.join(out, "contrastive.safetensors"))
    assert metadata["component"] == "contrastive" and json.loads(metadata["config"]) == {"dim": 12}
    os.remove(os.path.join(out, "contrastive.safetensors"))
    assert any("contrastive.safetensors: missing" in e for e in check.check(out))


def test_trained_weights_need_every_projection_tensor():
    config = vconfig.load(EXAMPLE)
    state = {f"{c}.{n}": w for c in vconfig.COMPONENTS for n, w in export.random_weights(config, c, 1).items()}
    with pytest.raises(ValueError, match="missing 'contrastive.video.weight'"):
        export.trained_weights(config, state)
    state.update({f"contrastive.{n}": w for n, w in export.random_weights(config, "contrastive", 1).items()})
    assert set(export.trained_weights(config, state)["contrastive"]) == {"video.weight", "video.bias", "music.weight", "music.bias"}


def test_committed_golden_ranks_with_its_own_vectors():
    tensors, _, metadata = safetensors_io.read(os.path.join(GOLDEN, "golden.safetensors"))
    inputs = json.loads(metadata["inputs"])["contrastive"]
    assert inputs == {"recordings": 3, "frames": 13, "memory": "encoder.memory"}
    assert tensors["contrastive.input.codes"].shape == (3, 2, 13)
    video, music = tensors["float64.contrastive.video"], tensors["float64.contrastive.music"]
    assert np.allclose(music @ video, tensors["float64.contrastive.similarity"], atol=1e-12)
    assert np.allclose(np.linalg.norm(music, axis=1), 1) and abs(np.linalg.norm(video) - 1) < 1e-12
