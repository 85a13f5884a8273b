// libFuzzer target: a --device-file (devices.json schema), parsed, checked as a database and
// merged over itself as the CLI merges it over the shipped devices.
// Any exception other than llmroof::Error, any crash, leak or sanitizer report is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    llmroof::DeviceDb db = llmroof::parse_devices(text, "devices.json");
    llmroof::DeviceDb extra = db;
    (void)llmroof::merge_devices(db, std::move(extra));
  } catch (const llmroof::Error&) {
    // Malformed input is expected to be rejected with an Error.
  }
  return 0;
}
