// libFuzzer target: the config.json reader and the tensor layout derived from it.
// Any exception other than llmroof::Error, any crash, leak or sanitizer report is a bug.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string_view>

#include "llmroof/model/hf_config.hpp"
#include "llmroof/model/inspect.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    llmroof::LoadedModel loaded;
    loaded.spec = llmroof::parse_hf_config(text, "config.json");
    loaded.files = {"config.json"};
    // Every format must render what the reader accepted (JSON needs valid UTF-8).
    const llmroof::Report report = llmroof::inspect_report(loaded);
    for (const auto format :
         {llmroof::OutputFormat::table, llmroof::OutputFormat::json, llmroof::OutputFormat::csv}) {
      std::ostringstream out;
      llmroof::render(report, format, {}, out);
    }
  } catch (const llmroof::Error&) {
    // Malformed input is expected to be rejected with an Error.
  }
  return 0;
}
