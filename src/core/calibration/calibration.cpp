#include "llmroof/calibration/calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "data/json_reader.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

namespace {

// --- Small text helpers -------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A number in the whole of `text` (surrounding spaces allowed), or nullopt.
std::optional<double> to_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  double value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<int> to_int(std::string_view text) {
  auto value = to_number(text);
  if (!value || *value != std::floor(*value) || std::abs(*value) > 1e9) {
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

// --- RFC 4180 records ---------------------------------------------------------------------------

struct CsvRecord {
  int line = 0;  ///< line the record starts on
  std::vector<std::string> fields;
};

// Splits CSV text into records; quoted fields may hold commas, doubled quotes and line breaks.
std::vector<CsvRecord> read_csv(std::string_view text) {
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  bool quoted = false;
  bool any = false;  // the record has content
  int line = 1;
  record.line = 1;
  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
  };
  auto end_record = [&] {
    end_field();
    if (any) {
      records.push_back(std::move(record));
    }
    record = CsvRecord{};
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') {
          ++line;
        }
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      end_field();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      end_record();
      ++line;
      record.line = line;
    } else {
      field.push_back(c);
      any = any || std::isspace(static_cast<unsigned char>(c)) == 0;
    }
  }
  end_record();
  return records;
}

// Problems of one input file, reported together as DataError lines "file:line: message".
class Problems {
 public:
  explicit Problems(const std::string& file) : m_file(file) {}
  void add(int line, const std::string& message) {
    m_messages.push_back(fmt::format("{}:{}: {}", m_file, line, message));
  }
  void throw_if_any() const {
    if (!m_messages.empty()) {
      throw DataError(m_messages);
    }
  }
  std::string origin(int line) const { return fmt::format("{}:{}", m_file, line); }

 private:
  std::string m_file;
  std::vector<std::string> m_messages;
};

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
  count = std::stoi(std::string(s.substr(digits, i - digits)));
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
    m.test_understood = parse_test_name(m.test, m);
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
  const detail::JsonLocator locator(text);
  std::vector<Measurement> out;
  if (!doc.is_array()) {
    problems.add(1, "expected an array of llama-bench results (-o json)");
    problems.throw_if_any();
  }
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const int line = locator.line_of(fmt::format("/{}", i));
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
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(row);
    } catch (const nlohmann::json::parse_error& e) {
      problems.add(line, fmt::format("not a JSON object: {}", e.what()));
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
      problems.add(line, fmt::format("unknown test '{}' (expected ppN, tgN or ppN+tgM)", test));
      continue;
    }
    f["n_prompt"] = std::to_string(probe.prompt_tokens);
    f["n_gen"] = std::to_string(probe.generate_tokens);
    f["n_depth"] = std::to_string(probe.depth_tokens);
    Measurement m = bench_measurement(f, problems.origin(line), problems, line);
    m.device.clear();  // markdown names no device: give --device
    m.test = test;
    out.push_back(std::move(m));
  }
  problems.throw_if_any();
  if (out.empty()) {
    throw DataError({fmt::format("{}:1: no llama-bench results found", name)});
  }
  return out;
}

