#!/usr/bin/env bash
# Regenerates the README's charts: runs every command of docs/charts.txt from the repository
# root, or from OUT_DIR when given (the charts then land in OUT_DIR/docs), with the shipped
# data. The llmroof run is $LLMROOF, else the first on PATH.
# Usage: docs/make_charts.sh [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root}"
llmroof="${LLMROOF:-llmroof}"
export LLMROOF_DATA_DIR="$root/data"
mkdir -p "$out/docs"
cd "$out"
while IFS= read -r line; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  read -ra words <<<"$line"
  if [[ "${words[0]}" != llmroof ]]; then
    echo "make_charts: not an llmroof command: $line" >&2
    exit 1
  fi
  "$llmroof" "${words[@]:1}"
done <"$root/docs/charts.txt"
