#!/bin/sh
# One experiment, not part of the shipped model (README.md beside this file). Run from anywhere; paths are
# training/'s, as in training/reproduce.sh, whose v4 steps 1-5 it assumes have run (data/ and runs/).
set -e
cd "$(dirname "$0")/../.."
. experiments/common.sh

# Experiment, not in the bundle: the corpus with its motion on the beat (`--motion beat`: the same clips and
# music, only the picture's timing differs, so tokens, codes and styles stay), and two stage 1s trained on
# it side by side for 45 minutes on one thread each: A from the first guided experiment's stage 1, B from
# the bundle's as that experiment started. Both read the time embedding and guide one head per layer.
# The feature files are rebuilt in place (the steady ones kept aside) and put back at the end.
mkdir -p data/steady && cp data/heldout.npz data/features_*_3fps.npy data/steady/
$N $PY corpus.py features --seed 1 --clips 600 --fps 3 --motion beat --out data/features_train_3fps.npy
$N $PY corpus.py build --seed 2 --clips 40 --motion beat --out data/heldout.npz
$N $PY corpus.py features --seed 2 --clips 40 --fps 3 --motion beat --out data/features_heldout_3fps.npy
$N $PY corpus.py build --seed 3 --clips 120 --motion beat --out data/test_beat.npz
$N $PY corpus.py features --seed 3 --clips 120 --fps 3 --motion beat --out data/features_test_beat_3fps.npy
$N $PY train_stages.py 1 --minutes 45 --seed 5 --batch 16 --lr 5e-4 --config experiments/stage1_guided/stage1_guided_warm.json \
    --init runs/stage1_guided_warm.pt --guided-heads 1 --guided-weight 1 --guided-width 1 --run beat_a &
$N $PY train_stages.py 1 --minutes 45 --seed 6 --batch 16 --lr 5e-4 --config experiments/stage1_guided/stage1_guided_warm.json \
    --init "$BUNDLE" --guided-heads 1 --guided-weight 1 --guided-width 1 --run beat_b
wait
for run in beat_a beat_b; do
  cp runs/$run.pt runs/stage1.pt
  experiment_bundle $run
  $N $PY evaluation/evaluate.py --bundle runs/${run}_bundle --clips 40 --style-clips 8 --workers 2 --out experiments/beat_motion/logs/eval_$run.json
  $N $PY evaluation/evaluate.py --bundle runs/${run}_bundle --split test_beat --clips 120 --style-clips 0 --workers 2 \
      --out experiments/beat_motion/logs/eval_${run}_test.json
  $N $PY evaluation/semantic_rhythm.py --bundle runs/${run}_bundle --clips 40 --out experiments/beat_motion/logs/semantic_rhythm_$run.json
done
cp data/steady/* data/
cp runs/stage1_v3.pt runs/stage1.pt
