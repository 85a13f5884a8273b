#pragma once

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/report/explain.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// The worked calculation of one single-device estimate `r` (estimate(device, model, options,
/// efficiency)): the decode roof (bytes per step: weights, KV cache; bandwidth; memory time;
/// FLOPs, peak, compute time; the bound), the prefill roof likewise, then (unless
/// options.ideal) each engine-model term with its fitted figure and its share of the step, the
/// prefill's peak basis and factors, and the band with its source. The engine terms come from
/// the EngineModel estimate() uses, so they sum to 1 / r.tokens_per_s.
Explanation explain_estimate(const EstimateResult& r, const ModelInput& model,
                             const EstimateOptions& options, const EfficiencyTable& efficiency);

}  // namespace llmroof
