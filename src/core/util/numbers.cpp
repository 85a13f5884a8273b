#include "llmroof/util/numbers.hpp"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>

namespace llmroof {

namespace {

constexpr std::string_view k_whitespace = " \t\n\v\f\r";

// Strips one leading '+' that a sign does not follow (from_chars and fast_float take only '-').
std::string_view without_plus(std::string_view text) {
  if (text.size() > 1 && text.front() == '+' && text[1] != '-' && text[1] != '+') {
    text.remove_prefix(1);
  }
  return text;
}

}  // namespace

std::string_view trim(std::string_view text) {
  const std::size_t start = text.find_first_not_of(k_whitespace);
  if (start == std::string_view::npos) {
    return {};
  }
  const std::size_t end = text.find_last_not_of(k_whitespace);
  return text.substr(start, end - start + 1);
}

std::vector<std::string> split_list(std::string_view text, std::string_view separators) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find_first_of(separators, start);
    parts.emplace_back(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    start = end == std::string_view::npos ? text.size() + 1 : end + 1;
  }
  return parts;
}

std::string_view describe(NumberStatus status) {
  switch (status) {
    case NumberStatus::ok:
      return "";
    case NumberStatus::empty:
      return "is empty";
    case NumberStatus::invalid:
      return "is not a number";
    case NumberStatus::out_of_range:
      return "is out of range";
    case NumberStatus::not_finite:
      return "is not a finite number";
  }
  return "is not a number";
}

ParsedNumber<double> parse_double(std::string_view text, bool allow_non_finite) {
  ParsedNumber<double> parsed;
  if (text.empty()) {
    parsed.status = NumberStatus::empty;
    return parsed;
  }
  const std::string_view digits = without_plus(text);
  const char* end = digits.data() + digits.size();
  const auto result = fast_float::from_chars(digits.data(), end, parsed.value);
  if (result.ec == std::errc::result_out_of_range) {
    parsed.status = NumberStatus::out_of_range;
    return parsed;
  }
  if (result.ec != std::errc() || result.ptr != end) {
    parsed.status = NumberStatus::invalid;
    return parsed;
  }
  if (!std::isfinite(parsed.value)) {
    // fast_float rounds a finite-looking "1e400" to infinity; only the words mean it.
    const std::string_view unsigned_text = digits.front() == '-' ? digits.substr(1) : digits;
    const char first = unsigned_text.empty() ? '\0' : unsigned_text.front();
    const bool word = first == 'n' || first == 'N' || first == 'i' || first == 'I';
    parsed.status = !word              ? NumberStatus::out_of_range
                    : allow_non_finite ? NumberStatus::ok
                                       : NumberStatus::not_finite;
    return parsed;
  }
  parsed.status = NumberStatus::ok;
  return parsed;
}

ParsedNumber<std::int64_t> parse_int64(std::string_view text) {
  ParsedNumber<std::int64_t> parsed;
  if (text.empty()) {
    parsed.status = NumberStatus::empty;
    return parsed;
  }
  const std::string_view digits = without_plus(text);
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, parsed.value);
  if (ec == std::errc::result_out_of_range) {
    parsed.status = NumberStatus::out_of_range;
  } else if (ec != std::errc() || ptr != end) {
    parsed.status = NumberStatus::invalid;
  } else {
    parsed.status = NumberStatus::ok;
  }
  return parsed;
}

std::optional<double> to_double(std::string_view text) {
  const auto parsed = parse_double(text);
  return parsed ? std::optional<double>(parsed.value) : std::nullopt;
}

std::optional<std::int64_t> to_int64(std::string_view text, std::int64_t min_value,
                                     std::int64_t max_value) {
  const auto parsed = parse_int64(text);
  if (!parsed || parsed.value < min_value || parsed.value > max_value) {
    return std::nullopt;
  }
  return parsed.value;
}

}  // namespace llmroof
