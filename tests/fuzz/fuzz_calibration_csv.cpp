// libFuzzer target: the calibration CSV reader (RFC 4180 records, test names, numbers).
// Any exception other than llmroof::Error, any crash, leak or sanitizer report is a bug.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llmroof/calibration/calibration.hpp"
#include "llmroof/util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)llmroof::parse_calibration_csv(text, "calibration.csv");
  } catch (const llmroof::Error&) {
    // Malformed input is expected to be rejected with an Error.
  }
  try {
    // The same bytes as either layout, as `calibrate` and `validate` read them.
    (void)llmroof::parse_measurements(text, "measurements.csv");
  } catch (const llmroof::Error&) {
  }
  return 0;
}
