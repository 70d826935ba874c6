#!/usr/bin/env bash
# What `--tune` buys: per model and thread count, `convopt bench --tune` first
# measures the Winograd choice into a cache of this run's own
# (codegen/engine/winograd_tuning.h), then fresh processes of `convopt bench`
# alternate untuned (the estimate, and on a CPU family with checked-in choices
# those: codegen/engine/tuning_defaults.json) and tuned (the cache), so both sides see the
# same host state. Prints a Markdown table of each side's median over the
# processes, the ratio and the layers the tuning changed.
# Usage: scripts/bench/tuning_ab.sh [ROUNDS=5] [RUNS=200] [MODEL_DIR...]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}; runs=${2:-200}; shift 2 || shift $#
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(../shared/models/{resnet18_w025,squeezenet1_1,sepnet_merged,regnet_x_400mf})
convopt=build/tools/convopt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
bench() {  # CACHE_DIR MODEL THREADS -> median ms of one fresh process
  CONVOPT_CACHE_DIR=$1 $convopt bench "$2" --threads "$3" --fixed-threads --runs "$runs" --json |
    python3 -c "import json,sys; print(json.load(sys.stdin)['median_ms'])"
}
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $rounds rounds of $runs runs, fixed threads"
echo
echo "| model | threads | untuned ms | tuned ms | untuned / tuned | layers tuned: direct, F(2x2), F(4x4) |"
echo "|---|---:|---:|---:|---:|---|"
for dir in "${models[@]}"; do
  dir=${dir%/}; name=$(basename "$dir")
  for threads in 1 2; do
    echo "$name, $threads thread(s): tuning" >&2
    CONVOPT_CACHE_DIR=$work/tuned $convopt bench "$dir/model.onnx" --threads "$threads" --fixed-threads --runs 1 \
      --tune >/dev/null 2>"$work/tune.log" || { cat "$work/tune.log" >&2; exit 1; }
    choices=$(awk '$NF ~ /^(direct|F\(2x2\)|F\(4x4\))$/ {n[$NF]++} END {printf "%d, %d, %d", n["direct"], n["F(2x2)"], n["F(4x4)"]}' "$work/tune.log")
    untuned=(); tuned=()
    for round in $(seq "$rounds"); do
      echo "$name, $threads thread(s): round $round/$rounds" >&2
      untuned+=("$(bench "$work/untuned" "$dir/model.onnx" "$threads")")
      tuned+=("$(bench "$work/tuned" "$dir/model.onnx" "$threads")")
    done
    u=$(median "${untuned[@]}"); t=$(median "${tuned[@]}")
    echo "| $name | $threads | $u | $t | $(awk -v u="$u" -v t="$t" 'BEGIN {printf "%.2f", u / t}') | $choices |"
  done
done
