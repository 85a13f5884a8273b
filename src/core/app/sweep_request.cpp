#include "llmroof/app/sweep_request.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/device_notes.hpp"
#include "app/roof_notes.hpp"
#include "llmroof/app/chart_request.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"

namespace llmroof {

namespace {

// The one device a sweep runs on; a family alias adds a note naming the member chosen.
const Device& one_device(const Database& db, const std::string& spec,
                         const EstimateOptions& options, std::vector<std::string>& notes) {
  const auto matches = select_devices(db.devices(), spec);
  if (matches.size() != 1) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < matches.size() && i < 5; ++i) {
      ids.push_back(matches[i].device->id);
    }
    throw RequestError(
        "device", fmt::format("sweep takes one device, but '{}' selects {} ({}{}); name one", spec,
                              matches.size(), fmt::join(ids, ", "),
                              matches.size() > ids.size() ? ", ..." : ""));
  }
  const DeviceMatch& match = matches.front();
  app::family_note(notes, match, db.devices(), options);
  app::memory_note(notes, *match.device, options);
  return *match.device;
}

}  // namespace

SweepOutcome run_sweep(const Database& db, const SweepRequest& o) {
  const ModelChoice model = resolve_model(db, o.model, o.quant);
  std::vector<std::string> notes = model.notes;
  const Device& device = one_device(db, o.device, o.options, notes);

  const bool parallel = o.parallel.has_value();
  EstimateOptions base = o.options;
  base.backend = normalize_key(base.backend);
  require_backend(device, base.backend);
  base.prompt_tokens =
      static_cast<double>(o.prompt.value_or(parallel ? k_parallel_prompt_tokens : 0));
  base.generate_tokens =
      static_cast<double>(o.generate.value_or(parallel ? k_parallel_generate_tokens : 0));
  const auto contexts = parse_sweep_list(o.context, "context", 0, k_max_sweep_context_tokens);

  auto precision_note = [&](const EstimateResult& r) {
    if (r.int8_activations) {
      notes.push_back(app::int8_roof_note({device.id}, model.input.quant_id));
    }
    if (r.precision_fell_back) {
      notes.push_back(app::precision_note(
          {device.id}, base.compute_precision.value_or(model.input.compute), r.precision));
    }
  };
  SweepOutcome outcome;
  outcome.model_label = fmt::format("{} {}", model.input.spec.id, model.input.quant_id);
  outcome.device_id = device.id;
  outcome.title = fmt::format("{} on {}", outcome.model_label, device.id);
  const bool charts = o.chart && o.format == OutputFormat::table;
  BarChart chart;
  RooflineChart roofline;
  roofline.title = "roofline of the sweep: " + outcome.title;
  if (parallel) {
    if (contexts.size() != 1) {
      throw RequestError("parallel",
                         "{parallel} takes one {context} value (tokens cached before each prompt)");
    }
    ParallelOptions options;
    options.base = base;
    options.base.context_tokens = static_cast<double>(contexts.front());
    options.users = parse_sweep_list(*o.parallel, "parallel", 1, k_max_sweep_batch);
    ParallelResult result = parallel_sweep(device, model.input, options, db.efficiency());
    outcome.report = parallel_report(result, model.input, options);
    if (charts) {
      chart = parallel_chart(result, options);
      RooflineDevice d = roofline_device(device.id, result.runs.front().decode, model.input,
                                         options.base, db.efficiency());
      for (const auto& run : result.runs) {
        d.points.push_back(decode_point(
            fmt::format("{} user{}", run.users, run.users == 1 ? "" : "s"), run.decode));
      }
      roofline.devices.push_back(std::move(d));
    }
    precision_note(result.runs.front().decode);
    outcome.parallel = std::move(result);
  } else {
    SweepOptions options;
    options.base = base;
    options.batches = parse_sweep_list(o.batch, "batch", 1, k_max_sweep_batch);
    options.contexts = contexts;
    SweepResult result = sweep(device, model.input, options, db.efficiency());
    outcome.report = sweep_report(result, model.input, options);
    if (charts) {  // only drawn in the table format: a 10,000-point JSON sweep builds none
      chart = sweep_chart(result, options);
      RooflineDevice d = roofline_device(device.id, result.points.front().estimate, model.input,
                                         options.base, db.efficiency());
      const bool batches = options.batches.size() > 1;
      const bool both = batches && options.contexts.size() > 1;
      for (const auto& p : result.points) {
        d.points.push_back(decode_point(both ? fmt::format("b{} c{}", p.batch, p.context_tokens)
                                        : batches ? fmt::format("b{}", p.batch)
                                                  : fmt::format("context {}", p.context_tokens),
                                        p.estimate));
      }
      roofline.devices.push_back(std::move(d));
    }
    precision_note(result.points.front().estimate);
    outcome.grid = std::move(result);
  }
  Report& report = outcome.report;
  report.notes.insert(report.notes.begin(), notes.begin(), notes.end());
  report.warnings.insert(report.warnings.begin(), model.warnings.begin(), model.warnings.end());
  for (const auto& id : o.show) {
    const int i = report.column_index(id);
    if (i < 0) {
      throw RequestError(
          "show", fmt::format("unknown column '{}' for {{show}} (see the JSON field names)", id));
    }
    report.columns[static_cast<std::size_t>(i)].human = true;
    report.pinned_columns.push_back(id);
  }
  if (charts) {
    outcome.chart = std::move(chart);
    outcome.roofline = std::move(roofline);
  } else if (o.chart) {
    report.warnings.push_back(
        fmt::format("{{chart}} draws in the table format only; no chart with {{format}} {}",
                    to_string(o.format)));
  }
  return outcome;
}

}  // namespace llmroof
