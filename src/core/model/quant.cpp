#include "llmroof/model/quant.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <utility>

#include "llmroof/util/lookup.hpp"
#include "util/checked.hpp"

namespace llmroof {

namespace {

// ggml's type table (include/ggml.h enum ggml_type; block sizes from src/ggml-common.h's
// static_asserts). Removed ids keep their slot with 0 elements per block.
constexpr std::array<GgmlType, 43> k_types = {{
    {0, "F32", 1, 4, true},
    {1, "F16", 1, 2, true},
    {2, "Q4_0", 32, 18, true},
    {3, "Q4_1", 32, 20, true},
    {4, "Q4_2", 0, 0, false},  // removed
    {5, "Q4_3", 0, 0, false},  // removed
    {6, "Q5_0", 32, 22, true},
    {7, "Q5_1", 32, 24, true},
    {8, "Q8_0", 32, 34, true},
    {9, "Q8_1", 32, 36, false},  // runtime activation type (gguf-py's 40 is stale)
    {10, "Q2_K", 256, 84, true},
    {11, "Q3_K", 256, 110, true},
    {12, "Q4_K", 256, 144, true},
    {13, "Q5_K", 256, 176, true},
    {14, "Q6_K", 256, 210, true},
    {15, "Q8_K", 256, 292, false},  // intermediate dot-product type
    {16, "IQ2_XXS", 256, 66, true},
    {17, "IQ2_XS", 256, 74, true},
    {18, "IQ3_XXS", 256, 98, true},
    {19, "IQ1_S", 256, 50, true},
    {20, "IQ4_NL", 32, 18, true},
    {21, "IQ3_S", 256, 110, true},
    {22, "IQ2_S", 256, 82, true},
    {23, "IQ4_XS", 256, 136, true},
    {24, "I8", 1, 1, true},
    {25, "I16", 1, 2, true},
    {26, "I32", 1, 4, true},
    {27, "I64", 1, 8, true},
    {28, "F64", 1, 8, true},
    {29, "IQ1_M", 256, 56, true},
    {30, "BF16", 1, 2, true},
    {31, "Q4_0_4_4", 0, 0, false},  // removed: Q4_0 with runtime repacking
    {32, "Q4_0_4_8", 0, 0, false},
    {33, "Q4_0_8_8", 0, 0, false},
    {34, "TQ1_0", 256, 54, true},
    {35, "TQ2_0", 256, 66, true},
    {36, "IQ4_NL_4_4", 0, 0, false},  // removed
    {37, "IQ4_NL_4_8", 0, 0, false},
    {38, "IQ4_NL_8_8", 0, 0, false},
    {39, "MXFP4", 32, 17, true},
    {40, "NVFP4", 64, 36, true},
    {41, "Q1_0", 128, 18, true},
    {42, "Q2_0", 64, 18, true},
}};

// llama_ftype ids of the presets (llama.h).
namespace ft {
constexpr int all_f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 7, q5_0 = 8, q5_1 = 9, q2_k = 10,
              q3_k_s = 11, q3_k_m = 12, q3_k_l = 13, q4_k_s = 14, q4_k_m = 15, q5_k_s = 16,
              q5_k_m = 17, q6_k = 18, iq2_xxs = 19, iq2_xs = 20, q2_k_s = 21, iq3_xs = 22,
              iq3_xxs = 23, iq1_s = 24, iq4_nl = 25, iq3_s = 26, iq3_m = 27, iq2_s = 28, iq2_m = 29,
              iq4_xs = 30, iq1_m = 31, bf16 = 32, tq1_0 = 36, tq2_0 = 37, mxfp4_moe = 38;
}

struct PresetRow {
  std::string_view id;
  int ftype;
  int base_type;
  std::string_view description;
};

// llama.cpp's ftype presets (tools/quantize/quantize.cpp descriptions, llama.h ids).
constexpr std::array<PresetRow, 33> k_presets = {{
    {"f32", ft::all_f32, ggml::f32, "llama.cpp F32 file: every tensor F32"},
    {"f16", ft::f16, ggml::f16, "llama.cpp F16 file: 2-D tensors F16, 1-D F32"},
    {"gguf_bf16", ft::bf16, ggml::bf16, "llama.cpp BF16 file: 2-D tensors BF16, 1-D F32"},
    {"q8_0", ft::q8_0, ggml::q8_0, "Q8_0 everywhere, output included"},
    {"q6_k", ft::q6_k, ggml::q6_k, "Q6_K everywhere, output included"},
    {"q5_k_m", ft::q5_k_m, ggml::q5_k, "Q5_K; attn_v/ffn_down Q6_K in about half the layers"},
    {"q5_k_s", ft::q5_k_s, ggml::q5_k, "Q5_K everywhere; output Q6_K"},
    {"q5_1", ft::q5_1, ggml::q5_1, "legacy Q5_1; output Q6_K"},
    {"q5_0", ft::q5_0, ggml::q5_0, "legacy Q5_0; output Q6_K"},
    {"q4_k_m", ft::q4_k_m, ggml::q4_k, "Q4_K; attn_v/ffn_down Q6_K in about half the layers"},
    {"q4_k_s", ft::q4_k_s, ggml::q4_k, "Q4_K; first layers' attn_v/ffn_down Q5_K; output Q6_K"},
    {"q4_1", ft::q4_1, ggml::q4_1, "legacy Q4_1; output Q6_K"},
    {"q4_0", ft::q4_0, ggml::q4_0, "legacy Q4_0; output Q6_K"},
    {"iq4_xs", ft::iq4_xs, ggml::iq4_xs, "IQ4_XS (4.25 bpw); output Q6_K"},
    {"iq4_nl", ft::iq4_nl, ggml::iq4_nl, "IQ4_NL (4.5 bpw, non-linear); output Q6_K"},
    {"q3_k_l", ft::q3_k_l, ggml::q3_k, "Q3_K; attn_v/ffn_down/attn_output Q5_K"},
    {"q3_k_m", ft::q3_k_m, ggml::q3_k, "Q3_K; attn_v/ffn_down/attn_output Q4_K or Q5_K"},
    {"q3_k_s", ft::q3_k_s, ggml::q3_k, "Q3_K everywhere; output Q6_K"},
    {"iq3_m", ft::iq3_m, ggml::iq3_s, "IQ3_S mix with Q4_K attn_v/attn_output (3.66 bpw)"},
    {"iq3_s", ft::iq3_s, ggml::iq3_s, "IQ3_S (3.44 bpw)"},
    {"iq3_xs", ft::iq3_xs, ggml::iq3_s, "IQ3_S/IQ3_XXS mix (3.3 bpw)"},
    {"iq3_xxs", ft::iq3_xxs, ggml::iq3_xxs, "IQ3_XXS (3.06 bpw), importance matrix"},
    {"q2_k", ft::q2_k, ggml::q2_k, "Q2_K with Q3_K/Q4_K attn_v and ffn_down"},
    {"q2_k_s", ft::q2_k_s, ggml::q2_k, "Q2_K, smaller mix"},
    {"iq2_m", ft::iq2_m, ggml::iq2_s, "IQ2_S mix (2.7 bpw), importance matrix"},
    {"iq2_s", ft::iq2_s, ggml::iq2_xs, "IQ2_XS mix (2.5 bpw), importance matrix"},
    {"iq2_xs", ft::iq2_xs, ggml::iq2_xs, "IQ2_XS (2.31 bpw), importance matrix"},
    {"iq2_xxs", ft::iq2_xxs, ggml::iq2_xxs, "IQ2_XXS (2.06 bpw), importance matrix"},
    {"iq1_m", ft::iq1_m, ggml::iq1_m, "IQ1_M (1.75 bpw), importance matrix"},
    {"iq1_s", ft::iq1_s, ggml::iq1_s, "IQ1_S (1.56 bpw), importance matrix"},
    {"tq2_0", ft::tq2_0, ggml::tq2_0, "ternary TQ2_0 (2.06 bpw) for ternary models"},
    {"tq1_0", ft::tq1_0, ggml::tq1_0, "ternary TQ1_0 (1.69 bpw) for ternary models"},
    {"mxfp4_moe", ft::mxfp4_moe, ggml::mxfp4, "MXFP4 experts, Q8_0 elsewhere (gpt-oss)"},
}};

std::vector<Quant> build_quants() {
  std::vector<Quant> quants;
  // The source articles' flat sizes: P * n_bytes, no block scales.
  struct Nominal {
    std::string_view id;
    double bytes;
    Precision compute;
    std::string_view description;
  };
  // nf4: bitsandbytes' 4-bit NormalFloat, one FP32 absmax per block of 64 weights (the
  // default blocksize=64 of bitsandbytes' quantize_4bit, without double quantization):
  // 4 + 32/64 = 4.5 bits (QLoRA, https://arxiv.org/abs/2305.14314, section 3).
  // awq/gptq: 4-bit weights packed 8 to an int32, per group of 128 input rows one FP16 scale
  // and one 4-bit zero point (qzeros packed 8 to an int32) per output column: 4 + (16 + 4)/128
  // = 4.15625 bits; GPTQ's g_idx adds 32 bits per input row, under 0.01 bits per weight
  // (tensor shapes in https://github.com/vllm-project/vllm/blob/main/vllm/model_executor/layers/
  // quantization/awq.py and gptq.py).
  constexpr double k_group_bytes = (4.0 + (16.0 + 4.0) / 128.0) / 8.0;
  const std::array<Nominal, 9> nominal = {{
      {"fp32", 4.0, Precision::fp32, "every weight 4 bytes, FP32 math"},
      {"fp16", 2.0, Precision::fp16, "every weight 2 bytes, FP16 math"},
      {"bf16", 2.0, Precision::bf16, "every weight 2 bytes, BF16 math"},
      {"fp8", 1.0, Precision::fp8, "every weight 1 byte, FP8 math where the device has it"},
      {"int8", 1.0, Precision::int8, "every weight 1 byte, INT8 math where the device has it"},
      {"int4", 0.5, Precision::int4, "every weight 0.5 bytes, INT4 math where the device has it"},
      {"nf4", 4.5 / 8.0, Precision::fp16,
       "bitsandbytes NF4: 4-bit codes + FP32 absmax per 64 weights (4.5 bits), FP16 math"},
      {"awq", k_group_bytes, Precision::fp16,
       "4-bit AWQ, group 128: FP16 scale + 4-bit zero per group (4.156 bits), FP16 math"},
      {"gptq", k_group_bytes, Precision::fp16,
       "4-bit GPTQ, group 128: FP16 scale + 4-bit zero per group (4.156 bits), FP16 math"},
  }};
  for (const auto& n : nominal) {
    Quant q;
    q.id = std::string(n.id);
    q.kind = QuantKind::nominal;
    q.nominal_bytes_per_weight = n.bytes;
    q.compute = n.compute;
    q.description = std::string(n.description);
    quants.push_back(std::move(q));
  }
  for (const auto& p : k_presets) {
    Quant q;
    q.id = std::string(p.id);
    q.kind = QuantKind::preset;
    q.type = p.base_type;
    q.ftype = p.ftype;
    q.compute = Precision::fp16;
    q.description = std::string(p.description);
    quants.push_back(std::move(q));
  }
  // Checkpoints published quantized, as their config.json's quantization_config describes.
  // gpt-oss: quant_method mxfp4 with the attention, router, embeddings and head in
  // modules_to_not_convert, i.e. the routed experts in OCP MXFP4 (4-bit E2M1 codes and one
  // E8M0 scale per 32 weights: 4.25 bits, ggml's MXFP4 block) and every other weight BF16
  // (https://huggingface.co/openai/gpt-oss-20b/blob/main/config.json).
  {
    Quant q;
    q.id = "mxfp4_bf16";
    q.kind = QuantKind::published;
    q.type = ggml::mxfp4;
    q.compute = Precision::bf16;
    q.description = "as published (gpt-oss): MXFP4 routed experts (4.25 bits), BF16 elsewhere";
    quants.push_back(std::move(q));
  }
  // DeepSeek-V3/R1: quant_method fp8, fmt e4m3, weight_block_size [128, 128]: every linear
  // layer's weight is FP8 with a weight_scale_inv tensor of one FP32 per 128x128 block
  // (8 + 32/16384 bits per weight); the embedding, the head, the router and the norms stay
  // BF16 (https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json, and the
  // checkpoint's model.safetensors.index.json, which lists a weight_scale_inv per linear layer).
  {
    Quant q;
    q.id = "fp8_b128";
    q.kind = QuantKind::published;
    q.type = published_type::fp8_e4m3_block128;
    q.compute = Precision::fp8;
    q.covers_linear_layers = true;
    q.description =
        "as published (DeepSeek-V3/R1): FP8 E4M3 linear layers with an FP32 scale per 128x128 "
        "block (8.002 bits), BF16 embedding, head and router";
    quants.push_back(std::move(q));
  }
  // Bare types: one type for every quantizable tensor, under names no preset uses.
  std::vector<std::string> taken_keys;
  taken_keys.reserve(quants.size());
  for (const Quant& q : quants) {
    taken_keys.push_back(normalize_key(q.id));
  }
  for (const auto& t : k_types) {
    if (t.removed()) {
      continue;
    }
    std::string id;
    for (char c : t.name) {
      id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (std::find(taken_keys.begin(), taken_keys.end(), normalize_key(id)) != taken_keys.end()) {
      id = "type:" + id;
    }
    taken_keys.push_back(normalize_key(id));
    Quant q;
    q.id = id;
    q.kind = QuantKind::ggml_type;
    q.type = t.id;
    q.compute = Precision::fp16;
    q.description = fmt::format("{} for every 2-D tensor ({:.4g} bits per weight){}", t.name,
                                t.bits_per_weight(), t.stored ? "" : "; runtime-only type");
    quants.push_back(std::move(q));
  }
  return quants;
}

bool is_any_of(int value, std::initializer_list<int> values) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// llama-quantize leaves these tensors in the converter's type.
bool is_quantizable(const TensorInfo& t) {
  if (t.dims.size() < 2) {
    return false;
  }
  const std::string_view name = t.name;
  if (contains(name, "_norm.weight")) {
    return false;
  }
  const TensorName tn = classify_tensor(name);
  return tn.role != TensorRole::ffn_gate_inp && tn.role != TensorRole::position_embd;
}

bool use_more_bits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

struct PresetState {
  int n_attention_wv = 0;
  int n_ffn_down = 0;
  int n_ffn_gate = 0;
  int n_ffn_up = 0;
  int i_attention_wv = 0;
  int i_ffn_down = 0;
  int i_ffn_gate = 0;
  int i_ffn_up = 0;
  bool has_output = false;
  bool has_imatrix = false;
  int n_expert = 0;
  int n_gqa = 1;
  bool is_70b = false;
  bool falcon = false;
};

int fallback_type(int type, std::uint64_t row) {
  int fallback = type;
  switch (type) {
    case ggml::tq1_0:
    case ggml::tq2_0:
      fallback = ggml::q4_0;
      break;
    case ggml::iq2_xxs:
    case ggml::iq2_xs:
    case ggml::iq2_s:
    case ggml::iq3_xxs:
    case ggml::iq3_s:
    case ggml::iq1_s:
    case ggml::iq1_m:
    case ggml::q2_k:
    case ggml::q3_k:
    case ggml::iq4_xs:
      fallback = ggml::iq4_nl;
      break;
    case ggml::q4_k:
      fallback = ggml::q5_0;
      break;
    case ggml::q5_k:
      fallback = ggml::q5_1;
      break;
    case ggml::q6_k:
      fallback = ggml::q8_0;
      break;
    default:
      fallback = ggml::f16;
      break;
  }
  const auto* info = find_ggml_type(fallback);
  if (info == nullptr || row % static_cast<std::uint64_t>(info->block_elements) != 0) {
    fallback = ggml::f16;
  }
  return fallback;
}

// One tensor through llama.cpp's llama_tensor_get_type (src/llama-quant.cpp).
int tensor_type(int ftype, int new_type, const TensorInfo& tensor, PresetState& qs) {
  const std::string_view name = tensor.name;
  const std::uint64_t nx = tensor.dims.empty() ? 1 : tensor.dims[0];
  const auto block = [](int type) {
    const auto* info = find_ggml_type(type);
    return static_cast<std::uint64_t>(
        info != nullptr && info->block_elements > 0 ? info->block_elements : 1);
  };
  const auto layer_of = [&](int counter, int count) {
    if (qs.n_expert > 1) {
      const TensorName tn = classify_tensor(name);
      return std::pair<int, int>(tn.layer, count);
    }
    return std::pair<int, int>(counter, count);
  };
  const bool iq_low =
      is_any_of(ftype, {ft::iq2_xxs, ft::iq2_xs, ft::iq1_s, ft::iq2_s, ft::iq2_m, ft::iq1_m});

  if (name == "output.weight" || (!qs.has_output && name == "token_embd.weight")) {
    if (ftype == ft::mxfp4_moe) {
      new_type = ggml::q8_0;
    } else if (qs.falcon || nx % block(new_type) != 0) {
      new_type = ggml::q8_0;
    } else if (is_any_of(ftype, {ft::iq2_xxs, ft::iq2_xs, ft::iq3_xxs, ft::iq1_s, ft::iq2_s,
                                 ft::iq2_m, ft::iq1_m})) {
      new_type = ggml::q5_k;
    } else if (new_type != ggml::q8_0) {
      new_type = ggml::q6_k;
    }
  } else if (ftype == ft::mxfp4_moe) {
    new_type = tensor.dims.size() > 2 && tensor.dims[2] > 1 ? ggml::mxfp4 : ggml::q8_0;
  } else if (name == "token_embd.weight") {
    if (is_any_of(ftype, {ft::iq2_xxs, ft::iq2_xs, ft::iq1_s, ft::iq1_m})) {
      new_type = ggml::q2_k;
    } else if (is_any_of(ftype, {ft::iq2_s, ft::iq2_m, ft::iq3_xxs})) {
      new_type = ggml::iq3_s;
    } else if (is_any_of(ftype, {ft::tq1_0, ft::tq2_0})) {
      new_type = ggml::q4_k;
    }
  } else if (iq_low) {
    const bool iq2_s_or_m = is_any_of(ftype, {ft::iq2_s, ft::iq2_m});
    if (contains(name, "attn_v.weight")) {
      if (qs.n_gqa >= 4 || qs.n_expert >= 4) {
        new_type = ggml::q4_k;
      } else {
        new_type = iq2_s_or_m ? ggml::iq3_s : ggml::q2_k;
      }
      ++qs.i_attention_wv;
    } else if (qs.n_expert == 8 && contains(name, "attn_k.weight")) {
      new_type = ggml::q4_k;
    } else if (contains(name, "ffn_down")) {
      if (qs.i_ffn_down < qs.n_ffn_down / 8) {
        new_type = iq2_s_or_m ? ggml::iq3_s : ggml::q2_k;
      }
      ++qs.i_ffn_down;
    } else if (contains(name, "attn_output.weight")) {
      if (qs.n_expert == 8) {
        new_type = ggml::q5_k;
      } else if (is_any_of(ftype, {ft::iq1_s, ft::iq1_m})) {
        new_type = ggml::iq2_xxs;
      } else if (iq2_s_or_m) {
        new_type = ggml::iq3_s;
      }
    }
  } else if (contains(name, "attn_v.weight")) {
    if (ftype == ft::q2_k) {
      new_type = qs.n_gqa >= 4 ? ggml::q4_k : ggml::q3_k;
    } else if (ftype == ft::q2_k_s && qs.n_gqa >= 4) {
      new_type = ggml::q4_k;
    } else if (ftype == ft::iq3_xxs) {
      new_type = qs.n_gqa >= 4 ? ggml::q4_k : (!qs.has_imatrix ? ggml::iq3_s : ggml::iq3_xxs);
    } else if (is_any_of(ftype, {ft::iq3_xs, ft::iq3_s}) && qs.n_gqa >= 4) {
      new_type = ggml::q4_k;
    } else if (ftype == ft::iq3_m) {
      new_type = ggml::q4_k;
    } else if (ftype == ft::q3_k_m) {
      new_type = qs.i_attention_wv < 2 ? ggml::q5_k : ggml::q4_k;
    } else if (ftype == ft::q3_k_l) {
      new_type = ggml::q5_k;
    } else if (is_any_of(ftype, {ft::iq4_nl, ft::iq4_xs}) && qs.n_gqa >= 4) {
      new_type = ggml::q5_k;
    } else if (is_any_of(ftype, {ft::q4_k_m, ft::q5_k_m}) &&
               use_more_bits(qs.i_attention_wv, qs.n_attention_wv)) {
      new_type = ggml::q6_k;
    } else if (ftype == ft::q4_k_s && qs.i_attention_wv < 4) {
      new_type = ggml::q5_k;
    }
    if (qs.is_70b && (new_type == ggml::q3_k || new_type == ggml::q4_k)) {
      new_type = ggml::q5_k;
    }
    if (qs.n_expert == 8) {
      new_type = ggml::q8_0;
    }
    ++qs.i_attention_wv;
  } else if (contains(name, "attn_k.weight")) {
    if (qs.n_expert == 8) {
      new_type = ggml::q8_0;
    } else if (ftype == ft::iq3_xs) {
      new_type = ggml::iq3_xxs;
    } else if (ftype == ft::iq3_xxs) {
      new_type = ggml::iq2_s;
    }
  } else if (contains(name, "attn_q.weight")) {
    if (ftype == ft::iq3_xs) {
      new_type = ggml::iq3_xxs;
    } else if (ftype == ft::iq3_xxs) {
      new_type = ggml::iq2_s;
    }
  } else if (contains(name, "ffn_down")) {
    const auto [i_layer, n_layer] = layer_of(qs.i_ffn_down, qs.n_ffn_down);
    if (ftype == ft::q2_k) {
      new_type = ggml::q3_k;
    } else if (ftype == ft::q2_k_s) {
      if (i_layer < n_layer / 8) {
        new_type = ggml::q4_k;
      }
    } else if (ftype == ft::iq3_xxs && !qs.has_imatrix) {
      new_type = i_layer < n_layer / 8 ? ggml::q4_k : ggml::q3_k;
    } else if (ftype == ft::q3_k_m) {
      new_type = i_layer < n_layer / 16                          ? ggml::q5_k
                 : !qs.falcon || use_more_bits(i_layer, n_layer) ? ggml::q4_k
                                                                 : ggml::q3_k;
    } else if (ftype == ft::iq3_m &&
               (i_layer < n_layer / 8 || (qs.n_expert == 8 && use_more_bits(i_layer, n_layer)))) {
      new_type = ggml::q4_k;
    } else if (ftype == ft::q3_k_l) {
      new_type = qs.falcon ? ggml::q4_k : ggml::q5_k;
    } else if (ftype == ft::q4_k_m) {
      if (qs.falcon) {
        new_type = i_layer < n_layer / 16            ? ggml::q6_k
                   : use_more_bits(i_layer, n_layer) ? ggml::q5_k
                                                     : ggml::q4_k;
      } else if (use_more_bits(i_layer, n_layer)) {
        new_type = ggml::q6_k;
      }
    } else if (i_layer < n_layer / 8 && is_any_of(ftype, {ft::iq4_nl, ft::iq4_xs}) &&
               !qs.has_imatrix) {
      new_type = ggml::q5_k;
    } else if (ftype == ft::q5_k_m && use_more_bits(i_layer, n_layer)) {
      new_type = ggml::q6_k;
    } else if (ftype == ft::q4_k_s && !qs.falcon && i_layer < n_layer / 8) {
      new_type = ggml::q5_k;
    } else if (is_any_of(ftype, {ft::q4_0, ft::q5_0}) && qs.has_imatrix && i_layer < n_layer / 8) {
      new_type = ftype == ft::q4_0 ? ggml::q4_1 : ggml::q5_1;
    }
    ++qs.i_ffn_down;
  } else if (contains(name, "attn_output.weight")) {
    if (!qs.falcon) {
      if (qs.n_expert == 8) {
        if (is_any_of(ftype, {ft::q2_k, ft::iq3_xs, ft::iq3_xxs, ft::q3_k_s, ft::q3_k_m, ft::iq4_nl,
                              ft::q4_k_s, ft::q4_k_m, ft::iq3_s, ft::iq3_m, ft::iq4_xs})) {
          new_type = ggml::q5_k;
        }
      } else {
        if (ftype == ft::q2_k) {
          new_type = ggml::q3_k;
        } else if (ftype == ft::iq3_xxs) {
          new_type = ggml::iq3_s;
        } else if (ftype == ft::q3_k_m) {
          new_type = ggml::q4_k;
        } else if (ftype == ft::q3_k_l) {
          new_type = ggml::q5_k;
        } else if (ftype == ft::iq3_m) {
          new_type = ggml::q4_k;
        }
      }
    } else if (ftype == ft::q3_k_l) {
      new_type = ggml::q4_k;
    }
  } else if (contains(name, "attn_qkv.weight")) {
    if (is_any_of(ftype, {ft::q3_k_m, ft::q3_k_l, ft::iq3_m})) {
      new_type = ggml::q4_k;
    } else if (ftype == ft::q4_k_m) {
      new_type = ggml::q5_k;
    } else if (ftype == ft::q5_k_m) {
      new_type = ggml::q6_k;
    }
  } else if (contains(name, "ffn_gate")) {
    const auto [i_layer, n_layer] = layer_of(qs.i_ffn_gate, qs.n_ffn_gate);
    if (ftype == ft::iq3_xs && i_layer >= n_layer / 8 && i_layer < 7 * n_layer / 8) {
      new_type = ggml::iq3_xxs;
    }
    ++qs.i_ffn_gate;
  } else if (contains(name, "ffn_up")) {
    const auto [i_layer, n_layer] = layer_of(qs.i_ffn_up, qs.n_ffn_up);
    if (ftype == ft::iq3_xs && i_layer >= n_layer / 8 && i_layer < 7 * n_layer / 8) {
      new_type = ggml::iq3_xxs;
    }
    ++qs.i_ffn_up;
  }
  if (nx % block(new_type) != 0) {
    new_type = fallback_type(new_type, nx);
  }
  return new_type;
}

// The 16-bit type a converter leaves non-quantized 2-D tensors in.
int source_type(const TensorInfo& t) {
  if (t.dims.size() < 2) {
    return ggml::f32;
  }
  const TensorName tn = classify_tensor(t.name);
  if (tn.role == TensorRole::ffn_gate_inp || tn.role == TensorRole::position_embd ||
      tn.role == TensorRole::norm) {
    return ggml::f32;
  }
  return ggml::f16;
}

}  // namespace

std::span<const GgmlType> ggml_types() { return k_types; }

const GgmlType* find_ggml_type(int id) {
  if (id < 0 || static_cast<std::size_t>(id) >= k_types.size()) {
    return nullptr;
  }
  return &k_types[static_cast<std::size_t>(id)];
}

const GgmlType* find_ggml_type(std::string_view name) {
  const std::string key = normalize_key(name);
  for (const auto& t : k_types) {
    if (normalize_key(t.name) == key) {
      return &t;
    }
  }
  return nullptr;
}

std::optional<std::uint64_t> ggml_tensor_bytes(int type, std::span<const std::uint64_t> dims) {
  const auto* info = find_ggml_type(type);
  if (info == nullptr || info->removed()) {
    return std::nullopt;
  }
  const std::uint64_t row = dims.empty() ? 1 : dims[0];
  const auto block = static_cast<std::uint64_t>(info->block_elements);
  if (row % block != 0) {
    return std::nullopt;
  }
  // Every product checked: a 2^62-long F32 row used to wrap to 0 bytes.
  std::optional<std::uint64_t> bytes =
      checked_mul(row / block, static_cast<std::uint64_t>(info->block_bytes));
  for (std::size_t i = 1; i < dims.size() && bytes; ++i) {
    bytes = checked_mul(*bytes, dims[i]);
  }
  return bytes;
}

std::optional<std::uint64_t> weight_tensor_bytes(int type, std::span<const std::uint64_t> dims) {
  if (type != published_type::fp8_e4m3_block128) {
    return ggml_tensor_bytes(type, dims);
  }
  constexpr std::uint64_t k_block = 128;
  const std::uint64_t cols = dims.empty() ? 1 : dims[0];
  const std::uint64_t rows = dims.size() < 2 ? 1 : dims[1];
  std::optional<std::uint64_t> elements = checked_mul(cols, rows);
  std::optional<std::uint64_t> blocks =
      checked_mul((cols + k_block - 1) / k_block, (rows + k_block - 1) / k_block);
  for (std::size_t i = 2; i < dims.size() && elements && blocks; ++i) {
    elements = checked_mul(*elements, dims[i]);
    blocks = checked_mul(*blocks, dims[i]);
  }
  if (!elements || !blocks) {
    return std::nullopt;
  }
  const std::optional<std::uint64_t> scale_bytes = checked_mul(*blocks, 4);
  if (!scale_bytes || *elements > std::numeric_limits<std::uint64_t>::max() - *scale_bytes) {
    return std::nullopt;
  }
  return *elements + *scale_bytes;
}

std::string weight_type_name(int type) {
  if (type == published_type::fp8_e4m3_block128) {
    return "F8_E4M3_B128";
  }
  const GgmlType* info = find_ggml_type(type);
  return info != nullptr ? std::string(info->name) : fmt::format("type {}", type);
}

const std::vector<Quant>& all_quants() {
  static const std::vector<Quant> quants = build_quants();
  return quants;
}

std::optional<Quant> find_quant(std::string_view name) {
  std::string_view text = name;
  bool type_only = false;
  if (text.size() > 5 && normalize_key(text.substr(0, 5)) == "type") {
    type_only = true;
  }
  const std::string key = normalize_key(text);
  for (const auto& q : all_quants()) {
    if (normalize_key(q.id) == key) {
      return q;
    }
  }
  if (!type_only) {
    // Common spellings: "float16", "q4km" handled by normalization; "mxfp4" is a type.
    if (key == "float16" || key == "half") {
      return find_quant("fp16");
    }
    if (key == "float32") {
      return find_quant("fp32");
    }
    if (key == "bfloat16") {
      return find_quant("bf16");
    }
  }
  return std::nullopt;
}

namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// "q4" -> q4_k_m: the llama.cpp preset a bare size usually means (the K-quant medium mix, or
// the only preset of that size).
std::optional<Quant> bare_size_preset(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> k_sizes = {{
      {"q2", "q2_k"},
      {"q3", "q3_k_m"},
      {"q4", "q4_k_m"},
      {"q5", "q5_k_m"},
      {"q6", "q6_k"},
      {"q8", "q8_0"},
  }};
  for (const auto& [size, preset] : k_sizes) {
    if (key == size) {
      return find_quant(preset);
    }
  }
  return std::nullopt;
}

// An Unsloth Dynamic name without "UD-": the preset itself, or for _XL ("q4kxl") the _M preset
// of that base type, else the type's only preset.
std::optional<Quant> unsloth_base(const std::string& key) {
  if (auto q = find_quant(key); q && q->kind == QuantKind::preset) {
    return q;
  }
  if (key.size() > 2 && key.compare(key.size() - 2, 2, "xl") == 0) {
    const std::string base = key.substr(0, key.size() - 2);
    if (auto q = find_quant(base + "m"); q && q->kind == QuantKind::preset) {
      return q;
    }
    if (auto q = find_quant(base); q && q->kind == QuantKind::preset) {
      return q;
    }
    if (base.size() == 3 && base[2] == 'k') {
      return bare_size_preset(base.substr(0, 2));
    }
  }
  return std::nullopt;
}

}  // namespace

std::string preset_of_ftype_name(std::string_view text) {
  std::string s(trim_spaces(text));
  if (const auto guessed = s.find(" (guessed)"); guessed != std::string::npos) {
    s.resize(guessed);
  }
  const std::string low = lowercase(s);
  if (low == "all f32") {
    return "f32";
  }
  if (low == "mxfp4 moe") {
    return "mxfp4_moe";
  }
  if (low.rfind("iq3_s mix", 0) == 0) {
    return "iq3_m";
  }
  const auto dash = low.find(" - ");
  if (dash == std::string::npos) {
    return low;
  }
  const std::string base = low.substr(0, dash);
  const std::string size(trim_spaces(std::string_view(low).substr(dash + 3)));
  if (size == "small") {
    return base + "_s";
  }
  if (size == "medium") {
    // Q2_K - Medium is the plain Q2_K preset.
    return base == "q2_k" ? base : base + "_m";
  }
  if (size == "large") {
    return base + "_l";
  }
  return base;  // "IQ2_XXS - 2.0625 bpw"
}

QuantLookup lookup_quant(std::string_view name) {
  if (auto q = find_quant(name)) {
    return {q, ""};
  }
  const std::string key = normalize_key(name);
  // "4bit", "4-bit", "8 bits": the nominal precision of that width.
  for (const auto& [bits, id] : std::array<std::pair<std::string_view, std::string_view>, 4>{
           {{"4", "int4"}, {"8", "int8"}, {"16", "fp16"}, {"32", "fp32"}}}) {
    if (key == std::string(bits) + "bit" || key == std::string(bits) + "bits") {
      return {find_quant(id),
              fmt::format("'{}' read as {} (every weight {} bits; name a llama.cpp preset such as "
                          "q4_k_m for a GGUF file's size)",
                          name, id, bits)};
    }
  }
  if (auto q = bare_size_preset(key)) {
    return {q,
            fmt::format("'{}' read as {}, the usual llama.cpp preset of that size", name, q->id)};
  }
  if (key.size() > 2 && key.compare(0, 2, "ud") == 0) {
    if (auto q = unsloth_base(key.substr(2))) {
      return {q, fmt::format("'{}' is an Unsloth Dynamic quant: estimated as its base llama.cpp "
                             "preset {} (Unsloth keeps some layers at higher precision, so the "
                             "real file is somewhat larger)",
                             name, q->id)};
    }
  }
  // llama.cpp's file-type names, as llama-bench's model_type prints them.
  const std::string preset = preset_of_ftype_name(name);
  if (auto q = find_quant(preset); q && q->kind == QuantKind::preset) {
    return {q, fmt::format("'{}' (llama.cpp's file-type name) read as {}", name, q->id)};
  }
  return {};
}

std::vector<std::string> suggestable_quant_ids() {
  std::vector<std::string> ids;
  for (const auto& q : all_quants()) {
    if (q.kind == QuantKind::ggml_type) {
      const GgmlType* t = find_ggml_type(q.type);
      const bool integer = t != nullptr && (t->name.front() == 'I' && t->name.size() <= 3);
      if (t == nullptr || !t->stored || integer || t->name == "F64") {
        continue;
      }
    }
    ids.push_back(q.id);
  }
  return ids;
}

std::optional<Quant> find_preset_by_ftype(int ftype) {
  for (const auto& q : all_quants()) {
    if (q.kind == QuantKind::preset && q.ftype == ftype) {
      return q;
    }
  }
  return std::nullopt;
}

std::vector<int> preset_tensor_types(const Quant& preset, std::span<const TensorInfo> tensors,
                                     const ModelSpec& model) {
  PresetState qs;
  qs.n_expert = model.moe ? model.moe->experts : 0;
  qs.n_gqa = model.kv_heads > 0 ? model.heads / model.kv_heads : 1;
  qs.falcon = model.architecture == Architecture::falcon;
  // llama.cpp calls an 80-layer grouped-query llama/qwen2 a "70B" and widens its attn_v.
  qs.is_70b =
      model.layers == 80 && model.kv_heads < model.heads &&
      (model.architecture == Architecture::llama || model.architecture == Architecture::mistral ||
       model.architecture == Architecture::qwen2);
  qs.has_imatrix = is_any_of(preset.ftype, {ft::iq1_s, ft::iq1_m, ft::iq2_xxs, ft::iq2_xs,
                                            ft::iq2_s, ft::iq2_m, ft::iq3_xxs});
  for (const auto& t : tensors) {
    const std::string_view name = t.name;
    qs.has_output = qs.has_output || name == "output.weight";
    if (contains(name, "attn_v.weight")) {
      ++qs.n_attention_wv;
    } else if (contains(name, "ffn_down")) {
      ++qs.n_ffn_down;
    } else if (contains(name, "ffn_gate")) {
      ++qs.n_ffn_gate;
    } else if (contains(name, "ffn_up")) {
      ++qs.n_ffn_up;
    }
  }
  const auto* base = find_ggml_type(preset.type);
  const bool quantized_base = base != nullptr && base->block_elements > 1;
  std::vector<int> types;
  types.reserve(tensors.size());
  for (const auto& t : tensors) {
    if (!is_quantizable(t)) {
      types.push_back(source_type(t));
      continue;
    }
    if (!quantized_base) {
      types.push_back(preset.type);  // F32 / F16 / BF16 files: no mixing
      continue;
    }
    types.push_back(tensor_type(preset.ftype, preset.type, t, qs));
  }
  return types;
}

void assign_types(std::vector<TensorInfo>& tensors, const Quant& quant, const ModelSpec& model) {
  switch (quant.kind) {
    case QuantKind::nominal:
      return;
    case QuantKind::ggml_type: {
      const auto* info = find_ggml_type(quant.type);
      for (auto& t : tensors) {
        if (!is_quantizable(t)) {
          t.type = source_type(t);
          continue;
        }
        const std::uint64_t row = t.dims.empty() ? 1 : t.dims[0];
        const bool fits = info != nullptr && info->block_elements > 0 &&
                          row % static_cast<std::uint64_t>(info->block_elements) == 0;
        t.type = fits ? quant.type : fallback_type(quant.type, row);
      }
      return;
    }
    case QuantKind::published:
      for (auto& t : tensors) {
        const TensorRole role = classify_tensor(t.name).role;
        const bool covered = quant.covers_linear_layers
                                 ? role != TensorRole::token_embd && role != TensorRole::output
                                 : is_routed_expert(role);
        t.type = covered && is_quantizable(t) ? quant.type
                 : t.dims.size() < 2          ? ggml::f32
                                              : ggml::bf16;
      }
      return;
    case QuantKind::preset: {
      const auto types = preset_tensor_types(quant, tensors, model);
      for (std::size_t i = 0; i < tensors.size(); ++i) {
        tensors[i].type = types[i];
      }
      return;
    }
  }
}

namespace {
// "int4" is a plain 4-bit element with no block scale (0.5 bytes), the idealised figure the
// source articles compute with; llama.cpp's nearest real type is q4_0 (18 bytes per 32).
constexpr std::array<std::string_view, 6> k_kv_names = {"f16",  "bf16", "fp8",
                                                        "q8_0", "q4_0", "int4"};
constexpr std::array<double, 6> k_kv_bytes = {2.0, 2.0, 1.0, 34.0 / 32.0, 18.0 / 32.0, 0.5};
}  // namespace

std::optional<double> kv_bytes_per_element(std::string_view kv_type) {
  const std::string key = normalize_key(kv_type);
  for (std::size_t i = 0; i < k_kv_names.size(); ++i) {
    if (normalize_key(k_kv_names[i]) == key) {
      return k_kv_bytes[i];
    }
  }
  if (key == "fp16") {
    return 2.0;
  }
  return std::nullopt;
}

std::span<const std::string_view> kv_quant_names() { return k_kv_names; }

}  // namespace llmroof
