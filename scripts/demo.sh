#!/usr/bin/env bash
# The main job on the bundled default model (or the model given as $1):
# dependencies, build, then inspect -> optimize (verified) -> compile -> run
# on the JIT engine against the reference interpreter -> bench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
model=${1:-models/demo.onnx}
out=build/demo
mkdir -p "$out"
convopt=./build/tools/convopt
step() { printf '\n== %s\n' "$*"; }

step "inspect $model"
$convopt inspect "$model"
step "optimize: exact rewrites, checked on the reference interpreter"
$convopt optimize "$model" -o "$out/optimized.onnx" --report "$out/report.json" --html "$out/report.html"
step "what changed"
$convopt inspect "$model" --diff "$out/optimized.onnx"
step "compile: generated kernels of the optimized model (assembly in $out/optimized.s)"
$convopt compile "$out/optimized.onnx" --emit-asm "$out/optimized.s"
echo "$(grep -c 'vfmadd' "$out/optimized.s") vector FMA instructions"
step "run: the optimized model on the JIT engine vs the original on the reference interpreter"
$convopt run "$model" --engine reference --output-dir "$out/reference" >/dev/null
$convopt run "$out/optimized.onnx" --engine jit --check "$out/reference"
step "bench: original vs optimized model, JIT engine, 1 thread"
for m in "$model" "$out/optimized.onnx"; do $convopt bench "$m" --threads 1 --runs 50; done
echo; echo "report: $out/report.json; open $out/report.html in a browser"
