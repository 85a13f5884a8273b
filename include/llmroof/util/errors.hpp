#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// Base of every error the core throws; caught once, at the top of each front end (the CLI maps
/// each kind to an exit code).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A data file (devices.json, models.json, a --device-file) failed validation.
/// Holds one message per problem, each "file:line: /json/pointer: message".
class DataError : public Error {
 public:
  explicit DataError(std::vector<std::string> messages);
  const std::vector<std::string>& messages() const { return m_messages; }

 private:
  std::vector<std::string> m_messages;
};

/// Throws DataError with "prefix: problem" for each problem; does nothing when there are none.
void throw_if_problems(std::vector<std::string> problems, std::string_view prefix);

/// A model description (config.json, GGUF, catalog entry) is missing a field or is malformed.
class ModelSpecError : public Error {
 public:
  using Error::Error;
};

/// A binary model file is malformed; the message names the file and the byte offset.
class FileFormatError : public Error {
 public:
  FileFormatError(const std::string& file, std::uint64_t offset, const std::string& message);
  std::uint64_t offset() const { return m_offset; }

 private:
  std::uint64_t m_offset;
};

/// A request asked for something that does not exist or makes no sense (the CLI's exit code 2).
class UsageError : public Error {
 public:
  using Error::Error;
};

/// A request to the core names a value that does not exist or makes no sense. `field` is the
/// request field at fault (snake_case, e.g. "split_ratio"); the message refers to fields as
/// `{field}` placeholders, which each front end renders in its own words (the CLI as --flags,
/// Python as keyword arguments). `suggestions` are close valid values, best first.
class RequestError : public UsageError {
 public:
  RequestError(std::string field, std::string message, std::vector<std::string> suggestions = {});
  const std::string& field() const { return m_field; }
  const std::string& message_template() const { return m_template; }
  const std::vector<std::string>& suggestions() const { return m_suggestions; }
  /// The message with every `{field}` placeholder replaced by `name_of(field)`.
  template <typename NameOf>
  std::string render(NameOf name_of) const {
    return render_fields(m_template, name_of);
  }

  /// Replaces each `{id}` (id: lowercase letters, digits, '_') in `text` by `name_of(id)`;
  /// other braces are left as they are.
  template <typename NameOf>
  static std::string render_fields(std::string_view text, NameOf name_of) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t end = text[i] == '{' ? field_end(text, i) : 0;
      if (end != 0) {
        out += name_of(text.substr(i + 1, end - i - 1));
        i = end + 1;
      } else {
        out += text[i++];
      }
    }
    return out;
  }

 private:
  /// Index of the '}' closing a `{id}` placeholder that starts at `open`, else 0.
  static std::size_t field_end(std::string_view text, std::size_t open);
  std::string m_field;
  std::string m_template;
  std::vector<std::string> m_suggestions;
};

}  // namespace llmroof
