"""Tests of the VMAs PyTorch reference and its tooling (weights-spec/reference/vmas, VMAS.md)."""

import copy
import json
import math
import os
import shutil

import numpy as np
import pytest
import torch

import compare_goldens
import config as config_mod
import export as v2_export
import layout as v2_layout
import model as model_mod
import safetensors_io
import sampling
from vmas import bundle, check, delay, export, generation, golden, layout
from vmas import config as vconfig
from vmas import model as vmodel

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "weights-spec", "examples")
GOLDEN = os.path.join(ROOT, "tests", "golden")
GOLDEN_SETS = {"vmas-tiny": ("vmas-tiny", 11, 201, None), "vmas-tiny_f16": ("vmas-tiny", 11, 201, "float16"),
               "vmas-odd": ("vmas-odd", 12, 202, None)}  # as make_goldens.sh


def example_path(name):
    return os.path.join(EXAMPLES, f"vmas-{name}.json")


def example(name):
    return vconfig.load(example_path(name))


def raw_example(name):
    with open(example_path(name)) as f:
        return json.load(f)


def modules(name, seed=3, dtype=torch.float64):
    config = example(name)
    built = {c: vmodel.load(config, c, export.random_weights(config, c, seed)).to(dtype) for c in vconfig.COMPONENTS}
    return config, built


def random_frames(config, rng, dtype=torch.float64):
    v = config["video"]
    shape = (3, vconfig.window_video_frames(config), v["height"], v["width"])
    return torch.from_numpy(rng.standard_normal(shape)).to(dtype)


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("vmas") / "bundle")
    assert export.main(["--config", example_path("tiny"), "--seed", "5", "--out", out]) == 0
    return out


# ------------------------------------------------------------ config

@pytest.mark.parametrize("name", ["tiny", "odd", "small", "paper"])
def test_examples_resolve_and_name_their_sizes(name):
    config = example(name)
    assert vconfig.resolve(config) == config  # resolving is idempotent
    assert config["decoder"]["codebooks"] == config["codec"]["levels"]
    assert config["sample_rate"] % vconfig.hop(config) == 0


def test_paper_sizes():
    config = example("paper")
    assert vconfig.patch_grid(config) == (48, 56, 56)
    grids = [(b.grid, b.dim) for b in vconfig.blocks(config) if b.transition or b.index == 0]
    assert grids == [((48, 56, 56), 96), ((48, 14, 14), 192), ((48, 2, 2), 384), ((48, 1, 1), 768)]
    assert len(vconfig.blocks(config)) == 24  # Hiera-Base 2-3-16-3
    assert (vconfig.window_frames(config), vconfig.prompt_frames(config), vconfig.frame_rate(config)) == (500, 100, 50)
    assert 1.8e9 < vmodel.parameter_count(config) < 2.0e9  # MusicGen-medium's decoder with cross-attention


def test_odd_sizes():
    config = example("odd")
    assert vconfig.patch_grid(config) == (3, 8, 7)  # 30 × 20 frames, strides 4 and 3: neither divides
    assert [b.grid for b in vconfig.blocks(config)] == [(3, 8, 7), (3, 8, 7), (3, 4, 1), (3, 2, 1), (3, 2, 1)]
    assert config["decoder"]["n_heads"] * config["decoder"]["head_dim"] != config["decoder"]["d_model"]


def _set(path, value):
    def edit(c):
        target = c
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return edit


