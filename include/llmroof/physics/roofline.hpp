#pragma once

#include <optional>
#include <string_view>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/weights.hpp"

namespace llmroof {

/// The two ceilings of one run: memory bandwidth and peak arithmetic rate.
/// Invariant: both > 0.
struct Roofs {
  double mem_bw_bytes_per_s = 0;
  double peak_flops_per_s = 0;
  /// mem_bw_bytes_per_s is a sustained read measured on the machine, not a vendor peak.
  bool mem_bw_measured = false;
};

/// One decode step: `batch` sequences each produce one token after `context_tokens` of context.
struct DecodeInput {
  int batch = 1;                    ///< >= 1
  double context_tokens = 0;        ///< tokens already in each sequence's KV cache
  double kv_bytes_per_element = 2;  ///< KV-cache element size (f16 = 2)
  double expert_skew = 0;           ///< 0 = uniform routing; see expected_experts_touched
  /// expected_experts_touched of this batch and skew when already known (it does not depend on
  /// the context, so a span of steps computes it once); < 0 = compute it.
  double experts_touched = -1;
};

/// The roofline of one decode step, in base units.
struct DecodeStep {
  double batch = 1;               ///< sequences decoded together (tokens per step), >= 1
  double weights_read_bytes = 0;  ///< weights streamed from memory in the step
  /// The weights one token reads on its own: every tensor the step multiplies, with its k
  /// routed experts (weights_read_bytes at batch 1); what a kernel that re-reads the weights
  /// for each sequence streams per sequence.
  double sequence_weights_read_bytes = 0;
  double kv_read_bytes = 0;    ///< KV cache read by attention, all sequences
  double bytes = 0;            ///< weights_read_bytes + kv_read_bytes
  double flops = 0;            ///< batch * (2 * multiplied params + attention FLOPs)
  double matmul_flops = 0;     ///< the weight matmuls' share of flops: batch * 2 * params
  double memory_seconds = 0;   ///< bytes / bandwidth
  double compute_seconds = 0;  ///< flops / peak
  double step_seconds = 0;     ///< max(memory_seconds, compute_seconds)
  bool compute_bound = false;
  double tokens_per_s = 0;            ///< per sequence: 1 / step_seconds
  double aggregate_tokens_per_s = 0;  ///< batch / step_seconds
  double experts_touched = 0;         ///< distinct routed experts read per MoE layer (0: dense)
};

/// Expected distinct routed experts read per layer when `batch` tokens each pick `used` of
/// `experts`: E * (1 - (1 - k/E)^B) under uniform routing. `skew` in [0, 1) makes routing less
/// uniform by shrinking the effective batch to B^(1 - skew) (skew 0: uniform; close to 1: every
/// token picks the same experts). Equals k at batch 1, tends to E as the batch grows.
double expected_experts_touched(int experts, int used, double batch, double skew = 0);

/// Decode step of `model` stored as `weights` under `roofs`.
DecodeStep decode_step(const ModelSpec& model, const Weights& weights, const Roofs& roofs,
                       const DecodeInput& input);

/// Prompt processing: `prompt_tokens` tokens after `context_tokens` of context, in one pass.
struct PrefillResult {
  double flops = 0;  ///< 2 * multiplied params * N + attention over the prompt
  double bytes = 0;  ///< every weight once (all experts for MoE) + KV written and read
  double memory_seconds = 0;
  double compute_seconds = 0;
  double seconds = 0;       ///< max of the two
  double tokens_per_s = 0;  ///< prompt_tokens / seconds
  bool compute_bound = false;
};
PrefillResult prefill(const ModelSpec& model, const Weights& weights, const Roofs& roofs,
                      double prompt_tokens, double context_tokens, double kv_bytes_per_element);

/// The batch at which decode turns compute-bound: compute time equals memory time
/// (a real number; decode is memory-bound for batch < critical_batch). nullopt when the step
/// stays memory-bound at any batch (KV traffic per sequence outweighs its compute).
std::optional<double> critical_batch(const ModelSpec& model, const Weights& weights,
                                     const Roofs& roofs, const DecodeInput& input);

/// Memory a run needs against what the device offers.
struct MemoryFit {
  double weights_bytes = 0;
  double kv_cache_bytes = 0;   ///< batch * kv bytes of (context + prompt + generated) tokens
  double overhead_bytes = 0;   ///< runtime allowance, see runtime_overhead_bytes
  double required_bytes = 0;   ///< sum of the three
  double available_bytes = 0;  ///< usable memory of the device
  double margin_bytes = 0;     ///< available - required (negative: does not fit)
  bool fits = false;
};

/// Runtime allowance beyond weights and KV: 512 MiB (runtime context, compute buffers)
/// plus 2% of the weights (scratch and alignment), as a llama.cpp-style engine needs.
double runtime_overhead_bytes(double weights_bytes);

/// Memory an inference engine can use on `device` with `memory_bytes` installed: all of it on a
/// discrete GPU; on Apple silicon the GPU's default wired limit (2/3 up to 36 GiB, 3/4 above);
/// on other shared-memory parts what is left after 10% for the operating system.
double usable_memory_bytes(const Device& device, double memory_bytes);
/// The rule usable_memory_bytes applies on `device`, in words (for notes):
/// "macOS's GPU wired limit, 2/3 of memory up to 36 GiB and 3/4 above".
std::string_view usable_memory_rule(const Device& device);

MemoryFit memory_fit(double weights_bytes, double kv_cache_bytes, double available_bytes);

}  // namespace llmroof
