# Sourced by each experiment's run.sh, from training/: the same interpreter, niceness and bundle as
# training/reproduce.sh, and the bundle an experiment scores.
PY=/usr/bin/python3
N="nice -n 10"
BUNDLE=../runtime/V2Meow.Runtime/DefaultModel/bundle

# A stage-1 experiment's bundle: stage 1 from runs/stage1.pt, everything else the shipped bundle's, as
# runs/NAME_bundle (the state dict as runs/NAME_state.pt).
experiment_bundle() {
  $PY assemble.py --out runs/$1_state.pt --reuse stage2 stage3 codec --reuse-from "$BUNDLE"
  $PY ../weights-spec/reference/export.py --config experiments/stage1_guided/stage1_guided_warm.json --state-dict runs/$1_state.pt \
      --out runs/$1_bundle
  $PY export_text_tower.py --bundle runs/$1_bundle
}
