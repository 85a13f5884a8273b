#pragma once

#include <array>
#include <optional>
#include <string>

#include "llmroof/app/database.hpp"
#include "llmroof/app/estimate_request.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/report/report.hpp"
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

/// The roofline of an estimate request on single devices (see run_estimate): for each selected
/// device its roofs (roofline_device) and the model's decode points at batch 1, at
/// k_roofline_batches, at the request's batch and at the critical batch (rounded), then
/// prefill at the prompt length. The report (command "roofline", see roofline_report) carries
/// the estimate's notes and warnings; its sparkline_title is the chart title. Throws
/// RequestError for device groups, partial offload and speculative decoding, and what
/// run_estimate throws.
Report run_roofline(const Database& db, const EstimateRequest& request);

}  // namespace llmroof
