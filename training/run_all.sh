#!/bin/sh
# The commands that trained the embedded default model (v4), in order (training/MODEL_CARD.md has the times).
# Everything is seeded; data/ and runs/ are regenerated, never committed. Run from the repository root.
# The machine was 2 CPU cores; each step runs under `nice -n 10`. v4 is v3 with stage 2 trained 75 minutes
# longer; v3 kept v2's codec and stage 3 and v1's semantic tokens and text tower: the commands that made
# those, run again from scratch instead of the steps marked below, are at the end, after the stage-1
# time-embedding experiment (not in the bundle).
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
N="nice -n 10"
BUNDLE=../runtime/V2Meow.Runtime/DefaultModel/bundle

# A stage-1 experiment's bundle: stage 1 from runs/stage1.pt, everything else the shipped bundle's, as
# runs/NAME_bundle (the state dict as runs/NAME_state.pt).
experiment_bundle() {
  $PY assemble.py --out runs/$1_state.pt --reuse stage2 stage3 codec --reuse-from "$BUNDLE"
  $PY ../weights-spec/reference/export.py --config stage1_guided_warm.json --state-dict runs/$1_state.pt \
      --out runs/$1_bundle
  $PY export_text_tower.py --bundle runs/$1_bundle
}

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

# 4. Stages 1 and 2 (wall-clock budgets). v3 trained stage 1 (3 fps rows) and stage 2 (interleaved layout,
#    crops of its 3 s window) side by side on one thread each, then stage 2 for 30 more minutes on two
#    threads from that checkpoint with a fresh schedule; v4 trained v3's stage 2 for 75 more minutes on one
#    thread (beside the experiment at the end), again with a fresh schedule.
$N $PY train_stages.py 1 --minutes 40 --seed 0 --batch 16
$N $PY train_stages.py 2 --minutes 35 --seed 0 --batch 16
cp runs/stage2.pt runs/stage2_part1.pt
$N $PY train_stages.py 2 --minutes 30 --seed 1 --batch 16 --threads 2 --init runs/stage2_part1.pt
cp runs/stage2.pt runs/stage2_v3.pt
$N $PY train_stages.py 2 --minutes 75 --seed 2 --batch 16 --lr 5e-4 --init runs/stage2_v3.pt

# 5. Export and check: stages 1 and 2 from runs/, the codec and stage 3 from the v2 bundle. The bundle it
#    replaces (v3, when v4 was made) is kept for the comparisons of step 6.
cp -r "$BUNDLE" runs/v3_bundle
$PY assemble.py --out runs/default_state.pt --reuse stage3 codec --reuse-from runs/v2_bundle
$PY ../weights-spec/reference/export.py --config ../weights-spec/examples/default.json \
    --state-dict runs/default_state.pt --out "$BUNDLE"
$PY export_text_tower.py --bundle "$BUNDLE"
$PY ../weights-spec/reference/check.py "$BUNDLE"

# 6. Evaluation on the held-out clips (numbers in MODEL_CARD.md), with v3 beside it (runs/v3_bundle: the
#    bundle as v3 shipped it, kept before step 5).
$N $PY evaluate.py --bundle "$BUNDLE" --clips 40 --style-clips 8 --workers 2 --save-audio runs/samples
$N $PY evaluate.py --bundle runs/v3_bundle --clips 40 --style-clips 8 --workers 2 --out logs/eval_v3.json
# The random-weights baseline of the tables (24 clips).
sed 's/"default-synthetic-v4"/"default-random-init"/' ../weights-spec/examples/default.json > runs/random.json
$PY ../weights-spec/reference/export.py --config runs/random.json --seed 7 --out runs/random_bundle
$N $PY evaluate.py --bundle runs/random_bundle --clips 24 --style-clips 0 --workers 2 \
    --out logs/eval_random_weights.json
# Pulse clarity and beat alignment along the chain of stages, each fed the true tokens of the one before;
# each stage's held-out cross-entropy; the figure.
$N $PY rhythm_chain.py --bundle "$BUNDLE" --clips 24 --workers 2
$N $PY rhythm_chain.py --bundle runs/v3_bundle --clips 24 --workers 2 --out logs/rhythm_chain_v3.json
$N $PY heldout_ce.py --bundle runs/v3_bundle --bundle "$BUNDLE"
$N $PY spectrogram_figure.py --bundle "$BUNDLE"
# Non-corpus videos (ffmpeg test sources) through the C# runtime, `./v2meow generate`.
$N $PY evaluate_videos.py --seeds 3

