#pragma once

#include <string_view>

#include "llmroof/engine/efficiency.hpp"

namespace llmroof {

/// Whether `backend` names llama.cpp's CPU backend, compared normalized ("CPU" == "cpu").
bool is_cpu_backend(std::string_view backend);

/// Whether `backend` runs a GPU device's model on its host CPU (a SoC's CPU cores, or the
/// host of a discrete GPU): the backend is the CPU one and the device is not itself a CPU.
bool runs_on_host_cpu(const Device& device, std::string_view backend);

/// How a prefill pass's matmul FLOPs split between dense weights (every row of the pass) and
/// routed expert weights (their share k/E of the rows).
struct MatmulRows {
  double rows = 1;          ///< rows per pass of dense weights: min(prompt, ubatch), >= 1
  double dense_flops = 0;   ///< weight of the dense matmuls (their parameters), >= 0
  double expert_flops = 0;  ///< weight of the routed experts' matmuls (params x k / E), >= 0
  double expert_rows = 1;   ///< rows per pass each routed expert sees, > 0
};

/// The MatmulRows of `weights` for prompts of `prompt_tokens` under `table`'s ubatch.
MatmulRows matmul_rows(const EfficiencyTable& table, const Weights& weights, double prompt_tokens);

/// The prefill rows factor: FLOP-weighted harmonic mean of r / (r + half_rows) over the dense
/// and expert parts, (0, 1]; 1 when the weights have no matmul parameters.
double rows_factor(const MatmulRows& rows, double half_rows);

/// The factor of `format` for prefill (decode = false) or decode on a CPU or a GPU, > 0.
double format_factor(const WeightFormat& format, bool cpu, bool decode);

/// The realistic engine for one device, backend and model: the efficiency class that applies
/// and the figures it reads of the run. The one place the estimator, sweeps, device groups,
/// offload, speculative decoding and the fitter get realistic times from.
struct EngineModel {
  const EfficiencyClass* cls = nullptr;  ///< never null in an EngineModel from engine_model()
  EngineRun run;
  bool host_cpu = false;  ///< the model runs on the device's host CPU (see runs_on_host_cpu)

  /// Realistic seconds of one decode step of an ideal `step`.
  [[nodiscard]] double decode_seconds(const DecodeStep& step) const;
  /// Realistic seconds of an ideal `prefill`.
  [[nodiscard]] double prefill_seconds(const PrefillResult& prefill) const;
  /// The terms of decode_seconds(step), seconds each; they sum to it.
  [[nodiscard]] DecodeBreakdown decode_breakdown(const DecodeStep& step) const;
  /// The sides of prefill_seconds(prefill); their maximum is it.
  [[nodiscard]] PrefillBreakdown prefill_breakdown(const PrefillResult& prefill) const;
};

/// The EngineModel of `model` (`weights`) on `device` running `backend` ("" = the device's
/// usual backend; compared normalized) under `roofs` at `precision`, for prompts of
/// `prompt_tokens` per prefill, as llama.cpp build `engine_build` runs it (0 = today's engine;
/// see EngineEra). Throws Error when the table has no class for the device and no "default"
/// class.
EngineModel engine_model(const EfficiencyTable& table, const Device& device,
                         std::string_view backend, const ModelSpec& model, const Weights& weights,
                         const Roofs& roofs, Precision precision, double prompt_tokens,
                         int engine_build = 0);

}  // namespace llmroof
