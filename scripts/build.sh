#!/usr/bin/env bash
# Configures and builds convopt into build/ (Release). Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
werror=OFF; [ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONVOPT_WERROR=$werror "$@" >/dev/null
cmake --build build -j "$(nproc)"
