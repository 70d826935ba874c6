#!/usr/bin/env bash
# Runs the "# RUN:" lines of one FileCheck test (lit's convention, without lit):
# %s is the test file, %convopt and %FileCheck the tools. Fails on the first
# failing line, printing it.
# Usage: run_filecheck.sh FILE CONVOPT FILECHECK
set -uo pipefail
file=$1 convopt=$2 filecheck=$3
status=0
while IFS= read -r line; do
  command=${line#*RUN: }
  command=${command//%convopt/\'$convopt\'}
  command=${command//%FileCheck/\'$filecheck\'}
  command=${command//%s/\'$file\'}
  if ! bash -o pipefail -c "$command"; then
    echo "FAILED: $line"
    status=1
  fi
done < <(grep '^# RUN: ' "$file")
exit $status
