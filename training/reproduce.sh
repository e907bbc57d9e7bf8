#!/bin/sh
# How the default models are made, step by step:
#
#   reproduce.sh v4      the embedded default model (v4) and its evaluation, in order (MODEL_CARD_v4.md has the times)
#   reproduce.sh music   the real-music corpus and codec; each step skips what is already done, so after an
#                        interruption the same command continues. With DRUM_KITS=SHARE set (e.g. 0.5), that
#                        share of the composed pieces and Freedoom tracks play their drums on recorded kits
#                        (music_corpus.py --drum-kits): not v5's corpus, so build it into an empty data/music/
#   reproduce.sh v5      default model v5 on them (after `music`): arrays, stages, export, evaluation
#   reproduce.sh vmas    a small VMAs on the same corpus and codec (after `music`; vmas/README.md), with the
#                        ablations of its two objectives
#
# The one-off analyses live in experiments/<name>/ (each with run.sh and a README). Everything is seeded;
# data/ and runs/ are regenerated, never committed; checkpoints/ and logs/ are committed. Run from anywhere.
# The machine was 2 CPU cores; each long step runs under `nice -n 10`. v4 is v3 with stage 2 trained 75
# minutes longer; v3 kept v2's codec and stage 3 and v1's semantic tokens and text tower: the commands that
# made those, run again from scratch instead of the steps marked below, are at the end of the v4 part.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
N="nice -n 10"
# OpenBLAS for the training steps only: Debian's python3-torch calls the system's libblas.so.3, the
# reference BLAS unless an optimised one is the system's choice, and v5's stages trained about 16x slower
# on it (MODEL_CARD.md, "Training"). `music` installs libopenblas0-serial.
openblas=/usr/lib/x86_64-linux-gnu/openblas-serial
[ ! -d "$openblas" ] || export LD_LIBRARY_PATH="$openblas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
BUNDLE=../runtime/V2Meow.Runtime/DefaultModel/bundle

v4() {
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
  #    thread (beside experiments/stage1_time_embedding), again with a fresh schedule.
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

  # 6. Evaluation on the held-out clips (numbers in MODEL_CARD_v4.md), with v3 beside it (runs/v3_bundle: the
  #    bundle as v3 shipped it, kept before step 5).
  $N $PY evaluation/evaluate.py --bundle "$BUNDLE" --clips 40 --style-clips 8 --workers 2 --save-audio runs/samples
  $N $PY evaluation/evaluate.py --bundle runs/v3_bundle --clips 40 --style-clips 8 --workers 2 --out logs/eval_v3.json
  # The random-weights baseline of the tables (24 clips).
  sed 's/"default-synthetic-v4"/"default-random-init"/' ../weights-spec/examples/default.json > runs/random.json
  $PY ../weights-spec/reference/export.py --config runs/random.json --seed 7 --out runs/random_bundle
  $N $PY evaluation/evaluate.py --bundle runs/random_bundle --clips 24 --style-clips 0 --workers 2 \
      --out logs/eval_random_weights.json
  # Pulse clarity and beat alignment along the chain of stages, each fed the true tokens of the one before;
  # each stage's held-out cross-entropy; the figure.
  $N $PY evaluation/rhythm_chain.py --bundle "$BUNDLE" --clips 24 --workers 2
  $N $PY evaluation/rhythm_chain.py --bundle runs/v3_bundle --clips 24 --workers 2 --out logs/rhythm_chain_v3.json
  $N $PY evaluation/heldout_ce.py --bundle runs/v3_bundle --bundle "$BUNDLE"
  $N $PY evaluation/spectrogram_figure.py --bundle "$BUNDLE"
  # Non-corpus videos (ffmpeg test sources) through the C# runtime, `./v2meow generate`.
  $N $PY evaluation/evaluate_videos.py --seeds 3

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
}

