// llmroof estimate: tokens/s of one model on one or more devices, on a group of devices working
// as one, split between a GPU and the host, or with a draft model (speculative decoding).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "cli.hpp"
#include "engine_options.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/platform/probe.hpp"
#include "llmroof/scenarios/cluster.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/scenarios/offload.hpp"
#include "llmroof/scenarios/speculative.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"
#include "model_args.hpp"

namespace llmroof::cli {

namespace {

/// Host of --gpu-layers/--cpu-moe when --host is not given: a desktop with dual-channel DDR5.
constexpr std::string_view k_default_host = "i9-13900k-ddr5";

struct EstimateCliOptions {
  EngineCliOptions engine;
  std::string model;
  std::optional<std::string> quant;
  std::string devices;
  int batch = 1;
  long long context = 0;
  long long prompt = 512;
  long long generate = 128;
  std::string sort = "tokens_per_s";
  std::optional<double> power_w;
  std::optional<double> price_per_hour;
  std::vector<std::string> show;
  // Device groups.
  int count = 1;
  std::optional<std::string> split;
  std::optional<std::string> split_ratio;
  std::optional<std::string> link;
  // Partial offload.
  std::optional<std::string> gpu_layers;
  std::optional<std::string> host;
  bool cpu_moe = false;
  // Speculative decoding.
  std::optional<std::string> draft;
  std::optional<std::string> draft_quant;
  int draft_tokens = 8;
  std::optional<double> acceptance;
  bool generate_given = false;      ///< --generate was on the command line
  bool draft_tokens_given = false;  ///< --draft-tokens was on the command line
};

// Optional table columns: shown when the run makes them meaningful or --show asks.
void show_column(Report& report, const std::string& id) {
  const int i = report.column_index(id);
  if (i >= 0) {
    report.columns[static_cast<std::size_t>(i)].human = true;
  }
}

void setup(CLI::App& sub, EstimateCliOptions& o) {
  sub.add_option("--model,-m", o.model,
                 "Model: a catalog id or alias (llmroof models), a size such as 7b/70b/500m "
                 "(generic dense model), or a config.json / .gguf path")
      ->required()
      ->type_name("MODEL");
  sub.add_option("--quant,-q", o.quant,
                 "Weight format (llmroof quants): fp32 fp16 bf16 fp8 int8 int4 (flat bytes per "
                 "weight), llama.cpp presets such as q4_k_m, or GGML types. Default: the file's "
                 "types, else the published dtype, else fp16")
      ->type_name("QUANT");
  sub.add_option("--device,-d", o.devices,
                 "Devices: ids or aliases separated by commas (a100,rtx-4090,m4-pro), 'all', or "
                 "a vendor/kind/segment filter (apple, nvidia, gpu, cpu, laptop); one row each. "
                 "A list that repeats an id (rtx-3090,rtx-3090), or any list with --split, "
                 "--split-ratio or --link, is ONE group of devices working as one (one row); "
                 "--count N makes a group of N of each listed device")
      ->required()
      ->type_name("DEVICES");
  add_engine_options(sub, o.engine);
  sub.add_option("--batch,-b", o.batch, "Sequences decoded together (>= 1)")
      ->check(CLI::Range(1, 1 << 20))
      ->type_name("N")
      ->default_str("1");
  sub.add_option("--context,-c", o.context, "Tokens already in the KV cache of each sequence")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("0");
  sub.add_option("--prompt,-p", o.prompt,
                 "Prompt length for prefill speed and time to first token (0: skip prefill)")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("512");
  sub.add_option("--generate,-n", o.generate,
                 "Tokens generated per sequence: memory fit, and (when given) the average decode "
                 "speed over them from --context and the end-to-end time, as llama-bench tgN")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("128");
  sub.add_option("--sort", o.sort,
                 "Sort rows by this output column (numbers descending), e.g. tokens_per_s, "
                 "prefill_tokens_per_s, memory_margin_bytes, tokens_per_s_per_kusd, "
                 "joules_per_token, device.id")
      ->type_name("COLUMN")
      ->default_str("tokens_per_s");
  sub.add_option("--power", o.power_w,
                 "Power draw of each device for joules_per_token, in W (default: its TDP; a "
                 "group sums its devices; under offload it sets the GPU's)")
      ->check(CLI::PositiveNumber)
      ->type_name("W");
  sub.add_option("--price-per-hour", o.price_per_hour,
                 "Rental price of one device (one machine under offload), in USD per hour, for "
                 "usd_per_million_tokens; a group pays it per device")
      ->check(CLI::PositiveNumber)
      ->type_name("USD");
  sub.add_option("--show", o.show,
                 "Also show these output columns in the table (ids as in JSON, e.g. "
                 "joules_per_token,critical_batch)")
      ->delimiter(',')
      ->type_name("COLUMNS");

  auto* group = "Device groups (several devices as one)";
  sub.add_option("--count", o.count,
                 "Group N of each listed device: one row per device, each a group of N "
                 "(--device rtx-3090,rtx-4090 --count 2 compares 2x 3090 with 2x 4090)")
      ->check(CLI::Range(1, 4096))
      ->type_name("N")
      ->default_str("1")
      ->group(group);
  sub.add_option("--split", o.split,
                 "How a group shares the model: layer (llama.cpp -sm layer, pipeline parallel: "
                 "each device holds whole layers; default) or tensor (llama.cpp -sm row, tensor "
                 "parallel: every matrix divided, two all-reduces per layer over the link)")
      ->check(CLI::IsMember({"layer", "tensor", "row"}, CLI::ignore_case))
      ->type_name("MODE")
      ->group(group);
  sub.add_option("--split-ratio", o.split_ratio,
                 "Share of each device of the group, positive numbers separated by commas "
                 "(3,1 as llama.cpp --tensor-split; default: in proportion to usable memory)")
      ->type_name("R,R,...")
      ->group(group);
  sub.add_option("--link", o.link,
                 "Interconnect of the group (data/links.json): nvlink-4, pcie-4-x16 (pcie4), "
                 "thunderbolt-5 (tb5), 10gbe, infiniband-ndr... Default: pcie-4-x16 for GPUs, "
                 "thunderbolt-5 for Macs, else 10gbe")
      ->type_name("LINK")
      ->group(group);
  auto* offload = "Partial offload (one GPU plus host memory)";
  sub.add_option("--gpu-layers", o.gpu_layers,
                 "Layers on the GPU, the rest served from host memory by the CPU (llama.cpp "
                 "-ngl); 'auto' = as many as fit")
      ->type_name("N|auto")
      ->group(offload);
  sub.add_option(
         "--host", o.host,
         fmt::format("Host CPU of the offload, a cpu entry of the device list (default: {}, "
                     "a dual-channel DDR5 desktop)",
                     k_default_host))
      ->type_name("DEVICE")
      ->group(offload);
  sub.add_flag("--cpu-moe", o.cpu_moe,
               "Keep the routed experts of a MoE model on the host and everything else, KV "
               "cache included, on the GPU (llama.cpp --cpu-moe)")
      ->group(offload);
  auto* speculative = "Speculative decoding";
  sub.add_option("--draft", o.draft,
                 "Draft model (same forms as --model) proposing tokens for the target to check")
      ->type_name("MODEL")
      ->group(speculative);
  sub.add_option("--draft-quant", o.draft_quant, "Weight format of the draft (default: --quant)")
      ->type_name("QUANT")
      ->group(speculative);
  sub.add_option("--draft-tokens", o.draft_tokens, "Tokens drafted per target pass (K)")
      ->check(CLI::Range(1, 256))
      ->type_name("K")
      ->default_str("8")
      ->group(speculative);
  sub.add_option("--acceptance", o.acceptance,
                 "Chance that the target accepts each drafted token, in [0, 1] (required with "
                 "--draft)")
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("A")
      ->group(speculative);
  sub.footer(
      "Examples:\n"
      "  llmroof estimate --model 70b --quant int4 --device m4pro\n"
      "  llmroof estimate -m llama-3.1-8b -q q4_k_m -d a100,rtx-4090,m4-pro --format json\n"
      "  llmroof estimate -m 7b -q int4 -d m4-10c --bandwidth 120 --tflops 38 --ideal\n"
      "  llmroof estimate -m deepseek-v3 -q int4 -d m4-pro --count 8 --link tb5\n"
      "  llmroof estimate -m llama-3.1-70b -q q4_k_m -d rtx-3090,rtx-3090 --split tensor\n"
      "  llmroof estimate -m llama-3.1-70b -q q4_k_m -d rtx-4090 --gpu-layers auto\n"
      "  llmroof estimate -m llama-3.1-70b -q q4_0 -d w7900 --draft llama-3.1-8b \\\n"
      "      --draft-tokens 8 --acceptance 0.78 --kv-quant q8_0\n"
      "JSON/CSV carry base units (bytes, seconds, tokens/s); tokens/s is per sequence.");
}

EstimateOptions make_options(const EstimateCliOptions& o) {
  EstimateOptions options;
  options.batch = o.batch;
  options.context_tokens = static_cast<double>(o.context);
  options.prompt_tokens = static_cast<double>(o.prompt);
  options.generate_tokens = static_cast<double>(o.generate);
  apply_engine_options(o.engine, options);
  options.power_w = o.power_w;
  options.price_usd_per_hour = o.price_per_hour;
  return options;
}

std::vector<std::string> split_list(std::string_view text, std::string_view separators) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find_first_of(separators, start);
    parts.emplace_back(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    start = end == std::string_view::npos ? text.size() + 1 : end + 1;
  }
  return parts;
}

// --split-ratio "3,1" (or llama.cpp's "3/1"): positive numbers.
std::vector<double> parse_split_ratio(const std::string& text) {
  std::vector<double> ratio;
  for (const std::string& part : split_list(text, ",/")) {
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != part.size() || !std::isfinite(value)) {
      throw UsageError(fmt::format("bad --split-ratio '{}': '{}' is not a number", text, part));
    }
    if (!(value > 0)) {
      throw UsageError(
          fmt::format("bad --split-ratio '{}': every share must be a positive number", text));
    }
    ratio.push_back(value);
  }
  return ratio;
}