# Experiment, not in the bundle: stage 1 with the SPEC §6.8 time embedding and 64 relative buckets
# (stage1_time_experiment.json; the runs logged it as runs/v4t.json, the same config under another name),
# from scratch, stopped by hand after its step-400 checkpoint, then with the guided-attention loss on two
# cross-attention heads per layer; exported with v4's other components and scored like the bundle.
cp runs/stage1.pt runs/stage1_v3.pt
$N $PY train_stages.py 1 --minutes 40 --seed 0 --batch 16 --config stage1_time_experiment.json   # stopped after step 400
cp runs/stage1.pt runs/stage1_time_step400.pt
$N $PY train_stages.py 1 --minutes 50 --seed 1 --batch 16 --threads 2 --config stage1_time_experiment.json \
    --init runs/stage1_time_step400.pt --guided-heads 2 --guided-weight 1 --guided-width 1
sed 's/"stage1-time-experiment"/"default-synthetic-v4"/' stage1_time_experiment.json > runs/time.json
$PY assemble.py --out runs/time_state.pt --reuse stage3 codec --reuse-from runs/v2_bundle
$PY ../weights-spec/reference/export.py --config runs/time.json --state-dict runs/time_state.pt --out runs/time_bundle
$PY export_text_tower.py --bundle runs/time_bundle
$N $PY evaluate.py --bundle runs/time_bundle --clips 40 --style-clips 8 --workers 2 --out logs/eval_time.json
$N $PY semantic_rhythm.py --bundle runs/v3_bundle --bundle runs/time_bundle --clips 40
$N $PY cross_alignment.py --bundle runs/v3_bundle --bundle runs/time_bundle --clips 8
cp runs/stage1_v3.pt runs/stage1.pt

# How much beat alignment the video allows at all (event lists from the clip descriptions, no model), and
# stage 2 sampled at 0.5 instead of the bundle's 0.95, a diagnostic of what its spread costs.
$N $PY beat_ceiling.py
$N $PY rhythm_chain.py --bundle "$BUNDLE" --clips 40 --workers 2 --links "semantic->2->3" "video->1->2->3" \
    --temperature stage2=0.5 --out logs/rhythm_chain_stage2_t050.json
$N $PY evaluate.py --bundle "$BUNDLE" --clips 40 --style-clips 8 --workers 2 --temperature stage2=0.5 \
    --out logs/eval_stage2_t050.json

# Experiment, not in the bundle: v4's stage 1 with the time embedding (its 32 buckets kept), warm-started
# from the bundle, with the guided-attention loss on one cross-attention head per layer. (The run logged
# the same config as runs/guided_warm.json and the bundle's stage 1 as runs/stage1_v4_from_bundle.pt.)
$N $PY train_stages.py 1 --minutes 50 --seed 3 --batch 16 --lr 5e-4 --config stage1_guided_warm.json \
    --init "$BUNDLE" --guided-heads 1 --guided-weight 1 --guided-width 1
cp runs/stage1.pt runs/stage1_guided_warm.pt
experiment_bundle guided
$N $PY semantic_rhythm.py --bundle runs/guided_bundle --clips 40 --out logs/semantic_rhythm_guided_warm.json
$N $PY cross_alignment.py --bundle runs/guided_bundle --clips 8 --out logs/cross_alignment_guided_warm.json
$N $PY evaluate.py --bundle runs/guided_bundle --clips 40 --style-clips 8 --workers 2 --out logs/eval_guided_warm.json
$N $PY evaluate.py --bundle runs/guided_bundle --clips 40 --style-clips 8 --workers 2 --temperature stage2=0.5 \
    --out logs/eval_guided_warm_stage2_t050.json
# The same with only the last decoder layer's first head guided.
$N $PY train_stages.py 1 --minutes 40 --seed 4 --batch 16 --lr 5e-4 --config stage1_guided_warm.json \
    --init "$BUNDLE" --guided-heads 1 --guided-layers 1 --guided-weight 1 --guided-width 1
