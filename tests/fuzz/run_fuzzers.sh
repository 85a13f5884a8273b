#!/bin/sh
# Builds the libFuzzer targets with clang in their own build directory and runs each for a
# bounded time. Exits non-zero when a target crashes or a sanitizer reports a bug.
#
# Usage: tests/fuzz/run_fuzzers.sh [SECONDS_PER_TARGET]   (default 60)
# Environment: LLMROOF_FUZZ_BUILD_DIR (default build-fuzz in the source tree),
#              CXX (default clang++), LLMROOF_FUZZ_JOBS (build parallelism, default 2).
set -eu

seconds=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${LLMROOF_FUZZ_BUILD_DIR:-$src/build-fuzz}
cxx=${CXX:-clang++}
jobs=${LLMROOF_FUZZ_JOBS:-2}

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "run_fuzzers.sh: $cxx not found; the fuzzers need clang" >&2
  exit 2
fi

cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLLMROOF_BUILD_FUZZERS=ON -DBUILD_TESTING=ON -DLLMROOF_BUILD_BENCHMARKS=OFF >/dev/null
# One target at a time: parallel Makefile builds of two targets would compile the core twice.
cmake --build "$build" --target fuzz_gguf -j "$jobs"
cmake --build "$build" --target fuzz_hf_config -j "$jobs"

status=0
for target in gguf hf_config; do
  work="$build/fuzz-work/$target"
  artifacts="$build/fuzz-artifacts/$target"
  mkdir -p "$work" "$artifacts"
  echo "== fuzz_$target for ${seconds}s (new inputs: $work, crashes: $artifacts)"
  # The first corpus directory receives new inputs; the checked-in seeds stay untouched.
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$work" "$src/tests/fuzz/corpus/$target"; then
    echo "run_fuzzers.sh: fuzz_$target found a bug; reproduce with:" >&2
    echo "  $build/tests/fuzz/fuzz_$target $artifacts/<crash-file>" >&2
    status=1
  fi
done
exit $status