// --gpu-layers: a count, or "auto" (nullopt).
std::optional<int> parse_gpu_layers(const std::string& text) {
  if (normalize_key(text) == "auto") {
    return std::nullopt;
  }
  std::size_t used = 0;
  long value = -1;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < 0 || value > 100000) {
    throw UsageError(
        fmt::format("bad --gpu-layers '{}': give a number of layers (0 or more) or 'auto'", text));
  }
  return static_cast<int>(value);
}

void family_note(std::vector<std::string>& notes, const DeviceMatch& match) {
  if (match.family == nullptr) {
    return;
  }
  const std::string note =
      fmt::format("'{}' covers {}; using {}: {}", match.family->alias,
                  fmt::join(match.family->covers, ", "), match.device->id, match.family->note);
  if (std::find(notes.begin(), notes.end(), note) == notes.end()) {
    notes.push_back(note);
  }
}

// Common end of every mode: optional columns, --show, notes, warnings, output.
void finish(Report& report, const EstimateCliOptions& o, std::vector<std::string> notes,
            std::vector<std::string> warnings, Context& context) {
  if (o.generate_given) {
    show_column(report, "generate_tokens_per_s");
    show_column(report, "end_to_end_seconds");
  }
  if (o.batch > 1) {
    show_column(report, "aggregate_tokens_per_s");
  }
  if (o.batch > 1 || o.context > 0) {
    show_column(report, "kv_read_share");
  }
  if (o.price_per_hour) {
    show_column(report, "usd_per_million_tokens");
  }
  if (o.power_w) {
    show_column(report, "joules_per_token");
  }
  for (const auto& id : o.show) {
    if (report.column_index(id) < 0) {
      throw UsageError(
          fmt::format("unknown column '{}' for --show (see the JSON field names)", id));
    }
    show_column(report, id);
  }
  // The command's notes first, then what the report itself states.
  report.notes.insert(report.notes.begin(), notes.begin(), notes.end());
  report.warnings = std::move(warnings);
  if (o.engine.ideal) {
    report.notes.insert(report.notes.begin(),
                        "--ideal: pure roofline (efficiency 1, no overheads); low = high = ideal");
  }
  context.emit(report);
}

