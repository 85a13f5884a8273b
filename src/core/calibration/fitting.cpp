// Fitting: the efficiency figures of each class and the table-wide figures, by robust
// least squares in log space (Nelder-Mead), and leave-one-out folds with the band they give.

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

// --- Fitting ------------------------------------------------------------------------------------

std::string resolved_class(const MappedMeasurement& row, const EfficiencyTable& table) {
  const EfficiencyClass* cls = find_efficiency_class(table, row.class_key);
  return cls != nullptr ? cls->id : std::string();
}

namespace {

// A row prepared for fitting: the ideal quantities estimate() computes for it, cached, so that a
// prediction under new figures costs a few divisions. fast_predict() reproduces predict().
struct FitRow {
  std::size_t index = 0;
  std::string class_id;
  std::string device;
  std::string group;  ///< cross-validation group (see HoldOut); the device by default
  TestKind kind = TestKind::decode;
  double measured = 0;
  double weight = 1;
  double prompt_tokens = 0;
  double generate_tokens = 0;
  double sequences = 1;
  /// Decode steps at the midpoints of equal slices of the generated span, each standing for
  /// `slice` tokens (exact while the step time is linear in the context).
  std::vector<DecodeStep> steps;
  double slice = 0;
  PrefillResult prefill;
  EngineRun run;  ///< format and rows factors set per evaluation
  bool cpu = false;
  bool moe = false;    ///< the model has routed experts
  std::string format;  ///< WeightFormat id ("" = none)
  MatmulRows matmul;   ///< the prefill's dense and expert matmul rows
};

double huber(double r) {
  constexpr double k_delta = 0.15;
  const double a = std::fabs(r);
  return a <= k_delta ? 0.5 * r * r : k_delta * (a - 0.5 * k_delta);
}

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double logit(double p) {
  p = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(p / (1.0 - p));
}

// Nelder-Mead on an unconstrained vector; deterministic (fixed initial simplex).
std::vector<double> nelder_mead(const std::function<double(const std::vector<double>&)>& f,
                                std::vector<double> x0, double step, int max_evals) {
  const std::size_t n = x0.size();
  std::vector<std::vector<double>> pts(n + 1, x0);
  for (std::size_t i = 0; i < n; ++i) {
    pts[i + 1][i] += step;
  }
  std::vector<double> vals(n + 1);
  for (std::size_t i = 0; i <= n; ++i) {
    vals[i] = f(pts[i]);
  }
  int evals = static_cast<int>(n + 1);
  std::vector<std::size_t> order(n + 1);
  while (evals < max_evals) {
    for (std::size_t i = 0; i <= n; ++i) {
      order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return vals[a] < vals[b] || (vals[a] == vals[b] && a < b);
    });
    std::vector<std::vector<double>> p2;
    std::vector<double> v2;
    for (auto i : order) {
      p2.push_back(pts[i]);
      v2.push_back(vals[i]);
    }
    pts = std::move(p2);
    vals = std::move(v2);
    if (vals[n] - vals[0] <= 1e-10 * (1.0 + std::fabs(vals[0]))) {
      break;
    }
    std::vector<double> c(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t i = 0; i < n; ++i) {
        c[i] += pts[j][i] / static_cast<double>(n);
      }
    }
    auto along = [&](double t) {
      std::vector<double> x(n);
      for (std::size_t i = 0; i < n; ++i) {
        x[i] = c[i] + t * (pts[n][i] - c[i]);
      }
      return x;
    };
    const auto xr = along(-1.0);
    const double fr = f(xr);
    ++evals;
    if (fr < vals[0]) {
      const auto xe = along(-2.0);
      const double fe = f(xe);
      ++evals;
      if (fe < fr) {
        pts[n] = xe;
        vals[n] = fe;
      } else {
        pts[n] = xr;
        vals[n] = fr;
      }
    } else if (fr < vals[n - 1]) {
      pts[n] = xr;
      vals[n] = fr;
    } else {
      const auto xc = along(fr < vals[n] ? -0.5 : 0.5);
      const double fc = f(xc);
      ++evals;
      if (fc < std::min(fr, vals[n])) {
        pts[n] = xc;
        vals[n] = fc;
      } else {
        for (std::size_t j = 1; j <= n; ++j) {
          for (std::size_t i = 0; i < n; ++i) {
            pts[j][i] = pts[0][i] + 0.5 * (pts[j][i] - pts[0][i]);
          }
          vals[j] = f(pts[j]);
          ++evals;
        }
      }
    }
  }
  const auto best = std::min_element(vals.begin(), vals.end()) - vals.begin();
  return pts[static_cast<std::size_t>(best)];
}

