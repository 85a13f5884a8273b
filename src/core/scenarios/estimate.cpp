#include "llmroof/scenarios/estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "llmroof/engine/engine_model.hpp"
#include "llmroof/hardware/threads.hpp"
#include "llmroof/util/errors.hpp"
#include "report/report_table.hpp"

namespace llmroof {

namespace {

bool has(const Device& d, Precision p) { return d.roof_peak(p) > 0; }

// Whether the bulk of `weights` is a ggml block-quantized type: llama.cpp multiplies those
// blocks with activations quantized to int8 (q8_1 on GPUs, q8_0/q8_K on CPUs), on int8 units.
bool int8_activation_kernels(const Weights& weights) {
  const GgmlType* type = dominant_ggml_type(weights);
  return type != nullptr && type->block_elements > 1;
}

}  // namespace

Precision effective_precision(const Device& device, Precision requested) {
  std::vector<Precision> chain;
  switch (requested) {
    case Precision::int4:
      chain = {Precision::int4, Precision::int8, Precision::fp16, Precision::fp32};
      break;
    case Precision::int8:
      chain = {Precision::int8, Precision::fp16, Precision::fp32};
      break;
    case Precision::fp8:
      chain = {Precision::fp8, Precision::fp16, Precision::fp32};
      break;
    case Precision::bf16:
      chain = {Precision::bf16, Precision::fp16, Precision::fp32};
      break;
    case Precision::fp16:
      chain = {Precision::fp16, Precision::fp32};
      break;
    case Precision::fp32:
      chain = {Precision::fp32};
      break;
  }
  for (Precision p : chain) {
    if (has(device, p)) {
      // Narrower arithmetic can always run in FP32: a slower rate (Pascal GP10x's FP16 at 1/64
      // of FP32) is no roof, and llama.cpp does not take it there.
      return device.roof_peak(p) < device.peak(Precision::fp32) ? Precision::fp32 : p;
    }
  }
  return Precision::fp32;
}

EstimateResult estimate(const Device& device, const ModelInput& model,
                        const EstimateOptions& options, const EfficiencyTable& efficiency) {
  EstimateResult r;
  r.device = &device;
  const Precision requested = options.compute_precision.value_or(model.compute);
  const bool cpu_backend = runs_on_host_cpu(device, options.backend);
  r.precision = effective_precision(device, requested);
  r.precision_fell_back = r.precision != requested;
  if (!options.compute_precision && !options.peak_flops_per_s &&
      int8_activation_kernels(model.weights) &&
      device.roof_peak(Precision::int8) > device.roof_peak(r.precision)) {
    // The roof is the fastest arithmetic the kernels can use: int8 products for quantized
    // blocks, where the device has a faster int8 rate (tensor cores, XMX, VNNI, i8mm, dp4a).
    r.precision = Precision::int8;
    r.precision_fell_back = false;
    r.int8_activations = true;
  }
  r.roofs.mem_bw_bytes_per_s = device.mem_bw_bytes_per_s;
  r.roofs.peak_flops_per_s = device.roof_peak(r.precision);
  if (cpu_backend && device.cpu) {
    // The host CPU of a SoC runs the model: its FLOPS, and what it can draw from memory.
    r.roofs.peak_flops_per_s = device.cpu->fp32_flops_per_s;
    if (device.cpu->mem_bw_bytes_per_s > 0) {
      r.roofs.mem_bw_bytes_per_s = device.cpu->mem_bw_bytes_per_s;
    }
    r.precision = Precision::fp32;
    r.precision_fell_back = requested != Precision::fp32;
    r.int8_activations = false;
  }
  r.roofs.mem_bw_measured = !cpu_backend && device.mem_bw_kind == FigureKind::measured_sustained;
  if (options.threads) {
    r.threads = thread_scaling(device, cpu_backend, *options.threads);
    r.roofs.mem_bw_bytes_per_s *= r.threads->bandwidth_factor;
    r.roofs.peak_flops_per_s *= r.threads->compute_factor;
  }
  if (options.bandwidth_bytes_per_s) {
    r.roofs.mem_bw_bytes_per_s = *options.bandwidth_bytes_per_s;
    r.roofs.mem_bw_measured = options.bandwidth_measured;
  }
  if (options.peak_flops_per_s) {
    r.roofs.peak_flops_per_s = *options.peak_flops_per_s;
    r.precision_fell_back = false;
  }
  if (!(r.roofs.mem_bw_bytes_per_s > 0) || !(r.roofs.peak_flops_per_s > 0)) {
    throw RequestError(
        "bandwidth", fmt::format("device '{}' has no bandwidth or peak figure; give {{bandwidth}} "
                                 "and {{tflops}}",
                                 device.id));
  }

  DecodeInput input;
  input.batch = options.batch;
  input.context_tokens = options.context_tokens;
  input.kv_bytes_per_element = options.kv_bytes_per_element;
  input.expert_skew = options.expert_skew;
  r.step = decode_step(model.spec, model.weights, r.roofs, input);
  input.experts_touched = r.step.experts_touched;  // the same at every context of the span
  r.critical_batch = critical_batch(model.spec, model.weights, r.roofs, input);
  if (options.prompt_tokens > 0) {
    r.prefill = prefill(model.spec, model.weights, r.roofs, options.prompt_tokens,
                        options.context_tokens, options.kv_bytes_per_element);
  }

  const double memory_bytes = options.memory_bytes.value_or(device.max_memory_bytes());
  const double held_tokens =
      options.context_tokens + options.prompt_tokens + options.generate_tokens;
  const double kv_total = static_cast<double>(options.batch) *
                          kv_cache_bytes(model.spec, held_tokens, options.kv_bytes_per_element);
  const double available =
      options.usable_memory_bytes.value_or(usable_memory_bytes(device, memory_bytes));
  r.fit = memory_fit(model.weights.total_bytes, kv_total, available);

  const double batch = static_cast<double>(std::max(1, options.batch));
  // Cost and energy follow the aggregate rate, whichever model gives it (set at the end).
  auto finish = [&](EstimateResult& out) {
    out.power_w = options.power_w.value_or(device.tdp_w);
    const auto cost = detail::cost_figures(out.aggregate_tokens_per_s, device.launch_price_usd,
                                           out.power_w, options.price_usd_per_hour);
    out.tokens_per_s_per_kusd = cost.tokens_per_s_per_kusd;
    out.joules_per_token = cost.joules_per_token;
    out.usd_per_million_tokens = cost.usd_per_million_tokens;
    return out;
  };
  auto ideal_step_at = [&](double context) {
    DecodeInput at = input;
    at.context_tokens = context;
    return decode_step(model.spec, model.weights, r.roofs, at);
  };
  if (options.ideal) {
    r.efficiency_class = "ideal";
    r.tokens_per_s = r.step.tokens_per_s;
    r.tokens_per_s_low = r.tokens_per_s;
    r.tokens_per_s_high = r.tokens_per_s;
    r.aggregate_tokens_per_s = r.step.aggregate_tokens_per_s;
    if (r.prefill) {
      r.prefill_tokens_per_s = r.prefill->tokens_per_s;
      r.prefill_tokens_per_s_low = r.prefill_tokens_per_s;
      r.prefill_tokens_per_s_high = r.prefill_tokens_per_s;
      r.time_to_first_token_s = r.prefill->seconds;
    }
    const auto ideal_seconds = [&](double context) { return ideal_step_at(context).step_seconds; };
    r.generate_seconds =
        decode_span_seconds(options.context_tokens, options.generate_tokens, ideal_seconds);
    r.generate_tokens_per_s =
        r.generate_seconds > 0 ? options.generate_tokens / r.generate_seconds : r.tokens_per_s;
    // End to end: the prompt is in the cache when generation starts.
    r.end_to_end_seconds = r.time_to_first_token_s +
                           decode_span_seconds(options.context_tokens + options.prompt_tokens,
                                               options.generate_tokens, ideal_seconds);
    return finish(r);
  }
  const EngineModel engine =
      engine_model(efficiency, device, options.backend, model.spec, model.weights, r.roofs,
                   r.precision, options.prompt_tokens, options.engine_build);
  const EfficiencyClass* cls = engine.cls;
  r.efficiency_class = cls->id;
  const double step_s = engine.decode_seconds(r.step);
  r.tokens_per_s = 1.0 / step_s;
  r.tokens_per_s_low = r.tokens_per_s * std::exp(-cls->decode_log_spread);
  r.tokens_per_s_high = r.tokens_per_s * std::exp(cls->decode_log_spread);
  r.aggregate_tokens_per_s = batch / step_s;
  if (r.prefill) {
    const double prefill_s = engine.prefill_seconds(*r.prefill);
    r.prefill_tokens_per_s = options.prompt_tokens / prefill_s;
    r.prefill_tokens_per_s_low = r.prefill_tokens_per_s * std::exp(-cls->prefill_log_spread);
    r.prefill_tokens_per_s_high = r.prefill_tokens_per_s * std::exp(cls->prefill_log_spread);
    r.time_to_first_token_s = prefill_s;
  }
  const auto realistic_seconds = [&](double context) {
    return engine.decode_seconds(ideal_step_at(context));
  };
  r.generate_seconds =
      decode_span_seconds(options.context_tokens, options.generate_tokens, realistic_seconds);
  r.generate_tokens_per_s =
      r.generate_seconds > 0 ? options.generate_tokens / r.generate_seconds : r.tokens_per_s;
  // End to end: the prompt is in the cache when generation starts.
  r.end_to_end_seconds =
      r.time_to_first_token_s + decode_span_seconds(options.context_tokens + options.prompt_tokens,
                                                    options.generate_tokens, realistic_seconds);
  return finish(r);
}

namespace {

// Sum of f(c0 + i), i = 0..n-1, for f piecewise linear in the context: where f is linear over
// the span (its midpoint value is the mean of its ends) the sum is n * (f(first) + f(last)) / 2
// exactly; otherwise split the span in two. A step time has at most a few kinks (the bound
// changing, a sliding window filling), so this needs a handful of evaluations, not n.
double linear_pieces_sum(double c0, double n, const std::function<double(double)>& f, double f0,
                         double f_last, int depth) {
  if (n <= 2) {
    return n == 1 ? f0 : f0 + f_last;
  }
  const double half = std::floor(n / 2);
  const double f_mid = f(c0 + half);
  const double f_mid_before = f(c0 + half - 1);
  // Linear iff the two middle points lie on the chord through the ends.
  const double slope = (f_last - f0) / (n - 1);
  const double tolerance = 1e-12 * std::max({std::fabs(f0), std::fabs(f_last), 1e-300});
  const bool linear = std::fabs(f_mid - (f0 + slope * half)) <= tolerance &&
                      std::fabs(f_mid_before - (f0 + slope * (half - 1))) <= tolerance;
  if (linear || depth > 60) {
    return n * (f0 + f_last) / 2;
  }
  return linear_pieces_sum(c0, half, f, f0, f_mid_before, depth + 1) +
         linear_pieces_sum(c0 + half, n - half, f, f_mid, f_last, depth + 1);
}

}  // namespace

double decode_span_seconds(double context_tokens, double tokens,
                           const std::function<double(double)>& step_seconds) {
  const double n = std::floor(tokens);
  if (n <= 0) {
    return 0;
  }
  const double first = step_seconds(context_tokens);
  const double last = step_seconds(context_tokens + n - 1);
  return linear_pieces_sum(context_tokens, n, step_seconds, first, last, 0);
}

namespace {

constexpr auto real = detail::real_cell;
constexpr auto integer = detail::integer_cell;
constexpr auto text = detail::text_cell;
constexpr auto optional_real = detail::optional_real_cell;
using detail::make_column;

// Estimate fields read the result, the model and the options; a plain function pointer each.
struct ColumnDef {
  Column column;
  Cell (*value)(const EstimateResult&, const ModelInput&, const EstimateOptions&);
};

// The estimate's fields: machine id, human title, and how each is read off a result.
// Rows of this table are the JSON/CSV schema (schema_version 1); keep ids stable.
const std::vector<ColumnDef>& estimate_columns() {
  using K = CellKind;
  using U = HumanUnit;
  static const std::vector<ColumnDef> defs = {
      {make_column("device.id", "device", K::text, U::none, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return text(r.device->id);
       }},
      {make_column("device.name", "name", K::text, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return text(r.device->name);
       }},
      {make_column("device.vendor", "vendor", K::text, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return text(r.device->vendor);
       }},
      {make_column("device.kind", "kind", K::text, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return text(std::string(to_string(r.device->kind)));
       }},
      {make_column("model.id", "model", K::text, U::none, false),
       [](const EstimateResult&, const ModelInput& m, const EstimateOptions&) {
         return text(m.spec.id);
       }},
      {make_column("model.total_params", "params", K::real, U::none, false),
       [](const EstimateResult&, const ModelInput& m, const EstimateOptions&) {
         return real(m.weights.total_params);
       }},
      {make_column("model.active_params", "active params", K::real, U::none, false),
       [](const EstimateResult&, const ModelInput& m, const EstimateOptions&) {
         return real(m.spec.active_params > 0 ? m.spec.active_params : m.weights.total_params);
       }},
      {make_column("quant", "quant", K::text, U::none, true),
       [](const EstimateResult&, const ModelInput& m, const EstimateOptions&) {
         return text(m.quant_id);
       }},
      {make_column("quant_origin", "quant from", K::text, U::none, true),
       [](const EstimateResult&, const ModelInput& m, const EstimateOptions&) {
         return text(m.quant_origin);
       }},
      {make_column("kv_quant", "kv quant", K::text, U::none, false),
       [](const EstimateResult&, const ModelInput&, const EstimateOptions& o) {
         return text(o.kv_quant);
       }},
      {make_column("compute_precision", "precision", K::text, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return text(std::string(to_string(r.precision)));
       }},
      {make_column("batch", "batch", K::integer, U::none, false),
       [](const EstimateResult&, const ModelInput&, const EstimateOptions& o) {
         return integer(o.batch);
       }},
      {make_column("context_tokens", "context", K::integer, U::none, false),
       [](const EstimateResult&, const ModelInput&, const EstimateOptions& o) {
         return integer(o.context_tokens);
       }},
      {make_column("prompt_tokens", "prompt", K::integer, U::none, false),
       [](const EstimateResult&, const ModelInput&, const EstimateOptions& o) {
         return integer(o.prompt_tokens);
       }},
      {make_column("mem_bw_bytes_per_s", "bandwidth", K::real, U::bytes_per_s_gb, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.roofs.mem_bw_bytes_per_s);
       }},
      {make_column("peak_flops_per_s", "peak", K::real, U::flops_tera, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.roofs.peak_flops_per_s);
       }},
      {make_column("weights_bytes", "weights", K::real, U::bytes_gib, true),
       [](const EstimateResult&, const ModelInput& m, const EstimateOptions&) {
         return real(m.weights.total_bytes);
       }},
      {make_column("kv_cache_bytes", "KV cache", K::real, U::bytes_gib, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.fit.kv_cache_bytes);
       }},
      {make_column("weights_read_bytes", "weights read", K::real, U::bytes_gib, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.step.weights_read_bytes);
       }},
      {make_column("kv_read_bytes", "KV read", K::real, U::bytes_gib, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.step.kv_read_bytes);
       }},
      {make_column("flops_per_step", "FLOPs", K::real, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.step.flops);
       }},
      {make_column("memory_seconds", "memory time", K::real, U::seconds_auto, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.step.memory_seconds);
       }},
      {make_column("compute_seconds", "compute time", K::real, U::seconds_auto, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.step.compute_seconds);
       }},
      {make_column("memory_bound_tokens_per_s", "mem roof", K::real, U::tokens_per_s, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(1.0 / r.step.memory_seconds);
       }},
      {make_column("compute_bound_tokens_per_s", "compute roof", K::real, U::tokens_per_s, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(1.0 / r.step.compute_seconds);
       }},
      {make_column("bound", "bound", K::text, U::none, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return text(r.step.compute_bound ? "compute" : "memory");
       }},
      {make_column("ideal_tokens_per_s", "ideal", K::real, U::tokens_per_s, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.step.tokens_per_s);
       }},
      {make_column("tokens_per_s", "estimate", K::real, U::tokens_per_s, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.tokens_per_s);
       }},
      {make_column("tokens_per_s_low", "low", K::real, U::tokens_per_s, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.tokens_per_s_low);
       }},
      {make_column("tokens_per_s_high", "high", K::real, U::tokens_per_s, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.tokens_per_s_high);
       }},
      {make_column("aggregate_tokens_per_s", "total", K::real, U::tokens_per_s, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.aggregate_tokens_per_s);
       }},
      {make_column("fits", "fits", K::boolean, U::none, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return Cell{r.fit.fits};
       }},
      {make_column("fit_reason", "does not fit", K::text, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return detail::fit_reason_cell(r.fit.fits, "", r.fit.required_bytes,
                                        r.fit.available_bytes);
       }},
      {make_column("memory_required_bytes", "needs", K::real, U::bytes_gib, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.fit.required_bytes);
       }},
      {make_column("memory_available_bytes", "usable", K::real, U::bytes_gib, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.fit.available_bytes);
       }},
      {make_column("memory_margin_bytes", "margin", K::real, U::bytes_gib, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.fit.margin_bytes);
       }},
      {make_column("critical_batch", "crit. batch", K::real, U::none, false, 0),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return optional_real(r.critical_batch);
       }},
      {make_column("prefill_tokens_per_s", "prefill", K::real, U::tokens_per_s, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return r.prefill ? real(r.prefill_tokens_per_s) : Cell{};
       }},
      {make_column("prefill_tokens_per_s_low", "prefill low", K::real, U::tokens_per_s, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return r.prefill ? real(r.prefill_tokens_per_s_low) : Cell{};
       }},
      {make_column("prefill_tokens_per_s_high", "prefill high", K::real, U::tokens_per_s, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return r.prefill ? real(r.prefill_tokens_per_s_high) : Cell{};
       }},
      {make_column("time_to_first_token_seconds", "TTFT", K::real, U::seconds_auto, true),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return r.prefill ? real(r.time_to_first_token_s) : Cell{};
       }},
      {make_column("generate_tokens", "generate", K::integer, U::none, false),
       [](const EstimateResult&, const ModelInput&, const EstimateOptions& o) {
         return integer(o.generate_tokens);
       }},
      {make_column("generate_tokens_per_s", "tg avg", K::real, U::tokens_per_s, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.generate_tokens_per_s);
       }},
      {make_column("end_to_end_seconds", "end to end", K::real, U::seconds_auto, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.end_to_end_seconds);
       }},
      {make_column("power_w", "power [W]", K::real, U::none, false, 0),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return r.power_w > 0 ? real(r.power_w) : Cell{};
       }},
      {make_column("tokens_per_s_per_kusd", "tok/s per k$", K::real, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return optional_real(r.tokens_per_s_per_kusd);
       }},
      {make_column("joules_per_token", "J/token", K::real, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return optional_real(r.joules_per_token);
       }},
      {make_column("usd_per_million_tokens", "$/Mtok", K::real, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return optional_real(r.usd_per_million_tokens);
       }},
      {make_column("experts_touched", "experts read", K::real, U::none, false, 1),
       [](const EstimateResult& r, const ModelInput& m, const EstimateOptions&) {
         return m.weights.experts > 0 ? real(r.step.experts_touched) : Cell{};
       }},
      {make_column("kv_read_share", "KV share", K::real, U::ratio_percent, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return real(r.step.bytes > 0 ? r.step.kv_read_bytes / r.step.bytes : 0.0);
       }},
      {make_column("efficiency_class", "class", K::text, U::none, false),
       [](const EstimateResult& r, const ModelInput&, const EstimateOptions&) {
         return text(r.efficiency_class);
       }},
  };
  return defs;
}

}  // namespace

