#!/usr/bin/env bash
# Regenerate the golden sets under tests/golden/ (SPEC §10, VMAS.md §10).
#
#   make_goldens.sh           export each bundle and its golden into tests/golden/
#   make_goldens.sh --check   regenerate into a temp dir, compare with tests/golden/, exit 1 if stale
#
# Needs Python 3 with numpy and torch (1.13 or 2.x). PYTHON overrides the interpreter.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
examples="$repo/weights-spec/examples"
python="${PYTHON:-/usr/bin/python3}"

mode="write"
case "${1:-}" in
  "") ;;
  --check) mode="check" ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if [ "$mode" = "check" ]; then
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
else
  root="$repo/tests/golden"
fi

# set name | family | example config | export seed | golden seed | dtype override | codec encoder (SPEC §9.3)
sets=(
  "tiny              v2meow tiny              1  101 -       -"
  "tiny_f16          v2meow tiny              1  101 float16 -"
  "odd               v2meow odd               2  102 -       -"
  "enc_dec           v2meow enc_dec           3  103 -       -"
  "codec_encoder     v2meow codec_encoder     4  104 -       encoder"
  "codec_encoder_odd v2meow codec_encoder_odd 5  105 -       encoder"
  "vmas-tiny         vmas   vmas-tiny         11 201 -       -"
  "vmas-tiny_f16     vmas   vmas-tiny         11 201 float16 -"
  "vmas-odd          vmas   vmas-odd          12 202 -       -"
  "vmas-match        vmas   vmas-match        13 203 -       encoder"
)

for line in "${sets[@]}"; do
  read -r name family config export_seed golden_seed dtype encoder <<<"$line"
  out="$root/$name"
  rm -rf "$out/bundle"
  mkdir -p "$out"
  args=(--config "$examples/$config.json" --seed "$export_seed" --out "$out/bundle")
  [ "$dtype" != "-" ] && args+=(--dtype "$dtype")
  [ "$encoder" != "-" ] && args+=(--codec-encoder)
  if [ "$family" = "vmas" ]; then
    # The vmas/1 tools are the package weights-spec/reference/vmas (VMAS.md §13).
    PYTHONPATH="$here" "$python" -m vmas.export "${args[@]}" >/dev/null
    PYTHONPATH="$here" "$python" -m vmas.check "$out/bundle" >/dev/null
    PYTHONPATH="$here" "$python" -m vmas.golden --bundle "$out/bundle" --seed "$golden_seed" --out "$out/golden.safetensors" >/dev/null
  else
    "$python" "$here/export.py" "${args[@]}" >/dev/null
    "$python" "$here/check.py" "$out/bundle" >/dev/null
    "$python" "$here/golden.py" --bundle "$out/bundle" --seed "$golden_seed" --out "$out/golden.safetensors" >/dev/null
  fi
  echo "$name: $(du -sh "$out" | cut -f1)"
done

if [ "$mode" = "check" ]; then
  "$python" "$here/compare_goldens.py" "$root" "$repo/tests/golden"
fi
