#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need when it is missing
# (Debian packages; needs root or sudo), then the .NET tests, the PyTorch reference tests, the formatting
# check, the package check and the check that the committed golden files are current. Ends with one line:
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3   # Debian's Python, which has python3-torch; not the first python3 on PATH
need=()
[ -x "$PY" ] && "$PY" -c 'import torch, numpy, scipy, pytest' 2>/dev/null || need+=(python3-torch python3-numpy python3-scipy python3-pytest)
# The scoring reference (training/evaluation/score.py) measures optical flow with OpenCV; the deployment
# tests parse the Kubernetes manifests with PyYAML.
[ -x "$PY" ] && "$PY" -c 'import cv2' 2>/dev/null || need+=(python3-opencv)
[ -x "$PY" ] && "$PY" -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing ${need[*]}"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || {
    echo "could not install ${need[*]}"; echo "0 passed, 1 failed"; exit 1; }
fi

passed=0; failed=0; status=0
log=$(mktemp)

# .NET: the whole solution, Release, as CI builds it.
dotnet test V2Meow.Runtime.sln -c Release 2>&1 | tee "$log" || status=1
while read -r f p; do failed=$((failed + f)); passed=$((passed + p)); done < <(
  sed -nE 's/.*Failed: +([0-9]+), Passed: +([0-9]+),.*/\1 \2/p' "$log")
grep -qE 'Failed: +[0-9]+, Passed:' "$log" || { echo "dotnet test reported no results"; failed=$((failed + 1)); status=1; }

# PyTorch reference tests.
if [ -d tests/python ]; then
  "$PY" -m pytest tests/python -q -p no:cacheprovider 2>&1 | tee "$log" || status=1
  p=$(grep -oE '[0-9]+ passed' "$log" | tail -n1 | grep -oE '[0-9]+' || echo 0)
  f=$(grep -oE '[0-9]+ (failed|errors?)' "$log" | awk '{s += $1} END {print s + 0}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
fi

# Formatting and code style as .editorconfig sets them.
if dotnet format V2Meow.Runtime.sln --verify-no-changes --no-restore; then passed=$((passed + 1)); else
  echo "dotnet format: files differ from .editorconfig's style (run: dotnet format V2Meow.Runtime.sln)"; failed=$((failed + 1)); status=1; fi

# The NuGet packages: every packable project packs, and each holds only its own assembly (no tooling or tests).
pack=$(mktemp -d)
if dotnet pack V2Meow.Runtime.sln -c Release --no-build -o "$pack" -v quiet -nologo && "$PY" tests/package_contents.py "$pack"; then
  passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
rm -rf "$pack"

# The committed goldens must be what the reference produces today.
if [ -x weights-spec/reference/make_goldens.sh ]; then
  if weights-spec/reference/make_goldens.sh --check; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

rm -f "$log"
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
