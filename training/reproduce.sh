#!/bin/sh
# The real-music steps of issue #18, in order; each skips what is already done, so after an interruption the
# same command continues (shards that exist are not rendered again; the codec resumes from its checkpoint
# and stops at --total-minutes). v4's steps are in run_all.sh. Run from anywhere; data/ and runs/ are
# regenerated, never committed; checkpoints/ and logs/ are committed. On the 2-core machine every long step
# runs under `nice -n 10`.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
N="nice -n 10"

# 0. What the corpus is made from (Debian packages; licences in MODEL_CARD.md, "Real-music corpus").
need=""
for pkg in fluidsynth fluid-soundfont-gm musescore-general-soundfont-small freedoom singularity-music ffmpeg; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends $need
fi

# 1. Corpus (music_corpus.py): Freedoom's tracks (every eighth held out), the held-out recordings
#    (Singularity, odd-numbered tracks; evaluation only), held-out composed pieces (seed 2) and the
#    training pieces (seed 1). About 65 s of music per composed piece; 1000 pieces is about 18 h.
$N $PY music_corpus.py freedoom --split train --out data/music/train
$N $PY music_corpus.py freedoom --split heldout --out data/music/heldout
$N $PY music_corpus.py recordings --split heldout --out data/music/heldout_rec
$N $PY music_corpus.py composed --seed 2 --pieces 30 --out data/music/heldout
$N $PY music_corpus.py composed --seed 1 --pieces 1000 --out data/music/train &
CORPUS=$!

# 2. The codec, beside the corpus build (it re-lists the shards every 5 minutes), until it has
#    --total-minutes of training; then the side-by-side with Opus on held-out recordings and rendered music.
$N $PY train_codec_music.py --minutes 100000 --total-minutes 150 --threads 1
$N $PY codec_vs_opus.py --set recordings --clips 24
$N $PY codec_vs_opus.py --set rendered --clips 24
wait $CORPUS

# 3. Paired videos' feature rows (music_video.py), for stage 1 of default model v5 (not trained yet).
#    Example video: $PY music_video.py video --folder data/music/heldout --index 0 --out clip.mp4
[ -f data/music/features_heldout_3fps.npy ] || \
  $N $PY music_video.py features --folder data/music/heldout --fps 3 --out data/music/features_heldout_3fps.npy
