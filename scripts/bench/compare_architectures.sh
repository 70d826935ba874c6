#!/usr/bin/env bash
# onnxruntime 1.30 (node, opt level 'all') and convopt side by side on the
# architectures beyond the shared models (scripts/bench/make_architecture_models.py
# --size full: ConvNeXt, wav2vec2-style encoder, UNet, YOLO-style head, tf2onnx-style
# Pads, vocoder), whole inference at 1 and 2 threads. Each model's two timings
# follow each other (onnxruntime first in odd rounds, last in even ones) in
# ROUNDS rounds (default 3); the table gives each peer's median ms and the
# median and range of the per-round ratios (onnxruntime ms / convopt ms: above 1,
# convopt is faster).
# Usage: [ROUNDS=3] scripts/bench/compare_architectures.sh [RUNS] (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-30}
rounds=${ROUNDS:-3}
export NODE_PATH=$PWD/third_party_npm/node_modules
[ -d "$NODE_PATH/onnxruntime-node" ] || { echo "run scripts/install-deps.sh first (onnxruntime-node)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export CONVOPT_CACHE_DIR=$work/cache
python3 scripts/bench/make_architecture_models.py "$work" --size full >"$work/names"

ort_ms() { node scripts/bench/ort_bench.js "$2" "$runs" model "$1=$work/$1/model.onnx=$3" \
             | python3 -c "import json,sys;print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
ours_ms() { build/tools/convopt bench "$work/$1/model.onnx" --threads "$2" --runs "$runs" --json \
              | python3 -c "import json,sys;print(json.load(sys.stdin)['median_ms'])"; }
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    echo "round $round/$rounds, $threads thread(s)" >&2
    while read -r name; do
      shape=$(build/tools/convopt inspect --json "$work/$name/model.onnx" \
                | python3 -c "import json,sys;print('x'.join(map(str,json.load(sys.stdin)['inputs'][0]['shape'])))")
      if [ $((round % 2)) = 1 ]; then ort=$(ort_ms "$name" "$threads" "$shape"); fi
      ours=$(ours_ms "$name" "$threads")
      if [ $((round % 2)) = 0 ]; then ort=$(ort_ms "$name" "$threads" "$shape"); fi
      echo "$name $threads $ort $ours" >>"$work/times"
    done <"$work/names"
  done
done

python3 - "$work/times" <<'PY'
import collections, statistics, sys
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, threads, ort, ours = line.split()
    times[(name, int(threads))].append((float(ort), float(ours)))
for threads in (1, 2):
    print(f"\n| model, {threads} thread(s) | onnxruntime ms | convopt ms | ratio | range |\n|---|---:|---:|---:|---:|")
    for (name, t), pairs in times.items():
        if t != threads:
            continue
        ratios = [o / c for o, c in pairs]
        print(f"| {name} | {statistics.median(o for o, _ in pairs):.3f} | {statistics.median(c for _, c in pairs):.3f} "
              f"| {statistics.median(ratios):.2f} | {min(ratios):.2f}–{max(ratios):.2f} |")
PY
