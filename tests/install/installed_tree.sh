#!/usr/bin/env bash
# An installed convopt used the way a user's project uses it, with nothing
# from the build or source tree: `cmake --install` into a fresh prefix, then
# - examples/cpp (installed copy) builds through find_package(convopt) and
#   optimizes + runs the bundled demo model;
# - the installed CLI compiles the demo model ahead of time and the installed
#   examples/c/run_model.c links against it with cc and runs.
# Usage: installed_tree.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
examples=$prefix/share/convopt/examples
test -f "$prefix/lib/cmake/convopt/convoptConfig.cmake"
test -f "$prefix/include/convopt/codegen/engine/jit_engine.h"

cmake -S "$examples/cpp" -B "$work/cpp" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cpp" >/dev/null
"$work/cpp/optimize_and_run" "$src/models/demo.onnx" "$work/demo.optimized.onnx" 2 | tee "$work/cpp.txt"
grep -q "^optimized: [0-9]* rewrites" "$work/cpp.txt"
grep -q "^logits: 10 values" "$work/cpp.txt"
"$prefix/bin/convopt" inspect "$work/demo.optimized.onnx" >/dev/null   # the saved model reads back

"$prefix/bin/convopt" compile "$src/models/demo.onnx" -o "$work/demo" --name demo >/dev/null
cc -std=c99 -O2 -Wall -Werror -I "$work/demo" -DMODEL=demo -DMODEL_UPPER=DEMO "$examples/c/run_model.c" \
  "$work/demo/demo.o" -lm -lpthread -o "$work/run_model"
"$work/run_model" "$work/demo/demo.weights" --threads 2 | tee "$work/c.txt"
grep -q "^output 0: 10 values" "$work/c.txt"
echo "installed tree: C++ example via find_package(convopt) and C example via the installed CLI both ran"
