"""Tests of the PyTorch reference and the weights tooling (weights-spec/reference)."""

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import buckets
import check
import codec_encoder
import config as config_mod
import export
import generation
import layout
import model as model_mod
import safetensors_io
import sampling
import tokens

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "weights-spec", "examples")
GOLDEN = os.path.join(ROOT, "tests", "golden")
EXPORTED = ("tiny", "odd", "enc_dec")
# The sets whose bundles carry the codec's encoder (SPEC §9.3).
ENCODER_SETS = ("codec_encoder", "codec_encoder_odd")


def example(name):
    return config_mod.load(os.path.join(EXAMPLES, f"{name}.json"))


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("tiny") / "bundle")
    assert export.main(["--config", os.path.join(EXAMPLES, "tiny.json"), "--seed", "5", "--out", out]) == 0
    return out


def copy_bundle(src, tmp_path):
    dst = str(tmp_path / "bundle")
    shutil.copytree(src, dst)
    return dst


def rewrite(path, edit):
    """Rewrite a safetensors file after edit(tensors, dtypes, metadata) mutates the dicts."""
    tensors, dtypes, metadata = safetensors_io.read(path)
    edit(tensors, dtypes, metadata)
    safetensors_io.write(path, tensors, metadata, dtypes)


# ------------------------------------------------------------ safetensors

