#include "llmroof/report/report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "llmroof/util/errors.hpp"

namespace llmroof {

int Report::column_index(const std::string& id) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].id == id) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool lower_is_better(std::string_view id) {
  const std::string_view suffix = "_seconds";
  return (id.size() >= suffix.size() && id.substr(id.size() - suffix.size()) == suffix) ||
         id == "joules_per_token" || id == "usd_per_million_tokens" ||
         id == "memory_required_bytes";
}

namespace {
// Numbers, booleans as 0/1; nullopt for null and text.
std::optional<double> numeric(const Cell& c) {
  if (const auto* d = std::get_if<double>(&c)) {
    return *d;
  }
  if (const auto* i = std::get_if<std::int64_t>(&c)) {
    return static_cast<double>(*i);
  }
  if (const auto* b = std::get_if<bool>(&c)) {
    return *b ? 1.0 : 0.0;
  }
  return std::nullopt;
}
}  // namespace

void sort_rows(Report& report, const std::string& key) {
  const int index = report.column_index(key);
  const auto kind =
      index < 0 ? CellKind::records : report.columns[static_cast<std::size_t>(index)].kind;
  if (kind == CellKind::records || kind == CellKind::text_list || kind == CellKind::real_list) {
    throw UsageError(fmt::format("unknown sort column '{}'", key));
  }
  const auto i = static_cast<std::size_t>(index);
  const bool textual = report.columns[i].kind == CellKind::text;
  const bool ascending = lower_is_better(key);
  std::stable_sort(report.rows.begin(), report.rows.end(),
                   [i, textual, ascending](const std::vector<Cell>& a, const std::vector<Cell>& b) {
                     if (textual) {
                       const auto* x = std::get_if<std::string>(&a[i]);
                       const auto* y = std::get_if<std::string>(&b[i]);
                       return x != nullptr && y != nullptr && *x < *y;
                     }
                     const auto x = numeric(a[i]);
                     const auto y = numeric(b[i]);
                     if (!x || !y) {
                       return x.has_value() && !y.has_value();  // nulls last
                     }
                     return ascending ? *x < *y : *x > *y;
                   });
}

}  // namespace llmroof
