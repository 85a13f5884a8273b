#include "llmroof/model/tensors.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmroof/model/model_spec.hpp"

namespace llmroof {

double TensorInfo::elements() const {
  double product = 1;
  for (std::uint64_t d : dims) {
    product *= static_cast<double>(d);
  }
  return product;
}

bool is_routed_expert(TensorRole role) {
  return role == TensorRole::ffn_gate_exps || role == TensorRole::ffn_up_exps ||
         role == TensorRole::ffn_down_exps;
}

namespace {

// GGUF tensor base names (between "blk.N." and ".weight"/".bias") and their roles.
// Longer names that share a prefix are listed separately; lookup is by exact base name.
struct RoleName {
  std::string_view base;
  TensorRole role;
};
constexpr std::array k_role_names{
    RoleName{"token_embd", TensorRole::token_embd},
    RoleName{"position_embd", TensorRole::position_embd},
    RoleName{"token_types", TensorRole::token_embd},  // BERT-style token-type embedding
    RoleName{"output", TensorRole::output},
    RoleName{"attn_q", TensorRole::attn_q},
    RoleName{"attn_k", TensorRole::attn_k},
    RoleName{"attn_v", TensorRole::attn_v},
    RoleName{"attn_qkv", TensorRole::attn_qkv},
    RoleName{"attn_output", TensorRole::attn_output},
    RoleName{"attn_out", TensorRole::attn_output},  // older GGUF spelling
    RoleName{"attn_q_a", TensorRole::attn_q_a},
    RoleName{"attn_q_b", TensorRole::attn_q_b},
    RoleName{"attn_kv_a_mqa", TensorRole::attn_kv_a},
    RoleName{"attn_kv_b", TensorRole::attn_kv_b},
    RoleName{"attn_k_b", TensorRole::attn_k_b},
    RoleName{"attn_v_b", TensorRole::attn_v_b},
    RoleName{"attn_sinks", TensorRole::attn_sinks},
    RoleName{"ffn_gate", TensorRole::ffn_gate},
    RoleName{"ffn_up", TensorRole::ffn_up},
    RoleName{"ffn_down", TensorRole::ffn_down},
    RoleName{"ffn_gate_inp", TensorRole::ffn_gate_inp},
    RoleName{"ffn_gate_inp_shexp", TensorRole::ffn_gate_inp},  // qwen2_moe shared-expert gate
    RoleName{"exp_probs_b", TensorRole::ffn_gate_inp},         // DeepSeek-V3 score bias
    RoleName{"ffn_gate_exps", TensorRole::ffn_gate_exps},
    RoleName{"ffn_up_exps", TensorRole::ffn_up_exps},
    RoleName{"ffn_down_exps", TensorRole::ffn_down_exps},
    RoleName{"ffn_gate_up_exps", TensorRole::ffn_up_exps},  // fused gate+up experts
    RoleName{"ffn_gate_shexp", TensorRole::ffn_gate_shexp},
    RoleName{"ffn_up_shexp", TensorRole::ffn_up_shexp},
    RoleName{"ffn_down_shexp", TensorRole::ffn_down_shexp},
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_norm_base(std::string_view base) {
  // attn_norm, attn_norm_2, ffn_norm, output_norm, post_attention_norm, post_ffw_norm,
  // attn_q_norm, attn_k_norm, attn_q_a_norm, attn_kv_a_norm, layer_output_norm, ...
  return base.find("norm") != std::string_view::npos || base == "ln_1" || base == "ln_2";
}

}  // namespace

TensorName classify_tensor(std::string_view name) {
  TensorName result;
  std::string_view rest = name;
  constexpr std::string_view k_block = "blk.";
  if (rest.substr(0, k_block.size()) == k_block) {
    rest.remove_prefix(k_block.size());
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos) {
      return result;
    }
    int layer = 0;
    const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + dot, layer);
    if (ec != std::errc{} || ptr != rest.data() + dot || layer < 0) {
      return result;
    }
    result.layer = layer;
    rest.remove_prefix(dot + 1);
  }
  if (ends_with(rest, ".weight")) {
    rest.remove_suffix(7);
  } else if (ends_with(rest, ".bias")) {
    rest.remove_suffix(5);
    result.bias = true;
  } else if (ends_with(rest, ".scale")) {
    rest.remove_suffix(6);
  }
  for (const RoleName& entry : k_role_names) {
    if (entry.base == rest) {
      result.role = entry.role;
      return result;
    }
  }
  if (is_norm_base(rest)) {
    result.role = TensorRole::norm;
  }
  return result;
}

