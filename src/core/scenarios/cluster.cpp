#include "llmroof/scenarios/cluster.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "llmroof/engine/engine_model.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "report/report_table.hpp"

namespace llmroof {

std::string_view to_string(SplitMode mode) {
  switch (mode) {
    case SplitMode::layer:
      return "layer";
    case SplitMode::tensor:
      return "tensor";
  }
  return "layer";
}

std::optional<SplitMode> parse_split_mode(std::string_view text) {
  const std::string key = normalize_key(text);
  if (key == "layer" || key == "pipeline" || key == "pp") {
    return SplitMode::layer;
  }
  if (key == "tensor" || key == "row" || key == "tp") {
    return SplitMode::tensor;
  }
  return std::nullopt;
}

double link_hop_seconds(double bytes, const Link& link) {
  return link.latency_s + bytes / link.bandwidth_bytes_per_s;
}

double ring_all_reduce_seconds(double bytes, int devices, const Link& link) {
  if (devices <= 1) {
    return 0;
  }
  const double n = static_cast<double>(devices);
  return 2.0 * (n - 1.0) * link_hop_seconds(bytes / n, link);
}

std::vector<double> normalize_shares(const std::vector<double>& ratio) {
  double sum = 0;
  for (double r : ratio) {
    if (!(r > 0) || !std::isfinite(r)) {
      throw UsageError(fmt::format("split ratio entries must be positive numbers, got {}", r));
    }
    sum += r;
  }
  std::vector<double> shares;
  for (double r : ratio) {
    shares.push_back(r / sum);
  }
  return shares;
}

std::vector<int> layers_per_device(int layers, const std::vector<double>& shares) {
  std::vector<int> counts;
  double cumulative = 0;
  long previous = 0;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    cumulative += shares[i];
    const long end = i + 1 == shares.size() ? layers : std::lround(layers * cumulative);
    const long clamped = std::clamp(end, previous, static_cast<long>(layers));
    counts.push_back(static_cast<int>(clamped - previous));
    previous = clamped;
  }
  return counts;
}

Shard make_shard(const EstimateResult& alone, double share, int layers, const ModelSpec& model,
                 const Weights& weights, const EstimateOptions& options,
                 const EfficiencyTable& efficiency) {
  Shard shard;
  shard.share = share;
  shard.roofs = alone.roofs;
  if (options.ideal || alone.device == nullptr) {
    return shard;
  }
  // The class and engine figures estimate() uses for this device.
  const Device& device = *alone.device;
  const EngineModel engine =
      engine_model(efficiency, device, options.backend, model, weights, alone.roofs,
                   alone.precision, options.prompt_tokens, options.engine_build);
  shard.cls = engine.cls;
  shard.run = engine.run;
  // A stage of `layers` layers holds its share of the MoE layers: the stages add up to the model.
  if (model.layers > 0) {
    shard.run.moe_layers = engine.run.moe_layers * layers / model.layers;
  }
  shard.run.layers = layers;
  return shard;
}

ShardDecode shard_decode(const Shard& shard, const DecodeStep& step) {
  // Every byte and FLOP scales with the share; the times follow.
  ShardDecode d;
  d.part = step;
  for (double* v : {&d.part.weights_read_bytes, &d.part.sequence_weights_read_bytes,
                    &d.part.kv_read_bytes, &d.part.bytes, &d.part.flops, &d.part.matmul_flops,
                    &d.part.memory_seconds, &d.part.compute_seconds, &d.part.step_seconds}) {
    *v *= shard.share;
  }
  if (shard.cls != nullptr) {
    d.terms = realistic_decode_breakdown(*shard.cls, d.part, shard.run);
    d.seconds = d.terms->seconds();
  } else {
    d.seconds = d.part.step_seconds;
  }
  return d;
}

double shard_decode_seconds(const Shard& shard, const DecodeStep& step) {
  return shard_decode(shard, step).seconds;
}

