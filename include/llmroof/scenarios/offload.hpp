#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/scenarios/cluster.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// A model split between one GPU and the host's CPU and memory (llama.cpp -ngl / --cpu-moe).
struct OffloadSpec {
  const Device* gpu = nullptr;   ///< kind gpu
  const Device* host = nullptr;  ///< kind cpu
  /// Layers on the GPU (values above the model's layer count mean all of them); nullopt = as
  /// many as fit in the GPU's usable memory. Ignored with cpu_moe.
  std::optional<int> gpu_layers;
  /// Routed experts of every MoE layer on the host, everything else (and the KV cache) on the
  /// GPU, as llama.cpp's --cpu-moe does. Needs a mixture-of-experts model.
  bool cpu_moe = false;
  /// Bus between host memory and the GPU (PCIe). Given one, a prompt of at least
  /// k_offload_min_batch tokens may multiply the host's weights on the GPU after copying them
  /// over the bus (llama.cpp's default for such batches); the faster of that and the host's
  /// own compute is taken. Without one the host computes its part of the prompt.
  const Link* bus = nullptr;
};

/// Prompt length from which llama.cpp runs host-held weights on the GPU (its op offload).
inline constexpr double k_offload_min_batch = 32;

/// Largest N in [0, layers] such that N / layers of `weights_bytes` and of `kv_cache_bytes`,
/// plus the runtime overhead, fit in `available_bytes`.
int layers_that_fit(int layers, double weights_bytes, double kv_cache_bytes,
                    double available_bytes);

/// An offload estimate, in base units. Tokens/s are per sequence unless named aggregate.
struct OffloadResult {
  EstimateResult gpu_alone;   ///< the GPU by itself (roofs, class; the overrides apply here)
  EstimateResult host_alone;  ///< the host CPU by itself
  int layers = 0;             ///< layers of the model
  int gpu_layers = 0;         ///< layers on the GPU (cpu_moe: every layer's non-expert part)
  bool automatic = false;     ///< gpu_layers chosen as as many as fit
  bool cpu_moe = false;
  double gpu_weights_bytes = 0;
  double host_weights_bytes = 0;
  double gpu_kv_bytes = 0;  ///< KV cache follows the layers
  double host_kv_bytes = 0;
  double gpu_seconds = 0;   ///< the GPU's part of a decode step
  double host_seconds = 0;  ///< the host's part of a decode step
  double step_seconds = 0;  ///< gpu_seconds + host_seconds (the parts run one after another)
  Shard gpu_shard;          ///< the GPU part's realistic (ideal with options.ideal) shard
  Shard host_shard;         ///< the host part's; share 0 when the host holds nothing
  ShardDecode gpu_decode;   ///< the GPU's part of the step (gpu_seconds = its seconds)
  ShardDecode host_decode;  ///< the host's part (host_seconds = its seconds)
  double tokens_per_s = 0;  ///< realistic (ideal when options.ideal)
  double tokens_per_s_low = 0;
  double tokens_per_s_high = 0;
  double aggregate_tokens_per_s = 0;
  double ideal_tokens_per_s = 0;
  std::optional<double> prefill_tokens_per_s;  ///< none when prompt_tokens is 0
  bool prefill_on_gpu = false;  ///< the host's part of the prompt ran on the GPU (bus)
  double time_to_first_token_s = 0;
  double generate_tokens_per_s = 0;
  double end_to_end_seconds = 0;
  MemoryFit gpu_fit;
  MemoryFit host_fit;
  bool fits = false;                ///< both parts fit
  double power_w = 0;               ///< GPU plus host when the host holds a part (0: unknown)
  std::optional<double> price_usd;  ///< likewise for launch prices
  std::optional<double> tokens_per_s_per_kusd;
  std::optional<double> joules_per_token;
  std::optional<double> usd_per_million_tokens;  ///< price per hour of the whole machine
};

/// Estimates `model` split between spec.gpu and spec.host. The overrides of `options`
/// (bandwidth, peak, memory, power) apply to the GPU; the host uses its own figures.
/// Throws UsageError for a non-GPU device, a non-CPU host, or cpu_moe on a dense model.
OffloadResult estimate_offload(const OffloadSpec& spec, const ModelInput& model,
                               const EstimateOptions& options, const EfficiencyTable& efficiency);

/// The offload report: one row per GPU with `device.id`, `host.id`, `gpu_layers`, a `devices`
/// records column (GPU and host: id, role, layers, memory_required_bytes, fits), the
/// per-part seconds and the usual speed, fit and cost columns. Sorted by `sort_key`.
Report offload_report(const std::vector<OffloadResult>& results, const ModelInput& model,
                      const EstimateOptions& options, const std::string& sort_key);

}  // namespace llmroof
