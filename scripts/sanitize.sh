#!/usr/bin/env bash
# Builds convopt and its tests with clang-19 under a sanitizer and runs the
# test suite there (docs/RELIABILITY.md says what each run covers and found).
#   address   ASan + UBSan, into build-asan/: the ctest suite except the tests
#             that drive an outside toolchain or runtime (install, ort) and the
#             shared models run whole through both engines (models: 5 minutes
#             under ASan for code the codegen layer tables and the AOT shared
#             models, which do run here, already cover).
#   thread    TSan, into build-tsan/: the suites whose code starts threads
#             (labels runtime: the thread pool; codegen: the JIT engine, which
#             runs on two threads by default, and concurrent engine use; aot:
#             artifacts' sessions, their C drivers built with TSan too, but not
#             the shared models' artifacts, whose threads run uninstrumented
#             runtime code, nor AArch64 under qemu). The other suites never
#             run two threads; building them would add CI time for nothing.
# Extra arguments go to ctest. Any report fails the run (halt_on_error).
# `--build-only TARGET...` builds those targets of the tree and runs nothing
# (scripts/fuzz.sh builds its fuzz target so).
# Usage: scripts/sanitize.sh address|thread [--build-only TARGET... | CTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh address|thread [ctest args]}
shift
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
# Reports about system protobuf/onnx/LLVM (not built with the sanitizer) are not convopt's.
suppressions="$PWD/scripts/sanitizer_suppressions"
case "$kind" in
  address)
    dir=build-asan flags=address,undefined
    targets=(all)  # the fuzz targets too: scripts/fuzz.sh runs them from this tree
    # install: builds the examples with the system compiler, against an ASan library;
    # ort: node's onnxruntime, not convopt code.
    select=(-LE 'install|ort|models')
    export ASAN_OPTIONS="detect_odr_violation=0:detect_container_overflow=0:detect_leaks=1:halt_on_error=1:suppressions=$suppressions/asan.txt"
    export LSAN_OPTIONS="suppressions=$suppressions/lsan.txt"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$suppressions/ubsan.txt"
    ;;
  thread)
    dir=build-tsan flags=thread
    targets=(runtime_tests codegen_tests aot_tests)
    select=(-L 'runtime|codegen|aot' -E 'AotSharedModel|AArch64')
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$suppressions/tsan.txt"
    ;;
  *) echo "scripts/sanitize.sh: unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -gline-tables-only" -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCONVOPT_SANITIZE="$flags" -DCONVOPT_BUILD_BENCH=OFF >/dev/null
if [ "${1:-}" = "--build-only" ]; then
  shift
  exec cmake --build "$dir" -j "$(nproc)" --target "$@"
fi
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
cd "$dir"
ctest --output-on-failure -j "$(nproc)" "${select[@]}" "$@"
