#!/usr/bin/env bash
# Dense and grouped 3x3 stride-1 layers of real CNNs, each as a one-Conv model
# (+ Relu), run by the JIT engine direct (--winograd off), F(2x2,3x3) and
# F(4x4,3x3): the median of ROUNDS interleaved rounds of RUNS inferences, and
# each one's largest absolute error against the reference interpreter (the same
# random input, uniform in [-1, 1); weights scaled so that outputs are of order 1). Prints a Markdown table; what `--winograd auto` picks comes from it.
# Usage: scripts/bench/winograd_layers.sh [THREADS=1] [RUNS=200]   (ROUNDS=5)
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-1} runs=${2:-200} rounds=${ROUNDS:-5}
convopt=build/tools/convopt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# name C_in C_out H group: ResNet-18/34 stages, VGG, RegNet/ResNeXt groups, small late layers.
layers=(
  "c16_56 16 16 56 1" "c32_28 32 32 28 1" "c64_56 64 64 56 1" "c64_28 64 64 28 1" "c128_28 128 128 28 1"
  "c128_14 128 128 14 1" "c256_14 256 256 14 1" "c256_7 256 256 7 1" "c512_7 512 512 7 1"
  "c128_g2_28 128 128 28 2" "c256_g4_14 256 256 14 4"
)
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $threads thread(s), $runs runs x $rounds rounds"
echo
echo "| layer | direct ms | F(2x2) ms | speed-up | F(4x4) ms | speed-up | max abs. error: direct | F(2x2) | F(4x4) | auto picks |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for layer in "${layers[@]}"; do
  read -r name cin cout size group <<<"$layer"
  model=$work/$name.onnx
  /usr/bin/python3 - "$model" "$cin" "$cout" "$size" "$group" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
path, cin, cout, size, group = sys.argv[1], *map(int, sys.argv[2:])
w = np.random.default_rng(1).uniform(-1, 1, (cout, cin // group, 3, 3)).astype(np.float32) / np.sqrt(9 * cin / group)
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], group=group), helper.make_node("Relu", ["c"], ["y"])],
    "layer", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, size, size])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cout, size, size])], [numpy_helper.from_array(w, "w")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
EOF
  $convopt run "$model" --engine reference --output-dir "$work/$name.data" >/dev/null
  declare -A ms=() errors=()
  for mode in off f2 f4; do
    errors[$mode]=$($convopt run "$model" --check "$work/$name.data" --winograd "$mode" | sed -n 's/.*max abs error \([^,]*\),.*/\1/p')
  done
  for mode in off f2 f4; do : >"$work/$mode.times"; done
  for _ in $(seq "$rounds"); do
    for mode in off f2 f4; do
      $convopt bench "$model" --threads "$threads" --runs "$runs" --json --winograd "$mode" --fixed-threads \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_ms"])' >>"$work/$mode.times"
    done
  done
  for mode in off f2 f4; do ms[$mode]=$(median <"$work/$mode.times"); done
  picks=$($convopt run "$model" --explain | grep -o 'winograd F([0-9x,]*)' | head -1 || true)
  printf '| %s | %.3f | %.3f | %.2fx | %.3f | %.2fx | %s | %s | %s | %s |\n' "$name" "${ms[off]}" "${ms[f2]}" \
    "$(echo "${ms[off]} / ${ms[f2]}" | bc -l)" "${ms[f4]}" "$(echo "${ms[off]} / ${ms[f4]}" | bc -l)" \
    "${errors[off]}" "${errors[f2]}" "${errors[f4]}" "${picks:-direct}"
done
