#include "data/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "llmroof/util/errors.hpp"

namespace llmroof::detail {

JsonLocator::JsonLocator(std::string_view text) : m_text(text) {
  try {
    skip_ws();
    scan_value("");
  } catch (const std::out_of_range&) {
    // Truncated text: keep what was mapped so far.
  }
}

int JsonLocator::line_of(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = m_lines.find(p);
    if (it != m_lines.end()) {
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

std::string JsonLocator::scan_string() {
  std::string out;
  ++m_pos;  // opening quote
  while (m_pos < m_text.size() && m_text[m_pos] != '"') {
    if (m_text[m_pos] == '\\' && m_pos + 1 < m_text.size()) {
      out.push_back(m_text[m_pos]);
      ++m_pos;
    }
    out.push_back(m_text[m_pos]);
    ++m_pos;
  }
  ++m_pos;  // closing quote
  // Keys with escapes are rare in data files; decode the common ones.
  std::string decoded;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\\' && i + 1 < out.size()) {
      ++i;
    }
    decoded.push_back(out[i]);
  }
  return decoded;
}

void JsonLocator::scan_value(const std::string& pointer) {
  if (m_pos >= m_text.size()) {
    return;
  }
  m_lines.emplace(pointer, m_line);
  const char c = m_text.at(m_pos);
  if (c == '{') {
    ++m_pos;
    skip_ws();
    while (m_pos < m_text.size() && m_text.at(m_pos) != '}') {
      if (m_text.at(m_pos) != '"') {
        return;
      }
      const std::string key = scan_string();
      skip_ws();
      if (m_text.at(m_pos) != ':') {
        return;
      }
      ++m_pos;
      skip_ws();
      scan_value(pointer + "/" + pointer_token(key));
      skip_ws();
      if (m_text.at(m_pos) == ',') {
        ++m_pos;
        skip_ws();
      }
    }
    ++m_pos;
  } else if (c == '[') {
    ++m_pos;
    skip_ws();
    std::size_t index = 0;
    while (m_pos < m_text.size() && m_text.at(m_pos) != ']') {
      scan_value(fmt::format("{}/{}", pointer, index++));
      skip_ws();
      if (m_text.at(m_pos) == ',') {
        ++m_pos;
        skip_ws();
      } else if (m_text.at(m_pos) != ']') {
        return;
      }
    }
    ++m_pos;
  } else if (c == '"') {
    scan_string();
  } else {
    while (m_pos < m_text.size()) {
      const char d = m_text[m_pos];
      if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\n' || d == '\r' || d == '\t') {
        break;
      }
      ++m_pos;
    }
  }
}

void Diagnostics::throw_if_any(std::string_view text, const std::string& display_name) const {
  if (m_items.empty()) {
    return;
  }
  const JsonLocator locator(text);
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

nlohmann::json parse_json_text(std::string_view text, const std::string& display_name) {
  if (const auto problem = json_depth_problem(text)) {
    throw DataError({fmt::format("{}:{}", display_name, *problem)});
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // Locate the byte offset nlohmann reports as a line and column.
    std::size_t line = 1;
    std::size_t column = 1;
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line L, column C: msg"
    const auto colon = what.find(": ", what.find("parse error"));
    std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
    throw DataError(
        {fmt::format("{}:{}:{}: invalid JSON: {}", display_name, line, column, detail)});
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
  const auto v = value->get<long long>();
  if (!check_ok(static_cast<double>(v), check)) {
    problem(key, fmt::format("expected {} integer, got {}",
                             check == Check::positive ? "a positive" : "a non-negative", v));
    return std::nullopt;
  }
  return v;
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
