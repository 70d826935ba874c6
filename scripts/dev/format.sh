#!/usr/bin/env bash
# Applies the project's style (.clang-format) to every tracked C/C++ file, or
# with --check lists the files that differ from it (exit 1 if any).
# Usage: scripts/dev/format.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp')
if [ "${1:-}" = "--check" ]; then
  status=0
  for f in "${files[@]}"; do
    clang-format "$f" | cmp -s - "$f" || { echo "$f"; status=1; }
  done
  exit $status
fi
clang-format -i "${files[@]}"