std::string_view first_content(std::string_view text) {
  text = trim(text);
  // A UTF-8 byte order mark.
  if (starts_with(text, "\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  return text;
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
  return parse_calibration_records(read_csv(first_content(text)), display_name);
}

std::vector<Measurement> parse_llama_bench(std::string_view text, const std::string& display_name) {
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
  aliases.schema_version =
      static_cast<int>(top.integer("schema_version", Check::positive, true).value_or(0));
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

// --- Mapping ------------------------------------------------------------------------------------

namespace {

// Vendor words llama-bench's gpu_info and cpu_info carry that device ids leave out.
const std::vector<std::string> k_vendor_words = {
    "nvidia", "geforce", "amd",   "radeon",   "intel(r)",  "intel",    "core(tm)",
    "(tm)",   "(r)",     "apple", "qualcomm", "processor", "graphics", "gpu"};

// Backend ids llmroof knows (efficiency classes, --backend).
std::string normalize_backend(std::string_view stated) {
  const std::string b = lower(stated);
  if (b.find("cuda") != std::string::npos) {
    return "cuda";
  }
  if (b.find("rocm") != std::string::npos || b.find("hip") != std::string::npos) {
    return "rocm";
  }
  if (b.find("metal") != std::string::npos) {
    return "metal";
  }
  if (b.find("vulkan") != std::string::npos) {
    return "vulkan";
  }
  if (b.find("sycl") != std::string::npos) {
    return "sycl";
  }
  if (b.find("opencl") != std::string::npos) {
    return "opencl";
  }
  if (b == "cpu" || b == "blas" || b.find("cpu") == 0) {
    return b.find('/') == std::string::npos ? "cpu" : "";
  }
  return "";
}

// Engines other than mainline llama.cpp, by a word in their name or backend: the realistic model
// describes llama.cpp's kernels, so their rows are predicted but left out of fits and statistics.
std::optional<std::string> other_engine(const Measurement& m) {
  static const std::vector<std::pair<std::string, std::string>> k_engines = {
      {"ik_llama", "ik_llama.cpp (a fork with its own CPU kernels)"},
      {"llamafile", "llamafile (its own tinyBLAS kernels)"},
      {"mlx", "MLX"},
      {"tensorrt", "TensorRT-LLM"},
      {"sglang", "SGLang"},
      {"vllm", "vLLM"},
      {"core ml", "Core ML"},
      {"coreml", "Core ML"},
      {"core ai", "Core AI"},
      {"coreai", "Core AI"}};
  for (const auto& [word, name] : k_engines) {
    if (contains(m.engine, word) || contains(m.backend, word)) {
      return name;
    }
  }
  return std::nullopt;
}

const NameAlias* find_alias(const std::vector<NameAlias>& list, std::string_view name) {
  const std::string key = normalize_key(name);
  for (const auto& a : list) {
    if (normalize_key(a.name) == key) {
      return &a;
    }
  }
  return nullptr;
}

// "Q4_K - Medium" (llama_model_ftype_name) -> "q4_k_m"; "IQ3_S mix - 3.66 bpw" -> "iq3_m".
std::string ftype_name_to_preset(std::string_view text) {
  std::string s(trim(text));
  if (const auto guessed = s.find(" (guessed)"); guessed != std::string::npos) {
    s.resize(guessed);
  }
  if (lower(s) == "all f32") {
    return "f32";
  }
  if (lower(s) == "mxfp4 moe") {
    return "mxfp4_moe";
  }
  if (starts_with(s, "IQ3_S mix")) {
    return "iq3_m";
  }
  const auto dash = s.find(" - ");
  if (dash == std::string::npos) {
    return s;
  }
  const std::string base = s.substr(0, dash);
  const std::string size = lower(trim(s.substr(dash + 3)));
  if (size == "small") {
    return base + "_s";
  }
  if (size == "medium") {
    // Q2_K - Medium is the plain Q2_K preset.
    return base == "Q2_K" ? base : base + "_m";
  }
  if (size == "large") {
    return base + "_l";
  }
  return base;  // "IQ2_XXS - 2.0625 bpw"
}

// Candidate catalog names of a model file: "models/Qwen2.5-7B-Instruct-Q4_K_M.gguf" ->
// "Qwen2.5-7B-Instruct-Q4_K_M", "Qwen2.5-7B-Instruct", ...
std::vector<std::string> file_name_candidates(std::string_view path) {
  std::vector<std::string> out;
  std::string stem(path.substr(
      path.find_last_of("/\\") == std::string_view::npos ? 0 : path.find_last_of("/\\") + 1));
  for (const char* ext : {".gguf", ".bin"}) {
    if (stem.size() > std::string(ext).size() &&
        lower(stem.substr(stem.size() - std::string(ext).size())) == ext) {
      stem.resize(stem.size() - std::string(ext).size());
    }
  }
  out.push_back(stem);
  // Drop trailing "-Q4_K_M", ".Q8_0", "-f16", "-GGUF" parts one at a time.
  std::string s = stem;
  for (int i = 0; i < 4; ++i) {
    const auto cut = s.find_last_of("-.");
    if (cut == std::string::npos || cut == 0) {
      break;
    }
    s.resize(cut);
    out.push_back(s);
  }
  return out;
}

// The catalog model closest to `params` parameters (within 1%), preferring `arch`; nullptr.
const ModelSpec* model_by_params(const ModelCatalog& catalog, double params,
                                 std::string_view arch) {
  const ModelSpec* best = nullptr;
  double best_score = 0;
  const auto wanted = parse_architecture(arch);
  for (const auto& m : catalog.models) {
    if (m.total_params <= 0) {
      continue;
    }
    const double gap = std::abs(m.total_params / params - 1.0);
    if (gap > 0.01) {
      continue;
    }
    const double score = gap + (wanted && *wanted == m.architecture ? 0.0 : 1.0);
    if (best == nullptr || score < best_score) {
      best = &m;
      best_score = score;
    }
  }
  return best;
}

struct Resolved {
  const ModelSpec* model = nullptr;
  std::string how;  ///< caveat when the match was not by name
};

Resolved resolve_model_name(const Measurement& m, const ModelCatalog& catalog,
                            const CalibrationAliases& aliases) {
  if (const NameAlias* alias = find_alias(aliases.models, m.model)) {
    return {find_model(catalog, alias->target), ""};
  }
  if (const ModelSpec* found = find_model(catalog, m.model)) {
    return {found, ""};
  }
  if (!m.model_file.empty()) {
    for (const auto& candidate : file_name_candidates(m.model_file)) {
      if (const NameAlias* alias = find_alias(aliases.models, candidate)) {
        return {find_model(catalog, alias->target), ""};
      }
      if (const ModelSpec* found = find_model(catalog, candidate)) {
        return {found, ""};
      }
    }
  }
  if (m.model_params > 0) {
    const std::string arch(trim(m.model).substr(0, trim(m.model).find(' ')));
    if (const ModelSpec* found = model_by_params(catalog, m.model_params, arch)) {
      return {found, fmt::format("model '{}' taken as {} by its parameter count ({:.3g} B)",
                                 m.model, found->id, m.model_params / units::k_giga)};
    }
  }
  return {};
}

// Removes "Nx-" from a calibration device id; returns N (1 without a prefix).
int device_count(std::string& id) {
  std::size_t i = 0;
  while (i < id.size() && std::isdigit(static_cast<unsigned char>(id[i])) != 0) {
    ++i;
  }
  if (i > 0 && i + 1 < id.size() && id[i] == 'x' && id[i + 1] == '-') {
    const int n = std::stoi(id.substr(0, i));
    id.erase(0, i + 2);
    return n;
  }
  return 1;
}

// A device description naming a single-board computer as the host of a GPU ("RX 580 on SiFive
// HiFive Premier P550 host"): its slow CPU and narrow PCIe link add per-token costs.
bool sbc_host(std::string_view detail) {
  if (!contains(detail, " host")) {
    return false;
  }
  for (const char* board : {"raspberry pi", "sifive", "risc-v", "orange pi", "rock 5", "jetson"}) {
    if (contains(detail, board)) {
      return true;
    }
  }
  return false;
}

// Cores of the CPU that runs a CPU-backend test (0 = unknown).
int cpu_cores(const Device& d) {
  if (d.kind == DeviceKind::cpu) {
    return d.cpu_cores;
  }
  return d.cpu ? d.cpu->cores : 0;
}

// Test label for grouping: "tg128", "pp512", "pp512+tg128", "tg32 @ d4096", "tg32 x8".
std::string test_label(const Measurement& m) {
  std::string label;
  if (m.prompt_tokens > 0) {
    label = fmt::format("pp{}", m.prompt_tokens);
  }
  if (m.generate_tokens > 0) {
    label += fmt::format("{}tg{}", label.empty() ? "" : "+", m.generate_tokens);
  }
  if (m.sequences > 1) {
    label += fmt::format(" x{}", m.sequences);
  }
  if (m.depth_tokens > 0) {
    label += fmt::format(" @ d{}", m.depth_tokens);
  }
  return label;
}

}  // namespace

const Device* find_device_by_description(const DeviceDb& devices, std::string_view text) {
  if (auto match = find_device(devices, text)) {
    return match->device;
  }
  // Drop vendor words and core counts: "AMD Ryzen 9 7950X 16-Core Processor" -> "ryzen 9 7950x".
  std::string s = lower(text);
  for (const auto& word : k_vendor_words) {
    for (auto at = s.find(word); at != std::string::npos; at = s.find(word)) {
      s.erase(at, word.size());
    }
  }
  if (const auto core = s.find("-core"); core != std::string::npos) {
    auto begin = s.rfind(' ', core);
    s.erase(begin == std::string::npos ? 0 : begin,
            core + 5 - (begin == std::string::npos ? 0 : begin));
  }
  if (auto match = find_device(devices, s)) {
    return match->device;
  }
  if (const auto laptop = s.find("laptop"); laptop != std::string::npos) {
    if (auto match = find_device(devices, s.substr(0, laptop) + "-laptop")) {
      return match->device;
    }
  }
  return nullptr;
}

std::optional<Quant> quant_from_text(std::string_view text, const CalibrationAliases& aliases,
                                     bool& stated) {
  stated = !contains(text, "not stated");
  if (const NameAlias* alias = find_alias(aliases.quants, text)) {
    return find_quant(alias->target);
  }
  std::string s(trim(text));
  if (const auto paren = s.find(" ("); paren != std::string::npos) {
    s.resize(paren);
  }
  if (const NameAlias* alias = find_alias(aliases.quants, s)) {
    return find_quant(alias->target);
  }
  if (auto q = find_quant(ftype_name_to_preset(s))) {
    // Nominal quants ("fp16", "int4") are not llama.cpp files.
    if (q->kind != QuantKind::nominal) {
      return q;
    }
  }
  return std::nullopt;
}

MappingResult map_measurements(std::span<const Measurement> measurements, const DeviceDb& devices,
                               const ModelCatalog& models, const CalibrationAliases& aliases,
                               const MappingOptions& options) {
  MappingResult result;
  const Device* forced_device = nullptr;
  if (!options.device.empty()) {
    auto match = find_device(devices, options.device);
    if (!match) {
      throw UsageError(fmt::format("unknown device '{}' for --device", options.device));
    }
    forced_device = match->device;
  }
  const ModelSpec* forced_model = nullptr;
  if (!options.model.empty()) {
    forced_model = find_model(models, options.model);
    if (forced_model == nullptr) {
      throw UsageError(fmt::format("unknown model '{}' for --model", options.model));
    }
  }
  std::optional<Quant> forced_quant;
  if (!options.quant.empty()) {
    forced_quant = find_quant(options.quant);
    if (!forced_quant) {
      throw UsageError(fmt::format("unknown quant '{}' for --quant", options.quant));
    }
  }
  auto unmapped = [&](const Measurement& m, std::string reason) {
    result.unmapped.push_back({m, std::move(reason)});
  };
  for (const Measurement& m : measurements) {
    MappedMeasurement row;
    row.measurement = m;
    // Device.
    std::string device_id = m.device;
    const int count = device_count(device_id);
    if (count > 1 && forced_device == nullptr) {
      unmapped(m, fmt::format("{} devices working together (llmroof estimates one device)", count));
      continue;
    }
    if (forced_device != nullptr) {
      row.device = forced_device;
    } else if (device_id.empty()) {
      unmapped(m, "no device named (llama-bench markdown has none): give --device");
      continue;
    } else if (auto match = find_device(devices, device_id)) {
      row.device = match->device;
      if (match->family != nullptr) {
        row.caveats.push_back(
            fmt::format("'{}' taken as {} ({})", device_id, row.device->id, match->family->note));
      }
    } else if (const Device* described = find_device_by_description(devices, device_id)) {
      row.device = described;
    } else {
      unmapped(m, fmt::format("device '{}' is not in the database", device_id));
      continue;
    }
    if (!m.test_understood || m.prompt_tokens + m.generate_tokens == 0) {
      if (lower(trim(m.test)) == "tg") {
        // A generation rate without a token count (Ollama's eval rate): read as tg128.
        row.measurement.generate_tokens = 128;
        row.measurement.test_understood = true;
        row.caveats.emplace_back("test 'tg' has no token count: taken as tg128");
      } else {
        unmapped(m, fmt::format("test '{}' is not a llama-bench ppN/tgN test", m.test));
        continue;
      }
    }
    const Measurement& t = row.measurement;
    // Model.
    if (forced_model != nullptr) {
      row.model.spec = *forced_model;
    } else {
      const Resolved resolved = resolve_model_name(m, models, aliases);
      if (resolved.model == nullptr) {
        unmapped(m, fmt::format("model '{}' is not in the catalog",
                                m.model.empty() ? m.model_file : m.model));
        continue;
      }
      row.model.spec = *resolved.model;
      if (!resolved.how.empty()) {
        row.caveats.push_back(resolved.how);
      }
    }
    // Quant.
    bool stated = true;
    std::optional<Quant> quant = forced_quant;
    if (!quant) {
      quant = quant_from_text(m.quant, aliases, stated);
    }
    if (!quant) {
      unmapped(m, m.quant.empty() ? std::string("quant not stated")
                                  : fmt::format("quant '{}' is not a llama.cpp preset", m.quant));
      continue;
    }
    row.model.weights = model_weights(row.model.spec, *quant);
    row.model.quant_id = quant->id;
    row.model.compute = quant->compute;
    // Backend: the stated one, else the device's usual one.
    std::string backend = normalize_backend(m.backend);
    if (backend.empty()) {
      backend = row.device->backend;
    }
    row.backend = backend;
    // Estimate inputs of the test.
    EstimateOptions& o = row.options;
    o.backend = backend;
    o.prompt_tokens = t.prompt_tokens;
    o.generate_tokens = t.generate_tokens;
    o.context_tokens = t.depth_tokens;
    o.batch = std::max(1, t.sequences);
    row.kind = t.prompt_tokens > 0 && t.generate_tokens > 0 ? TestKind::prefill_decode
               : t.prompt_tokens > 0                        ? TestKind::prefill
                                                            : TestKind::decode;
    row.label = test_label(t);
    const bool cpu_run = backend == "cpu";
    row.class_key = efficiency_class_id(*row.device, cpu_run ? "cpu" : backend);
    // Scope: rows the realistic model is meant to describe.
    if (auto engine = other_engine(m)) {
      row.exclusion = fmt::format("engine {} is not llama.cpp", *engine);
    } else if (contains(m.engine, "branch")) {
      row.exclusion = "an unmerged pull-request branch, not a llama.cpp release";
    } else if (backend != "cpu" && sbc_host(m.device_detail)) {
      row.exclusion = "a GPU driven by a single-board computer: host-side costs outside the model";
    } else if (!stated) {
      row.exclusion = fmt::format("quant not stated by the source (assumed {})", quant->id);
    } else if (!cpu_run && t.gpu_layers && *t.gpu_layers < row.model.spec.layers &&
               (backend != "metal" || *t.gpu_layers == 0)) {
      // (Metal offloaded everything for any -ngl above 0 until 2024.)
      row.exclusion = fmt::format("partial offload: {} of {} layers on the GPU", *t.gpu_layers,
                                  row.model.spec.layers);
    } else if (contains(m.backend, "partial")) {
      row.exclusion = "partial offload";
    } else if (m.kv_on_host && !cpu_run) {
      row.exclusion = "KV cache kept in host memory (-nkvo 1)";
    } else if (backend == "opencl" && row.device->backend != "opencl") {
      row.exclusion = "OpenCL on a desktop GPU: the CLBlast backend removed from llama.cpp in 2024";
    } else if (cpu_run && t.threads > 0 && 2 * t.threads < cpu_cores(*row.device)) {
      row.exclusion = fmt::format("{} threads on a {}-core CPU: llmroof models a run on every core",
                                  t.threads, cpu_cores(*row.device));
    } else if (normalize_backend(m.backend).empty() && !trim(m.backend).empty() &&
               lower(trim(m.backend)) != "gpu") {
      row.exclusion = fmt::format("backend '{}' is ambiguous", m.backend);
    }
    if (row.exclusion.empty() && m.sequences > 1) {
      row.caveats.push_back(fmt::format("{} sequences decoded together", m.sequences));
    }
    result.mapped.push_back(std::move(row));
  }
  // Thread sweeps: only the run with the most threads stands for the machine.
  std::map<std::string, int> most_threads;
  auto sweep_key = [](const MappedMeasurement& r) {
    const Measurement& m = r.measurement;
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", r.device->id, r.backend, m.engine,
                       r.model.spec.id, r.model.quant_id, r.label, m.source, m.model);
  };
  for (const auto& r : result.mapped) {
    if (r.measurement.threads > 0) {
      int& top = most_threads[sweep_key(r)];
      top = std::max(top, r.measurement.threads);
    }
  }
  for (auto& r : result.mapped) {
    if (r.exclusion.empty() && r.measurement.threads > 0) {
      const int top = most_threads[sweep_key(r)];
      if (r.measurement.threads < top) {
        r.exclusion =
            fmt::format("thread sweep: {} of the {} threads tried", r.measurement.threads, top);
      }
    }
  }
  return result;
}

Prediction predict(const MappedMeasurement& row, const EfficiencyTable& table) {
  const EstimateResult r = estimate(*row.device, row.model, row.options, table);
  const EfficiencyClass* cls = find_efficiency_class(table, r.efficiency_class);
  const double decode_spread =
      r.tokens_per_s > 0 ? std::log(r.tokens_per_s_high / r.tokens_per_s) : 0.0;
  const double prefill_spread = cls != nullptr ? cls->prefill_log_spread : 0.0;
  Prediction p;
  double spread = 0;
  switch (row.kind) {
    case TestKind::decode:
      p.tokens_per_s = r.generate_tokens_per_s * static_cast<double>(row.options.batch);
      spread = decode_spread;
      break;
    case TestKind::prefill:
      p.tokens_per_s = r.prefill_tokens_per_s;
      spread = prefill_spread;
      break;
    case TestKind::prefill_decode:
      p.tokens_per_s =
          (row.options.prompt_tokens + row.options.generate_tokens) / r.end_to_end_seconds;
      spread = std::max(decode_spread, prefill_spread);
      break;
  }
  p.tokens_per_s_low = p.tokens_per_s * std::exp(-spread);
  p.tokens_per_s_high = p.tokens_per_s * std::exp(spread);
  return p;
}

// --- Error statistics ---------------------------------------------------------------------------

double quantile(std::vector<double> values, double p) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(p, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(values.size() - 1, lo + 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

ErrorStats error_stats(std::span<const ScoredRow> rows) {
  ErrorStats s;
  s.rows = static_cast<int>(rows.size());
  if (rows.empty()) {
    return s;
  }
  std::vector<double> abs_errors;
  std::vector<double> logs;
  int inside = 0;
  for (const auto& r : rows) {
    abs_errors.push_back(std::abs(r.predicted / r.measured - 1.0));
    logs.push_back(std::log(r.predicted / r.measured));
    inside += r.inside_band ? 1 : 0;
  }
  s.median_abs_error = quantile(abs_errors, 0.5);
  s.p90_abs_error = quantile(abs_errors, 0.9);
  s.bias = std::exp(quantile(logs, 0.5)) - 1.0;
  s.coverage = static_cast<double>(inside) / static_cast<double>(rows.size());
  return s;
}

// --- Fitting ------------------------------------------------------------------------------------

std::string resolved_class(const MappedMeasurement& row, const EfficiencyTable& table) {
  const EfficiencyClass* cls = find_efficiency_class(table, row.class_key);
  return cls != nullptr ? cls->id : std::string();
}

namespace {

// A row prepared for fitting: the ideal quantities estimate() computes for it, cached, so that a
// prediction under new figures costs a few divisions. fast_predict() reproduces predict().
struct FitRow {
  std::size_t index = 0;
  std::string class_id;
  std::string device;  ///< cross-validation group
  TestKind kind = TestKind::decode;
  double measured = 0;
  double weight = 1;
  double prompt_tokens = 0;
  double generate_tokens = 0;
  double sequences = 1;
  /// Decode steps at the midpoints of equal slices of the generated span, each standing for
  /// `slice` tokens (exact while the step time is linear in the context).
  std::vector<DecodeStep> steps;
  double slice = 0;
  PrefillResult prefill;
  EngineRun run;  ///< format and rows factors set per evaluation
  bool cpu = false;
  std::string format;  ///< WeightFormat id ("" = none)
  double rows = 512;   ///< rows per pass of dense weights
  double dense_flops = 0;
  double expert_flops = 0;
  double expert_rows = 0;
};

double huber(double r) {
  constexpr double k_delta = 0.15;
  const double a = std::fabs(r);
  return a <= k_delta ? 0.5 * r * r : k_delta * (a - 0.5 * k_delta);
}

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double logit(double p) {
  p = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(p / (1.0 - p));
}

// Nelder-Mead on an unconstrained vector; deterministic (fixed initial simplex).
std::vector<double> nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                                std::vector<double> x0, double step, int max_evals) {
  const std::size_t n = x0.size();
  std::vector<std::vector<double>> pts(n + 1, x0);
  for (std::size_t i = 0; i < n; ++i) {
    pts[i + 1][i] += step;
  }
  std::vector<double> vals(n + 1);
  for (std::size_t i = 0; i <= n; ++i) {
    vals[i] = f(pts[i]);
  }
  int evals = static_cast<int>(n + 1);
  std::vector<std::size_t> order(n + 1);
  while (evals < max_evals) {
    for (std::size_t i = 0; i <= n; ++i) {
      order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return vals[a] < vals[b] || (vals[a] == vals[b] && a < b);
    });
    std::vector<std::vector<double>> p2;
    std::vector<double> v2;
    for (auto i : order) {
      p2.push_back(pts[i]);
      v2.push_back(vals[i]);
    }
    pts = std::move(p2);
    vals = std::move(v2);
    if (vals[n] - vals[0] <= 1e-10 * (1.0 + std::fabs(vals[0]))) {
      break;
    }
    std::vector<double> c(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t i = 0; i < n; ++i) {
        c[i] += pts[j][i] / static_cast<double>(n);
      }
    }
    auto along = [&](double t) {
      std::vector<double> x(n);
      for (std::size_t i = 0; i < n; ++i) {
        x[i] = c[i] + t * (pts[n][i] - c[i]);
      }
      return x;
    };
    const auto xr = along(-1.0);
    const double fr = f(xr);
    ++evals;
    if (fr < vals[0]) {
      const auto xe = along(-2.0);
      const double fe = f(xe);
      ++evals;
      if (fe < fr) {
        pts[n] = xe;
        vals[n] = fe;
      } else {
        pts[n] = xr;
        vals[n] = fr;
      }
    } else if (fr < vals[n - 1]) {
      pts[n] = xr;
      vals[n] = fr;
    } else {
      const auto xc = along(fr < vals[n] ? -0.5 : 0.5);
      const double fc = f(xc);
      ++evals;
      if (fc < std::min(fr, vals[n])) {
        pts[n] = xc;
        vals[n] = fc;
      } else {
        for (std::size_t j = 1; j <= n; ++j) {
          for (std::size_t i = 0; i < n; ++i) {
            pts[j][i] = pts[0][i] + 0.5 * (pts[j][i] - pts[0][i]);
          }
          vals[j] = f(pts[j]);
          ++evals;
        }
      }
    }
  }
  const auto best = std::min_element(vals.begin(), vals.end()) - vals.begin();
  return pts[static_cast<std::size_t>(best)];
}

// Parameters of one class in unconstrained form, and back.
constexpr double k_min_layer_s = 1e-9;
constexpr double k_max_layer_s = 2e-3;

std::vector<double> class_params(const EfficiencyClass& c) {
  return {logit(c.decode_bw_efficiency), std::log(std::max(c.decode_per_layer_s, k_min_layer_s)),
          logit(c.prefill_flops_efficiency), logit(c.decode_flops_efficiency)};
}

void set_class_params(EfficiencyClass& c, const std::vector<double>& x) {
  c.decode_bw_efficiency = std::clamp(logistic(x[0]), 0.01, 1.0);
  c.decode_per_layer_s =
      std::clamp(std::exp(x[1]), k_min_layer_s, k_max_layer_s) <= 1.01 * k_min_layer_s
          ? 0.0
          : std::clamp(std::exp(x[1]), k_min_layer_s, k_max_layer_s);
  c.prefill_flops_efficiency = std::clamp(logistic(x[2]), 0.002, 1.0);
  c.decode_flops_efficiency = std::clamp(logistic(x[3]), 0.001, 1.0);
}

double rows_factor(const FitRow& r, double half) {
  const double total = r.dense_flops + r.expert_flops;
  if (total <= 0) {
    return 1.0;
  }
  const double time =
      r.dense_flops * (r.rows + half) / r.rows +
      (r.expert_flops > 0 ? r.expert_flops * (r.expert_rows + half) / r.expert_rows : 0.0);
  return total / time;
}

class Fitter {
 public:
  Fitter(std::span<const MappedMeasurement> rows, const EfficiencyTable& prior) : m_table(prior) {
    std::map<std::string, int> per_device_kind;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const MappedMeasurement& row = rows[i];
      if (!row.exclusion.empty()) {
        continue;
      }
      FitRow f = prepare(row, i);
      ++per_device_kind[fmt::format("{}|{}", f.device, f.kind == TestKind::prefill)];
      m_rows.push_back(std::move(f));
    }
    for (auto& f : m_rows) {
      f.weight =
          1.0 / std::sqrt(static_cast<double>(
                    per_device_kind[fmt::format("{}|{}", f.device, f.kind == TestKind::prefill)]));
    }
  }

  EfficiencyTable& table() { return m_table; }
  const std::vector<FitRow>& rows() const { return m_rows; }

  void fit(const FitOptions& options, const std::string& skip_device = {},
           const EfficiencyTable* anchor = nullptr) {
    m_skip = skip_device;
    m_anchor = anchor != nullptr ? *anchor : m_table;
    m_prior_weight = options.prior_weight;
    std::vector<std::string> ids = options.classes;
    if (ids.empty()) {
      for (const auto& c : m_table.classes) {
        ids.push_back(c.id);
      }
    }
    for (int round = 0; round < options.rounds; ++round) {
      for (const auto& id : ids) {
        fit_class(id);
      }
      if (options.globals) {
        fit_globals();
      }
    }
    m_skip.clear();
  }

  double predict_fast(const FitRow& r, const EfficiencyClass& c) const {
    EngineRun run = r.run;
    run.format_factor = format_factor(r, false);
    run.decode_format_factor = format_factor(r, true);
    run.rows_factor = rows_factor(r, m_table.matmul_half_rows);
    double decode_s = 0;
    for (const auto& step : r.steps) {
      decode_s += realistic_decode_seconds(c, step, run) * r.slice;
    }
    switch (r.kind) {
      case TestKind::decode:
        return r.generate_tokens * r.sequences / decode_s;
      case TestKind::prefill:
        return r.prompt_tokens / realistic_prefill_seconds(c, r.prefill, run);
      case TestKind::prefill_decode:
        return (r.prompt_tokens + r.generate_tokens) /
               (realistic_prefill_seconds(c, r.prefill, run) + decode_s);
    }
    return 0;
  }

  const EfficiencyClass* cls(const std::string& id) const {
    for (const auto& c : m_table.classes) {
      if (c.id == id) {
        return &c;
      }
    }
    return nullptr;
  }

 private:
  FitRow prepare(const MappedMeasurement& row, std::size_t index) const {
    FitRow f;
    f.index = index;
    f.class_id = resolved_class(row, m_table);
    f.device = row.device->id;
    f.kind = row.kind;
    f.measured = row.measurement.tokens_per_s;
    f.prompt_tokens = row.options.prompt_tokens;
    f.generate_tokens = row.options.generate_tokens;
    f.sequences = row.options.batch;
    // The roofs, precision and ideal prefill exactly as estimate() sets them.
    const EstimateResult r = estimate(*row.device, row.model, row.options, m_table);
    const bool host_cpu = row.options.backend == "cpu" && row.device->kind != DeviceKind::cpu;
    f.cpu = host_cpu || row.device->kind == DeviceKind::cpu;
    const EfficiencyClass* c = find_efficiency_class(m_table, row.class_key);
    f.run = engine_run(m_table, *c, *row.device, host_cpu, row.model.spec, row.model.weights,
                       r.roofs, r.precision, row.options.prompt_tokens);
    if (const WeightFormat* format = weight_format(m_table, row.model.weights)) {
      f.format = format->id;
    }
    const Weights& w = row.model.weights;
    f.rows = std::min(std::max(1.0, row.options.prompt_tokens), m_table.ubatch_tokens);
    f.dense_flops = w.dense_matmul_params;
    f.expert_rows = f.rows;
    if (w.experts > 0 && w.experts_used > 0) {
      const double share = static_cast<double>(w.experts_used) / static_cast<double>(w.experts);
      f.expert_flops = w.routed_expert_params * share;
      f.expert_rows = f.rows * share;
    }
    if (r.prefill) {
      f.prefill = *r.prefill;
    }
    if (f.generate_tokens > 0) {
      const int slices = static_cast<int>(std::min(f.generate_tokens, 4.0));
      f.slice = f.generate_tokens / slices;
      for (int i = 0; i < slices; ++i) {
        DecodeInput in;
        in.batch = row.options.batch;
        in.context_tokens = row.options.context_tokens + (i + 0.5) * f.slice - 0.5;
        in.kv_bytes_per_element = row.options.kv_bytes_per_element;
        in.expert_skew = row.options.expert_skew;
        f.steps.push_back(decode_step(row.model.spec, row.model.weights, r.roofs, in));
      }
    }
    return f;
  }

  double format_factor(const FitRow& r, bool decode) const {
    for (const auto& f : m_table.formats) {
      if (f.id == r.format) {
        return !r.cpu ? f.gpu_factor : decode ? f.cpu_decode_factor : f.cpu_factor;
      }
    }
    return 1.0;
  }

  // Weighted robust loss of the rows of class `id` (all classes when empty) that pass `use`.
  double loss(const std::string& id, const std::function<bool(const FitRow&)>& use) const {
    double sum = 0;
    for (const auto& r : m_rows) {
      if (r.device == m_skip || (!id.empty() && r.class_id != id) || !use(r)) {
        continue;
      }
      const EfficiencyClass* c = cls(r.class_id);
      if (c == nullptr) {
        continue;
      }
      const double p = predict_fast(r, *c);
      if (!(p > 0) || !std::isfinite(p)) {
        return 1e30;
      }
      sum += r.weight * huber(std::log(r.measured / p));
    }
    return sum;
  }

  // Pull towards the anchor (the prior's figures), FitOptions::prior_weight per unit of
  // unconstrained parameter squared: figures the rows do not constrain stay where physics put
  // them, and figures few rows constrain move only as far as the rows insist.
  double shrink(const std::vector<double>& x, const std::vector<double>& anchor) const {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      s += m_prior_weight * (x[i] - anchor[i]) * (x[i] - anchor[i]);
    }
    return s;
  }

  void fit_class(const std::string& id) {
    EfficiencyClass* c = nullptr;
    for (auto& k : m_table.classes) {
      if (k.id == id) {
        c = &k;
      }
    }
    const EfficiencyClass* anchor_class = nullptr;
    for (const auto& k : m_anchor.classes) {
      if (k.id == id) {
        anchor_class = &k;
      }
    }
    if (c == nullptr || anchor_class == nullptr) {
      return;
    }
    const bool any = std::any_of(m_rows.begin(), m_rows.end(), [&](const FitRow& r) {
      return r.class_id == id && r.device != m_skip;
    });
    const std::vector<double> anchor = class_params(*anchor_class);
    if (!any) {
      set_class_params(*c, anchor);  // nothing to learn from: the anchor's figures
      return;
    }
    const EfficiencyClass saved = *c;
    auto objective = [&](const std::vector<double>& x) {
      set_class_params(*c, x);
      return loss(id, [](const FitRow&) { return true; }) + shrink(x, anchor);
    };
    const auto best = nelder_mead(objective, class_params(*c), 0.5, 600);
    *c = saved;
    set_class_params(*c, best);
  }

  void fit_globals() {
    // Each format factor moves only the rows of its format: one-dimensional fits.
    for (auto& f : m_table.formats) {
      if (f.id == "k_quant") {
        continue;  // the reference
      }
      // 0: CPU prefill, 1: CPU decode, 2: GPU.
      for (int which = 0; which < 3; ++which) {
        const bool cpu = which < 2;
        auto uses = [&](const FitRow& r) {
          return r.format == f.id && r.cpu == cpu &&
                 (which == 2 || (which == 1) == (r.kind != TestKind::prefill));
        };
        const bool any = std::any_of(m_rows.begin(), m_rows.end(), [&](const FitRow& r) {
          return uses(r) && r.device != m_skip;
        });
        const WeightFormat* anchor_format = nullptr;
        for (const auto& a : m_anchor.formats) {
          if (a.id == f.id) {
            anchor_format = &a;
          }
        }
        double& factor = which == 0   ? f.cpu_factor
                         : which == 1 ? f.cpu_decode_factor
                                      : f.gpu_factor;
        const double anchor = anchor_format == nullptr ? 1.0
                              : which == 0             ? anchor_format->cpu_factor
                              : which == 1             ? anchor_format->cpu_decode_factor
                                                       : anchor_format->gpu_factor;
        if (!any) {
          factor = anchor;
          continue;
        }
        auto objective = [&](const std::vector<double>& x) {
          factor = std::clamp(std::exp(x[0]), 0.05, 5.0);
          return loss("", uses) + shrink(x, {std::log(anchor)});
        };
        const auto best = nelder_mead(objective, {std::log(factor)}, 0.3, 60);
        factor = std::clamp(std::exp(best[0]), 0.05, 5.0);
      }
    }
    // The rows at which matmuls reach half speed: every prefill row.
    auto objective = [&](const std::vector<double>& x) {
      m_table.matmul_half_rows = std::clamp(std::exp(x[0]), 0.0, 4096.0);
      return loss("", [](const FitRow& r) { return r.kind != TestKind::decode; }) +
             shrink(x, {std::log(std::max(1.0, m_anchor.matmul_half_rows))});
    };
    const auto best =
        nelder_mead(objective, {std::log(std::max(1.0, m_table.matmul_half_rows))}, 0.5, 60);
    m_table.matmul_half_rows = std::clamp(std::exp(best[0]), 0.0, 4096.0);
  }

  EfficiencyTable m_table;
  EfficiencyTable m_anchor;
  std::vector<FitRow> m_rows;
  std::string m_skip;
  double m_prior_weight = 0.02;
};

}  // namespace

