// Core speed: estimates per second over the whole device database (Google Benchmark).
// Run: build/tests/llmroof_bench  (see README, "Speed").

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "builtin_tables.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/util/errors.hpp"

namespace {

struct Fixture {
  llmroof::DeviceDb devices;
  llmroof::ModelCatalog models;
  llmroof::EfficiencyTable efficiency;
  Fixture() {
    const std::filesystem::path data = LLMROOF_SOURCE_DATA_DIR;
    devices = llmroof::parse_devices(llmroof::read_text_file(data / "devices.json"), "devices");
    models = llmroof::parse_models(llmroof::read_text_file(data / "models.json"), "models");
    efficiency =
        llmroof::parse_efficiency(llmroof::read_text_file(data / "efficiency.json"), "efficiency");
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

llmroof::ModelInput model_input(const std::string& id, const std::string& quant) {
  const auto& f = fixture();
  llmroof::ModelInput input;
  input.spec = *llmroof::find_model(f.models, id);
  const auto q = *llmroof::find_quant(quant);
  input.weights = llmroof::model_weights(input.spec, q);
  input.quant_id = q.id;
  input.compute = q.compute;
  return input;
}

// One estimate (decode, prefill, critical batch, memory fit, realistic range) per iteration.
void BM_Estimate(benchmark::State& state) {
  const auto& f = fixture();
  const auto input = model_input("llama-3.1-70b", "q4_k_m");
  llmroof::EstimateOptions options;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& device = f.devices.devices[i++ % f.devices.devices.size()];
    benchmark::DoNotOptimize(llmroof::estimate(device, input, options, f.efficiency));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Estimate);

// A mixture of experts at batch 32 and 8k context: the expert-coverage path.
void BM_EstimateMoeBatch(benchmark::State& state) {
  const auto& f = fixture();
  const auto input = model_input("deepseek-v3", "q4_k_m");
  llmroof::EstimateOptions options;
  options.batch = 32;
  options.context_tokens = 8192;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& device = f.devices.devices[i++ % f.devices.devices.size()];
    benchmark::DoNotOptimize(llmroof::estimate(device, input, options, f.efficiency));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EstimateMoeBatch);

// Sizing a model under a preset: tensor list, llama-quantize rules, sums (once per run).
void BM_ModelWeightsPreset(benchmark::State& state) {
  const auto& f = fixture();
  const auto& spec = *llmroof::find_model(f.models, "llama-3.1-70b");
  const auto q = *llmroof::find_quant("q4_k_m");
  for (auto _ : state) {
    benchmark::DoNotOptimize(llmroof::model_weights(spec, q));
  }
}
BENCHMARK(BM_ModelWeightsPreset);

// Loading and validating devices.json (a run with --data-dir does this once).
void BM_LoadDevices(benchmark::State& state) {
  const std::string text =
      llmroof::read_text_file(std::filesystem::path(LLMROOF_SOURCE_DATA_DIR) / "devices.json");
  for (auto _ : state) {
    benchmark::DoNotOptimize(llmroof::parse_devices(text, "devices.json"));
  }
}
BENCHMARK(BM_LoadDevices);

// A flat --device-file of 100,000 devices whose last entry is bad: parsing, then locating the
// line of the one field the error names (the locator follows only that pointer's branch; it
// used to map every one of its 1.2 million values). Memory: /usr/bin/time -f %M on
// `llmroof estimate ... --device-file` with such a file (see the commit that added this).
void BM_DeviceFileErrorLine(benchmark::State& state) {
  std::string text = "{\"schema_version\": 1, \"strict\": false, \"devices\": [\n";
  const auto devices = static_cast<int>(state.range(0));
  for (int i = 0; i < devices; ++i) {
    text += fmt::format(
        "{{\"id\": \"dev-{}\", \"vendor\": \"X\", \"name\": \"D{}\", \"kind\": \"cpu\", "
        "\"cpu_isa\": \"x86-avx2\", \"cpu_cores\": 8, \"memory_sizes_gib\": [64],\n"
        "\"memory_bandwidth_gb_per_s\": {}, \"fp32_tflops\": 1.5}}{}\n",
        i, i, i + 1 < devices ? 80 : -1, i + 1 < devices ? "," : "");
  }
  text += "]}\n";
  for (auto _ : state) {
    try {
      benchmark::DoNotOptimize(llmroof::parse_devices(text, "devices.json"));
    } catch (const llmroof::DataError& e) {
      benchmark::DoNotOptimize(e.messages().size());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_DeviceFileErrorLine)->Arg(100000)->Unit(benchmark::kMillisecond);

// Building the same device table from the data compiled in (what every CLI run does instead).
void BM_BuiltinDevices(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(llmroof::builtin_tables().devices());
  }
}
BENCHMARK(BM_BuiltinDevices);

}  // namespace

BENCHMARK_MAIN();
