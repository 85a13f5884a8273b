#include "llmroof/app/request_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

namespace {

using nlohmann::json;

// Every field, in the order of `llmroof estimate --help`.
constexpr std::array<std::string_view, 31> k_fields = {
    "model",          "quant",       "device",
    "bandwidth",      "tflops",      "memory",
    "usable_memory",  "kv_quant",    "compute_precision",
    "backend",        "ideal",       "expert_skew",
    "batch",          "context",     "prompt",
    "generate",       "sort",        "power",
    "price_per_hour", "show",        "count",
    "split",          "split_ratio", "link",
    "gpu_layers",     "host",        "cpu_moe",
    "draft",          "draft_quant", "draft_tokens",
    "acceptance",
};

constexpr std::array<std::string_view, 6> k_precisions = {"fp32", "fp16", "bf16",
                                                          "fp8",  "int8", "int4"};
constexpr std::array<std::string_view, 7> k_backends = {"cuda", "rocm", "metal", "vulkan",
                                                        "sycl", "cpu",  "opencl"};
constexpr std::array<std::string_view, 3> k_splits = {"layer", "tensor", "row"};

// Short rendering of a value for messages ("'x'", "2.5", "true").
std::string shown(const json& value) {
  if (value.is_string()) {
    return fmt::format("'{}'", value.get<std::string>());
  }
  std::string text = value.dump();
  if (text.size() > 40) {
    text = text.substr(0, 37) + "...";
  }
  return text;
}

[[noreturn]] void bad(const std::string& field, std::string_view expected, const json& value) {
  throw RequestError(field,
                     fmt::format("{{{}}} must be {}, got {}", field, expected, shown(value)));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The fields of one request object; each read removes its key, so that what is left is unknown.
class Fields {
 public:
  explicit Fields(json object) : m_object(std::move(object)) {}

  // The value of `field`, or nullptr when absent or null.
  const json* find(const std::string& field) const {
    const auto it = m_object.find(field);
    return it == m_object.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<std::string> text(const std::string& field) const {
    const json* value = find(field);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_string()) {
      bad(field, "a string", *value);
    }
    return value->get<std::string>();
  }

  // A string, or an array of strings joined with ','.
  std::optional<std::string> list(const std::string& field) const {
    const json* value = find(field);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (value->is_string()) {
      return value->get<std::string>();
    }
    if (!value->is_array() ||
        !std::all_of(value->begin(), value->end(), [](const json& v) { return v.is_string(); })) {
      bad(field, "a string or a list of strings", *value);
    }
    std::string joined;
    for (const auto& item : *value) {
      joined += (joined.empty() ? "" : ",") + item.get<std::string>();
    }
    return joined;
  }

  std::optional<bool> flag(const std::string& field) const {
    const json* value = find(field);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (!value->is_boolean()) {
      bad(field, "true or false", *value);
    }
    return value->get<bool>();
  }

  // A whole number in [min_value, max_value]; a number with a zero fraction (2.0) counts.
  std::optional<std::int64_t> whole(const std::string& field, std::int64_t min_value,
                                    std::int64_t max_value) const {
    const json* value = find(field);
    if (value == nullptr) {
      return std::nullopt;
    }
    const std::string expected = fmt::format("a whole number from {} to {}", min_value, max_value);
    if (value->is_number_unsigned()) {
      const auto n = value->get<std::uint64_t>();
      if (n > static_cast<std::uint64_t>(max_value) || static_cast<std::int64_t>(n) < min_value) {
        bad(field, expected, *value);
      }
      return static_cast<std::int64_t>(n);
    }
    if (value->is_number_integer()) {
      const auto n = value->get<std::int64_t>();
      if (n < min_value || n > max_value) {
        bad(field, expected, *value);
      }
      return n;
    }
    if (value->is_number_float()) {
      const double x = value->get<double>();
      if (std::isfinite(x) && x == std::floor(x) && x >= static_cast<double>(min_value) &&
          x <= static_cast<double>(max_value)) {
        return static_cast<std::int64_t>(x);
      }
    }
    bad(field, expected, *value);
  }

  // A finite number; `positive`: above 0, else within [min_value, max_value].
  std::optional<double> number(const std::string& field, bool positive, double min_value = 0,
                               double max_value = 0) const {
    const json* value = find(field);
    if (value == nullptr) {
      return std::nullopt;
    }
    const std::string expected = positive
                                     ? std::string("a positive number")
                                     : fmt::format("a number from {} to {}", min_value, max_value);
    if (!value->is_number()) {
      bad(field, expected, *value);
    }
    const double x = value->get<double>();
    const bool ok = std::isfinite(x) && (positive ? x > 0 : x >= min_value && x <= max_value);
    if (!ok) {
      bad(field, expected, *value);
    }
    return x;
  }

  // One of `names` (case ignored), returned in lowercase.
  template <std::size_t N>
  std::optional<std::string> choice(const std::string& field,
                                    const std::array<std::string_view, N>& names) const {
    std::vector<std::string> all(names.begin(), names.end());
    return choice(field, all);
  }

  std::optional<std::string> choice(const std::string& field,
                                    const std::vector<std::string>& names) const {
    const auto given = text(field);
    if (!given) {
      return std::nullopt;
    }
    const std::string key = lower(*given);
    if (std::find(names.begin(), names.end(), key) != names.end()) {
      return key;
    }
    auto suggestions = closest_matches(*given, names);
    std::string joined;
    for (const auto& name : names) {
      joined += (joined.empty() ? "" : ", ") + name;
    }
    throw RequestError(field,
                       fmt::format("{{{}}} must be one of {}, got '{}'", field, joined, *given),
                       std::move(suggestions));
  }

  // split_ratio: "3,1", or numbers.
  std::optional<std::string> ratio(const std::string& field) const {
    const json* value = find(field);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (value->is_string()) {
      return value->get<std::string>();
    }
    if (!value->is_array() || value->empty() ||
        !std::all_of(value->begin(), value->end(), [](const json& v) { return v.is_number(); })) {
      bad(field, "a string such as \"3,1\" or a list of numbers", *value);
    }
    std::string joined;
    for (const auto& item : *value) {
      joined += (joined.empty() ? "" : ",") + item.dump();
    }
    return joined;
  }

  // gpu_layers: a count, or "auto".
  std::optional<std::string> layers(const std::string& field) const {
    const json* value = find(field);
    if (value == nullptr) {
      return std::nullopt;
    }
    if (value->is_string()) {
      return value->get<std::string>();
    }
    return std::to_string(*whole(field, 0, 100000));
  }

  // Throws for a key no field reads.
  void refuse_unknown() const {
    const std::vector<std::string> known(k_fields.begin(), k_fields.end());
    for (const auto& [key, value] : m_object.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        auto suggestions = closest_matches(key, known);
        const std::string hint = did_you_mean(suggestions);
        throw RequestError(
            key,
            fmt::format("unknown estimate field '{}'{}{}", key, hint.empty() ? "" : "; ", hint),
            std::move(suggestions));
      }
    }
  }

 private:
  json m_object;
};

ModelArgument model_argument(const std::optional<std::string>& name, std::vector<ModelFile> files,
                             const std::string& field) {
  if (!files.empty()) {
    std::string text = name.value_or(files.front().name);
    return {std::move(text), std::move(files)};
  }
  if (!name || name->empty()) {
    throw RequestError(field, fmt::format("{{{}}} is required", field));
  }
  return {*name, {}};
}

}  // namespace

