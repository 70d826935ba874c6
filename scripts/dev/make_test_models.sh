#!/usr/bin/env bash
# Regenerates tests/models/generated/: the project's own test models
# (tools/test_models/make_test_models.cpp) in the ONNX backend-test layout,
# each with seeded inputs (convopt run --seed) and onnxruntime's outputs as
# goldens (scripts/ort/run_model.mjs --write-goldens, onnxruntime-node 1.30
# from scripts/install-deps.sh). Data sets use a batch of 2, and
# branchy_control_flow has one per branch of its If. Needs build/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/models/generated
convopt=build/tools/convopt
build/tools/make_test_models "$out"

# data_set MODEL SET SEED NAME=FILE|--input-shape NAME=DIMS ...
data_set() {
  local model=$1 set=$2 seed=$3
  shift 3
  local dir="$out/$model/test_data_set_$set"
  rm -rf "$dir"
  "$convopt" run "$out/$model/model.onnx" --engine reference --seed "$seed" --output-dir "$dir" "$@" >/dev/null
  node scripts/ort/run_model.mjs "$out/$model/model.onnx" "$dir" --write-goldens >/dev/null
}

data_set audio_dwsep_1d 0 1 --input-shape audio=2x1x800
data_set dynamic_batch_cnn 0 1 --input-shape image=2x3x32x32
data_set permuted_groups_cnn 0 1 --input-shape image=2x3x56x56
flags=$(mktemp -d)
trap 'rm -rf "$flags"' EXIT
for set in 0 1; do
  # The If's condition, true (then_branch) for set 0 and false for set 1, as a .npy bool[1].
  printf "\x93NUMPY\x01\x00\x76\x00{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }%*s\n" 60 '' >"$flags/wide.npy"
  printf "\\x0$((1 - set))" >>"$flags/wide.npy"
  data_set branchy_control_flow "$set" "$((set + 1))" --input-shape x=2x8x16x16 --input "wide=$flags/wide.npy"
done
ls -lR "$out"
