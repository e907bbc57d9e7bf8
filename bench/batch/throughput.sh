#!/usr/bin/env bash
# Batch throughput: 40 ten-second clips through `v2meow batch` (the model loaded once, the next clip's
# decoding overlapping the current clip's token work) against 40 separate `v2meow generate` calls, with the
# embedded default model on the CPU backend; then the batch again with --prefetch 0 (model loaded once, no
# overlap) to show what each part buys. Checks that all write the same audio (same seeds), prints one
# Markdown table for bench/RESULTS.md. About 8 minutes on 2 idle cores.
#
#   bench/batch/throughput.sh [WORK_DIR]        # default: a fresh folder under /tmp, removed at the end
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
clips=${CLIPS:-40}
seconds=${SECONDS_PER_CLIP:-10}
work="${1:-$(mktemp -d /tmp/v2meow-batch-bench-XXXXXX)}"
keep=${1:+yes}
mkdir -p "$work/in" "$work/separate" "$work/batch" "$work/serial"

dotnet build "$root/runtime/V2Meow.Cli" -c Release -v quiet -nologo >&2
dll="$root/runtime/V2Meow.Cli/bin/Release/net10.0/v2meow.dll"

# Forty different clips: ffmpeg's testsrc2 pattern (moving shapes and a counter), each hue-shifted.
echo "making $clips clips of $seconds s" >&2
: > "$work/manifest.jsonl"
: > "$work/serial.jsonl"
for i in $(seq 0 $((clips - 1))); do
  name=$(printf 'clip-%02d' "$i")
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=320x240:rate=25:duration=$seconds" \
    -vf "hue=h=$((i * 9))" -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$work/in/$name.mp4"
  printf '{"video": "in/%s.mp4", "output": "batch/%s.wav", "seed": %d}\n' "$name" "$name" "$i" >> "$work/manifest.jsonl"
  printf '{"video": "in/%s.mp4", "output": "serial/%s.wav", "seed": %d}\n' "$name" "$name" "$i" >> "$work/serial.jsonl"
done

load() { awk '{print $1", "$2", "$3}' /proc/loadavg; }
echo "load before: $(load)" >&2
start=$(date +%s.%N)
for i in $(seq 0 $((clips - 1))); do
  name=$(printf 'clip-%02d' "$i")
  dotnet "$dll" generate "$work/in/$name.mp4" -o "$work/separate/$name.wav" --seed "$i" --device cpu >/dev/null 2>&1
done
separate=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
load_separate=$(load)

start=$(date +%s.%N)
dotnet "$dll" batch "$work/manifest.jsonl" --device cpu >/dev/null 2>"$work/batch.log"
batch=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
load_batch=$(load)

start=$(date +%s.%N)
dotnet "$dll" batch "$work/serial.jsonl" --device cpu --prefetch 0 >/dev/null 2>"$work/serial.log"
serial=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
load_serial=$(load)

same=0
for i in $(seq 0 $((clips - 1))); do
  name=$(printf 'clip-%02d' "$i")
  cmp -s "$work/separate/$name.wav" "$work/batch/$name.wav" && cmp -s "$work/separate/$name.wav" "$work/serial/$name.wav" && same=$((same + 1))
done

calc() { awk "BEGIN { printf \"%.${1}f\", $2 }"; }
ratio=$(calc 2 "$separate / $batch")
cat <<TABLE
| | wall time | clips per minute | load (1, 5, 15 min) at the end |
|---|---|---|---|
| $clips separate \`v2meow generate\` | $(calc 1 "$separate") s | $(calc 1 "$clips * 60 / $separate") | $load_separate |
| one \`v2meow batch --prefetch 0\` (model loaded once, no overlap) | $(calc 1 "$serial") s | $(calc 1 "$clips * 60 / $serial") | $load_serial |
| one \`v2meow batch\` (model loaded once, next clip decoded during token work) | $(calc 1 "$batch") s | $(calc 1 "$clips * 60 / $batch") | $load_batch |
| **batch / separate throughput** | **${ratio}×** | | |

identical audio (same seed, same clip): $same of $clips
TABLE
[ -n "$keep" ] || rm -rf "$work"