std::span<const std::string_view> estimate_request_fields() { return k_fields; }

EstimateRequest estimate_request_from_json(std::string_view text,
                                           std::vector<ModelFile> model_files,
                                           std::vector<ModelFile> draft_files) {
  json object;
  try {
    object = json::parse(text);
  } catch (const json::parse_error& e) {
    throw RequestError("request", fmt::format("the request is not JSON: {}", e.what()));
  }
  if (!object.is_object()) {
    throw RequestError("request", "the request must be a JSON object");
  }
  const Fields f(std::move(object));
  f.refuse_unknown();

  EstimateRequest r;
  r.model = model_argument(f.text("model"), std::move(model_files), "model");
  r.quant = f.text("quant");
  const auto devices = f.list("device");
  if (!devices || devices->empty()) {
    throw RequestError("device", "{device} is required");
  }
  r.devices = *devices;

  EstimateOptions& o = r.options;
  o.batch = static_cast<int>(f.whole("batch", 1, 1 << 20).value_or(o.batch));
  constexpr std::int64_t k_max_tokens = 100000000;
  if (auto n = f.whole("context", 0, k_max_tokens)) {
    o.context_tokens = static_cast<double>(*n);
  }
  if (auto n = f.whole("prompt", 0, k_max_tokens)) {
    o.prompt_tokens = static_cast<double>(*n);
  }
  if (auto n = f.whole("generate", 0, k_max_tokens)) {
    o.generate_tokens = static_cast<double>(*n);
    r.generate_given = true;
  }
  std::vector<std::string> kv_names;
  for (const auto name : kv_quant_names()) {
    kv_names.emplace_back(name);
  }
  if (auto kv = f.choice("kv_quant", kv_names)) {
    o.kv_quant = *kv;
  }
  o.kv_bytes_per_element = kv_bytes_per_element(o.kv_quant).value_or(2.0);
  if (auto precision = f.choice("compute_precision", k_precisions)) {
    o.compute_precision = parse_precision(*precision);
  }
  if (auto gb_per_s = f.number("bandwidth", true)) {
    o.bandwidth_bytes_per_s = *gb_per_s * units::k_gb;
  }
  if (auto tflops = f.number("tflops", true)) {
    o.peak_flops_per_s = *tflops * units::k_tera;
  }
  if (auto gib = f.number("memory", true)) {
    o.memory_bytes = *gib * units::k_gib;
  }
  if (auto gib = f.number("usable_memory", true)) {
    if (o.memory_bytes) {
      throw RequestError("usable_memory",
                         "{usable_memory} sets usable memory directly; give it or {memory} "
                         "(installed), not both");
    }
    o.usable_memory_bytes = *gib * units::k_gib;
  }
  o.backend = f.choice("backend", k_backends).value_or("");
  o.ideal = f.flag("ideal").value_or(false);
  o.expert_skew = f.number("expert_skew", false, 0.0, 0.99).value_or(0.0);
  o.power_w = f.number("power", true);
  o.price_usd_per_hour = f.number("price_per_hour", true);

  r.sort = f.text("sort").value_or(r.sort);
  if (auto show = f.list("show")) {
    for (std::size_t start = 0; start <= show->size();) {
      const std::size_t comma = std::min(show->find(',', start), show->size());
      if (comma > start) {
        r.show.push_back(show->substr(start, comma - start));
      }
      start = comma + 1;
    }
  }
  r.count = static_cast<int>(f.whole("count", 1, 4096).value_or(1));
  r.split = f.choice("split", k_splits);
  r.split_ratio = f.ratio("split_ratio");
  r.link = f.text("link");
  r.gpu_layers = f.layers("gpu_layers");
  r.host = f.text("host");
  r.cpu_moe = f.flag("cpu_moe").value_or(false);
  const auto draft = f.text("draft");
  if (draft || !draft_files.empty()) {
    r.draft = model_argument(draft, std::move(draft_files), "draft");
  }
  r.draft_quant = f.text("draft_quant");
  if (auto k = f.whole("draft_tokens", 1, 256)) {
    r.draft_tokens = static_cast<int>(*k);
  }
  r.acceptance = f.number("acceptance", false, 0.0, 1.0);
  return r;
}

}  // namespace llmroof
