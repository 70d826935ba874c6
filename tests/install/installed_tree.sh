#!/usr/bin/env bash
# An installed convopt used the way a user's project uses it, with nothing
# from the build or source tree: `cmake --install` into a fresh prefix, then
# - examples/cpp (installed copy) builds through find_package(convopt) and
#   optimizes + runs the bundled demo model;
# - the installed CLI compiles the demo model ahead of time and the installed
#   examples/c/run_model.c links against it with cc and runs;
# - a model with a node that has no kernel compiles with --allow-fallback and
#   links the installed libconvopt_fallback.
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

cat >"$work/cos.onnxtxt" <<'MODEL'
<ir_version: 8, opset_import: ["" : 17]>
g (float[1,8,4,4] x) => (float[1,8,4,4] y)
{
  c = Cos (x)
  y = Relu (c)
}
MODEL
"$prefix/bin/convopt" compile "$work/cos.onnxtxt" -o "$work/cos" --name cos --allow-fallback >/dev/null
test -f "$prefix/include/convopt/codegen/aot/fallback/convopt_fallback.h"
cc -std=c99 -O2 -Wall -Werror -I "$work/cos" -DMODEL=cos -DMODEL_UPPER=COS "$examples/c/run_model.c" \
  "$work/cos/cos.o" -L "$prefix/lib" -lconvopt_fallback -Wl,-rpath,"$prefix/lib" -lm -lpthread -o "$work/run_cos"
"$work/run_cos" "$work/cos/cos.weights" | tee "$work/cos.txt"
grep -q "^output 0: 128 values, min 0.5" "$work/cos.txt"
echo "installed tree: C++ example via find_package(convopt), C example via the installed CLI, and an artifact" \
  "linking the installed libconvopt_fallback all ran"