EfficiencyTable fit_efficiency(std::span<const MappedMeasurement> rows,
                               const EfficiencyTable& prior, const FitOptions& options) {
  Fitter fitter(rows, prior);
  fitter.fit(options);
  EfficiencyTable table = fitter.table();
  for (auto& c : table.classes) {
    const bool fitted =
        options.classes.empty() ||
        std::find(options.classes.begin(), options.classes.end(), c.id) != options.classes.end();
    if (!fitted) {
      continue;
    }
    std::set<std::string> devices;
    c.decode_rows = 0;
    c.prefill_rows = 0;
    for (const auto& r : fitter.rows()) {
      if (r.class_id == c.id) {
        (r.kind == TestKind::decode ? c.decode_rows : c.prefill_rows) += 1;
        devices.insert(r.device);
      }
    }
    c.devices = static_cast<int>(devices.size());
  }
  return table;
}

std::vector<HeldOut> cross_validate(std::span<const MappedMeasurement> rows,
                                    const EfficiencyTable& prior, const EfficiencyTable& fitted) {
  Fitter fitter(rows, fitted);
  std::vector<std::string> devices;
  for (const auto& r : fitter.rows()) {
    if (std::find(devices.begin(), devices.end(), r.device) == devices.end()) {
      devices.push_back(r.device);
    }
  }
  std::vector<HeldOut> out;
  for (const auto& device : devices) {
    // Refit the classes the device's rows use, and the table-wide figures, without it.
    std::vector<std::string> classes;
    for (const auto& r : fitter.rows()) {
      if (r.device == device &&
          std::find(classes.begin(), classes.end(), r.class_id) == classes.end()) {
        classes.push_back(r.class_id);
      }
    }
    Fitter fold = fitter;
    FitOptions options;
    options.classes = classes;
    options.rounds = 3;
    fold.fit(options, device, &prior);
    const EfficiencyTable& table = fold.table();
    for (const auto& r : fitter.rows()) {
      if (r.device != device) {
        continue;
      }
      HeldOut h;
      h.row = r.index;
      h.prediction = predict(rows[r.index], table);
      h.log_residual = std::log(r.measured / h.prediction.tokens_per_s);
      out.push_back(h);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const HeldOut& a, const HeldOut& b) { return a.row < b.row; });
  return out;
}

