#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-19 + ASan + UBSan into build-fuzz/
# and runs one for SECONDS, starting from its checked-in seed corpus
# (fuzz/corpus/NAME/, copied: the run's findings stay in build-fuzz/). Limits:
# 10 s per input (a hang), 2 GB of memory (a runaway allocation).
# A crash writes build-fuzz/crash-*: turn it into a test under tests/.
# FUZZ_SEED=N fixes libFuzzer's seed (the test command's short run uses 1).
# Usage: [FUZZ_SEED=N] scripts/fuzz.sh TARGET SECONDS     (TARGET: import)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS} seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOPT_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
cmake --build build-fuzz --target "${target}_fuzzer" -j "$(nproc)"
corpus=build-fuzz/corpus/$target
mkdir -p "$corpus"
cp -n fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
cd build-fuzz
# The libraries' ODR and container-overflow reports concern system protobuf/onnx, not convopt.
ASAN_OPTIONS=detect_odr_violation=0:detect_container_overflow=0 \
  ./fuzz/"${target}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -seed="${FUZZ_SEED:-0}" \
  "corpus/$target" 2>&1 | tail -n 40
