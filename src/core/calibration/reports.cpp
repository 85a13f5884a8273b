// Reports: accuracy figures and the validation report.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "calibration/calibration_text.hpp"
#include "data/json_reader.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

using namespace calib;  // NOLINT(google-build-using-namespace)

// --- Reports, refits and profiles ---------------------------------------------------------------

namespace {

// A row's caveats, and the earlier engine its prefill is priced as, when it ran on one.
std::vector<std::string> caveats_of(const MappedMeasurement& row, const EfficiencyTable& table) {
  std::vector<std::string> caveats = row.caveats;
  const EngineEra* era = engine_era(table, row.backend, row.options.engine_build);
  if (row.kind != TestKind::decode &&
      takes_era_blas_prefill(table, era, *row.device, is_cpu_backend(row.backend),
                             row.model.weights)) {
    caveats.push_back(fmt::format(
        "llama.cpp build {} predates b{}: its prompt processing is priced as that engine's "
        "dequantize + FP16 BLAS",
        row.options.engine_build, era->before_build));
  }
  return caveats;
}

std::string kind_name(TestKind kind) {
  switch (kind) {
    case TestKind::decode:
      return "decode";
    case TestKind::prefill:
      return "prefill";
    case TestKind::prefill_decode:
      return "pp+tg";
  }
  return "decode";
}

bool inside(const Prediction& p, double measured) {
  return measured >= p.tokens_per_s_low && measured <= p.tokens_per_s_high;
}

Column column(std::string id, std::string title, CellKind kind, HumanUnit unit, bool human,
              int precision = 2) {
  return Column{std::move(id), std::move(title), kind, unit, precision, human};
}

// A file:line origin without the file when it is the only file ("line 42" reads better).
std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : std::string(separator)) + p;
  }
  return out;
}

// "a.csv:3", "a.csv:4", "b.json:2" -> "a.csv lines 3, 4; b.json line 2".
std::string compact_origins(const std::vector<std::string>& origins) {
  std::vector<std::pair<std::string, std::vector<std::string>>> files;
  for (const auto& origin : origins) {
    const auto colon = origin.rfind(':');
    const std::string file = colon == std::string::npos ? origin : origin.substr(0, colon);
    const std::string line = colon == std::string::npos ? "" : origin.substr(colon + 1);
    if (files.empty() || files.back().first != file) {
      files.push_back({file, {}});
    }
    files.back().second.push_back(line);
  }
  std::vector<std::string> parts;
  for (const auto& [file, lines] : files) {
    parts.push_back(
        fmt::format("{} line{} {}", file, lines.size() > 1 ? "s" : "", join(lines, ", ")));
  }
  return join(parts, "; ");
}

}  // namespace

std::vector<AccuracyFigure> accuracy_figures(std::span<const MappedMeasurement> rows,
                                             std::span<const Prediction> predictions,
                                             const EfficiencyTable& table) {
  std::map<std::pair<std::string, std::string>, std::vector<ScoredRow>> groups;
  for (std::size_t i = 0; i < rows.size() && i < predictions.size(); ++i) {
    const MappedMeasurement& row = rows[i];
    if (!row.exclusion.empty() || !(predictions[i].tokens_per_s > 0)) {
      continue;
    }
    const ScoredRow scored{predictions[i].tokens_per_s, row.measurement.tokens_per_s,
                           inside(predictions[i], row.measurement.tokens_per_s)};
    const std::string cls = resolved_class(row, table);
    for (const std::string& group : {cls, std::string("all")}) {
      groups[{group, kind_name(row.kind)}].push_back(scored);
      if (row.label == "tg128" || row.label == "pp512") {
        groups[{group, row.label}].push_back(scored);
      }
    }
  }
  std::vector<std::string> order;
  for (const auto& c : table.classes) {
    order.push_back(c.id);
  }
  order.emplace_back("all");
  std::vector<AccuracyFigure> out;
  for (const auto& cls : order) {
    for (const char* test : {"tg128", "pp512", "decode", "prefill", "pp+tg"}) {
      auto it = groups.find({cls, test});
      if (it == groups.end()) {
        continue;
      }
      const ErrorStats st = error_stats(it->second);
      out.push_back(
          {cls, test, st.rows, st.median_abs_error, st.p90_abs_error, st.bias, st.coverage});
    }
  }
  return out;
}