// Parameters of one class in unconstrained form, and back.
constexpr double k_min_layer_s = 1e-9;
constexpr double k_max_layer_s = 2e-3;

// A class whose prior has a prefill core term fits it as a fifth parameter.
// The class of `table` with id `id` (no profile or family resolution), nullptr if none; as const
// as the table.
template <class Table>
auto* class_in(Table& table, const std::string& id) {
  const auto it = std::find_if(table.classes.begin(), table.classes.end(),
                               [&](const EfficiencyClass& c) { return c.id == id; });
  return it == table.classes.end() ? nullptr : &*it;
}

std::vector<double> class_params(const EfficiencyClass& c) {
  std::vector<double> x = {logit(c.decode_bw_efficiency),
                           std::log(std::max(c.decode_per_layer_s, k_min_layer_s)),
                           logit(c.prefill_flops_efficiency), logit(c.decode_flops_efficiency)};
  if (c.prefill_core_ops_per_flop > 0) {
    x.push_back(std::log(c.prefill_core_ops_per_flop));
  }
  return x;
}

void set_class_params(EfficiencyClass& c, const std::vector<double>& x) {
  c.decode_bw_efficiency = std::clamp(logistic(x[0]), 0.01, 1.0);
  c.decode_per_layer_s =
      std::clamp(std::exp(x[1]), k_min_layer_s, k_max_layer_s) <= 1.01 * k_min_layer_s
          ? 0.0
          : std::clamp(std::exp(x[1]), k_min_layer_s, k_max_layer_s);
  c.prefill_flops_efficiency = std::clamp(logistic(x[2]), 0.002, 1.0);
  c.decode_flops_efficiency = std::clamp(logistic(x[3]), 0.001, 1.0);
  if (x.size() > 4) {
    c.prefill_core_ops_per_flop = std::clamp(std::exp(x[4]), 1e-4, 100.0);
  }
}

