// Predictions of mapped rows and their error statistics.

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

Prediction predict(const MappedMeasurement& row, const EfficiencyTable& table) {
  const EstimateResult r = estimate(*row.device, row.model, row.options, table);
  const EfficiencyClass* cls = find_efficiency_class(table, r.efficiency_class);
  const double decode_spread =
      r.tokens_per_s > 0 ? std::log(r.tokens_per_s_high / r.tokens_per_s) : 0.0;
  const double prefill_spread = cls != nullptr ? cls->prefill_log_spread : 0.0;
  Prediction p;
  double spread = 0;
  switch (row.kind) {
    case TestKind::decode:
      p.tokens_per_s = r.generate_tokens_per_s * static_cast<double>(row.options.batch);
      spread = decode_spread;
      break;
    case TestKind::prefill:
      p.tokens_per_s = r.prefill_tokens_per_s;
      spread = prefill_spread;
      break;
    case TestKind::prefill_decode:
      p.tokens_per_s =
          (row.options.prompt_tokens + row.options.generate_tokens) / r.end_to_end_seconds;
      spread = std::max(decode_spread, prefill_spread);
      break;
  }
  p.tokens_per_s_low = p.tokens_per_s * std::exp(-spread);
  p.tokens_per_s_high = p.tokens_per_s * std::exp(spread);
  return p;
}

// --- Error statistics ---------------------------------------------------------------------------

double quantile(std::vector<double> values, double p) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(p, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(values.size() - 1, lo + 1);
  const double frac = pos - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

ErrorStats error_stats(std::span<const ScoredRow> rows) {
  ErrorStats s;
  s.rows = static_cast<int>(rows.size());
  if (rows.empty()) {
    return s;
  }
  std::vector<double> abs_errors;
  std::vector<double> logs;
  int inside = 0;
  for (const auto& r : rows) {
    abs_errors.push_back(std::abs(r.predicted / r.measured - 1.0));
    logs.push_back(std::log(r.predicted / r.measured));
    inside += r.inside_band ? 1 : 0;
  }
  s.median_abs_error = quantile(abs_errors, 0.5);
  s.p90_abs_error = quantile(abs_errors, 0.9);
  s.bias = std::exp(quantile(logs, 0.5)) - 1.0;
  s.coverage = static_cast<double>(inside) / static_cast<double>(rows.size());
  return s;
}

}  // namespace llmroof
