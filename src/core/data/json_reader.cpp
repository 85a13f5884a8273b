#include "data/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <unordered_map>

#include "llmroof/util/errors.hpp"

namespace llmroof::detail {

JsonLocator::JsonLocator(std::string_view text, const std::vector<std::string>& pointers)
    : m_text(text) {
  // Every wanted pointer and its ancestors: the scan descends only into values listed here.
  for (const auto& pointer : pointers) {
    std::string p = pointer == "/" ? std::string() : pointer;
    while (m_lines.emplace(p, 0).second && !p.empty()) {
      const auto slash = p.rfind('/');
      p.resize(slash == std::string::npos ? 0 : slash);
    }
  }
  if (m_lines.empty()) {
    return;
  }
  std::string pointer;
  skip_ws();
  scan_value(pointer, 0);
}

int JsonLocator::line_of(const std::string& pointer) const {
  std::string p = pointer == "/" ? std::string() : pointer;
  while (true) {
    const auto it = m_lines.find(p);
    if (it != m_lines.end() && it->second > 0) {
      return it->second;
    }
    const auto slash = p.rfind('/');
    if (slash == std::string::npos || p.empty()) {
      return 1;
    }
    p.resize(slash);
  }
}

void JsonLocator::skip_ws() {
  while (m_pos < m_text.size()) {
    const char c = m_text[m_pos];
    if (c == '\n') {
      ++m_line;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return;
    }
    ++m_pos;
  }
}

void JsonLocator::skip_string() {
  ++m_pos;  // opening quote
  while (m_pos < m_text.size() && m_text[m_pos] != '"') {
    if (m_text[m_pos] == '\\') {
      ++m_pos;
    } else if (m_text[m_pos] == '\n') {
      ++m_line;
    }
    ++m_pos;
  }
  ++m_pos;  // closing quote
}

// Skips one value, nested or not, with a depth counter instead of recursion.
void JsonLocator::skip_value() {
  std::size_t depth = 0;
  while (m_pos < m_text.size()) {
    const char c = m_text[m_pos];
    if (c == '"') {
      skip_string();
    } else {
      if (c == '\n') {
        ++m_line;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) {
          return;  // the end of the enclosing container
        }
        --depth;
      } else if (depth == 0 && c == ',') {
        return;
      }
      ++m_pos;
    }
    if (depth == 0 && (c == '"' || c == '}' || c == ']')) {
      return;
    }
  }
}

void JsonLocator::scan_value(std::string& pointer, int depth) {
  if (m_pos >= m_text.size()) {
    return;
  }
  const auto wanted = m_lines.find(pointer);
  if (wanted == m_lines.end() || depth > k_max_json_depth) {
    skip_value();
    return;
  }
  if (wanted->second == 0) {
    wanted->second = m_line;
  }
  const std::size_t length = pointer.size();
  const char c = m_text[m_pos];
  if (c == '{') {
    ++m_pos;
    skip_ws();
    while (at('"')) {
      const std::size_t key_start = m_pos;
      skip_string();
      std::string_view raw = m_text.substr(key_start, m_pos - key_start);
      std::string key;
      if (raw.find('\\') == std::string_view::npos) {
        key = raw.size() >= 2 ? std::string(raw.substr(1, raw.size() - 2)) : std::string();
      } else {
        // Escaped keys: decoded as the parser decoded them, so the pointers agree.
        const auto decoded = nlohmann::json::parse(raw, nullptr, false);
        key = decoded.is_string() ? decoded.get<std::string>() : std::string(raw);
      }
      skip_ws();
      if (!at(':')) {
        return;
      }
      ++m_pos;
      skip_ws();
      pointer += '/';
      pointer += pointer_token(key);
      scan_value(pointer, depth + 1);
      pointer.resize(length);
      skip_ws();
      if (!at(',')) {
        break;
      }
      ++m_pos;
      skip_ws();
    }
    if (at('}')) {
      ++m_pos;
    }
  } else if (c == '[') {
    ++m_pos;
    skip_ws();
    std::size_t index = 0;
    while (m_pos < m_text.size() && !at(']')) {
      pointer += '/';
      pointer += std::to_string(index++);
      scan_value(pointer, depth + 1);
      pointer.resize(length);
      skip_ws();
      if (!at(',')) {
        break;
      }
      ++m_pos;
      skip_ws();
    }
    if (at(']')) {
      ++m_pos;
    }
  } else {
    skip_value();
  }
}

