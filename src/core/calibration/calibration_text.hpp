#pragma once

// Text helpers, RFC 4180 records and per-file problems shared by the calibration readers,
// the llama-bench import and the mapping (internal to llmroof_core).

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/util/errors.hpp"
#include "llmroof/util/numbers.hpp"
#include "llmroof/util/text.hpp"

namespace llmroof::calib {

// --- Small text helpers -------------------------------------------------------------------------

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

// A finite number in the whole of `text` (surrounding spaces allowed), or nullopt.
inline std::optional<double> to_number(std::string_view text) { return to_double(trim(text)); }

inline std::optional<int> to_int(std::string_view text) {
  auto value = to_number(text);
  if (!value || *value != std::floor(*value) || std::abs(*value) > 1e9) {
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

/// Largest token count a test name may give (pp, tg, @ d): 2^30, far past any context, small
/// enough that every sum of counts stays inside an int.
inline constexpr std::int64_t k_max_test_tokens = std::int64_t{1} << 30;

/// "token count N in test 'T' is more than 1073741824" when a run of digits in `test` exceeds
/// k_max_test_tokens ("tg99999999999", "pp2147483647+tg2147483647"); nullopt otherwise.
inline std::optional<std::string> test_count_problem(std::string_view test) {
  for (std::size_t i = 0; i < test.size();) {
    if (std::isdigit(static_cast<unsigned char>(test[i])) == 0) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < test.size() && std::isdigit(static_cast<unsigned char>(test[end])) != 0) {
      ++end;
    }
    const std::string_view digits = test.substr(i, end - i);
    if (!to_int64(digits, 0, k_max_test_tokens)) {
      return fmt::format("token count {} in test '{}' is more than {}", digits.substr(0, 24),
                         test.substr(0, 64), k_max_test_tokens);
    }
    i = end;
  }
  return std::nullopt;
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

/// Throws DataError "file:line: not valid UTF-8 ..." for the first line of `text` that is not
/// UTF-8: names from these files reach JSON output, which cannot carry other bytes.
inline void throw_if_not_utf8(std::string_view text, const std::string& file) {
  int line = 1;
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (!valid_utf8(text.substr(start, end - start))) {
      throw DataError({fmt::format("{}:{}: not valid UTF-8 (save the file as UTF-8)", file, line)});
    }
    start = end + 1;
    ++line;
  }
}

inline std::string_view first_content(std::string_view text) {
  text = trim(text);
  // A UTF-8 byte order mark.
  if (starts_with(text, "\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  return text;
}

}  // namespace llmroof::calib