int run_single(const EstimateCliOptions& o, Context& context, const ModelChoice& model,
               const EstimateOptions& options) {
  const auto matches = select_devices(context.devices(), o.devices);
  std::vector<EstimateResult> results;
  std::vector<std::string> notes = model.notes;
  std::vector<std::string> warnings = model.warnings;
  // Devices that lack the requested precision, by the precision used instead: one note each.
  std::map<Precision, std::vector<std::string>> fell_back;
  for (const auto& match : matches) {
    results.push_back(estimate(*match.device, model.input, options, context.efficiency()));
    family_note(notes, match);
    const auto& r = results.back();
    if (r.precision_fell_back) {
      fell_back[r.precision].push_back(match.device->id);
    }
  }
  const auto requested = to_string(options.compute_precision.value_or(model.input.compute));
  for (const auto& [used, ids] : fell_back) {
    notes.push_back(fmt::format("{} {} no {} rate; {} {} peak is the compute roof",
                                fmt::join(ids, ", "), ids.size() == 1 ? "has" : "have", requested,
                                ids.size() == 1 ? "its" : "their", to_string(used)));
  }
  if (matches.size() == 1 && !results.front().fit.fits) {
    warnings.push_back(fmt::format(
        "{} at {} needs {:.1f} GiB but {} offers {:.1f} GiB; the speed assumes it fits (see "
        "--memory, --quant, --gpu-layers, --count)",
        model.input.spec.id, model.input.quant_id,
        results.front().fit.required_bytes / units::k_gib, results.front().device->id,
        results.front().fit.available_bytes / units::k_gib));
  }
  Report report = estimate_report(results, model.input, options, o.sort);
  finish(report, o, std::move(notes), std::move(warnings), context);
  return static_cast<int>(ExitCode::ok);
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

int run_groups(const EstimateCliOptions& o, Context& context, const ModelChoice& model,
               const EstimateOptions& options, const std::vector<DeviceMatch>& parts,
               bool repeats) {
  const DeviceDb& db = context.devices();
  std::vector<std::string> notes = model.notes;
  std::vector<std::string> warnings = model.warnings;
  std::vector<GroupSpec> groups;
  if (o.count > 1) {
    if (repeats) {
      throw UsageError(
          "--count groups each listed device; list every device of one group instead, or drop "
          "the repeated id");
    }
    for (const auto& match : select_devices(db, o.devices)) {
      family_note(notes, match);
      GroupSpec g;
      g.devices.assign(static_cast<std::size_t>(o.count), match.device);
      groups.push_back(std::move(g));
    }
  } else {
    GroupSpec g;
    for (const auto& match : parts) {
      family_note(notes, match);
      g.devices.push_back(match.device);
    }
    groups.push_back(std::move(g));
  }
  const SplitMode split =
      o.split ? parse_split_mode(*o.split).value_or(SplitMode::layer) : SplitMode::layer;
  std::vector<double> ratio;
  if (o.split_ratio) {
    ratio = parse_split_ratio(*o.split_ratio);
  }
  std::optional<LinkDb> links;
  const bool needs_link =
      o.link.has_value() || std::any_of(groups.begin(), groups.end(),
                                        [](const GroupSpec& g) { return g.devices.size() > 1; });
  if (needs_link) {
    links = parse_links(read_text_file(context.data_dir() / "links.json"), "links.json");
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
          "no --link given: {} ({}) assumed between {}; choose with --link", id, g.link->name,
          kind == DeviceKind::gpu         ? "GPUs"
          : kind == DeviceKind::apple_soc ? "Macs"
                                          : "machines");
      if (std::find(notes.begin(), notes.end(), note) == notes.end()) {
        notes.push_back(note);
      }
    }
    results.push_back(estimate_group(g, model.input, options, context.efficiency()));
    const GroupResult& r = results.back();
    for (std::size_t i = 0; i < r.members.size(); ++i) {
      const GroupMember& m = r.members[i];
      if (!m.fit.fits) {
        warnings.push_back(fmt::format(
            "{}: device {} ({}) needs {:.1f} GiB for its share but offers {:.1f} GiB; the "
            "speed assumes it fits (see --count, --split-ratio, --quant)",
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
        o.split_ratio ? "shares from --split-ratio" : "in proportion to usable memory"));
  } else {
    notes.emplace_back(
        "tensor split: every weight matrix and the KV cache are divided among the devices; "
        "each layer costs two ring all-reduces of the activations (f32) over the link");
  }
  Report report = group_report(results, model.input, options, o.sort);
  if (o.power_w) {
    show_column(report, "power_w");
  }
  finish(report, o, std::move(notes), std::move(warnings), context);
  return static_cast<int>(ExitCode::ok);
}

int run_offload(const EstimateCliOptions& o, Context& context, const ModelChoice& model,
                const EstimateOptions& options) {
  const DeviceDb& db = context.devices();
  if (normalize_key(o.engine.backend) == "cpu") {
    throw UsageError("--backend cpu runs the whole model on the CPU; drop it for partial offload");
  }
  const std::string host_name = o.host.value_or(std::string(k_default_host));
  const auto host_match = find_device(db, host_name);
  if (!host_match) {
    const auto selected = select_devices(db, host_name);  // throws for an unknown name
    throw UsageError(fmt::format("--host '{}' selects {} devices; give one device id", host_name,
                                 selected.size()));
  }
  const Device* host = host_match->device;
  OffloadSpec spec;
  spec.host = host;
  spec.cpu_moe = o.cpu_moe;
  if (o.gpu_layers) {
    if (o.cpu_moe) {
      throw UsageError("--cpu-moe keeps every non-expert tensor on the GPU; drop --gpu-layers");
    }
    spec.gpu_layers = parse_gpu_layers(*o.gpu_layers);
  }
  // The GPU's bus to host memory: what a long prompt streams the host's weights over.
  const LinkDb links = parse_links(read_text_file(context.data_dir() / "links.json"), "links.json");
  spec.bus = &require_link(links, "pcie-4-x16");
  std::vector<std::string> notes = model.notes;
  std::vector<std::string> warnings = model.warnings;
  std::vector<OffloadResult> results;
  for (const auto& match : select_devices(db, o.devices)) {
    family_note(notes, match);
    spec.gpu = match.device;
    results.push_back(estimate_offload(spec, model.input, options, context.efficiency()));
    const OffloadResult& r = results.back();
    if (!r.gpu_fit.fits) {
      warnings.push_back(fmt::format(
          "{}: the GPU part needs {:.1f} GiB but it offers {:.1f} GiB; the speed assumes it "
          "fits (lower --gpu-layers or use 'auto')",
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
        "--cpu-moe: routed experts are read by {} ({:.1f} GB/s) and the rest, with the KV cache, "
        "by the GPU; the two parts run one after the other",
        host->id, host->mem_bw_bytes_per_s / units::k_gb));
  } else {
    notes.push_back(fmt::format(
        "offload: GPU layers are read by the GPU, the other layers and their KV cache by {} "
        "({:.1f} GB/s); the two parts run one after the other{}",
        host->id, host->mem_bw_bytes_per_s / units::k_gb,
        spec.gpu_layers ? "" : "; 'auto' puts as many layers on the GPU as fit"));
  }
  if (o.prompt >= static_cast<long long>(k_offload_min_batch)) {
    notes.push_back(fmt::format(
        "prompt: the host's part runs on the host, or on the GPU with its weights copied over {} "
        "(llama.cpp's default for batches of {:g}+ tokens), whichever is faster",
        spec.bus->name, k_offload_min_batch));
  }
  Report report = offload_report(results, model.input, options, o.sort);
  finish(report, o, std::move(notes), std::move(warnings), context);
  return static_cast<int>(ExitCode::ok);
}

int run_speculative(const EstimateCliOptions& o, Context& context, const ModelChoice& model,
                    const EstimateOptions& options) {
  if (!o.acceptance) {
    throw UsageError(
        "--draft needs --acceptance: the chance that the target accepts a drafted token, "
        "e.g. 0.78");
  }
  std::optional<std::string> draft_quant = o.draft_quant;
  if (!draft_quant) {
    draft_quant = o.quant;
  }
  ModelChoice draft;
  try {
    draft = resolve_model(context, *o.draft, draft_quant);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("--draft: {}", e.what()));
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
  spec.draft_tokens = o.draft_tokens;
  spec.acceptance = *o.acceptance;
  std::vector<SpeculativeResult> results;
  for (const auto& match : select_devices(context.devices(), o.devices)) {
    family_note(notes, match);
    results.push_back(
        estimate_speculative(*match.device, model.input, spec, options, context.efficiency()));
    const SpeculativeResult& r = results.back();
    if (!r.fit.fits) {
      warnings.push_back(fmt::format(
          "{}: target and draft need {:.1f} GiB but it offers {:.1f} GiB; the speed assumes "
          "they fit",
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
  finish(report, o, std::move(notes), std::move(warnings), context);
  return static_cast<int>(ExitCode::ok);
}

int run(const EstimateCliOptions& o, Context& context) {
  context.prefetch_devices();
  ModelChoice model = resolve_model(context, o.model, o.quant);
  const EstimateOptions options = make_options(o);

  const bool speculative = o.draft.has_value();
  if (!speculative && (o.acceptance || o.draft_quant || o.draft_tokens_given)) {
    throw UsageError("--acceptance, --draft-quant and --draft-tokens need --draft");
  }
  const bool offload = o.gpu_layers.has_value() || o.host.has_value() || o.cpu_moe;

  // Parts of the device list that name one device each; a repeated device makes a group.
  const DeviceDb& db = context.devices();
  std::vector<DeviceMatch> parts;
  bool all_devices = true;
  for (const std::string& part : split_list(o.devices, ",")) {
    if (auto match = find_device(db, part)) {
      parts.push_back(*match);
    } else {
      all_devices = false;
    }
  }
  bool repeats = false;
  for (std::size_t i = 0; i < parts.size() && all_devices; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      repeats = repeats || parts[i].device == parts[j].device;
    }
  }
  const bool group = o.count > 1 || repeats || o.split || o.split_ratio || o.link;
  if (group && offload) {
    throw UsageError(
        "--gpu-layers, --host and --cpu-moe split a model between one GPU and its host; they "
        "do not combine with a device group (--count, --split, --split-ratio, --link or a "
        "repeated device)");
  }
  if (group && speculative) {
    throw UsageError(
        "--draft estimates one device at a time; it does not combine with a device group "
        "(--count, --split, --split-ratio, --link or a repeated device)");
  }
  if (offload && speculative) {
    throw UsageError("--draft does not combine with --gpu-layers, --host or --cpu-moe");
  }
  if (group) {
    if (o.count == 1 && !all_devices) {
      // Name the part that is not a device: unknown (with suggestions) or a filter.
      for (const std::string& part : split_list(o.devices, ",")) {
        if (!find_device(db, part)) {
          const auto selected = select_devices(db, part);  // throws for an unknown name
          throw UsageError(fmt::format(
              "'{}' selects {} devices; a group lists device ids (repeat an id, or use --count)",
              part, selected.size()));
        }
      }
    }
    return run_groups(o, context, model, options, parts, repeats);
  }
  if (offload) {
    return run_offload(o, context, model, options);
  }
  if (speculative) {
    return run_speculative(o, context, model, options);
  }
  return run_single(o, context, model, options);
}

}  // namespace

Command add_estimate(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<EstimateCliOptions>();
  CLI::App* sub = parent.add_subcommand(
      "estimate", "Estimate decode and prefill speed of a model on one or more devices");
  setup(*sub, *options);
  add_common_options(*sub, common, true);
  return {sub, [options, sub, &common](Context& context) {
            // --device host: this machine, from a cached quick probe (llmroof probe).
            if (("," + options->devices + ",").find(",host,") != std::string::npos) {
              common.device_files.push_back(host_device_file());
            }
            options->generate_given = sub->count("--generate") > 0;
            options->draft_tokens_given = sub->count("--draft-tokens") > 0;
            return run(*options, context);
          }};
}

}  // namespace llmroof::cli
