#!/usr/bin/env bash
# The whole test suite from a fresh machine: dependencies, build, ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd build && ctest --output-on-failure -j "$(nproc)" "$@"