class Fitter {
 public:
  Fitter(std::span<const MappedMeasurement> rows, const EfficiencyTable& prior) : m_table(prior) {
    std::map<std::string, int> per_device_kind;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const MappedMeasurement& row = rows[i];
      if (!row.exclusion.empty()) {
        continue;
      }
      FitRow f = prepare(row, i);
      ++per_device_kind[fmt::format("{}|{}", f.device, f.kind == TestKind::prefill)];
      m_rows.push_back(std::move(f));
    }
    for (auto& f : m_rows) {
      f.weight =
          1.0 / std::sqrt(static_cast<double>(
                    per_device_kind[fmt::format("{}|{}", f.device, f.kind == TestKind::prefill)]));
    }
  }

  EfficiencyTable& table() { return m_table; }
  const std::vector<FitRow>& rows() const { return m_rows; }

  /// Sets each row's cross-validation group.
  void set_groups(std::span<const MappedMeasurement> rows, HoldOut by) {
    for (auto& f : m_rows) {
      f.group = hold_out_group(rows[f.index], by);
    }
  }

  void fit(const FitOptions& options, const std::string& skip_group = {},
           const EfficiencyTable* anchor = nullptr) {
    m_skip = skip_group;
    m_anchor = anchor != nullptr ? *anchor : m_table;
    m_prior_weight = options.prior_weight;
    std::vector<std::string> ids = options.classes;
    if (ids.empty()) {
      for (const auto& c : m_table.classes) {
        ids.push_back(c.id);
      }
    }
    for (int round = 0; round < options.rounds; ++round) {
      for (const auto& id : ids) {
        fit_class(id);
        fit_class_half_rows(id);
      }
      if (options.globals) {
        fit_globals();
      }
    }
    m_skip.clear();
  }

  double predict_fast(const FitRow& r, const EfficiencyClass& c) const {
    EngineRun run = r.run;
    run.format_factor = format_factor_of(r, false, r.run.blas_prefill);
    run.decode_format_factor = format_factor_of(r, true, false);
    run.matmul_half_rows = matmul_half_rows(m_table, c);
    run.rows_factor = rows_factor(r.matmul, run.matmul_half_rows);
    run.moe_layer_s = m_table.moe_layer_s;
    run.set_power_limit(r.run.power_ratio, m_table.power_limit_exponent);
    run.decode_bw_factor = narrow_simd_factor(m_table, r.run.simd_lane_ratio);
    double decode_s = 0;
    for (const auto& step : r.steps) {
      decode_s += realistic_decode_seconds(c, step, run) * r.slice;
    }
    switch (r.kind) {
      case TestKind::decode:
        return r.generate_tokens * r.sequences / decode_s;
      case TestKind::prefill:
        return r.prompt_tokens / realistic_prefill_seconds(c, r.prefill, run);
      case TestKind::prefill_decode:
        return (r.prompt_tokens + r.generate_tokens) /
               (realistic_prefill_seconds(c, r.prefill, run) + decode_s);
    }
    return 0;
  }

  const EfficiencyClass* cls(const std::string& id) const { return class_in(m_table, id); }

 private:
  FitRow prepare(const MappedMeasurement& row, std::size_t index) const {
    FitRow f;
    f.index = index;
    f.class_id = resolved_class(row, m_table);
    f.device = row.device->id;
    f.group = f.device;
    f.kind = row.kind;
    f.measured = row.measurement.tokens_per_s;
    f.prompt_tokens = row.options.prompt_tokens;
    f.generate_tokens = row.options.generate_tokens;
    f.sequences = row.options.batch;
    // The roofs, precision and ideal prefill exactly as estimate() sets them.
    const EstimateResult r = estimate(*row.device, row.model, row.options, m_table);
    const EngineModel engine =
        engine_model(m_table, *row.device, row.options.backend, row.model.spec, row.model.weights,
                     r.roofs, r.precision, row.options.prompt_tokens, row.options.engine_build);
    f.cpu = engine.host_cpu || row.device->kind == DeviceKind::cpu;
    f.run = engine.run;
    f.moe = engine.run.moe_layers > 0;
    if (const WeightFormat* format = weight_format(m_table, row.model.weights)) {
      f.format = format->id;
    }
    f.matmul = matmul_rows(m_table, row.model.weights, row.options.prompt_tokens);
    if (r.prefill) {
      f.prefill = *r.prefill;
    }
    if (f.generate_tokens > 0) {
      const int slices = static_cast<int>(std::min(f.generate_tokens, 4.0));
      f.slice = f.generate_tokens / slices;
      for (int i = 0; i < slices; ++i) {
        DecodeInput in;
        in.batch = row.options.batch;
        in.context_tokens = row.options.context_tokens + (i + 0.5) * f.slice - 0.5;
        in.kv_bytes_per_element = row.options.kv_bytes_per_element;
        in.expert_skew = row.options.expert_skew;
        f.steps.push_back(decode_step(row.model.spec, row.model.weights, r.roofs, in));
      }
    }
    return f;
  }

  // The format factor of row `r`'s weights; an earlier engine's FP16 BLAS prefill (`blas`) runs
  // at the float format's.
  double format_factor_of(const FitRow& r, bool decode, bool blas) const {
    const WeightFormat* f = find_weight_format(m_table, blas ? k_float_format : r.format);
    return f != nullptr ? format_factor(*f, r.cpu, decode) : 1.0;
  }

  // Weighted robust loss of the rows of class `id` (all classes when empty) that pass `use`.
  double loss(const std::string& id, const std::function<bool(const FitRow&)>& use) const {
    double sum = 0;
    for (const auto& r : m_rows) {
      if (r.group == m_skip || (!id.empty() && r.class_id != id) || !use(r)) {
        continue;
      }
      const EfficiencyClass* c = cls(r.class_id);
      if (c == nullptr) {
        continue;
      }
      const double p = predict_fast(r, *c);
      if (!(p > 0) || !std::isfinite(p)) {
        return 1e30;
      }
      sum += r.weight * huber(std::log(r.measured / p));
    }
    return sum;
  }

  // Pull towards the anchor (the prior's figures), FitOptions::prior_weight per unit of
  // unconstrained parameter squared: figures the rows do not constrain stay where physics put
  // them, and figures few rows constrain move only as far as the rows insist.
  double shrink(const std::vector<double>& x, const std::vector<double>& anchor) const {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      s += m_prior_weight * (x[i] - anchor[i]) * (x[i] - anchor[i]);
    }
    return s;
  }

  void fit_class(const std::string& id) {
    EfficiencyClass* c = class_in(m_table, id);
    const EfficiencyClass* anchor_class = class_in(m_anchor, id);
    if (c == nullptr || anchor_class == nullptr) {
      return;
    }
    const bool any = std::any_of(m_rows.begin(), m_rows.end(), [&](const FitRow& r) {
      return r.class_id == id && r.group != m_skip;
    });
    const std::vector<double> anchor = class_params(*anchor_class);
    if (!any) {
      set_class_params(*c, anchor);  // nothing to learn from: the anchor's figures
      return;
    }
    const EfficiencyClass saved = *c;
    // The core term is learnt only where the rows tell it from the matrix efficiency: where
    // every row's matrix rate is the same multiple of its FP32 rate (Apple GPUs before M5)
    // the two trade off exactly and the core term keeps the anchor's figure.
    const std::size_t fitted = anchor.size() > 4 && !core_term_identified(id) ? 4 : anchor.size();
    auto full = [&](std::vector<double> x) {
      x.insert(x.end(), anchor.begin() + static_cast<std::ptrdiff_t>(x.size()), anchor.end());
      return x;
    };
    auto objective = [&](const std::vector<double>& x) {
      set_class_params(*c, full(x));
      return loss(id, [](const FitRow&) { return true; }) + shrink(x, anchor);
    };
    std::vector<double> start = class_params(*c);
    start.resize(fitted);
    const auto best = nelder_mead(objective, start, 0.5, 600);
    *c = saved;
    set_class_params(*c, full(best));
  }

  // A class's own matmul_half_rows, where its rows tell it from its matmul efficiency: passes
  // of fewer rows than the ubatch (routed experts, short prompts, batches decoded as a
  // prefill). Elsewhere the class keeps the anchor's figure (0: the table's).
  void fit_class_half_rows(const std::string& id) {
    EfficiencyClass* c = class_in(m_table, id);
    const EfficiencyClass* anchor_class = class_in(m_anchor, id);
    if (c == nullptr || anchor_class == nullptr) {
      return;
    }
    const double ubatch = m_table.ubatch_tokens;
    const int vector_max = c->vector_batch_max;
    auto tells = [&](const FitRow& r) {
      if (r.class_id != id || r.group == m_skip) {
        return false;
      }
      if (r.kind != TestKind::decode &&
          (r.matmul.expert_flops > 0 || r.matmul.rows < 0.5 * ubatch)) {
        return true;
      }
      return r.kind != TestKind::prefill && vector_max > 0 &&
             std::any_of(r.steps.begin(), r.steps.end(),
                         [&](const DecodeStep& s) { return s.batch > vector_max; });
    };
    if (!m_table.fit_class_half_rows || !std::any_of(m_rows.begin(), m_rows.end(), tells)) {
      c->matmul_half_rows = anchor_class->matmul_half_rows;
      return;
    }
    // From the figure the class uses now (its own, else the table's), kept at 1 row or more:
    // 0 would mean "the table's".
    c->matmul_half_rows = matmul_half_rows(m_table, *c);
    fit_log_figure(c->matmul_half_rows, matmul_half_rows(m_anchor, *anchor_class), 1.0, 1.0, 4096.0,
                   [&](const FitRow& r) { return r.class_id == id; });
  }

  // Whether the class's prefill rows span matrix-to-FP32 rate ratios that differ by more
  // than 5%, so that the series core term is told apart from the matrix efficiency.
  bool core_term_identified(const std::string& id) const {
    double lo = 0;
    double hi = 0;
    for (const auto& r : m_rows) {
      if (r.class_id != id || r.group == m_skip || r.kind == TestKind::decode ||
          !(r.run.core_peak_flops_per_s > 0)) {
        continue;
      }
      const double ratio = r.run.matmul_peak_flops_per_s / r.run.core_peak_flops_per_s;
      lo = lo > 0 ? std::min(lo, ratio) : ratio;
      hi = std::max(hi, ratio);
    }
    return lo > 0 && hi > 1.05 * lo;
  }

  void fit_globals() {
    // Each format factor moves only the rows of its format: one-dimensional fits.
    for (auto& f : m_table.formats) {
      if (f.id == "k_quant") {
        continue;  // the reference
      }
      // 0: CPU prefill, 1: CPU decode, 2: GPU.
      for (int which = 0; which < 3; ++which) {
        const bool cpu = which < 2;
        auto uses = [&](const FitRow& r) {
          // A row whose prefill ran an earlier engine's FP16 BLAS moves the float factor, in
          // its prefill, not its own format's.
          const bool blas = which == 2 && r.run.blas_prefill && r.kind != TestKind::decode;
          return (blas ? f.id == k_float_format : r.format == f.id) && r.cpu == cpu &&
                 (which == 2 || (which == 1) == (r.kind != TestKind::prefill));
        };
        const bool any = std::any_of(m_rows.begin(), m_rows.end(),
                                     [&](const FitRow& r) { return uses(r) && r.group != m_skip; });
        const WeightFormat* anchor_format = find_weight_format(m_anchor, f.id);
        double& factor = which == 0   ? f.cpu_factor
                         : which == 1 ? f.cpu_decode_factor
                                      : f.gpu_factor;
        // A family whose CPU prefill and decode run one dot-product kernel starts its decode
        // factor from the prefill factor just fitted (which == 0 runs first).
        const bool from_prefill = which == 1 && f.cpu_vec_dot_only;
        const double anchor = from_prefill               ? f.cpu_factor
                              : anchor_format == nullptr ? 1.0
                              : which == 0               ? anchor_format->cpu_factor
                              : which == 1               ? anchor_format->cpu_decode_factor
                                                         : anchor_format->gpu_factor;
        if (!any) {
          factor = anchor;
          continue;
        }
        auto objective = [&](const std::vector<double>& x) {
          factor = std::clamp(std::exp(x[0]), 0.05, 5.0);
          return loss("", uses) + shrink(x, {std::log(anchor)});
        };
        const auto best = nelder_mead(objective, {std::log(factor)}, 0.3, 60);
        factor = std::clamp(std::exp(best[0]), 0.05, 5.0);
      }
    }
    // The fixed cost of an MoE layer: every decode row of an MoE model.
    if (m_anchor.moe_layer_s > 0) {
      fit_log_figure(m_table.moe_layer_s, m_anchor.moe_layer_s, 1e-7, 0.0, 1e-3,
                     [](const FitRow& r) { return r.kind != TestKind::prefill && r.moe; });
    }
    // Clocks under power limits: every prefill row of a part below its architecture's power.
    if (m_anchor.power_limit_exponent > 0) {
      fit_log_figure(
          m_table.power_limit_exponent, m_anchor.power_limit_exponent, 1e-3, 0.0, 3.0,
          [](const FitRow& r) { return r.kind != TestKind::decode && r.run.power_ratio < 1; });
    }
    // How the decode bandwidth share falls with a narrower SIMD: the narrow parts' decode rows.
    if (m_anchor.narrow_simd_exponent > 0) {
      fit_log_figure(
          m_table.narrow_simd_exponent, m_anchor.narrow_simd_exponent, 0.05, 0.0, 4.0,
          [](const FitRow& r) { return r.kind != TestKind::prefill && r.run.simd_lane_ratio < 1; });
    }
    // The rows at which matmuls reach half speed: every prefill row.
    fit_log_figure(m_table.matmul_half_rows, std::max(1.0, m_anchor.matmul_half_rows), 1.0, 0.0,
                   4096.0, [](const FitRow& r) { return r.kind != TestKind::decode; });
  }

  // Fits one figure in log space to the rows that pass `use`, pulled towards `anchor` (> 0)
  // and kept in [lo, hi]; the search starts at max(value, start_floor).
  void fit_log_figure(double& value, double anchor, double start_floor, double lo, double hi,
                      const std::function<bool(const FitRow&)>& use) {
    auto objective = [&](const std::vector<double>& x) {
      value = std::clamp(std::exp(x[0]), lo, hi);
      return loss("", use) + shrink(x, {std::log(anchor)});
    };
    const auto best = nelder_mead(objective, {std::log(std::max(start_floor, value))}, 0.5, 60);
    value = std::clamp(std::exp(best[0]), lo, hi);
  }

  EfficiencyTable m_table;
  EfficiencyTable m_anchor;
  std::vector<FitRow> m_rows;
  std::string m_skip;
  double m_prior_weight = 0.02;
};

}  // namespace