double count_active_params(std::span<const TensorInfo> tensors, int experts, int experts_used) {
  double dense = 0;
  double routed = 0;
  for (const TensorInfo& tensor : tensors) {
    if (is_routed_expert(classify_tensor(tensor.name).role)) {
      routed += tensor.elements();
    } else {
      dense += tensor.elements();
    }
  }
  if (experts <= 0 || routed == 0) {
    return dense + routed;
  }
  return dense + routed * static_cast<double>(experts_used) / static_cast<double>(experts);
}

double count_total_params(std::span<const TensorInfo> tensors) {
  double total = 0;
  for (const TensorInfo& tensor : tensors) {
    total += tensor.elements();
  }
  return total;
}

namespace {

using Dims = std::vector<std::uint64_t>;

std::uint64_t u64(std::int64_t value) { return value > 0 ? static_cast<std::uint64_t>(value) : 0; }

/// Appends tensors in file order; 1-D tensors are F32, the rest F16 (what the converter writes
/// for an F16 conversion).
class TensorList {
 public:
  void add(std::string name, Dims dims) {
    const int type = dims.size() <= 1 ? 0 : 1;
    m_tensors.push_back(TensorInfo{std::move(name), std::move(dims), type, 0});
  }
  /// "blk.{layer}.{base}.weight".
  void layer(int layer, std::string_view base, Dims dims) {
    add(fmt::format(FMT_COMPILE("blk.{}.{}.weight"), layer, base), std::move(dims));
  }
  void layer_bias(int layer, std::string_view base, Dims dims) {
    add(fmt::format(FMT_COMPILE("blk.{}.{}.bias"), layer, base), std::move(dims));
  }
  std::vector<TensorInfo> take() { return std::move(m_tensors); }

