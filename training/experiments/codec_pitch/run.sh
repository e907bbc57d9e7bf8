#!/bin/sh
# One experiment, not part of the shipped model (README.md beside this file). Run from anywhere; paths are
# training/'s, as in training/reproduce.sh, whose `music` steps it assumes have run (data/music/ and
# checkpoints/codec_music.pt).
set -e
cd "$(dirname "$0")/../.."
. experiments/common.sh
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-serial
E=experiments/codec_pitch

# The two fine-tunes, side by side on one thread each: the codec's losses with the pitch terms (from the
# codec's own discriminator), and the reconstruction terms alone with the waveform below 1 kHz weighted up.
$N $PY $E/tune_codec_decoder.py --minutes 70 --total-minutes 50 --threads 1 &
$N $PY $E/tune_codec_decoder.py --minutes 70 --total-minutes 25 --threads 1 --adv-weight 0 --low-weight 50 \
    --lr 3e-4 --state runs/codec_recon_state.pt --out runs/codec_recon.pt --log recon.log
wait
# Held notes through each, beside the shipped codec.
$N $PY evaluation/codec_pitch.py --checkpoint checkpoints/codec_music.pt --checkpoint runs/codec_tuned.pt \
    --checkpoint runs/codec_recon.pt --unquantised --opus --out $E/logs/codec_pitch.json
# Where the shipped codec's level errors lie; decoded silence; a steady tone's codes.
$N $PY $E/codec_floor.py > $E/logs/codec_floor.log
# The first try, on synthetic held notes alone (logs/tones_only.log; stopped after 4 minutes, 67 steps):
#   $N $PY $E/tune_codec_decoder.py --minutes 4 --threads 1 --tone-share 1.0 --low-weight 100 --lr 3e-4 \
#       --state runs/codec_tones_state.pt --out runs/codec_tones.pt --log tones_only.log
