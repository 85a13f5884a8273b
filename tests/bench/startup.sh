#!/usr/bin/env bash
# Whole-process start-up benchmark (issue 13): paired ratios against `true` and peak RSS.
#
# Usage: tests/bench/startup.sh [LLMROOF_BINARY] [RUNS]
#   LLMROOF_BINARY  default build/llmroof;  RUNS  default 40 (per command and round).
#   ROUNDS=3        rounds per case; the median ratio of the rounds is reported.
#   OUTPUT=null     send the commands' output to /dev/null instead of a pipe (the default; a
#                   pipe costs `true` itself more, so the two give different ratios).
#
# Each case is timed with `true` in the same hyperfine run (hyperfine -N, output to a pipe),
# and the ratio of the two medians is reported, so that the figure compares like with like
# on a shared, noisy machine. Without hyperfine a small loop in Python times alternating runs
# of `true` and the command. Peak RSS comes from /usr/bin/time -v (or getrusage in the loop).
# The inspect case runs on a 100 GB sparse GGUF with a 152,064-token vocabulary and its
# 151,387 merges, written by make_sparse_gguf.py into a temporary directory.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
B=$(realpath "${1:-build/llmroof}")
RUNS=${2:-40}
ROUNDS=${ROUNDS:-3}
OUT=${OUTPUT:-pipe}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 "$HERE/make_sparse_gguf.py" "$TMP/qwen2-72b-sparse.gguf"

names=("whole database, JSON" "canonical estimate" "--version" "devices" "sweep --batch 1..512x2"
       "inspect 100 GB GGUF, 152k vocab")
cmds=("$B estimate --model llama-3.1-70b --quant q4_k_m --device all --format json"
      "$B estimate --model 70b --quant int4 --device m4pro"
      "$B --version"
      "$B devices"
      "$B sweep -m llama-3.1-8b -q q4_k_m -d rtx-4090 --batch 1..512x2"
      "$B inspect $TMP/qwen2-72b-sparse.gguf")

for c in "${cmds[@]}"; do
  $c > /dev/null || { echo "startup.sh: '$c' failed" >&2; exit 1; }
done

peak_rss_kb() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'
  else
    python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
  fi
}

echo "llmroof start-up: $B, $ROUNDS rounds of $RUNS runs per command, output to ${OUT}, $(nproc) cores"
echo
echo "| case | median | \`true\` median | ratio | peak RSS |"
echo "|---|---:|---:|---:|---:|"
for i in "${!cmds[@]}"; do
  # ROUNDS pairs of medians; the round with the median ratio is reported, so that one burst of
  # load from other processes does not decide the figure.
  : > "$TMP/rounds"
  for _ in $(seq "$ROUNDS"); do
    if command -v hyperfine > /dev/null; then
      hyperfine -N --output="$OUT" --warmup 5 --runs "$RUNS" --export-json "$TMP/h.json" \
        true "${cmds[$i]}" > /dev/null 2>&1
      python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))["results"]
print(r[0]["median"], r[1]["median"])' "$TMP/h.json" >> "$TMP/rounds"
    else
      python3 - "$RUNS" "$OUT" ${cmds[$i]} >> "$TMP/rounds" <<'PY'
import statistics, subprocess, sys, time
runs, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
sink = subprocess.PIPE if out == "pipe" else subprocess.DEVNULL
def once(argv):
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=sink)
    if out == "pipe":
        p.stdout.read()
    p.wait()
    return time.perf_counter() - t
a, b = [], []
for _ in range(runs):
    a.append(once(["true"])); b.append(once(cmd))
print(statistics.median(a), statistics.median(b))
PY
    fi
  done
  read -r base med < <(python3 -c 'import sys
rows=sorted((float(b)/float(a),a,b) for a,b in (l.split() for l in open(sys.argv[1])))
r=rows[len(rows)//2]; print(r[1], r[2])' "$TMP/rounds")
  rss=$(peak_rss_kb ${cmds[$i]})
  python3 -c 'import sys
n,b,m,r=sys.argv[1],float(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4])
print(f"| {n} | {m*1e3:.2f} ms | {b*1e3:.2f} ms | {m/b:.1f}x | {r/1024:.1f} MB |")' \
    "${names[$i]}" "$base" "$med" "$rss"
done
