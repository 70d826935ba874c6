#!/usr/bin/env bash
# Runs convopt as a host without AVX-512 would: the built tree under qemu's
# user-mode emulation of an older CPU (default Haswell: AVX2 + FMA), where the
# JIT's host detection, the tests' TargetTest skips and the CLI see only what
# that CPU has. Checks: the kernel tests of the given filter (AVX-512
# instantiations must skip, saying why), `run --check` of shared models against
# their golden outputs, and a short `bench`. Emulation is 10-30x slower than
# native, so it is a development check (docs/RELIABILITY.md), not part of CI.
# Usage: scripts/dev/check_on_older_cpu.sh [QEMU_CPU] [GTEST_FILTER] (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
cpu=${1:-Haswell}
filter=${2:-*Winograd*:*EmptyTensors*:Targets/ConvKernels*}
models=${CONVOPT_SHARED_MODELS:-../shared/models}
command -v qemu-x86_64 >/dev/null || { echo "qemu-x86_64 is missing (Debian qemu-user)" >&2; exit 2; }
emulate() { qemu-x86_64 -cpu "$cpu" "$@" 2> >(grep -v "TCG doesn't support requested feature" >&2); }

echo "== kernel tests ($filter) on $cpu"
emulate build/tests/codegen_tests --gtest_filter="$filter" --gtest_brief=1
for model in mobilenet_v2_lite resnet18_w025; do
  echo "== $model: run --check on $cpu"
  emulate build/tools/convopt run "$models/$model/model.onnx" --threads 1 --check "$models/$model/test_data_set_0" |
    grep '^check'
done
echo "== bench on $cpu"
emulate build/tools/convopt bench "$models/mobilenet_v2_lite/model.onnx" --threads 1 --runs 3