music() {
  # 0. What the corpus is made from (Debian packages; licences in MODEL_CARD.md, "Data"), and OpenBLAS
  #    (see openblas below).
  need=""
  pkgs="fluidsynth fluid-soundfont-gm musescore-general-soundfont-small freedoom singularity-music ffmpeg"
  pkgs="$pkgs libopenblas0-serial"
  # The recorded drum kits only where asked for: the default corpus (v5's) does not read them.
  [ -z "${DRUM_KITS:-}" ] || pkgs="$pkgs hydrogen-drumkits"
  KITS=${DRUM_KITS:+--drum-kits $DRUM_KITS}
  for pkg in $pkgs; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
  done
  if [ -n "$need" ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
    lapack=$(readlink -f /usr/lib/x86_64-linux-gnu/liblapack.so.3 || true)
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends $need
    # Installing OpenBLAS makes it the system's BLAS; put the previous one back, so that the goldens (written
    # by the reference with the system's BLAS, and checked bit for bit) still regenerate identically here.
    [ -z "$blas" ] || $sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas" >/dev/null
    [ -z "$lapack" ] || $sudo update-alternatives --set liblapack.so.3-x86_64-linux-gnu "$lapack" >/dev/null
  fi

  # 1. Corpus (music_corpus.py): Freedoom's tracks (every eighth held out), the held-out recordings
  #    (Singularity, odd-numbered tracks; evaluation only), held-out composed pieces (seed 2) and the
  #    training pieces (seed 1). About 65 s of music per composed piece; 1000 pieces is about 18 h.
  $N $PY music_corpus.py freedoom --split train --out data/music/train $KITS
  $N $PY music_corpus.py freedoom --split heldout --out data/music/heldout $KITS
  $N $PY music_corpus.py recordings --split heldout --out data/music/heldout_rec
  $N $PY music_corpus.py composed --seed 2 --pieces 30 --out data/music/heldout $KITS
  $N $PY music_corpus.py composed --seed 1 --pieces 1000 --out data/music/train $KITS &
  CORPUS=$!

  # 2. The codec, beside the corpus build (it re-lists the shards every 5 minutes), until it has
  #    --total-minutes of training; then the side-by-side with Opus on held-out recordings and rendered music,
  #    and the pitch of held General MIDI notes through it and through Opus.
  $N $PY train_codec_music.py --minutes 100000 --total-minutes 150 --threads 1
  $N $PY evaluation/codec_vs_opus.py --set recordings --clips 24
  $N $PY evaluation/codec_vs_opus.py --set rendered --clips 24
  $N $PY evaluation/codec_pitch.py
  wait $CORPUS

  # 3. Paired videos' feature rows (music_video.py), for stage 1 of default model v5 (not trained yet).
  #    Example video: $PY music_video.py video --folder data/music/heldout --index 0 --out clip.mp4
  [ -f data/music/features_heldout_3fps.npy ] || \
    $N $PY music_video.py features --folder data/music/heldout --fps 3 --out data/music/features_heldout_3fps.npy
}

v5() {
  # Everything of v5 reads data/music/v5 and writes runs/v5 and logs/v5 (common.py, V2MEOW_SET).
  export V2MEOW_SET=v5
  # The trained stages and the semantic k-means are committed (checkpoints/v5, fp16): restored into runs/v5,
  # they make the training steps below skip, and step 3 exports the shipped bundle byte for byte.
  $PY stage_checkpoints.py restore
  # 1. Arrays: clips and captions, the codec's first 4 levels (the rest add nothing: logs/codec_vs_opus.log),
  #    semantic tokens, the text tower on the real-music words, paired-video rows; the stages train on every
  #    4th training clip (music_dataset.py says why).
  $N $PY music_dataset.py collect
  $N $PY music_dataset.py codes --levels 4
  [ -f runs/v5/semantic_kmeans.npz ] || $N $PY semantic.py --seed 0 --fit-frames 200000 --iterations 20
  [ -f data/music/v5/style_train.npy ] || $N $PY text_tower.py --vocabulary music train --seed 0
  [ -f data/music/v5/features_heldout_3fps.npy ] || $N $PY music_video.py features --folder data/music/heldout \
      --fps 3 --out data/music/v5/features_heldout_3fps.npy
  [ -f data/music/v5/features_train_subset_3fps.npy ] || $N $PY music_video.py features --folder data/music/train \
      --fps 3 --every 4 --out data/music/v5/features_train_subset_3fps.npy
  $N $PY music_dataset.py subsets

  # 2. Stages (default_v5.json sizes), wall-clock budgets, side by side on one thread each.
  #    Stage 3 stops at step 1000 (held-out cross-entropy rising since step 600), at the step-1000 checkpoint
  #    it reached in 31 minutes; stage 1 trains 800 steps on 1000 clips, then on 2000 (below).
  [ -f runs/v5/stage2.pt ] || $N $PY train_stages.py 2 --config default_v5.json --train-split train_subset \
      --minutes 55 --seed 0 --batch 16 &
  [ -f runs/v5/stage3.pt ] || $N $PY train_stages.py 3 --config default_v5.json --train-split train_subset \
      --minutes 55 --max-steps 1000 --seed 0 --batch 16
  wait
  # Stage 1 overfits train_subset's 1000 clips after ~400 steps (music_dataset.py): 800 steps on them, then
  # on 2000 clips (the rows of 1000 more rendered meanwhile) from that checkpoint, with a fresh schedule.
  [ -f runs/v5/stage1_part1.pt ] || { $N $PY train_stages.py 1 --config default_v5.json --train-split train_subset \
      --minutes 52 --max-steps 800 --seed 0 --batch 16 && cp runs/v5/stage1.pt runs/v5/stage1_part1.pt; }
  for first in 2 6; do
    [ -f data/music/v5/features_train_offset${first}_3fps.npy ] || $N $PY music_video.py features \
        --folder data/music/train --fps 3 --every 8 --offset $first --out data/music/v5/features_train_offset${first}_3fps.npy &
  done
  wait
  [ -f data/music/v5/features_train_video_3fps.npy ] || $N $PY music_dataset.py video-set
  [ -f runs/v5/stage1.done ] || { $N $PY train_stages.py 1 --config default_v5.json --train-split train_video \
      --init runs/v5/stage1_part1.pt --minutes 15 --seed 1 --batch 16 --lr 5e-4 && touch runs/v5/stage1.done; }

  # 3. Export: the stages, the real-music codec (4 levels) and its encoder, the text tower; then the check.
  $PY assemble.py --out runs/v5/default_state.pt --codec-music checkpoints/codec_music.pt --levels 4
  $PY ../weights-spec/reference/export.py --config default_v5.json --state-dict runs/v5/default_state.pt --out "$BUNDLE"
  $PY export_text_tower.py --bundle "$BUNDLE" --tower text_tower_music.json
  $PY ../weights-spec/reference/check.py "$BUNDLE"

  # 4. Evaluation beside v4 (its bundle kept as runs/v4_bundle before step 3 replaced it).
  $N $PY evaluation/real_music.py videos --clips 24
  $N $PY evaluation/real_music.py generate --bundle runs/v4_bundle --name v4
  $N $PY evaluation/real_music.py generate --bundle "$BUNDLE" --name v5
  $N $PY evaluation/real_music.py generate --bundle "$BUNDLE" --name v5-calm --prompt "slow ambient pad strings"
  $N $PY evaluation/real_music.py generate --bundle "$BUNDLE" --name v5-lively --prompt "fast rock drums guitar"
  $N $PY evaluation/real_music.py measure --name v4 --name v5 --name v5-calm --name v5-lively
  # The same music through the codec and through Opus: the distance a model decoding through each could reach.
  $N $PY evaluation/real_music.py ceilings
  # The held-out music grouped by captions like the two prompts: the direction the corpus steers towards.
  $N $PY evaluation/real_music.py captions --prompt "slow ambient pad strings" --prompt "fast rock drums guitar"
  # The same groups and the prompted sets on measures that do not rescale each clip: tempo, percussive share,
  # onsets above one fixed threshold (logs/v5/prompt_measures.json).
  $N $PY evaluation/real_music.py prompts --prompt "slow ambient pad strings" --prompt "fast rock drums guitar" \
      --name v5 --name v5-calm --name v5-lively
}

vmas() {
  # VMAs keeps its own data/vmas, runs/vmas and logs (vmas/README.md); every step resumes or skips. The three
  # runs share the machine, one thread each (MODEL_CARD.md, "VMAs": about 2 s a step each on 2 cores).
  cd vmas
  [ -f ../data/vmas/heldout/clips.json ] || $N $PY prepare.py --split heldout --every 3 --limit 120
  [ -f ../data/vmas/train/clips.json ] || $N $PY prepare.py --split train --every 3 --limit 1333
  $N $PY trainer.py --run main --steps 1500 --threads 1 &
  $N $PY trainer.py --run no-beat --steps 1500 --threads 1 --no-beat-weight &
  $N $PY trainer.py --run no-contrastive --steps 1500 --threads 1 --no-contrastive &
  wait
  # The embedded model (float16): the main run with its contrastive projections refitted on the recordings' own
  # codes (fit_retrieval.py; generation unchanged), and the ablations as bundles for the side-by-side.
  $N $PY fit_retrieval.py --run main
  $PY bundle_export.py --run main-retrieval --out ../../runtime/V2Meow.Runtime/DefaultModel/vmas --name vmas-music-v1 --dtype float16
  $PY bundle_export.py --run main --out ../runs/vmas/main_bundle --name vmas-main --dtype float16
  $PY bundle_export.py --run no-beat --out ../runs/vmas/no-beat_bundle --name vmas-no-beat --dtype float16
  $PY bundle_export.py --run no-contrastive --out ../runs/vmas/no-contrastive_bundle --name vmas-no-contrastive --dtype float16
  $N $PY evaluate_match.py --bundle ../runs/vmas/main_bundle --json > ../logs/vmas/match_main.json
  $N $PY evaluate_match.py --bundle ../../runtime/V2Meow.Runtime/DefaultModel/vmas --json > ../logs/vmas/match_main-retrieval.json
  $N $PY evaluate_match.py --bundle ../runs/vmas/no-beat_bundle --json > ../logs/vmas/match_no-beat.json
  $N $PY evaluate_match.py --bundle ../runs/vmas/no-contrastive_bundle --json > ../logs/vmas/match_no-contrastive.json
  cd ..
  # The side-by-side (MODEL_CARD.md, "V2Meow and VMAs side by side"): the same 24 held-out videos and seeds.
  $N $PY evaluation/real_music.py videos
  $N $PY evaluation/real_music.py generate --bundle "$BUNDLE" --name v5
  $N $PY evaluation/real_music.py generate --bundle ../runtime/V2Meow.Runtime/DefaultModel/vmas --name vmas
  $N $PY evaluation/real_music.py generate --bundle runs/vmas/no-beat_bundle --name vmas-no-beat
  $N $PY evaluation/real_music.py generate --bundle runs/vmas/no-contrastive_bundle --name vmas-no-contrastive
  $N $PY evaluation/real_music.py measure --name v5 --name vmas --name vmas-no-beat --name vmas-no-contrastive \
    --out logs/vmas/side_by_side.json
  $N $PY evaluation/real_music.py figure --name v5 --name vmas --out figures/vmas_spectrograms.png
}

case "${1:-}" in
  v4) v4 ;;
  music) music ;;
  v5) v5 ;;
  vmas) vmas ;;
  *) echo "usage: reproduce.sh v4|music|v5|vmas" >&2; exit 2 ;;
esac
