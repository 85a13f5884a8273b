#!/bin/sh
# llama.cpp (CPU) beside `llmroof estimate --device host`, measured in the same minute.
#
# llama-bench is not obtainable here, so llama.cpp runs through npm's node-llama-cpp, whose
# @node-llama-cpp/linux-x64 package ships prebuilt llama.cpp libraries (no build from source),
# and llamacpp_bench.mjs times llama-bench's protocol with them (pp512: one 512-token batch;
# tg128: 128 single-token decodes; warm-up, then REPS repetitions from an empty KV cache; median).
# No real weights can be fetched either: make_random_gguf.py writes TinyLlama-1.1B-shaped GGUFs
# with random weights (speed does not depend on the values). Right after llama.cpp, the probe
# measures the machine and llmroof estimates the same file at the same thread count.
#
# Usage: tests/bench/llamacpp_host_compare.sh LLMROOF_BINARY [THREADS] [REPS] [TYPES]
#   THREADS: default the physical core count (llama-bench's default); REPS default 5;
#   TYPES default "q4_0 f16". Work directory: $LLMROOF_BENCH_DIR (default /tmp/llmroof-bench),
#   which gets node_modules and the GGUFs (about 3 GB); nothing is written to the repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
llmroof=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
threads=${2:-$(lscpu -p=CORE,SOCKET | grep -v '^#' | sort -u | wc -l)}
reps=${3:-5}
types=${4:-"q4_0 f16"}
work=${LLMROOF_BENCH_DIR:-/tmp/llmroof-bench}
vocab=${LLMROOF_VOCAB_GGUF:-$root/../shared/fixtures/gguf/ggml-vocab-llama-spm.gguf}
mkdir -p "$work"
cd "$work"

if [ ! -d node_modules/node-llama-cpp ]; then
  [ -f package.json ] || npm init -y >/dev/null
  # 3.21.1 is the release whose prebuilt binaries the registry serves for every platform of
  # its lock; NODE_LLAMA_CPP_SKIP_DOWNLOAD keeps the postinstall from fetching or building.
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund -E node-llama-cpp@3.21.1 >&2
fi
cp "$here/llamacpp_bench.mjs" .

for type in $types; do
  model=$work/random-tinyllama-1.1b-$type.gguf
  [ -f "$model" ] || /usr/bin/python3 "$here/make_random_gguf.py" "$vocab" "$model" "$type" >&2
done

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) logical CPUs, threads $threads"
echo "kernel: $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for type in $types; do
  model=$work/random-tinyllama-1.1b-$type.gguf
  echo "== $type: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  nice -n 0 node llamacpp_bench.mjs "$model" "$threads" "$reps" 512 128 > "llama-$type.json"
  "$llmroof" probe --output "host-$type.json" > "probe-$type.txt"
  "$llmroof" estimate -d host --device-file "host-$type.json" -m "$model" --threads "$threads" \
    -p 512 -f json > "estimate-$type.json"
  echo "   done: $(date -u '+%H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/python3 - "llama-$type.json" "estimate-$type.json" "host-$type.json" <<'PY'
import json, sys
llama = json.load(open(sys.argv[1]))
est = json.load(open(sys.argv[2]))["results"][0]
host = json.load(open(sys.argv[3]))["devices"][0]
r = {x["test"]: x for x in llama["results"]}
print(f"   llama.cpp {llama['llama_cpp_release']} ({llama['build_type']}), "
      f"{llama['threads']} threads, {llama['reps']} reps")
print(f"   probe: read {host['memory_bandwidth_gb_per_s']} GB/s, "
      f"fp32 {host['fp32_tflops'] * 1000:.0f} GFLOP/s, int8 {host.get('int8_tops', 0) * 1000:.0f} GOP/s")
for test, key, low, high in (("pp512", "prefill_tokens_per_s", "prefill_tokens_per_s_low",
                              "prefill_tokens_per_s_high"),
                             ("tg128", "tokens_per_s", "tokens_per_s_low", "tokens_per_s_high")):
    m = r[test]["median_tok_per_s"]
    e = est[key]
    print(f"   {test}: llama.cpp {m:7.2f} tok/s (runs {r[test]['runs_tok_per_s']})  "
          f"llmroof {e:7.2f} [{est[low]:.2f}, {est[high]:.2f}]  error {100 * (e - m) / m:+.0f}%")
PY
done
