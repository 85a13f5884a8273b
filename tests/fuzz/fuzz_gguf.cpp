// libFuzzer target: the GGUF reader and everything built on what it returns.
// Any exception other than llmroof::Error, any crash, leak or sanitizer report is a bug.

#include <cstddef>
#include <cstdint>
#include <span>
#include <sstream>

#include "llmroof/model/gguf.hpp"
#include "llmroof/model/inspect.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  llmroof::MemorySource source(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
  try {
    const llmroof::GgufFile file = llmroof::read_gguf(source, "fuzz.gguf");
    llmroof::GgufModel model = llmroof::gguf_model(std::span<const llmroof::GgufFile>(&file, 1));
    llmroof::LoadedModel loaded{model.spec, model.tensors, true, model.files, model.file_type};
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