EfficiencyTable fit_efficiency(std::span<const MappedMeasurement> rows,
                               const EfficiencyTable& prior, const FitOptions& options) {
  Fitter fitter(rows, prior);
  fitter.fit(options);
  EfficiencyTable table = fitter.table();
  for (auto& c : table.classes) {
    const bool fitted =
        options.classes.empty() ||
        std::find(options.classes.begin(), options.classes.end(), c.id) != options.classes.end();
    if (!fitted) {
      continue;
    }
    std::set<std::string> devices;
    c.decode_rows = 0;
    c.prefill_rows = 0;
    for (const auto& r : fitter.rows()) {
      if (r.class_id == c.id) {
        (r.kind == TestKind::decode ? c.decode_rows : c.prefill_rows) += 1;
        devices.insert(r.device);
      }
    }
    c.devices = static_cast<int>(devices.size());
  }
  return table;
}

std::vector<HeldOut> cross_validate(std::span<const MappedMeasurement> rows,
                                    const EfficiencyTable& prior, const EfficiencyTable& fitted,
                                    HoldOut by) {
  Fitter fitter(rows, fitted);
  fitter.set_groups(rows, by);
  std::vector<std::string> groups;
  for (const auto& r : fitter.rows()) {
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) {
      groups.push_back(r.group);
    }
  }
  std::vector<HeldOut> out;
  for (const auto& group : groups) {
    // Refit the classes the group's rows use, and the table-wide figures, without it.
    std::vector<std::string> classes;
    for (const auto& r : fitter.rows()) {
      if (r.group == group &&
          std::find(classes.begin(), classes.end(), r.class_id) == classes.end()) {
        classes.push_back(r.class_id);
      }
    }
    Fitter fold = fitter;
    FitOptions options;
    options.classes = classes;
    options.rounds = 3;
    fold.fit(options, group, &prior);
    const EfficiencyTable& table = fold.table();
    for (const auto& r : fitter.rows()) {
      if (r.group != group) {
        continue;
      }
      HeldOut h;
      h.row = r.index;
      h.prediction = predict(rows[r.index], table);
      h.log_residual = std::log(r.measured / h.prediction.tokens_per_s);
      out.push_back(h);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const HeldOut& a, const HeldOut& b) { return a.row < b.row; });
  return out;
}

