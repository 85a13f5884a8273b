// libFuzzer target: the JSON locator that finds the line of each value a data-file error
// names. On any text it must end, stay inside the text and never recurse without bound; on
// text that parses, every value it is asked for lies on a line of the text.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "data/json_reader.hpp"
#include "llmroof/util/errors.hpp"

namespace {

// Pointers of up to `limit` values of `value`, depth first.
void collect(const nlohmann::json& value, const std::string& pointer, std::vector<std::string>& out,
             std::size_t limit) {
  if (out.size() >= limit) {
    return;
  }
  out.push_back(pointer);
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      collect(*it, pointer + "/" + llmroof::detail::pointer_token(it.key()), out, limit);
    }
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      collect(value[i], pointer + "/" + std::to_string(i), out, limit);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  int lines = 1;
  for (const char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  // Any bytes: a few fixed pointers.
  const std::vector<std::string> fixed = {"/0", "/0/1/a", "/devices/3/name", "/", "/a~1b/~0"};
  const llmroof::detail::JsonLocator any(text, fixed);
  for (const auto& pointer : fixed) {
    const int line = any.line_of(pointer);
    if (line < 1 || line > lines) {
      std::abort();
    }
  }
  // JSON the data readers accept: pointers of its own values.
  nlohmann::json doc;
  try {
    doc = llmroof::detail::parse_json_text(text, "fuzz.json");
  } catch (const llmroof::Error&) {
    return 0;
  }
  std::vector<std::string> pointers;
  collect(doc, "", pointers, 256);
  const llmroof::detail::JsonLocator locator(text, pointers);
  for (const auto& pointer : pointers) {
    const int line = locator.line_of(pointer);
    if (line < 1 || line > lines) {
      std::abort();
    }
  }
  return 0;
}
