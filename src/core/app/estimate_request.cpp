#include "llmroof/app/estimate_request.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

#include "app/device_notes.hpp"
#include "app/roof_notes.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/report/explain.hpp"
#include "llmroof/scenarios/cluster.hpp"
#include "llmroof/scenarios/explain_estimate.hpp"
#include "llmroof/scenarios/offload.hpp"
#include "llmroof/scenarios/speculative.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/numbers.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

namespace {

// Optional table columns: shown when the run makes them meaningful or --show asks.
void show_column(Report& report, const std::string& id) {
  const int i = report.column_index(id);
  if (i >= 0) {
    report.columns[static_cast<std::size_t>(i)].human = true;
  }
}

// split_ratio "3,1" (or llama.cpp's "3/1"): positive numbers.
std::vector<double> parse_split_ratio(const std::string& text) {
  std::vector<double> ratio;
  for (const std::string& part : split_list(text, ",/")) {
    const auto parsed = parse_double(trim(part));
    if (!parsed) {
      throw RequestError("split_ratio",
                         fmt::format("bad {{split_ratio}} '{}': '{}' is not a number", text, part));
    }
    const double value = parsed.value;
    if (!(value > 0)) {
      throw RequestError(
          "split_ratio",
          fmt::format("bad {{split_ratio}} '{}': every share must be a positive number", text));
    }
    ratio.push_back(value);
  }
  return ratio;
}

// gpu_layers: a count, or "auto" (nullopt).
std::optional<int> parse_gpu_layers(const std::string& text) {
  if (normalize_key(text) == "auto") {
    return std::nullopt;
  }
  const auto value = to_int64(text, 0, 100000);
  if (!value) {
    throw RequestError(
        "gpu_layers",
        fmt::format("bad {{gpu_layers}} '{}': give a number of layers (0 or more) or 'auto'",
                    text));
  }
  return static_cast<int>(*value);
}

// One element of a device list: a device, or a group written "Nx DEVICE" (the label the
// output prints, "2x rtx-3090") or "A+B[+...]". nullopt when the element is neither (a plain
// name: an id, alias or filter, left to select_devices).
std::optional<std::vector<DeviceMatch>> parse_group_element(const DeviceDb& db,
                                                            std::string_view element) {
  const std::string_view text = trim(element);
  if (text.find_first_of("xX+") == std::string_view::npos || find_device(db, text)) {
    return std::nullopt;  // a device whose name has an 'x' or a '+' ("xeon-8480+")
  }
  const auto group_member = [&](std::string_view name) {
    const std::string id(trim(name));
    if (auto match = find_device(db, id)) {
      return *match;
    }
    const auto selected = select_devices(db, id);  // throws for an unknown name
    throw RequestError("device", fmt::format("'{}' selects {} devices; a group lists device ids "
                                             "(write a group as 2x DEVICE or A+B)",
                                             id, selected.size()));
  };
  const auto x = text.find_first_of("xX");
  if (x != std::string_view::npos && x > 0) {
    if (const auto n = to_int64(trim(text.substr(0, x)), 1, 1024)) {
      const std::string_view rest = trim(text.substr(x + 1));
      if (!rest.empty()) {
        return std::vector<DeviceMatch>(static_cast<std::size_t>(*n), group_member(rest));
      }
    }
  }
  if (text.find('+') != std::string_view::npos) {
    std::vector<DeviceMatch> members;
    for (const std::string& name : split_list(text, "+")) {
      members.push_back(group_member(name));
    }
    return members;
  }
  return std::nullopt;
}

// Common end of every mode: optional columns, --show, notes, warnings, output.
void finish(Report& report, const EstimateRequest& o, std::vector<std::string> notes,
            std::vector<std::string> warnings) {
  if (o.generate_given) {
    show_column(report, "generate_tokens_per_s");
    show_column(report, "end_to_end_seconds");
  }
  if (o.options.batch > 1) {
    show_column(report, "aggregate_tokens_per_s");
  }
  // The usable memory an override gave is kept in a narrowed table right after the fit.
  if ((o.options.memory_bytes || o.options.usable_memory_bytes) &&
      report.column_index("memory_available_bytes") >= 0) {
    show_column(report, "memory_available_bytes");
    auto& essential = report.essential_columns;
    auto after = std::find(essential.begin(), essential.end(), "fit_reason");
    if (after == essential.end()) {
      after = std::find(essential.begin(), essential.end(), "fits");
    }
    essential.insert(after == essential.end() ? essential.end() : after + 1,
                     "memory_available_bytes");
  }
  if (o.options.batch > 1 || o.options.context_tokens > 0) {
    show_column(report, "kv_read_share");
  }
  if (o.options.price_usd_per_hour) {
    show_column(report, "usd_per_million_tokens");
  }
  if (o.options.power_w) {
    show_column(report, "joules_per_token");
  }
  for (const auto& id : o.show) {
    if (report.column_index(id) < 0) {
      throw RequestError(
          "show", fmt::format("unknown column '{}' for {{show}} (see the JSON field names)", id));
    }
    show_column(report, id);
    report.pinned_columns.push_back(id);
  }
  // The command's notes first, then what the report itself states.
  report.notes.insert(report.notes.begin(), notes.begin(), notes.end());
  report.warnings = std::move(warnings);
  if (o.options.ideal) {
    report.notes.insert(report.notes.begin(),
                        "{ideal}: pure roofline (efficiency 1, no overheads); low = high = ideal");
  }
}

// The explanation of the row of `report` (sorted) whose device is `row` ("" = the first row),
// with the report's notes and warnings.
// The id (in `column`: the device id, or a group's label) of the row of `report` that `row`
// names ("" = the first row); throws RequestError naming the rows when none matches.
std::string explain_row_id(const Report& report, const std::string& row,
                           const std::string& column = "device.id") {
  const int id_column = report.column_index(column);
  std::vector<std::string> ids;
  for (const auto& cells : report.rows) {
    ids.push_back(std::get<std::string>(cells[static_cast<std::size_t>(id_column)]));
  }
  std::string wanted = ids.front();
  if (!row.empty()) {
    const auto it = std::find_if(ids.begin(), ids.end(), [&](const std::string& id) {
      return normalize_key(id) == normalize_key(row);
    });
    if (it == ids.end()) {
      throw RequestError("explain",
                         fmt::format("'{}' is not a row of this estimate; {{explain}} takes one "
                                     "of: {}",
                                     row, fmt::join(ids, ", ")),
                         ids);
    }
    wanted = *it;
  }
  return wanted;
}

Report explain_row(const Report& report, const std::vector<EstimateResult>& results,
                   const std::string& row, const ModelInput& model, const EstimateOptions& options,
                   const EfficiencyTable& efficiency) {
  const std::string wanted = explain_row_id(report, row);
  const auto result = std::find_if(results.begin(), results.end(),
                                   [&](const EstimateResult& r) { return r.device->id == wanted; });
  Report out = explanation_report(explain_estimate(*result, model, options, efficiency));
  out.notes = report.notes;
  out.warnings = report.warnings;
  return out;
}

Report run_single(const EstimateRequest& o, const Database& db, const ModelChoice& model,
                  const EstimateOptions& options) {
  const auto matches = select_devices(db.devices(), o.devices);
  std::vector<EstimateResult> results;
  std::vector<std::string> notes = model.notes;
  std::vector<std::string> warnings = model.warnings;
  // Devices that lack the requested precision, by the precision used instead: one note each.
  std::map<Precision, std::vector<std::string>> fell_back;
  std::vector<std::string> int8_roof;  // devices whose int8 peak is the roof
  std::deque<Device> repriced;         // priced_for_memory's copies, pointed at by the results
  for (const auto& match : matches) {
    require_backend(*match.device, options.backend, &db.devices());
    app::family_note(notes, match, db.devices(), options);
    const Device* device =
        app::priced_for_memory(db.devices(), *match.device, options, repriced, notes);
    results.push_back(estimate(*device, model.input, options, db.efficiency()));
    const auto& r = results.back();
    app::memory_note(notes, *match.device, options);
    if (r.precision_fell_back) {
      fell_back[r.precision].push_back(match.device->id);
    }
    if (r.int8_activations) {
      int8_roof.push_back(match.device->id);
    }
    if (r.threads && (r.threads->bandwidth_factor != 1 || r.threads->compute_factor != 1 ||
                      r.threads->from_measurement)) {
      notes.push_back(
          fmt::format("{} on {} thread(s) of {} core(s): bandwidth x{:.2f}, compute x{:.2f} ({})",
                      match.device->id, r.threads->threads, r.threads->cores,
                      r.threads->bandwidth_factor, r.threads->compute_factor,
                      r.threads->from_measurement
                          ? "the device's per-thread measurements"
                          : fmt::format("{:.0f} GB/s per core until the memory saturates",
                                        k_core_read_bytes_per_s / units::k_gb)));
    } else if (r.threads && r.threads->cores == 0) {
      notes.push_back(fmt::format("{}: {{threads}} ignored (not a CPU run, or no core count)",
                                  match.device->id));
    }
    if (r.roofs.mem_bw_measured && !options.ideal) {
      notes.push_back(fmt::format(
          "{}: the bandwidth is a measured sustained read, not a vendor peak; decode reaches "
          "{:.2f} of it",
          match.device->id, k_measured_read_efficiency));
    }
  }
  const Precision requested = options.compute_precision.value_or(model.input.compute);
  for (const auto& [used, ids] : fell_back) {
    notes.push_back(app::precision_note(ids, requested, used));
  }
  if (!int8_roof.empty()) {
    notes.push_back(app::int8_roof_note(int8_roof, model.input.quant_id));
  }
  if (matches.size() == 1 && !results.front().fit.fits) {
    warnings.push_back(fmt::format(
        "{} at {} needs {:.1f} GiB but {} offers {:.1f} GiB: it does not fit, so no speed is "
        "given (see {{gpu_layers}} for a partial offload to the host, {{quant}}, {{count}}, "
        "{{memory}}, {{usable_memory}})",
        model.input.spec.id, model.input.quant_id,
        results.front().fit.required_bytes / units::k_gib, results.front().device->id,
        results.front().fit.available_bytes / units::k_gib));
  }
  Report report = estimate_report(results, model.input, options, o.sort);
  finish(report, o, std::move(notes), std::move(warnings));
  if (o.explain) {
    return explain_row(report, results, *o.explain, model.input, options, db.efficiency());
  }
  return report;
}

// The default link of a group: PCIe between GPUs of one machine, Thunderbolt between Macs,
// else Ethernet between separate machines.
std::string default_link_id(const std::vector<const Device*>& devices) {
  auto all = [&](DeviceKind kind) {
    return std::all_of(devices.begin(), devices.end(),
                       [kind](const Device* d) { return d->kind == kind; });
  };
  if (all(DeviceKind::gpu)) {
    return "pcie-4-x16";
  }
  if (all(DeviceKind::apple_soc)) {
    return "thunderbolt-5";
  }
  return "10gbe";
}

Report run_groups(const EstimateRequest& o, const Database& data, const ModelChoice& model,
                  const EstimateOptions& options,
                  const std::vector<std::vector<DeviceMatch>>& listed, bool repeats) {
  const DeviceDb& db = data.devices();
  std::vector<std::string> notes = model.notes;
  std::vector<std::string> warnings = model.warnings;
  std::vector<GroupSpec> groups;
  std::deque<Device> repriced;  // priced_for_memory's copies, pointed at by the groups
  if (o.count > 1) {
    if (repeats) {
      throw RequestError(
          "count",
          "{count} groups each listed device; list every device of one group instead, or drop "
          "the repeated id");
    }
    for (const auto& match : select_devices(db, o.devices)) {
      require_backend(*match.device, options.backend, &db);
      app::family_note(notes, match, data.devices(), options);
      const Device* device = app::priced_for_memory(db, *match.device, options, repriced, notes);
      app::memory_note(notes, *match.device, options);
      GroupSpec g;
      g.devices.assign(static_cast<std::size_t>(o.count), device);
      groups.push_back(std::move(g));
    }
  } else {
    for (const auto& members : listed) {
      GroupSpec g;
      for (const auto& match : members) {
        require_backend(*match.device, options.backend, &db);
        app::family_note(notes, match, data.devices(), options);
        g.devices.push_back(app::priced_for_memory(db, *match.device, options, repriced, notes));
        app::memory_note(notes, *match.device, options);
      }
      groups.push_back(std::move(g));
    }
  }
  const SplitMode split =
      o.split ? parse_split_mode(*o.split).value_or(SplitMode::layer) : SplitMode::layer;
  std::vector<double> ratio;
  if (o.split_ratio) {
    ratio = parse_split_ratio(*o.split_ratio);
  }
  const LinkDb* links = nullptr;
  const bool needs_link =
      o.link.has_value() || std::any_of(groups.begin(), groups.end(),
                                        [](const GroupSpec& g) { return g.devices.size() > 1; });
  if (needs_link) {
    links = &data.links();
  }
  std::vector<GroupResult> results;
  for (auto& g : groups) {
    g.split = split;
    g.split_ratio = ratio;
    if (o.link) {
      g.link = &require_link(*links, *o.link);
    } else if (g.devices.size() > 1) {
      const std::string id = default_link_id(g.devices);
      g.link = &require_link(*links, id);
      const DeviceKind kind = g.devices.front()->kind;
      const std::string note = fmt::format(
          "no {{link}} given: {} ({}) assumed between {}; choose with {{link}}", id, g.link->name,
          kind == DeviceKind::gpu         ? "GPUs"
          : kind == DeviceKind::apple_soc ? "Macs"
                                          : "machines");
      if (std::find(notes.begin(), notes.end(), note) == notes.end()) {
        notes.push_back(note);
      }
    }
    results.push_back(estimate_group(g, model.input, options, data.efficiency()));
    const GroupResult& r = results.back();
    for (std::size_t i = 0; i < r.members.size(); ++i) {
      const GroupMember& m = r.members[i];
      if (!m.fit.fits) {
        warnings.push_back(fmt::format(
            "{}: device {} ({}) needs {:.1f} GiB for its share but offers {:.1f} GiB: the "
            "group does not fit, so no speed is given (see {{count}}, {{split_ratio}}, "
            "{{quant}})",
            r.label, i + 1, m.alone.device->id, m.fit.required_bytes / units::k_gib,
            m.fit.available_bytes / units::k_gib));
        break;
      }
    }
  }
  if (split == SplitMode::layer) {
    notes.push_back(fmt::format(
        "layer split: each device holds whole layers ({}); a token passes the devices in turn, "
        "one hop of the activations per boundary; a batch is cut into micro-batches that fill "
        "the pipeline",
        o.split_ratio ? "shares from {split_ratio}" : "in proportion to usable memory"));
  } else {
    notes.emplace_back(
        "tensor split: every weight matrix and the KV cache are divided among the devices; "
        "each layer costs two ring all-reduces of the activations (f32) over the link");
  }
  Report report = group_report(results, model.input, options, o.sort);
  if (o.options.power_w) {
    show_column(report, "power_w");
  }
  finish(report, o, std::move(notes), std::move(warnings));
  if (o.explain) {
    const std::string wanted = explain_row_id(report, *o.explain, "group");
    const auto r = std::find_if(results.begin(), results.end(),
                                [&](const GroupResult& x) { return x.label == wanted; });
    Report out = explanation_report(explain_group(*r, model.input, options));
    out.notes = report.notes;
    out.warnings = report.warnings;
    return out;
  }
  return report;
}

Report run_offload(const EstimateRequest& o, const Database& data, const ModelChoice& model,
                   const EstimateOptions& options) {
  const DeviceDb& db = data.devices();
  if (options.backend == "cpu") {
    throw RequestError(
        "backend", "{backend} cpu runs the whole model on the CPU; drop it for partial offload");
  }
  const std::string host_name = o.host.value_or(std::string(k_default_offload_host));
  const auto host_match = find_device(db, host_name);
  if (!host_match) {
    const auto selected = select_devices(db, host_name, "host");  // throws for an unknown name
    throw RequestError("host", fmt::format("{{host}} '{}' selects {} devices; give one device id",
                                           host_name, selected.size()));
  }
  const Device* host = host_match->device;
  OffloadSpec spec;
  spec.host = host;
  spec.cpu_moe = o.cpu_moe;
  if (o.gpu_layers) {
    if (o.cpu_moe) {
      throw RequestError("cpu_moe",
                         "{cpu_moe} keeps every non-expert tensor on the GPU; drop {gpu_layers}");
    }
    spec.gpu_layers = parse_gpu_layers(*o.gpu_layers);
  }
  // The GPU's bus to host memory: what a long prompt streams the host's weights over.
  spec.bus = &require_link(data.links(), "pcie-4-x16");
  std::vector<std::string> notes = model.notes;
  std::vector<std::string> warnings = model.warnings;
  std::vector<OffloadResult> results;
  std::deque<Device> repriced;  // priced_for_memory's copies, pointed at by the results
  for (const auto& match : select_devices(db, o.devices)) {
    require_backend(*match.device, options.backend, &db);
    app::family_note(notes, match, data.devices(), options);
    spec.gpu = app::priced_for_memory(db, *match.device, options, repriced, notes);
    results.push_back(estimate_offload(spec, model.input, options, data.efficiency()));
    const OffloadResult& r = results.back();
    if (!r.gpu_fit.fits) {
      warnings.push_back(fmt::format(
          "{}: the GPU part needs {:.1f} GiB but it offers {:.1f} GiB: it does not fit, so no "
          "speed is given (lower {{gpu_layers}} or use 'auto')",
          match.device->id, r.gpu_fit.required_bytes / units::k_gib,
          r.gpu_fit.available_bytes / units::k_gib));
    }
    if (!r.host_fit.fits) {
      warnings.push_back(fmt::format("{}: the host part needs {:.1f} GiB but {} offers {:.1f} GiB",
                                     match.device->id, r.host_fit.required_bytes / units::k_gib,
                                     host->id, r.host_fit.available_bytes / units::k_gib));
    }
  }
  if (o.cpu_moe) {
    notes.push_back(fmt::format(
        "{{cpu_moe}}: routed experts are read by {} ({:.1f} GB/s) and the rest, with the KV cache, "
        "by the GPU; the two parts run one after the other",
        host->id, host->mem_bw_bytes_per_s / units::k_gb));
  } else {
    notes.push_back(fmt::format(
        "offload: GPU layers are read by the GPU, the other layers and their KV cache by {} "
        "({:.1f} GB/s); the two parts run one after the other{}",
        host->id, host->mem_bw_bytes_per_s / units::k_gb,
        spec.gpu_layers ? "" : "; 'auto' puts as many layers on the GPU as fit"));
  }
  if (options.prompt_tokens >= k_offload_min_batch) {
    notes.push_back(fmt::format(
        "prompt: the host's part runs on the host, or on the GPU with its weights copied over {} "
        "(llama.cpp's default for batches of {:g}+ tokens), whichever is faster",
        spec.bus->name, k_offload_min_batch));
  }
  Report report = offload_report(results, model.input, options, o.sort);
  finish(report, o, std::move(notes), std::move(warnings));
  if (o.explain) {
    const std::string wanted = explain_row_id(report, *o.explain);
    const auto r = std::find_if(results.begin(), results.end(), [&](const OffloadResult& x) {
      return x.gpu_alone.device->id == wanted;
    });
    Report out = explanation_report(explain_offload(*r, model.input, options));
    out.notes = report.notes;
    out.warnings = report.warnings;
    return out;
  }
  return report;
}

Report run_speculative(const EstimateRequest& o, const Database& db, const ModelChoice& model,
                       const EstimateOptions& options) {
  if (!o.acceptance) {
    throw RequestError(
        "acceptance",
        "{draft} needs {acceptance}: the chance that the target accepts a drafted token, "
        "e.g. 0.78");
  }
  std::optional<std::string> draft_quant = o.draft_quant;
  if (!draft_quant) {
    draft_quant = o.quant;
  }
  ModelChoice draft;
  try {
    draft = resolve_model(db, *o.draft, draft_quant, "draft", "draft_quant");
  } catch (const RequestError& e) {
    throw RequestError(e.field(), "{draft}: " + e.message_template(), e.suggestions());
  }
  std::vector<std::string> notes = model.notes;
  for (const auto& note : draft.notes) {
    notes.push_back("draft: " + note);
  }
  std::vector<std::string> warnings = model.warnings;
  for (const auto& warning : draft.warnings) {
    warnings.push_back("draft: " + warning);
  }
  SpeculativeSpec spec;
  spec.draft = draft.input;
  spec.draft_tokens = o.draft_tokens.value_or(8);
  spec.acceptance = *o.acceptance;
  std::vector<SpeculativeResult> results;
  std::deque<Device> repriced;  // priced_for_memory's copies, pointed at by the results
  for (const auto& match : select_devices(db.devices(), o.devices)) {
    require_backend(*match.device, options.backend, &db.devices());
    app::family_note(notes, match, db.devices(), options);
    const Device* device =
        app::priced_for_memory(db.devices(), *match.device, options, repriced, notes);
    results.push_back(estimate_speculative(*device, model.input, spec, options, db.efficiency()));
    const SpeculativeResult& r = results.back();
    if (r.verify_on_matrix_kernels) {
      notes.push_back(fmt::format(
          "{}: a verification pass of {} tokens is wider than the {} columns llama.cpp's "
          "matrix-vector kernels take, so it runs as a {}-row matmul ({:.0f} ms against {:.0f} ms "
          "for one plain step); --draft-tokens {} keeps it on them",
          r.target.device->id, spec.draft_tokens + 1, r.vector_batch_max, spec.draft_tokens + 1,
          1e3 * r.verify_seconds, 1e3 / r.plain_tokens_per_s, r.vector_batch_max - 1));
    }
    if (!r.fit.fits) {
      warnings.push_back(fmt::format(
          "{}: target and draft need {:.1f} GiB but it offers {:.1f} GiB: they do not fit, so "
          "no speed is given",
          match.device->id, r.fit.required_bytes / units::k_gib,
          r.fit.available_bytes / units::k_gib));
    }
  }
  notes.push_back(fmt::format(
      "speculative: {} drafted tokens per pass, each accepted with probability {:g}: {:.3f} "
      "tokens per pass, {:.1f}% of drafted tokens accepted (the figure llama.cpp prints as "
      "'accept'); a pass is {} draft steps plus one target step over {} tokens",
      spec.draft_tokens, spec.acceptance,
      expected_tokens_per_pass(spec.acceptance, spec.draft_tokens),
      100.0 * expected_draft_acceptance_rate(spec.acceptance, spec.draft_tokens), spec.draft_tokens,
      spec.draft_tokens + 1));
  Report report = speculative_report(results, model.input, spec, options, o.sort);
  finish(report, o, std::move(notes), std::move(warnings));
  if (o.explain) {
    const std::string& wanted = explain_row_id(report, *o.explain);
    const auto r = std::find_if(results.begin(), results.end(), [&](const SpeculativeResult& x) {
      return x.target.device->id == wanted;
    });
    Report out = explanation_report(
        explain_speculative(*r, model.input, draft.input, options, db.efficiency()));
    out.notes = report.notes;
    out.warnings = report.warnings;
    return out;
  }
  return report;
}

}  // namespace