void Diagnostics::throw_if_any(std::string_view text, const std::string& display_name) const {
  if (m_items.empty()) {
    return;
  }
  std::vector<std::string> pointers;
  pointers.reserve(m_items.size());
  for (const auto& item : m_items) {
    pointers.push_back(item.first);
  }
  const JsonLocator locator(text, pointers);
  std::vector<std::string> messages;
  messages.reserve(m_items.size());
  for (const auto& [pointer, message] : m_items) {
    messages.push_back(fmt::format("{}:{}: {}: {}", display_name, locator.line_of(pointer),
                                   pointer.empty() ? "/" : pointer, message));
  }
  throw DataError(std::move(messages));
}

std::optional<std::string> json_depth_problem(std::string_view text) {
  int depth = 0;
  std::size_t line = 1;
  std::size_t column = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > k_max_json_depth) {
        return fmt::format("{}:{}: JSON nests deeper than {} levels of arrays/objects", line,
                           column, k_max_json_depth);
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::nullopt;
}

std::optional<std::string> json_duplicate_key_problem(std::string_view text) {
  // One entry per open array or object; objects keep their keys (as views of `text`) and the
  // line of each, in a vector while small and a hash map past that.
  struct Level {
    bool object = false;
    std::vector<std::pair<std::string_view, std::size_t>> keys;
    std::unordered_map<std::string_view, std::size_t> many;
  };
  std::vector<Level> levels;
  std::size_t line = 1;
  std::size_t column = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
    } else if (c == '{' || c == '[') {
      levels.push_back(Level{c == '{', {}, {}});
    } else if ((c == '}' || c == ']') && !levels.empty()) {
      levels.pop_back();
    } else if (c == '"') {
      const std::size_t start = i;
      const std::size_t start_column = column;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') {
          ++i;
        }
      }
      column += i - start;
      if (levels.empty() || !levels.back().object) {
        continue;
      }
      // A key is a string followed by a colon.
      std::size_t next = i + 1;
      while (next < text.size() && (text[next] == ' ' || text[next] == '\t' || text[next] == '\r' ||
                                    text[next] == '\n')) {
        ++next;
      }
      if (next >= text.size() || text[next] != ':') {
        continue;
      }
      const std::string_view key = text.substr(start + 1, std::min(i, text.size()) - start - 1);
      Level& level = levels.back();
      std::optional<std::size_t> first;
      if (level.many.empty()) {
        for (const auto& [seen, seen_line] : level.keys) {
          if (seen == key) {
            first = seen_line;
            break;
          }
        }
        level.keys.emplace_back(key, line);
        if (level.keys.size() > 16) {
          level.many.insert(level.keys.begin(), level.keys.end());
        }
      } else if (const auto [it, fresh] = level.many.emplace(key, line); !fresh) {
        first = it->second;
      }
      if (first) {
        return fmt::format("{}:{}: duplicate key '{}' (first at line {})", line, start_column,
                           key.substr(0, 64), *first);
      }
    }
  }
  return std::nullopt;
}