double shard_prefill_seconds(const Shard& shard, const PrefillResult& prefill) {
  PrefillResult part = prefill;
  for (double* v :
       {&part.flops, &part.bytes, &part.memory_seconds, &part.compute_seconds, &part.seconds}) {
    *v *= shard.share;
  }
  return shard.cls != nullptr ? realistic_prefill_seconds(*shard.cls, part, shard.run)
                              : part.seconds;
}

namespace {

struct Member {
  Shard real;   // realistic (ideal with --ideal)
  Shard ideal;  // pure roofline
};

ShardDecode member_decode(const Member& m, const ModelInput& model, const DecodeInput& in,
                          bool ideal) {
  const Shard& shard = ideal ? m.ideal : m.real;
  return shard_decode(shard, decode_step(model.spec, model.weights, shard.roofs, in));
}

double member_prefill_seconds(const Member& m, const ModelInput& model,
                              const EstimateOptions& options) {
  const PrefillResult p = prefill(model.spec, model.weights, m.real.roofs, options.prompt_tokens,
                                  options.context_tokens, options.kv_bytes_per_element);
  return shard_prefill_seconds(m.real, p);
}

struct StepTimes {
  std::vector<double> member_seconds;
  std::vector<ShardDecode> member_parts;
  double device_seconds = 0;
  double link_seconds = 0;
  int link_hops = 0;
  double link_hop_bytes = 0;
  double step_seconds = 0;
};

// One decode step of the group at `context` tokens.
StepTimes group_step(const std::vector<Member>& members, SplitMode split, const Link* link,
                     int micro_batches, const ModelInput& model, const EstimateOptions& options,
                     double context, bool ideal) {
  StepTimes t;
  const int n = static_cast<int>(members.size());
  const int batch = std::max(1, options.batch);
  DecodeInput in;
  in.context_tokens = context;
  in.kv_bytes_per_element = options.kv_bytes_per_element;
  in.expert_skew = options.expert_skew;
  const double hidden = static_cast<double>(model.spec.hidden);
  if (split == SplitMode::tensor) {
    in.batch = batch;
    for (const auto& m : members) {
      t.member_parts.push_back(member_decode(m, model, in, ideal));
      t.member_seconds.push_back(t.member_parts.back().seconds);
    }
    t.device_seconds = *std::max_element(t.member_seconds.begin(), t.member_seconds.end());
    if (link != nullptr && n > 1) {
      // Two all-reduces of the activations per layer (after attention and after the FFN).
      const double bytes = batch * hidden * k_activation_bytes;
      t.link_seconds = 2.0 * model.spec.layers * ring_all_reduce_seconds(bytes, n, *link);
      t.link_hops = 2 * model.spec.layers * 2 * (n - 1);
      t.link_hop_bytes = bytes / n;
    }
    t.step_seconds = t.device_seconds + t.link_seconds;
    return t;
  }
  // Layer split: a micro-batch passes every stage in turn, one hop per stage boundary.
  // With m micro-batches in flight each stage serves all of them once per token, so a
  // sequence waits max(m * slowest stage, its own trip through the pipeline).
  const int micro = (batch + micro_batches - 1) / micro_batches;
  in.batch = micro;
  for (const auto& m : members) {
    t.member_parts.push_back(member_decode(m, model, in, ideal));
    t.member_seconds.push_back(t.member_parts.back().seconds);
    t.device_seconds += t.member_seconds.back();
  }
  if (link != nullptr && n > 1) {
    t.link_hop_bytes = micro * hidden * k_activation_bytes;
    t.link_hops = n - 1;
    t.link_seconds = (n - 1) * link_hop_seconds(t.link_hop_bytes, *link);
  }
  const double slowest = *std::max_element(t.member_seconds.begin(), t.member_seconds.end());
  t.step_seconds = std::max(micro_batches * slowest, t.device_seconds + t.link_seconds);
  return t;
}

std::string group_label(const std::vector<const Device*>& devices) {
  const bool same = std::all_of(devices.begin(), devices.end(),
                                [&](const Device* d) { return d == devices.front(); });
  if (same) {
    return devices.size() == 1 ? devices.front()->id
                               : fmt::format("{}x {}", devices.size(), devices.front()->id);
  }
  std::string label;
  for (const Device* d : devices) {
    label += (label.empty() ? "" : "+") + d->id;
  }
  return label;
}

}  // namespace