Report validation_report(std::span<const MappedMeasurement> rows,
                         std::span<const Prediction> predictions,
                         std::span<const UnmappedMeasurement> unmapped,
                         const EfficiencyTable& table, const ValidationOptions& options) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "validate";
  report.columns = {
      column("origin", "origin", K::text, U::none, false),
      column("device.id", "device", K::text, U::none, true),
      column("efficiency_class", "class", K::text, U::none, true),
      column("backend", "backend", K::text, U::none, false),
      column("model.id", "model", K::text, U::none, true),
      column("quant", "quant", K::text, U::none, true),
      column("test", "test", K::text, U::none, true),
      column("measured_tokens_per_s", "measured", K::real, U::tokens_per_s, true),
      column("predicted_tokens_per_s", "predicted", K::real, U::tokens_per_s, true),
      column("predicted_tokens_per_s_low", "low", K::real, U::tokens_per_s, false),
      column("predicted_tokens_per_s_high", "high", K::real, U::tokens_per_s, false),
      column("error_ratio", "error", K::real, U::ratio_percent, true),
      column("in_band", "in band", K::boolean, U::none, false),
      column("in_scope", "used", K::boolean, U::none, true),
      column("exclusion", "excluded because", K::text, U::none, false),
      column("caveats", "caveats", K::text_list, U::none, false),
  };
  std::map<std::string, int> exclusions;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const MappedMeasurement& row = rows[i];
    const Prediction& p = predictions[i];
    const double measured = row.measurement.tokens_per_s;
    const std::vector<std::string> caveats = caveats_of(row, table);
    report.rows.push_back({
        Cell{row.measurement.origin},
        Cell{row.device->id},
        Cell{resolved_class(row, table)},
        Cell{row.backend},
        Cell{row.model.spec.id},
        Cell{row.model.quant_id},
        Cell{row.label},
        Cell{measured},
        Cell{p.tokens_per_s},
        Cell{p.tokens_per_s_low},
        Cell{p.tokens_per_s_high},
        Cell{p.tokens_per_s / measured - 1.0},
        Cell{inside(p, measured)},
        Cell{row.exclusion.empty()},
        row.exclusion.empty() ? Cell{} : Cell{row.exclusion},
        caveats.empty() ? Cell{} : Cell{TextList{caveats}},
    });
    if (!row.exclusion.empty()) {
      ++exclusions[row.exclusion];
    }
  }
  const auto figures = accuracy_figures(rows, predictions, table);
  int in_scope = 0;
  for (const auto& row : rows) {
    in_scope += row.exclusion.empty() ? 1 : 0;
  }
  report.fields.push_back(
      {"rows_read", "rows read", Cell{static_cast<std::int64_t>(rows.size() + unmapped.size())}});
  report.fields.push_back({"rows_used", "rows used", Cell{static_cast<std::int64_t>(in_scope)}});
  report.fields.push_back(
      {"rows_excluded", "rows excluded", Cell{static_cast<std::int64_t>(rows.size()) - in_scope}});
  report.fields.push_back(
      {"rows_unmapped", "rows unmapped", Cell{static_cast<std::int64_t>(unmapped.size())}});
  if (!options.method.empty()) {
    report.notes.push_back(options.method);
  }
  if (options.structured) {
    auto accuracy = std::make_shared<RecordList>();
    accuracy->columns = {column("class", "class", K::text, U::none, true),
                         column("test", "test", K::text, U::none, true),
                         column("rows", "rows", K::integer, U::none, true),
                         column("median_abs_error", "median", K::real, U::ratio_percent, true),
                         column("p90_abs_error", "p90", K::real, U::ratio_percent, true),
                         column("bias", "bias", K::real, U::ratio_percent, true),
                         column("coverage", "coverage", K::real, U::ratio_percent, true)};
    for (const auto& f : figures) {
      accuracy->records.push_back(
          {Cell{f.class_id}, Cell{f.test}, Cell{static_cast<std::int64_t>(f.rows)},
           Cell{f.median_abs_error}, Cell{f.p90_abs_error}, Cell{f.bias}, Cell{f.coverage}});
    }
    report.fields.push_back(
        {"accuracy", "accuracy", Cell{std::shared_ptr<const RecordList>(accuracy)}});
    auto list = std::make_shared<RecordList>();
    list->columns = {column("origin", "origin", K::text, U::none, true),
                     column("device", "device", K::text, U::none, true),
                     column("model", "model", K::text, U::none, true),
                     column("quant", "quant", K::text, U::none, true),
                     column("test", "test", K::text, U::none, true),
                     column("reason", "reason", K::text, U::none, true)};
    for (const auto& u : unmapped) {
      list->records.push_back({Cell{u.measurement.origin}, Cell{u.measurement.device},
                               Cell{u.measurement.model}, Cell{u.measurement.quant},
                               Cell{u.measurement.test}, Cell{u.reason}});
    }
    report.fields.push_back(
        {"unmapped", "unmapped", Cell{std::shared_ptr<const RecordList>(list)}});
  } else {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& f : figures) {
      counts[{f.class_id, f.test}] = f.rows;
    }
    for (const auto& f : figures) {
      // A kind total that only repeats its reference test adds nothing.
      if ((f.test == "decode" && counts[{f.class_id, "tg128"}] == f.rows) ||
          (f.test == "prefill" && counts[{f.class_id, "pp512"}] == f.rows)) {
        continue;
      }
      report.notes.push_back(fmt::format(
          "accuracy {} {}: {} rows, median error {:.1f}%, 90th percentile {:.1f}%, bias "
          "{:+.1f}%, {:.0f}% inside the band",
          f.class_id, f.test, f.rows, 100 * f.median_abs_error, 100 * f.p90_abs_error, 100 * f.bias,
          100 * f.coverage));
    }
    std::map<std::string, std::vector<std::string>> by_reason;
    for (const auto& u : unmapped) {
      by_reason[u.reason].push_back(u.measurement.origin);
    }
    for (const auto& [reason, origins] : by_reason) {
      report.notes.push_back(
          fmt::format("unmapped ({}): {}: {}", origins.size(), reason, compact_origins(origins)));
    }
  }
  for (const auto& [reason, count] : exclusions) {
    report.notes.push_back(fmt::format("excluded ({}): {}", count, reason));
  }
  return report;
}

}  // namespace llmroof
