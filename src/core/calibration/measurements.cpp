// Measurement readers: the calibration CSV layout, llama-bench test names, the format
// dispatch of parse_measurements, and the alias file.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "calibration/calibration_text.hpp"
#include "data/json_reader.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

using namespace calib;  // NOLINT(google-build-using-namespace)

namespace {

// --- Test names ---------------------------------------------------------------------------------

// Reads "<prefix><digits>" at the start of `s`, advancing it.
bool read_count(std::string_view& s, std::string_view prefix, int& count) {
  if (!starts_with(s, prefix)) {
    return false;
  }
  std::size_t i = prefix.size();
  while (i < s.size() && s[i] == ' ') {
    ++i;
  }
  const std::size_t digits = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
    ++i;
  }
  if (i == digits) {
    return false;
  }
  const auto value = to_int64(s.substr(digits, i - digits), 0, k_max_test_tokens);
  if (!value) {
    return false;
  }
  count = static_cast<int>(*value);
  s.remove_prefix(i);
  return true;
}

// --- Calibration CSV ----------------------------------------------------------------------------

// Column ids of the calibration layout: required ones first.
const std::vector<std::string> k_required_columns = {"device", "backend", "model",
                                                     "quant",  "test",    "tokens_per_s"};

std::vector<Measurement> parse_calibration_records(const std::vector<CsvRecord>& records,
                                                   const std::string& display_name) {
  Problems problems(display_name);
  std::vector<Measurement> out;
  if (records.empty()) {
    problems.add(1, "empty file: expected a header row");
    problems.throw_if_any();
  }
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < records.front().fields.size(); ++i) {
    column.emplace(std::string(trim(records.front().fields[i])), i);
  }
  for (const auto& name : k_required_columns) {
    if (column.find(name) == column.end()) {
      problems.add(records.front().line, fmt::format("missing column '{}'", name));
    }
  }
  problems.throw_if_any();
  for (std::size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    auto get = [&](const std::string& name) -> std::string {
      auto it = column.find(name);
      if (it == column.end() || it->second >= rec.fields.size()) {
        return {};
      }
      return std::string(trim(rec.fields[it->second]));
    };
    if (rec.fields.size() != records.front().fields.size()) {
      problems.add(rec.line, fmt::format("expected {} fields, got {}",
                                         records.front().fields.size(), rec.fields.size()));
      continue;
    }
    Measurement m;
    m.origin = problems.origin(rec.line);
    m.device = get("device");
    m.device_detail = get("device_detail");
    m.backend = get("backend");
    m.engine = get("engine_version");
    m.model = get("model");
    m.quant = get("quant");
    m.test = get("test");
    m.source = get("source_url");
    m.note = get("note");
    if (m.device.empty()) {
      problems.add(rec.line, "column 'device': empty");
    }
    if (m.model.empty()) {
      problems.add(rec.line, "column 'model': empty");
    }
    const auto tps = to_number(get("tokens_per_s"));
    if (!tps || *tps <= 0) {
      problems.add(rec.line, fmt::format("column 'tokens_per_s': expected a positive number, got "
                                         "'{}'",
                                         get("tokens_per_s")));
      continue;
    }
    m.tokens_per_s = *tps;
    if (auto params = to_number(get("model_params_b")); params && *params > 0) {
      m.model_params = *params * units::k_giga;
    }
    if (auto threads = to_int(get("threads")); threads && *threads > 0) {
      m.threads = *threads;
    }
    const std::string layers = get("gpu_layers");
    if (lower(layers) == "all") {
      m.gpu_layers = 999;
    } else if (auto n = to_int(layers)) {
      m.gpu_layers = *n;
    }
    m.kv_on_host = m.note.find("-nkvo 1") != std::string::npos;
    // The scoreboards' notes: "-fa 1", "fa=1", "with flash attention" (not "without").
    m.flash_attention = m.note.find("-fa 1") != std::string::npos ||
                        m.note.find("fa=1") != std::string::npos ||
                        m.note.find("with flash attention") != std::string::npos;
    m.test_understood = parse_test_name(m.test, m);
    if (const auto problem = test_count_problem(m.test); problem && !m.test_understood) {
      problems.add(rec.line, fmt::format("column 'test': {}", *problem));
      continue;
    }
    if (auto depth = to_int(get("context_depth")); depth && *depth > 0) {
      m.depth_tokens = *depth;
    }
    // llama-batched-bench rows: the batch column counts the parallel sequences.
    if (m.test.find("-batched") != std::string::npos) {
      if (auto batch = to_int(get("batch")); batch && *batch > 0) {
        m.sequences = *batch;
      }
    }
    out.push_back(std::move(m));
  }
  problems.throw_if_any();
  return out;
}

}  // namespace

