// Cross-validation, refits of the shipped table and calibration profiles.

#include <fmt/format.h>

#include <algorithm>
#include <array>
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

namespace {

constexpr std::array<std::string_view, 3> k_hold_out_names = {"device", "generation",
                                                              "model-family"};
constexpr std::array<std::string_view, 10> k_term_names = {
    "kernel-path", "prefill-core", "moe-layer",  "power-limit", "dot-product",
    "engine-era",  "format-split", "class-rows", "narrow-simd", "cpu-one-kernel"};

// A model id's part that names a size: "8b", "30b", "1.1b", "a3b", "17b-16e", "e4b".
bool is_size_token(std::string_view token) {
  if (token.empty()) {
    return false;
  }
  std::size_t i = 0;
  if (token[0] == 'a' || token[0] == 'e') {
    i = 1;  // active-parameter (a3b) and effective (e4b) sizes
  }
  const std::size_t digits = i;
  while (i < token.size() &&
         (std::isdigit(static_cast<unsigned char>(token[i])) != 0 || token[i] == '.')) {
    ++i;
  }
  return i > digits && i + 1 == token.size() && (token[i] == 'b' || token[i] == 'm');
}

}  // namespace

std::string_view to_string(HoldOut by) { return k_hold_out_names[static_cast<std::size_t>(by)]; }

std::vector<std::string> hold_out_names() {
  return {k_hold_out_names.begin(), k_hold_out_names.end()};
}

std::optional<HoldOut> parse_hold_out(std::string_view text) {
  const std::string key = normalize_key(text);
  for (std::size_t i = 0; i < k_hold_out_names.size(); ++i) {
    if (normalize_key(k_hold_out_names[i]) == key) {
      return static_cast<HoldOut>(i);
    }
  }
  return std::nullopt;
}

std::string_view to_string(Term term) { return k_term_names[static_cast<std::size_t>(term)]; }

std::vector<std::string> term_names() { return {k_term_names.begin(), k_term_names.end()}; }

std::optional<Term> parse_term(std::string_view text) {
  const std::string key = normalize_key(text);
  for (std::size_t i = 0; i < k_term_names.size(); ++i) {
    if (normalize_key(k_term_names[i]) == key) {
      return static_cast<Term>(i);
    }
  }
  return std::nullopt;
}

std::string model_family(std::string_view model_id) {
  std::vector<std::string_view> kept;
  std::size_t start = 0;
  while (start <= model_id.size()) {
    const auto dash = model_id.find('-', start);
    const std::string_view token = model_id.substr(
        start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    if (is_size_token(token)) {
      break;
    }
    kept.push_back(token);
    if (dash == std::string_view::npos) {
      break;
    }
    start = dash + 1;
  }
  if (kept.empty()) {
    return std::string(model_id);
  }
  std::string family;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    std::string_view token = kept[i];
    // A minor version is the same family: llama-3.1 and llama-3.2 are llama-3.
    if (i + 1 == kept.size() && i > 0) {
      const auto dot = token.find('.');
      if (dot != std::string_view::npos && dot > 0 &&
          std::isdigit(static_cast<unsigned char>(token[0])) != 0) {
        token = token.substr(0, dot);
      }
    }
    if (i > 0) {
      family += '-';
    }
    family += token;
  }
  return family;
}

std::string hold_out_group(const MappedMeasurement& row, HoldOut by) {
  switch (by) {
    case HoldOut::device:
      return row.device->id;
    case HoldOut::generation:
      return device_generation(*row.device);
    case HoldOut::model_family:
      return model_family(row.model.spec.id);
  }
  return row.device->id;
}

