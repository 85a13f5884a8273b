#include "llmroof/report/explain.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <utility>

#include "llmroof/report/render.hpp"
#include "report_table.hpp"

namespace llmroof {

namespace {

// `value` with the decimal prefix (k, M, G, T, P) that leaves 1 to 1000 before the point, four
// significant digits.
std::string with_prefix(double value, const std::string& unit) {
  static constexpr std::array<std::pair<double, const char*>, 5> prefixes = {
      {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
  const double a = std::fabs(value);
  for (const auto& [scale, name] : prefixes) {
    if (a >= scale) {
      return fmt::format("{:.4g} {}{}", value / scale, name, unit);
    }
  }
  return fmt::format("{:.4g} {}", value, unit);
}

}  // namespace

std::string explain_value_text(double value, const std::string& unit) {
  if (unit == "bytes") {
    return with_prefix(value, "B");
  }
  if (unit == "bytes_per_s") {
    return with_prefix(value, "B/s");
  }
  if (unit == "flops") {
    return with_prefix(value, "FLOP");
  }
  if (unit == "flops_per_s") {
    return with_prefix(value, "FLOP/s");
  }
  if (unit == "seconds") {
    return format_seconds(value);
  }
  if (unit == "tokens_per_s") {
    return format_tokens_per_s(value) + " tok/s";
  }
  if (unit == "tokens") {
    return fmt::format("{:.0f} tokens", value);
  }
  return fmt::format("{:.4g}", value);
}

Report explanation_report(const Explanation& explanation) {
  using K = CellKind;
  using U = HumanUnit;
  using detail::make_column;
  Report report;
  report.command = "estimate";
  report.columns = {
      make_column("section", "section", K::text, U::none, true),
      make_column("id", "id", K::text, U::none, false),
      make_column("label", "step", K::text, U::none, true),
      make_column("formula", "calculation", K::text, U::none, true),
      make_column("shown", "value", K::text, U::none, true),
      make_column("share", "share", K::real, U::ratio_percent, true),
      make_column("value", "value (base units)", K::real, U::none, false),
      make_column("unit", "unit", K::text, U::none, false),
  };
  // The calculation is the point of an explanation: a narrow terminal wraps its lines rather
  // than lose a column.
  report.pinned_columns = {"section", "label", "formula", "shown", "share"};
  for (const ExplainStep& s : explanation.steps) {
    std::vector<Cell> row;
    row.emplace_back(s.section);
    row.emplace_back(s.id);
    row.emplace_back(s.label);
    row.emplace_back(s.formula);
    row.emplace_back(s.value ? explain_value_text(*s.value, s.unit) : s.text);
    row.push_back(s.share ? Cell{*s.share} : Cell{});
    row.push_back(s.value ? Cell{*s.value} : Cell{});
    row.push_back(s.unit.empty() ? Cell{} : Cell{s.unit});
    report.rows.push_back(std::move(row));
  }
  report.fields.push_back(DocField{"explained_row", "row", Cell{explanation.row}, U::none});
  report.fields.push_back(DocField{"subject", "estimate", Cell{explanation.subject}, U::none});
  return report;
}

}  // namespace llmroof