 private:
  std::vector<TensorInfo> m_tensors;
};

int kv_heads_at(const ModelSpec& model, int layer) {
  if (layer >= 0 && static_cast<std::size_t>(layer) < model.kv_heads_per_layer.size()) {
    return model.kv_heads_per_layer[static_cast<std::size_t>(layer)];
  }
  return model.kv_heads;
}

/// Shape parameters shared by the builders, in elements.
struct Shape {
  std::uint64_t hidden = 0;
  std::uint64_t vocab = 0;
  std::uint64_t q_width = 0;  ///< heads * head_dim
  std::uint64_t head_dim = 0;
  std::uint64_t intermediate = 0;
};

Shape shape_of(const ModelSpec& model) {
  Shape s;
  s.hidden = u64(model.hidden);
  s.vocab = u64(model.vocab);
  s.head_dim = model.head_dim > 0 ? static_cast<std::uint64_t>(model.head_dim)
               : model.heads > 0  ? s.hidden / static_cast<std::uint64_t>(model.heads)
                                  : 0;
  s.q_width = static_cast<std::uint64_t>(std::max(model.heads, 0)) * s.head_dim;
  s.intermediate = u64(model.intermediate);
  return s;
}

std::uint64_t kv_width(const ModelSpec& model, const Shape& s, int layer) {
  return static_cast<std::uint64_t>(std::max(kv_heads_at(model, layer), 0)) * s.head_dim;
}

void add_embeddings(TensorList& list, const Shape& s) {
  list.add("token_embd.weight", {s.hidden, s.vocab});
}

void add_head(TensorList& list, const ModelSpec& model, const Shape& s, bool norm_bias) {
  list.add("output_norm.weight", {s.hidden});
  if (norm_bias) {
    list.add("output_norm.bias", {s.hidden});
  }
  if (!model.tied_embeddings) {
    list.add("output.weight", {s.hidden, s.vocab});
  }
}

/// Separate q/k/v/o projections (llama layout), optionally with biases.
void add_attention_qkvo(TensorList& list, const ModelSpec& model, const Shape& s, int layer,
                        bool qkv_bias, bool out_bias) {
  const std::uint64_t kv = kv_width(model, s, layer);
  list.layer(layer, "attn_q", {s.hidden, s.q_width});
  if (qkv_bias) {
    list.layer_bias(layer, "attn_q", {s.q_width});
  }
  list.layer(layer, "attn_k", {s.hidden, kv});
  if (qkv_bias) {
    list.layer_bias(layer, "attn_k", {kv});
  }
  list.layer(layer, "attn_v", {s.hidden, kv});
  if (qkv_bias) {
    list.layer_bias(layer, "attn_v", {kv});
  }
  list.layer(layer, "attn_output", {s.q_width, s.hidden});
  if (out_bias) {
    list.layer_bias(layer, "attn_output", {s.hidden});
  }
}

void add_gated_ffn(TensorList& list, const Shape& s, int layer, std::uint64_t width) {
  list.layer(layer, "ffn_gate", {s.hidden, width});
  list.layer(layer, "ffn_up", {s.hidden, width});
  list.layer(layer, "ffn_down", {width, s.hidden});
}

/// Router plus E routed experts of width `width` (stacked along dims[2]).
void add_routed_experts(TensorList& list, const Shape& s, int layer, std::uint64_t experts,
                        std::uint64_t width, bool biases) {
  list.layer(layer, "ffn_gate_inp", {s.hidden, experts});
  if (biases) {
    list.layer_bias(layer, "ffn_gate_inp", {experts});
  }
  list.layer(layer, "ffn_gate_exps", {s.hidden, width, experts});
  if (biases) {
    list.layer_bias(layer, "ffn_gate_exps", {width, experts});
  }
  list.layer(layer, "ffn_up_exps", {s.hidden, width, experts});
  if (biases) {
    list.layer_bias(layer, "ffn_up_exps", {width, experts});
  }
  list.layer(layer, "ffn_down_exps", {width, s.hidden, experts});
  if (biases) {
    list.layer_bias(layer, "ffn_down_exps", {s.hidden, experts});
  }
}

void add_shared_experts(TensorList& list, const Shape& s, int layer, std::uint64_t width) {
  list.layer(layer, "ffn_gate_shexp", {s.hidden, width});
  list.layer(layer, "ffn_up_shexp", {s.hidden, width});
  list.layer(layer, "ffn_down_shexp", {width, s.hidden});
}

bool is_moe_layer(const ModelSpec& model, int layer) {
  return model.moe.has_value() && model.moe->experts > 0 && layer >= model.moe->dense_layers_first;
}

std::uint64_t dense_width(const ModelSpec& model, const Shape& s) {
  if (model.moe && model.moe->dense_intermediate > 0) {
    return u64(model.moe->dense_intermediate);
  }
  return s.intermediate;
}

/// FFN of a llama-family layer: dense SwiGLU, or router + routed experts (+ shared experts).
void add_llama_ffn(TensorList& list, const ModelSpec& model, const Shape& s, int layer) {
  if (!is_moe_layer(model, layer)) {
    add_gated_ffn(list, s, layer, dense_width(model, s));
    return;
  }
  const MoeSpec& moe = *model.moe;
  const std::uint64_t expert_width =
      moe.expert_intermediate > 0 ? u64(moe.expert_intermediate) : s.intermediate;
  add_routed_experts(list, s, layer, static_cast<std::uint64_t>(moe.experts), expert_width, false);
  if (moe.shared_experts > 0) {
    const std::uint64_t one =
        moe.shared_expert_intermediate > 0 ? u64(moe.shared_expert_intermediate) : expert_width;
    add_shared_experts(list, s, layer, one * static_cast<std::uint64_t>(moe.shared_experts));
  }
}

// llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, and a generic config.
std::vector<TensorInfo> llama_like(const ModelSpec& model, bool qkv_bias, bool qk_norm) {
  const Shape s = shape_of(model);
  TensorList list;
  add_embeddings(list, s);
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    add_attention_qkvo(list, model, s, layer, qkv_bias, false);
    if (qk_norm) {
      list.layer(layer, "attn_q_norm", {s.head_dim});
      list.layer(layer, "attn_k_norm", {s.head_dim});
    }
    list.layer(layer, "ffn_norm", {s.hidden});
    add_llama_ffn(list, model, s, layer);
    if (model.architecture == Architecture::qwen2_moe && is_moe_layer(model, layer) &&
        model.moe->shared_experts > 0) {
      list.layer(layer, "ffn_gate_inp_shexp", {s.hidden});
    }
  }
  add_head(list, model, s, false);
  return list.take();
}