EfficiencyTable ablate(EfficiencyTable prior, Term term) {
  for (auto& c : prior.classes) {
    switch (term) {
      case Term::kernel_path:
        if (c.prefill_peak == PeakBasis::kernel_path) {
          c.prefill_peak = PeakBasis::int8_equivalent;
        }
        break;
      case Term::prefill_core:
        c.prefill_core_ops_per_flop = 0;
        break;
      case Term::dot_product:
        if (c.decode_peak == PeakBasis::dot_product) {
          c.decode_peak = PeakBasis::fp32;
          c.decode_flops_efficiency = std::min(1.0, 4 * c.decode_flops_efficiency);
        }
        break;
      case Term::moe_layer:
      case Term::power_limit:
      case Term::engine_era:
      case Term::format_split:
      case Term::narrow_simd:
      case Term::cpu_one_kernel:
        break;
      case Term::class_rows:
        c.matmul_half_rows = 0;
        break;
    }
  }
  if (term == Term::engine_era) {
    prior.eras.clear();
  }
  if (term == Term::format_split) {
    // The families split by work per weight go back to the ones they came from.
    for (const auto& pair :
         {std::pair<std::string_view, std::string_view>{"k_quant_high_bits", "k_quant"},
          std::pair<std::string_view, std::string_view>{"iq2_packed", "iq_grid"}}) {
      const std::string_view split = pair.first;
      const std::string_view into = pair.second;
      auto from = std::find_if(prior.formats.begin(), prior.formats.end(),
                               [split](const WeightFormat& f) { return f.id == split; });
      auto to = std::find_if(prior.formats.begin(), prior.formats.end(),
                             [into](const WeightFormat& f) { return f.id == into; });
      if (from != prior.formats.end() && to != prior.formats.end()) {
        to->types.insert(to->types.end(), from->types.begin(), from->types.end());
        prior.formats.erase(from);
      }
    }
  }
  if (term == Term::moe_layer) {
    prior.moe_layer_s = 0;
  }
  if (term == Term::power_limit) {
    prior.power_limit_exponent = 0;
  }
  if (term == Term::narrow_simd) {
    prior.narrow_simd_exponent = 0;
  }
  if (term == Term::class_rows) {
    prior.fit_class_half_rows = false;
  }
  if (term == Term::cpu_one_kernel) {
    for (auto& f : prior.formats) {
      f.cpu_vec_dot_only = false;
      f.cpu_vec_dot_source.clear();
    }
  }
  return prior;
}

CrossValidation cross_validation(std::span<const MappedMeasurement> rows,
                                 const EfficiencyTable& prior, HoldOut by) {
  CrossValidation cv;
  cv.table = fit_efficiency(rows, prior);
  const auto held_out = cross_validate(rows, prior, cv.table, by);
  set_spreads(cv.table, rows, held_out);
  cv.predictions.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i].exclusion.empty()) {
      cv.predictions[i] = predict(rows[i], cv.table);
    }
  }
  // Held-out predictions carry their fold's spreads; score them with the final bands.
  for (const auto& h : held_out) {
    const MappedMeasurement& row = rows[h.row];
    const EfficiencyClass* c = find_efficiency_class(cv.table, row.class_key);
    const double spread = c == nullptr                    ? 0.0
                          : row.kind == TestKind::prefill ? c->prefill_log_spread
                          : row.kind == TestKind::decode
                              ? c->decode_log_spread
                              : std::max(c->decode_log_spread, c->prefill_log_spread);
    Prediction p = h.prediction;
    p.tokens_per_s_low = p.tokens_per_s * std::exp(-spread);
    p.tokens_per_s_high = p.tokens_per_s * std::exp(spread);
    cv.predictions[h.row] = p;
  }
  return cv;
}

