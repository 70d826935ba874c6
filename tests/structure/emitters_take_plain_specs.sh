#!/usr/bin/env bash
# Kernel emitters (codegen/builder, conv, kernels) take plain specs: none may
# include the graph IR, a pass, or the graph-facing codegen folders (lowering,
# fusion, engine except its plain Target). Fails listing each offending include.
set -uo pipefail
root=${1:-$(dirname "$0")/../..}
forbidden='#include "(ir/graph\.h|ir/shape_inference\.h|passes/|codegen/lowering/|codegen/fusion/|codegen/aot/|codegen/engine/(jit|jit_engine|engine_program|constant_folding)\.h)'
hits=$(grep -rnE "$forbidden" "$root"/codegen/builder "$root"/codegen/conv "$root"/codegen/kernels)
if [ -n "$hits" ]; then
  echo "emitter files include graph-level headers (emitters take plain specs only):"
  echo "$hits"
  exit 1
fi
echo "emitters take plain specs: $(ls "$root"/codegen/builder "$root"/codegen/conv "$root"/codegen/kernels | wc -l) files checked, no graph-level include"
