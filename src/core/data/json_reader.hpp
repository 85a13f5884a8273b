#pragma once

// Small composable readers for validating JSON data files against their schema, collecting
// every problem with its JSON pointer; the line of each pointer is found only when reporting.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace llmroof::detail {

/// Lines of the values at a few JSON pointers ("/devices/3/name") in `text`, found in one
/// pass that only follows the branches leading to them: other values are skipped without
/// building their pointers, so time is linear in the text and memory in the pointers asked for.
class JsonLocator {
 public:
  JsonLocator(std::string_view text, const std::vector<std::string>& pointers);
  /// 1-based line of the value at `pointer` (one of those given), or of its closest ancestor;
  /// 1 if nothing matches.
  int line_of(const std::string& pointer) const;
  /// Pointers kept: those given and their ancestors (the locator's whole memory).
  std::size_t tracked() const { return m_lines.size(); }

 private:
  void scan_value(std::string& pointer, int depth);
  void skip_value();
  void skip_string();
  void skip_ws();
  bool at(char c) const { return m_pos < m_text.size() && m_text[m_pos] == c; }

  std::string_view m_text;
  std::size_t m_pos = 0;
  int m_line = 1;
  std::unordered_map<std::string, int>
      m_lines;  // wanted pointers (and ancestors) -> line, 0 = not met
};

/// Problems found while reading one file.
class Diagnostics {
 public:
  void add(std::string pointer, std::string message) {
    m_items.emplace_back(std::move(pointer), std::move(message));
  }
  bool empty() const { return m_items.empty(); }
  /// Number of problems recorded so far.
  std::size_t size() const { return m_items.size(); }
  /// Throws DataError with "file:line: pointer: message" lines when there are problems.
  void throw_if_any(std::string_view text, const std::string& display_name) const;

 private:
  std::vector<std::pair<std::string, std::string>> m_items;
};

/// Deepest nesting of arrays and objects accepted in any JSON input (data files, config.json,
/// llama-bench JSON/JSONL); deeper text is refused before parsing, so the recursive parser and
/// the locator never recurse further than this.
inline constexpr int k_max_json_depth = 128;

/// "line L, column C: JSON nests deeper than 128 levels" when `text` has more than
/// k_max_json_depth nested arrays/objects (strings are skipped); empty otherwise. Linear time,
/// constant memory.
std::optional<std::string> json_depth_problem(std::string_view text);

/// "line L, column C: duplicate key 'id' (first at line L0)" when an object of `text` has a
/// key twice (the parser would keep the last silently); empty otherwise. Keys are compared as
/// written. Linear time; memory linear in the keys of the open objects.
std::optional<std::string> json_duplicate_key_problem(std::string_view text);

/// Parses JSON text; a syntax error, nesting deeper than k_max_json_depth, a duplicate key or
/// a number beyond the double range becomes a DataError "file:line:column: message".
nlohmann::json parse_json_text(std::string_view text, const std::string& display_name);

/// Escapes a key for use in a JSON pointer.
std::string pointer_token(std::string_view key);

/// Short rendering of a JSON value for messages: strings quoted, long values cut.
std::string describe(const nlohmann::json& value);

enum class Check { any, positive, non_negative };

/// Reads the fields of one JSON object, records type and range problems, and reports keys
/// that nobody read (additionalProperties: false).
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& value, std::string pointer, Diagnostics& diagnostics);
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  bool is_object() const { return m_object != nullptr; }
  const std::string& pointer() const { return m_pointer; }
  Diagnostics& diagnostics() { return m_diagnostics; }

  std::string string(std::string_view key, bool required = true);
  std::optional<std::string> optional_string(std::string_view key);
  /// Number; null or absent gives nullopt (an error when required).
  std::optional<double> number(std::string_view key, Check check, bool required);
  std::optional<long long> integer(std::string_view key, Check check, bool required);
  /// An integer that fits in an int (counts of layers, heads, experts); larger is a problem.
  std::optional<int> small_integer(std::string_view key, Check check, bool required);
  std::optional<bool> boolean(std::string_view key, bool required);
  std::vector<std::string> string_array(std::string_view key, bool required);
  std::vector<double> number_array(std::string_view key, Check check, bool required);
  /// Enum: one of `allowed`; returns the text when valid.
  std::optional<std::string> one_of(std::string_view key, const std::vector<std::string>& allowed,
                                    bool required);
  /// Nested value (object, array, null); nullptr when absent or null.
  const nlohmann::json* child(std::string_view key, bool required);
  std::string child_pointer(std::string_view key) const;
  /// What an array must be: its elements' name for the message ("expected an array of
  /// devices"; empty: "expected an array"), and whether an empty one is a problem.
  struct ArrayShape {
    std::string_view of;
    bool non_empty = false;
  };
  /// Reads array `key` of objects: calls `read(ObjectReader&)` for each element, its pointer
  /// "<key's pointer>/<index>"; absent or null reads nothing (a problem when required), and a
  /// value that is not an array of that shape is a problem (see each_element).
  template <class Read>
  void each_object(std::string_view key, bool required, ArrayShape shape, Read&& read) {
    each_element(key, required, shape,
                 [&](const nlohmann::json& value, const std::string& pointer) {
                   ObjectReader element(value, pointer, m_diagnostics);
                   read(element);
                 });
  }
  /// ... of any length, "expected an array" otherwise.
  template <class Read>
  void each_object(std::string_view key, bool required, Read&& read) {
    each_object(key, required, ArrayShape{}, std::forward<Read>(read));
  }
  /// Reads array `key` element by element: calls `read(const json&, pointer)` with the pointer
  /// "<key's pointer>/<index>"; absent or null reads nothing (a problem when required), and a
  /// value that is not an array (or an empty one, `shape.non_empty`) is one problem.
  template <class Read>
  void each_element(std::string_view key, bool required, ArrayShape shape, Read&& read) {
    const nlohmann::json* array = child(key, required);
    if (array == nullptr) {
      return;
    }
    const std::string pointer = child_pointer(key);
    if (!array->is_array() || (shape.non_empty && array->empty())) {
      m_diagnostics.add(pointer, std::string("expected a") +
                                     (shape.non_empty ? " non-empty" : "n") + " array" +
                                     (shape.of.empty() ? "" : " of ") + std::string(shape.of));
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      read((*array)[i], pointer + "/" + std::to_string(i));
    }
  }
  /// Reports every key that was never asked for.
  void finish();

 private:
  const nlohmann::json* lookup(std::string_view key, bool required);
  void problem(std::string_view key, const std::string& message);

  const nlohmann::json* m_object = nullptr;
  std::string m_pointer;
  Diagnostics& m_diagnostics;
  std::vector<std::string_view> m_seen;  // keys asked for (views of the callers' literals)
};

}  // namespace llmroof::detail