std::vector<TensorInfo> deepseek(const ModelSpec& model) {
  const Shape s = shape_of(model);
  const MlaSpec mla = model.mla.value_or(MlaSpec{});
  const auto heads = static_cast<std::uint64_t>(std::max(model.heads, 0));
  const auto q_lora = static_cast<std::uint64_t>(std::max(mla.q_lora_rank, 0));
  const auto kv_lora = static_cast<std::uint64_t>(std::max(mla.kv_lora_rank, 0));
  const auto rope = static_cast<std::uint64_t>(std::max(mla.qk_rope_head_dim, 0));
  const auto nope = static_cast<std::uint64_t>(std::max(mla.qk_nope_head_dim, 0));
  const auto v_dim = static_cast<std::uint64_t>(std::max(mla.v_head_dim, 0));
  TensorList list;
  add_embeddings(list, s);
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    if (q_lora > 0) {
      list.layer(layer, "attn_q_a_norm", {q_lora});
      list.layer(layer, "attn_q_a", {s.hidden, q_lora});
      list.layer(layer, "attn_q_b", {q_lora, heads * (nope + rope)});
    } else {
      list.layer(layer, "attn_q", {s.hidden, heads * (nope + rope)});
    }
    list.layer(layer, "attn_kv_a_norm", {kv_lora});
    list.layer(layer, "attn_kv_a_mqa", {s.hidden, kv_lora + rope});
    list.layer(layer, "attn_kv_b", {kv_lora, heads * (nope + v_dim)});
    list.layer(layer, "attn_output", {heads * v_dim, s.hidden});
    list.layer(layer, "ffn_norm", {s.hidden});
    if (!is_moe_layer(model, layer)) {
      add_gated_ffn(list, s, layer, dense_width(model, s));
      continue;
    }
    const MoeSpec& moe = *model.moe;
    const auto experts = static_cast<std::uint64_t>(moe.experts);
    const std::uint64_t width = u64(moe.expert_intermediate);
    list.layer(layer, "ffn_gate_inp", {s.hidden, experts});
    if (model.architecture == Architecture::deepseek_v3) {
      list.layer_bias(layer, "exp_probs_b", {experts});
    }
    list.layer(layer, "ffn_gate_exps", {s.hidden, width, experts});
    list.layer(layer, "ffn_up_exps", {s.hidden, width, experts});
    list.layer(layer, "ffn_down_exps", {width, s.hidden, experts});
    if (moe.shared_experts > 0) {
      const std::uint64_t one =
          moe.shared_expert_intermediate > 0 ? u64(moe.shared_expert_intermediate) : width;
      add_shared_experts(list, s, layer, one * static_cast<std::uint64_t>(moe.shared_experts));
    }
  }
  add_head(list, model, s, false);
  return list.take();
}

