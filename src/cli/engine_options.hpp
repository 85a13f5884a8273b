#pragma once

#include <optional>
#include <string>

#include "cli.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof::cli {

/// Options that shape one engine run on a device, shared by estimate and sweep.
struct EngineCliOptions {
  std::optional<double> bandwidth_gb_per_s;  ///< --bandwidth, GB/s
  std::optional<double> tflops;              ///< --tflops, TFLOP/s
  std::optional<double> memory_gib;          ///< --memory, GiB
  std::string kv_quant = "f16";
  std::optional<std::string> compute_precision;
  std::string backend;
  bool ideal = false;
  double expert_skew = 0;
};

/// Adds --bandwidth, --tflops, --memory, --kv-quant, --compute-precision, --backend, --ideal
/// and --expert-skew to `sub`.
void add_engine_options(CLI::App& sub, EngineCliOptions& o);

/// Copies the options into `options`, converting datasheet units to base units.
void apply_engine_options(const EngineCliOptions& o, EstimateOptions& options);

}  // namespace llmroof::cli
