// llama-bench import: its JSON, JSONL, CSV and markdown outputs as Measurements.

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

// --- llama-bench --------------------------------------------------------------------------------

// One llama-bench result as field id -> text (CSV cells, JSON values, markdown cells).
using BenchFields = std::map<std::string, std::string>;

std::string field(const BenchFields& f, const std::string& key) {
  auto it = f.find(key);
  return it == f.end() ? std::string() : it->second;
}

// The ggml backend names llama-bench joins into `backends` for GPU runs.
bool gpu_backend_name(std::string_view backends) {
  const std::string b = lower(backends);
  for (const char* name :
       {"cuda", "metal", "rocm", "hip", "vulkan", "sycl", "opencl", "musa", "cann", "kompute"}) {
    if (b.find(name) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The quant part of llama-bench's model_type: "llama 7B Q4_0" -> "Q4_0",
// "qwen2 7B Q4_K - Medium" -> "Q4_K - Medium", "llama 7B mostly Q4_0" -> "Q4_0".
std::string quant_of_model_type(std::string_view model_type) {
  std::string_view s = trim(model_type);
  // Skip the architecture and the size ("7B", "30B.A3B", "?B").
  for (int word = 0; word < 2; ++word) {
    const auto space = s.find(' ');
    if (space == std::string_view::npos) {
      return {};
    }
    s = trim(s.substr(space + 1));
  }
  if (starts_with(s, "mostly ")) {
    s.remove_prefix(7);
  }
  return std::string(trim(s));
}

Measurement bench_measurement(const BenchFields& f, const std::string& origin, Problems& problems,
                              int line) {
  Measurement m;
  m.origin = origin;
  m.backend = field(f, "backends");
  const bool gpu = gpu_backend_name(m.backend);
  m.device = gpu ? field(f, "gpu_info") : field(f, "cpu_info");
  m.device_detail = field(f, "gpu_info").empty()
                        ? field(f, "cpu_info")
                        : fmt::format("{} (host {})", field(f, "gpu_info"), field(f, "cpu_info"));
  if (m.device_detail == " (host )") {
    m.device_detail.clear();
  }
  const std::string commit = field(f, "build_commit");
  const std::string number = field(f, "build_number");
  m.engine = commit.empty() ? std::string("llama.cpp")
                            : fmt::format("llama.cpp {}{}", commit,
                                          number.empty() ? "" : fmt::format(" ({})", number));
  m.model = field(f, "model_type");
  m.model_file = field(f, "model_filename");
  if (auto params = to_number(field(f, "model_n_params")); params && *params > 0) {
    m.model_params = *params;
  }
  if (auto size = to_number(field(f, "model_size")); size && *size > 0) {
    m.model_size_bytes = *size;
  }
  m.quant = quant_of_model_type(m.model);
  const auto prompt = to_int(field(f, "n_prompt"));
  const auto gen = to_int(field(f, "n_gen"));
  if (!prompt || !gen || *prompt < 0 || *gen < 0 || *prompt + *gen == 0) {
    problems.add(line, fmt::format("expected token counts n_prompt and n_gen, got '{}' and '{}'",
                                   field(f, "n_prompt"), field(f, "n_gen")));
  } else {
    m.prompt_tokens = *prompt;
    m.generate_tokens = *gen;
  }
  if (auto depth = to_int(field(f, "n_depth")); depth && *depth > 0) {
    m.depth_tokens = *depth;
  }
  if (m.prompt_tokens > 0 && m.generate_tokens == 0) {
    m.test = fmt::format("pp{}", m.prompt_tokens);
  } else if (m.generate_tokens > 0 && m.prompt_tokens == 0) {
    m.test = fmt::format("tg{}", m.generate_tokens);
  } else {
    m.test = fmt::format("pp{}+tg{}", m.prompt_tokens, m.generate_tokens);
  }
  if (m.depth_tokens > 0) {
    m.test += fmt::format(" @ d{}", m.depth_tokens);
  }
  const auto tps = to_number(field(f, "avg_ts"));
  if (!tps || *tps <= 0) {
    problems.add(line, fmt::format("expected a positive avg_ts, got '{}'", field(f, "avg_ts")));
  } else {
    m.tokens_per_s = *tps;
  }
  if (auto threads = to_int(field(f, "n_threads")); threads && *threads > 0) {
    m.threads = *threads;
  }
  if (auto ngl = to_int(field(f, "n_gpu_layers"))) {
    // llama-bench's -1 and 99 both mean every layer.
    m.gpu_layers = *ngl < 0 ? 999 : *ngl;
  }
  const std::string nkvo = lower(field(f, "no_kv_offload"));
  m.kv_on_host = nkvo == "1" || nkvo == "true";
  const std::string fa = lower(field(f, "flash_attn"));
  m.flash_attention = fa == "1" || fa == "true" || fa == "on";
  if (m.model.empty() && m.model_file.empty()) {
    problems.add(line, "expected model_type or model_filename");
  }
  return m;
}

BenchFields json_fields(const nlohmann::json& object) {
  BenchFields f;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) {
      f[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      f[key] = value.get<bool>() ? "1" : "0";
    } else if (value.is_number()) {
      f[key] = value.dump();
    }
  }
  return f;
}

std::vector<Measurement> parse_bench_json(std::string_view text, const std::string& name) {
  const nlohmann::json doc = detail::parse_json_text(text, name);
  Problems problems(name);
  std::vector<Measurement> out;
  if (!doc.is_array()) {
    problems.add(1, "expected an array of llama-bench results (-o json)");
    problems.throw_if_any();
  }
  // Every result's line names its origin; nothing deeper is located.
  std::vector<std::string> elements(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    elements[i] = fmt::format("/{}", i);
  }
  const detail::JsonLocator locator(text, elements);
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const int line = locator.line_of(elements[i]);
    if (!doc[i].is_object()) {
      problems.add(line, fmt::format("/{}: expected an object", i));
      continue;
    }
    out.push_back(bench_measurement(json_fields(doc[i]), problems.origin(line), problems, line));
  }
  problems.throw_if_any();
  return out;
}

std::vector<Measurement> parse_bench_jsonl(std::string_view text, const std::string& name) {
  Problems problems(name);
  std::vector<Measurement> out;
  int line = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    ++line;
    const std::string_view row = trim(text.substr(start, end - start));
    start = end + 1;
    if (row.empty()) {
      continue;
    }
    if (const auto problem = detail::json_depth_problem(row)) {
      problems.add(line, fmt::format("not a JSON object: {}", *problem));
      continue;
    }
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(row);
    } catch (const nlohmann::json::parse_error& e) {
      problems.add(line, fmt::format("not a JSON object: {}", e.what()));
      continue;
    } catch (const nlohmann::json::out_of_range& e) {
      // A number beyond the double range ("1e400"): nlohmann throws out_of_range, not
      // parse_error (found by fuzz_llama_bench). Its text without nlohmann's "[json...] ".
      const std::string_view what = e.what();
      const auto bracket = what.find("] ");
      problems.add(
          line, fmt::format("not a JSON object: {} (not a finite number)",
                            bracket == std::string_view::npos ? what : what.substr(bracket + 2)));
      continue;
    }
    if (!object.is_object()) {
      problems.add(line, "expected one JSON object per line (-o jsonl)");
      continue;
    }
    out.push_back(bench_measurement(json_fields(object), problems.origin(line), problems, line));
  }
  problems.throw_if_any();
  return out;
}

