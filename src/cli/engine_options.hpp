#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof::cli {

/// Options that shape one engine run on a device, shared by estimate and sweep.
struct EngineCliOptions {
  std::optional<double> bandwidth_gb_per_s;           ///< --bandwidth, GB/s (a vendor peak)
  std::optional<double> measured_bandwidth_gb_per_s;  ///< --measured-bandwidth, GB/s (sustained)
  std::optional<int> threads;                         ///< --threads (CPU runs), >= 1
  std::optional<double> tflops;                       ///< --tflops, TFLOP/s
  std::optional<double> memory_gib;                   ///< --memory, GiB installed
  std::optional<double> usable_memory_gib;            ///< --usable-memory, GiB
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

/// For --device host: when `devices` (ids, comma lists allowed) name "host" and no --device-file
/// is given, adds the cached probe ($XDG_CACHE_HOME/llmroof/host.json, written by a quick probe
/// when absent) to `common.device_files`. Returns the note saying which, or "" when not asked.
std::string use_host_device(const std::vector<std::string>& devices, CommonOptions& common);

}  // namespace llmroof::cli
