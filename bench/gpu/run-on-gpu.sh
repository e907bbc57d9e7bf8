#!/usr/bin/env bash
# run-on-gpu.sh: the GPU half of the benchmarks (issue 7), in two steps.
#
#   bench/gpu/run-on-gpu.sh pack              # here, with the .NET SDK: packs the CLI into .device/
#   bench/gpu/run-on-gpu.sh device [OUTDIR]   # there, on a CUDA machine with PyTorch and no .NET
#
# `pack` publishes runtime/V2Meow.Cli with ../shared/tools/device-pack.sh (override with DEVICE_PACK)
# into .device/ (git-ignored) beside a compressed .NET runtime, and records the commit in .device/commit.
# `device` runs from the repository root of a copy of this tree with .device/ carried along:
#   1. `v2meow verify` of every tests/golden/* set on --device cuda, the v2meow/1 and the vmas/1 sets
#      alike (verify reads the family from the bundle)  -> OUTDIR/verify.txt
#   2. the side-by-side table (`v2meow bench --device cuda`) for the small, vmas-small and paper bench
#      bundles, exported there by the reference exporters (numpy + torch only)
#      -> OUTDIR/bench-small.txt, bench-vmas-small.txt, bench-paper.txt
#   3. one-shot latency: `v2meow generate --timings` of a 10 s test clip (ffmpeg testsrc) with the embedded
#      default model, twice (the first run unpacks the model), on --device cuda and on the CPU backend
#      -> OUTDIR/oneshot.txt (skipped where ffmpeg is missing)
# with progress in OUTDIR/*.log and the machine in OUTDIR/environment.txt. OUTDIR defaults to $OUT (the
# device tool's result folder), else ./gpu-results. Each step has its own time limit so a slow one still
# leaves the others' results; the exit code is the number of steps that failed.
# vmas-paper (about 1.9 B parameters: a 3.8 GB float16 export, then both sides loading it) does not fit the
# ten minutes beside the rest; run it alone with SIZES=vmas-paper and a shortened --decode/--prefill.
# Knobs (environment): DECODE (decode steps, default 64), REPEATS (default 3), SIZES (default
# "small vmas-small paper"), PYTHON (default: python3 on the PATH), STEP_TIMEOUT (seconds per step,
# default 240), TOTAL_TIMEOUT (seconds for everything, default 570: the device tool stops a call at 600),
# DEVICE (default cuda; cpu runs the same steps on a machine without a GPU, to try the script).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2

pack() {
  set -e
  local tool=${DEVICE_PACK:-$repo/../shared/tools/device-pack.sh}
  [[ -x $tool || -f $tool ]] || { echo "error: $tool not found; set DEVICE_PACK to device-pack.sh" >&2; exit 2; }
  bash "$tool" runtime/V2Meow.Cli/V2Meow.Cli.csproj .device
  local commit
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then commit="$commit + uncommitted changes"; fi
  printf '%s\n' "$commit" >.device/commit
  du -sh .device >&2
  echo "packed; on the GPU machine, from the repository root with .device carried: bash bench/gpu/run-on-gpu.sh device" >&2
}

device() {
  local out=${1:-${OUT:-$repo/gpu-results}}
  local decode=${DECODE:-64} repeats=${REPEATS:-3} sizes=${SIZES:-small vmas-small paper} gpu=${DEVICE:-cuda}
  local limit=${STEP_TIMEOUT:-240} deadline=$((SECONDS + ${TOTAL_TIMEOUT:-570}))
  local python=${PYTHON:-$(command -v python3 || true)}
  local failed=0
  mkdir -p "$out"
  if [[ ! -f .device/run.sh ]]; then
    echo "error: .device/run.sh is missing; run 'bench/gpu/run-on-gpu.sh pack' first and carry .device" >&2
    return 2
  fi
  export V2MEOW_COMMIT
  V2MEOW_COMMIT=$(cat .device/commit 2>/dev/null || echo unknown)
  export V2MEOW_BENCH_CACHE=${V2MEOW_BENCH_CACHE:-/tmp/v2meow-bench}

  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit: $V2MEOW_COMMIT"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 || echo "nvidia-smi: not available"
    echo "cpu: $(nproc) cores"
    "$python" -c 'import torch, numpy; print("python", __import__("sys").version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "numpy", numpy.__version__)' 2>&1
    bash .device/run.sh devices 2>&1
  } >"$out/environment.txt"

  # Each step gets STEP_TIMEOUT seconds or what is left before the deadline, whichever is less.
  budget() {
    local left=$((deadline - SECONDS))
    ((left < limit)) && echo "$((left > 1 ? left : 1))" || echo "$limit"
  }

  # 1. Goldens on CUDA: every set of both families, one report.
  : >"$out/verify.txt"
  local set rc
  for set in tests/golden/*/; do
    set=${set%/}
    [[ -f $set/golden.safetensors && -d $set/bundle ]] || continue
    echo "== $set" >>"$out/verify.txt"
    timeout "$(budget)" bash .device/run.sh verify "$set/bundle" "$set/golden.safetensors" --device "$gpu" >>"$out/verify.txt" 2>&1
    rc=$?
    if ((rc != 0)); then
      echo "FAILED: $set (exit $rc$( ((rc == 124)) && echo ', timed out'))" >>"$out/verify.txt"
      failed=$((failed + 1))
    fi
  done

  # 2. Side by side with PyTorch eager on the same GPU, per bench size (vmas-* sizes: the VMAs table).
  local size
  for size in $sizes; do
    timeout "$(budget)" bash .device/run.sh bench --size "$size" --device "$gpu" --decode "$decode" --repeats "$repeats" \
      --python "$python" >"$out/bench-$size.txt" 2>"$out/bench-$size.log"
    rc=$?
    if ((rc != 0)); then
      echo "FAILED: bench --size $size (exit $rc; see bench-$size.log)" >>"$out/bench-$size.txt"
      failed=$((failed + 1))
    fi
  done
  # 3. One-shot latency of a 10 s clip, the phase table of the second of two runs per device.
  if command -v ffmpeg >/dev/null 2>&1; then
    local clip=$out/clip10.mp4 dev run
    ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=25:duration=10 -c:v libx264 -preset ultrafast \
      -pix_fmt yuv420p "$clip" 2>>"$out/oneshot.txt"
    for dev in "$gpu" cpu; do
      for run in 1 2; do
        echo "== generate --device $dev, run $run" >>"$out/oneshot.txt"
        timeout "$(budget)" bash .device/run.sh generate "$clip" -o "$out/oneshot-$dev.wav" --device "$dev" --timings \
          >>"$out/oneshot.txt" 2>>"$out/oneshot.log" || { echo "FAILED: generate --device $dev" >>"$out/oneshot.txt"; failed=$((failed + 1)); }
      done
    done
    rm -f "$clip" "$out"/oneshot-*.wav
  else
    echo "ffmpeg not found: no one-shot timing" >"$out/oneshot.txt"
  fi
  echo "results in $out: $(ls "$out" | tr '\n' ' ')" >&2
  return "$failed"
}

case ${1:-} in
  pack) pack ;;
  device) shift; device "$@" ;;
  *) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