_DELETE = object()
CONFIG_ERRORS = [
    (_set(["format"], "v2meow/1"), "config.format: expected 'vmas/1'"),
    (_set(["name"], _DELETE), "config.name: required"),
    (lambda c: (_set(["video", "height"], 5)(c), _set(["encoder", "patch_padding"], [1, 0, 3])(c)),
     "encoder.patch_kernel: video.height 5 is smaller than the patch (kernel 7, padding 0 on each side)"),
    (lambda c: (_set(["window_seconds"], 0.4)(c), _set(["encoder", "patch_padding"], [0, 3, 3])(c)),
     "encoder.patch_kernel: frames per window (window_seconds × video.fps) 2 is smaller than the patch"),
    (_set(["encoder", "stages", 1, "pool"], [1, 3, 2]), "encoder.stages[1].pool: [1, 3, 2] does not divide"),
    (_set(["encoder", "stages", 1, "pool"], [2, 2, 2]), "encoder.stages[1].pool: the time entry must be 1"),
    (_set(["encoder", "stages", 1, "pool"], _DELETE), "encoder.stages[1].pool: required"),
    (_set(["encoder", "stages", 0, "pool"], [1, 2, 2]), "encoder.stages[0].pool: not allowed on the first stage"),
    (_set(["encoder", "stages", 0, "mask_unit"], [1, 3, 2]), "encoder.stages[0].mask_unit: [1, 3, 2] does not divide"),
    (_set(["encoder", "stages", 1, "mask_unit"], [2, 1, 2]), "encoder.stages[1].mask_unit: [2, 1, 2] does not divide"),
    (_set(["encoder", "stages", 2, "mask_unit"], [1, 1, 1]), "encoder.stages[2].mask_unit: only allowed with"),
    (_set(["encoder", "stages", 0, "mask_unit"], _DELETE), "encoder.stages[0].mask_unit: required"),
    (_set(["encoder", "stages", 1, "heads"], 3), "encoder.stages[1].heads: 3 does not divide the stage's width 16"),
    (_set(["encoder", "stages", 0, "attention"], "local"), "encoder.stages[0].attention: expected one of"),
    (_set(["encoder", "patch_padding"], [1, 7, 3]), "encoder.patch_padding: entry 1 is 7, expected < patch_kernel's 7"),
    (_set(["encoder", "stages"], []), "encoder.stages: expected a list of 1 to 8"),
    (_set(["decoder", "codebooks"], 3), "decoder.codebooks: 3, but the codec has 2 levels"),
    (_set(["decoder", "codebook_size"], 17), "decoder.codebook_size: 17, but the codec's codebooks hold 16"),
    (_set(["decoder", "d_model"], 31), "decoder.d_model: expected an even number"),
    (_set(["decoder", "rel_buckets"], 32), "decoder.rel_buckets: not allowed"),
    (_set(["decoder", "max_period"], 0), "decoder.max_period: expected a number > 0"),
    (_set(["codec", "levels"], _DELETE), "codec.levels: required"),
    (_set(["codec", "compress"], 3), "codec.compress: 3 does not divide channels [8, 4]"),
    (_set(["codec", "kind"], "soundstream"), "codec.lstm_layers: only allowed with kind \"encodec\""),
    (_set(["codec", "strides"], [7, 4]), "codec.strides: sample_rate 240 / hop 28"),
    (lambda c: (_set(["sample_rate"], 264)(c), _set(["window_seconds"], 1.2)(c)),
     "config.window_seconds: window_seconds × frame_rate = 1.2 × 22"),
    (_set(["prompt_seconds"], 0.13), "config.prompt_seconds: prompt_seconds × frame_rate"),
    (_set(["prompt_seconds"], 1), "config.prompt_seconds: expected < window_seconds"),
    (_set(["video", "fps"], 4.5), "config.window_seconds: window_seconds × video.fps"),
    (_set(["video", "std"], [0.2, 0, 0.2]), "video.std: expected 3 numbers > 0"),
    (_set(["top_k"], -1), "config.top_k: expected an integer from 0"),
    (_set(["guidance"], -0.5), "config.guidance: expected a number >= 0"),
    (_set(["encoder", "typo"], 1), "encoder.typo: unknown field"),
]


@pytest.mark.parametrize("edit,message", CONFIG_ERRORS, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in
                                                             enumerate(CONFIG_ERRORS)])
def test_config_errors_name_the_field(edit, message):
    raw = raw_example("tiny")
    edit(raw)
    with pytest.raises(config_mod.ConfigError) as e:
        vconfig.resolve(raw)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_config_errors_name_the_file(tmp_path):
    raw = raw_example("tiny")
    raw["decoder"]["d_model"] = 30.5
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(config_mod.ConfigError, match=r"config\.json: decoder\.d_model: expected an integer"):
        vconfig.load(str(path))


def test_vmas_config_may_name_a_soundstream_codec():
    raw = raw_example("tiny")
    for key in ("kind", "lstm_layers", "residual_kernel_size", "compress"):
        del raw["codec"][key]
    config = vconfig.resolve(raw)
    names = layout.codec_tensors(config)
    assert "decoder.lstm.0.weight_ih" not in names
    assert names["decoder.blocks.0.res.0.conv1.weight"] == (8, 8, 7)  # C -> C with kernel_size
    vmodel.load(config, "codec", export.random_weights(config, "codec", 0))


# ------------------------------------------------------------ the shared codec's encodec kind

def v2meow_example(name):
    with open(os.path.join(EXAMPLES, f"{name}.json")) as f:
        return json.load(f)


def test_v2meow_config_may_name_an_encodec_codec(tmp_path):
    raw = v2meow_example("tiny")
    raw["codec"].update({"kind": "encodec", "lstm_layers": 1, "compress": 2})
    config = config_mod.resolve(raw)
    assert config["codec"]["residual_kernel_size"] == 3  # the encodec default
    names = v2_layout.codec_tensors(config)
    assert names["decoder.lstm.0.weight_hh"] == (128, 32)
    assert names["decoder.blocks.1.res.2.conv1.weight"] == (4, 8, 3)
    assert names["decoder.blocks.1.res.2.conv2.weight"] == (8, 4, 1)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    out = str(tmp_path / "bundle")
    assert v2_export.main(["--config", str(path), "--seed", "1", "--out", out]) == 0
    import check as v2_check

    assert v2_check.check(out) == []
    tensors, _, _ = safetensors_io.read_f32(os.path.join(out, "codec.safetensors"))
    codec = model_mod.load(config, "codec", tensors)
    result = codec(torch.zeros((4, 5), dtype=torch.long))
    assert result["lstm"].shape == (32, 5) and result["waveform"].shape == (20,)


