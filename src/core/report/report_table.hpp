#pragma once

// Column tables shared by the multi-device reports (cluster, offload, speculative): each row of
// a table is one output field, its id, title and how it is read off a result, as in
// estimate.cpp. Private to the core.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof::detail {

/// One output field of a result type `R`.
template <class R>
struct ColumnDef {
  Column column;
  std::function<Cell(const R&)> value;
};

inline Column make_column(std::string id, std::string title, CellKind kind, HumanUnit unit,
                          bool human, int precision = 2) {
  return Column{std::move(id), std::move(title), kind, unit, precision, human};
}
inline Cell real_cell(double v) { return Cell{v}; }
inline Cell integer_cell(double v) { return Cell{static_cast<std::int64_t>(std::llround(v))}; }
inline Cell text_cell(std::string v) { return Cell{std::move(v)}; }
inline Cell optional_real_cell(const std::optional<double>& v) { return v ? Cell{*v} : Cell{}; }

/// The device object of a row (device.id, .name, .vendor, .kind), as the single-device
/// estimate writes it, for the device `device_of` returns.
template <class R>
void append_device_columns(std::vector<ColumnDef<R>>& defs,
                           std::function<const Device*(const R&)> device_of) {
  using K = CellKind;
  using U = HumanUnit;
  defs.push_back({make_column("device.id", "device", K::text, U::none, true),
                  [device_of](const R& r) { return text_cell(device_of(r)->id); }});
  defs.push_back({make_column("device.name", "name", K::text, U::none, false),
                  [device_of](const R& r) { return text_cell(device_of(r)->name); }});
  defs.push_back({make_column("device.vendor", "vendor", K::text, U::none, false),
                  [device_of](const R& r) { return text_cell(device_of(r)->vendor); }});
  defs.push_back(
      {make_column("device.kind", "kind", K::text, U::none, false),
       [device_of](const R& r) { return text_cell(std::string(to_string(device_of(r)->kind))); }});
}

/// The model object of a row (model.id, .total_params, .active_params), as the single-device
/// estimate writes it.
template <class R>
void append_model_columns(std::vector<ColumnDef<R>>& defs, const std::string& model_id,
                          double total_params, double active_params) {
  using K = CellKind;
  using U = HumanUnit;
  defs.push_back({make_column("model.id", "model", K::text, U::none, false),
                  [model_id](const R&) { return text_cell(model_id); }});
  defs.push_back({make_column("model.total_params", "params", K::real, U::none, false),
                  [total_params](const R&) { return real_cell(total_params); }});
  defs.push_back({make_column("model.active_params", "active params", K::real, U::none, false),
                  [active_params](const R&) { return real_cell(active_params); }});
}

/// One row per result, sorted by column `sort_key` (see sort_rows). Throws UsageError for an
/// unknown key.
template <class R>
Report build_report(std::string command, const std::vector<ColumnDef<R>>& defs,
                    const std::vector<R>& results, const std::string& sort_key) {
  Report report;
  report.command = std::move(command);
  for (const auto& def : defs) {
    report.columns.push_back(def.column);
  }
  for (const auto& r : results) {
    std::vector<Cell> row;
    row.reserve(defs.size());
    for (const auto& def : defs) {
      row.push_back(def.value(r));
    }
    report.rows.push_back(std::move(row));
  }
  sort_rows(report, sort_key);
  return report;
}

/// Appends the columns a group or offload result ends with: time to first token, generation,
/// end to end, power, price and the cost figures. `R` has time_to_first_token_s,
/// prefill_tokens_per_s (optional), generate_tokens_per_s, end_to_end_seconds, power_w,
/// price_usd, tokens_per_s_per_kusd, joules_per_token and usd_per_million_tokens.
template <class R>
void append_time_and_cost_columns(std::vector<ColumnDef<R>>& defs, double generate_tokens) {
  using K = CellKind;
  using U = HumanUnit;
  defs.push_back(
      {make_column("time_to_first_token_seconds", "TTFT", K::real, U::seconds_auto, true),
       [](const R& r) {
         return r.prefill_tokens_per_s ? real_cell(r.time_to_first_token_s) : Cell{};
       }});
  defs.push_back({make_column("generate_tokens", "generate", K::integer, U::none, false),
                  [generate_tokens](const R&) { return integer_cell(generate_tokens); }});
  defs.push_back({make_column("generate_tokens_per_s", "tg avg", K::real, U::tokens_per_s, false),
                  [](const R& r) { return real_cell(r.generate_tokens_per_s); }});
  defs.push_back({make_column("end_to_end_seconds", "end to end", K::real, U::seconds_auto, false),
                  [](const R& r) { return real_cell(r.end_to_end_seconds); }});
  defs.push_back({make_column("power_w", "power [W]", K::real, U::none, false, 0),
                  [](const R& r) { return r.power_w > 0 ? real_cell(r.power_w) : Cell{}; }});
  defs.push_back({make_column("price_usd", "price [$]", K::real, U::none, false, 0),
                  [](const R& r) { return optional_real_cell(r.price_usd); }});
  defs.push_back({make_column("tokens_per_s_per_kusd", "tok/s per k$", K::real, U::none, false),
                  [](const R& r) { return optional_real_cell(r.tokens_per_s_per_kusd); }});
  defs.push_back({make_column("joules_per_token", "J/token", K::real, U::none, false),
                  [](const R& r) { return optional_real_cell(r.joules_per_token); }});
  defs.push_back({make_column("usd_per_million_tokens", "$/Mtok", K::real, U::none, false),
                  [](const R& r) { return optional_real_cell(r.usd_per_million_tokens); }});
}

/// Cost and energy of a result, from its aggregate rate, as estimate() computes them for one
/// device: tokens/s per 1000 USD of hardware, joules per token at `power_w`, USD per million
/// tokens at `usd_per_hour`. Unknown inputs (no price, power 0) give nullopt.
struct CostFigures {
  std::optional<double> tokens_per_s_per_kusd;
  std::optional<double> joules_per_token;
  std::optional<double> usd_per_million_tokens;
};
inline CostFigures cost_figures(double aggregate_tokens_per_s, std::optional<double> price_usd,
                                double power_w, std::optional<double> usd_per_hour) {
  CostFigures c;
  if (!(aggregate_tokens_per_s > 0)) {
    return c;
  }
  if (price_usd && *price_usd > 0) {
    c.tokens_per_s_per_kusd = aggregate_tokens_per_s / (*price_usd / 1000.0);
  }
  if (power_w > 0) {
    c.joules_per_token = power_w / aggregate_tokens_per_s;
  }
  if (usd_per_hour) {
    c.usd_per_million_tokens = *usd_per_hour / 3600.0 / aggregate_tokens_per_s * 1e6;
  }
  return c;
}

}  // namespace llmroof::detail