nlohmann::json parse_json_text(std::string_view text, const std::string& display_name) {
  if (const auto problem = json_depth_problem(text)) {
    throw DataError({fmt::format("{}:{}", display_name, *problem)});
  }
  if (const auto problem = json_duplicate_key_problem(text)) {
    throw DataError({fmt::format("{}:{}", display_name, *problem)});
  }
  // Line and column of a byte offset.
  const auto position = [&](std::size_t end) {
    std::size_t line = 1;
    std::size_t column = 1;
    end = std::min(end, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return fmt::format("{}:{}", line, column);
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line L, column C: msg"
    const auto colon = what.find(": ", what.find("parse error"));
    std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
    throw DataError({fmt::format("{}:{}: invalid JSON: {}", display_name,
                                 position(e.byte > 0 ? e.byte - 1 : 0), detail)});
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond the double range ("1e400"): "number overflow parsing '1e400'", without
    // a position; the number's first appearance in the text gives one.
    std::string what = e.what();
    if (const auto end = what.find("] "); end != std::string::npos) {
      what = what.substr(end + 2);
    }
    std::string where = "1:1";
    if (const auto open = what.find('\''); open != std::string::npos) {
      const auto close = what.find('\'', open + 1);
      const std::string literal = what.substr(open + 1, close - open - 1);
      if (const auto at = text.find(literal); !literal.empty() && at != std::string_view::npos) {
        where = position(at);
      }
    }
    throw DataError(
        {fmt::format("{}:{}: invalid JSON: {} (not a finite number)", display_name, where, what)});
  }
}

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string describe(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 40) {
    text = text.substr(0, 37) + "...";
  }
  return text;
}

namespace {
bool check_ok(double v, Check check) {
  switch (check) {
    case Check::any:
      return true;
    case Check::positive:
      return v > 0;
    case Check::non_negative:
      return v >= 0;
  }
  return true;
}

std::string_view check_words(Check check) {
  switch (check) {
    case Check::any:
      return "a number";
    case Check::positive:
      return "a positive number";
    case Check::non_negative:
      return "a non-negative number";
  }
  return "a number";
}
}  // namespace

ObjectReader::ObjectReader(const nlohmann::json& value, std::string pointer,
                           Diagnostics& diagnostics)
    : m_pointer(std::move(pointer)), m_diagnostics(diagnostics) {
  if (value.is_object()) {
    m_object = &value;
  } else {
    m_diagnostics.add(m_pointer, fmt::format("expected an object, got {}", describe(value)));
  }
}

std::string ObjectReader::child_pointer(std::string_view key) const {
  return m_pointer + "/" + pointer_token(key);
}

void ObjectReader::problem(std::string_view key, const std::string& message) {
  m_diagnostics.add(child_pointer(key), message);
}

const nlohmann::json* ObjectReader::lookup(std::string_view key, bool required) {
  if (m_object == nullptr) {
    return nullptr;
  }
  m_seen.push_back(key);
  const auto it = m_object->find(key);
  if (it == m_object->end()) {
    if (required) {
      m_diagnostics.add(m_pointer.empty() ? "/" : m_pointer,
                        fmt::format("missing required field '{}'", key));
    }
    return nullptr;
  }
  return &*it;
}

std::string ObjectReader::string(std::string_view key, bool required) {
  const auto* value = lookup(key, required);
  if (value == nullptr || (value->is_null() && !required)) {
    return {};
  }
  if (!value->is_string()) {
    problem(key, fmt::format("expected a string, got {}", describe(*value)));
    return {};
  }
  const auto& text = value->get_ref<const std::string&>();
  if (required && text.empty()) {
    problem(key, "expected a non-empty string");
  }
  return text;
}

std::optional<std::string> ObjectReader::optional_string(std::string_view key) {
  const auto* value = lookup(key, false);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    problem(key, fmt::format("expected a string, got {}", describe(*value)));
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<double> ObjectReader::number(std::string_view key, Check check, bool required) {
  const auto* value = lookup(key, required);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_null()) {
    if (required) {
      problem(key, fmt::format("expected {}, got null", check_words(check)));
    }
    return std::nullopt;
  }
  if (!value->is_number()) {
    problem(key, fmt::format("expected {}, got {}", check_words(check), describe(*value)));
    return std::nullopt;
  }
  const double v = value->get<double>();
  if (!check_ok(v, check)) {
    problem(key, fmt::format("expected {}, got {}", check_words(check), describe(*value)));
    return std::nullopt;
  }
  return v;
}

