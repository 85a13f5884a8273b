#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/hardware/threads.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/model/weights.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/report/report.hpp"

namespace llmroof {

/// What to estimate, independent of device and model. Defaults are the CLI's defaults.
struct EstimateOptions {
  int batch = 1;  ///< sequences decoded together, >= 1
  /// The llama.cpp build the run describes: 0 = today's engine; a calibration row's build
  /// selects an earlier engine's kernels where the table records one (EngineEra).
  int engine_build = 0;
  double context_tokens = 0;          ///< tokens already in each KV cache
  double prompt_tokens = 512;         ///< prompt length for prefill and time to first token
  double generate_tokens = 128;       ///< tokens generated (memory fit)
  std::string kv_quant = "f16";       ///< KV-cache element type
  double kv_bytes_per_element = 2.0;  ///< matches kv_quant
  std::optional<Precision> compute_precision;   ///< override of the quant's precision
  std::optional<double> bandwidth_bytes_per_s;  ///< override of the device's bandwidth
  bool bandwidth_measured = false;  ///< the override is a measured sustained read, not a peak
  std::optional<int> threads;       ///< CPU threads (>= 1); unset = every performance core
  std::optional<double> peak_flops_per_s;  ///< override of the device's peak
  /// Override of the device's INSTALLED memory; the usable share (usable_memory_bytes) is
  /// applied on top of it.
  std::optional<double> memory_bytes;
  /// Override of the memory the engine can use, taken as is (no OS share); wins over
  /// memory_bytes.
  std::optional<double> usable_memory_bytes;
  std::string backend;            ///< "" = the device's usual backend
  bool ideal = false;             ///< pure roofline: efficiency 1, no overheads, no range
  double expert_skew = 0;         ///< see expected_experts_touched
  std::optional<double> power_w;  ///< override of the device's TDP, watts
  std::optional<double> price_usd_per_hour;  ///< rental price, for usd_per_million_tokens
};

/// The model side of an estimate: its architecture and what its weights weigh.
struct ModelInput {
  ModelSpec spec;
  Weights weights;
  std::string quant_id;  ///< "q4_k_m", or "file" for a model file's own types
  /// Where the quant came from: "flag" (the request named it), "file" (a GGUF's own types),
  /// "tag" (an Ollama tag's), "published dtype" (torch_dtype), "published quantization"
  /// (quantization_config), or "default" (a generic size: fp16).
  std::string quant_origin = "flag";
  Precision compute = Precision::fp16;  ///< the quant's default compute precision
};

/// One device's estimate, in base units.
struct EstimateResult {
  const Device* device = nullptr;
  Roofs roofs;
  Precision precision = Precision::fp16;  ///< precision whose peak was used
  bool precision_fell_back = false;       ///< the device lacks the requested precision
  /// The roof is the int8 peak: ggml block-quantized weights, whose kernels take int8
  /// activations, on a device listing a faster int8 rate than the requested precision's
  /// (never with a compute precision or peak given by the caller).
  bool int8_activations = false;
  std::optional<ThreadScaling> threads;  ///< set when options.threads was given
  DecodeStep step;                       ///< pure roofline at the requested batch and context
  double tokens_per_s = 0;               ///< realistic per sequence (ideal when options.ideal)
  double tokens_per_s_low = 0;
  double tokens_per_s_high = 0;
  double aggregate_tokens_per_s = 0;     ///< realistic, all sequences
  std::optional<PrefillResult> prefill;  ///< ideal prefill (none when prompt_tokens is 0)
  double prefill_tokens_per_s = 0;       ///< realistic (ideal when options.ideal)
  double prefill_tokens_per_s_low = 0;   ///< its range from the class's prefill spread
  double prefill_tokens_per_s_high = 0;
  double time_to_first_token_s = 0;
  MemoryFit fit;
  std::optional<double> critical_batch;
  std::string efficiency_class;  ///< "ideal" when options.ideal
  /// Average decode speed per sequence over generating generate_tokens tokens from the
  /// context (as llama-bench's tg tests report), realistic (ideal when options.ideal).
  double generate_tokens_per_s = 0;
  double generate_seconds = 0;                   ///< time to generate them
  double end_to_end_seconds = 0;                 ///< time to first token + generate_seconds
  double power_w = 0;                            ///< TDP or options.power_w; 0 = unknown
  std::optional<double> tokens_per_s_per_kusd;   ///< aggregate tokens/s per 1000 USD
  std::optional<double> joules_per_token;        ///< power / aggregate tokens/s
  std::optional<double> usd_per_million_tokens;  ///< given a price per hour
};

/// Seconds to decode `tokens` tokens one after another from `context_tokens` of context: the
/// exact sum of `step_seconds(context + i)`, i = 0..tokens-1, for a step time that is piecewise
/// linear in the context (as decode steps are), from a few evaluations.
double decode_span_seconds(double context_tokens, double tokens,
                           const std::function<double(double)>& step_seconds);

/// Precision whose peak `device` offers for `requested`: the precision itself, else the next
/// wider one it has (int4 -> int8 -> fp16 -> fp32; fp8 -> fp16; bf16 -> fp16 -> fp32); fp32
/// where that one's roof is below the FP32 peak (Pascal GP10x's FP16).
Precision effective_precision(const Device& device, Precision requested);

/// Estimates `model` on `device`. Throws UsageError when an override is not positive.
EstimateResult estimate(const Device& device, const ModelInput& model,
                        const EstimateOptions& options, const EfficiencyTable& efficiency);

/// Column ids by which an estimate report can be sorted.
std::vector<std::string> estimate_sort_keys();

/// Gives `report`, an estimate of another mode ("group", "offload", "speculative"), every field
/// of a single-device estimate row it lacks, as a hidden column of nulls (same id and kind), and
/// a `mode` field; a single-device estimate has mode "device". Throws std::logic_error when a
/// field it has is of another kind than the single-device one.
void conform_estimate_rows(Report& report, std::string_view mode);

/// The estimate report: one row per result, sorted by `sort_key` (a column id; numbers
/// descending, text ascending). Throws UsageError for an unknown sort key.
Report estimate_report(const std::vector<EstimateResult>& results, const ModelInput& model,
                       const EstimateOptions& options, const std::string& sort_key);

}  // namespace llmroof
