#!/usr/bin/env bash
# Sources the generated bash completion ($1) and completes as a shell would on <TAB>.
set -euo pipefail
script=$1
# shellcheck source=/dev/null
source "$script"
complete_words() {  # complete_words WORD... : completes the last word
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _llmroof
  printf '%s\n' "${COMPREPLY[@]}"
}
fail() { echo "completion_check: $*" >&2; exit 1; }

[[ "$(complete_words llmroof est)" == "estimate" ]] || fail "'llmroof est' did not give estimate"
m4=$(complete_words llmroof estimate --device m4)
grep -qx m4-10c <<<"$m4" || fail "'--device m4' lacks m4-10c: $m4"
grep -qx m4-pro <<<"$m4" || fail "'--device m4' lacks the family m4-pro: $m4"
! grep -qv '^m4' <<<"$m4" || fail "'--device m4' offers a non-m4 device: $m4"
[[ "$(complete_words llmroof estimate -d rtx-4090,m4-max-4)" == "rtx-4090,m4-max-40c" ]] ||
  fail "comma lists do not complete their last item"
grep -qx json <<<"$(complete_words llmroof estimate --format j)" || fail "--format values"
grep -qx roofline <<<"$(complete_words llmroof chart r)" || fail "nested subcommands"
grep -qx -- --model <<<"$(complete_words llmroof chart roofline --mo)" || fail "nested options"
grep -qx q4_k_m <<<"$(complete_words llmroof estimate --quant q4_k)" || fail "quant ids"
[[ -z "$(complete_words llmroof estimate --context '')" ]] || fail "a number offered words"
echo "completion_check: ok"
