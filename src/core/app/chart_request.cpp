#include "llmroof/app/chart_request.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "llmroof/app/model_choice.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/numbers.hpp"

namespace llmroof {

RooflineDevice roofline_device(std::string label, const EstimateResult& result,
                               const ModelInput& model, const EstimateOptions& options,
                               const EfficiencyTable& efficiency) {
  RooflineDevice d;
  d.label = std::move(label);
  d.mem_bw_bytes_per_s = result.roofs.mem_bw_bytes_per_s;
  d.peak_flops_per_s = result.roofs.peak_flops_per_s;
  if (!options.ideal && result.device != nullptr) {
    const EngineModel engine =
        engine_model(efficiency, *result.device, normalize_key(options.backend), model.spec,
                     model.weights, result.roofs, result.precision, options.prompt_tokens);
    d.realistic_mem_bw_bytes_per_s =
        engine.cls->decode_bw_efficiency * engine.run.mem_bw_bytes_per_s;
    d.realistic_peak_flops_per_s = realistic_prefill_flops_per_s(*engine.cls, engine.run);
  }
  return d;
}

RooflinePoint decode_point(std::string label, const EstimateResult& result) {
  // tokens_per_s is per sequence: one step per token, so the step's FLOPs at that rate.
  return {std::move(label), result.step.flops / result.step.bytes,
          result.step.flops * result.tokens_per_s};
}

std::optional<RooflinePoint> prefill_point(std::string label, const EstimateResult& result) {
  if (!result.prefill || !(result.time_to_first_token_s > 0)) {
    return std::nullopt;
  }
  return RooflinePoint{std::move(label), result.prefill->flops / result.prefill->bytes,
                       result.prefill->flops / result.time_to_first_token_s};
}

RooflineOutcome run_roofline(const Database& db, const EstimateRequest& request) {
  if (request.count > 1 || request.split || request.split_ratio || request.link) {
    throw RequestError("device",
                       "the roofline draws single devices; drop {count}, {split}, {split_ratio} "
                       "and {link}");
  }
  if (request.gpu_layers || request.host || request.cpu_moe) {
    throw RequestError("gpu_layers",
                       "the roofline draws single devices; drop {gpu_layers}, {host} and "
                       "{cpu_moe}");
  }
  if (request.draft) {
    throw RequestError("draft", "the roofline draws one model; drop {draft}");
  }
  // A repeated device makes a group (see run_estimate); select_devices would merge it.
  std::vector<const Device*> named;
  for (const std::string& part : split_list(request.devices, ",")) {
    if (const auto match = find_device(db.devices(), part)) {
      if (std::find(named.begin(), named.end(), match->device) != named.end()) {
        throw RequestError("device", fmt::format("the roofline draws single devices; '{}' is "
                                                 "listed twice",
                                                 match->device->id));
      }
      named.push_back(match->device);
    }
  }
  const auto matches = select_devices(db.devices(), request.devices);
  // The estimate validates the request and states its notes and warnings.
  const Report estimated = run_estimate(db, request);
  const ModelChoice model = resolve_model(db, request.model, request.quant);
  EstimateOptions options = request.options;
  options.backend = normalize_key(options.backend);

  RooflineOutcome outcome;
  RooflineChart& chart = outcome.chart;
  chart.title = fmt::format("{} {}: roofline (context {:g})", model.input.spec.id,
                            model.input.quant_id, options.context_tokens);
  for (const auto& match : matches) {
    const Device& device = *match.device;
    EstimateOptions at = options;
    at.batch = 1;
    const EstimateResult first = estimate(device, model.input, at, db.efficiency());
    RooflineDevice d = roofline_device(device.id, first, model.input, at, db.efficiency());
    // Batch 1, the fixed batches, the request's and the critical batch, ascending; the
    // critical batch is named as such (also when it is one of the others).
    std::optional<int> critical;
    if (first.critical_batch && *first.critical_batch < (1 << 20)) {
      critical = std::max(1, static_cast<int>(std::lround(*first.critical_batch)));
    }
    std::vector<int> batches = {1, k_roofline_batches[0], k_roofline_batches[1],
                                std::max(1, options.batch), critical.value_or(1)};
    std::sort(batches.begin(), batches.end());
    batches.erase(std::unique(batches.begin(), batches.end()), batches.end());
    for (int batch : batches) {
      at.batch = batch;
      d.points.push_back(
          decode_point(fmt::format("b{}{}", batch, batch == critical ? " (critical)" : ""),
                       estimate(device, model.input, at, db.efficiency())));
    }
    if (auto p = prefill_point(fmt::format("prefill {:g}", options.prompt_tokens), first)) {
      d.points.push_back(std::move(*p));
    }
    chart.devices.push_back(std::move(d));
  }
  Report& report = outcome.report;
  report = roofline_report(chart);
  report.notes = estimated.notes;
  report.warnings = estimated.warnings;
  report.notes.push_back(
      options.ideal
          ? "{ideal}: every point sits on its device's roofs"
          : "points attain the realistic speed; dashed roofs are the efficiency class's share of "
            "the bandwidth (decode) and of the matmul peak (prefill)");
  return outcome;
}

SweepChartOutcome run_sweep_chart(const Database& db, const SweepRequest& request) {
  const auto matches = select_devices(db.devices(), request.device);
  if (request.format != OutputFormat::svg && matches.size() != 1) {
    throw RequestError("device",
                       fmt::format("{{format}} {} prints one sweep; '{}' selects {} "
                                   "devices (use {{format}} svg, or name one)",
                                   to_string(request.format), request.device, matches.size()));
  }
  SweepChartOutcome outcome;
  if (matches.size() <= 1) {
    // One device: the sweep as `llmroof sweep` runs it (a family alias notes its member).
    outcome.sweeps.push_back(run_sweep(db, request));
  } else {
    for (const auto& match : matches) {
      SweepRequest one = request;
      one.device = match.device->id;
      outcome.sweeps.push_back(run_sweep(db, one));
    }
  }
  std::vector<SweepSeries> series;
  for (const auto& sweep : outcome.sweeps) {
    // A single device is named by the title, several by the legend.
    series.push_back({outcome.sweeps.size() == 1 ? "" : sweep.device_id, &sweep.report});
    for (const auto& warning : sweep.report.warnings) {
      if (std::find(outcome.warnings.begin(), outcome.warnings.end(), warning) ==
          outcome.warnings.end()) {
        outcome.warnings.push_back(warning);
      }
    }
  }
  const SweepOutcome& first = outcome.sweeps.front();
  outcome.chart =
      sweep_line_chart(series, outcome.sweeps.size() == 1 ? first.title : first.model_label);
  return outcome;
}

}  // namespace llmroof