void set_spreads(EfficiencyTable& table, std::span<const MappedMeasurement> rows,
                 std::span<const HeldOut> held_out) {
  constexpr double k_coverage = 0.8;
  constexpr std::size_t k_min_rows = 8;
  std::map<std::string, std::vector<double>> decode;
  std::map<std::string, std::vector<double>> prefill;
  std::vector<double> all_decode;
  std::vector<double> all_prefill;
  for (const auto& h : held_out) {
    const MappedMeasurement& row = rows[h.row];
    const std::string id = resolved_class(row, table);
    const double a = std::fabs(h.log_residual);
    if (row.kind == TestKind::prefill) {
      prefill[id].push_back(a);
      all_prefill.push_back(a);
    } else {
      decode[id].push_back(a);
      all_decode.push_back(a);
    }
  }
  const double pooled_decode = quantile(all_decode, k_coverage);
  const double pooled_prefill = quantile(all_prefill, k_coverage);
  for (auto& c : table.classes) {
    const auto& d = decode[c.id];
    const auto& p = prefill[c.id];
    c.decode_log_spread = d.size() >= k_min_rows ? quantile(d, k_coverage)
                                                 : std::max(quantile(d, k_coverage), pooled_decode);
    c.prefill_log_spread = p.size() >= k_min_rows
                               ? quantile(p, k_coverage)
                               : std::max(quantile(p, k_coverage), pooled_prefill);
  }
}