void set_spreads(EfficiencyTable& table, std::span<const MappedMeasurement> rows,
                 std::span<const HeldOut> held_out) {
  constexpr double k_coverage = 0.8;
  constexpr std::size_t k_min_rows = 8;
  std::map<std::string, std::vector<double>> decode;
  std::map<std::string, std::vector<double>> prefill;
  std::vector<double> all_decode;
  std::vector<double> all_prefill;
  for (const auto& h : held_out) {
    const MappedMeasurement& row = rows[h.row];
    const std::string id = resolved_class(row, table);
    const double a = std::fabs(h.log_residual);
    if (row.kind == TestKind::prefill) {
      prefill[id].push_back(a);
      all_prefill.push_back(a);
    } else {
      decode[id].push_back(a);
      all_decode.push_back(a);
    }
  }
  const double pooled_decode = quantile(all_decode, k_coverage);
  const double pooled_prefill = quantile(all_prefill, k_coverage);
  for (auto& c : table.classes) {
    const auto& d = decode[c.id];
    const auto& p = prefill[c.id];
    c.decode_log_spread = d.size() >= k_min_rows ? quantile(d, k_coverage)
                                                 : std::max(quantile(d, k_coverage), pooled_decode);
    c.prefill_log_spread = p.size() >= k_min_rows
                               ? quantile(p, k_coverage)
                               : std::max(quantile(p, k_coverage), pooled_prefill);
  }
}

}  // namespace llmroof
