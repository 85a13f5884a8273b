#include "llmroof/model/model_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <span>

#include "data/json_reader.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/numbers.hpp"

namespace llmroof {

namespace {

struct ArchName {
  Architecture arch;
  std::string_view hf;    // Hugging Face model_type
  std::string_view gguf;  // GGUF general.architecture
};

constexpr std::array<ArchName, 17> k_arch_names = {{
    {Architecture::llama, "llama", "llama"},
    {Architecture::mistral, "mistral", "mistral"},
    {Architecture::mixtral, "mixtral", "mixtral"},
    {Architecture::qwen2, "qwen2", "qwen2"},
    {Architecture::qwen2_moe, "qwen2_moe", "qwen2moe"},
    {Architecture::qwen3, "qwen3", "qwen3"},
    {Architecture::qwen3_moe, "qwen3_moe", "qwen3moe"},
    {Architecture::deepseek_v2, "deepseek_v2", "deepseek2"},
    {Architecture::deepseek_v3, "deepseek_v3", "deepseek3"},
    {Architecture::gpt_oss, "gpt_oss", "gpt-oss"},
    {Architecture::gemma2, "gemma2", "gemma2"},
    {Architecture::gemma3, "gemma3", "gemma3"},
    {Architecture::phi3, "phi3", "phi3"},
    {Architecture::falcon, "falcon", "falcon"},
    {Architecture::gpt2, "gpt2", "gpt2"},
    {Architecture::opt, "opt", "opt"},
    {Architecture::generic, "generic", "generic"},
}};

constexpr std::array<std::string_view, 4> k_attention_names = {"mha", "gqa", "mqa", "mla"};

std::vector<std::string> architecture_list() {
  std::vector<std::string> names;
  for (const auto& a : k_arch_names) {
    if (a.arch != Architecture::generic) {
      names.emplace_back(a.hf);
    }
  }
  return names;
}

// The catalog key of a ModelSpec field named by model_spec_problems.
std::string catalog_key(std::string_view field) {
  static const std::map<std::string_view, std::string_view> keys = {
      {"hidden", "hidden_size"},
      {"heads", "attention_heads"},
      {"intermediate", "intermediate_size"},
      {"vocab", "vocab_size"},
      {"moe.experts", "moe/experts"},
      {"moe.experts_used", "moe/experts_used"},
      {"moe.shared_experts", "moe/shared_experts"},
      {"moe.expert_intermediate", "moe/expert_intermediate_size"},
      {"moe.dense_layers_first", "moe/dense_layers_first"},
      {"mla.kv_lora_rank", "mla/kv_lora_rank"},
      {"mla.q_lora_rank", "mla/q_lora_rank"},
      {"mla.qk_rope_head_dim", "mla/qk_rope_head_dim"},
      {"mla.qk_nope_head_dim", "mla/qk_nope_head_dim"},
      {"mla.key_length", "mla/qk_nope_head_dim"},
      {"mla.v_head_dim", "mla/v_head_dim"},
  };
  const auto it = keys.find(field);
  return std::string(it == keys.end() ? field : it->second);
}

ModelSpec read_model_fields(const nlohmann::json& value, const std::string& pointer,
                            detail::Diagnostics& diagnostics);

/// One catalog entry: its fields, then (when they read cleanly) the shared shape validation.
ModelSpec read_model(const nlohmann::json& value, const std::string& pointer,
                     detail::Diagnostics& diagnostics) {
  const std::size_t before = diagnostics.size();
  ModelSpec m = read_model_fields(value, pointer, diagnostics);
  if (diagnostics.size() == before) {
    for (const ModelSpecProblem& problem : model_spec_problems(m)) {
      diagnostics.add(pointer + "/" + catalog_key(problem.field), problem.message);
    }
  }
  return m;
}

ModelSpec read_model_fields(const nlohmann::json& value, const std::string& pointer,
                            detail::Diagnostics& diagnostics) {
  using detail::Check;
  detail::ObjectReader r(value, pointer, diagnostics);
  ModelSpec m;
  if (!r.is_object()) {
    return m;
  }
  m.id = r.string("id", true);
  m.name = r.string("name", true);
  m.aliases = r.string_array("aliases", false);
  if (auto arch = r.one_of("architecture", architecture_list(), true)) {
    m.architecture = *parse_architecture(*arch);
  }
  m.total_params = r.number("total_params", Check::positive, true).value_or(0);
  m.active_params = r.number("active_params", Check::positive, true).value_or(0);
  m.official_params = r.optional_string("official_params").value_or("");
  m.layers = r.small_integer("layers", Check::positive, true).value_or(0);
  m.hidden = r.integer("hidden_size", Check::positive, true).value_or(0);
  m.heads = r.small_integer("attention_heads", Check::positive, true).value_or(0);
  m.kv_heads = r.small_integer("kv_heads", Check::positive, true).value_or(0);
  m.head_dim = r.small_integer("head_dim", Check::positive, true).value_or(0);
  m.intermediate = r.integer("intermediate_size", Check::positive, true).value_or(0);
  m.vocab = r.integer("vocab_size", Check::positive, true).value_or(0);
  m.tied_embeddings = r.boolean("tied_embeddings", true).value_or(false);
  if (auto kind = r.one_of("attention_kind", {"mha", "gqa", "mqa", "mla"}, true)) {
    m.attention = *parse_attention_kind(*kind);
  }
  m.sliding_window = r.small_integer("sliding_window", Check::positive, false).value_or(0);
  m.sliding_window_layers =
      r.small_integer("sliding_window_layers", Check::non_negative, false).value_or(0);
  m.max_context = r.integer("max_context", Check::positive, true).value_or(0);
  m.torch_dtype = r.optional_string("torch_dtype").value_or("");
  m.published_quant = r.optional_string("published_quant").value_or("");
  if (!m.published_quant.empty() && !find_quant(m.published_quant)) {
    diagnostics.add(pointer + "/published_quant",
                    fmt::format("'{}' is no --quant id", m.published_quant));
  }
  if (const auto* moe = r.child("moe", false)) {
    detail::ObjectReader mr(*moe, r.child_pointer("moe"), diagnostics);
    MoeSpec spec;
    spec.experts = mr.small_integer("experts", Check::positive, true).value_or(0);
    spec.experts_used = mr.small_integer("experts_used", Check::positive, true).value_or(0);
    spec.shared_experts = mr.small_integer("shared_experts", Check::non_negative, true).value_or(0);
    spec.expert_intermediate =
        mr.integer("expert_intermediate_size", Check::positive, true).value_or(0);
    spec.shared_expert_intermediate =
        mr.integer("shared_expert_intermediate_size", Check::positive, false)
            .value_or(spec.expert_intermediate);
    spec.dense_layers_first =
        mr.small_integer("dense_layers_first", Check::non_negative, false).value_or(0);
    spec.dense_intermediate =
        mr.integer("dense_intermediate_size", Check::positive, false).value_or(m.intermediate);
    mr.finish();
    if (spec.experts_used > spec.experts) {
      diagnostics.add(r.child_pointer("moe") + "/experts_used", "experts_used exceeds experts");
    }
    m.moe = spec;
  }
  if (const auto* mla = r.child("mla", false)) {
    detail::ObjectReader lr(*mla, r.child_pointer("mla"), diagnostics);
    MlaSpec spec;
    spec.q_lora_rank = lr.small_integer("q_lora_rank", Check::non_negative, true).value_or(0);
    spec.kv_lora_rank = lr.small_integer("kv_lora_rank", Check::positive, true).value_or(0);
    spec.qk_rope_head_dim = lr.small_integer("qk_rope_head_dim", Check::positive, true).value_or(0);
    spec.qk_nope_head_dim = lr.small_integer("qk_nope_head_dim", Check::positive, true).value_or(0);
    spec.v_head_dim = lr.small_integer("v_head_dim", Check::positive, true).value_or(0);
    lr.finish();
    m.mla = spec;
  }
  m.source = r.string("source", true);
  m.params_source = r.optional_string("params_source").value_or("");
  m.notes = r.optional_string("notes").value_or("");
  r.finish();
  if (m.attention == AttentionKind::mla && !m.mla) {
    diagnostics.add(pointer, "attention_kind 'mla' needs an 'mla' object");
  }
  if (m.sliding_window_layers > m.layers) {
    diagnostics.add(pointer + "/sliding_window_layers", "more sliding-window layers than layers");
  }
  if (m.active_params > m.total_params) {
    diagnostics.add(pointer + "/active_params", "active_params exceeds total_params");
  }
  return m;
}

}  // namespace

std::string_view to_string(Architecture arch) {
  for (const auto& a : k_arch_names) {
    if (a.arch == arch) {
      return a.hf;
    }
  }
  return "generic";
}

std::optional<Architecture> parse_architecture(std::string_view text) {
  const std::string key = normalize_key(text);
  for (const auto& a : k_arch_names) {
    if (normalize_key(a.hf) == key || normalize_key(a.gguf) == key) {
      return a.arch;
    }
  }
  return std::nullopt;
}

std::string_view to_string(AttentionKind kind) {
  return k_attention_names[static_cast<std::size_t>(kind)];
}

std::optional<AttentionKind> parse_attention_kind(std::string_view text) {
  const std::string key = normalize_key(text);
  for (std::size_t i = 0; i < k_attention_names.size(); ++i) {
    if (k_attention_names[i] == key) {
      return static_cast<AttentionKind>(i);
    }
  }
  return std::nullopt;
}

namespace {
std::string lower_ascii(std::string_view text);
}  // namespace

ModelCatalog parse_models(std::string_view text, const std::string& display_name) {
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  ModelCatalog catalog;
  catalog.schema_version =
      top.small_integer("schema_version", detail::Check::positive, true).value_or(0);
  if (catalog.schema_version > 1) {
    diagnostics.add("/schema_version",
                    fmt::format("unsupported schema_version {} (this llmroof reads 1)",
                                catalog.schema_version));
  }
  top.optional_string("description");
  top.each_element("models", true, {"models"},
                   [&](const nlohmann::json& value, const std::string& pointer) {
                     catalog.models.push_back(read_model(value, pointer, diagnostics));
                   });
  top.each_object("ollama_tags", false, {"Ollama tags"}, [&](detail::ObjectReader& r) {
    OllamaTag t;
    t.tag = r.string("tag", true);
    t.model = r.string("model", true);
    t.quant = r.string("quant", true);
    t.source = r.string("source", true);
    t.checked = r.optional_string("checked").value_or("");
    r.finish();
    catalog.ollama_tags.push_back(std::move(t));
  });
  top.finish();
  for (std::size_t i = 0; i < catalog.ollama_tags.size(); ++i) {
    const OllamaTag& t = catalog.ollama_tags[i];
    const std::string where = fmt::format("/ollama_tags/{}", i);
    if (t.tag.find(':') == std::string::npos || t.tag != lower_ascii(t.tag)) {
      diagnostics.add(where, fmt::format("tag '{}' is not lower-case 'name:tag'", t.tag));
    }
    if (find_model(catalog, t.model) == nullptr) {
      diagnostics.add(where, fmt::format("model '{}' is not in the catalog", t.model));
    }
    if (!find_quant(t.quant)) {
      diagnostics.add(where, fmt::format("quant '{}' is no --quant id", t.quant));
    }
    if (t.source.rfind("https://", 0) != 0) {
      diagnostics.add(where, "source must be an https URL");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (catalog.ollama_tags[j].tag == t.tag) {
        diagnostics.add(where, fmt::format("tag '{}' is listed twice", t.tag));
      }
    }
  }
  // Names must stay unambiguous after normalization.
  NameClaims claims;
  for (std::size_t i = 0; i < catalog.models.size(); ++i) {
    const auto& m = catalog.models[i];
    std::vector<std::string> names = m.aliases;
    names.insert(names.begin(), m.id);
    for (const auto& name : names) {
      if (auto other = claims.claim(name, m.id)) {
        diagnostics.add(fmt::format("/models/{}", i),
                        fmt::format("name '{}' is already used by '{}'", name, *other));
      }
    }
  }
  diagnostics.throw_if_any(text, display_name);
  return catalog;
}

const ModelSpec* find_model(const ModelCatalog& catalog, std::string_view name) {
  const std::string key = normalize_key(name);
  for (const auto& m : catalog.models) {
    if (matches_key(m.id, key)) {
      return &m;
    }
  }
  for (const auto& m : catalog.models) {
    for (const auto& alias : m.aliases) {
      if (matches_key(alias, key)) {
        return &m;
      }
    }
  }
  return nullptr;
}

namespace {

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::optional<OllamaMatch> find_ollama_tag(const ModelCatalog& catalog, std::string_view name) {
  std::string text = lower_ascii(trim(name));
  if (text.rfind("library/", 0) == 0) {
    text.erase(0, 8);  // Ollama's default namespace
  }
  if (text.empty() || text.find_first_of(" /") != std::string::npos) {
    return std::nullopt;
  }
  if (text.find(':') == std::string::npos) {
    text += ":latest";
  }
  const auto entry_for = [&](const std::string& tag) -> const OllamaTag* {
    for (const auto& t : catalog.ollama_tags) {
      if (t.tag == tag) {
        return &t;
      }
    }
    return nullptr;
  };
  if (const OllamaTag* exact = entry_for(text)) {
    return OllamaMatch{exact, ""};
  }
  // name:SIZE[-FLAVOUR...][-QUANT]: the quant is the last word, or the last two
  // ("q4_K_M" has no '-', but "fp16" and "q8_0" are single words too).
  const std::size_t colon = text.find(':');
  const std::string library = text.substr(0, colon);
  std::vector<std::string> words = split_list(text.substr(colon + 1), "-");
  std::string tag_quant;
  if (words.size() > 1 && find_quant(words.back())) {
    tag_quant = find_quant(words.back())->id;
    words.pop_back();
  }
  static constexpr std::string_view flavours[] = {"instruct", "text", "it", "chat"};
  while (!words.empty()) {
    std::string tag = library + ":";
    for (std::size_t i = 0; i < words.size(); ++i) {
      tag += (i > 0 ? "-" : "") + words[i];
    }
    if (const OllamaTag* entry = entry_for(tag)) {
      return OllamaMatch{entry, tag_quant};
    }
    if (std::find(std::begin(flavours), std::end(flavours), words.back()) == std::end(flavours)) {
      break;  // a word that is neither flavour nor quant: no tag of this table
    }
    words.pop_back();
  }
  return std::nullopt;
}

namespace {

bool is_number(const std::string& word) {
  return !word.empty() && std::isdigit(static_cast<unsigned char>(word.front())) != 0;
}

// Words of a model id: runs of letters and runs of digits, with a '.' inside a number kept
// ("llama-3.1-8b" -> llama, 3.1, 8, b; "qwen3-0.6b" -> qwen, 3, 0.6, b).
std::vector<std::string> model_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool digit = std::isdigit(c) != 0;
    const bool alpha = std::isalpha(c) != 0;
    const bool in_number = text[i] == '.' && !word.empty() &&
                           std::isdigit(static_cast<unsigned char>(word.back())) != 0 &&
                           i + 1 < text.size() &&
                           std::isdigit(static_cast<unsigned char>(text[i + 1])) != 0;
    if (in_number) {
      word.push_back('.');
      continue;
    }
    if (!digit && !alpha) {
      flush();
      continue;
    }
    if (!word.empty() && is_number(word) != digit) {
      flush();
    }
    word.push_back(static_cast<char>(std::tolower(c)));
  }
  flush();
  return words;
}

// Whether `words` start with a parameter count: "7 b", "0.6 b", "8 x 7 b", "124 m".
bool starts_with_size(std::span<const std::string> words) {
  auto unit = [](const std::string& w) { return w == "b" || w == "m"; };
  if (words.size() >= 2 && is_number(words[0]) && unit(words[1])) {
    return true;
  }
  return words.size() >= 4 && is_number(words[0]) && words[1] == "x" && is_number(words[2]) &&
         unit(words[3]);
}

}  // namespace

