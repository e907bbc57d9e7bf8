#!/usr/bin/env bash
# Regenerate the golden sets under tests/golden/ (SPEC §10).
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

# set name | example config | export seed | golden seed | dtype override
sets=(
  "tiny     tiny     1 101 -"
  "tiny_f16 tiny     1 101 float16"
  "odd      odd      2 102 -"
  "enc_dec  enc_dec  3 103 -"
)

for line in "${sets[@]}"; do
  read -r name config export_seed golden_seed dtype <<<"$line"
  out="$root/$name"
  rm -rf "$out/bundle"
  mkdir -p "$out"
  args=(--config "$examples/$config.json" --seed "$export_seed" --out "$out/bundle")
  [ "$dtype" != "-" ] && args+=(--dtype "$dtype")
  "$python" "$here/export.py" "${args[@]}" >/dev/null
  "$python" "$here/check.py" "$out/bundle" >/dev/null
  "$python" "$here/golden.py" --bundle "$out/bundle" --seed "$golden_seed" --out "$out/golden.safetensors" >/dev/null
  echo "$name: $(du -sh "$out" | cut -f1)"
done

if [ "$mode" = "check" ]; then
  "$python" "$here/compare_goldens.py" "$root" "$repo/tests/golden"
fi
