#include "llmroof/model/hf_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "data/json_reader.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

using nlohmann::json;

// Bounds on every shape field: far above any published model, low enough that the tensor
// list of a hostile file stays small and no product overflows.
constexpr std::int64_t k_max_layers = 4096;
constexpr std::int64_t k_max_width = std::int64_t{1} << 24;  // hidden, intermediate, vocab
constexpr std::int64_t k_max_heads = std::int64_t{1} << 16;  // heads, head_dim, experts
constexpr std::int64_t k_max_context = std::int64_t{1} << 40;
constexpr std::int64_t k_max_int = std::numeric_limits<int>::max();

std::string_view json_type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

/// Reads typed fields of one JSON object; errors name the file and the field path.
class FieldReader {
 public:
  FieldReader(const json& object, std::string prefix, const std::string& file)
      : m_object(object), m_prefix(std::move(prefix)), m_file(file) {}

  [[noreturn]] void fail(std::string_view key, std::string_view message) const {
    throw ModelSpecError(fmt::format("{}: field '{}{}': {}", m_file, m_prefix, key, message));
  }

  /// The first of `keys` present with a non-null value, and its name.
  std::pair<const json*, std::string_view> find(
      std::initializer_list<std::string_view> keys) const {
    for (std::string_view key : keys) {
      const auto it = m_object.find(key);
      if (it != m_object.end() && !it->is_null()) {
        return {&*it, key};
      }
    }
    return {nullptr, *keys.begin()};
  }

  bool has(std::initializer_list<std::string_view> keys) const { return find(keys).first; }

  std::optional<std::int64_t> opt_int(std::initializer_list<std::string_view> keys,
                                      std::int64_t min, std::int64_t max) const {
    const auto [value, key] = find(keys);
    if (value == nullptr) {
      return std::nullopt;
    }
    std::int64_t result = 0;
    if (value->is_number_unsigned()) {
      const auto u = value->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(max)) {
        fail(key, fmt::format("expected an integer from {} to {}, got {}", min, max, u));
      }
      result = static_cast<std::int64_t>(u);
    } else if (value->is_number_integer()) {
      result = value->get<std::int64_t>();
    } else if (value->is_number_float()) {
      // 4096.0 is an integer written as a float; 4096.5 is not.
      const double d = value->get<double>();
      if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
          d > static_cast<double>(max)) {
        fail(key, fmt::format("expected an integer from {} to {}, got {}", min, max, d));
      }
      result = static_cast<std::int64_t>(d);
    } else {
      fail(key, fmt::format("expected an integer, got {}", json_type_name(*value)));
    }
    if (result < min || result > max) {
      fail(key, fmt::format("expected an integer from {} to {}, got {}", min, max, result));
    }
    return result;
  }

  std::int64_t req_int(std::initializer_list<std::string_view> keys, std::int64_t min,
                       std::int64_t max) const {
    const auto value = opt_int(keys, min, max);
    if (!value) {
      missing(keys);
    }
    return *value;
  }

  std::optional<bool> opt_bool(std::initializer_list<std::string_view> keys) const {
    const auto [value, key] = find(keys);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_boolean()) {
      fail(key, fmt::format("expected a boolean, got {}", json_type_name(*value)));
    }
    return value->get<bool>();
  }

  std::optional<std::string> opt_string(std::initializer_list<std::string_view> keys) const {
    const auto [value, key] = find(keys);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_string()) {
      fail(key, fmt::format("expected a string, got {}", json_type_name(*value)));
    }
    return value->get<std::string>();
  }

  /// An array of strings (layer_types); nullopt when absent.
  std::optional<std::vector<std::string>> opt_string_array(std::string_view key) const {
    const auto [value, name] = find({key});
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_array()) {
      fail(name, fmt::format("expected an array of strings, got {}", json_type_name(*value)));
    }
    std::vector<std::string> result;
    for (const json& item : *value) {
      if (!item.is_string()) {
        fail(name, fmt::format("expected an array of strings, got an array holding {}",
                               json_type_name(item)));
      }
      result.push_back(item.get<std::string>());
    }
    return result;
  }

  /// An array of layer indices (mlp_only_layers); empty when absent.
  std::set<std::int64_t> opt_index_array(std::string_view key) const {
    const auto [value, name] = find({key});
    std::set<std::int64_t> result;
    if (value == nullptr) {
      return result;
    }
    if (!value->is_array()) {
      fail(name, fmt::format("expected an array of integers, got {}", json_type_name(*value)));
    }
    for (const json& item : *value) {
      if (!item.is_number_integer()) {
        fail(name, fmt::format("expected an array of integers, got an array holding {}",
                               json_type_name(item)));
      }
      result.insert(item.get<std::int64_t>());
    }
    return result;
  }

  [[noreturn]] void missing(std::initializer_list<std::string_view> keys) const {
    std::string also;
    for (auto it = keys.begin() + 1; it != keys.end(); ++it) {
      also += fmt::format("{}'{}'", it == keys.begin() + 1 ? " (or " : ", ", *it);
    }
    also += also.empty() ? "" : ")";
    throw ModelSpecError(fmt::format("{}: field '{}{}'{}: required but missing", m_file, m_prefix,
                                     *keys.begin(), also));
  }

 private:
  const json& m_object;
  std::string m_prefix;
  const std::string& m_file;
};