@pytest.mark.parametrize("dtype", ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"])
def test_safetensors_round_trip_is_bit_exact(tmp_path, dtype):
    rng = np.random.RandomState(0)
    raw = rng.randint(0, 256, size=3 * 5 * safetensors_io.DTYPES[dtype].itemsize, dtype=np.uint8)
    if dtype == "BOOL":
        raw = raw % 2
    value = raw.view(safetensors_io.DTYPES[dtype]).reshape(3, 5)  # arbitrary bit patterns, NaNs included
    empty = np.zeros((0, 4), dtype=safetensors_io.DTYPES[dtype])
    path = str(tmp_path / "t.safetensors")
    dtypes = {"a": dtype, "b": dtype} if dtype == "BF16" else None
    safetensors_io.write(path, {"a": value, "b": empty}, {"k": "v"}, dtypes)
    tensors, got_dtypes, metadata = safetensors_io.read(path)
    assert metadata == {"k": "v"}
    assert got_dtypes == {"a": dtype, "b": dtype}
    assert tensors["a"].tobytes() == value.tobytes() and tensors["a"].shape == (3, 5)
    assert tensors["b"].shape == (0, 4)


def test_bf16_conversion_matches_torch_rounding():
    values = np.random.RandomState(1).standard_normal(4096).astype(np.float32) * 1e3
    values[:4] = [0.0, -0.0, np.inf, -np.inf]
    ours = safetensors_io.f32_to_bf16(values)
    theirs = torch.from_numpy(values).to(torch.bfloat16).to(torch.float32).numpy()
    np.testing.assert_array_equal(safetensors_io.bf16_to_f32(ours), theirs)


def test_reader_rejects_holes(tmp_path):
    path = str(tmp_path / "t.safetensors")
    safetensors_io.write(path, {"a": np.zeros(4, np.float32)})
    with open(path, "ab") as f:
        f.write(b"\0" * 4)
    with pytest.raises(safetensors_io.SafetensorsError, match="data buffer"):
        safetensors_io.read(path)


# ------------------------------------------------------------ export and checker

def test_export_round_trip(tiny_bundle):
    config = config_mod.load(os.path.join(tiny_bundle, "config.json"))
    for component in config_mod.COMPONENTS:
        tensors, dtypes, metadata = safetensors_io.read(os.path.join(tiny_bundle, f"{component}.safetensors"))
        want = export.random_weights(config, component, 5)
        assert list(tensors) == sorted(want)
        for name, value in want.items():
            assert dtypes[name] == "F32"
            assert tensors[name].tobytes() == value.tobytes(), name
        assert metadata["component"] == component
        assert json.loads(metadata["config"]) == config[component]


@pytest.mark.parametrize("dtype,name", [("float16", "F16"), ("bfloat16", "BF16")])
def test_export_dtype_override(tmp_path, dtype, name):
    out = str(tmp_path / "b")
    assert export.main(["--config", os.path.join(EXAMPLES, "tiny.json"), "--seed", "5", "--out", out,
                        "--dtype", dtype]) == 0
    assert check.check(out) == []
    assert config_mod.load(os.path.join(out, "config.json"))["dtype"] == dtype
    tensors, dtypes, _ = safetensors_io.read_f32(os.path.join(out, "stage3.safetensors"))
    want = export.random_weights(config_mod.load(os.path.join(out, "config.json")), "stage3", 5)
    for key, value in want.items():
        assert dtypes[key] == name
        expected = value.astype(np.float16).astype(np.float32) if dtype == "float16" else \
            safetensors_io.bf16_to_f32(safetensors_io.f32_to_bf16(value))
        np.testing.assert_array_equal(tensors[key], expected)


def test_export_from_state_dict_with_weight_norm(tmp_path, tiny_bundle):
    config = config_mod.load(os.path.join(tiny_bundle, "config.json"))
    state = {}
    for component in config_mod.COMPONENTS:
        tensors, _ = safetensors_io.read_f32(os.path.join(tiny_bundle, f"{component}.safetensors"))[:2]
        state.update({f"{component}.{k}": torch.from_numpy(v) for k, v in tensors.items()})
    # One conv stored as a weight-norm pair, as SoundStream trains it.
    w = state.pop("codec.decoder.in_conv.weight").double()
    norm = w.pow(2).sum(dim=(1, 2), keepdim=True).sqrt()
    state["codec.decoder.in_conv.weight_g"] = norm.float()
    state["codec.decoder.in_conv.weight_v"] = (w * 3.0).float()
    path = str(tmp_path / "trained.pt")
    torch.save(state, path)
    out = str(tmp_path / "b")
    assert export.main(["--config", os.path.join(tiny_bundle, "config.json"), "--state-dict", path, "--out", out]) == 0
    assert check.check(out) == []
    a, _ = safetensors_io.read_f32(os.path.join(out, "codec.safetensors"))[:2]
    b, _ = safetensors_io.read_f32(os.path.join(tiny_bundle, "codec.safetensors"))[:2]
    np.testing.assert_allclose(a["decoder.in_conv.weight"], b["decoder.in_conv.weight"], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(a["rvq.codebooks"], b["rvq.codebooks"])


def test_checker_accepts_valid_bundle(tiny_bundle):
    assert check.check(tiny_bundle) == []
    assert subprocess.run([sys.executable, os.path.join(ROOT, "weights-spec", "reference", "check.py"), tiny_bundle],
                          capture_output=True, text=True).stdout.strip() == "ok"


def test_checker_catches_wrong_name(tiny_bundle, tmp_path):
    b = copy_bundle(tiny_bundle, tmp_path)
    path = os.path.join(b, "stage2.safetensors")

    def edit(t, d, m):
        t["decoder.layers.1.ffn.upp.weight"] = t.pop("decoder.layers.1.ffn.up.weight")

    rewrite(path, edit)
    errors = check.check(b)
    assert f"{path}: tensor 'decoder.layers.1.ffn.up.weight': missing, expected [64, 32] F32" in errors
    assert f"{path}: tensor 'decoder.layers.1.ffn.upp.weight': unexpected (not in the layout for this config)" in errors
    result = subprocess.run([sys.executable, os.path.join(ROOT, "weights-spec", "reference", "check.py"), b],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "decoder.layers.1.ffn.up.weight" in result.stdout


def test_checker_catches_missing_tensor_and_file(tiny_bundle, tmp_path):
    b = copy_bundle(tiny_bundle, tmp_path)
    rewrite(os.path.join(b, "codec.safetensors"), lambda t, d, m: t.pop("decoder.blocks.1.res.2.conv2.bias"))
    os.remove(os.path.join(b, "stage3.safetensors"))
    errors = check.check(b)
    assert any("codec.safetensors: tensor 'decoder.blocks.1.res.2.conv2.bias': missing" in e for e in errors)
    assert os.path.join(b, "stage3.safetensors") + ": missing" in errors


def test_checker_catches_wrong_shape_dtype_and_metadata(tiny_bundle, tmp_path):
    b = copy_bundle(tiny_bundle, tmp_path)
    path = os.path.join(b, "stage1.safetensors")

    def edit(t, d, m):
        t["decoder.layers.0.ffn.up.weight"] = t["decoder.layers.0.ffn.up.weight"].T.copy()
        t["decoder.head.weight"] = t["decoder.head.weight"].astype(np.float16)
        m["component"] = "stage2"

    rewrite(path, edit)
    errors = check.check(b)
    assert f"{path}: tensor 'decoder.layers.0.ffn.up.weight': expected [64, 32], found [32, 64]" in errors
    assert any("'decoder.head.weight': expected dtype F32" in e and "found F16" in e for e in errors)
    assert f"{path}: __metadata__ 'component': expected 'stage1', found 'stage2'" in errors


def test_checker_catches_bad_config(tiny_bundle, tmp_path):
    b = copy_bundle(tiny_bundle, tmp_path)
    with open(os.path.join(b, "config.json")) as f:
        raw = json.load(f)
    raw["stage2"]["activaton"] = "gelu"
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(raw, f)
    [error] = check.check(b)
    assert "stage2.activaton: unknown field" in error


@pytest.mark.parametrize("name", EXPORTED)
def test_module_names_match_layout(name):
    config = example(name)
    for component in config_mod.COMPONENTS:
        state = model_mod.build(config, component).state_dict()
        assert {k: tuple(v.shape) for k, v in state.items()} == layout.component_tensors(config, component)


def test_paper_and_small_configs_resolve():
    for name in ("paper", "small"):
        config = example(name)
        params = sum(math.prod(s) for c in config_mod.COMPONENTS
                     for s in layout.component_tensors(config, c).values())
        assert params > 10_000_000
    paper = example("paper")
    assert paper["stage1"]["encoder_layers"] == paper["stage1"]["decoder_layers"] == 12
    assert (paper["stage1"]["d_model"], paper["stage1"]["n_heads"], paper["stage1"]["d_ff"]) == (1024, 16, 4096)
    assert config_mod.hop(paper) == 320


def test_examples_exercise_every_option():
    seen = {"activation": set(), "norm": set(), "padding": set(), "variant": set(), "codec_activation": set(),
            "layout": set(), "time_embedding": set()}
    for name in EXPORTED:
        c = example(name)
        for stage in ("stage1", "stage2", "stage3"):
            seen["activation"].add(c[stage]["activation"])
            seen["norm"].add(c[stage]["norm"])
        seen["padding"].add(c["codec"]["padding"])
        seen["codec_activation"].add(c["codec"]["activation"])
        seen["variant"].add(c["stage2"]["variant"])
        seen["layout"].add(c["stage2"]["layout"])
        seen["time_embedding"].add(c["stage1"].get("time_embedding") is not None)
    assert seen == {"activation": {"gelu", "relu", "geglu"}, "norm": {"layernorm", "rmsnorm"},
                    "padding": {"causal", "centred"}, "variant": {"decoder_only", "encoder_decoder"},
                    "codec_activation": {"elu", "snake"}, "layout": {"prefix", "interleaved"},
                    "time_embedding": {False, True}}


# ------------------------------------------------------------ stage-2 layouts

def test_interleaved_layout_puts_each_frame_next_to_its_semantic_token():
    config = example("odd")  # r = 2 frames per semantic token, Qc = 3, S = 50, K = 24
    assert config["stage2"]["layout"] == "interleaved" and tokens.stage2_group(config) == 7
    semantic = np.array([5, 6, 7])
    coarse = np.arange(3 * 5).reshape(3, 5) % 24  # 5 frames: two whole groups and one cut short
    seq = tokens.stage2_sequence(config, semantic, coarse)
    assert len(seq) == 3 + 5 * 3
    for t in range(5):
        for q in range(3):
            pos = (t // 2) * 7 + 1 + (t % 2) * 3 + q
            assert seq[pos] == 50 + 1 + q * 24 + coarse[q, t]
            assert seq[(t // 2) * 7] == semantic[t // 2]  # its own semantic token, at most 6 positions back
    assert list(tokens.stage2_sequence(config, semantic, coarse[:, :4])[-1:]) == [7]  # a prompt may end on one
    with pytest.raises(ValueError, match="3 coarse frames for 3 semantic tokens"):
        tokens.stage2_sequence(config, semantic, coarse[:, :3])
    prefix = example("tiny")
    assert prefix["stage2"]["layout"] == "prefix"
    seq = tokens.stage2_sequence(prefix, [1, 2], np.array([[3, 4], [5, 6]]))
    assert list(seq) == [1, 2, 64, 65 + 3, 65 + 32 + 5, 65 + 4, 65 + 32 + 6]


def test_interleaved_layout_needs_whole_frames_per_semantic_token():
    raw = json.load(open(os.path.join(EXAMPLES, "odd.json")))
    raw["rates"].update(semantic_hz=20, acoustic_hz=50, sample_rate=750)
    with pytest.raises(config_mod.ConfigError, match="stage2.layout.*50 / 20"):
        config_mod.resolve(raw)
    raw = json.load(open(os.path.join(EXAMPLES, "odd.json")))
    raw["stage2"]["layout"] = "sideways"
    with pytest.raises(config_mod.ConfigError, match="stage2.layout: expected one of"):
        config_mod.resolve(raw)


# ------------------------------------------------------------ stage-1 time embedding

def test_time_embedding_values_and_times():
    spec = {"min_period": 0.5, "max_period": 8.0}
    # Periods 0.5, 1, 2, 4, 8 s for d = 10; a quarter period in, the sine of the first pair is 1.
    te = model_mod.time_embedding(np.array([0.0, 0.125, 2.0]), 10, spec).numpy()
    assert te.dtype == np.float32 and te.shape == (3, 10)
    np.testing.assert_allclose(te[0], [0, 1] * 5, atol=0)
    assert te[1, 0] == pytest.approx(1.0) and te[1, 1] == pytest.approx(0.0, abs=1e-7)
    np.testing.assert_allclose(te[2, 0::2], np.sin(2 * np.pi * 2.0 / np.array([0.5, 1, 2, 4, 8])), atol=1e-7)
    # Frames are timed at their middles, two tokens per frame sharing one; decoder position t at t / hz.
    np.testing.assert_allclose(model_mod.frame_times(5, 2.0, tokens_per_frame=2), [0.25, 0.25, 0.75, 0.75, 1.25])
    np.testing.assert_allclose(model_mod.token_times(3, 2, 25.0), [0.12, 0.16])


def test_time_embedding_reaches_the_stage_1_inputs_only_when_configured():
    config = example("enc_dec")
    assert config["stage1"]["time_embedding"] == {"min_period": 0.5, "max_period": 30}
    torch.manual_seed(0)
    with_time = model_mod.build(config, "stage1").eval()
    plain_config = json.loads(json.dumps(config))
    del plain_config["stage1"]["time_embedding"]
    plain = model_mod.build(plain_config, "stage1").eval()
    plain.load_state_dict(with_time.state_dict())
    streams = {"clip": torch.randn(3, 20), "vqgan": torch.randint(0, 30, (6,))}
    style, ids = torch.randn(128), torch.tensor([48, 1, 2, 3])
    with torch.no_grad():
        a, b = with_time(ids, streams, style), plain(ids, streams, style)
    diff = (a["encoder"]["embed"] - b["encoder"]["embed"]).numpy()
    frame = model_mod.time_embedding(np.array([0.5, 1.5, 2.5]), 32, config["stage1"]["time_embedding"]).numpy()
    np.testing.assert_allclose(diff[:3], frame, atol=1e-6)            # dense rows, one per frame
    np.testing.assert_allclose(diff[3:9], np.repeat(frame, 2, 0), atol=1e-6)  # two tokens per frame
    np.testing.assert_array_equal(diff[9], 0)                          # the style position has no time
    tokens_time = model_mod.time_embedding(np.arange(4) / 25.0, 32, config["stage1"]["time_embedding"]).numpy()
    np.testing.assert_allclose((a["decoder"]["embed"] - b["decoder"]["embed"]).numpy(), tokens_time, atol=1e-6)
    # Step by step through the cache equals the full forward: each step is timed by its position.
    with torch.no_grad():
        memory = with_time.encoder(streams, style)["out"]
        cache = with_time.decoder.new_cache()
        steps = torch.cat([with_time.decoder(ids[i:i + 1], memory, cache)["logits"] for i in range(4)])
    torch.testing.assert_close(steps, a["decoder"]["logits"], atol=1e-5, rtol=0)


def test_time_embedding_config_is_checked():
    def resolve(**changes):
        raw = json.load(open(os.path.join(EXAMPLES, "enc_dec.json")))
        raw["stage1"].update(changes)
        return config_mod.resolve(raw)

    with pytest.raises(config_mod.ConfigError, match="stage1.time_embedding.max_period: expected > min_period"):
        resolve(time_embedding={"min_period": 2, "max_period": 2})
    with pytest.raises(config_mod.ConfigError, match="stage1.time_embedding.min_period: expected a number > 0"):
        resolve(time_embedding={"min_period": 0, "max_period": 2})
    with pytest.raises(config_mod.ConfigError, match="stage1.time_embedding.scale: unknown field"):
        resolve(time_embedding={"min_period": 1, "max_period": 2, "scale": 1})
    with pytest.raises(config_mod.ConfigError, match="needs an even d_model"):
        resolve(d_model=33, head_dim=8)
    # Absent or null: none, and an absent field stays absent in the stored config (older bundles match).
    assert resolve(time_embedding=None)["stage1"].get("time_embedding") is None
    raw = json.load(open(os.path.join(EXAMPLES, "tiny.json")))
    assert "time_embedding" not in config_mod.resolve(raw)["stage1"]


@pytest.mark.parametrize("name", EXPORTED)
def test_greedy_window_follows_teacher_forced_argmax_and_feeds_semantic_tokens(name):
    """generation.stage2_continue at T = 0 against the teacher-forced logits of the sequence it makes."""
    config = example(name)
    m = random_model(config, "stage2")
    memory = None
    if hasattr(m, "encoder"):
        t = config["stage2"]
        streams = {s["name"]: torch.randn(4, s["dim"]) if s["kind"] == "dense"
                   else torch.randint(0, s["vocab"], (4 * s["tokens_per_frame"],)) for s in t["streams"]}
        memory = m.encoder(streams, torch.randn(t["style_dim"]) if t["style_dim"] else None)["out"]
    interleaved = tokens.stage2_interleaved(config)
    r = config_mod.frames_per_semantic(config) if interleaved else 1
    qc = config["tokens"]["coarse_levels"]
    semantic = np.array([3, 1, 4, 1, 5])
    carried = np.arange(qc * r).reshape(qc, r) % config["tokens"]["codebook_size"]
    new = generation.stage2_continue(config, m.decoder, semantic, carried, 4 * r, 0.0, 0, 0, memory)
    assert new.shape == (qc, 4 * r)
    seq = tokens.stage2_sequence(config, semantic, np.concatenate([carried, new], 1))
    with torch.no_grad():
        logits = m.decoder(torch.tensor(seq), memory)["logits"].numpy()
    prompt = len(tokens.stage2_sequence(config, semantic[:2] if interleaved else semantic, carried))
    k = 0
    for pos in range(prompt, len(seq)):
        if seq[pos] <= tokens.stage2_sep(config):
            assert interleaved and seq[pos] == semantic[pos // tokens.stage2_group(config)]
            continue
        lo, hi = tokens.stage2_range(config, k)
        assert seq[pos] == lo + int(np.argmax(logits[pos - 1, lo:hi])), (pos, k)
        k += 1
    assert k == 4 * r * qc


def test_window_draws_count_coarse_tokens_only():
    """Counter of a coarse token = its index in the stage's output; fed semantic tokens draw nothing."""
    config = example("odd")
    m = random_model(config, "stage2")
    semantic, carried = np.array([9, 8, 7]), np.zeros((3, 2), dtype=np.int64)
    new = generation.stage2_continue(config, m.decoder, semantic, carried, 4, 1.0, 11, 10)
    seq = tokens.stage2_sequence(config, semantic, np.concatenate([carried, new], 1))
    with torch.no_grad():
        logits = m.decoder(torch.tensor(seq))["logits"].numpy()
    coarse_positions = [p for p in range(8, len(seq)) if seq[p] > tokens.stage2_sep(config)]
    assert len(coarse_positions) == 12
    for k, pos in enumerate(coarse_positions):
        lo, hi = tokens.stage2_range(config, k)
        u = sampling.uniform(11, 2, 10 * 3 + k)
        assert seq[pos] == sampling.sample(logits[pos - 1], 1.0, u, lo, hi)


# ------------------------------------------------------------ T5 buckets

def hf_t5_bucket(relative_position, bidirectional, num_buckets, max_distance):
    """transformers' T5Attention._relative_position_bucket, verbatim in torch."""
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    large = max_exact + (
        torch.log(relative_position.float() / max_exact) / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return relative_buckets + torch.where(is_small, relative_position, large)


def test_causal_buckets_reference_values():
    # relative_position = key - query, so a key 20 steps back is -20
    distances = np.array([0, 15, 16, 20, 32, 64, 100, 200])
    got = buckets.bucket(-distances, bidirectional=False, num_buckets=32, max_distance=128)
    assert got.tolist() == [0, 15, 16, 17, 21, 26, 30, 31]
    assert buckets.bucket(np.array([1, 5, 500]), False, 32, 128).tolist() == [0, 0, 0]  # future keys


def test_bidirectional_buckets_reference_values():
    rel = np.array([0, -1, 1, -7, 7, -8, 8, -20, 20, -200, 200])
    got = buckets.bucket(rel, bidirectional=True, num_buckets=32, max_distance=128)
    assert got.tolist() == [0, 1, 17, 7, 23, 8, 24, 10, 26, 15, 31]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_buckets,max_distance", [(32, 128), (16, 24), (20, 50), (12, 30), (64, 1000)])
def test_buckets_match_hf_t5(bidirectional, num_buckets, max_distance):
    rel = np.arange(-3000, 3001)
    ours = buckets.bucket(rel, bidirectional, num_buckets, max_distance)
    theirs = hf_t5_bucket(torch.from_numpy(rel), bidirectional, num_buckets, max_distance).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_bucket_matrix_offsets():
    full = buckets.bucket_matrix(10, 10, False, 32, 128)
    assert full[7, 2] == 5 and full[2, 7] == 0
    np.testing.assert_array_equal(buckets.bucket_matrix(3, 10, False, 32, 128, query_offset=7), full[7:])


# ------------------------------------------------------------ sampling

def test_rng_reference_values():
    # seed 1, stream 0, counter 0 hashes seed*G = G: the first SplitMix64 output for state 0.
    x = (1 * sampling.GOLDEN) & sampling.MASK
    assert sampling.splitmix64_finalise(x) == 0xE220A8397B1DCDAF
    assert sampling.uniform(0, 0, 0) == 0.0
    assert sampling.uniform(0, 0, 1) == (0x5692161D100B05E5 >> 40) / 2 ** 24
    assert sampling.uniform(42, 1, 7) == (0x27F5704280CE0FBC >> 40) / 2 ** 24
    assert sampling.uniform(2 ** 64 - 1, 3, 2 ** 64 - 1) == (0x8012E556796F4352 >> 40) / 2 ** 24


def test_rng_matches_uint64_vectorised():
    seeds = np.array([0, 1, 7, 2 ** 63, 2 ** 64 - 1], dtype=np.uint64)
    counters = np.arange(50, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (seeds[:, None] * np.uint64(sampling.GOLDEN)) ^ (np.uint64(3) * np.uint64(sampling.MIX1)) ^ counters[None]
        x = (x ^ (x >> np.uint64(30))) * np.uint64(sampling.MIX1)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(sampling.MIX2)
        x = x ^ (x >> np.uint64(31))
    u = (x >> np.uint64(40)).astype(np.float64) * 2.0 ** -24
    ours = [[sampling.uniform(int(s), 3, int(c)) for c in counters] for s in seeds]
    np.testing.assert_array_equal(np.array(ours), u)


def test_sampling_is_deterministic_and_follows_softmax():
    logits = np.array([0.5, 2.0, -1.0, 1.0, 2.0], dtype=np.float32)
    draws = [sampling.sample(logits, 1.0, sampling.uniform(9, 2, c)) for c in range(20000)]
    again = [sampling.sample(logits, 1.0, sampling.uniform(9, 2, c)) for c in range(20000)]
    assert draws == again
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    freq = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(freq, p, atol=0.015)


def test_sampling_rules():
    logits = np.array([3.0, 1.0, 3.0, -2.0, 0.0], dtype=np.float32)
    assert sampling.sample(logits, 0.0, 0.999) == 0  # argmax, lowest index on ties
    assert sampling.sample(logits, 0.0, 0.0, lo=1, hi=4) == 2
    assert sampling.sample(logits, 1.0, 0.0) == 0  # u = 0 takes the first index with weight
    assert sampling.sample(logits, 1.0, 1 - 2 ** -24) == 4
    for c in range(200):  # range restriction and top-k never leave their sets
        assert 1 <= sampling.sample(logits, 1.0, sampling.uniform(1, 0, c), lo=1, hi=4) < 4
        assert sampling.sample(logits, 5.0, sampling.uniform(1, 0, c), top_k=2) in (0, 2)
    # cumulative rule: weights e^0, e^-2, e^0 ... u just below the first share picks 0, just above picks 1
    w = np.exp(np.array([0.0, -2.0, 0.0, -5.0, -3.0]))
    edge = w[0] / w.sum()
    assert sampling.sample(logits, 1.0, edge - 1e-9) == 0
    assert sampling.sample(logits, 1.0, edge + 1e-9) == 1


# ------------------------------------------------------------ model

def random_model(config, component, seed=3):
    return model_mod.load(config, component, export.random_weights(config, component, seed))


@pytest.mark.parametrize("name", EXPORTED)
@pytest.mark.parametrize("stage", ["stage1", "stage2", "stage3"])
def test_incremental_decoding_equals_full_forward(name, stage):
    torch.manual_seed(0)
    config = example(name)
    m = random_model(config, stage)
    vocab = config_mod.vocab_size(config, stage)
    tokens = torch.randint(0, vocab, (29,))
    memory = None
    if hasattr(m, "encoder"):
        t = config[stage]
        streams = {s["name"]: torch.randn(6, s["dim"]) if s["kind"] == "dense"
                   else torch.randint(0, s["vocab"], (6 * s["tokens_per_frame"],)) for s in t["streams"]}
        style = torch.randn(t["style_dim"]) if t["style_dim"] else None
        memory = m.encoder(streams, style)["out"]
    with torch.no_grad():
        full = m.decoder(tokens, memory)["logits"]
        cache = m.decoder.new_cache()
        steps = [m.decoder(tokens[i:i + 1], memory, cache)["logits"] for i in range(10)]
        steps.append(m.decoder(tokens[10:], memory, cache)["logits"])  # a chunked prefill after single steps
    torch.testing.assert_close(torch.cat(steps), full, rtol=1e-5, atol=1e-5)


def test_causal_decoder_ignores_future_tokens():
    config = example("tiny")
    m = random_model(config, "stage3")
    a = torch.randint(0, config_mod.vocab_size(config, "stage3"), (20,))
    b = a.clone()
    b[12:] = (b[12:] + 1) % config_mod.vocab_size(config, "stage3")
    with torch.no_grad():
        la, lb = m.decoder(a)["logits"], m.decoder(b)["logits"]
    torch.testing.assert_close(la[:12], lb[:12], rtol=0, atol=0)


@pytest.mark.parametrize("padding", ["causal", "centred"])
@pytest.mark.parametrize("strides", [[2, 2], [3, 5], [4]])
@pytest.mark.parametrize("frames", [1, 5, 11])
def test_codec_output_length(padding, strides, frames):
    raw = json.load(open(os.path.join(EXAMPLES, "tiny.json")))
    raw["codec"].update({"padding": padding, "strides": strides, "channels": [8] * (len(strides) + 1)})
    raw["rates"]["sample_rate"] = 50 * math.prod(strides)
    config = config_mod.resolve(raw)
    m = random_model(config, "codec")
    codes = torch.randint(0, 32, (4, frames))
    with torch.no_grad():
        out = m(codes)
    assert out["waveform"].shape == (frames * math.prod(strides),)
    for b, block in enumerate(out["blocks"]):
        assert block.shape == (8, frames * math.prod(strides[: b + 1]))
    with torch.no_grad():
        coarse_only = m(codes[:2])["waveform"]  # fewer levels are allowed
    assert coarse_only.shape == out["waveform"].shape


def test_snake_codec_layout_and_math():
    raw = json.load(open(os.path.join(EXAMPLES, "tiny.json")))
    raw["codec"]["activation"] = "snake"
    config = config_mod.resolve(raw)
    names = layout.component_tensors(config, "codec")
    ch = config["codec"]["channels"]
    alphas = {n: s for n, s in names.items() if n.endswith(".alpha")}
    units = len(config["codec"]["residual_dilations"])
    assert len(alphas) == len(config["codec"]["strides"]) * (1 + 2 * units) + 1
    assert alphas["decoder.blocks.0.act.alpha"] == (ch[0],)
    assert alphas["decoder.out_act.alpha"] == (ch[-1],)
    m = random_model(config, "codec")
    assert set(m.state_dict()) == set(names)
    snake = m.decoder.out_act
    x = torch.randn(ch[-1], 9) * 3
    a = snake.alpha.detach()[:, None]
    torch.testing.assert_close(snake(x), x + torch.sin(a * x) ** 2 / (a + 1e-9), rtol=0, atol=0)


def test_codec_activation_is_checked():
    raw = json.load(open(os.path.join(EXAMPLES, "tiny.json")))
    raw["codec"]["activation"] = "relu"
    with pytest.raises(config_mod.ConfigError, match="codec.activation"):
        config_mod.resolve(raw)


def test_causal_codec_is_causal():
    config = example("tiny")
    m = random_model(config, "codec")
    a = torch.randint(0, 32, (4, 9))
    b = a.clone()
    b[:, 6:] = (b[:, 6:] + 1) % 32
    with torch.no_grad():
        wa, wb = m(a)["waveform"], m(b)["waveform"]
    torch.testing.assert_close(wa[: 6 * 4], wb[: 6 * 4], rtol=0, atol=0)


# ------------------------------------------------------------ committed goldens

def expected_golden_names(config, meta):
    names = set()
    for stage in ("stage1", "stage2", "stage3"):
        t = config[stage]
        names |= {f"{stage}.input.tokens", f"{stage}.logits"}
        stacks = [("decoder", t["decoder_layers"])]
        if config_mod.has_encoder(config, stage):
            names |= {f"{stage}.input.streams.{s['name']}" for s in t["streams"]}
            if t["style_dim"]:
                names.add(f"{stage}.input.style")
            stacks.append(("encoder", t["encoder_layers"]))
        for stack, layers in stacks:
            names |= {f"{stage}.{stack}.{k}" for k in ("buckets", "embed", "out")}
            names |= {f"{stage}.{stack}.layers.{i}" for i in range(layers)}
    names |= {"codec.input.codes", "codec.latent", "codec.in_conv", "codec.waveform"}
    names |= {f"codec.blocks.{b}" for b in range(len(config["codec"]["strides"]))}
    if config["codec"].get("lstm_layers", 0) > 0:  # an "encodec" codec (VMAS.md §9)
        names.add("codec.lstm")
    if "codec_encoder" in json.loads(meta["inputs"]):
        names |= {"codec_encoder.input.waveform", "codec_encoder.in_conv", "codec_encoder.latent", "codec_encoder.codes"}
        names |= {f"codec_encoder.blocks.{b}" for b in range(len(config["codec"]["strides"]))}
        if config["codec"].get("lstm_layers", 0) > 0:
            names.add("codec_encoder.lstm")
    names.add("sampling.logits")
    names |= {"generation.stage2.semantic", "generation.stage2.carried", "generation.stage2.coarse"}
    names |= {case["name"] for case in json.loads(meta["sampling"])["cases"]}
    # Every computed float tensor has its float64 evaluation beside it; inputs and integers do not.
    computed = {n for n in names if n.startswith(("stage", "codec"))
                and not n.endswith(("buckets", ".codes")) and ".input." not in n}
    names |= {"float64." + n for n in computed}
    return names


@pytest.mark.parametrize("name", EXPORTED + ("tiny_f16",) + ENCODER_SETS)
def test_committed_goldens_are_complete(name):
    folder = os.path.join(GOLDEN, name)
    assert check.check(os.path.join(folder, "bundle")) == []
    config = config_mod.load(os.path.join(folder, "bundle", "config.json"))
    tensors, dtypes, meta = safetensors_io.read(os.path.join(folder, "golden.safetensors"))
    assert set(tensors) == expected_golden_names(config, meta)
    temps = {c["temperature"] for c in json.loads(meta["sampling"])["cases"]}
    assert temps == {0.0, 0.4, 1.0}
    for key, value in tensors.items():
        integer = key.endswith(("tokens", "buckets", "codes")) or ".input.streams." in key and value.dtype.kind == "i" \
            or key.startswith(("sampling.tokens.", "generation."))
        assert dtypes[key] == ("I32" if integer else "F64" if key.startswith("float64.") else "F32"), key
    hop = config_mod.hop(config)
    assert tensors["codec.waveform"].shape == (tensors["codec.input.codes"].shape[1] * hop,)
    assert tensors["stage1.logits"].shape[0] % 16 != 0
    assert meta["format"] == "v2meow-golden/2"


@pytest.mark.parametrize("name", EXPORTED + ("tiny_f16",) + ENCODER_SETS)
def test_committed_float64_goldens_are_a_float64_evaluation(name):
    """float64.{name} is the same graph evaluated in float64, not the float32 tensor widened: through the
    transformer it differs from the float32 one by float32 rounding, a few 1e-7 of the scale (more than none,
    far less than a different input or weight would give); elsewhere within 1e-2 (the waveform is the least
    conditioned tensor)."""
    tensors, _, _ = safetensors_io.read(os.path.join(GOLDEN, name, "golden.safetensors"))
    for key in (k for k in tensors if k.startswith("float64.")):
        truth, f32 = tensors[key], tensors[key[len("float64."):]]
        assert truth.dtype == np.float64 and truth.shape == f32.shape, key
        error = np.abs(f32 - truth).max() / max(np.abs(truth).max(), 1e-6)
        if key.endswith(("layers.0", "logits", ".out")):
            assert 1e-9 < error < 1e-5, (key, error)
        else:
            assert error < 1e-2, (key, error)


def test_committed_tiny_goldens_reproduce():
    """The golden values follow from the committed bundle (full regeneration: make_goldens.sh --check)."""
    import golden

    folder = os.path.join(GOLDEN, "tiny")
    fresh, meta = golden.make(os.path.join(folder, "bundle"), 101)
    committed, _, committed_meta = safetensors_io.read(os.path.join(folder, "golden.safetensors"))
    assert meta == committed_meta
    for key, value in committed.items():
        np.testing.assert_allclose(fresh[key], value, rtol=1e-6, atol=1e-6, err_msg=key)


# ------------------------------------------------------------ the codec's encoder (SPEC §9.3)

@pytest.mark.parametrize("name", ENCODER_SETS)
def test_encoder_module_names_match_layout(name):
    config = example(name)
    state = codec_encoder.CodecEncoder(config["codec"]).state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == layout.component_tensors(config, "codec_encoder")
    assert list(state) == list(layout.component_tensors(config, "codec_encoder"))  # the canonical order


def test_encoder_sets_exercise_both_paddings_kinds_and_in_proj():
    plain, odd = (example(n)["codec"] for n in ENCODER_SETS)
    assert (plain["padding"], plain["activation"], plain["out_proj"], plain.get("kind", "soundstream")) == \
        ("causal", "snake", False, "soundstream")
    assert (odd["padding"], odd["activation"], odd["out_proj"], odd["kind"]) == ("centred", "elu", True, "encodec")
    assert odd["lstm_layers"] > 0


@pytest.mark.parametrize("name", ENCODER_SETS)
def test_encoder_gives_one_latent_frame_per_hop_and_the_causal_one_ignores_the_future(name):
    config = example(name)
    m = codec_encoder.load(config["codec"], export.random_weights(config, "codec_encoder", 9))
    hop = config_mod.hop(config)
    wav = torch.from_numpy(np.random.RandomState(0).uniform(-1, 1, 9 * hop).astype(np.float32))
    with torch.no_grad():
        out = m(wav)
        later = wav.clone()
        later[6 * hop:] = 0
        changed = m(later)
    assert out["latent"].shape == (config["codec"]["codebook_dim"], 9)
    same = torch.equal(out["latent"][:, :6], changed["latent"][:, :6])
    assert same == (config["codec"]["padding"] == "causal" and config["codec"].get("lstm_layers", 0) == 0)


def test_down_padding_follows_spec():
    """Down of SPEC §9.3 written out as a loop, against the module's pad-then-stride."""
    rng = np.random.RandomState(1)
    x, w, b = rng.standard_normal((2, 12)), rng.standard_normal((3, 2, 6)), rng.standard_normal(3)
    for padding in ("causal", "centred"):
        total = 6 - 3
        left = total if padding == "causal" else total // 2
        xp = np.pad(x, ((0, 0), (left, total - left)))
        expected = np.array([[b[o] + sum(w[o, i, j] * xp[i, t * 3 + j] for i in range(2) for j in range(6))
                              for t in range(4)] for o in range(3)])
        got = torch.nn.functional.conv1d(codec_encoder.pad_for_down(torch.from_numpy(x)[None], 6, 3, padding),
                                         torch.from_numpy(w), torch.from_numpy(b), stride=3)[0].numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_rvq_encode_is_the_spec_arithmetic_with_ties_to_the_lower_code():
    books = np.array([[[9, 9, 9], [1, 2, -1], [-1, -2, 1], [1, 2, -1]],
                      [[5, 5, 5]] * 4], dtype=np.float32)
    latent = np.array([[1, 0, 3e38], [2, 0, 3e38], [-1, 0, 3e38]], dtype=np.float32)  # [D, 3 frames]
    # Frame 0 ties rows 1 and 3 exactly, frame 1 ties 1, 2 and 3, frame 2 overflows every distance to +inf.
    np.testing.assert_array_equal(codec_encoder.rvq_encode(latent, books, 2), [[1, 1, 0], [0, 0, 0]])

    rng = np.random.RandomState(2)
    books = rng.standard_normal((3, 17, 5)).astype(np.float32)
    latent = rng.standard_normal((5, 23)).astype(np.float32)
    expected = np.zeros((3, 23), np.int32)
    for t in range(23):
        r = latent[:, t].copy()
        for q in range(3):
            best, best_k = np.float32(np.inf), 0
            for k in range(17):
                acc = np.float32(0)
                for d in range(5):
                    e = np.float32(r[d] - books[q, k, d])
                    acc = np.float32(acc + np.float32(e * e))
                if acc < best:
                    best, best_k = acc, k
            expected[q, t] = best_k
            r = (r - books[q, best_k]).astype(np.float32)
    np.testing.assert_array_equal(codec_encoder.rvq_encode(latent, books, 3), expected)


def test_check_validates_the_encoder_when_it_is_there(tmp_path):
    out = str(tmp_path / "bundle")
    assert export.main(["--config", os.path.join(EXAMPLES, "codec_encoder.json"), "--seed", "5", "--out", out,
                        "--codec-encoder"]) == 0
    assert check.check(out) == []
    path = os.path.join(out, "codec_encoder.safetensors")

    def wrong_shape(tensors, dtypes, metadata):
        tensors["encoder.blocks.0.down.weight"] = tensors["encoder.blocks.0.down.weight"][:, :, :4]
    rewrite(path, wrong_shape)
    assert any("codec_encoder.safetensors: tensor 'encoder.blocks.0.down.weight': expected [16, 8, 6]" in e
               for e in check.check(out))

    assert export.main(["--config", os.path.join(EXAMPLES, "codec_encoder.json"), "--seed", "5", "--out", out,
                        "--codec-encoder"]) == 0

    def other_codec(tensors, dtypes, metadata):
        metadata["config"] = metadata["config"].replace('"strides":[2,3]', '"strides":[3,2]')
    rewrite(path, other_codec)
    assert any("codec_encoder.safetensors: __metadata__ 'config'" in e for e in check.check(out))

    os.remove(path)
    assert check.check(out) == []  # optional: a bundle without it is complete


def test_a_state_dict_with_encoder_keys_exports_the_encoder(tmp_path):
    config = example("codec_encoder")
    state = {}
    for component in config_mod.COMPONENTS + ("codec_encoder",):
        state.update({f"{component}.{k}": v for k, v in export.random_weights(config, component, 4).items()})
    path = str(tmp_path / "state.pt")
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, path)
    out = str(tmp_path / "bundle")
    assert export.main(["--config", os.path.join(EXAMPLES, "codec_encoder.json"), "--state-dict", path, "--out", out]) == 0
    assert check.check(out) == []
    del state["codec_encoder.encoder.out_conv.bias"]
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, path)
    assert export.main(["--config", os.path.join(EXAMPLES, "codec_encoder.json"), "--state-dict", path,
                        "--out", str(tmp_path / "other")]) == 2
