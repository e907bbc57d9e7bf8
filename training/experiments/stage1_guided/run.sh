#!/bin/sh
# One experiment, not part of the shipped model (README.md beside this file). Run from anywhere; paths are
# training/'s, as in training/reproduce.sh, whose v4 steps 1-5 it assumes have run (data/ and runs/).
set -e
cd "$(dirname "$0")/../.."
. experiments/common.sh

# Experiment, not in the bundle: v4's stage 1 with the time embedding (its 32 buckets kept), warm-started
# from the bundle, with the guided-attention loss on one cross-attention head per layer. (The run logged
# the same config as runs/guided_warm.json and the bundle's stage 1 as runs/stage1_v4_from_bundle.pt.)
$N $PY train_stages.py 1 --minutes 50 --seed 3 --batch 16 --lr 5e-4 --config experiments/stage1_guided/stage1_guided_warm.json \
    --init "$BUNDLE" --guided-heads 1 --guided-weight 1 --guided-width 1
cp runs/stage1.pt runs/stage1_guided_warm.pt
experiment_bundle guided
$N $PY evaluation/semantic_rhythm.py --bundle runs/guided_bundle --clips 40 --out experiments/stage1_guided/logs/semantic_rhythm_guided_warm.json
$N $PY evaluation/cross_alignment.py --bundle runs/guided_bundle --clips 8 --out experiments/stage1_guided/logs/cross_alignment_guided_warm.json
$N $PY evaluation/evaluate.py --bundle runs/guided_bundle --clips 40 --style-clips 8 --workers 2 --out experiments/stage1_guided/logs/eval_guided_warm.json
$N $PY evaluation/evaluate.py --bundle runs/guided_bundle --clips 40 --style-clips 8 --workers 2 --temperature stage2=0.5 \
    --out experiments/stage1_guided/logs/eval_guided_warm_stage2_t050.json
# The same with only the last decoder layer's first head guided.
$N $PY train_stages.py 1 --minutes 40 --seed 4 --batch 16 --lr 5e-4 --config experiments/stage1_guided/stage1_guided_warm.json \
    --init "$BUNDLE" --guided-heads 1 --guided-layers 1 --guided-weight 1 --guided-width 1
# (Its step-400 checkpoint, exported the same way while it ran, was scored with `evaluate.py --clips 40
# --style-clips 0 --out experiments/stage1_guided/logs/eval_guided_layer1_step400.json`.)
experiment_bundle guided_layer1
$N $PY evaluation/semantic_rhythm.py --bundle runs/guided_layer1_bundle --clips 40 --out experiments/stage1_guided/logs/semantic_rhythm_guided_layer1.json
$N $PY evaluation/cross_alignment.py --bundle runs/guided_layer1_bundle --clips 8 --out experiments/stage1_guided/logs/cross_alignment_guided_layer1.json
$N $PY evaluation/evaluate.py --bundle runs/guided_layer1_bundle --clips 40 --style-clips 8 --workers 2 --out experiments/stage1_guided/logs/eval_guided_layer1.json
cp runs/stage1_v3.pt runs/stage1.pt