def test_soundstream_codec_refuses_encodec_fields():
    raw = v2meow_example("tiny")
    raw["codec"]["compress"] = 2
    with pytest.raises(config_mod.ConfigError, match=r"codec\.compress: only allowed with kind \"encodec\""):
        config_mod.resolve(raw)
    raw["codec"]["kind"] = "wavenet"
    with pytest.raises(config_mod.ConfigError, match=r"codec\.kind: expected one of \['soundstream', 'encodec'\]"):
        config_mod.resolve(raw)


def test_lstm_is_pytorchs():
    torch.manual_seed(0)
    reference = torch.nn.LSTM(6, 6, num_layers=2).double()
    ours = model_mod.Lstm(6, 2).double()
    with torch.no_grad():
        for layer in range(2):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ours[layer], name).copy_(getattr(reference, f"{name}_l{layer}"))
        x = torch.randn(1, 6, 9, dtype=torch.float64)
        expected = x + reference(x[0].t()[:, None, :])[0][:, 0, :].t()[None]
        assert torch.allclose(ours(x), expected, atol=1e-12)


# ------------------------------------------------------------ layout and modules

@pytest.mark.parametrize("name", ["tiny", "odd", "small"])
def test_module_names_match_layout(name):
    config = example(name)
    for component in vconfig.COMPONENTS:
        m = vmodel.build(config, component)
        shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
        assert shapes == layout.component_tensors(config, component), component


def test_max_pool_and_windows():
    x = torch.randn(2, 3, 4, 6, 5, dtype=torch.float64)  # [B, T, H, W, C]
    pooled = vmodel.max_pool(x, (1, 2, 3))
    for t, h, w in np.ndindex(3, 2, 2):
        cell = x[:, t, 2 * h:2 * h + 2, 3 * w:3 * w + 3, :].reshape(2, -1, 5)
        assert torch.equal(pooled[:, t, h, w], cell.amax(dim=1))
    windows = vmodel.to_windows(x, (3, 2, 3))
    assert windows.shape == (2, 4, 18, 5)
    assert torch.equal(windows[:, 3, 0], x[:, 0, 2, 3])  # window (0, 1, 1) starts at (t, h, w) = (0, 2, 3)
    assert torch.equal(vmodel.from_windows(windows, (3, 4, 6), (3, 2, 3)), x)


