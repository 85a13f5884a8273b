#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/model/model_spec.hpp"

namespace llmroof {

/// One weight tensor, named and shaped as in a GGUF file (llama.cpp's names and dims order:
/// dims[0] is the row length, e.g. "blk.3.ffn_down.weight" is [intermediate, hidden]).
struct TensorInfo {
  std::string name;
  std::vector<std::uint64_t> dims;
  int type = 0;              ///< ggml type id (see quant.hpp); F32 = 0, F16 = 1
  std::uint64_t offset = 0;  ///< GGUF: byte offset in the data section; 0 for derived tensors

  /// Product of dims (1 for a scalar).
  double elements() const;
};

/// What a tensor is, from its GGUF name.
enum class TensorRole {
  token_embd,
  position_embd,
  output,
  norm,  ///< any normalization weight or bias
  attn_q,
  attn_k,
  attn_v,
  attn_qkv,
  attn_output,
  attn_q_a,
  attn_q_b,
  attn_kv_a,
  attn_kv_b,
  attn_k_b,
  attn_v_b,
  attn_sinks,
  ffn_gate,
  ffn_up,
  ffn_down,
  ffn_gate_inp,  ///< MoE router (and its bias, and the expert score bias)
  ffn_gate_exps,
  ffn_up_exps,
  ffn_down_exps,
  ffn_gate_shexp,
  ffn_up_shexp,
  ffn_down_shexp,
  other,
};

/// Role, layer (-1 outside blocks) and whether the tensor is a bias, parsed from a GGUF name.
struct TensorName {
  TensorRole role = TensorRole::other;
  int layer = -1;
  bool bias = false;
};
TensorName classify_tensor(std::string_view name);

/// True for routed-expert tensors (ffn_*_exps), whose bytes are read only for the experts used.
bool is_routed_expert(TensorRole role);

/// The tensors llama.cpp's converter writes for `model`, with their shapes, all typed F16
/// (1-D tensors F32). For a generic-size model: a GPT-style stack with no embedding.
std::vector<TensorInfo> model_tensors(const ModelSpec& model);

/// Sum of the elements of `tensors` (parameters).
double count_total_params(std::span<const TensorInfo> tensors);
/// Parameters used per token: every tensor but the routed experts, plus `experts_used` /
/// `experts` of the routed-expert tensors (all of them when `experts` <= 0).
double count_active_params(std::span<const TensorInfo> tensors, int experts, int experts_used);

}  // namespace llmroof
