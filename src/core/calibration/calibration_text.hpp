#pragma once

// Text helpers, RFC 4180 records and per-file problems shared by the calibration readers,
// the llama-bench import and the mapping (internal to llmroof_core).

#include <fast_float/fast_float.h>
#include <fmt/format.h>

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/util/errors.hpp"

namespace llmroof::calib {

// --- Small text helpers -------------------------------------------------------------------------

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A number in the whole of `text` (surrounding spaces allowed), or nullopt.
inline std::optional<double> to_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  double value = 0;
  const auto* end = text.data() + text.size();
  // fast_float: the libc++ of emscripten 3.1.6 has no floating-point std::from_chars.
  auto [ptr, ec] = fast_float::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

inline std::optional<int> to_int(std::string_view text) {
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
inline std::vector<CsvRecord> read_csv(std::string_view text) {
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

inline std::string_view first_content(std::string_view text) {
  text = trim(text);
  // A UTF-8 byte order mark.
  if (starts_with(text, "\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  return text;
}

}  // namespace llmroof::calib