def brute_force_encoder(config, encoder, frames):
    """VMAS.md §6.2 written as loops over rows: pooling cell by cell, each query's keys found by the rule."""
    res = encoder(frames)
    x = res["embed"]
    outputs = []
    for b, blk in zip(vconfig.blocks(config), encoder.blocks):
        tg, hi, wi = b.grid_in
        _, h_out, w_out = b.grid
        ph, pw = b.pool[1], b.pool[2]
        mt, mh, mw = b.mask_unit
        d, dh = b.dim, b.dim // b.heads
        xn = blk.norm1(x)
        qkv = blk.attn.qkv(xn)
        q, k, v = qkv[:, :d], qkv[:, d:2 * d], qkv[:, 2 * d:]

        def pool(y):
            rows = []
            for t, h, w in np.ndindex(tg, h_out, w_out):
                cells = [y[t * hi * wi + (h * ph + a) * wi + w * pw + c] for a in range(ph) for c in range(pw)]
                rows.append(torch.stack(cells).max(0).values)
            return torch.stack(rows)

        skip = pool(blk.proj(xn)) if b.transition else x
        q = pool(q) if b.transition else q
        o = torch.zeros(tg * h_out * w_out, d, dtype=x.dtype)
        for r, (t, h, w) in enumerate(np.ndindex(tg, h_out, w_out)):
            keys = [j for j, (tt, hh, ww) in enumerate(np.ndindex(tg, hi, wi))
                    if tt // mt == t // mt and hh // (mh * ph) == h // mh and ww // (mw * pw) == w // mw]
            for a in range(b.heads):
                c = slice(a * dh, (a + 1) * dh)
                p = torch.softmax((k[keys][:, c] @ q[r, c]) / math.sqrt(dh), dim=0)
                o[r, c] = p @ v[keys][:, c]
        x = skip + blk.attn.proj(o)
        x = x + blk.mlp(blk.norm2(x))
        outputs.append(x)
    return res, outputs


@pytest.mark.parametrize("name", ["tiny", "odd"])
def test_pooling_and_mask_unit_attention_match_a_loop(name):
    config, m = modules(name)
    with torch.no_grad():
        res, loops = brute_force_encoder(config, m["video_encoder"], random_frames(config, np.random.RandomState(1)))
    for i, (block, loop) in enumerate(zip(res["blocks"], loops)):
        assert torch.allclose(block, loop, atol=1e-12, rtol=0), f"block {i}"


def test_encoder_takes_a_batch():
    config, m = modules("tiny")
    rng = np.random.RandomState(2)
    frames = torch.stack([random_frames(config, rng) for _ in range(2)])
    with torch.no_grad():
        batched = m["video_encoder"](frames)
        for i in range(2):
            single = m["video_encoder"](frames[i])
            assert torch.allclose(batched["memory"][i], single["memory"], atol=1e-12)
    assert batched["blocks"][1].shape == (2, 12, 16)


def test_encoder_rows_are_t_h_w_ordered_and_the_mean_is_spatial():
    config, m = modules("tiny")
    enc = m["video_encoder"]
    frames = random_frames(config, np.random.RandomState(3))
    with torch.no_grad():
        res = enc(frames)
        conv = enc.patch_embed(frames[None])[0]  # [C0, T', H0, W0]
        t, h, w = 2, 1, 3
        row = t * 16 + h * 4 + w
        pos = enc.pos_embed.spatial[h * 4 + w] + enc.pos_embed.temporal[t]
        assert torch.allclose(res["embed"][row], conv[:, t, h, w] + pos, atol=1e-12)
        last = res["blocks"][-1].reshape(3, -1, 32)
        assert torch.allclose(res["out"], enc.norm(last).mean(dim=1), atol=1e-12)


def test_sinusoidal_positions_are_musicgens():
    pe = vmodel.sinusoidal_positions(3, 5, 8, 10000, torch.float64)
    # audiocraft's create_sin_embedding: cat([cos(phase), sin(phase)]), phase = p / max_period^(i / (half - 1))
    positions = torch.arange(3, 8, dtype=torch.float64)[:, None]
    phase = positions / (10000 ** (torch.arange(4, dtype=torch.float64) / 3))
    assert torch.allclose(pe, torch.cat([torch.cos(phase), torch.sin(phase)], dim=-1), atol=1e-15)
    assert vmodel.sinusoidal_positions(0, 2, 8, 10000).dtype == torch.float32


# ------------------------------------------------------------ decoder

def decoder_inputs(config, frames, rng):
    n, k = config["decoder"]["codebook_size"], config["decoder"]["codebooks"]
    codes = rng.randint(0, n, size=(k, frames))
    return torch.from_numpy(delay.delayed_input(codes, n))


@pytest.mark.parametrize("name", ["tiny", "odd"])
@pytest.mark.parametrize("null", [False, True])
def test_kv_cache_equals_full_forward(name, null):
    config, m = modules(name)
    dec = m["music_decoder"]
    rng = np.random.RandomState(4)
    memory = None if null else torch.from_numpy(rng.standard_normal((3, config["decoder"]["d_model"])))
    ids = decoder_inputs(config, 9, rng)
    with torch.no_grad():
        full = dec(ids, memory)
        cache = dec.new_cache()
        parts = [dec(ids[:3], memory, cache)] + [dec(ids[p:p + 1], memory, cache) for p in range(3, ids.shape[0])]
    for key in ("embed", "out", "logits"):
        assert torch.allclose(torch.cat([p[key] for p in parts]), full[key], atol=1e-12, rtol=0), key
    assert full["logits"].shape == (ids.shape[0], config["decoder"]["codebooks"], config["decoder"]["codebook_size"])


def test_kv_cache_equals_full_forward_in_float32():
    config, m = modules("tiny", dtype=torch.float32)
    dec = m["music_decoder"]
    rng = np.random.RandomState(5)
    memory = torch.from_numpy(rng.standard_normal((3, 32)).astype(np.float32))
    ids = decoder_inputs(config, 12, rng)
    with torch.no_grad():
        full = dec(ids, memory)["logits"]
        cache = dec.new_cache()
        steps = torch.cat([dec(ids[p:p + 1], memory, cache)["logits"] for p in range(ids.shape[0])])
    assert torch.allclose(steps, full, atol=1e-5, rtol=0)  # float32, another summation order


def test_null_row_equals_zero_memory_exactly():
    config, m = modules("odd", dtype=torch.float32)
    dec = m["music_decoder"]
    ids = decoder_inputs(config, 8, np.random.RandomState(6))
    with torch.no_grad():
        null = dec(ids, None)
        zero = dec(ids, torch.zeros(3, config["decoder"]["d_model"]))
        cond = dec(ids, torch.ones(3, config["decoder"]["d_model"]))
    assert torch.equal(null["logits"], zero["logits"])
    assert not torch.allclose(null["logits"], cond["logits"])


def test_decoder_takes_a_batch_with_null_rows_as_zero_memory():
    config, m = modules("tiny")
    dec = m["music_decoder"]
    rng = np.random.RandomState(7)
    ids = torch.stack([decoder_inputs(config, 6, rng) for _ in range(2)])
    memory = torch.from_numpy(rng.standard_normal((2, 3, 32)))
    memory[1] = 0
    with torch.no_grad():
        batched = dec(ids, memory)["logits"]
        assert torch.allclose(batched[0], dec(ids[0], memory[0])["logits"], atol=1e-12)
        assert torch.allclose(batched[1], dec(ids[1], None)["logits"], atol=1e-12)


def test_causal_decoder_ignores_future_positions():
    config, m = modules("tiny")
    dec = m["music_decoder"]
    ids = decoder_inputs(config, 8, np.random.RandomState(8))
    changed = ids.clone()
    changed[5:] = (changed[5:] + 1) % 17
    with torch.no_grad():
        a, b = dec(ids, None)["logits"], dec(changed, None)["logits"]
    assert torch.equal(a[:5], b[:5]) and not torch.allclose(a[5:], b[5:])


# ------------------------------------------------------------ delay pattern

def test_delay_pattern_worked_example():
    """VMAS.md §7.1's table: K = 3, T = 4, codes c[k, t] = 10·k + t, N = 99."""
    codes = np.array([[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]])
    n = 99
    outputs = delay.step_outputs(codes, n)
    assert outputs.tolist() == [[0, 99, 99], [1, 10, 99], [2, 11, 20], [3, 12, 21], [99, 13, 22], [99, 99, 23]]
    ids = delay.delayed_input(codes, n)
    assert ids.tolist() == [[99, 99, 99], [0, 99, 99], [1, 10, 99], [2, 11, 20], [3, 12, 21], [99, 13, 22]]
    assert delay.positions(4, 3) == 6


@pytest.mark.parametrize("k,t", [(1, 5), (2, 1), (4, 7), (3, 16)])
def test_delay_pattern_round_trip(k, t):
    codes = np.random.RandomState(k * 100 + t).randint(0, 50, size=(k, t))
    outputs = delay.step_outputs(codes, 50)
    assert outputs.shape == (t + k - 1, k)
    assert np.array_equal(delay.undelay(outputs, t), codes)
    ids = delay.delayed_input(codes, 50)
    assert np.all(ids[0] == 50) and np.array_equal(ids[1:], outputs[:-1])
    assert (outputs == 50).sum() == k * (k - 1)  # the special token fills the pattern's two corners


# ------------------------------------------------------------ generation

def replay(config, dec, memory, codes, tp, temperature, top_k, guidance, seed, first_frame, candidate=0):
    """Every sampled code of a window recomputed from a full teacher-forced forward of the window's codes."""
    n, k_count = config["decoder"]["codebook_size"], config["decoder"]["codebooks"]
    ids = torch.from_numpy(delay.delayed_input(codes, n))
    with torch.no_grad():
        cond = dec(ids, memory)["logits"].numpy()
        null = dec(ids, None)["logits"].numpy()
    out = codes.copy()
    for t in range(tp, codes.shape[1]):
        for k in range(k_count):
            p = t + k  # the step that outputs c[k, t]
            logits = generation.guided(cond[p, k], null[p, k], guidance)
            u = sampling.uniform(seed, 1 + candidate * (1 << 32), (first_frame + t - tp) * k_count + k)
            out[k, t] = sampling.sample(logits, temperature, u, top_k=top_k)
    return out


@pytest.mark.parametrize("guidance,temperature,top_k", [(3.0, 1.0, 5), (1.0, 0.7, 0), (0.0, 1.0, 3), (2.0, 0.0, 0)])
def test_generation_matches_a_teacher_forced_replay(guidance, temperature, top_k):
    config, m = modules("tiny", dtype=torch.float32)
    dec = m["music_decoder"]
    rng = np.random.RandomState(9)
    memory = torch.from_numpy(rng.standard_normal((3, 32)).astype(np.float32))
    prompt = rng.randint(0, 16, size=(2, 3))
    for tp, first_frame in ((0, 0), (3, 40)):
        codes = generation.generate_window(dec, memory, 8, temperature, top_k, guidance, 77, first_frame,
                                           prompt[:, :tp] if tp else None, candidate=1)
        assert codes.shape == (2, 8) and codes.min() >= 0 and codes.max() < 16
        assert np.array_equal(codes[:, :tp], prompt[:, :tp])
        again = replay(config, dec, memory, codes, tp, temperature, top_k, guidance, 77, first_frame, candidate=1)
        assert np.array_equal(codes, again)


def test_generation_counters_follow_the_global_frame():
    config, m = modules("tiny", dtype=torch.float32)
    dec = m["music_decoder"]
    memory = torch.zeros(3, 32)
    a = generation.generate_window(dec, memory, 6, 1.0, 0, 1.0, 5, 0)
    b = generation.generate_window(dec, memory, 6, 1.0, 0, 1.0, 5, 1)
    c = generation.generate_window(dec, memory, 6, 1.0, 0, 1.0, 5, 0, candidate=1)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)


