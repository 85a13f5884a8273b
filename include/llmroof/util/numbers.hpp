#pragma once

// Number parsing and the text helpers around it, for every number llmroof reads from text that
// is not JSON (option values, CSV cells, llama-bench tables, file names). Locale-independent:
// '.' is the decimal point whatever the C locale says, and "1,5" is not a number.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// `text` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view text);

/// Splits `text` at any of `separators`; empty parts are kept ("a,,b" gives "a", "", "b"; ""
/// gives one empty part).
std::vector<std::string> split_list(std::string_view text, std::string_view separators);

/// Why a text is not the number asked for.
enum class NumberStatus {
  ok,
  empty,         ///< nothing to parse
  invalid,       ///< not a number in the whole of the text ("x", "1,5", "2.5 ", "1e")
  out_of_range,  ///< a number beyond the type ("1e400" for a double, 2^63 for an int64)
  not_finite,    ///< "nan", "inf", "infinity" (either sign) where a finite number is required
};

/// A parsed number: `value` is meaningful when `status` is ok.
template <typename T>
struct ParsedNumber {
  T value{};
  NumberStatus status = NumberStatus::invalid;
  explicit operator bool() const { return status == NumberStatus::ok; }
};

/// "is empty", "is not a number", "is out of range", "is not a finite number" ("" for ok): the
/// end of a message that names the text first ("'1,5' is not a number").
std::string_view describe(NumberStatus status);

/// A double written in the whole of `text`, no surrounding spaces: an optional sign ('-' or a
/// single '+'), digits with an optional '.', an optional exponent (1e3, 2.5E-4). Parsed by
/// fast_float, so correctly rounded and independent of the locale. Refuses "nan" and "inf"
/// (not_finite) unless `allow_non_finite`; a finite-looking number beyond the double range
/// ("1e400") is out_of_range.
ParsedNumber<double> parse_double(std::string_view text, bool allow_non_finite = false);

/// A whole number in the whole of `text`, no surrounding spaces: an optional '-' or '+', then
/// decimal digits only (no point, no exponent). out_of_range beyond int64.
ParsedNumber<std::int64_t> parse_int64(std::string_view text);

/// parse_double(text) as an optional (a finite double, else nullopt).
std::optional<double> to_double(std::string_view text);

/// parse_int64(text) as an optional, nullopt also outside [min_value, max_value].
std::optional<std::int64_t> to_int64(
    std::string_view text, std::int64_t min_value = std::numeric_limits<std::int64_t>::min(),
    std::int64_t max_value = std::numeric_limits<std::int64_t>::max());

}  // namespace llmroof
