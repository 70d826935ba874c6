#!/usr/bin/env bash
# The main job on the bundled default model: dependencies, build, then
# convopt on the model with its report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
model=${1:-models/demo.onnx}
./build/tools/convopt inspect "$model"