GroupResult estimate_group(const GroupSpec& group, const ModelInput& model,
                           const EstimateOptions& options, const EfficiencyTable& efficiency) {
  const int n = static_cast<int>(group.devices.size());
  if (n == 0) {
    throw UsageError("a device group needs at least one device");
  }
  if (n > 1 && group.link == nullptr) {
    throw RequestError("link", fmt::format("a group of {} devices needs a link ({{link}})", n));
  }
  if (!group.split_ratio.empty() && group.split_ratio.size() != group.devices.size()) {
    throw RequestError("split_ratio",
                       fmt::format("{{split_ratio}} has {} numbers for a group of {} devices",
                                   group.split_ratio.size(), n));
  }
  GroupResult r;
  r.label = group_label(group.devices);
  r.split = group.split;
  r.link = n > 1 ? group.link : nullptr;
  for (const Device* device : group.devices) {
    GroupMember m;
    m.alone = estimate(*device, model, options, efficiency);
    r.members.push_back(std::move(m));
  }
  std::vector<double> ratio = group.split_ratio;
  if (ratio.empty()) {
    for (const auto& m : r.members) {
      ratio.push_back(m.alone.fit.available_bytes);
    }
  }
  const std::vector<double> shares = normalize_shares(ratio);
  const int layers = std::max(1, model.spec.layers);
  if (group.split == SplitMode::layer) {
    const std::vector<int> counts = layers_per_device(layers, shares);
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (counts[k] == 0) {
        throw RequestError(
            "split_ratio",
            fmt::format("device {} ({}) of the group gets no layer of the {}-layer model; give it "
                        "a larger {{split_ratio}} or use fewer devices",
                        i + 1, group.devices[k]->id, layers));
      }
      r.members[k].layers = counts[k];
      r.members[k].share = static_cast<double>(counts[k]) / layers;
    }
    r.micro_batches = std::min(std::max(1, options.batch), n);
  } else {
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      r.members[k].layers = layers;
      r.members[k].share = shares[k];
    }
  }

  std::vector<Member> members;
  double spread = 0;
  EstimateOptions ideal_options = options;
  ideal_options.ideal = true;
  for (auto& m : r.members) {
    Member member{
        make_shard(m.alone, m.share, m.layers, model.spec, model.weights, options, efficiency),
        make_shard(m.alone, m.share, m.layers, model.spec, model.weights, ideal_options,
                   efficiency)};
    if (member.real.cls != nullptr) {
      spread = std::max(spread, member.real.cls->decode_log_spread);
    }
    members.push_back(member);
  }
  const auto step_at = [&](double context, bool ideal) {
    return group_step(members, r.split, r.link, r.micro_batches, model, options, context, ideal);
  };
  const StepTimes now = step_at(options.context_tokens, options.ideal);
  for (std::size_t i = 0; i < r.members.size(); ++i) {
    r.members[i].step_seconds = now.member_seconds[i];
    r.members[i].shard = options.ideal ? members[i].ideal : members[i].real;
    r.members[i].decode = now.member_parts[i];
  }
  r.device_seconds = now.device_seconds;
  r.link_seconds = now.link_seconds;
  r.link_hops = now.link_hops;
  r.link_hop_bytes = now.link_hop_bytes;
  r.step_seconds = now.step_seconds;
  const double batch = static_cast<double>(std::max(1, options.batch));
  r.tokens_per_s = 1.0 / r.step_seconds;
  r.tokens_per_s_low = r.tokens_per_s * std::exp(-spread);
  r.tokens_per_s_high = r.tokens_per_s * std::exp(spread);
  r.aggregate_tokens_per_s = batch / r.step_seconds;
  r.ideal_tokens_per_s = 1.0 / step_at(options.context_tokens, true).step_seconds;

  if (options.prompt_tokens > 0) {
    const double bytes =
        options.prompt_tokens * static_cast<double>(model.spec.hidden) * k_activation_bytes;
    double seconds = 0;
    for (const auto& m : members) {
      const double s = member_prefill_seconds(m, model, options);
      seconds = r.split == SplitMode::tensor ? std::max(seconds, s) : seconds + s;
    }
    if (r.link != nullptr) {
      seconds += r.split == SplitMode::tensor
                     ? 2.0 * layers * ring_all_reduce_seconds(bytes, n, *r.link)
                     : (n - 1) * link_hop_seconds(bytes, *r.link);
    }
    r.time_to_first_token_s = seconds;
    r.prefill_tokens_per_s = options.prompt_tokens / seconds;
  }
  const double generate_seconds = decode_span_seconds(
      options.context_tokens, options.generate_tokens,
      [&](double context) { return step_at(context, options.ideal).step_seconds; });
  r.generate_tokens_per_s =
      generate_seconds > 0 ? options.generate_tokens / generate_seconds : r.tokens_per_s;
  r.end_to_end_seconds = r.time_to_first_token_s + generate_seconds;

  // Memory: each member holds its share of the weights and of every sequence's KV cache.
  r.weights_bytes = model.weights.total_bytes;
  const double held_tokens =
      options.context_tokens + options.prompt_tokens + options.generate_tokens;
  r.kv_cache_bytes = batch * kv_cache_bytes(model.spec, held_tokens, options.kv_bytes_per_element);
  r.fits = true;
  double price = 0;
  bool price_known = true;
  bool power_known = true;
  for (auto& m : r.members) {
    m.fit = memory_fit(m.share * r.weights_bytes, m.share * r.kv_cache_bytes,
                       m.alone.fit.available_bytes);
    r.memory_required_bytes += m.fit.required_bytes;
    r.memory_available_bytes += m.fit.available_bytes;
    r.max_member_required_bytes = std::max(r.max_member_required_bytes, m.fit.required_bytes);
    r.fits = r.fits && m.fit.fits;
    const Device& d = *m.alone.device;
    price_known = price_known && d.launch_price_usd && *d.launch_price_usd > 0;
    price += d.launch_price_usd.value_or(0);
    power_known = power_known && m.alone.power_w > 0;
    r.power_w += m.alone.power_w;
  }
  if (!power_known) {
    r.power_w = 0;
  }
  if (price_known) {
    r.price_usd = price;
  }
  std::optional<double> usd_per_hour;
  if (options.price_usd_per_hour) {
    usd_per_hour = *options.price_usd_per_hour * n;
  }
  const auto cost =
      detail::cost_figures(r.aggregate_tokens_per_s, r.price_usd, r.power_w, usd_per_hour);
  r.tokens_per_s_per_kusd = cost.tokens_per_s_per_kusd;
  r.joules_per_token = cost.joules_per_token;
  r.usd_per_million_tokens = cost.usd_per_million_tokens;
  return r;
}

