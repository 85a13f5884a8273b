#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/app/estimate_request.hpp"
#include "llmroof/app/sweep_request.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/report/svg_charts.hpp"
#include "llmroof/report/svg_roofline.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// Decode batches every roofline shows besides batch 1, the request's batch and the critical
/// batch: a small and a large batch, where llama.cpp servers commonly run.
inline constexpr std::array<int, 2> k_roofline_batches = {8, 64};

/// The roofs of `result`'s device as the roofline draws them: the ideal roofs the estimate used,
/// and (unless options.ideal) the realistic ones of its efficiency class: the bandwidth share
/// decode reaches, and the prefill matmul peak it reaches (format and rows factors included).
RooflineDevice roofline_device(std::string label, const EstimateResult& result,
                               const ModelInput& model, const EstimateOptions& options,
                               const EfficiencyTable& efficiency);

/// The decode step of `result` as a roofline point: FLOPs per byte read, and the FLOP/s it
/// attains at the estimate's (realistic, or ideal with --ideal) speed.
RooflinePoint decode_point(std::string label, const EstimateResult& result);

/// The prefill of `result` as a roofline point, at its time to first token; nullopt without
/// a prompt.
std::optional<RooflinePoint> prefill_point(std::string label, const EstimateResult& result);

/// A roofline as run_roofline computes it: the chart, and its numbers as a report.
struct RooflineOutcome {
  /// The chart's numbers (command "roofline", see roofline_report) with the estimate's notes
  /// and warnings.
  Report report;
  /// The roofs and points drawn, titled "<model> <quant>: roofline (context <tokens>)".
  RooflineChart chart;
};

/// The roofline of an estimate request on single devices (see run_estimate): for each selected
/// device its roofs (roofline_device) and the model's decode points at batch 1, at
/// k_roofline_batches, at the request's batch and at the critical batch (rounded), then
/// prefill at the prompt length. Throws RequestError for device groups, partial offload and
/// speculative decoding, and what run_estimate throws.
RooflineOutcome run_roofline(const Database& db, const EstimateRequest& request);

/// One sweep (see run_sweep) on each device a request's device field selects, and their
/// curves.
struct SweepChartOutcome {
  std::vector<SweepOutcome> sweeps;   ///< one per device, in the order selected
  LineChart chart;                    ///< their curves (sweep_line_chart), one colour each
  std::vector<std::string> warnings;  ///< the sweeps' warnings, each once
};

/// The sweep chart of `request`, whose device field may select several devices (ids, aliases
/// or a filter): one sweep each, drawn in one chart titled by the sweep ("<model> <quant> on
/// <device>") for one device and by the model ("<model> <quant>") for several, whose legend
/// then names the devices. Only the svg format draws several devices: any other format prints
/// the numbers of one sweep, and a request for several throws RequestError on device. Throws
/// what run_sweep throws.
SweepChartOutcome run_sweep_chart(const Database& db, const SweepRequest& request);

}  // namespace llmroof