/// "config.json:3:14: malformed JSON: <what nlohmann says>".
[[noreturn]] void throw_parse_error(const json::parse_error& error, std::string_view text,
                                    const std::string& file) {
  // nlohmann's byte position is 1-based and points just past the offending character.
  const std::size_t position = std::min<std::size_t>(error.byte, text.size());
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i + 1 < position && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const std::size_t column = position > line_start ? position - line_start : 1;
  std::string message = error.what();
  // Drop "[json.exception.parse_error.101] parse error at line 1, column 2: ".
  if (const std::size_t colon = message.find(": "); colon != std::string::npos) {
    message = message.substr(colon + 2);
  }
  throw ModelSpecError(fmt::format("{}:{}:{}: malformed JSON: {}", file, line, column, message));
}

std::optional<Architecture> architecture_of(std::string_view model_type) {
  std::string lower(model_type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Older or text-only spellings of families we know.
  if (lower == "refinedwebmodel" || lower == "refinedweb") {
    return Architecture::falcon;
  }
  if (lower == "gemma3_text") {
    return Architecture::gemma3;
  }
  if (lower == "generic") {
    return std::nullopt;
  }
  return parse_architecture(lower);
}

int as_int(std::int64_t value) { return static_cast<int>(value); }

AttentionKind attention_kind_of(int heads, int kv_heads) {
  if (kv_heads == heads) {
    return AttentionKind::mha;
  }
  return kv_heads == 1 ? AttentionKind::mqa : AttentionKind::gqa;
}

/// Everything but the MoE and MLA fields, read the same way by every llama-style family.
struct Common {
  std::int64_t layers = 0;
  std::int64_t hidden = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t intermediate = 0;
  std::int64_t vocab = 0;
};

class ConfigParser {
 public:
  ConfigParser(const json& root, const json& config, std::string prefix, const std::string& file)
      : m_root_object(root),
        m_root(root, "", file),
        m_r(config, std::move(prefix), file),
        m_file(file) {}

  ModelSpec parse(Architecture arch, bool known, const std::string& model_type);

 private:
  void assume(std::string text) { m_spec.assumed_fields.push_back(std::move(text)); }
  void read_common(bool intermediate_required);
  void read_context(std::int64_t fallback);
  void read_tied(bool fallback);
  void read_sliding(Architecture arch);
  void read_moe(Architecture arch);
  void read_mla();
  void read_falcon();
  void read_gpt2();
  void finish();

  const json& m_root_object;
  FieldReader m_root;
  FieldReader m_r;
  const std::string& m_file;
  ModelSpec m_spec;
};

void ConfigParser::read_common(bool intermediate_required) {
  m_spec.layers = as_int(m_r.req_int({"num_hidden_layers"}, 1, k_max_layers));
  m_spec.hidden = m_r.req_int({"hidden_size"}, 1, k_max_width);
  m_spec.heads = as_int(m_r.req_int({"num_attention_heads"}, 1, k_max_heads));
  m_spec.kv_heads =
      as_int(m_r.opt_int({"num_key_value_heads"}, 1, k_max_heads).value_or(m_spec.heads));
  if (m_spec.kv_heads > m_spec.heads) {
    m_r.fail("num_key_value_heads", fmt::format("expected at most num_attention_heads ({}), got {}",
                                                m_spec.heads, m_spec.kv_heads));
  }
  const std::int64_t derived_head_dim = std::max<std::int64_t>(m_spec.hidden / m_spec.heads, 1);
  m_spec.head_dim = as_int(m_r.opt_int({"head_dim"}, 1, k_max_heads).value_or(derived_head_dim));
  if (intermediate_required) {
    m_spec.intermediate = m_r.req_int({"intermediate_size"}, 1, k_max_width);
  }
  m_spec.vocab = m_r.req_int({"vocab_size"}, 1, k_max_width);
}

void ConfigParser::read_context(std::int64_t fallback) {
  if (const auto context = m_r.opt_int({"max_position_embeddings"}, 1, k_max_context)) {
    m_spec.max_context = *context;
  } else {
    m_spec.max_context = fallback;
    assume(fmt::format("max_position_embeddings = {}", fallback));
  }
}

void ConfigParser::read_tied(bool fallback) {
  // A missing tie_word_embeddings means the family's documented default (its HF config class).
  m_spec.tied_embeddings = m_r.opt_bool({"tie_word_embeddings"}).value_or(fallback);
}

void ConfigParser::read_sliding(Architecture arch) {
  const auto window = m_r.opt_int({"sliding_window"}, 0, k_max_context);
  if (const auto types = m_r.opt_string_array("layer_types")) {
    if (types->size() != static_cast<std::size_t>(m_spec.layers)) {
      m_r.fail("layer_types", fmt::format("expected {} entries (num_hidden_layers), got {}",
                                          m_spec.layers, types->size()));
    }
    const auto sliding = std::count(types->begin(), types->end(), "sliding_attention");
    if (sliding > 0) {
      if (!window || *window == 0) {
        m_r.missing({"sliding_window"});
      }
      m_spec.sliding_window = as_int(std::min<std::int64_t>(*window, k_max_int));
      m_spec.sliding_window_layers = as_int(sliding);
    }
    return;
  }
  int layers = 0;
  std::int64_t size = window.value_or(0);
  switch (arch) {
    case Architecture::gemma2:
    case Architecture::gpt_oss:
      // Alternating local/global attention, starting with a local layer.
      if (size == 0) {
        size = arch == Architecture::gemma2 ? 4096 : 128;  // the config classes' defaults
        assume(fmt::format("sliding_window = {}", size));
      }
      layers = (m_spec.layers + 1) / 2;
      break;
    case Architecture::gemma3: {
      // Five local layers, then one global (layer i is global when (i + 1) % pattern == 0).
      auto pattern = m_r.opt_int({"sliding_window_pattern"}, 1, k_max_layers);
      if (!pattern) {
        pattern = 6;
        assume("sliding_window_pattern = 6");
      }
      if (size == 0) {
        size = 4096;
        assume("sliding_window = 4096");
      }
      layers = m_spec.layers - as_int(m_spec.layers / *pattern);
      break;
    }
    case Architecture::mistral:
    case Architecture::mixtral:
    case Architecture::phi3:
      // Every layer uses the window when one is set (Mistral-7B-v0.1); null means none.
      layers = size > 0 ? m_spec.layers : 0;
      break;
    case Architecture::qwen2:
    case Architecture::qwen2_moe:
    case Architecture::qwen3:
    case Architecture::qwen3_moe:
      // Qwen: layers from max_window_layers on use the window, only when enabled.
      if (m_r.opt_bool({"use_sliding_window"}).value_or(false) && size > 0) {
        const auto first =
            m_r.opt_int({"max_window_layers"}, 0, k_max_layers).value_or(m_spec.layers);
        layers = std::max(0, m_spec.layers - as_int(std::min<std::int64_t>(first, m_spec.layers)));
      }
      break;
    default:
      break;
  }
  if (layers > 0 && size > 0) {
    m_spec.sliding_window = as_int(std::min<std::int64_t>(size, k_max_int));
    m_spec.sliding_window_layers = layers;
  }
}

void ConfigParser::read_moe(Architecture arch) {
  MoeSpec moe;
  std::int64_t sparse_step = 1;
  std::set<std::int64_t> dense_only;
  switch (arch) {
    case Architecture::mixtral:
    case Architecture::gpt_oss:
      moe.experts = as_int(m_r.req_int({"num_local_experts"}, 1, k_max_heads));
      moe.experts_used =
          as_int(m_r.req_int({"num_experts_per_tok", "experts_per_token"}, 1, k_max_heads));
      moe.expert_intermediate = m_spec.intermediate;
      break;
    case Architecture::qwen2_moe:
    case Architecture::qwen3_moe:
      moe.experts = as_int(m_r.req_int({"num_experts"}, 1, k_max_heads));
      moe.experts_used = as_int(m_r.req_int({"num_experts_per_tok"}, 1, k_max_heads));
      moe.expert_intermediate = m_r.req_int({"moe_intermediate_size"}, 1, k_max_width);
      if (arch == Architecture::qwen2_moe) {
        moe.shared_expert_intermediate =
            m_r.opt_int({"shared_expert_intermediate_size"}, 0, k_max_width).value_or(0);
        moe.shared_experts = moe.shared_expert_intermediate > 0 ? 1 : 0;
      }
      sparse_step = m_r.opt_int({"decoder_sparse_step"}, 1, k_max_layers).value_or(1);
      dense_only = m_r.opt_index_array("mlp_only_layers");
      break;
    case Architecture::deepseek_v2:
    case Architecture::deepseek_v3: {
      moe.experts = as_int(m_r.req_int({"n_routed_experts"}, 1, k_max_heads));
      moe.experts_used = as_int(m_r.req_int({"num_experts_per_tok"}, 1, k_max_heads));
      moe.expert_intermediate = m_r.req_int({"moe_intermediate_size"}, 1, k_max_width);
      moe.shared_experts = as_int(m_r.opt_int({"n_shared_experts"}, 0, k_max_heads).value_or(0));
      moe.shared_expert_intermediate = moe.expert_intermediate;
      const std::int64_t first_dense =
          m_r.opt_int({"first_k_dense_replace"}, 0, k_max_layers).value_or(0);
      const std::int64_t frequency = m_r.opt_int({"moe_layer_freq"}, 1, k_max_layers).value_or(1);
      for (std::int64_t layer = 0; layer < m_spec.layers; ++layer) {
        if (layer < first_dense || layer % frequency != 0) {
          dense_only.insert(layer);
        }
      }
      break;
    }
    default:
      return;
  }
  if (moe.experts_used > moe.experts) {
    m_r.fail("num_experts_per_tok",
             fmt::format("expected at most the number of experts ({}), got {}", moe.experts,
                         moe.experts_used));
  }
  // Which layers are dense; only their number matters to the counts, so they are modelled as
  // the leading layers.
  int dense = 0;
  bool leading = true;
  for (int layer = 0; layer < m_spec.layers; ++layer) {
    const bool is_dense = dense_only.count(layer) > 0 || (layer + 1) % sparse_step != 0;
    if (is_dense) {
      leading = leading && layer == dense;
      ++dense;
    }
  }
  moe.dense_layers_first = dense;
  moe.dense_intermediate = m_spec.intermediate;
  if (!leading) {
    m_spec.notes = fmt::format(
        "{} dense-FFN layers are interleaved with MoE layers; counted as "
        "leading layers (same totals)",
        dense);
  }
  m_spec.moe = moe;
}

void ConfigParser::read_mla() {
  MlaSpec mla;
  mla.q_lora_rank = as_int(m_r.opt_int({"q_lora_rank"}, 0, k_max_width).value_or(0));
  mla.kv_lora_rank = as_int(m_r.req_int({"kv_lora_rank"}, 1, k_max_width));
  mla.qk_rope_head_dim = as_int(m_r.req_int({"qk_rope_head_dim"}, 0, k_max_heads));
  mla.qk_nope_head_dim = as_int(m_r.req_int({"qk_nope_head_dim"}, 0, k_max_heads));
  mla.v_head_dim = as_int(m_r.req_int({"v_head_dim"}, 1, k_max_heads));
  if (mla.qk_rope_head_dim + mla.qk_nope_head_dim == 0) {
    m_r.fail("qk_nope_head_dim", "qk_nope_head_dim + qk_rope_head_dim must be positive");
  }
  m_spec.mla = mla;
  m_spec.head_dim = mla.qk_nope_head_dim + mla.qk_rope_head_dim;
  m_spec.attention = AttentionKind::mla;
}

void ConfigParser::read_falcon() {
  m_spec.layers = as_int(m_r.req_int({"num_hidden_layers", "n_layer"}, 1, k_max_layers));
  m_spec.hidden = m_r.req_int({"hidden_size"}, 1, k_max_width);
  m_spec.heads = as_int(m_r.req_int({"num_attention_heads", "n_head"}, 1, k_max_heads));
  if (m_r.opt_bool({"new_decoder_architecture"}).value_or(false)) {
    m_spec.kv_heads = as_int(m_r.req_int({"num_kv_heads", "n_head_kv"}, 1, k_max_heads));
  } else {
    // falcon-7b style: one shared K/V head unless multi_query is turned off.
    m_spec.kv_heads = m_r.opt_bool({"multi_query"}).value_or(true) ? 1 : m_spec.heads;
  }
  if (m_spec.kv_heads > m_spec.heads) {
    m_r.fail("num_kv_heads", fmt::format("expected at most num_attention_heads ({}), got {}",
                                         m_spec.heads, m_spec.kv_heads));
  }
  m_spec.head_dim = as_int(std::max<std::int64_t>(m_spec.hidden / m_spec.heads, 1));
  m_spec.intermediate =
      m_r.opt_int({"ffn_hidden_size"}, 1, k_max_width).value_or(4 * m_spec.hidden);
  m_spec.vocab = m_r.req_int({"vocab_size"}, 1, k_max_width);
  read_context(2048);  // FalconConfig's default
  read_tied(true);
  if (m_r.opt_bool({"bias"}).value_or(false)) {
    m_spec.notes = "linear-layer biases (bias: true) are not counted";
  }
}

void ConfigParser::read_gpt2() {
  m_spec.layers = as_int(m_r.req_int({"n_layer", "num_hidden_layers"}, 1, k_max_layers));
  m_spec.hidden = m_r.req_int({"n_embd", "hidden_size"}, 1, k_max_width);
  m_spec.heads = as_int(m_r.req_int({"n_head", "num_attention_heads"}, 1, k_max_heads));
  m_spec.kv_heads = m_spec.heads;
  m_spec.head_dim = as_int(std::max<std::int64_t>(m_spec.hidden / m_spec.heads, 1));
  m_spec.intermediate = m_r.opt_int({"n_inner"}, 1, k_max_width).value_or(4 * m_spec.hidden);
  m_spec.vocab = m_r.req_int({"vocab_size"}, 1, k_max_width);
  m_spec.max_context = m_r.req_int({"n_positions", "n_ctx"}, 1, k_max_width);
  read_tied(true);
}

ModelSpec ConfigParser::parse(Architecture arch, bool known, const std::string& model_type) {
  m_spec.architecture = arch;
  if (!known) {
    assume(model_type.empty()
               ? std::string("layout: llama-style decoder (no model_type)")
               : fmt::format("layout: llama-style decoder (unknown model_type '{}')", model_type));
  }
  switch (arch) {
    case Architecture::falcon:
      read_falcon();
      break;
    case Architecture::gpt2:
      read_gpt2();
      break;
    case Architecture::opt:
      m_spec.layers = as_int(m_r.req_int({"num_hidden_layers"}, 1, k_max_layers));
      m_spec.hidden = m_r.req_int({"hidden_size"}, 1, k_max_width);
      m_spec.heads = as_int(m_r.req_int({"num_attention_heads"}, 1, k_max_heads));
      m_spec.kv_heads = m_spec.heads;
      m_spec.head_dim = as_int(std::max<std::int64_t>(m_spec.hidden / m_spec.heads, 1));
      m_spec.intermediate = m_r.req_int({"ffn_dim"}, 1, k_max_width);
      m_spec.vocab = m_r.req_int({"vocab_size"}, 1, k_max_width);
      m_spec.max_context = m_r.req_int({"max_position_embeddings"}, 1, k_max_width);
      read_tied(true);
      if (const auto proj = m_r.opt_int({"word_embed_proj_dim"}, 1, k_max_width);
          proj && *proj != m_spec.hidden) {
        m_spec.notes = "word_embed_proj_dim differs from hidden_size: project_in/out not counted";
      }
      break;
    case Architecture::deepseek_v2:
    case Architecture::deepseek_v3:
      read_common(true);
      read_context(4096);
      read_tied(false);
      read_mla();
      m_spec.kv_heads = m_spec.heads;
      if (m_r.has({"n_routed_experts"})) {
        read_moe(arch);
      }
      break;
    case Architecture::gemma3: {
      // Gemma3TextConfig leaves most fields to its defaults; the configs published omit them.
      const bool has_heads = m_r.has({"num_attention_heads"});
      m_spec.layers = as_int(m_r.req_int({"num_hidden_layers"}, 1, k_max_layers));
      m_spec.hidden = m_r.req_int({"hidden_size"}, 1, k_max_width);
      m_spec.intermediate = m_r.req_int({"intermediate_size"}, 1, k_max_width);
      m_spec.heads = as_int(m_r.opt_int({"num_attention_heads"}, 1, k_max_heads).value_or(8));
      m_spec.kv_heads = as_int(m_r.opt_int({"num_key_value_heads"}, 1, k_max_heads)
                                   .value_or(has_heads ? m_spec.heads : 4));
      if (!has_heads) {
        assume("num_attention_heads = 8");
      }
      if (!m_r.has({"num_key_value_heads"}) && !has_heads) {
        assume("num_key_value_heads = 4");
      }
      m_spec.head_dim = as_int(m_r.opt_int({"head_dim"}, 1, k_max_heads).value_or(256));
      if (!m_r.has({"head_dim"})) {
        assume("head_dim = 256");
      }
      m_spec.vocab = m_r.opt_int({"vocab_size"}, 1, k_max_width).value_or(262208);
      if (!m_r.has({"vocab_size"})) {
        assume("vocab_size = 262208");
      }
      if (m_spec.kv_heads > m_spec.heads) {
        m_r.fail("num_key_value_heads",
                 fmt::format("expected at most num_attention_heads ({}), got {}", m_spec.heads,
                             m_spec.kv_heads));
      }
      read_context(131072);
      read_tied(true);
      break;
    }
    case Architecture::gemma2:
      read_common(true);
      read_context(8192);
      read_tied(true);
      break;
    case Architecture::mixtral:
    case Architecture::gpt_oss:
    case Architecture::qwen2_moe:
    case Architecture::qwen3_moe:
      read_common(true);
      read_context(arch == Architecture::gpt_oss ? 131072 : 32768);
      read_tied(false);
      read_moe(arch);
      break;
    case Architecture::generic:
      m_spec.layers =
          as_int(m_r.req_int({"num_hidden_layers", "n_layer", "num_layers"}, 1, k_max_layers));
      m_spec.hidden = m_r.req_int({"hidden_size", "n_embd", "d_model"}, 1, k_max_width);
      m_spec.heads =
          as_int(m_r.req_int({"num_attention_heads", "n_head", "num_heads"}, 1, k_max_heads));
      m_spec.kv_heads =
          as_int(m_r.opt_int({"num_key_value_heads"}, 1, k_max_heads).value_or(m_spec.heads));
      if (!m_r.has({"num_key_value_heads"})) {
        assume(fmt::format("num_key_value_heads = {} (num_attention_heads)", m_spec.heads));
      }
      if (m_spec.kv_heads > m_spec.heads) {
        m_r.fail("num_key_value_heads",
                 fmt::format("expected at most num_attention_heads ({}), got {}", m_spec.heads,
                             m_spec.kv_heads));
      }
      m_spec.head_dim =
          as_int(m_r.opt_int({"head_dim"}, 1, k_max_heads)
                     .value_or(std::max<std::int64_t>(m_spec.hidden / m_spec.heads, 1)));
      if (const auto width =
              m_r.opt_int({"intermediate_size", "n_inner", "ffn_dim", "d_ff"}, 1, k_max_width)) {
        m_spec.intermediate = *width;
      } else {
        m_spec.intermediate = 4 * m_spec.hidden;
        assume(fmt::format("intermediate_size = {} (4 * hidden_size)", m_spec.intermediate));
      }
      m_spec.vocab = m_r.req_int({"vocab_size"}, 1, k_max_width);
      read_context(4096);
      if (const auto tied = m_r.opt_bool({"tie_word_embeddings"})) {
        m_spec.tied_embeddings = *tied;
      } else {
        m_spec.tied_embeddings = false;
        assume("tie_word_embeddings = false");
      }
      break;
    default:
      // llama, mistral, qwen2, qwen3, phi3.
      read_common(true);
      read_context(arch == Architecture::phi3 ? 4096 : 2048);
      read_tied(false);
      break;
  }
  if (m_spec.attention != AttentionKind::mla) {
    m_spec.attention = attention_kind_of(m_spec.heads, m_spec.kv_heads);
  }
  read_sliding(arch);
  finish();
  return std::move(m_spec);
}

void ConfigParser::finish() {
  // torch_dtype was renamed "dtype" in newer transformers; either may sit at the top level.
  if (auto dtype = m_root.opt_string({"torch_dtype", "dtype"})) {
    m_spec.torch_dtype = *dtype;
  } else if (auto inner = m_r.opt_string({"torch_dtype", "dtype"})) {
    m_spec.torch_dtype = *inner;
  }
  // Checkpoints published quantized (gpt-oss: mxfp4, DeepSeek-V3: fp8) say so here.
  if (const auto it = m_root_object.find("quantization_config");
      it != m_root_object.end() && it->is_object()) {
    const auto method = it->find("quant_method");
    if (method != it->end() && method->is_string()) {
      const std::string name = method->get<std::string>();
      const auto number_of = [&](const char* key) {
        const auto v = it->find(key);
        return v != it->end() && v->is_number() ? v->get<double>() : 0.0;
      };
      const auto flag = [&](const char* key) {
        const auto v = it->find(key);
        return v != it->end() && v->is_boolean() && v->get<bool>();
      };
      // The weight format the tensors it covers are stored in, as a --quant id.
      if (name == "mxfp4") {
        m_spec.published_quant = "mxfp4_bf16";  // gpt-oss: MXFP4 experts, BF16 the rest
      } else if (name == "fp8") {
        // DeepSeek-V3/R1: e4m3 with one FP32 scale per weight_block_size [128, 128] block;
        // without block sizes (per-tensor scales) the scales are negligible: 1 byte a weight.
        const auto block = it->find("weight_block_size");
        const bool block128 = block != it->end() && block->is_array() && block->size() == 2 &&
                              (*block)[0].is_number() && (*block)[1].is_number() &&
                              (*block)[0].get<double>() == 128 && (*block)[1].get<double>() == 128;
        m_spec.published_quant = block128 ? "fp8_b128" : "fp8";
      } else if ((name == "gptq" || name == "awq") && number_of("bits") == 4) {
        m_spec.published_quant = name;
      } else if (name == "bitsandbytes") {
        m_spec.published_quant = flag("load_in_4bit") ? "nf4" : flag("load_in_8bit") ? "int8" : "";
      }
      const std::string note = fmt::format(
          "published quantized: quantization_config.quant_method "
          "is '{}'",
          name);
      m_spec.notes = m_spec.notes.empty() ? note : m_spec.notes + "; " + note;
    }
  }
  const std::vector<TensorInfo> tensors = model_tensors(m_spec);
  m_spec.total_params = count_total_params(tensors);
  m_spec.active_params =
      m_spec.moe ? count_active_params(tensors, m_spec.moe->experts, m_spec.moe->experts_used)
                 : m_spec.total_params;
  m_spec.source = m_file;
  m_spec.params_source = fmt::format("computed from the tensor shapes of {}", m_file);
}

/// The usual config.json key of a ModelSpec field (for messages; families spell some others).
std::string config_key(std::string_view field) {
  static const std::map<std::string_view, std::string_view> keys = {
      {"layers", "num_hidden_layers"},
      {"hidden", "hidden_size"},
      {"heads", "num_attention_heads"},
      {"kv_heads", "num_key_value_heads"},
      {"intermediate", "intermediate_size"},
      {"vocab", "vocab_size"},
      {"max_context", "max_position_embeddings"},
      {"sliding_window_layers", "sliding_window"},
      {"moe.experts", "num_experts"},
      {"moe.experts_used", "num_experts_per_tok"},
      {"moe.shared_experts", "n_shared_experts"},
      {"moe.expert_intermediate", "moe_intermediate_size"},
      {"moe.dense_layers_first", "first_k_dense_replace"},
      {"mla.kv_lora_rank", "kv_lora_rank"},
      {"mla.q_lora_rank", "q_lora_rank"},
      {"mla.qk_rope_head_dim", "qk_rope_head_dim"},
      {"mla.qk_nope_head_dim", "qk_nope_head_dim"},
      {"mla.key_length", "qk_nope_head_dim"},
      {"mla.v_head_dim", "v_head_dim"},
  };
  const auto it = keys.find(field);
  return std::string(it == keys.end() ? field : it->second);
}

}  // namespace