def test_window_plan():
    config = example("tiny")  # Tw = 20, Tp = 4 frames of 1/20 s, window 1 s, prompt 0.2 s
    windows = generation.plan(config, 2.5)  # 600 samples, 50 frames of 12
    assert [(w.start_seconds, w.first_frame, w.frames, w.prompt) for w in windows] == [
        (0.0, 0, 20, 0), (0.8, 16, 20, 4), (1.6, 32, 18, 4)]
    assert [(w.first_frame, w.frames) for w in generation.plan(config, 0.3)] == [(0, 6)]
    assert len(generation.plan(config, 1.0)) == 1  # 20 frames: window 0 covers them all
    assert generation.total_frames(config, 1.01) == 21


def test_whole_video_generation_continues_each_window_from_the_last():
    config, m = modules("tiny", dtype=torch.float32)
    starts = []

    def frames_at(start):
        starts.append(start)
        return random_frames(config, np.random.RandomState(len(starts)), torch.float32).numpy()

    codes = generation.generate(config, m["video_encoder"], m["music_decoder"], frames_at, 1.3, seed=3)
    assert codes.shape == (2, 26) and codes.min() >= 0
    assert starts == [0.0, 0.8]


def test_frame_times_and_normalisation():
    config = example("tiny")
    assert np.allclose(generation.frame_times(config, 0.8), 0.8 + (np.arange(5) + 0.5) / 5)
    pixels = np.full((5, 16, 16, 3), 255, dtype=np.uint8)
    x = generation.normalise(pixels, config)
    assert x.shape == (3, 5, 16, 16) and np.allclose(x, (1 - 0.45) / 0.225)


