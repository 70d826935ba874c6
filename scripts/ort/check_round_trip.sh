#!/usr/bin/env bash
# Round-trips every shared model through `convopt optimize` and checks that the
# written model still reproduces its golden outputs under onnxruntime.
#   scripts/ort/check_round_trip.sh CONVOPT_BINARY [MODELS_DIR]
# Exit 0 all match, 1 a mismatch or failure, 77 skipped (node/onnxruntime missing).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
convopt=$1
models=${2:-$here/../../../shared/models}

command -v node >/dev/null || { echo "SKIP: node is not installed (scripts/install-deps.sh)"; exit 77; }
[ -f "$here/../../third_party_npm/node_modules/onnxruntime-node/package.json" ] ||
  { echo "SKIP: onnxruntime-node is not installed (scripts/install-deps.sh)"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0 checked=0
for dir in "$models"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/model.onnx" ] || continue
  if ! "$convopt" optimize "$dir/model.onnx" -o "$work/$name.onnx"; then
    echo "FAIL $name: convopt optimize failed"; failed=1; continue
  fi
  node "$here/run_model.mjs" "$work/$name.onnx" "$dir/test_data_set_0"
  case $? in
    0) checked=$((checked + 1)) ;;
    77) exit 77 ;;
    *) echo "FAIL $name: outputs differ from the golden data"; failed=1 ;;
  esac
  rm -f "$work/$name.onnx"
done
echo "checked $checked models"
[ "$checked" -gt 0 ] || { echo "FAIL: no models found in $models"; exit 1; }
exit $failed