std::vector<std::string> estimate_sort_keys() {
  std::vector<std::string> keys;
  for (const auto& def : estimate_columns()) {
    keys.push_back(def.column.id);
  }
  return keys;
}

void conform_estimate_rows(Report& report, std::string_view mode) {
  for (const auto& def : estimate_columns()) {
    const int at = report.column_index(def.column.id);
    if (at >= 0) {
      if (report.columns[static_cast<std::size_t>(at)].kind != def.column.kind) {
        throw std::logic_error(
            fmt::format("estimate field '{}' has another kind in a {} row", def.column.id, mode));
      }
      continue;
    }
    Column c = def.column;
    c.human = false;
    report.columns.push_back(std::move(c));
    for (auto& row : report.rows) {
      row.emplace_back();
    }
  }
  // Every mode's table keeps the quant it used (always) and a row's reason not to fit.
  report.pinned_columns.emplace_back("quant");
  auto& essential = report.essential_columns;
  const auto fits = std::find(essential.begin(), essential.end(), "fits");
  essential.insert(fits == essential.end() ? essential.end() : fits + 1, "fit_reason");
  essential.emplace_back("quant_origin");
  report.columns.push_back(make_column("mode", "mode", CellKind::text, HumanUnit::none, false));
  for (auto& row : report.rows) {
    row.emplace_back(std::string(mode));
  }
}