ModelLookup lookup_model(const ModelCatalog& catalog, std::string_view name) {
  if (const ModelSpec* exact = find_model(catalog, name)) {
    return {exact, ""};
  }
  const std::string loose = loose_model_key(name);
  if (loose.empty()) {
    return {};
  }
  const ModelSpec* found = nullptr;
  for (const auto& m : catalog.models) {
    bool hit = loose_model_key(m.id) == loose;
    for (std::size_t i = 0; !hit && i < m.aliases.size(); ++i) {
      hit = loose_model_key(m.aliases[i]) == loose;
    }
    if (hit) {
      if (found != nullptr && found != &m) {
        return {};
      }
      found = &m;
    }
  }
  if (found != nullptr) {
    return {found, fmt::format("'{}' read as catalog model {}", name, found->id)};
  }
  // A family named without its size: every id that continues the name with a size.
  std::string_view base = name;
  if (const auto slash = base.rfind('/'); slash != std::string_view::npos) {
    base.remove_prefix(slash + 1);
  }
  const auto query = model_words(base);
  if (query.empty()) {
    return {};
  }
  std::vector<const ModelSpec*> family;
  for (const auto& m : catalog.models) {
    const auto words = model_words(m.id);
    if (words.size() > query.size() && std::equal(query.begin(), query.end(), words.begin()) &&
        starts_with_size(std::span<const std::string>(words).subspan(query.size()))) {
      family.push_back(&m);
    }
  }
  if (family.empty()) {
    return {};
  }
  const ModelSpec* smallest = *std::min_element(
      family.begin(), family.end(),
      [](const ModelSpec* a, const ModelSpec* b) { return a->total_params < b->total_params; });
  if (family.size() == 1) {
    return {smallest, fmt::format("'{}' read as catalog model {}", name, smallest->id)};
  }
  std::vector<std::string> ids;
  for (const auto* m : family) {
    ids.push_back(m->id);
  }
  return {smallest, fmt::format("'{}' names {} catalog models ({}): using the smallest, {}; "
                                "name another to choose it",
                                name, family.size(), fmt::join(ids, ", "), smallest->id)};
}

