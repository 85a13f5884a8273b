#pragma once

#include <span>

#include "llmroof/model/model_files.hpp"
#include "llmroof/model/tensors.hpp"
#include "llmroof/report/report.hpp"

namespace llmroof {

/// Parameters (elements) of a tensor list by what they do. Every tensor lands in exactly one
/// group, so the groups sum to the total.
struct ParamBreakdown {
  double embeddings = 0;      ///< token_embd and position_embd
  double attention = 0;       ///< q/k/v/o projections (MLA low-rank parts too), biases, sinks
  double dense_mlp = 0;       ///< ffn_gate/up/down of dense layers, with biases
  double router = 0;          ///< MoE routers and their biases (ffn_gate_inp, exp_probs_b)
  double routed_experts = 0;  ///< ffn_*_exps: every routed expert of every MoE layer
  double shared_experts = 0;  ///< ffn_*_shexp and the shared-expert gate
  double norms = 0;           ///< normalization weights and biases
  double output_head = 0;     ///< output.weight (0 when tied to the embedding)
  double other = 0;           ///< anything else (rope_freqs, ...)

  double total() const {
    return embeddings + attention + dense_mlp + router + routed_experts + shared_experts + norms +
           output_head + other;
  }
};

ParamBreakdown param_breakdown(std::span<const TensorInfo> tensors);

/// The `llmroof inspect` report of a loaded model file. Rows: one per ggml tensor type (type,
/// tensors, params, bytes, bits_per_weight, bytes_share), largest first. Fields: architecture,
/// total_params, active_params, weights_bytes, bits_per_weight, decode_weights_bytes (read per
/// decoded token at batch 1), kv_cache_bytes_per_token (f16 KV), context_length, layers, shape,
/// the parameter breakdown (*_params); notes list the assumed fields. A config.json's tensors are
/// typed by its torch_dtype (F16 when absent, which is noted).
Report inspect_report(const LoadedModel& model);

}  // namespace llmroof
