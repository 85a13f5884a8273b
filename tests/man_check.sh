#!/usr/bin/env bash
# Renders the generated man page ($1) with man -l; skipped (77) where man is not installed.
set -euo pipefail
page=$1
if ! command -v man >/dev/null 2>&1; then
  echo "man_check: man not installed, skipped"
  exit 77
fi
text=$(MANWIDTH=80 MAN_KEEP_FORMATTING=0 man -l "$page" 2>&1 | col -b 2>/dev/null || true)
for want in "LLMROOF(1)" "SYNOPSIS" "llmroof estimate" "--device" "llmroof completion" "EXIT STATUS"; do
  grep -qF -- "$want" <<<"$text" || { echo "man_check: page lacks '$want'" >&2; exit 1; }
done
if grep -q "warning" <<<"$text"; then
  echo "man_check: groff warnings:" >&2
  grep "warning" <<<"$text" >&2
  exit 1
fi
echo "man_check: ok"