ModelSpec parse_hf_config(std::string_view text, const std::string& display_name) {
  if (const auto problem = detail::json_depth_problem(text)) {
    throw ModelSpecError(fmt::format("{}:{}", display_name, *problem));
  }
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& error) {
    throw_parse_error(error, text, display_name);
  } catch (const json::exception& error) {
    // A number too large for a double ("1e400") is out_of_range, without a position.
    std::string message = error.what();
    if (const std::size_t end = message.find("] "); end != std::string::npos) {
      message = message.substr(end + 2);
    }
    throw ModelSpecError(fmt::format("{}: malformed JSON: {}", display_name, message));
  }
  if (!root.is_object()) {
    throw ModelSpecError(fmt::format("{}: expected a JSON object at the top level, got {}",
                                     display_name, json_type_name(root)));
  }
  const FieldReader top(root, "", display_name);
  std::string model_type = top.opt_string({"model_type"}).value_or("");

  // Multimodal wrappers (gemma3) keep the language model in text_config.
  const json* config = &root;
  std::string prefix;
  const auto text_config = root.find("text_config");
  if (text_config != root.end() && text_config->is_object() &&
      (!top.has({"num_hidden_layers"}) || model_type == "gemma3")) {
    config = &*text_config;
    prefix = "text_config.";
    const FieldReader inner(*config, prefix, display_name);
    if (const auto inner_type = inner.opt_string({"model_type"})) {
      model_type = *inner_type;
    }
  }
  const std::optional<Architecture> arch = architecture_of(model_type);
  ConfigParser parser(root, *config, prefix, display_name);
  ModelSpec spec = parser.parse(arch.value_or(Architecture::generic), arch.has_value(), model_type);
  const auto name = top.opt_string({"_name_or_path"});
  spec.name = name && !name->empty() ? *name : display_name;
  spec.id = spec.name;
  // The shared validation: the reader's bounds catch most, this the combinations.
  if (const auto problems = model_spec_problems(spec); !problems.empty()) {
    throw ModelSpecError(fmt::format("{}: field '{}{}': {}", display_name, prefix,
                                     config_key(problems.front().field), problems.front().message));
  }
  return spec;
}

}  // namespace llmroof
