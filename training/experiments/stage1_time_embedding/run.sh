#!/bin/sh
# One experiment, not part of the shipped model (README.md beside this file). Run from anywhere; paths are
# training/'s, as in training/reproduce.sh, whose v4 steps 1-5 it assumes have run (data/ and runs/).
set -e
cd "$(dirname "$0")/../.."
. experiments/common.sh

# Experiment, not in the bundle: stage 1 with the SPEC §6.8 time embedding and 64 relative buckets
# (experiments/stage1_time_embedding/stage1_time_experiment.json; the runs logged it as runs/v4t.json, the same config under another name),
# from scratch, stopped by hand after its step-400 checkpoint, then with the guided-attention loss on two
# cross-attention heads per layer; exported with v4's other components and scored like the bundle.
cp runs/stage1.pt runs/stage1_v3.pt
$N $PY train_stages.py 1 --minutes 40 --seed 0 --batch 16 --config experiments/stage1_time_embedding/stage1_time_experiment.json   # stopped after step 400
cp runs/stage1.pt runs/stage1_time_step400.pt
$N $PY train_stages.py 1 --minutes 50 --seed 1 --batch 16 --threads 2 --config experiments/stage1_time_embedding/stage1_time_experiment.json \
    --init runs/stage1_time_step400.pt --guided-heads 2 --guided-weight 1 --guided-width 1
sed 's/"stage1-time-experiment"/"default-synthetic-v4"/' experiments/stage1_time_embedding/stage1_time_experiment.json > runs/time.json
$PY assemble.py --out runs/time_state.pt --reuse stage3 codec --reuse-from runs/v2_bundle
$PY ../weights-spec/reference/export.py --config runs/time.json --state-dict runs/time_state.pt --out runs/time_bundle
$PY export_text_tower.py --bundle runs/time_bundle
$N $PY evaluation/evaluate.py --bundle runs/time_bundle --clips 40 --style-clips 8 --workers 2 --out logs/eval_time.json
$N $PY evaluation/semantic_rhythm.py --bundle runs/v3_bundle --bundle runs/time_bundle --clips 40
$N $PY evaluation/cross_alignment.py --bundle runs/v3_bundle --bundle runs/time_bundle --clips 8
cp runs/stage1_v3.pt runs/stage1.pt