// --- Reports, refits and profiles ---------------------------------------------------------------

namespace {

std::string kind_name(TestKind kind) {
  switch (kind) {
    case TestKind::decode:
      return "decode";
    case TestKind::prefill:
      return "prefill";
    case TestKind::prefill_decode:
      return "pp+tg";
  }
  return "decode";
}

bool inside(const Prediction& p, double measured) {
  return measured >= p.tokens_per_s_low && measured <= p.tokens_per_s_high;
}

Column column(std::string id, std::string title, CellKind kind, HumanUnit unit, bool human,
              int precision = 2) {
  return Column{std::move(id), std::move(title), kind, unit, precision, human};
}

// A file:line origin without the file when it is the only file ("line 42" reads better).
std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : std::string(separator)) + p;
  }
  return out;
}

// "a.csv:3", "a.csv:4", "b.json:2" -> "a.csv lines 3, 4; b.json line 2".
std::string compact_origins(const std::vector<std::string>& origins) {
  std::vector<std::pair<std::string, std::vector<std::string>>> files;
  for (const auto& origin : origins) {
    const auto colon = origin.rfind(':');
    const std::string file = colon == std::string::npos ? origin : origin.substr(0, colon);
    const std::string line = colon == std::string::npos ? "" : origin.substr(colon + 1);
    if (files.empty() || files.back().first != file) {
      files.push_back({file, {}});
    }
    files.back().second.push_back(line);
  }
  std::vector<std::string> parts;
  for (const auto& [file, lines] : files) {
    parts.push_back(
        fmt::format("{} line{} {}", file, lines.size() > 1 ? "s" : "", join(lines, ", ")));
  }
  return join(parts, "; ");
}

}  // namespace

