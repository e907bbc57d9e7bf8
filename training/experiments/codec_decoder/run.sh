#!/bin/sh
# One experiment, not part of the shipped model (README.md beside this file). Run from anywhere; paths are
# training/'s, as in training/reproduce.sh, whose `music` steps it assumes have run (data/music/ and
# checkpoints/codec_music.pt).
set -e
cd "$(dirname "$0")/../.."
. experiments/common.sh
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-serial

# The decoder alone, at the 4 levels the default model decodes, with the card's level measure as a loss.
$N $PY experiments/codec_decoder/finetune_codec_decoder.py --minutes 120 --total-minutes 120 --threads 1
# Where the error lies, band by band, before and after.
$N $PY experiments/codec_decoder/band_levels.py checkpoints/codec_music.pt runs/codec_decoder_state.pt \
    > experiments/codec_decoder/logs/band_levels.json
