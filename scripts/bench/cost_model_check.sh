#!/usr/bin/env bash
# The cost model against measurement, on both runtimes: for every candidate
# rewrite of the shared models and of the planted-structure sweep
# (bench/support/candidate_sweep.h; the default pipeline with --force), the region
# it changes is timed before and after on the runtime (bench/cost_model_check)
# and compared with what that runtime's cost model predicted. Prints a summary
# per model and rewrite kind, then the totals docs/PASSES.md quotes:
#   applied:  predicted gain >= MIN_GAIN (what optimize would do)
#   measured: gain = 1 - after/before of the region's median time; within
#             +-NOISE it is neither faster nor slower
#   wrong:    applied but measured slower than -NOISE (a rewrite that hurts)
#   missed:   not applied but measured faster by MIN_GAIN or more
#   agree:    neither
# Then every model with a rewrite (the shared ones and two of tests/models/generated),
# as given and as `optimize --for RUNTIME` writes it, timed whole on that runtime.
# Usage: [MIN_GAIN=0.05] [NOISE=0.03] [RUNS=40] [THREADS=1] [TABLES="convopt=F onnxruntime=G"]
#        scripts/bench/cost_model_check.sh [RUNTIME...]   (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
models=${CONVOPT_SHARED_MODELS:-../shared/models}
runtimes=("$@"); [ ${#runtimes[@]} -gt 0 ] || runtimes=(convopt onnxruntime)
export NODE_PATH=$PWD/third_party_npm/node_modules
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for runtime in "${runtimes[@]}"; do
  table=$(for t in ${TABLES:-}; do [ "${t%%=*}" = "$runtime" ] && echo "--cost-table=${t#*=}"; done)
  build/bench/cost_model_check --for "$runtime" $table --threads "${THREADS:-1}" --runs "${RUNS:-40}" --sweep "$models" \
    | sed "s/^{/{\"runtime\":\"$runtime\",/" >>"$work/candidates.jsonl"
  build/bench/cost_model_check --for "$runtime" $table --threads "${THREADS:-1}" --runs "${RUNS:-40}" --whole "$models" \
    --model tests/models/generated/permuted_groups_cnn/model.onnx=image=1x3x56x56 \
    --model tests/models/generated/dynamic_batch_cnn/model.onnx=image=1x3x32x32 \
    | sed "s/^{/{\"runtime\":\"$runtime\",/" >>"$work/whole.jsonl"
done
MIN_GAIN=${MIN_GAIN:-0.05} NOISE=${NOISE:-0.03} /usr/bin/python3 - "$work/candidates.jsonl" "$work/whole.jsonl" <<'PY'
import collections, json, os, statistics, sys
min_gain, noise = float(os.environ["MIN_GAIN"]), float(os.environ["NOISE"])
rows = [json.loads(line) for line in open(sys.argv[1])]
def verdict(r):
    predicted = 1 - r["predicted_after_us"] / r["predicted_before_us"]
    measured = 1 - r["measured_after_us"] / r["measured_before_us"]
    applied = predicted >= min_gain
    if applied and measured < -noise: return predicted, measured, "wrong"
    if not applied and measured >= max(min_gain, noise): return predicted, measured, "missed"
    return predicted, measured, "agree"
import re
groups = collections.defaultdict(list)
for r in rows:
    kind = re.sub(r"^\d+x ", "n x ", r["from"] + " -> " + r["to"])
    groups[(r["runtime"], kind, "sweep" if r["model"].startswith("sweep/") else "shared models")].append(verdict(r))
print(f"min gain {min_gain:.0%}, noise band +-{noise:.0%}\n")
print("| runtime | rewrite | from | candidates | applied | agree | wrong | missed | predicted gain (median) | measured gain (median) |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
for (runtime, kind, source), v in sorted(groups.items()):
    print(f"| {runtime} | {kind} | {source} | {len(v)} | {sum(p >= min_gain for p, _, _ in v)} | "
          f"{sum(x == 'agree' for *_, x in v)} | {sum(x == 'wrong' for *_, x in v)} | {sum(x == 'missed' for *_, x in v)} | "
          f"{statistics.median(p for p, _, _ in v):+.0%} | {statistics.median(m for _, m, _ in v):+.0%} |")
print("\ndisagreements:")
for r in rows:
    predicted, measured, what = verdict(r)
    if what != "agree":
        print(f"- {r['runtime']}: {r['model']} {r['node']} ({r['from']} -> {r['to']}): {what}, "
              f"predicted {predicted:+.0%}, measured {measured:+.0%}")
print()
for runtime in sorted({r["runtime"] for r in rows}):
    v = [verdict(r) for r in rows if r["runtime"] == runtime]
    agree = sum(x == "agree" for *_, x in v)
    print(f"{runtime}: {len(v)} candidates, decision agrees with measurement for {agree} ({agree / len(v):.0%}); "
          f"{sum(x == 'wrong' for *_, x in v)} applied but slower, {sum(x == 'missed' for *_, x in v)} missed")
print("\n| runtime | model | rewrites | as given ms | optimized for it ms | speed-up |")
print("|---|---|---:|---:|---:|---:|")
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r["rewrites"]:
        print(f"| {r['runtime']} | {r['model']} | {r['rewrites']} | {r['given_ms']:.3f} | {r['optimized_ms']:.3f} | "
              f"{r['given_ms'] / r['optimized_ms']:.2f}x |")
PY