bool parse_test_name(std::string_view test, Measurement& m) {
  std::string compact;
  for (char c : test) {
    if (c != ' ') {
      compact.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  std::string_view s = compact;
  int prompt = 0;
  int gen = 0;
  int depth = 0;
  bool batched = false;
  if (read_count(s, "pp", prompt)) {
    if (starts_with(s, "+") && (s.remove_prefix(1), !read_count(s, "tg", gen))) {
      return false;
    }
  } else if (!read_count(s, "tg", gen)) {
    return false;
  }
  if (starts_with(s, "-batched")) {
    batched = true;
    s.remove_prefix(8);
  }
  if (starts_with(s, "@") && (s.remove_prefix(1), !read_count(s, "d", depth))) {
    return false;
  }
  if (!s.empty() || prompt + gen == 0) {
    return false;
  }
  m.prompt_tokens = prompt;
  m.generate_tokens = gen;
  m.depth_tokens = depth;
  if (!batched) {
    m.sequences = 1;
  }
  return true;
}

std::vector<Measurement> parse_calibration_csv(std::string_view text,
                                               const std::string& display_name) {
  throw_if_not_utf8(text, display_name);
  return parse_calibration_records(read_csv(first_content(text)), display_name);
}

std::vector<Measurement> parse_measurements(std::string_view text,
                                            const std::string& display_name) {
  const std::string_view body = first_content(text);
  const std::string_view first_line = body.substr(0, body.find('\n'));
  // A CSV header naming a device column but no avg_ts is the calibration layout (which then
  // reports any missing column); everything else is llama-bench's.
  const auto records = read_csv(first_line);
  const bool calibration_header =
      !records.empty() &&
      std::find(records.front().fields.begin(), records.front().fields.end(), "device") !=
          records.front().fields.end() &&
      first_line.find("avg_ts") == std::string_view::npos;
  if (!body.empty() && body.front() != '[' && body.front() != '{' && calibration_header) {
    return parse_calibration_csv(body, display_name);
  }
  return parse_llama_bench(body, display_name);
}

CalibrationAliases parse_calibration_aliases(std::string_view text,
                                             const std::string& display_name) {
  using detail::Check;
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  CalibrationAliases aliases;
  aliases.schema_version = top.small_integer("schema_version", Check::positive, true).value_or(0);
  if (aliases.schema_version > 1) {
    diagnostics.add("/schema_version", fmt::format("unsupported schema_version {} (this llmroof "
                                                   "reads 1)",
                                                   aliases.schema_version));
  }
  aliases.description = top.string("description", true);
  auto read_list = [&](const char* key, const char* target, std::vector<NameAlias>& list) {
    const auto* items = top.child(key, true);
    if (items == nullptr) {
      return;
    }
    if (!items->is_array()) {
      diagnostics.add(top.child_pointer(key), "expected an array");
      return;
    }
    for (std::size_t i = 0; i < items->size(); ++i) {
      detail::ObjectReader r((*items)[i], fmt::format("/{}/{}", key, i), diagnostics);
      NameAlias a;
      a.name = r.string("name", true);
      a.target = r.string(target, true);
      a.note = r.optional_string("note").value_or("");
      r.finish();
      list.push_back(std::move(a));
    }
  };
  read_list("models", "model", aliases.models);
  read_list("quants", "quant", aliases.quants);
  top.finish();
  diagnostics.throw_if_any(text, display_name);
  return aliases;
}

}  // namespace llmroof
