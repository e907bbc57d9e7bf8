#!/bin/sh
# One experiment, not part of the shipped model (README.md beside this file). Run from anywhere; paths are
# training/'s, as in training/reproduce.sh, whose v4 steps 1-5 it assumes have run (data/ and runs/).
set -e
cd "$(dirname "$0")/../.."
. experiments/common.sh

# How much beat alignment the video allows at all (event lists from the clip descriptions, no model), and
# stage 2 sampled at 0.5 instead of the bundle's 0.95, a diagnostic of what its spread costs.
$N $PY experiments/beat_ceiling/beat_ceiling.py
$N $PY evaluation/rhythm_chain.py --bundle "$BUNDLE" --clips 40 --workers 2 --links "semantic->2->3" "video->1->2->3" \
    --temperature stage2=0.5 --out experiments/beat_ceiling/logs/rhythm_chain_stage2_t050.json
$N $PY evaluation/evaluate.py --bundle "$BUNDLE" --clips 40 --style-clips 8 --workers 2 --temperature stage2=0.5 \
    --out experiments/beat_ceiling/logs/eval_stage2_t050.json
