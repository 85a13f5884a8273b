#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// Architecture families whose tensor layout llmroof knows (Hugging Face `model_type` names).
/// `generic` is a GPT-style model derived from a parameter count, or an unknown config read
/// with the common fields only.
enum class Architecture {
  llama,
  mistral,
  mixtral,
  qwen2,
  qwen2_moe,
  qwen3,
  qwen3_moe,
  deepseek_v2,
  deepseek_v3,
  gpt_oss,
  gemma2,
  gemma3,
  phi3,
  falcon,
  gpt2,
  opt,
  generic,
};

/// HF `model_type` spelling ("qwen3_moe"); parse also accepts GGUF names ("qwen3moe", "deepseek2").
std::string_view to_string(Architecture arch);
std::optional<Architecture> parse_architecture(std::string_view text);

/// How keys and values are cached.
enum class AttentionKind { mha, gqa, mqa, mla };
std::string_view to_string(AttentionKind kind);
std::optional<AttentionKind> parse_attention_kind(std::string_view text);

/// Mixture-of-experts layout. Invariant: 0 < experts_used <= experts.
struct MoeSpec {
  int experts = 0;                              ///< routed experts per MoE layer (E)
  int experts_used = 0;                         ///< routed experts per token (k)
  int shared_experts = 0;                       ///< always-on experts per MoE layer
  std::int64_t expert_intermediate = 0;         ///< FFN width of one routed expert
  std::int64_t shared_expert_intermediate = 0;  ///< FFN width of one shared expert
  int dense_layers_first = 0;                   ///< leading layers with a dense FFN
  std::int64_t dense_intermediate = 0;          ///< FFN width of those dense layers
  /// Field by field.
  bool operator==(const MoeSpec&) const = default;
};

/// Multi-head latent attention (DeepSeek-V2/V3): the cache holds a compressed latent.
struct MlaSpec {
  int q_lora_rank = 0;  ///< 0 = queries are not low-rank (DeepSeek-V2-Lite)
  int kv_lora_rank = 0;
  int qk_rope_head_dim = 0;
  int qk_nope_head_dim = 0;
  int v_head_dim = 0;
  /// Field by field.
  bool operator==(const MlaSpec&) const = default;
};

/// Architecture of a model: everything the arithmetic needs, nothing about its weights' type.
struct ModelSpec {
  std::string id;
  std::string name;
  std::vector<std::string> aliases;
  Architecture architecture = Architecture::generic;
  double total_params = 0;   ///< every parameter, embeddings included
  double active_params = 0;  ///< parameters used per token (MoE: k routed + shared experts)
  std::string official_params;
  int layers = 0;
  std::int64_t hidden = 0;
  int heads = 0;
  int kv_heads = 0;
  int head_dim = 0;  ///< query/key head width (MLA: nope + rope)
  std::int64_t intermediate = 0;
  std::int64_t vocab = 0;
  bool tied_embeddings = false;
  AttentionKind attention = AttentionKind::mha;
  int sliding_window = 0;         ///< tokens; 0 = no sliding-window layers
  int sliding_window_layers = 0;  ///< how many layers use the window
  std::int64_t max_context = 0;
  std::string torch_dtype;  ///< dtype the weights were published in ("bfloat16"), may be empty
  /// The --quant id of a checkpoint published quantized (config.json quantization_config:
  /// "mxfp4_bf16" for gpt-oss, "fp8" for DeepSeek-V3); "" when published in torch_dtype.
  std::string published_quant;
  std::optional<MoeSpec> moe;
  std::optional<MlaSpec> mla;
  /// Per-layer KV heads when they vary (GGUF arrays); empty = `kv_heads` on every layer.
  std::vector<int> kv_heads_per_layer;
  std::string source;
  std::string params_source;
  std::string notes;
  /// Fields that were not in the source and were assumed (reported by `inspect`).
  std::vector<std::string> assumed_fields;
  /// True for a shorthand size ("70b"): shape derived from P ~= 12 * layers * hidden^2.
  bool generic_size = false;
  /// Field by field.
  bool operator==(const ModelSpec&) const = default;
};

/// Catalog of named models (data/models.json).
/// An Ollama library tag ("qwen3:30b", "gpt-oss:latest") and what Ollama ships under it.
struct OllamaTag {
  std::string tag;     ///< "name:tag" as `ollama pull` takes it, lower case
  std::string model;   ///< catalog model id
  std::string quant;   ///< the weight format Ollama ships (a --quant id)
  std::string source;  ///< the ollama.com library page that lists it
  /// Where the tag's weights are seen as what it pulls (URLs of pasted `ollama show` or
  /// `ollama list` output, server logs); "" = not checked beyond `source`.
  std::string checked;
  /// Field by field.
  bool operator==(const OllamaTag&) const = default;
};

struct ModelCatalog {
  int schema_version = 0;
  std::vector<ModelSpec> models;
  std::vector<OllamaTag> ollama_tags;  ///< models.json "ollama_tags"
  /// Field by field.
  bool operator==(const ModelCatalog&) const = default;
};