# ------------------------------------------------------------ export and check

def test_export_check_round_trip(tiny_bundle):
    assert check.check(tiny_bundle) == []
    config = bundle.read_config(tiny_bundle)
    for component in vconfig.COMPONENTS:
        tensors, metadata = bundle.read_component(tiny_bundle, component)
        assert metadata["format"] == "vmas/1" and metadata["component"] == component
        assert json.loads(metadata["config"]) == config[vconfig.SECTIONS[component]]
        assert {k: v.shape for k, v in tensors.items()} == layout.component_tensors(config, component)


def test_random_export_keeps_activations_order_one(tiny_bundle):
    config = bundle.read_config(tiny_bundle)
    enc = bundle.load_component(tiny_bundle, config, "video_encoder")
    dec = bundle.load_component(tiny_bundle, config, "music_decoder")
    with torch.no_grad():
        res = enc(random_frames(config, np.random.RandomState(0), torch.float32))
        logits = dec(decoder_inputs(config, 20, np.random.RandomState(1)), res["memory"])["logits"]
    for value in [res["memory"], res["blocks"][-1], logits]:
        assert 0.3 < float(value.std()) < 5
    assert float(logits.softmax(-1).max()) < 0.99  # unsaturated


@pytest.mark.parametrize("dtype,name", [("float16", "F16"), ("bfloat16", "BF16")])
def test_export_dtype_override(tmp_path, dtype, name):
    out = str(tmp_path / "bundle")
    assert export.main(["--config", example_path("tiny"), "--seed", "5", "--out", out, "--dtype", dtype]) == 0
    assert check.check(out) == []
    _, dtypes, _ = safetensors_io.read(os.path.join(out, "music_decoder.safetensors"))
    assert set(dtypes.values()) == {name}


def test_export_from_state_dict(tmp_path, tiny_bundle):
    config = bundle.read_config(tiny_bundle)
    state = {}
    for component in vconfig.COMPONENTS:
        tensors, _ = bundle.read_component(tiny_bundle, component)
        state.update({f"{component}.{k}": v for k, v in tensors.items()})
    path = str(tmp_path / "weights.safetensors")
    safetensors_io.write(path, state)
    out = str(tmp_path / "bundle")
    assert export.main(["--config", example_path("tiny"), "--state-dict", path, "--out", out]) == 0
    for component in vconfig.COMPONENTS:
        a, _, _ = safetensors_io.read(os.path.join(out, f"{component}.safetensors"))
        b, _, _ = safetensors_io.read(os.path.join(tiny_bundle, f"{component}.safetensors"))
        assert all(np.array_equal(a[k], b[k]) for k in b)
    del state["codec.decoder.lstm.1.bias_hh"]
    state["music_decoder.decoder.extra"] = np.zeros(1, dtype=np.float32)
    safetensors_io.write(path, state)
    assert export.main(["--config", example_path("tiny"), "--state-dict", path, "--out", out]) == 2
    assert config["codec"]["lstm_layers"] == 2


