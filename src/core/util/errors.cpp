#include "llmroof/util/errors.hpp"

#include <fmt/format.h>

namespace llmroof {

namespace {
std::string first_or_empty(const std::vector<std::string>& messages) {
  return messages.empty() ? std::string("invalid data") : messages.front();
}
}  // namespace

DataError::DataError(std::vector<std::string> messages)
    : Error(first_or_empty(messages)), m_messages(std::move(messages)) {
  if (m_messages.empty()) {
    m_messages.emplace_back("invalid data");
  }
}

void throw_if_problems(std::vector<std::string> problems, std::string_view prefix) {
  if (problems.empty()) {
    return;
  }
  for (auto& p : problems) {
    p = fmt::format("{}: {}", prefix, p);
  }
  throw DataError(std::move(problems));
}

FileFormatError::FileFormatError(const std::string& file, std::uint64_t offset,
                                 const std::string& message)
    : Error(fmt::format("{}: at byte {}: {}", file, offset, message)), m_offset(offset) {}

RequestError::RequestError(std::string field, std::string message,
                           std::vector<std::string> suggestions)
    : UsageError(render_fields(message, [](std::string_view id) { return std::string(id); })),
      m_field(std::move(field)),
      m_template(std::move(message)),
      m_suggestions(std::move(suggestions)) {}

std::size_t RequestError::field_end(std::string_view text, std::size_t open) {
  std::size_t i = open + 1;
  while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z') ||
                             (text[i] >= '0' && text[i] <= '9') || text[i] == '_')) {
    ++i;
  }
  return i > open + 1 && i < text.size() && text[i] == '}' ? i : 0;
}

}  // namespace llmroof