std::vector<TensorInfo> gpt_oss(const ModelSpec& model) {
  const Shape s = shape_of(model);
  TensorList list;
  add_embeddings(list, s);
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    add_attention_qkvo(list, model, s, layer, true, true);
    list.layer(layer, "attn_sinks", {static_cast<std::uint64_t>(std::max(model.heads, 0))});
    list.layer(layer, "post_attention_norm", {s.hidden});
    const std::uint64_t experts = model.moe ? static_cast<std::uint64_t>(model.moe->experts) : 0;
    const std::uint64_t width = model.moe && model.moe->expert_intermediate > 0
                                    ? u64(model.moe->expert_intermediate)
                                    : s.intermediate;
    add_routed_experts(list, s, layer, experts, width, true);
  }
  add_head(list, model, s, false);
  return list.take();
}

std::vector<TensorInfo> gemma(const ModelSpec& model, bool qk_norm) {
  const Shape s = shape_of(model);
  TensorList list;
  add_embeddings(list, s);
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    add_attention_qkvo(list, model, s, layer, false, false);
    if (qk_norm) {
      list.layer(layer, "attn_q_norm", {s.head_dim});
      list.layer(layer, "attn_k_norm", {s.head_dim});
    }
    list.layer(layer, "post_attention_norm", {s.hidden});
    list.layer(layer, "ffn_norm", {s.hidden});
    add_gated_ffn(list, s, layer, s.intermediate);
    list.layer(layer, "post_ffw_norm", {s.hidden});
  }
  add_head(list, model, s, false);
  return list.take();
}

std::vector<TensorInfo> phi3(const ModelSpec& model) {
  const Shape s = shape_of(model);
  TensorList list;
  add_embeddings(list, s);
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    list.layer(layer, "attn_qkv", {s.hidden, s.q_width + 2 * kv_width(model, s, layer)});
    list.layer(layer, "attn_output", {s.q_width, s.hidden});
    list.layer(layer, "ffn_norm", {s.hidden});
    list.layer(layer, "ffn_up", {s.hidden, 2 * s.intermediate});  // fused gate_up_proj
    list.layer(layer, "ffn_down", {s.intermediate, s.hidden});
  }
  add_head(list, model, s, false);
  return list.take();
}

// Falcon: parallel attention and MLP off one LayerNorm (7B); the "new decoder architecture"
// (40B/180B, grouped KV heads) has a second LayerNorm (attn_norm_2) for the MLP branch.
std::vector<TensorInfo> falcon(const ModelSpec& model) {
  const Shape s = shape_of(model);
  const std::uint64_t width = s.intermediate > 0 ? s.intermediate : 4 * s.hidden;
  TensorList list;
  add_embeddings(list, s);
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    list.layer_bias(layer, "attn_norm", {s.hidden});
    if (kv_heads_at(model, layer) > 1) {
      list.layer(layer, "attn_norm_2", {s.hidden});
      list.layer_bias(layer, "attn_norm_2", {s.hidden});
    }
    list.layer(layer, "attn_qkv", {s.hidden, s.q_width + 2 * kv_width(model, s, layer)});
    list.layer(layer, "attn_output", {s.q_width, s.hidden});
    list.layer(layer, "ffn_up", {s.hidden, width});
    list.layer(layer, "ffn_down", {width, s.hidden});
  }
  add_head(list, model, s, true);
  return list.take();
}

