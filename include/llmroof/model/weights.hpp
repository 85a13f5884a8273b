#pragma once

#include <span>
#include <vector>

#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/model/tensors.hpp"

namespace llmroof {

/// Parameters and bytes of one ggml type within a model.
struct TypeShare {
  int type = 0;
  double params = 0;
  double bytes = 0;
};

/// What a model's weights weigh, and which of them one decode step must read.
struct Weights {
  double total_params = 0;
  double total_bytes = 0;
  /// token_embd: a decode step reads one row of it, unless it doubles as the output head.
  double embedding_bytes = 0;
  double embedding_params = 0;
  /// Routed experts of every MoE layer (all E of them); a step reads the share it routes to.
  double routed_expert_bytes = 0;
  double routed_expert_params = 0;
  /// Read on every step whatever the batch: every tensor but the input embedding (unless
  /// tied) and the routed experts.
  double dense_read_bytes = 0;
  /// Parameters multiplied per token outside the routed experts (no embedding lookup).
  double dense_matmul_params = 0;
  int experts = 0;                 ///< routed experts per MoE layer (0 = dense model)
  int experts_used = 0;            ///< routed experts per token
  std::vector<TypeShare> by_type;  ///< ordered by bytes, largest first

  /// total_bytes * 8 / total_params.
  double bits_per_weight() const { return total_params > 0 ? total_bytes * 8.0 / total_params : 0; }
  /// Parameters multiplied per token: dense part plus k/E of the routed experts.
  double matmul_params_per_token() const;
};

/// The GGML type holding the most bytes of `weights` (by_type's first); nullptr when there is
/// none or it is not a GGML type (a published one such as block-scaled FP8).
const GgmlType* dominant_ggml_type(const Weights& weights);

/// Sums a typed tensor list. With `nominal` set, every tensor weighs its elements times the
/// nominal bytes per weight, whatever its type (the source articles' P * n_bytes).
Weights summarize_weights(std::span<const TensorInfo> tensors, const ModelSpec& model,
                          const Quant* nominal = nullptr);

/// The weights of `model` stored as `quant`: its derived tensors typed by the quant's rules.
/// A generic-size model is scaled so that total_params equals its nominal count exactly.
Weights model_weights(const ModelSpec& model, const Quant& quant);

}  // namespace llmroof
