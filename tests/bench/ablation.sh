#!/usr/bin/env bash
set -euo pipefail
# Ablation: leave-one-generation-out accuracy with each term of the engine model switched off.
# Usage: tests/bench/ablation.sh [LLMROOF_BINARY] [CALIBRATION_CSV]; prints a Markdown table.
B=${1:-${LLMROOF:-llmroof}}
CSV=${2:-../shared/calibration/llamacpp-and-peers-measured.csv}
# A file of this run's own: two runs at once (ctest's README check beside a shell) shared one.
OUT=$(mktemp "${TMPDIR:-/tmp}/llmroof-ablation.XXXXXX.json")
trap 'rm -f "$OUT"' EXIT
row() {
  name=$1; shift
  "$B" validate --cross-validate "$CSV" --hold-out generation "$@" --format json > "$OUT"
  python3 - "$name" "$OUT" <<'PY'
import json,sys
d=json.load(open(sys.argv[2]))
a={x['test']:x for x in d['summary']['accuracy'] if x['class']=='all'}
f=lambda t:f"{a[t]['median_abs_error']*100:.1f}% / {a[t]['p90_abs_error']*100:.1f}%"
print(f"| {sys.argv[1]} | {f('tg128')} | {f('pp512')} | {f('prefill')} | {a['pp512']['coverage']*100:.0f}% |")
PY
}
echo "| model (leave-one-generation-out) | tg128 median / p90 | pp512 median / p90 | every prompt test median / p90 | pp512 inside band |"
echo "|---|---:|---:|---:|---:|"
row "every term"
row "without the NVIDIA/AMD kernel path" --ablate kernel-path
row "without the CUDA-core term in series" --ablate prefill-core
row "without the power limit" --ablate power-limit
row "without the dp4a decode rate" --ablate dot-product
row "without the MoE layer cost" --ablate moe-layer
row "without the weight families split by work per weight" --ablate format-split
row "without the engine era (b3216) for older CUDA rows" --ablate engine-era
row "without each class's own matmul_half_rows" --ablate class-rows
row "without the narrow-SIMD bandwidth share (Intel Xe)" --ablate narrow-simd
row "without CPU decode of one-kernel formats started from prefill (IQ2, IQ3)" --ablate cpu-one-kernel
row "none of them (the previous model)" --ablate kernel-path --ablate prefill-core --ablate power-limit --ablate dot-product --ablate moe-layer --ablate format-split --ablate engine-era --ablate class-rows --ablate narrow-simd --ablate cpu-one-kernel
