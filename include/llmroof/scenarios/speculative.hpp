#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// Speculative decoding: a small draft model proposes `draft_tokens` tokens one by one, the
/// target checks them all in one pass and keeps the longest accepted prefix plus one token.
struct SpeculativeSpec {
  ModelInput draft;
  int draft_tokens = 8;     ///< K >= 1, tokens drafted per target pass
  double acceptance = 0.7;  ///< A in [0, 1]: chance that the target accepts a drafted token
};

/// Expected tokens produced per target pass when each drafted token is accepted independently
/// with probability `acceptance` (A) and `draft_tokens` (K) are drafted:
/// 1 + A + ... + A^K = (1 - A^(K+1)) / (1 - A); 1 at A = 0, K + 1 at A = 1.
double expected_tokens_per_pass(double acceptance, int draft_tokens);

/// Fraction of drafted tokens accepted under the same model (llama.cpp's "accept" figure):
/// (A + A^2 + ... + A^K) / K.
double expected_draft_acceptance_rate(double acceptance, int draft_tokens);

/// The target's verification pass: `tokens` tokens of ONE sequence in one step after
/// `input.context_tokens` of context. Like decode_step at batch `tokens` (the weights are read
/// once, FLOPs and touched experts grow with the tokens) but the sequence's KV cache is read
/// once, not once per token. input.batch is ignored.
DecodeStep verification_step(const ModelSpec& model, const Weights& weights, const Roofs& roofs,
                             const DecodeInput& input, int tokens);

/// A speculative estimate on one device, in base units (one sequence).
struct SpeculativeResult {
  EstimateResult target;  ///< plain decoding of the target
  EstimateResult draft;   ///< the draft model alone on the same device
  int draft_tokens = 0;
  double acceptance = 0;
  DecodeStep verify;          ///< pure roofline of the verification pass
  double draft_seconds = 0;   ///< K draft steps (realistic, ideal when options.ideal)
  double verify_seconds = 0;  ///< one verification pass
  /// The realistic verification pass runs the weight matmuls as a matmul of K+1 rows, past
  /// the engine's matrix-vector kernels (K+1 > vector_batch_max); false with --ideal.
  bool verify_on_matrix_kernels = false;
  int vector_batch_max = 0;             ///< the target's class's (0: none, or --ideal)
  double pass_seconds = 0;              ///< draft_seconds + verify_seconds
  double accepted_tokens_per_step = 0;  ///< expected tokens per target pass
  double plain_tokens_per_s = 0;
  double tokens_per_s = 0;  ///< accepted_tokens_per_step / pass_seconds
  double tokens_per_s_low = 0;
  double tokens_per_s_high = 0;
  double speedup = 0;                           ///< tokens_per_s / plain_tokens_per_s
  std::optional<double> time_to_first_token_s;  ///< both models read the prompt
  MemoryFit fit;                                ///< both models and both KV caches
  std::optional<double> tokens_per_s_per_kusd;
  std::optional<double> joules_per_token;
  std::optional<double> usd_per_million_tokens;
};

/// Estimates speculative decoding of `target` with spec.draft on `device`, batch 1.
/// Throws UsageError when options.batch > 1, K < 1 or A is outside [0, 1].
SpeculativeResult estimate_speculative(const Device& device, const ModelInput& target,
                                       const SpeculativeSpec& spec, const EstimateOptions& options,
                                       const EfficiencyTable& efficiency);

/// The speculative report: one row per device with `speedup`, `accepted_tokens_per_step`,
/// `plain_tokens_per_s`, the draft's figures and the usual speed, fit and cost columns.
Report speculative_report(const std::vector<SpeculativeResult>& results, const ModelInput& target,
                          const SpeculativeSpec& spec, const EstimateOptions& options,
                          const std::string& sort_key);

}  // namespace llmroof
