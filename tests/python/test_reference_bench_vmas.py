"""bench/pytorch/reference_bench_vmas.py: the PyTorch half of `v2meow bench` for vmas/1 bundles."""

import json
import os
import subprocess
import sys

from vmas import bundle

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "bench", "pytorch", "reference_bench_vmas.py")
TINY = os.path.join(ROOT, "tests", "golden", "vmas-tiny", "bundle")


def test_times_every_row_on_the_tiny_bundle():
    out = subprocess.run([sys.executable, SCRIPT, "--bundle", TINY, "--decode", "3", "--batch", "2", "--repeats", "1",
                          "--threads", "1", "--codec-seconds", "0.2"], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    config = bundle.read_config(TINY)
    assert result["guidance"] == config["guidance"]
    assert result["encoder"]["frames"] == 5 and result["encoder"]["frames_per_s"] > 0
    decoder = result["decoder"]
    assert decoder["positions"] == 21 and decoder["prefill_positions"] == 21
    tokens = decoder["prefill_tokens_per_s"]
    assert abs(tokens - 2 * decoder["prefill_positions_per_s"]) < 1e-6 * tokens  # K = 2 tokens a position
    decodes = sorted(k for k in decoder if k.startswith("decode_b"))
    assert decodes == ["decode_b1", "decode_b1_guided", "decode_b2", "decode_b2_guided"]
    guided = decoder["decode_b2_guided"]
    assert (guided["steps"], guided["batch"], guided["guided"]) == (3, 2, True) and guided["tokens_per_s"] > 0
    assert result["codec"]["samples"] == 4 * 12  # round(0.2 s × 20 frames/s) frames of hop 12
