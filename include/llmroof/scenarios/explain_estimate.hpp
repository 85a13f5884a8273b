#pragma once

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/report/explain.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/scenarios/speculative.hpp"

namespace llmroof {

/// The worked calculation of one single-device estimate `r` (estimate(device, model, options,
/// efficiency)): the decode roof (bytes per step: weights, KV cache; bandwidth; memory time;
/// FLOPs, peak, compute time; the bound), the prefill roof likewise, then (unless
/// options.ideal) each engine-model term with its fitted figure and its share of the step, the
/// prefill's peak basis and factors, and the band with its source. The engine terms come from
/// the EngineModel estimate() uses, so they sum to 1 / r.tokens_per_s.
Explanation explain_estimate(const EstimateResult& r, const ModelInput& model,
                             const EstimateOptions& options, const EfficiencyTable& efficiency);

/// The worked calculation of speculative decoding `r` of `target` with `draft`: the target's
/// and the draft's own explanations (sections prefixed "target " and "draft "), then the
/// pass: K draft steps, the verification roof and time, the acceptance's expected tokens per
/// pass, the speed, the speed-up and the band.
Explanation explain_speculative(const SpeculativeResult& r, const ModelInput& target,
                                const ModelInput& draft, const EstimateOptions& options,
                                const EfficiencyTable& efficiency);

}  // namespace llmroof