// {backend} cpu {host} CPU on devices that have no CPU of their own in the data (a discrete
// GPU): each such device's row is the host's CPU and memory. Returns the request with the
// device list rewritten (one row per distinct device) and a note per substitution.
EstimateRequest run_on_host_cpu(const DeviceDb& db, const EstimateRequest& o,
                                std::vector<std::string>& notes) {
  const auto host_match = find_device(db, *o.host);
  if (!host_match) {
    const auto selected = select_devices(db, *o.host, "host");  // throws for an unknown name
    throw RequestError("host", fmt::format("{{host}} '{}' selects {} devices; give one device id",
                                           *o.host, selected.size()));
  }
  const Device& host = *host_match->device;
  if (host.kind != DeviceKind::cpu) {
    throw RequestError(
        "host", fmt::format("{{backend}} cpu {{host}} runs the model on a CPU; "
                            "'{}' is of kind {} (CPU devices: {})",
                            host.id, to_string(host.kind), fmt::join(cpu_host_examples(db), ", ")));
  }
  std::vector<std::string> ids;
  for (const auto& match : select_devices(db, o.devices)) {
    const auto runs = runnable_backends(*match.device);
    const bool own_cpu = std::find(runs.begin(), runs.end(), "cpu") != runs.end();
    const std::string id = own_cpu ? match.device->id : host.id;
    if (!own_cpu) {
      notes.push_back(fmt::format(
          "{}: {{backend}} cpu runs on the host {} ({}): its CPU and memory, {:.1f} GB/s, "
          "{:.2f} TFLOPS fp32, {:.0f} GiB, the CPU engine class; the row is the host's",
          match.device->id, host.id, host.name, host.mem_bw_bytes_per_s / units::k_gb,
          host.roof_peak(Precision::fp32) / units::k_tera, host.max_memory_bytes() / units::k_gib));
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
      ids.push_back(id);
    }
  }
  EstimateRequest hosted = o;
  hosted.devices = fmt::format("{}", fmt::join(ids, ","));
  hosted.host.reset();
  return hosted;
}