std::vector<std::string> closest_model_ids(const ModelCatalog& catalog, std::string_view name) {
  std::vector<std::string> names;
  std::map<std::string, std::string> owner;  // name -> its model's id
  for (const auto& m : catalog.models) {
    if (owner.emplace(m.id, m.id).second) {
      names.push_back(m.id);
    }
    for (const auto& a : m.aliases) {
      if (owner.emplace(a, m.id).second) {
        names.push_back(a);
      }
    }
  }
  std::vector<std::string> ids;
  std::string query = loose_model_key(name);
  if (query.empty()) {
    query = std::string(name);
  }
  for (const auto& match : closest_matches(query, names, names.size())) {
    const std::string& id = owner[match];
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
      ids.push_back(id);
    }
    if (ids.size() == 3) {
      break;
    }
  }
  return ids;
}

std::optional<double> parse_size(std::string_view text) {
  if (text.size() < 2) {
    return std::nullopt;
  }
  const char suffix = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  double scale = 0;
  switch (suffix) {
    case 'k':
      scale = 1e3;
      break;
    case 'm':
      scale = 1e6;
      break;
    case 'b':
      scale = 1e9;
      break;
    case 't':
      scale = 1e12;
      break;
    default:
      return std::nullopt;
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  bool seen_dot = false;
  for (char c : digits) {
    if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  if (digits.empty() || digits == ".") {
    return std::nullopt;
  }
  // Hundreds of digits ("1000...0b") are out of the double range: refused as out of range.
  const auto parsed = parse_double(digits);
  const double value = parsed ? parsed.value * scale : 0;
  if (!(value >= k_min_shorthand_params && value <= k_max_shorthand_params)) {
    throw UsageError(fmt::format(
        "model size '{}' is out of range: shorthand sizes go from 1M to 100T parameters", text));
  }
  return value;
}

ModelSpec generic_model(double params, std::string_view label) {
  // Outside the shorthand range (or NaN) the rounding below overflows (UBSan: llround(NaN)).
  if (!(params >= k_min_shorthand_params && params <= k_max_shorthand_params)) {
    throw ModelSpecError(fmt::format(
        "model size '{}': {} parameters is outside the shorthand range 1M to 100T", label, params));
  }
  // Published dense transformers keep hidden / layers near 128 (LLaMA-7B 4096/32, 13B 5120/40,
  // GPT-3 12288/96), so with P = 12 * L * d^2 and d = 128 * L, L = (P / 196608)^(1/3).
  const double layers_exact = std::cbrt(params / 196608.0);
  const int layers = std::max(1, static_cast<int>(std::lround(layers_exact)));
  const double hidden_exact = std::sqrt(params / (12.0 * layers));
  // Hidden is a whole number of heads: 128 wide, or 64 for very small models.
  const std::int64_t head = hidden_exact >= 128 ? 128 : 64;
  const auto hidden =
      std::max<std::int64_t>(head, std::llround(hidden_exact / static_cast<double>(head)) * head);
  ModelSpec m;
  m.id = std::string(label);
  m.name = fmt::format("generic {} dense model", label);
  m.architecture = Architecture::generic;
  m.generic_size = true;
  m.total_params = params;
  m.active_params = params;
  m.layers = layers;
  m.hidden = hidden;
  m.head_dim = static_cast<int>(head);
  m.heads = static_cast<int>(hidden / m.head_dim);
  m.kv_heads = m.heads;
  m.intermediate = 4 * hidden;
  m.vocab = 0;
  m.attention = AttentionKind::mha;
  m.max_context = 0;
  m.source = "derived: P ~= 12 * layers * hidden^2 (source articles), hidden ~= 128 * layers";
  if (const auto problems = model_spec_problems(m); !problems.empty()) {
    // The shape rule gives valid shapes across the whole range; this keeps it honest.
    throw ModelSpecError(fmt::format("model size '{}': {}: {}", label, problems.front().field,
                                     problems.front().message));
  }
  return m;
}

std::vector<ModelSpecProblem> model_spec_problems(const ModelSpec& model) {
  std::vector<ModelSpecProblem> out;
  const auto at_least = [&](std::string field, std::int64_t value, std::int64_t min) {
    if (value < min) {
      out.push_back({std::move(field), fmt::format("expected at least {}, got {}", min, value)});
    }
  };
  const auto between = [&](std::string field, std::int64_t value, std::int64_t min,
                           std::int64_t max, std::string_view max_name) {
    if (value < min || value > max) {
      out.push_back({std::move(field),
                     fmt::format("expected {} to {} ({}), got {}", min, max, max_name, value)});
    }
  };
  at_least("layers", model.layers, 1);
  at_least("hidden", model.hidden, 1);
  at_least("heads", model.heads, 1);
  if (model.heads >= 1) {
    between("kv_heads", model.kv_heads, 1, model.heads, "the head count");
    for (std::size_t layer = 0; layer < model.kv_heads_per_layer.size(); ++layer) {
      const int kv = model.kv_heads_per_layer[layer];
      if (kv < 0 || kv > model.heads) {
        out.push_back({"kv_heads_per_layer",
                       fmt::format("expected 0 to {} (the head count) on layer {}, got {}",
                                   model.heads, layer, kv)});
        break;
      }
    }
  }
  at_least("head_dim", model.head_dim, 1);
  at_least("intermediate", model.intermediate, 0);
  at_least("vocab", model.vocab, 0);
  at_least("max_context", model.max_context, 0);
  at_least("sliding_window", model.sliding_window, 0);
  if (model.layers >= 1) {
    between("sliding_window_layers", model.sliding_window_layers, 0, model.layers,
            "the layer count");
  }
  if (model.moe) {
    const MoeSpec& moe = *model.moe;
    at_least("moe.experts", moe.experts, 1);
    if (moe.experts >= 1) {
      between("moe.experts_used", moe.experts_used, 1, moe.experts, "the expert count");
    }
    at_least("moe.shared_experts", moe.shared_experts, 0);
    // 0 when a GGUF with tensors names no FFN width (its counts come from the tensors).
    at_least("moe.expert_intermediate", moe.expert_intermediate, 0);
    if (model.layers >= 1) {
      between("moe.dense_layers_first", moe.dense_layers_first, 0, model.layers, "the layer count");
    }
  }
  if (model.attention == AttentionKind::mla) {
    if (!model.mla) {
      out.push_back({"mla", "attention is MLA but the latent's widths are missing"});
    } else {
      const MlaSpec& mla = *model.mla;
      at_least("mla.kv_lora_rank", mla.kv_lora_rank, 1);
      at_least("mla.q_lora_rank", mla.q_lora_rank, 0);
      at_least("mla.qk_rope_head_dim", mla.qk_rope_head_dim, 0);
      at_least("mla.qk_nope_head_dim", mla.qk_nope_head_dim, 0);
      at_least("mla.key_length",
               std::int64_t{mla.qk_rope_head_dim} + std::int64_t{mla.qk_nope_head_dim}, 1);
      at_least("mla.v_head_dim", mla.v_head_dim, 1);
    }
  }
  const auto count = [&](std::string field, double value) {
    if (!std::isfinite(value) || value < 0) {
      out.push_back(
          {std::move(field), fmt::format("expected a finite non-negative count, got {}", value)});
      return false;
    }
    return true;
  };
  if (count("total_params", model.total_params) && count("active_params", model.active_params) &&
      model.active_params > model.total_params) {
    out.push_back({"active_params", fmt::format("{} is more than total_params ({})",
                                                model.active_params, model.total_params)});
  }
  return out;
}

int full_attention_layers(const ModelSpec& model) {
  return model.sliding_window > 0 ? model.layers - model.sliding_window_layers : model.layers;
}

int kv_heads_of_layer(const ModelSpec& model, int layer) {
  if (!model.kv_heads_per_layer.empty() && layer >= 0 &&
      static_cast<std::size_t>(layer) < model.kv_heads_per_layer.size()) {
    return model.kv_heads_per_layer[static_cast<std::size_t>(layer)];
  }
  return model.kv_heads;
}

KvShape kv_shape(const ModelSpec& model) {
  KvShape shape;
  if (model.attention == AttentionKind::mla && model.mla) {
    shape.full_elements_per_token =
        static_cast<double>(model.layers) * (model.mla->kv_lora_rank + model.mla->qk_rope_head_dim);
    return shape;
  }
  // Layers using the window are taken to be the first sliding_window_layers of the pattern;
  // only their count matters when heads are uniform.
  const int window_layers = model.sliding_window > 0 ? model.sliding_window_layers : 0;
  shape.window_tokens = window_layers > 0 ? model.sliding_window : 0;
  if (model.kv_heads_per_layer.empty()) {
    const double per_layer = 2.0 * model.kv_heads * model.head_dim;
    shape.window_elements_per_token = per_layer * window_layers;
    shape.full_elements_per_token = per_layer * (model.layers - window_layers);
    return shape;
  }
  for (int layer = 0; layer < model.layers; ++layer) {
    const double elements = 2.0 * kv_heads_of_layer(model, layer) * model.head_dim;
    if (layer < window_layers) {
      shape.window_elements_per_token += elements;
    } else {
      shape.full_elements_per_token += elements;
    }
  }
  shape.window_tokens = window_layers > 0 ? model.sliding_window : 0;
  return shape;
}

double kv_cache_bytes(const ModelSpec& model, double tokens, double bytes_per_element) {
  const KvShape shape = kv_shape(model);
  const double window_tokens =
      shape.window_tokens > 0 ? std::min(tokens, static_cast<double>(shape.window_tokens)) : 0;
  return (shape.full_elements_per_token * tokens +
          shape.window_elements_per_token * window_tokens) *
         bytes_per_element;
}

double attention_flops_per_token(const ModelSpec& model, double context_tokens) {
  if (model.attention == AttentionKind::mla && model.mla) {
    // llama.cpp multiplies in the latent space (weights absorbed): scores over
    // kv_lora_rank + rope dims, values over kv_lora_rank, for every head.
    const double per_layer =
        2.0 * model.heads * (2.0 * model.mla->kv_lora_rank + model.mla->qk_rope_head_dim);
    return per_layer * model.layers * context_tokens;
  }
  const int window_layers = model.sliding_window > 0 ? model.sliding_window_layers : 0;
  const double per_layer_per_token = 4.0 * model.heads * model.head_dim;
  const double window_context =
      window_layers > 0 ? std::min(context_tokens, static_cast<double>(model.sliding_window)) : 0;
  return per_layer_per_token *
         ((model.layers - window_layers) * context_tokens + window_layers * window_context);
}

double attention_flops_sum(const ModelSpec& model, double context_tokens, double tokens) {
  if (tokens <= 0) {
    return 0;
  }
  // f(c) = a * c on full layers and a * min(c, W) on windowed ones: sum each part exactly.
  const double n = tokens;
  const double c0 = context_tokens;
  const double linear_sum = n * c0 + n * (n - 1) / 2;  // sum of (c0 + i)
  if (model.attention == AttentionKind::mla || model.sliding_window <= 0 ||
      model.sliding_window_layers <= 0) {
    return attention_flops_per_token(model, 1.0) * linear_sum;
  }
  const double per_layer_per_token = 4.0 * model.heads * model.head_dim;
  const double window = model.sliding_window;
  const double below = std::clamp(window - c0, 0.0, n);  // tokens still inside the window
  const double window_sum = below * c0 + below * (below - 1) / 2 + (n - below) * window;
  const int window_layers = model.sliding_window_layers;
  return per_layer_per_token *
         ((model.layers - window_layers) * linear_sum + window_layers * window_sum);
}

}  // namespace llmroof
