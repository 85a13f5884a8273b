#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/app/model_choice.hpp"
#include "llmroof/report/chart.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/report/svg_roofline.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/scenarios/sweep.hpp"

namespace llmroof {

/// Largest batch (sequences) and context (tokens) a sweep list may hold, as for an estimate.
inline constexpr std::int64_t k_max_sweep_batch = 1 << 20;
inline constexpr std::int64_t k_max_sweep_context_tokens = 100000000;
/// Prompt and generated tokens per user of the parallel view when the request gives none (the
/// source article's llama-batched-bench run).
inline constexpr std::int64_t k_parallel_prompt_tokens = 512;
inline constexpr std::int64_t k_parallel_generate_tokens = 128;

/// One sweep as a front end asks for it: one model on one device over lists of batch and
/// context (the grid), or over parallel users (the concurrency view). Field names are the ids
/// RequestError reports (see EstimateRequest).
struct SweepRequest {
  ModelArgument model;               ///< model: catalog id, size, or files
  std::optional<std::string> quant;  ///< quant: weight format; default from the model
  std::string device;                ///< device: exactly one id or alias
  std::string batch = "1";           ///< batch: a sweep list (see parse_sweep_list)
  std::string context = "0";         ///< context: a sweep list of tokens; one value with parallel
  std::optional<std::string> parallel;   ///< parallel: user counts (a sweep list); replaces batch
  std::optional<std::int64_t> prompt;    ///< prompt: tokens (default 0, 512 with parallel)
  std::optional<std::int64_t> generate;  ///< generate: tokens (default 0, 128 with parallel)
  /// Engine settings (bandwidth, tflops, memory, kv_quant, compute_precision, backend, ideal,
  /// expert_skew); batch, context, prompt and generate come from the fields above.
  EstimateOptions options;
  std::vector<std::string> show;  ///< show: extra table columns
  /// chart: the sweep as bars and its decode points on the device's roofline after the table
  bool chart = false;
  /// format: the output format the report is rendered in; the charts of `chart` go with the
  /// table format only (any other gets a warning instead).
  OutputFormat format = OutputFormat::table;
};

/// What a sweep computed: the report to render as it is, the same points as bars and on the
/// roofline, and the results behind them (for charts of a front end's own).
struct SweepOutcome {
  Report report;
  /// The bars, when the request asks for them in the table format; width
  /// k_default_chart_width (a front end may set its own).
  std::optional<BarChart> chart;
  /// With `chart`: the device's roofs and the decode step of each point of the sweep, titled
  /// "roofline of the sweep: <title>".
  std::optional<RooflineChart> roofline;
  std::optional<SweepResult> grid;         ///< set for the grid
  std::optional<ParallelResult> parallel;  ///< set for the concurrency view
  std::string model_label;                 ///< "<model id> <quant>"
  std::string device_id;                   ///< the device swept
  /// "<model id> <quant> on <device id>": the title of the sweep's charts (the svg format's
  /// curves, see RenderOptions::chart_title).
  std::string title;
};

/// Runs one sweep: resolves the model and the one device, parses the lists, applies the
/// defaults, and returns the report with its notes and warnings. Throws RequestError naming the
/// field at fault, and the data and model readers' errors.
SweepOutcome run_sweep(const Database& db, const SweepRequest& request);

}  // namespace llmroof
