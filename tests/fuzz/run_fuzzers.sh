#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan, in their own build directory) and runs
# each for a bounded time, seeded from the checked-in regression corpus (tests/fuzz/corpus),
# the test data (tests/data, data/) and the shared fixtures (../shared, when present; read in
# place through links in the build directory). Exits non-zero when a target crashes or a
# sanitizer reports a bug; the input that did it is in $build/fuzz-artifacts/<target>/.
#
# Usage: tests/fuzz/run_fuzzers.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60, all targets)
# Environment: LLMROOF_FUZZ_BUILD_DIR (default build-fuzz in the source tree; CI passes its
#              sanitizer build, which is configured the same way), CXX (default clang++),
#              LLMROOF_FUZZ_JOBS (build parallelism, default 2), LLMROOF_SHARED_DIR
#              (default ../shared next to the source tree).
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-gguf hf_config calibration_csv llama_bench devices json_locator}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${LLMROOF_FUZZ_BUILD_DIR:-$src/build-fuzz}
cxx=${CXX:-clang++}
jobs=${LLMROOF_FUZZ_JOBS:-2}
shared=${LLMROOF_SHARED_DIR:-$src/../shared}

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "run_fuzzers.sh: $cxx not found; the fuzzers need clang" >&2
  exit 2
fi

# -O1: the sanitizers' usual level (faster to build than -O2, still quick to run).
cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DLLMROOF_ENABLE_SANITIZERS=ON \
  -DLLMROOF_BUILD_FUZZERS=ON -DBUILD_TESTING=ON -DLLMROOF_BUILD_BENCHMARKS=OFF >/dev/null
build_targets=
for target in $targets; do
  build_targets="$build_targets --target fuzz_$target"
done
# shellcheck disable=SC2086
cmake --build "$build" $build_targets -j "$jobs"

# seeds TARGET: a directory of links to the seed files of TARGET.
seeds() {
  dir="$build/fuzz-seeds/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  case $1 in
    gguf) set -- "$shared"/fixtures/gguf/*.gguf ;;
    hf_config) set -- "$shared"/fixtures/hf-configs/*.json ;;
    calibration_csv) set -- "$shared"/calibration/*.csv "$src"/tests/data/*/calibration-*.csv ;;
    llama_bench) set -- "$src"/tests/data/*/llama-bench-* ;;
    devices) set -- "$src"/data/devices.json "$src"/tests/data/*/*devices*.json ;;
    json_locator) set -- "$src"/data/*.json "$src"/tests/data/*/*.json "$shared"/fixtures/hf-configs/*.json ;;
  esac
  for file in "$@"; do
    if [ -f "$file" ]; then
      ln -s "$file" "$dir/$(echo "$file" | tr / _)"
    fi
  done
  echo "$dir"
}

status=0
for target in $targets; do
  work="$build/fuzz-work/$target"
  artifacts="$build/fuzz-artifacts/$target"
  corpus="$src/tests/fuzz/corpus/$target"
  mkdir -p "$work" "$artifacts"
  seed_dir=$(seeds "$target")
  echo "== fuzz_$target for ${seconds}s (new inputs: $work, crashes: $artifacts)"
  # The first corpus directory receives new inputs; the checked-in and shared seeds stay
  # untouched. The regression corpus is run first, as every run starts from all of them.
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$work" "$corpus" "$seed_dir"; then
    echo "run_fuzzers.sh: fuzz_$target found a bug; reproduce with:" >&2
    echo "  $build/tests/fuzz/fuzz_$target $artifacts/<crash-file>" >&2
    echo "then fix it and add the file to $corpus" >&2
    status=1
  fi
done
exit $status
