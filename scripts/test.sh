#!/usr/bin/env bash
# The whole test suite from a fresh machine: dependencies, build, ctest, then
# a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" "$@")
# A short, seeded run of each fuzz target (clang + ASan + UBSan; docs/RELIABILITY.md).
for target in import; do FUZZ_SEED=1 bash scripts/fuzz.sh "$target" 60; done