std::vector<TensorInfo> gpt2(const ModelSpec& model) {
  const Shape s = shape_of(model);
  const std::uint64_t width = s.intermediate > 0 ? s.intermediate : 4 * s.hidden;
  TensorList list;
  add_embeddings(list, s);
  list.add("position_embd.weight", {s.hidden, u64(model.max_context)});
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    list.layer_bias(layer, "attn_norm", {s.hidden});
    const std::uint64_t qkv = s.q_width + 2 * kv_width(model, s, layer);
    list.layer(layer, "attn_qkv", {s.hidden, qkv});
    list.layer_bias(layer, "attn_qkv", {qkv});
    list.layer(layer, "attn_output", {s.q_width, s.hidden});
    list.layer_bias(layer, "attn_output", {s.hidden});
    list.layer(layer, "ffn_norm", {s.hidden});
    list.layer_bias(layer, "ffn_norm", {s.hidden});
    list.layer(layer, "ffn_up", {s.hidden, width});
    list.layer_bias(layer, "ffn_up", {width});
    list.layer(layer, "ffn_down", {width, s.hidden});
    list.layer_bias(layer, "ffn_down", {s.hidden});
  }
  add_head(list, model, s, true);
  return list.take();
}

// OPT: learned positions with llama.cpp-style names; the position table has 2 extra rows
// (OPT's learned-position offset).
std::vector<TensorInfo> opt(const ModelSpec& model) {
  const Shape s = shape_of(model);
  const std::uint64_t width = s.intermediate > 0 ? s.intermediate : 4 * s.hidden;
  TensorList list;
  add_embeddings(list, s);
  list.add("position_embd.weight", {s.hidden, u64(model.max_context) + 2});
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_norm", {s.hidden});
    list.layer_bias(layer, "attn_norm", {s.hidden});
    add_attention_qkvo(list, model, s, layer, true, true);
    list.layer(layer, "ffn_norm", {s.hidden});
    list.layer_bias(layer, "ffn_norm", {s.hidden});
    list.layer(layer, "ffn_up", {s.hidden, width});
    list.layer_bias(layer, "ffn_up", {width});
    list.layer(layer, "ffn_down", {width, s.hidden});
    list.layer_bias(layer, "ffn_down", {s.hidden});
  }
  add_head(list, model, s, true);
  return list.take();
}

// A shorthand size: 12 * hidden^2 per layer, nothing else (the caller scales to the count).
std::vector<TensorInfo> generic_stack(const ModelSpec& model) {
  const std::uint64_t h = u64(model.hidden);
  TensorList list;
  for (int layer = 0; layer < model.layers; ++layer) {
    list.layer(layer, "attn_q", {h, h});
    list.layer(layer, "attn_k", {h, h});
    list.layer(layer, "attn_v", {h, h});
    list.layer(layer, "attn_output", {h, h});
    list.layer(layer, "ffn_up", {h, 4 * h});
    list.layer(layer, "ffn_down", {4 * h, h});
  }
  return list.take();
}

}  // namespace

std::vector<TensorInfo> model_tensors(const ModelSpec& model) {
  switch (model.architecture) {
    case Architecture::llama:
    case Architecture::mistral:
    case Architecture::mixtral:
      return llama_like(model, false, false);
    case Architecture::qwen2:
    case Architecture::qwen2_moe:
      return llama_like(model, true, false);
    case Architecture::qwen3:
    case Architecture::qwen3_moe:
      return llama_like(model, false, true);
    case Architecture::deepseek_v2:
    case Architecture::deepseek_v3:
      return deepseek(model);
    case Architecture::gpt_oss:
      return gpt_oss(model);
    case Architecture::gemma2:
      return gemma(model, false);
    case Architecture::gemma3:
      return gemma(model, true);
    case Architecture::phi3:
      return phi3(model);
    case Architecture::falcon:
      return falcon(model);
    case Architecture::gpt2:
      return gpt2(model);
    case Architecture::opt:
      return opt(model);
    case Architecture::generic:
      // A config.json of an unknown family is read as a llama-style decoder (the common
      // fields); a shorthand size is the bare 12 * L * H^2 stack.
      return model.generic_size ? generic_stack(model) : llama_like(model, false, false);
  }
  return {};
}

}  // namespace llmroof