std::vector<Measurement> parse_bench_csv(const std::vector<CsvRecord>& records,
                                         const std::string& name) {
  Problems problems(name);
  std::vector<Measurement> out;
  const auto& header = records.front().fields;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    if (rec.fields.size() != header.size()) {
      problems.add(rec.line,
                   fmt::format("expected {} fields, got {}", header.size(), rec.fields.size()));
      continue;
    }
    BenchFields f;
    for (std::size_t i = 0; i < header.size(); ++i) {
      f[std::string(trim(header[i]))] = std::string(trim(rec.fields[i]));
    }
    out.push_back(bench_measurement(f, problems.origin(rec.line), problems, rec.line));
  }
  problems.throw_if_any();
  return out;
}

// Cells of one markdown table row "| a | b |" (outer pipes dropped).
std::vector<std::string> md_cells(std::string_view row) {
  row = trim(row);
  if (starts_with(row, "|")) {
    row.remove_prefix(1);
  }
  if (!row.empty() && row.back() == '|') {
    row.remove_suffix(1);
  }
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = row.find('|', start);
    cells.emplace_back(trim(row.substr(start, bar == std::string_view::npos ? bar : bar - start)));
    if (bar == std::string_view::npos) {
      break;
    }
    start = bar + 1;
  }
  return cells;
}

// "3.56 GiB" / "729.64 MiB" -> bytes; "6.74 B" / "500.00 M" -> count.
double md_scaled(std::string_view cell) {
  cell = trim(cell);
  const auto space = cell.rfind(' ');
  if (space == std::string_view::npos) {
    return to_number(cell).value_or(0);
  }
  const double value = to_number(cell.substr(0, space)).value_or(0);
  const std::string unit(cell.substr(space + 1));
  if (unit == "GiB") {
    return value * units::k_gib;
  }
  if (unit == "MiB") {
    return value * units::k_mib;
  }
  if (unit == "B") {
    return value * units::k_giga;
  }
  if (unit == "M") {
    return value * units::k_mega;
  }
  if (unit == "K") {
    return value * units::k_kilo;
  }
  return 0;
}