Report estimate_report(const std::vector<EstimateResult>& results, const ModelInput& model,
                       const EstimateOptions& options, const std::string& sort_key) {
  Report report;
  report.command = "estimate";
  const auto& defs = estimate_columns();
  for (const auto& def : defs) {
    report.columns.push_back(def.column);
  }
  for (const auto& r : results) {
    std::vector<Cell> row;
    row.reserve(defs.size());
    for (const auto& def : defs) {
      row.push_back(def.value(r, model, options));
    }
    report.rows.push_back(std::move(row));
  }
  if (model.weights.experts > 0) {
    report.notes.push_back(fmt::format(
        "mixture of experts: a step reads the expected distinct experts per layer, "
        "E * (1 - (1 - k/E)^B) = {} * (1 - (1 - {}/{})^{}) under uniform routing{} "
        "(experts_touched; {{expert_skew}} for less uniform routing)",
        model.weights.experts, model.weights.experts_used, model.weights.experts, options.batch,
        options.expert_skew > 0
            ? fmt::format(", skew {} (effective batch B^(1 - skew))", options.expert_skew)
            : std::string()));
  }
  sort_rows(report, sort_key);
  detail::withhold_unfit_rows(report);
  report.essential_columns = {
      "tokens_per_s",         "fits",  "tokens_per_s_low",   "tokens_per_s_high",
      "prefill_tokens_per_s", "bound", "memory_margin_bytes"};
  conform_estimate_rows(report, "device");
  return report;
}

}  // namespace llmroof
