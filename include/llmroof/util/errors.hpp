#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// Process exit codes: 0 ok, 1 failure (data, model file, I/O), 2 usage (bad flags, unknown ids).
enum class ExitCode { ok = 0, failure = 1, usage = 2 };

/// Base of every error the core throws; caught once, at the top of the CLI.
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

/// The command line asked for something that does not exist or makes no sense (exit code 2).
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace llmroof