// Markdown display names (llama-bench's get_field_display_name) -> field ids.
std::string md_field_id(const std::string& title) {
  static const std::map<std::string, std::string> ids = {
      {"ngl", "n_gpu_layers"}, {"threads", "n_threads"}, {"sm", "split_mode"},
      {"fa", "flash_attn"},    {"dev", "devices"},       {"nkvo", "no_kv_offload"},
      {"t/s", "t/s"}};
  auto it = ids.find(title);
  return it == ids.end() ? title : it->second;
}

std::vector<Measurement> parse_bench_md(std::string_view text, const std::string& name) {
  Problems problems(name);
  std::vector<Measurement> out;
  std::vector<std::string> header;
  std::size_t table_start = 0;  // first row of the current table in `out`
  int line = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    ++line;
    const std::string_view row = trim(text.substr(start, end - start));
    start = end + 1;
    if (starts_with(row, "build:")) {
      // "build: 8cf427ff (5163)" closes the table above it.
      const std::string engine = fmt::format("llama.cpp {}", trim(row.substr(6)));
      for (std::size_t i = table_start; i < out.size(); ++i) {
        out[i].engine = engine;
      }
      table_start = out.size();
      header.clear();
      continue;
    }
    if (!starts_with(row, "|")) {
      continue;
    }
    auto cells = md_cells(row);
    if (std::find(cells.begin(), cells.end(), "t/s") != cells.end()) {
      header.clear();
      for (const auto& cell : cells) {
        header.push_back(md_field_id(cell));
      }
      continue;
    }
    if (!cells.empty() && starts_with(cells.front(), "--")) {
      continue;  // the alignment row
    }
    if (cells.front().find_first_not_of("-: ") == std::string::npos) {
      continue;
    }
    if (header.empty()) {
      problems.add(line, "table row before a header naming 't/s'");
      continue;
    }
    if (cells.size() != header.size()) {
      problems.add(line, fmt::format("expected {} cells, got {}", header.size(), cells.size()));
      continue;
    }
    BenchFields f;
    for (std::size_t i = 0; i < header.size(); ++i) {
      f[header[i]] = cells[i];
    }
    f["model_type"] = field(f, "model");
    f["backends"] = field(f, "backend");
    f["model_size"] = fmt::format("{}", md_scaled(field(f, "size")));
    f["model_n_params"] = fmt::format("{}", md_scaled(field(f, "params")));
    // "131.42 ± 0.59": the mean before the sign.
    const std::string ts = field(f, "t/s");
    f["avg_ts"] = ts.substr(0, ts.find(' '));
    Measurement probe;
    const std::string test = field(f, "test");
    if (!parse_test_name(test, probe) || probe.sequences != 1) {
      const auto count = test_count_problem(test);
      problems.add(line,
                   count ? fmt::format("column 'test': {}", *count)
                         : fmt::format("unknown test '{}' (expected ppN, tgN or ppN+tgM)", test));
      continue;
    }
    f["n_prompt"] = std::to_string(probe.prompt_tokens);
    f["n_gen"] = std::to_string(probe.generate_tokens);
    f["n_depth"] = std::to_string(probe.depth_tokens);
    Measurement m = bench_measurement(f, problems.origin(line), problems, line);
    m.device.clear();  // markdown names no device: the request names it
    m.test = test;
    out.push_back(std::move(m));
  }
  problems.throw_if_any();
  if (out.empty()) {
    throw DataError({fmt::format("{}:1: no llama-bench results found", name)});
  }
  return out;
}

}  // namespace

std::vector<Measurement> parse_llama_bench(std::string_view text, const std::string& display_name) {
  throw_if_not_utf8(text, display_name);
  const std::string_view body = first_content(text);
  if (body.empty()) {
    throw DataError({fmt::format("{}:1: empty file", display_name)});
  }
  if (body.front() == '[') {
    return parse_bench_json(body, display_name);
  }
  if (body.front() == '{') {
    return parse_bench_jsonl(body, display_name);
  }
  // Markdown: progress lines may precede the table, so look for a header row anywhere.
  for (std::size_t start = 0; start < body.size();) {
    const std::size_t end = std::min(body.find('\n', start), body.size());
    const std::string_view line = trim(body.substr(start, end - start));
    if (starts_with(line, "|") && line.find("t/s") != std::string_view::npos) {
      return parse_bench_md(body, display_name);
    }
    start = end + 1;
  }
  const auto records = read_csv(body);
  const auto& header = records.front().fields;
  if (std::find(header.begin(), header.end(), "avg_ts") == header.end()) {
    throw DataError({fmt::format(
        "{}:1: not llama-bench output: expected JSON, JSONL, CSV with an avg_ts column, or a "
        "markdown table",
        display_name)});
  }
  return parse_bench_csv(records, display_name);
}

}  // namespace llmroof