namespace {

std::shared_ptr<const RecordList> member_records(const GroupResult& r) {
  using detail::make_column;
  using K = CellKind;
  using U = HumanUnit;
  auto list = std::make_shared<RecordList>();
  list->columns = {
      make_column("id", "id", K::text, U::none, true),
      make_column("layers", "layers", K::integer, U::none, false),
      make_column("share", "share", K::real, U::ratio_percent, false),
      make_column("memory_required_bytes", "needs", K::real, U::bytes_gib, false),
      make_column("memory_available_bytes", "usable", K::real, U::bytes_gib, false),
      make_column("fits", "fit", K::boolean, U::none, true),
      make_column("step_seconds", "busy", K::real, U::seconds_auto, false),
  };
  for (const auto& m : r.members) {
    list->records.push_back({Cell{m.alone.device->id}, Cell{static_cast<std::int64_t>(m.layers)},
                             Cell{m.share}, Cell{m.fit.required_bytes}, Cell{m.fit.available_bytes},
                             Cell{m.fit.fits}, Cell{m.step_seconds}});
  }
  return list;
}

// "8x Mac mini M4 Pro" for identical members, else the members' names joined by " + ".
std::string group_name(const GroupResult& r) {
  std::vector<std::string> names;
  for (const auto& m : r.members) {
    names.push_back(m.alone.device->name);
  }
  if (!names.empty() && std::all_of(names.begin(), names.end(),
                                    [&](const std::string& n) { return n == names.front(); })) {
    return names.size() > 1 ? fmt::format("{}x {}", names.size(), names.front()) : names.front();
  }
  return fmt::format("{}", fmt::join(names, " + "));
}

// The members' vendor when they share one, else null.
Cell group_vendor(const GroupResult& r) {
  if (r.members.empty()) {
    return Cell{};
  }
  const std::string& vendor = r.members.front().alone.device->vendor;
  for (const auto& m : r.members) {
    if (m.alone.device->vendor != vendor) {
      return Cell{};
    }
  }
  return Cell{vendor};
}

}  // namespace