def copy_bundle(src, tmp_path):
    dst = str(tmp_path / "bundle")
    shutil.copytree(src, dst)
    return dst


def rewrite(path, edit):
    tensors, dtypes, metadata = safetensors_io.read(path)
    edit(tensors, dtypes, metadata)
    safetensors_io.write(path, tensors, metadata, dtypes)


def test_checker_names_file_tensor_expected_and_found(tiny_bundle, tmp_path):
    folder = copy_bundle(tiny_bundle, tmp_path)
    enc = os.path.join(folder, "video_encoder.safetensors")
    dec = os.path.join(folder, "music_decoder.safetensors")

    def edit_encoder(t, d, m):
        t["blocks.1.proj.weight"] = t["blocks.1.proj.weight"].T.copy()
        t["pos_embed.temporal"][1, 2] = np.nan
        m["format"] = "v2meow/1"

    def edit_decoder(t, d, m):
        t["decoder.head.2.weight"] = t.pop("decoder.head.1.weight")
        m["config"] = m["config"].replace('"layers":2', '"layers":3')

    rewrite(enc, edit_encoder)
    rewrite(dec, edit_decoder)
    os.remove(os.path.join(folder, "codec.safetensors"))
    errors = check.check(folder)
    assert f"{enc}: tensor 'blocks.1.proj.weight': expected [16, 8], found [8, 16]" in errors
    assert f"{enc}: __metadata__ 'format': expected 'vmas/1', found 'v2meow/1'" in errors
    assert f"{dec}: tensor 'decoder.head.1.weight': missing, expected [16, 32] F32" in errors
    assert f"{dec}: tensor 'decoder.head.2.weight': unexpected (not in the layout for this config)" in errors
    assert any(e.startswith(f"{dec}: __metadata__ 'config': expected") for e in errors)
    assert f"{os.path.join(folder, 'codec.safetensors')}: missing" in errors


def test_checker_catches_nan(tiny_bundle, tmp_path):
    folder = copy_bundle(tiny_bundle, tmp_path)
    path = os.path.join(folder, "video_encoder.safetensors")
    rewrite(path, lambda t, d, m: t["pos_embed.temporal"].__setitem__((1, 2), np.inf))
    assert check.check(folder) == [f"{path}: tensor 'pos_embed.temporal': element 10 is inf (weights must be finite)"]


# ------------------------------------------------------------ goldens

EXPECTED_NAMES = ["encoder.input.frames", "encoder.embed", "encoder.out", "encoder.memory", "decoder.input.ids",
                  "decoder.embed", "decoder.out", "decoder.logits", "decoder.logits_null", "codec.input.codes",
                  "codec.latent", "codec.in_conv", "codec.lstm", "codec.waveform", "sampling.logits",
                  "generation.prompt", "generation.codes.first", "generation.codes.continued"]


@pytest.mark.parametrize("name", sorted(GOLDEN_SETS))
def test_committed_goldens_are_complete(name):
    tensors, dtypes, metadata = safetensors_io.read(os.path.join(GOLDEN, name, "golden.safetensors"))
    config = vconfig.load(os.path.join(GOLDEN, name, "bundle", "config.json"))
    assert metadata["format"] == "vmas-golden/1" and metadata["bundle"] == config["name"]
    for key in EXPECTED_NAMES:
        assert key in tensors, key
    blocks = vconfig.blocks(config)
    for b in blocks:
        assert tensors[f"encoder.blocks.{b.index}"].shape == (b.rows, b.dim)
    k, n, d = config["decoder"]["codebooks"], config["decoder"]["codebook_size"], config["decoder"]["d_model"]
    p = tensors["decoder.input.ids"].shape[0]
    assert p % 16 and tensors["decoder.logits"].shape == (p, k, n)
    assert all(f"decoder.layers.{i}" in tensors for i in range(config["decoder"]["layers"]))
    ids = tensors["decoder.input.ids"]
    assert ids.min() == 0 and ids.max() == n and (ids[1:] < n).any()  # the whole range and the special token
    assert tensors["codec.input.codes"].min() == 0 and tensors["codec.input.codes"].max() == n - 1
    for key, value in tensors.items():
        if dtypes[key] == "F32" and not key.startswith(("encoder.input", "sampling.logits")):
            assert dtypes[f"float64.{key}"] == "F64" and tensors[f"float64.{key}"].shape == value.shape
    sampling_info = json.loads(metadata["sampling"])
    assert len(sampling_info["cases"]) == 12 and all(c["name"] in tensors for c in sampling_info["cases"])
    cases = json.loads(metadata["generation"])
    assert set(cases) == {"first", "continued"} and cases["continued"]["prompt_frames"] == 3