std::vector<AccuracyFigure> accuracy_figures(std::span<const MappedMeasurement> rows,
                                             std::span<const Prediction> predictions,
                                             const EfficiencyTable& table) {
  std::map<std::pair<std::string, std::string>, std::vector<ScoredRow>> groups;
  for (std::size_t i = 0; i < rows.size() && i < predictions.size(); ++i) {
    const MappedMeasurement& row = rows[i];
    if (!row.exclusion.empty() || !(predictions[i].tokens_per_s > 0)) {
      continue;
    }
    const ScoredRow scored{predictions[i].tokens_per_s, row.measurement.tokens_per_s,
                           inside(predictions[i], row.measurement.tokens_per_s)};
    const std::string cls = resolved_class(row, table);
    for (const std::string& group : {cls, std::string("all")}) {
      groups[{group, kind_name(row.kind)}].push_back(scored);
      if (row.label == "tg128" || row.label == "pp512") {
        groups[{group, row.label}].push_back(scored);
      }
    }
  }
  std::vector<std::string> order;
  for (const auto& c : table.classes) {
    order.push_back(c.id);
  }
  order.emplace_back("all");
  std::vector<AccuracyFigure> out;
  for (const auto& cls : order) {
    for (const char* test : {"tg128", "pp512", "decode", "prefill", "pp+tg"}) {
      auto it = groups.find({cls, test});
      if (it == groups.end()) {
        continue;
      }
      const ErrorStats st = error_stats(it->second);
      out.push_back(
          {cls, test, st.rows, st.median_abs_error, st.p90_abs_error, st.bias, st.coverage});
    }
  }
  return out;
}

