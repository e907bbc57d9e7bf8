#!/bin/sh
# The commands that trained the embedded default model (v3), in order (training/MODEL_CARD.md has the times).
# Everything is seeded; data/ and runs/ are regenerated, never committed. Run from the repository root.
# The machine was 2 CPU cores; each step runs under `nice -n 10`. v3 kept v2's codec and stage 3 and v1's
# semantic tokens and text tower: the commands that made those, run again from scratch instead of the
# v3 steps marked below, are at the end.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
N="nice -n 10"
BUNDLE=../runtime/V2Meow.Runtime/DefaultModel/bundle

# 1. Corpus: 600 training clips (seed 1) and 40 held-out clips (seed 2), 10 s each, with the `builtin`
#    rows at 1 fps; the rows at the default model's 3 fps (rates.video_fps) as their own files.
$N $PY corpus.py build --seed 2 --clips 40 --out data/heldout.npz
$N $PY corpus.py build --seed 1 --clips 600 --out data/train.npz
$N $PY corpus.py features --seed 2 --clips 40 --fps 3 --out data/features_heldout_3fps.npy
$N $PY corpus.py features --seed 1 --clips 600 --fps 3 --out data/features_train_3fps.npy

# 2. Semantic tokens (k-means over log-mel; reproduces v1's bit for bit), and the captions' style vectors
#    from the committed text tower (text_tower.json, v1's).
$N $PY semantic.py --seed 0
$N $PY text_tower.py styles

# 3. Acoustic codes: the shipped codec is v2's, whose encoder was not kept, so v3 fitted a new encoder to
#    the v2 bundle's decoder and codebooks, held fixed, and encoded the corpus with it. Keep a copy of the
#    v2 bundle first (v3's export below replaces it): its codec and stage 3 go into v3 unchanged.
cp -r "$BUNDLE" runs/v2_bundle
$N $PY train_codec.py fit-encoder --bundle runs/v2_bundle --minutes 25 --seed 0 --threads 2
$N $PY train_codec.py encode --threads 2
$N $PY train_codec.py evaluate --log codec_encoder.log

# 4. Stages 1 and 2 (wall-clock budgets; v3 ran the first two side by side, one thread each). Stage 1 reads
#    the 3 fps rows; stage 2 trains on crops of its 3 s window in the interleaved layout, then 30 more
#    minutes on two threads from that checkpoint with a fresh schedule.
$N $PY train_stages.py 1 --minutes 40 --seed 0 --batch 16
$N $PY train_stages.py 2 --minutes 35 --seed 0 --batch 16
cp runs/stage2.pt runs/stage2_part1.pt
$N $PY train_stages.py 2 --minutes 30 --seed 1 --batch 16 --threads 2 --init runs/stage2_part1.pt

# 5. Export and check: stages 1 and 2 from runs/, the codec and stage 3 from the v2 bundle.
$PY assemble.py --out runs/default_state.pt --reuse stage3 codec --reuse-from runs/v2_bundle
$PY ../weights-spec/reference/export.py --config ../weights-spec/examples/default.json \
    --state-dict runs/default_state.pt --out "$BUNDLE"
$PY export_text_tower.py --bundle "$BUNDLE"
$PY ../weights-spec/reference/check.py "$BUNDLE"

# 6. Evaluation on the held-out clips (numbers in MODEL_CARD.md), with v2 beside it.
$N $PY evaluate.py --bundle "$BUNDLE" --clips 24 --style-clips 8 --workers 2 --save-audio runs/samples
$N $PY evaluate.py --bundle runs/v2_bundle --clips 24 --style-clips 8 --workers 2 --out logs/eval_v2.json
# The random-weights baseline of the tables, same clips.
sed 's/"default-synthetic-v3"/"default-random-init"/' ../weights-spec/examples/default.json > runs/random.json
$PY ../weights-spec/reference/export.py --config runs/random.json --seed 7 --out runs/random_bundle
$N $PY evaluate.py --bundle runs/random_bundle --clips 24 --style-clips 0 --workers 2 \
    --out logs/eval_random_weights.json
# Pulse clarity along the chain of stages, each fed the true tokens of the one before; stage 1's rhythm
# read off its semantic tokens; each stage's held-out cross-entropy.
$N $PY rhythm_chain.py --bundle "$BUNDLE" --clips 6 --workers 2
$N $PY rhythm_chain.py --bundle runs/v2_bundle --clips 6 --workers 2 --out logs/rhythm_chain_v2.json
$N $PY semantic_rhythm.py --bundle runs/v2_bundle --bundle "$BUNDLE"
$N $PY heldout_ce.py --bundle runs/v2_bundle --bundle "$BUNDLE"
# Non-corpus videos (ffmpeg test sources) through the C# runtime, `./v2meow generate`.
$N $PY evaluate_videos.py --seeds 3

# From scratch, in place of what v3 reused (v1/v2's commands; then steps 4-6 above, with stage 3 trained
# and every component assembled from runs/):
#   $N $PY text_tower.py train --seed 0                      # instead of `styles`; rewrites text_tower.json
#   $N $PY train_codec.py train --minutes 10 --max-steps 200 --seed 0 --pool 200
#   mv runs/codec.pt runs/codec_pilot.pt
#   $N $PY train_codec.py train --minutes 50 --seed 0 --pool 300 --threads 2 --init runs/codec_pilot.pt
#   $N $PY train_codec.py encode
#   $N $PY train_codec.py evaluate
#   $N $PY train_stages.py 3 --minutes 20 --seed 0
#   $PY assemble.py --out runs/default_state.pt
