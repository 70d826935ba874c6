#!/usr/bin/env bash
# Fresh processes of `convopt bench`, interleaved so that both sides see the
# same host state: per round, one process at 1 thread, one at 2 threads with
# the engine's thread choice (runtime/thread_choice.h) and one at 2 threads
# with --fixed-threads. Prints a Markdown table: each side's process medians
# (ms, sorted), their slowest/fastest spread, and the share of runs the
# adaptive processes ran on one thread.
# Usage: scripts/bench/thread_choice_ab.sh [ROUNDS=10] [RUNS=200] [MODEL_DIR...]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-10}; runs=${2:-200}; shift 2 || shift $#
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(../shared/models/{mobilenet_v2_lite,sepnet,squeezenet1_1,resnet18_w025})  # static input shapes
convopt=build/tools/convopt
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
summary() {  # values... -> "v1 v2 ... | slowest/fastest"
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1; printf "%.3f ", $1} END {printf "| %.2f", v[NR]/v[1]}'
}
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $rounds rounds of $runs runs"
echo
echo "| model | threads | process medians (ms), sorted | slowest / fastest | runs on 1 thread |"
echo "|---|---|---|---:|---|"
for dir in "${models[@]}"; do
  dir=${dir%/}; name=$(basename "$dir")
  one=(); adaptive=(); fixed=(); shares=()
  for round in $(seq "$rounds"); do
    echo "$name: round $round/$rounds" >&2
    one+=("$($convopt bench "$dir/model.onnx" --threads 1 --runs "$runs" --json | field median_ms)")
    json=$($convopt bench "$dir/model.onnx" --threads 2 --runs "$runs" --json)
    adaptive+=("$(echo "$json" | field median_ms)")
    shares+=("$(echo "$json" | field one_thread_share | awk '{printf "%.0f%%", 100 * $1}')")
    fixed+=("$($convopt bench "$dir/model.onnx" --threads 2 --runs "$runs" --json --fixed-threads | field median_ms)")
  done
  echo "| $name | 1 | $(summary "${one[@]}") | |"
  echo "| $name | 2, fixed | $(summary "${fixed[@]}") | |"
  echo "| $name | 2, adaptive | $(summary "${adaptive[@]}") | ${shares[*]} (in round order) |"
done