@pytest.mark.parametrize("name", sorted(GOLDEN_SETS))
def test_committed_float64_goldens_are_near_float32(name):
    tensors, _, _ = safetensors_io.read(os.path.join(GOLDEN, name, "golden.safetensors"))
    for key in tensors:
        if key.startswith("float64."):
            x, r = tensors[key[len("float64."):]].astype(np.float64), tensors[key]
            assert np.max(np.abs(x - r)) / max(np.max(np.abs(r)), 1e-6) < 1e-4, key


def test_sampling_golden_ties():
    tensors, _, _ = safetensors_io.read(os.path.join(GOLDEN, "vmas-tiny", "golden.safetensors"))
    logits = tensors["sampling.logits"]
    assert tensors["sampling.tokens.t0.0.k0.s0"][0] == 5  # the tied maximum: the lower index
    order = np.argsort(-logits[1], kind="stable")
    assert logits[1, order[4]] == logits[1, order[5]] and order[4] < order[5]


@pytest.mark.parametrize("name", ["vmas-tiny", "vmas-odd"])
def test_goldens_regenerate_identically(name, tmp_path):
    config_name, export_seed, golden_seed, dtype = GOLDEN_SETS[name]
    out = str(tmp_path / "bundle")
    args = ["--config", example_path(config_name[len("vmas-"):]), "--seed", str(export_seed), "--out", out]
    assert export.main(args + (["--dtype", dtype] if dtype else [])) == 0
    committed = os.path.join(GOLDEN, name)
    for component in vconfig.COMPONENTS:
        with open(os.path.join(out, f"{component}.safetensors"), "rb") as a, \
                open(os.path.join(committed, "bundle", f"{component}.safetensors"), "rb") as b:
            assert a.read() == b.read(), component
    tensors, metadata = golden.make(out, golden_seed)
    fresh = str(tmp_path / "golden.safetensors")
    safetensors_io.write(fresh, tensors, metadata)
    errors = []
    compare_goldens.compare_file(fresh, os.path.join(committed, "golden.safetensors"), False, errors)
    assert errors == []
    assert copy.deepcopy(metadata) == safetensors_io.read(os.path.join(committed, "golden.safetensors"))[2]


def test_modules_train():
    """One optimiser step through encoder, decoder (teacher-forced, a null row in the batch) and codec."""
    config, m = modules("tiny", dtype=torch.float32)
    for module in m.values():
        module.train()
    rng = np.random.RandomState(10)
    frames = torch.stack([random_frames(config, rng, torch.float32) for _ in range(2)])
    codes = rng.randint(0, 16, size=(2, 2, 6))
    ids = torch.from_numpy(np.stack([delay.delayed_input(c, 16) for c in codes]))
    targets = torch.from_numpy(np.stack([delay.step_outputs(c, 16) for c in codes]))
    memory = m["video_encoder"](frames)["memory"] * torch.tensor([1.0, 0.0])[:, None, None]  # row 1: null
    logits = m["music_decoder"](ids, memory)["logits"]
    valid = targets < 16  # the special token is never a target
    loss = torch.nn.functional.cross_entropy(logits[valid], targets[valid])
    loss = loss + m["codec"](torch.from_numpy(codes[0]))["waveform"].square().mean()
    parameters = [p for module in m.values() for p in module.parameters()]
    optimiser = torch.optim.SGD(parameters, lr=0.01)
    optimiser.zero_grad()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in parameters)
    assert m["video_encoder"].pos_embed.spatial.grad.abs().sum() > 0
    assert m["codec"].decoder.lstm[1].weight_hh.grad.abs().sum() > 0
    optimiser.step()


def test_a_vmas_bundle_may_carry_the_codec_encoder(tmp_path):
    """export --codec-encoder writes the codec's optional encoder (SPEC §9.3) with vmas/1 metadata and the codec
    section; check validates it; golden records codec_encoder.* beside the rest."""
    out = str(tmp_path / "bundle")
    assert export.main(["--config", example_path("tiny"), "--seed", "11", "--out", out, "--codec-encoder"]) == 0
    assert check.check(out) == []
    _, _, metadata = safetensors_io.read(os.path.join(out, "codec_encoder.safetensors"))
    assert (metadata["format"], metadata["component"]) == ("vmas/1", "codec_encoder")
    assert json.loads(metadata["config"]) == example("tiny")["codec"]
    tensors, meta = golden.make(out, 201)
    assert {"codec_encoder.latent", "codec_encoder.codes", "codec_encoder.lstm", "float64.codec_encoder.latent"} <= set(tensors)
    assert json.loads(meta["inputs"])["codec_encoder"]["levels"] == example("tiny")["codec"]["levels"]
