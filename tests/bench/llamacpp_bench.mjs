// llama-bench's pp/tg protocol through node-llama-cpp's bindings of llama.cpp (CPU only):
// pp = one prompt of N_PROMPT tokens evaluated as one batch, tg = N_GEN single-token decode
// steps; each repetition starts from an empty KV cache (llama-bench clears it per repetition),
// one warm-up run first, median and mean of the repetitions in tokens per second.
// Usage: node llamacpp_bench.mjs MODEL.gguf THREADS [REPS] [N_PROMPT] [N_GEN]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, threadsArg, repsArg = "5", promptArg = "512", genArg = "128"] =
    process.argv.slice(2);
if (!modelPath || !threadsArg) {
  console.error("usage: node llamacpp_bench.mjs MODEL.gguf THREADS [REPS] [N_PROMPT] [N_GEN]");
  process.exit(2);
}
const threads = Number(threadsArg), reps = Number(repsArg);
const nPrompt = Number(promptArg), nGen = Number(genArg);

// build "never": use the prebuilt @node-llama-cpp/linux-x64 binaries, never compile llama.cpp.
const llama = await getLlama({gpu: false, build: "never", maxThreads: threads,
                              logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const context = await model.createContext({
  contextSize: nPrompt + nGen + 16, batchSize: nPrompt, sequences: 1,
  threads: {ideal: threads, min: threads}, flashAttention: false,
});
const sequence = context.getSequence();
const vocab = model.tokenizer.length ?? 32000;
// Random token ids, as llama-bench uses (it draws them from the vocabulary).
const token = () => 1 + Math.floor(Math.random() * (vocab - 1));

async function pp() {
  await sequence.clearHistory();
  const tokens = Array.from({length: nPrompt}, token);
  const start = process.hrtime.bigint();
  await sequence.evaluateWithoutGeneratingNewTokens(tokens);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function tg() {
  await sequence.clearHistory();
  const start = process.hrtime.bigint();
  for (let i = 0; i < nGen; ++i) {
    await sequence.evaluateWithoutGeneratingNewTokens([token()]);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function summary(name, n, seconds) {
  const rates = seconds.map((s) => n / s).sort((a, b) => a - b);
  const mid = rates.length >> 1;
  const median = rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return {test: name, median_tok_per_s: median, mean_tok_per_s: mean,
          runs_tok_per_s: rates.map((r) => Math.round(r * 100) / 100)};
}

const results = [];
for (const [name, n, run] of [[`pp${nPrompt}`, nPrompt, pp], [`tg${nGen}`, nGen, tg]]) {
  await run();  // warm-up, as llama-bench does
  const seconds = [];
  for (let r = 0; r < reps; ++r) seconds.push(await run());
  results.push(summary(name, n, seconds));
}
console.log(JSON.stringify({
  llama_cpp_release: llama.llamaCppRelease.release, build_type: llama.buildType,
  threads: context.currentThreads ?? threads, model: modelPath, reps, results,
  system_info: llama.systemInfo,
}, null, 2));
await context.dispose();
await model.dispose();