/// An Ollama tag resolved: the library entry, and the quant the tag itself names, if any
/// ("qwen3:30b-a3b-q8_0": q8_0 over the entry's q4_k_m).
struct OllamaMatch {
  const OllamaTag* entry = nullptr;
  std::string tag_quant;  ///< "" when the tag names no quant
};

/// Reads `name` as an Ollama tag: "name" alone is "name:latest"; a tag ending in a quant
/// ("-q4_K_M", "-q8_0", "-fp16") names it; words Ollama puts between size and quant
/// ("instruct", "text", "it") are passed over. nullopt when the library name is not in the
/// table, or the rest is no tag of it.
std::optional<OllamaMatch> find_ollama_tag(const ModelCatalog& catalog, std::string_view name);

/// Parses and validates a models file; throws DataError listing every problem with its line.
ModelCatalog parse_models(std::string_view text, const std::string& display_name);

/// Finds a catalog model by id or alias (case, '-', '.', '_', '/', ':' and spaces ignored).
const ModelSpec* find_model(const ModelCatalog& catalog, std::string_view name);

/// A catalog model found for a name people type, and how the name was read.
struct ModelLookup {
  const ModelSpec* model = nullptr;  ///< nullptr when no model fits
  std::string note;                  ///< how a name that is no id or alias was read; else ""
};

/// find_model, then the names people type: a Hugging Face repo id with another organisation or
/// release suffixes (loose_model_key: "unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF"), then a
/// family without its size ("llama2", "mistral", "mixtral": the family's smallest model, with
/// a note naming the others). A loose key shared by several models finds none.
ModelLookup lookup_model(const ModelCatalog& catalog, std::string_view name);

/// Up to three catalog ids closest to `name` (an alias close to it suggests its model's id).
std::vector<std::string> closest_model_ids(const ModelCatalog& catalog, std::string_view name);

/// One impossible value in a ModelSpec: `field` is the member's name ("kv_heads",
/// "moe.dense_layers_first", "mla.key_length"), `message` says what was expected and found.
struct ModelSpecProblem {
  std::string field;
  std::string message;
};

/// Every shape no model can have (KV heads 0 or above the heads, hidden 0, an MLA key length 0,
/// dense-first layers beyond the layer count, non-finite parameter counts, ...); empty when the
/// spec is consistent. The one validation every source (GGUF, config.json, catalog, shorthand)
/// runs before a spec is used; each names the fields in its own terms.
std::vector<ModelSpecProblem> model_spec_problems(const ModelSpec& model);

/// Smallest and largest parameter count a shorthand size may name (1M and 100T): the generic
/// shape rule is meaningless outside it, and it keeps every derived integer far from overflow.
inline constexpr double k_min_shorthand_params = 1e6;
inline constexpr double k_max_shorthand_params = 1e14;

/// Parses a shorthand size: "7b", "70B", "671b", "500m", "1.5b", "1t" -> parameter count.
/// nullopt when `text` is not of that form; throws UsageError when it is but names a count
/// outside [k_min_shorthand_params, k_max_shorthand_params].
std::optional<double> parse_size(std::string_view text);

/// A generic dense GPT-style model with `params` parameters. Its shape follows the source
/// articles' rule P ~= 12 * layers * hidden^2 with a head width of 128 and layers chosen
/// from hidden by the aspect ratio of published models (see README, "Shorthand sizes").
ModelSpec generic_model(double params, std::string_view label);

/// Number of layers that use full (unwindowed) attention.
int full_attention_layers(const ModelSpec& model);
/// KV heads of `layer` (0-based).
int kv_heads_of_layer(const ModelSpec& model, int layer);

/// KV-cache elements per token summed over layers for the unwindowed layers and for the
/// sliding-window layers (MLA: the latent, kv_lora_rank + qk_rope_head_dim per layer).
struct KvShape {
  double full_elements_per_token = 0;
  double window_elements_per_token = 0;
  int window_tokens = 0;
};
KvShape kv_shape(const ModelSpec& model);

/// KV-cache bytes held for `tokens` tokens of one sequence at `bytes_per_element`
/// (sliding-window layers hold at most the window).
double kv_cache_bytes(const ModelSpec& model, double tokens, double bytes_per_element);

/// Attention FLOPs of one decoded token that attends to `context_tokens` earlier tokens
/// (score and value products, 4 * heads * head_dim per layer per token; windowed layers capped;
/// MLA computed in the latent space as llama.cpp does).
double attention_flops_per_token(const ModelSpec& model, double context_tokens);

/// Attention FLOPs of `tokens` consecutive tokens, the first attending to `context_tokens`
/// earlier ones: the exact sum of attention_flops_per_token(context + i), i = 0..tokens-1.
double attention_flops_sum(const ModelSpec& model, double context_tokens, double tokens);

}  // namespace llmroof
