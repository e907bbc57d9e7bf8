#!/usr/bin/env bash
# gpu.sh: the codec_pitch experiment's GPU run, a wider decoder (256/128/64/32/16) trained from scratch on
# the frozen encoder and codebooks of checkpoints/codec_music.pt, in two steps.
#
#   experiments/codec_pitch/gpu.sh pack            # here: about 60 MiB of the corpus -> training/data/gpu_codec
#   experiments/codec_pitch/gpu.sh device [OUTDIR]  # there, from the repository root, PyTorch with CUDA
#
# On the device tool, carry training/data/gpu_codec (ignored, so it travels only when carried); the
# checkpoint it starts from is tracked. OUTDIR (default $OUT, else ./gpu-results) gets codec_wide.pt (fp16
# codec with the new decoder and the discriminator), the full state to resume from, and the log. Back
# here: evaluation/codec_pitch.py --checkpoint OUTDIR/codec_wide.pt --unquantised, and codec_vs_opus.py.
# Knobs (environment): MINUTES (training budget, default 7, inside the tool's 10-minute call), BATCH
# (default 32), PYTHON (default python3), DEVICE (default cuda; cpu tries the script on a machine without one).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
training=$(cd "$here/../.." && pwd)

case "${1:-}" in
  pack)
    /usr/bin/python3 "$here/pack_crops.py"
    echo "carry training/data/gpu_codec; there: bash training/experiments/codec_pitch/gpu.sh device" >&2
    ;;
  device)
    out=$(mkdir -p "${2:-${OUT:-$PWD/gpu-results}}" && cd "${2:-${OUT:-$PWD/gpu-results}}" && pwd)
    [[ -f $training/data/gpu_codec/train.npz ]] || {
      echo "error: training/data/gpu_codec/train.npz is missing; run 'gpu.sh pack' here and carry it" >&2; exit 2; }
    cd "$training"
    "${PYTHON:-python3}" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' \
        >"$out/environment.txt" 2>&1 || true
    "${PYTHON:-python3}" experiments/codec_pitch/tune_codec_decoder.py --device "${DEVICE:-cuda}" \
        --data data/gpu_codec --decoder-channels 256,128,64,32,16 --batch "${BATCH:-32}" --disc-start 500 \
        --lr 3e-4 --minutes "${MINUTES:-7}" --save-minutes 2 --threads 4 \
        --state "$out/codec_wide_state.pt" --out "$out/codec_wide.pt" --log "$out/tune_wide.log"
    ;;
  *)
    echo "usage: gpu.sh pack | gpu.sh device [OUTDIR]" >&2; exit 2 ;;
esac