Report validation_report(std::span<const MappedMeasurement> rows,
                         std::span<const Prediction> predictions,
                         std::span<const UnmappedMeasurement> unmapped,
                         const EfficiencyTable& table, const ValidationOptions& options) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "validate";
  report.columns = {
      column("origin", "origin", K::text, U::none, false),
      column("device.id", "device", K::text, U::none, true),
      column("efficiency_class", "class", K::text, U::none, true),
      column("backend", "backend", K::text, U::none, false),
      column("model.id", "model", K::text, U::none, true),
      column("quant", "quant", K::text, U::none, true),
      column("test", "test", K::text, U::none, true),
      column("measured_tokens_per_s", "measured", K::real, U::tokens_per_s, true),
      column("predicted_tokens_per_s", "predicted", K::real, U::tokens_per_s, true),
      column("predicted_tokens_per_s_low", "low", K::real, U::tokens_per_s, false),
      column("predicted_tokens_per_s_high", "high", K::real, U::tokens_per_s, false),
      column("error_ratio", "error", K::real, U::ratio_percent, true),
      column("in_band", "in band", K::boolean, U::none, false),
      column("in_scope", "used", K::boolean, U::none, true),
      column("exclusion", "excluded because", K::text, U::none, false),
      column("caveats", "caveats", K::text, U::none, false),
  };
  std::map<std::string, int> exclusions;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const MappedMeasurement& row = rows[i];
    const Prediction& p = predictions[i];
    const double measured = row.measurement.tokens_per_s;
    report.rows.push_back({
        Cell{row.measurement.origin},
        Cell{row.device->id},
        Cell{resolved_class(row, table)},
        Cell{row.backend},
        Cell{row.model.spec.id},
        Cell{row.model.quant_id},
        Cell{row.label},
        Cell{measured},
        Cell{p.tokens_per_s},
        Cell{p.tokens_per_s_low},
        Cell{p.tokens_per_s_high},
        Cell{p.tokens_per_s / measured - 1.0},
        Cell{inside(p, measured)},
        Cell{row.exclusion.empty()},
        row.exclusion.empty() ? Cell{} : Cell{row.exclusion},
        row.caveats.empty() ? Cell{} : Cell{join(row.caveats, "; ")},
    });
    if (!row.exclusion.empty()) {
      ++exclusions[row.exclusion];
    }
  }
  const auto figures = accuracy_figures(rows, predictions, table);
  int in_scope = 0;
  for (const auto& row : rows) {
    in_scope += row.exclusion.empty() ? 1 : 0;
  }
  report.fields.push_back(
      {"rows_read", "rows read", Cell{static_cast<std::int64_t>(rows.size() + unmapped.size())}});
  report.fields.push_back({"rows_used", "rows used", Cell{static_cast<std::int64_t>(in_scope)}});
  report.fields.push_back(
      {"rows_excluded", "rows excluded", Cell{static_cast<std::int64_t>(rows.size()) - in_scope}});
  report.fields.push_back(
      {"rows_unmapped", "rows unmapped", Cell{static_cast<std::int64_t>(unmapped.size())}});
  if (!options.method.empty()) {
    report.notes.push_back(options.method);
  }
  if (options.structured) {
    auto accuracy = std::make_shared<RecordList>();
    accuracy->columns = {column("class", "class", K::text, U::none, true),
                         column("test", "test", K::text, U::none, true),
                         column("rows", "rows", K::integer, U::none, true),
                         column("median_abs_error", "median", K::real, U::ratio_percent, true),
                         column("p90_abs_error", "p90", K::real, U::ratio_percent, true),
                         column("bias", "bias", K::real, U::ratio_percent, true),
                         column("coverage", "coverage", K::real, U::ratio_percent, true)};
    for (const auto& f : figures) {
      accuracy->records.push_back(
          {Cell{f.class_id}, Cell{f.test}, Cell{static_cast<std::int64_t>(f.rows)},
           Cell{f.median_abs_error}, Cell{f.p90_abs_error}, Cell{f.bias}, Cell{f.coverage}});
    }
    report.fields.push_back(
        {"accuracy", "accuracy", Cell{std::shared_ptr<const RecordList>(accuracy)}});
    auto list = std::make_shared<RecordList>();
    list->columns = {column("origin", "origin", K::text, U::none, true),
                     column("device", "device", K::text, U::none, true),
                     column("model", "model", K::text, U::none, true),
                     column("quant", "quant", K::text, U::none, true),
                     column("test", "test", K::text, U::none, true),
                     column("reason", "reason", K::text, U::none, true)};
    for (const auto& u : unmapped) {
      list->records.push_back({Cell{u.measurement.origin}, Cell{u.measurement.device},
                               Cell{u.measurement.model}, Cell{u.measurement.quant},
                               Cell{u.measurement.test}, Cell{u.reason}});
    }
    report.fields.push_back(
        {"unmapped", "unmapped", Cell{std::shared_ptr<const RecordList>(list)}});
  } else {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& f : figures) {
      counts[{f.class_id, f.test}] = f.rows;
    }
    for (const auto& f : figures) {
      // A kind total that only repeats its reference test adds nothing.
      if ((f.test == "decode" && counts[{f.class_id, "tg128"}] == f.rows) ||
          (f.test == "prefill" && counts[{f.class_id, "pp512"}] == f.rows)) {
        continue;
      }
      report.notes.push_back(fmt::format(
          "accuracy {} {}: {} rows, median error {:.1f}%, 90th percentile {:.1f}%, bias "
          "{:+.1f}%, {:.0f}% inside the band",
          f.class_id, f.test, f.rows, 100 * f.median_abs_error, 100 * f.p90_abs_error, 100 * f.bias,
          100 * f.coverage));
    }
    std::map<std::string, std::vector<std::string>> by_reason;
    for (const auto& u : unmapped) {
      by_reason[u.reason].push_back(u.measurement.origin);
    }
    for (const auto& [reason, origins] : by_reason) {
      report.notes.push_back(
          fmt::format("unmapped ({}): {}: {}", origins.size(), reason, compact_origins(origins)));
    }
  }
  for (const auto& [reason, count] : exclusions) {
    report.notes.push_back(fmt::format("excluded ({}): {}", count, reason));
  }
  return report;
}