Report run_estimate(const Database& data, const EstimateRequest& o) {
  ModelChoice model = resolve_model(data, o.model, o.quant);
  EstimateOptions options = o.options;
  options.backend = normalize_key(options.backend);
  // Tokens the KV cache holds by the end of the run, against the model's trained context.
  const double held_tokens =
      options.context_tokens + options.prompt_tokens + options.generate_tokens;
  const std::int64_t trained = model.input.spec.max_context;
  if (trained > 0 && held_tokens > static_cast<double>(trained)) {
    model.warnings.push_back(fmt::format(
        "{} was trained for {} tokens of context; this run holds {:.0f} (context + prompt + "
        "generated), beyond what the model can attend to well (see {{context}})",
        model.input.spec.name, trained, held_tokens));
  }

  const bool speculative = o.draft.has_value();
  if (!speculative && (o.acceptance || o.draft_quant || o.draft_tokens)) {
    throw RequestError("draft", "{acceptance}, {draft_quant} and {draft_tokens} need {draft}");
  }
  // --backend cpu --host CPU without a partial offload: the model runs on the host's CPU.
  const bool on_host_cpu =
      options.backend == "cpu" && o.host.has_value() && !o.gpu_layers && !o.cpu_moe;
  if (on_host_cpu) {
    if (speculative) {
      throw RequestError("draft", "{draft} does not combine with {backend} cpu {host}");
    }
    std::vector<std::string> host_notes;
    const EstimateRequest hosted = run_on_host_cpu(data.devices(), o, host_notes);
    Report report = run_estimate(data, hosted);
    report.notes.insert(report.notes.begin(), host_notes.begin(), host_notes.end());
    return report;
  }
  const bool offload = o.gpu_layers.has_value() || o.host.has_value() || o.cpu_moe;

  // The device list: devices and groups side by side ("2x rtx-3090,m4-max", "a+b"). Without
  // group syntax, a list that repeats one id and nothing else ("rtx-3090,rtx-3090") is that
  // group; a repeat among other devices is ambiguous and an error.
  const DeviceDb& db = data.devices();
  std::vector<DeviceMatch> parts;
  std::vector<std::vector<DeviceMatch>> listed;
  bool all_devices = true;
  bool group_syntax = false;
  for (const std::string& part : split_list(o.devices, ",")) {
    if (auto members = parse_group_element(db, part)) {
      group_syntax = true;
      listed.push_back(std::move(*members));
    } else if (auto match = normalize_key(part) == "all" ? std::nullopt : find_device(db, part)) {
      parts.push_back(*match);
      listed.push_back({*match});
    } else {
      all_devices = false;
    }
  }
  if (group_syntax && !all_devices) {
    for (const std::string& part : split_list(o.devices, ",")) {
      if (!parse_group_element(db, part) && !find_device(db, part)) {
        const auto selected = select_devices(db, part);  // throws for an unknown name
        throw RequestError(
            "device", fmt::format("'{}' selects {} devices; a list with groups names one device "
                                  "or one group per element",
                                  part, selected.size()));
      }
    }
  }
  if (group_syntax && o.count > 1) {
    throw RequestError("count",
                       "{count} repeats every listed device; it does not combine with "
                       "a group written as 2x DEVICE or A+B");
  }
  bool repeats = false;
  bool only_repeats = true;
  for (std::size_t i = 0; i < parts.size() && all_devices; ++i) {
    only_repeats = only_repeats && parts[i].device == parts.front().device;
    for (std::size_t j = 0; j < i; ++j) {
      repeats = repeats || parts[i].device == parts[j].device;
    }
  }
  if (repeats && (group_syntax || !only_repeats) && o.count == 1) {
    std::string repeated;
    for (std::size_t i = 0; i < parts.size() && repeated.empty(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (parts[i].device == parts[j].device) {
          repeated = parts[i].device->id;
        }
      }
    }
    throw RequestError(
        "device",
        fmt::format("'{0}' is listed more than once among other devices; write side by side "
                    "rows as 2x {0},OTHER, or one group of them all as {1}",
                    repeated, fmt::format("{}", fmt::join(split_list(o.devices, ","), "+"))));
  }
  if (repeats && only_repeats && !group_syntax) {
    listed = {parts};
  } else if (!group_syntax && (o.split || o.split_ratio || o.link)) {
    listed = {parts};  // a split or link asked for: the listed devices work as one group
  }
  const bool group = o.count > 1 || repeats || group_syntax || o.split || o.split_ratio || o.link;
  if (group && offload) {
    throw RequestError(
        "gpu_layers",
        "{gpu_layers}, {host} and {cpu_moe} split a model between one GPU and its host; they "
        "do not combine with a device group ({count}, {split}, {split_ratio}, {link} or a "
        "repeated device)");
  }
  if (group && speculative) {
    throw RequestError(
        "draft",
        "{draft} estimates one device at a time; it does not combine with a device group "
        "({count}, {split}, {split_ratio}, {link} or a repeated device)");
  }
  if (offload && speculative) {
    throw RequestError("draft", "{draft} does not combine with {gpu_layers}, {host} or {cpu_moe}");
  }
  if (group) {
    if (o.count == 1 && !all_devices) {
      // Name the part that is not a device: unknown (with suggestions) or a filter.
      for (const std::string& part : split_list(o.devices, ",")) {
        if (!find_device(db, part)) {
          const auto selected = select_devices(db, part);  // throws for an unknown name
          throw RequestError(
              "device",
              fmt::format("'{}' selects {} devices; a group lists device ids (repeat an id, or "
                          "use {{count}})",
                          part, selected.size()));
        }
      }
    }
    return run_groups(o, data, model, options, listed, repeats);
  }
  if (offload) {
    return run_offload(o, data, model, options);
  }
  if (speculative) {
    return run_speculative(o, data, model, options);
  }
  return run_single(o, data, model, options);
}

}  // namespace llmroof
