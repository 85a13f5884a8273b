#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/report/chart.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// Most values one sweep list may hold, and most points (rows) one sweep may have.
inline constexpr std::size_t k_max_sweep_points = 10000;

/// Parses the sweep list of request field `field` (e.g. "batch"; messages name it as the
/// `{batch}` placeholder): items separated by commas, each a whole number N, a range A..B
/// (step 1), A..B+S (arithmetic, step S >= 1) or A..BxF (geometric, whole factor F >= 2,
/// A >= 1). B is included when a step lands on it. Returns the values ascending without
/// duplicates, each in [min_value, max_value]. Throws RequestError on `field` for an empty list
/// or item, a bad number, a zero step or factor below 2, a range whose start is above its end,
/// a value out of bounds or more than k_max_sweep_points values.
std::vector<std::int64_t> parse_sweep_list(std::string_view text, std::string_view field,
                                           std::int64_t min_value, std::int64_t max_value);

/// A memory limit solved exactly along one axis (not searched among sweep points).
/// value set: the largest whole value that fits. value unset and unbounded: memory never runs
/// out along the axis. value unset and not unbounded: not even the smallest value fits.
struct FitLimit {
  std::optional<std::int64_t> value;
  bool unbounded = false;
};

/// Largest batch whose memory fits `available_bytes` when each sequence holds
/// `tokens_per_sequence` tokens of KV cache; memory is memory_fit's weights + overhead +
/// batch * kv_cache_bytes. 0 when the weights alone do not fit; unbounded when a sequence
/// holds no KV cache.
FitLimit max_batch_that_fits(const ModelSpec& model, double weights_bytes, double available_bytes,
                             double tokens_per_sequence, double kv_bytes_per_element);

/// Most tokens each of `batch` (>= 1) sequences may hold in its KV cache within
/// `available_bytes`, solved on the piecewise-linear kv_cache_bytes (sliding-window layers stop
/// growing at the window). Unbounded when every cached layer is windowed and full windows fit;
/// no value when not even 0 tokens fit.
FitLimit max_tokens_that_fit(const ModelSpec& model, double weights_bytes, double available_bytes,
                             std::int64_t batch, double kv_bytes_per_element);

/// Document-level figures of a sweep, each solved at a stated anchor of the sweep.
struct SweepLimits {
  /// Batch above which decode turns compute-bound (ideal roofline), at context
  /// critical_batch_context_tokens; nullopt when memory-bound at any batch.
  std::optional<double> critical_batch;
  std::int64_t critical_batch_context_tokens = 0;
  /// Largest batch that fits when each sequence holds max_batch_context_tokens of context
  /// (plus prompt and generated tokens): the sweep's longest context, so every context of the
  /// sweep fits at that batch.
  FitLimit max_batch;
  std::int64_t max_batch_context_tokens = 0;
  /// Longest context (tokens before prompt and generated tokens) that fits at max_context_batch
  /// sequences: the sweep's largest batch, so every batch of the sweep fits at that context.
  FitLimit max_context;
  std::int64_t max_context_batch = 1;
};

/// A grid sweep: every batch at every context, on one device and one model.
struct SweepOptions {
  EstimateOptions base;  ///< every setting but batch and context_tokens, which each point sets
  std::vector<std::int64_t> batches = {1};   ///< ascending, >= 1
  std::vector<std::int64_t> contexts = {0};  ///< ascending, >= 0 tokens
};

/// One (batch, context) point: the estimate there.
struct SweepPoint {
  std::int64_t batch = 1;
  std::int64_t context_tokens = 0;
  EstimateResult estimate;
};

struct SweepResult {
  /// Context-major: every batch at the smallest context, then every batch at the next one.
  std::vector<SweepPoint> points;
  SweepLimits limits;
};

/// Runs estimate() at every point. Throws UsageError when the grid has more than
/// k_max_sweep_points points, a list is empty, or estimate() rejects the options.
SweepResult sweep(const Device& device, const ModelInput& model, const SweepOptions& options,
                  const EfficiencyTable& efficiency);

/// One row per point (JSON key "points"); fields critical_batch, max_batch_that_fits,
/// max_context_that_fits, memory_available_bytes; notes state the anchors and assumptions.
Report sweep_report(const SweepResult& result, const ModelInput& model,
                    const SweepOptions& options);

/// Bars of the sweep: total tokens/s by batch (one group per context) when the batch varies,
/// else tokens/s per sequence by context.
BarChart sweep_chart(const SweepResult& result, const SweepOptions& options);

/// The concurrency view of llama-batched-bench: `users` sequences start together; all their
/// prompts are prefilled in one batch (users * prompt_tokens tokens after context_tokens), then
/// every user generates generate_tokens tokens in one decode batch as the context grows.
struct ParallelOptions {
  EstimateOptions base;  ///< context_tokens, prompt_tokens, generate_tokens (>= 1) and devices'
                         ///< settings; batch is set per run
  std::vector<std::int64_t> users = {1};  ///< ascending, >= 1
};

/// One run of `users` parallel sequences.
struct ParallelRun {
  std::int64_t users = 1;
  /// Ideal batched prefill of every prompt; nullopt when prompt_tokens is 0.
  std::optional<PrefillResult> prefill;
  double time_to_first_token_s =
      0;                        ///< realistic prefill of all prompts (ideal when options.ideal)
  double generate_seconds = 0;  ///< decoding generate_tokens tokens for every user
  double tokens_per_s = 0;      ///< per user while generating: generate / generate_seconds
  double aggregate_tokens_per_s = 0;  ///< all users: users * generate / generate_seconds
  double end_to_end_seconds = 0;      ///< time_to_first_token_s + generate_seconds
  double total_tokens_per_s = 0;      ///< users * (prompt + generate) / end_to_end_seconds
  /// The estimate at batch users and context context + prompt, generating generate_tokens:
  /// roofs, first decode step, memory fit.
  EstimateResult decode;
};

struct ParallelResult {
  std::vector<ParallelRun> runs;
  SweepLimits limits;  ///< critical batch at context + prompt; limits at the largest user count
};

/// Runs every user count. Throws UsageError when generate_tokens < 1, a list is empty or holds
/// more than k_max_sweep_points values, or estimate() rejects the options.
ParallelResult parallel_sweep(const Device& device, const ModelInput& model,
                              const ParallelOptions& options, const EfficiencyTable& efficiency);

/// One row per user count (JSON key "runs"), with the same document fields as sweep_report.
Report parallel_report(const ParallelResult& result, const ModelInput& model,
                       const ParallelOptions& options);

/// Bars of total generation tokens/s by user count, each with the per-user speed.
BarChart parallel_chart(const ParallelResult& result, const ParallelOptions& options);

}  // namespace llmroof
