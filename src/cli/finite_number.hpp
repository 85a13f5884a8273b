#pragma once

// A CLI11 check that a numeric option is a finite number: CLI11's Range and PositiveNumber
// let "nan" through (every comparison with NaN is false) and "inf" or "1e400" into Range's
// upper end.

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <string>

namespace llmroof::cli {

/// Rejects "nan", "inf", "-infinity", "1e400" (out of double range) and the like; other text
/// is left to the option's own conversion and checks.
inline const CLI::Validator finite_number(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      // strtod gives inf for "1e400" (out of range) as for "inf", and NaN for "nan".
      const double value = std::strtod(text.c_str(), &end);
      if (end != text.c_str() && *end == '\0' && !std::isfinite(value)) {
        return "Value " + text + " is not a finite number";
      }
      return {};
    },
    "");

}  // namespace llmroof::cli
