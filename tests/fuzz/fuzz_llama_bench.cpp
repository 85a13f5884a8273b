// libFuzzer target: llama-bench output in each of its formats (-o json, jsonl, csv, md), told
// apart by the text as `calibrate` and `validate` do.
// Any exception other than llmroof::Error, any crash, leak or sanitizer report is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llmroof/calibration/calibration.hpp"
#include "llmroof/util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    for (const llmroof::Measurement& m : llmroof::parse_llama_bench(text, "bench.json")) {
      llmroof::Measurement copy;
      (void)llmroof::parse_test_name(m.test, copy);
    }
  } catch (const llmroof::Error&) {
    // Malformed input is expected to be rejected with an Error.
  }
  return 0;
}