CrossValidation cross_validation(std::span<const MappedMeasurement> rows,
                                 const EfficiencyTable& prior) {
  CrossValidation cv;
  cv.table = fit_efficiency(rows, prior);
  const auto held_out = cross_validate(rows, prior, cv.table);
  set_spreads(cv.table, rows, held_out);
  cv.predictions.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].exclusion.empty()) {
      cv.predictions[i] = predict(rows[i], cv.table);
    }
  }
  // Held-out predictions carry their fold's spreads; score them with the final bands.
  for (const auto& h : held_out) {
    const MappedMeasurement& row = rows[h.row];
    const EfficiencyClass* c = find_efficiency_class(cv.table, row.class_key);
    const double spread = c == nullptr                    ? 0.0
                          : row.kind == TestKind::prefill ? c->prefill_log_spread
                          : row.kind == TestKind::decode
                              ? c->decode_log_spread
                              : std::max(c->decode_log_spread, c->prefill_log_spread);
    Prediction p = h.prediction;
    p.tokens_per_s_low = p.tokens_per_s * std::exp(-spread);
    p.tokens_per_s_high = p.tokens_per_s * std::exp(spread);
    cv.predictions[h.row] = p;
  }
  return cv;
}

EfficiencyTable refit_table(const MappingResult& mapped, const EfficiencyTable& prior,
                            const RefitOptions& options) {
  CrossValidation cv = cross_validation(mapped.mapped, prior);
  EfficiencyTable table = std::move(cv.table);
  table.description = fmt::format(
      "Realistic-efficiency classes: how far a llama.cpp-like engine stays below the roofline on "
      "each class of device and backend, and how its kernels treat each weight format. Fitted by "
      "'llmroof calibrate --refit-table' to {} from efficiency-prior.json (see fitted_on); the "
      "bands and cross_validated_accuracy come from leave-one-device-out cross-validation.",
      options.source);
  table.accuracy = accuracy_figures(mapped.mapped, cv.predictions, table);
  FitRecord record;
  record.source = options.source;
  record.data_date = options.data_date;
  record.command = options.command;
  record.rows = static_cast<int>(mapped.mapped.size() + mapped.unmapped.size());
  std::set<std::string> devices;
  for (const auto& row : mapped.mapped) {
    if (row.exclusion.empty()) {
      ++record.rows_used;
      devices.insert(row.device->id);
    } else {
      ++record.rows_excluded;
    }
  }
  record.rows_unmapped = static_cast<int>(mapped.unmapped.size());
  record.devices = static_cast<int>(devices.size());
  table.fitted_on = record;
  return table;
}

EfficiencyTable calibration_profile(std::span<const MappedMeasurement> rows,
                                    const EfficiencyTable& table, const std::string& source) {
  // One profile class per (device, backend), starting from the class the table gives it.
  EfficiencyTable working = table;
  std::vector<std::string> ids;
  std::map<std::string, std::string> bases;
  for (const auto& row : rows) {
    if (!row.exclusion.empty()) {
      continue;
    }
    const std::string id = fmt::format("{}-{}", row.device->id, row.backend);
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      continue;
    }
    const EfficiencyClass* base = find_efficiency_class(table, row.class_key);
    if (base == nullptr) {
      throw Error(fmt::format("the efficiency table has no class for '{}'", row.device->id));
    }
    EfficiencyClass c = *base;
    bases[id] = base->id;
    c.id = id;
    c.device = row.device->id;
    c.backend = row.backend;
    c.description = fmt::format("{} ({}), calibrated", row.device->name, row.backend);
    working.classes.insert(working.classes.begin(), c);
    ids.push_back(id);
  }
  if (ids.empty()) {
    throw Error("no measurement is in scope: nothing to calibrate (see 'llmroof validate')");
  }
  FitOptions options;
  options.classes = ids;
  options.globals = false;
  // The device's own rows are direct evidence: a tenth of the shipped fit's pull.
  options.prior_weight = 0.002;
  const EfficiencyTable fitted = fit_efficiency(rows, working, options);
  EfficiencyTable profile;
  profile.schema_version = 2;
  profile.description = fmt::format(
      "Calibration profile written by 'llmroof calibrate' from {}; apply it with --calibration.",
      source);
  profile.matmul_half_rows = table.matmul_half_rows;
  profile.ubatch_tokens = table.ubatch_tokens;
  for (const auto& id : ids) {
    const EfficiencyClass* c = find_efficiency_class(fitted, id);
    EfficiencyClass out = *c;
    // In-sample residuals of the device's own rows: its band.
    std::vector<double> decode;
    std::vector<double> prefill;
    for (const auto& row : rows) {
      if (!row.exclusion.empty() || resolved_class(row, fitted) != id) {
        continue;
      }
      const double r =
          std::fabs(std::log(row.measurement.tokens_per_s / predict(row, fitted).tokens_per_s));
      (row.kind == TestKind::prefill ? prefill : decode).push_back(r);
    }
    constexpr double k_min_spread = 0.05;
    out.decode_log_spread =
        decode.size() >= 3 ? std::max(quantile(decode, 0.8), k_min_spread) : c->decode_log_spread;
    out.prefill_log_spread = prefill.size() >= 3 ? std::max(quantile(prefill, 0.8), k_min_spread)
                                                 : c->prefill_log_spread;
    out.basis = fmt::format(
        "fitted by 'llmroof calibrate' to {} decode and {} prefill measurements of {}, starting "
        "from the shipped class '{}'",
        out.decode_rows, out.prefill_rows, source, bases[id]);
    profile.classes.push_back(std::move(out));
  }
  return profile;
}

}  // namespace llmroof
