#!/usr/bin/env bash
# The whole test suite from a fresh machine: dependencies, build, ctest; then
# the suite again under AddressSanitizer + UndefinedBehaviorSanitizer and the
# threaded suites under ThreadSanitizer (scripts/sanitize.sh); then a short,
# seeded run of every fuzz target (scripts/fuzz.sh). docs/RELIABILITY.md says
# what each covers and how long it takes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" "$@")
bash scripts/sanitize.sh address
bash scripts/sanitize.sh thread
for target in import pipeline engine; do FUZZ_SEED=1 bash scripts/fuzz.sh "$target" 60; done
