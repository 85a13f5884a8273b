#include "llmroof/model/weights.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace llmroof {

const GgmlType* dominant_ggml_type(const Weights& weights) {
  return weights.by_type.empty() ? nullptr : find_ggml_type(weights.by_type.front().type);
}

double Weights::matmul_params_per_token() const {
  const double routed_share =
      experts > 0 ? static_cast<double>(experts_used) / static_cast<double>(experts) : 0.0;
  return dense_matmul_params + routed_expert_params * routed_share;
}

Weights summarize_weights(std::span<const TensorInfo> tensors, const ModelSpec& model,
                          const Quant* nominal) {
  Weights w;
  w.experts = model.moe ? model.moe->experts : 0;
  w.experts_used = model.moe ? model.moe->experts_used : 0;
  // Each tensor's role, read from its name once.
  std::vector<TensorRole> roles;
  roles.reserve(tensors.size());
  bool has_output = false;
  for (const auto& t : tensors) {
    roles.push_back(classify_tensor(t.name).role);
    has_output = has_output || roles.back() == TensorRole::output;
  }
  std::map<int, TypeShare> shares;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& t = tensors[i];
    const TensorRole role = roles[i];
    const double params = t.elements();
    double bytes = 0;
    if (nominal != nullptr && nominal->kind == QuantKind::nominal) {
      bytes = params * nominal->nominal_bytes_per_weight;
    } else if (auto exact = weight_tensor_bytes(t.type, t.dims)) {
      bytes = static_cast<double>(*exact);
    }
    w.total_params += params;
    w.total_bytes += bytes;
    auto& share = shares[t.type];
    share.type = t.type;
    share.params += params;
    share.bytes += bytes;

    if (role == TensorRole::token_embd) {
      w.embedding_bytes += bytes;
      w.embedding_params += params;
      // Without an output head the embedding matrix is the head: read and multiplied in full.
      if (!has_output) {
        w.dense_read_bytes += bytes;
        w.dense_matmul_params += params;
      }
    } else if (role == TensorRole::position_embd) {
      // One row per token, like the token embedding.
    } else if (is_routed_expert(role)) {
      w.routed_expert_bytes += bytes;
      w.routed_expert_params += params;
    } else {
      w.dense_read_bytes += bytes;
      w.dense_matmul_params += params;
    }
  }
  for (const auto& [type, share] : shares) {
    w.by_type.push_back(share);
  }
  std::stable_sort(w.by_type.begin(), w.by_type.end(),
                   [](const TypeShare& a, const TypeShare& b) { return a.bytes > b.bytes; });
  return w;
}

Weights model_weights(const ModelSpec& model, const Quant& quant) {
  std::vector<TensorInfo> tensors = model_tensors(model);
  assign_types(tensors, quant, model);
  Weights w = summarize_weights(tensors, model, &quant);
  if (model.generic_size && w.total_params > 0) {
    // The derived shape only approximates the nominal count; scale every total to it so that
    // weights = P * bytes per weight exactly, as in the source articles.
    const double scale = model.total_params / w.total_params;
    w.total_params *= scale;
    w.total_bytes *= scale;
    w.embedding_bytes *= scale;
    w.embedding_params *= scale;
    w.routed_expert_bytes *= scale;
    w.routed_expert_params *= scale;
    w.dense_read_bytes *= scale;
    w.dense_matmul_params *= scale;
    for (auto& share : w.by_type) {
      share.params *= scale;
      share.bytes *= scale;
    }
  }
  return w;
}

}  // namespace llmroof