Report group_report(const std::vector<GroupResult>& results, const ModelInput& model,
                    const EstimateOptions& options, const std::string& sort_key) {
  using detail::ColumnDef;
  using detail::integer_cell;
  using detail::make_column;
  using detail::optional_real_cell;
  using detail::real_cell;
  using detail::text_cell;
  using K = CellKind;
  using U = HumanUnit;
  using R = GroupResult;
  const std::string model_id = model.spec.id;
  const std::string quant_id = model.quant_id;
  const std::string quant_origin = model.quant_origin;
  const EstimateOptions o = options;
  std::vector<ColumnDef<R>> defs = {
      // The device object of a group: its label, its members' names, their vendor when they
      // share one, and kind "group".
      {make_column("device.id", "device", K::text, U::none, false),
       [](const R& r) { return text_cell(r.label); }},
      {make_column("device.name", "name", K::text, U::none, false),
       [](const R& r) { return text_cell(group_name(r)); }},
      {make_column("device.vendor", "vendor", K::text, U::none, false),
       [](const R& r) { return group_vendor(r); }},
      {make_column("device.kind", "kind", K::text, U::none, false),
       [](const R&) { return text_cell("group"); }},
      {make_column("group", "group", K::text, U::none, false),
       [](const R& r) { return text_cell(r.label); }},
      {make_column("devices", "devices", K::records, U::none, true),
       [](const R& r) { return Cell{member_records(r)}; }},
      {make_column("device_count", "count", K::integer, U::none, false),
       [](const R& r) { return integer_cell(static_cast<double>(r.members.size())); }},
      {make_column("split", "split", K::text, U::none, true),
       [](const R& r) { return text_cell(std::string(to_string(r.split))); }},
      {make_column("link.id", "link", K::text, U::none, true),
       [](const R& r) { return r.link != nullptr ? text_cell(r.link->id) : Cell{}; }},
      {make_column("link.bandwidth_bytes_per_s", "link bandwidth", K::real, U::bytes_per_s_gb,
                   false),
       [](const R& r) {
         return r.link != nullptr ? real_cell(r.link->bandwidth_bytes_per_s) : Cell{};
       }},
      {make_column("link.latency_seconds", "link latency", K::real, U::seconds_auto, false),
       [](const R& r) { return r.link != nullptr ? real_cell(r.link->latency_s) : Cell{}; }},
      {make_column("quant", "quant", K::text, U::none, true),
       [quant_id](const R&) { return text_cell(quant_id); }},
      {make_column("quant_origin", "quant from", K::text, U::none, true),
       [quant_origin](const R&) { return text_cell(quant_origin); }},
      {make_column("kv_quant", "kv quant", K::text, U::none, false),
       [o](const R&) { return text_cell(o.kv_quant); }},
      {make_column("batch", "batch", K::integer, U::none, false),
       [o](const R&) { return integer_cell(o.batch); }},
      {make_column("context_tokens", "context", K::integer, U::none, false),
       [o](const R&) { return integer_cell(o.context_tokens); }},
      {make_column("prompt_tokens", "prompt", K::integer, U::none, false),
       [o](const R&) { return integer_cell(o.prompt_tokens); }},
      {make_column("weights_bytes", "weights", K::real, U::bytes_gib, true),
       [](const R& r) { return real_cell(r.weights_bytes); }},
      {make_column("kv_cache_bytes", "KV cache", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.kv_cache_bytes); }},
      {make_column("max_device_required_bytes", "per device", K::real, U::bytes_gib, true),
       [](const R& r) { return real_cell(r.max_member_required_bytes); }},
      {make_column("micro_batches", "micro-batches", K::integer, U::none, false),
       [](const R& r) { return integer_cell(r.micro_batches); }},
      {make_column("device_seconds", "devices time", K::real, U::seconds_auto, false),
       [](const R& r) { return real_cell(r.device_seconds); }},
      {make_column("link_seconds", "link time", K::real, U::seconds_auto, true),
       [](const R& r) { return real_cell(r.link_seconds); }},
      {make_column("step_seconds", "step", K::real, U::seconds_auto, false),
       [](const R& r) { return real_cell(r.step_seconds); }},
      {make_column("ideal_tokens_per_s", "ideal", K::real, U::tokens_per_s, false),
       [](const R& r) { return real_cell(r.ideal_tokens_per_s); }},
      {make_column("tokens_per_s", "estimate", K::real, U::tokens_per_s, true),
       [](const R& r) { return real_cell(r.tokens_per_s); }},
      {make_column("tokens_per_s_low", "low", K::real, U::tokens_per_s, true),
       [](const R& r) { return real_cell(r.tokens_per_s_low); }},
      {make_column("tokens_per_s_high", "high", K::real, U::tokens_per_s, true),
       [](const R& r) { return real_cell(r.tokens_per_s_high); }},
      {make_column("aggregate_tokens_per_s", "total", K::real, U::tokens_per_s, false),
       [](const R& r) { return real_cell(r.aggregate_tokens_per_s); }},
      {make_column("fits", "fits", K::boolean, U::none, true),
       [](const R& r) { return Cell{r.fits}; }},
      {make_column("fit_reason", "does not fit", K::text, U::none, false),
       [](const R& r) {
         for (std::size_t i = 0; i < r.members.size(); ++i) {
           const GroupMember& m = r.members[i];
           if (!m.fit.fits) {
             return detail::fit_reason_cell(
                 false, fmt::format("device {} ({})", i + 1, m.alone.device->id),
                 m.fit.required_bytes, m.fit.available_bytes);
           }
         }
         return Cell{};
       }},
      {make_column("memory_required_bytes", "needs", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.memory_required_bytes); }},
      {make_column("memory_available_bytes", "usable", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.memory_available_bytes); }},
      {make_column("prefill_tokens_per_s", "prefill", K::real, U::tokens_per_s, true),
       [](const R& r) { return optional_real_cell(r.prefill_tokens_per_s); }},
  };
  detail::append_model_columns(
      defs, model_id, model.weights.total_params,
      model.spec.active_params > 0 ? model.spec.active_params : model.weights.total_params);
  detail::append_time_and_cost_columns(defs, o.generate_tokens);
  Report report = detail::build_report("estimate", defs, results, sort_key);
  report.essential_columns = {"tokens_per_s",
                              "fits",
                              "devices",
                              "tokens_per_s_low",
                              "tokens_per_s_high",
                              "link_seconds",
                              "prefill_tokens_per_s"};
  conform_estimate_rows(report, "group");
  return report;
}

}  // namespace llmroof
