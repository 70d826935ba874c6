#!/usr/bin/env bash
# A refactor's check that generated code did not change: the kernels' assembly
# (`convopt compile --emit-asm`) of every shared model from two convopt
# binaries, compared line by line. Prints one line per model; exits 1 if any differs.
# Both generate without measured kernel choices (--no-measured-choices where a
# binary knows it; older ones took none for --emit-asm) and see an empty tuning cache.
# Usage: scripts/dev/compare_asm.sh OLD_CONVOPT NEW_CONVOPT [MODEL_DIR...]   (CPU=host by default)
set -euo pipefail
old=$1 new=$2; shift 2
models=("$@")
[ ${#models[@]} -gt 0 ] || models=("$(dirname "$0")"/../../../shared/models/*/)
cpu=${CPU:-host}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export CONVOPT_CACHE_DIR=$work/cache
estimates() { "$1" compile --help | grep -q -- --no-measured-choices && echo --no-measured-choices || true; }
status=0
for dir in "${models[@]}"; do
  dir=${dir%/}; name=$(basename "$dir")
  # The input's dims from the shared models' manifest (some models have dynamic dims).
  shape=$(python3 -c "import json;m=[x for x in json.load(open('$(dirname "$dir")/manifest.json')) if x['name']=='$name'];print('x'.join(map(str,m[0]['input'])) if m else '')")
  input=$("$new" inspect --json "$dir/model.onnx" | python3 -c "import json,sys;print(json.load(sys.stdin)['inputs'][0]['name'])")
  for side in old new; do
    "${!side}" compile "$dir/model.onnx" --emit-asm "$work/$name.$side.s" --cpu "$cpu" --input-shape "$input=$shape" \
      $(estimates "${!side}") >/dev/null
  done
  if cmp -s "$work/$name.old.s" "$work/$name.new.s"; then
    echo "$name: same assembly ($(wc -l <"$work/$name.new.s") lines)"
  else
    echo "$name: DIFFERS ($(diff "$work/$name.old.s" "$work/$name.new.s" | grep -c '^[<>]') lines)"; status=1
  fi
done
exit $status
