#!/bin/sh
# The commands that trained the embedded default model, in order (training/MODEL_CARD.md has the times).
# Everything is seeded; data/ and runs/ are regenerated, never committed. Run from the repository root.
# The machine was 2 shared CPU cores; each step runs under `nice -n 10`, one thread per process.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
N="nice -n 10"

# 1. Corpus: 600 training clips (seed 1) and 40 held-out clips (seed 2), 10 s each, with the `builtin`
#    rows at 1 fps; the rows at the default model's 3 fps (rates.video_fps) as their own files.
$N $PY corpus.py build --seed 2 --clips 40 --out data/heldout.npz
$N $PY corpus.py build --seed 1 --clips 600 --out data/train.npz
$N $PY corpus.py features --seed 2 --clips 40 --fps 3 --out data/features_heldout_3fps.npy
$N $PY corpus.py features --seed 1 --clips 600 --fps 3 --out data/features_train_3fps.npy

# 2. Codec on the training clips' music: a 200-step warm-up (one thread), then 50 minutes on two threads
#    from it (and as long again if the tonal lines are still sharpening; see MODEL_CARD.md), then the
#    acoustic codes of the whole corpus.
$N $PY train_codec.py train --minutes 10 --max-steps 200 --seed 0 --pool 200
mv runs/codec.pt runs/codec_pilot.pt
$N $PY train_codec.py train --minutes 50 --seed 0 --pool 300 --threads 2 --init runs/codec_pilot.pt
$N $PY train_codec.py encode
$N $PY train_codec.py evaluate
# 2b. (What v3 did: the shipped codec is v2's, whose encoder was not kept.) With only a bundle at hand, fit a
#     new encoder to its decoder and codebooks, held fixed, then encode with it as above.
# $N $PY train_codec.py fit-encoder --bundle ../runtime/V2Meow.Runtime/DefaultModel/bundle --minutes 25 --seed 0 --threads 2
# $N $PY train_codec.py encode

# 3. Semantic tokens (k-means over log-mel), text tower (style vectors of the captions).
$N $PY semantic.py --seed 0
$N $PY text_tower.py train --seed 0

# 4. Stages (the budgets are wall-clock minutes). v3 trained stage 1 (3 fps rows) and the first part of
#    stage 2 side by side, one thread each; stage 3 is v2's (trained on the codes of v2's own encoder).
$N $PY train_stages.py 1 --minutes 40 --seed 0 --batch 16
$N $PY train_stages.py 3 --minutes 20 --seed 0   # stages 2 and 3 on the codec's codes of all 600 clips
# Stage 2 trains on crops of its 3 s window (windows.stage2_seconds) in the interleaved layout: 35 minutes,
# then 30 more on two threads from that checkpoint with a fresh schedule.
$N $PY train_stages.py 2 --minutes 35 --seed 0 --batch 16
cp runs/stage2.pt runs/stage2_part1.pt
$N $PY train_stages.py 2 --minutes 30 --seed 1 --batch 16 --threads 2 --init runs/stage2_part1.pt

# 5. Export and check. (v3: `--reuse stage3 codec --reuse-from` a copy of the v2 bundle, whose codec and stage 3
#    it keeps bit for bit.)
$PY assemble.py --out runs/default_state.pt
$PY ../weights-spec/reference/export.py --config ../weights-spec/examples/default.json \
    --state-dict runs/default_state.pt --out ../runtime/V2Meow.Runtime/DefaultModel/bundle
$PY export_text_tower.py --bundle ../runtime/V2Meow.Runtime/DefaultModel/bundle
$PY ../weights-spec/reference/check.py ../runtime/V2Meow.Runtime/DefaultModel/bundle

# 6. Evaluation on the held-out clips (numbers in MODEL_CARD.md).
$N $PY evaluate.py --bundle ../runtime/V2Meow.Runtime/DefaultModel/bundle --clips 24 --style-clips 8 \
    --workers 2 --save-audio runs/samples
# The random-weights baseline of the tables, same clips.
sed 's/"default-synthetic-v3"/"default-random-init"/' ../weights-spec/examples/default.json > runs/random.json
$PY ../weights-spec/reference/export.py --config runs/random.json --seed 7 --out runs/random_bundle
$N $PY evaluate.py --bundle runs/random_bundle --clips 24 --style-clips 0 --workers 2 \
    --out logs/eval_random_weights.json
# Pulse clarity along the chain of stages, each fed the true tokens of the one before, and stage 1's rhythm
# read off its semantic tokens.
$N $PY rhythm_chain.py --bundle ../runtime/V2Meow.Runtime/DefaultModel/bundle --clips 6 --workers 2
$N $PY semantic_rhythm.py --bundle ../runtime/V2Meow.Runtime/DefaultModel/bundle
# Non-corpus videos (ffmpeg test sources) through the C# runtime, `./v2meow generate`.
$N $PY evaluate_videos.py --seeds 3
