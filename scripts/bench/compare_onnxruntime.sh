#!/usr/bin/env bash
# Runs the single-Conv layers of the layer table (tests/support/conv_layers.cpp,
# written out by write_layer_models) and the shared models in
# onnxruntime 1.30 (node, opt level 'all') and convopt side by side, at 1 and
# 2 threads, and prints the ratio table (ratio = onnxruntime ms / convopt ms:
# above 1 means convopt is faster).
#   Layers: kernel time vs kernel time (onnxruntime's profiler per-node times
#   without its reorders; convopt's generated kernel on blocked data).
#   Models: whole inference vs whole inference (convopt bench), convopt both on
#   the model as given and after `convopt optimize` (what a user deploys), and
#   each peer's % of the FMA roofline on the model as given (its conv and matmul
#   FLOPs over the FMA peak of the thread count that `bench --roofline` measures).
#   The host's load moves both peers' times from minute to minute, so the
#   whole comparison runs ROUNDS times (default 3), and within a round each
#   model's three timings (onnxruntime, convopt as given, after optimize)
#   follow each other, onnxruntime first in odd rounds and last in even ones;
#   the tables give each peer's median ms over the rounds and the median and
#   range of the per-round ratios. At 2 threads they add how far apart the
#   cores were (`bench`'s core_round_trip_ns): a cloud VM moves its vCPUs
#   between near and distant cores, and 2-thread times follow.
#   convopt runs untuned (its estimates and the choices checked in for the
#   host's CPU family, codegen/engine/tuning_defaults.json; a tuning cache of the user's is not
#   read) unless TUNE=1: then `convopt bench --tune` first measures each
#   model's Winograd choice and direct conv variants at each thread count
#   (codegen/engine/winograd_tuning.h, conv_variant_tuning.h; 10 s, split
#   between the two) into a cache of this run's own, as a user who tunes on
#   their host would.
# Usage: [ROUNDS=3] [TUNE=1] scripts/bench/compare_onnxruntime.sh [RUNS] (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
rounds=${ROUNDS:-3}
models=${CONVOPT_SHARED_MODELS:-../shared/models}
export NODE_PATH=$PWD/third_party_npm/node_modules
[ -d "$NODE_PATH/onnxruntime-node" ] || { echo "run scripts/install-deps.sh first (onnxruntime-node)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export CONVOPT_CACHE_DIR=$work/tuning
build/bench/write_layer_models "$work/layers" >"$work/layer_shapes"

layer_specs=()
while read -r name shape; do layer_specs+=("$name=$work/layers/$name.onnx=$shape"); done <"$work/layer_shapes"
model_specs=()
for dir in "$models"/*/; do
  name=$(basename "$dir")
  shape=$(python3 -c "import json;m=[x for x in json.load(open('$models/manifest.json')) if x['name']=='$name'];print('x'.join(map(str,m[0]['input'])) if m else '')")
  [ -n "$shape" ] && model_specs+=("$name=$dir/model.onnx=$shape")
done

input_name() { build/tools/convopt inspect --json "$1" | python3 -c "import json,sys;print(json.load(sys.stdin)['inputs'][0]['name'])"; }
# add_median JSON NAME MODEL THREADS SHAPE: JSON with NAME set to [median ms, fraction of the FMA
# roofline, cores' round trip ns before the runs or null at 1 thread] of convopt on MODEL (the
# roofline: its conv and matmul FLOPs at the measured FMA peak; the round trip:
# runtime/core_round_trip.h, how far apart the cores were).
add_median() {
  local result
  result=$(build/tools/convopt bench "$3" --threads "$4" --runs "$runs" --json --roofline \
             --input-shape "$(input_name "$3")=$5" \
           | python3 -c "import json,sys;r=json.load(sys.stdin);print(json.dumps([r['median_ms'],r['fma_roofline'],(r.get('core_round_trip_ns') or [None])[0]]))")
  python3 -c "import json,sys;a=json.loads(sys.argv[1]);a[sys.argv[2]]=json.loads(sys.argv[3]);print(json.dumps(a))" \
    "$1" "$2" "$result"
}
for spec in "${model_specs[@]}"; do
  IFS== read -r name path shape <<<"$spec"
  build/tools/convopt optimize "$path" -o "$work/$name.optimized.onnx" --no-verify \
    --input-shape "$(input_name "$path")=$shape" >/dev/null
done

if [ "${TUNE:-0}" = 1 ]; then
  for spec in "${model_specs[@]}"; do
    IFS== read -r name path shape <<<"$spec"
    for model in "$path" "$work/$name.optimized.onnx"; do
      for threads in 1 2; do
        echo "tuning $name ($(basename "$model")), $threads thread(s)" >&2
        build/tools/convopt bench "$model" --threads "$threads" --fixed-threads --runs 1 --tune --tune-seconds 10 \
          --input-shape "$(input_name "$path")=$shape" >/dev/null 2>"$work/tune.log" \
          || { cat "$work/tune.log" >&2; exit 1; }
      done
    done
  done
fi

# add_ort JSON NAME THREADS SPEC: JSON with NAME set to onnxruntime's median ms on the model of SPEC.
add_ort() {
  local result
  result=$(node scripts/bench/ort_bench.js "$3" "$runs" model "$4" \
           | python3 -c "import json,sys;print(json.dumps(json.load(sys.stdin)[sys.argv[1]]))" "$2")
  python3 -c "import json,sys;a=json.loads(sys.argv[1]);a[sys.argv[2]]=json.loads(sys.argv[3]);print(json.dumps(a))" \
    "$1" "$2" "$result"
}
for round in $(seq "$rounds"); do
for threads in 1 2; do
  echo "round $round/$rounds, $threads thread(s)" >&2
  ort_layers=$(node scripts/bench/ort_bench.js "$threads" "$runs" kernel "${layer_specs[@]}")
  ours_layers="{}"
  for family in dense grouped depthwise pointwise; do
    json=$(CONVOPT_BENCH_THREADS=$threads build/bench/${family}_bench --benchmark_format=json \
             --benchmark_min_time=0.5 2>/dev/null)
    ours_layers=$(python3 -c "import json,sys;a=json.loads(sys.argv[1]);b=json.loads(sys.argv[2]);
a.update({x['name'].split('/')[0]:x['real_time'] for x in b['benchmarks']});print(json.dumps(a))" "$ours_layers" "$json")
  done
  ort_models="{}"
  ours_models="{}"
  ours_optimized="{}"
  for spec in "${model_specs[@]}"; do
    IFS== read -r name path shape <<<"$spec"
    # Each model's three timings back to back; onnxruntime first in odd rounds, last in even ones.
    if [ $((round % 2)) = 1 ]; then ort_models=$(add_ort "$ort_models" "$name" "$threads" "$spec"); fi
    ours_models=$(add_median "$ours_models" "$name" "$path" "$threads" "$shape")
    ours_optimized=$(add_median "$ours_optimized" "$name" "$work/$name.optimized.onnx" "$threads" "$shape")
    if [ $((round % 2)) = 0 ]; then ort_models=$(add_ort "$ort_models" "$name" "$threads" "$spec"); fi
  done
  python3 -c "import json,sys;print(json.dumps(dict(zip(['threads','ort_layers','ours_layers','ort_models','ours_models','ours_optimized'],[int(sys.argv[1])]+[json.loads(a) for a in sys.argv[2:]]))))" \
    "$threads" "$ort_layers" "$ours_layers" "$ort_models" "$ours_models" "$ours_optimized" >>"$work/rounds.jsonl"
done
done

python3 - "$work/rounds.jsonl" <<'PY'
import json, statistics, sys
rounds = [json.loads(line) for line in open(sys.argv[1])]
def ms(entry):  # layers: ms; models: [ms, fraction of the FMA roofline, cores' round trip ns]
    return entry[0] if isinstance(entry, list) else entry
def summary(threads, ort_key, ours_key, name):
    pairs = [(r[ort_key][name], ms(r[ours_key][name])) for r in rounds
             if r["threads"] == threads and name in r[ort_key] and name in r[ours_key]]
    ratios = [o / c for o, c in pairs]
    return (statistics.median(o for o, _ in pairs), statistics.median(c for _, c in pairs),
            statistics.median(ratios), min(ratios), max(ratios))
def roofline(threads, name):
    # The model's FLOPs over the peak of the thread count in each peer's time, median over the rounds.
    entries = [(r["ort_models"][name], r["ours_models"][name]) for r in rounds
               if r["threads"] == threads and name in r["ort_models"] and name in r["ours_models"]]
    return (statistics.median(100 * c[1] * c[0] / o for o, c in entries),
            statistics.median(100 * c[1] for _, c in entries))
def round_trips(threads, name):  # before convopt's runs of the model as given, over the rounds
    trips = [r["ours_models"][name][2] for r in rounds if r["threads"] == threads and name in r["ours_models"]]
    trips = [t for t in trips if t is not None]
    return f" {statistics.median(trips):.0f} ({min(trips):.0f}–{max(trips):.0f}) |" if trips else ""
def cells(s):
    return f"{s[0]:.3f} | {s[1]:.3f} | {s[2]:.2f} | {s[3]:.2f}–{s[4]:.2f}"
for threads in (1, 2):
    first = next(r for r in rounds if r["threads"] == threads)
    print(f"\n| layer (kernel time), {threads} thread(s) | onnxruntime ms | convopt ms | ratio | range |"
          "\n|---|---:|---:|---:|---:|")
    for name in first["ort_layers"]:
        if name in first["ours_layers"]:
            print(f"| {name} | {cells(summary(threads, 'ort_layers', 'ours_layers', name))} |")
    print(f"\n| model (whole inference), {threads} thread(s) | onnxruntime ms | convopt ms | ratio | range "
          "| % of FMA roofline: onnxruntime | convopt | convopt after optimize ms | ratio | range |"
          + (" cores' round trip ns |" if threads > 1 else "")
          + "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if threads > 1 else ""))
    for name in first["ort_models"]:
        if name in first["ours_models"] and name in first["ours_optimized"]:
            given = summary(threads, "ort_models", "ours_models", name)
            optimized = summary(threads, "ort_models", "ours_optimized", name)
            ort_roofline, ours_roofline = roofline(threads, name)
            print(f"| {name} | {cells(given)} | {ort_roofline:.0f}% | {ours_roofline:.0f}% | {optimized[1]:.3f} | "
                  f"{optimized[2]:.2f} | {optimized[3]:.2f}–{optimized[4]:.2f} |{round_trips(threads, name)}")
print(f"\n{len(rounds) // 2} round(s); ratio = onnxruntime ms / convopt ms, median over the rounds (range: min–max)."
      " Cores' round trip: a cache line between two threads and back before convopt's runs (median, range;"
      " runtime/core_round_trip.h).")
PY
