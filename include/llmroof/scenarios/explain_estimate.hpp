#pragma once

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/report/explain.hpp"
#include "llmroof/scenarios/cluster.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/scenarios/offload.hpp"
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

/// The worked calculation of group `r` (estimate_group): per stage ("stage N <device>"
/// sections) its layers, share, bytes, bandwidth, memory and compute time and (unless
/// options.ideal) the engine terms with their shares of the stage; the link (sends per step,
/// bytes per send, bandwidth, latency, time); the step as estimate_group combines them (sum,
/// or the full pipeline's micro-batches x slowest stage) and the band. The stage times come from
/// r.members[i].decode, so they are the numbers the estimate used.
Explanation explain_group(const GroupResult& r, const ModelInput& model,
                          const EstimateOptions& options);

/// The worked calculation of partial offload `r` (estimate_offload): the GPU part and the host
/// part (bytes, bandwidth, times, engine terms), their sum (the step), the speed and the band.
Explanation explain_offload(const OffloadResult& r, const ModelInput& model,
                            const EstimateOptions& options);

}  // namespace llmroof