# (Its step-400 checkpoint, exported the same way while it ran, was scored with `evaluate.py --clips 40
# --style-clips 0 --out logs/eval_guided_layer1_step400.json`.)
experiment_bundle guided_layer1
$N $PY semantic_rhythm.py --bundle runs/guided_layer1_bundle --clips 40 --out logs/semantic_rhythm_guided_layer1.json
$N $PY cross_alignment.py --bundle runs/guided_layer1_bundle --clips 8 --out logs/cross_alignment_guided_layer1.json
$N $PY evaluate.py --bundle runs/guided_layer1_bundle --clips 40 --style-clips 8 --workers 2 --out logs/eval_guided_layer1.json
cp runs/stage1_v3.pt runs/stage1.pt

# The shipped model on more unseen clips (corpus seed 3), for a narrower beat interval.
$N $PY corpus.py build --seed 3 --clips 120 --out data/test.npz
$N $PY corpus.py features --seed 3 --clips 120 --fps 3 --out data/features_test_3fps.npy
$N $PY evaluate.py --bundle "$BUNDLE" --split test --clips 120 --style-clips 0 --workers 2 --out logs/eval_test.json
$N $PY evaluate.py --bundle "$BUNDLE" --split test --clips 120 --style-clips 0 --workers 2 --temperature stage2=0.5 \
    --out logs/eval_test_stage2_t050.json
# The same seed's first 300 clips (the 120 above and 180 more; the feature rows of the first 120 are those above).
$N $PY corpus.py build --seed 3 --clips 300 --out data/test300.npz
$N $PY corpus.py features --seed 3 --clips 300 --fps 3 --out data/features_test300_3fps.npy
$N $PY evaluate.py --bundle "$BUNDLE" --split test300 --clips 300 --style-clips 0 --workers 2 --out logs/eval_test300.json
# Confirmation on clips that played no part in choosing the test: 300 each of corpus seeds 4 and 5. Planned
# first: the sign test on seed 4 (two-sided, 0.05), then the mean F1 gain pooled over seeds 3-5. Seed 4 ran
# that way (178 of 300, p 0.001, but a mean gain of +0.002), and its per-clip gains showed the sign set by
# how dense each clip's own music is, not by timing, so before seed 5 ran the plan became: the permutation
# test of the pairing (evaluate.shuffle_p, one-sided, 0.05) on seed 5 alone, then on the pool of 900, with
# per-clip gains that remove both sides of a clip (evaluate.per_clip_gains). pool_beats.py scores the pool
# from each run's onset lists (seeds 3 and 4 were evaluated again for them: the same music, seeded).
for seed in 4 5; do
  $N $PY corpus.py build --seed $seed --clips 300 --out data/test300s$seed.npz
  $N $PY corpus.py features --seed $seed --clips 300 --fps 3 --out data/features_test300s${seed}_3fps.npy
  $N $PY evaluate.py --bundle "$BUNDLE" --split test300s$seed --clips 300 --style-clips 0 --workers 2 \
      --out logs/eval_test300s$seed.json
done
$PY pool_beats.py logs/eval_test300.json logs/eval_test300s4.json logs/eval_test300s5.json --shift-control 2.5 5 7.5 \
    --out logs/beats_pooled.json

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
$N $PY train_stages.py 1 --minutes 45 --seed 5 --batch 16 --lr 5e-4 --config stage1_guided_warm.json \
    --init runs/stage1_guided_warm.pt --guided-heads 1 --guided-weight 1 --guided-width 1 --run beat_a &
$N $PY train_stages.py 1 --minutes 45 --seed 6 --batch 16 --lr 5e-4 --config stage1_guided_warm.json \
    --init "$BUNDLE" --guided-heads 1 --guided-weight 1 --guided-width 1 --run beat_b
wait
for run in beat_a beat_b; do
  cp runs/$run.pt runs/stage1.pt
  experiment_bundle $run
  $N $PY evaluate.py --bundle runs/${run}_bundle --clips 40 --style-clips 8 --workers 2 --out logs/eval_$run.json
  $N $PY evaluate.py --bundle runs/${run}_bundle --split test_beat --clips 120 --style-clips 0 --workers 2 \
      --out logs/eval_${run}_test.json
  $N $PY semantic_rhythm.py --bundle runs/${run}_bundle --clips 40 --out logs/semantic_rhythm_$run.json
done
cp data/steady/* data/
cp runs/stage1_v3.pt runs/stage1.pt

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
