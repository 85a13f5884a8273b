#pragma once

// A CLI11 check that a numeric option is a finite number: CLI11's Range and PositiveNumber
// let "nan" through (every comparison with NaN is false) and "inf" or "1e400" into Range's
// upper end.

#include <CLI/CLI.hpp>
#include <string>

#include "llmroof/util/numbers.hpp"

namespace llmroof::cli {

/// Rejects "nan", "inf", "-infinity", "1e400" (out of double range) and the like; other text
/// is left to the option's own conversion and checks.
inline const CLI::Validator finite_number(
    [](std::string& text) -> std::string {
      const NumberStatus status = parse_double(text).status;
      if (status == NumberStatus::not_finite || status == NumberStatus::out_of_range) {
        return "Value " + text + " is not a finite number";
      }
      return {};
    },
    "");

/// Adds `--name` for `value`: a finite positive number shown as `unit` in the help.
template <typename T>
CLI::Option* add_positive_option(CLI::App& app, const std::string& name, T& value,
                                 const std::string& help, const std::string& unit) {
  return app.add_option(name, value, help)
      ->check(finite_number)
      ->check(CLI::PositiveNumber)
      ->type_name(unit);
}

}  // namespace llmroof::cli
