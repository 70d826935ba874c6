#!/usr/bin/env bash
# The compiled artifact (convopt compile -o, linked with examples/c/run_model.c)
# against the JIT engine (convopt bench) on the same model and kernels
# (--no-optimize on both), at 1 and 2 threads, ROUNDS interleaved rounds of RUNS
# inferences each; prints a Markdown table of medians (ms) and artifact sizes.
# An artifact is compiled per thread count (compile --threads N), so that both
# take the kernel choices measured for it (the tuning cache, the CPU family's table).
# Usage: scripts/bench/compare_aot_jit.sh [RUNS=50] [MODEL_DIR...]   (ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-50}; shift || true
rounds=${ROUNDS:-3}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(../shared/models/*/)
convopt=build/tools/convopt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; runs $runs x $rounds rounds"
echo
echo "| model | JIT 1t | AOT 1t | JIT 2t | AOT 2t | compile s (2t) | code KiB (2t) | weights KiB |"
echo "|---|---|---|---|---|---|---|---|"
for dir in "${models[@]}"; do
  dir=${dir%/}; name=$(basename "$dir")
  # The input's dims from the shared models' manifest (some models have dynamic dims).
  shape=$(python3 -c "import json;m=[x for x in json.load(open('$(dirname "$dir")/manifest.json')) if x['name']=='$name'];print('x'.join(map(str,m[0]['input'])) if m else '')")
  input=$($convopt inspect --json "$dir/model.onnx" | python3 -c "import json,sys;print(json.load(sys.stdin)['inputs'][0]['name'])")
  shapes=(--input-shape "$input=$shape")
  row="| $name"
  for threads in 1 2; do
    out=$work/$name/t$threads
    start=$(date +%s.%N)
    $convopt compile "$dir/model.onnx" -o "$out" --name m --no-optimize --threads "$threads" "${shapes[@]}" >/dev/null
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    cc -O2 -I "$out" -DMODEL=m -DMODEL_UPPER=M examples/c/run_model.c "$out/m.o" -lm -lpthread -o "$out/run"
    jit=(); aot=()
    for _ in $(seq "$rounds"); do
      jit+=("$($convopt bench "$dir/model.onnx" --threads "$threads" --runs "$runs" --json "${shapes[@]}" \
               | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_ms"])')")
      aot+=("$("$out/run" "$out/m.weights" --threads "$threads" --runs "$runs" \
               | awk '/latency/ {print $3}')")
    done
    row+=" | $(printf '%s\n' "${jit[@]}" | median | xargs printf '%.3f') | $(printf '%s\n' "${aot[@]}" | median | xargs printf '%.3f')"
  done
  code=$(( $(stat -c %s "$out/m.o") / 1024 )); weights=$(( $(stat -c %s "$out/m.weights") / 1024 ))
  echo "$row | $(printf '%.1f' "$seconds") | $code | $weights |"
done
