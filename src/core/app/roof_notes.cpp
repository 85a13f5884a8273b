#include "app/roof_notes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace llmroof::app {

std::string precision_note(const std::vector<std::string>& ids, Precision requested,
                           Precision used) {
  const bool one = ids.size() == 1;
  return fmt::format("{} {} no {} rate above {} {} peak, which is the compute roof",
                     fmt::join(ids, ", "), one ? "has" : "have", to_string(requested),
                     one ? "its" : "their", to_string(used));
}

std::string int8_roof_note(const std::vector<std::string>& ids, std::string_view quant) {
  return fmt::format(
      "{}: llama.cpp multiplies {}'s quantized blocks with int8 activations; {} int8 peak is "
      "the compute roof",
      fmt::join(ids, ", "), quant, ids.size() == 1 ? "its" : "their");
}

}  // namespace llmroof::app