EfficiencyTable refit_table(const MappingResult& mapped, const EfficiencyTable& prior,
                            const RefitOptions& options) {
  CrossValidation cv = cross_validation(mapped.mapped, prior);
  EfficiencyTable table = std::move(cv.table);
  table.description = fmt::format(
      "Realistic-efficiency classes: how far a llama.cpp-like engine stays below the roofline on "
      "each class of device and backend, and how its kernels treat each weight format. Fitted by "
      "'llmroof calibrate --refit-table' to {} from efficiency-prior.json (see fitted_on); the "
      "bands and cross_validated_accuracy come from leave-one-generation-out cross-validation "
      "(every device of an architecture generation held out at once).",
      options.source);
  table.accuracy = accuracy_figures(mapped.mapped, cv.predictions, table);
  FitRecord record;
  record.source = options.source;
  record.data_date = options.data_date;
  record.command = options.command;
  record.rows = static_cast<int>(mapped.mapped.size() + mapped.unmapped.size());
  std::set<std::string> devices;
  for (const auto& row : mapped.mapped) {
    if (row.exclusion.empty()) {
      ++record.rows_used;
      devices.insert(row.device->id);
    } else {
      ++record.rows_excluded;
    }
  }
  record.rows_unmapped = static_cast<int>(mapped.unmapped.size());
  record.devices = static_cast<int>(devices.size());
  table.fitted_on = record;
  return table;
}

EfficiencyTable calibration_profile(std::span<const MappedMeasurement> rows,
                                    const EfficiencyTable& table, const std::string& source) {
  // One profile class per (device, backend), starting from the class the table gives it.
  EfficiencyTable working = table;
  std::vector<std::string> ids;
  std::map<std::string, std::string> bases;
  for (const auto& row : rows) {
    if (!row.exclusion.empty()) {
      continue;
    }
    const std::string id = fmt::format("{}-{}", row.device->id, row.backend);
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      continue;
    }
    const EfficiencyClass* base = find_efficiency_class(table, row.class_key);
    if (base == nullptr) {
      throw Error(fmt::format("the efficiency table has no class for '{}'", row.device->id));
    }
    EfficiencyClass c = *base;
    bases[id] = base->id;
    c.id = id;
    c.device = row.device->id;
    c.backend = row.backend;
    c.description = fmt::format("{} ({}), calibrated", row.device->name, row.backend);
    working.classes.insert(working.classes.begin(), c);
    ids.push_back(id);
  }
  if (ids.empty()) {
    throw Error("no measurement is in scope: nothing to calibrate (see 'llmroof validate')");
  }
  FitOptions options;
  options.classes = ids;
  options.globals = false;
  // The device's own rows are direct evidence: a tenth of the shipped fit's pull.
  options.prior_weight = 0.002;
  const EfficiencyTable fitted = fit_efficiency(rows, working, options);
  EfficiencyTable profile;
  profile.schema_version = 2;
  profile.description = fmt::format(
      "Calibration profile written by 'llmroof calibrate' from {}; apply it with --calibration.",
      source);
  profile.matmul_half_rows = table.matmul_half_rows;
  profile.ubatch_tokens = table.ubatch_tokens;
  for (const auto& id : ids) {
    const EfficiencyClass* c = find_efficiency_class(fitted, id);
    EfficiencyClass out = *c;
    // In-sample residuals of the device's own rows: its band.
    std::vector<double> decode;
    std::vector<double> prefill;
    for (const auto& row : rows) {
      if (!row.exclusion.empty() || resolved_class(row, fitted) != id) {
        continue;
      }
      const double r =
          std::fabs(std::log(row.measurement.tokens_per_s / predict(row, fitted).tokens_per_s));
      (row.kind == TestKind::prefill ? prefill : decode).push_back(r);
    }
    constexpr double k_min_spread = 0.05;
    out.decode_log_spread =
        decode.size() >= 3 ? std::max(quantile(decode, 0.8), k_min_spread) : c->decode_log_spread;
    out.prefill_log_spread = prefill.size() >= 3 ? std::max(quantile(prefill, 0.8), k_min_spread)
                                                 : c->prefill_log_spread;
    out.basis = fmt::format(
        "fitted by 'llmroof calibrate' to {} decode and {} prefill measurements of {}, starting "
        "from the shipped class '{}'",
        out.decode_rows, out.prefill_rows, source, bases[id]);
    profile.classes.push_back(std::move(out));
  }
  return profile;
}

}  // namespace llmroof