std::optional<long long> ObjectReader::integer(std::string_view key, Check check, bool required) {
  const auto* value = lookup(key, required);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_null()) {
    if (required) {
      problem(key, "expected an integer, got null");
    }
    return std::nullopt;
  }
  if (!value->is_number_integer()) {
    problem(key, fmt::format("expected an integer, got {}", describe(*value)));
    return std::nullopt;
  }
  if (value->is_number_unsigned() &&
      value->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) {
    // Read as a signed count it would turn negative (18446744073709551615 as -1).
    problem(key, fmt::format("expected an integer up to {}, got {}",
                             std::numeric_limits<long long>::max(), describe(*value)));
    return std::nullopt;
  }
  const auto v = value->get<long long>();
  if (!check_ok(static_cast<double>(v), check)) {
    problem(key, fmt::format("expected {} integer, got {}",
                             check == Check::positive ? "a positive" : "a non-negative", v));
    return std::nullopt;
  }
  return v;
}

std::optional<int> ObjectReader::small_integer(std::string_view key, Check check, bool required) {
  const auto v = integer(key, check, required);
  if (!v) {
    return std::nullopt;
  }
  if (*v > std::numeric_limits<int>::max() || *v < std::numeric_limits<int>::min()) {
    problem(key, fmt::format("expected an integer up to {}, got {}",
                             std::numeric_limits<int>::max(), *v));
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<bool> ObjectReader::boolean(std::string_view key, bool required) {
  const auto* value = lookup(key, required);
  if (value == nullptr || value->is_null()) {
    return std::nullopt;
  }
  if (!value->is_boolean()) {
    problem(key, fmt::format("expected true or false, got {}", describe(*value)));
    return std::nullopt;
  }
  return value->get<bool>();
}

std::vector<std::string> ObjectReader::string_array(std::string_view key, bool required) {
  std::vector<std::string> out;
  const auto* value = lookup(key, required);
  if (value == nullptr || value->is_null()) {
    return out;
  }
  if (!value->is_array()) {
    problem(key, fmt::format("expected an array of strings, got {}", describe(*value)));
    return out;
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    const auto& item = (*value)[i];
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      m_diagnostics.add(fmt::format("{}/{}", child_pointer(key), i),
                        fmt::format("expected a non-empty string, got {}", describe(item)));
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<double> ObjectReader::number_array(std::string_view key, Check check, bool required) {
  std::vector<double> out;
  const auto* value = lookup(key, required);
  if (value == nullptr || value->is_null()) {
    return out;
  }
  if (!value->is_array() || (required && value->empty())) {
    problem(key, fmt::format("expected a non-empty array of numbers, got {}", describe(*value)));
    return out;
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    const auto& item = (*value)[i];
    if (!item.is_number() || !check_ok(item.get<double>(), check)) {
      m_diagnostics.add(fmt::format("{}/{}", child_pointer(key), i),
                        fmt::format("expected {}, got {}", check_words(check), describe(item)));
      continue;
    }
    out.push_back(item.get<double>());
  }
  return out;
}

std::optional<std::string> ObjectReader::one_of(std::string_view key,
                                                const std::vector<std::string>& allowed,
                                                bool required) {
  const auto* value = lookup(key, required);
  if (value == nullptr || (value->is_null() && !required)) {
    return std::nullopt;
  }
  std::string list;
  for (const auto& a : allowed) {
    list += (list.empty() ? "" : ", ") + a;
  }
  if (!value->is_string()) {
    problem(key, fmt::format("expected one of {}, got {}", list, describe(*value)));
    return std::nullopt;
  }
  const auto& text = value->get_ref<const std::string&>();
  for (const auto& a : allowed) {
    if (a == text) {
      return text;
    }
  }
  problem(key, fmt::format("expected one of {}, got {}", list, describe(*value)));
  return std::nullopt;
}

const nlohmann::json* ObjectReader::child(std::string_view key, bool required) {
  const auto* value = lookup(key, required);
  if (value == nullptr || value->is_null()) {
    return nullptr;
  }
  return value;
}

void ObjectReader::finish() {
  if (m_object == nullptr) {
    return;
  }
  for (auto it = m_object->begin(); it != m_object->end(); ++it) {
    if (std::find(m_seen.begin(), m_seen.end(), it.key()) == m_seen.end()) {
      problem(it.key(), fmt::format("unknown field '{}'", it.key()));
    }
  }
}

}  // namespace llmroof::detail
