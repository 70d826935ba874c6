#!/usr/bin/env bash
# Builds one libFuzzer target (fuzz/NAME_fuzzer.cpp) in the clang-19 ASan +
# UBSan tree (build-asan/, scripts/sanitize.sh) and runs it for SECONDS from
# its checked-in seed corpus (fuzz/corpus/import/ for import, fuzz/corpus/models/
# for the structure-aware targets; copied: the run's findings
# stay in build-asan/fuzz-corpus/NAME/). Limits: 10 s per input (a hang),
# 2 GB of memory (a runaway allocation). A crash writes build-asan/crash-*:
# turn it into a test under tests/. FUZZ_SEED=N fixes libFuzzer's seed (the
# test command's short runs use 1). Targets (docs/RELIABILITY.md):
#   import     arbitrary bytes through import, verifier, shape inference
#   pipeline   mutated models through the pass pipeline, export, re-import
#   engine     mutated models through the JIT engine, against the reference
# Usage: [FUZZ_SEED=N] scripts/fuzz.sh TARGET SECONDS
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/fuzz.sh import|pipeline|engine SECONDS"
target=${1:?$usage} seconds=${2:?$usage}
[ -f "fuzz/${target}_fuzzer.cpp" ] || { echo "scripts/fuzz.sh: no fuzz target '$target'; $usage" >&2; exit 2; }
bash scripts/sanitize.sh address --build-only "${target}_fuzzer"
corpus=build-asan/fuzz-corpus/$target
mkdir -p "$corpus"
seeds=fuzz/corpus/models
[ "$target" = import ] && seeds=fuzz/corpus/import
cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
cd build-asan
# The libraries' ODR and container-overflow reports concern system protobuf/onnx, not convopt.
# libFuzzer purges ASan's allocator every second once the peak RSS passes half the RSS limit,
# which cut long pipeline runs from ~800 to ~30 executions/s; a smaller quarantine keeps the
# RSS down instead (docs/RELIABILITY.md).
ASAN_OPTIONS=detect_odr_violation=0:detect_container_overflow=0:quarantine_size_mb=64 UBSAN_OPTIONS=print_stacktrace=1 \
  ./fuzz/"${target}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -purge_allocator_interval=-1 \
  -print_final_stats=1 -seed="${FUZZ_SEED:-0}" "fuzz-corpus/$target" 2>&1 | tail -n 40
