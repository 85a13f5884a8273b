#include "llmroof/scenarios/offload.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "llmroof/physics/roofline.hpp"
#include "llmroof/scenarios/cluster.hpp"
#include "llmroof/util/errors.hpp"
#include "report/report_table.hpp"

namespace llmroof {

int layers_that_fit(int layers, double weights_bytes, double kv_cache_bytes_total,
                    double available_bytes) {
  int best = 0;
  for (int n = 0; n <= layers; ++n) {
    const double share = layers > 0 ? static_cast<double>(n) / layers : 0.0;
    if (memory_fit(share * weights_bytes, share * kv_cache_bytes_total, available_bytes).fits) {
      best = n;
    }
  }
  return best;
}

namespace {

// Recomputes the times of a step whose bytes or FLOPs were adjusted.
DecodeStep retime(DecodeStep s, const Roofs& roofs, double batch) {
  s.bytes = s.weights_read_bytes + s.kv_read_bytes;
  s.memory_seconds = s.bytes / roofs.mem_bw_bytes_per_s;
  s.compute_seconds = s.flops / roofs.peak_flops_per_s;
  s.compute_bound = s.compute_seconds > s.memory_seconds;
  s.step_seconds = std::max(s.memory_seconds, s.compute_seconds);
  s.tokens_per_s = s.step_seconds > 0 ? 1.0 / s.step_seconds : 0;
  s.aggregate_tokens_per_s = s.step_seconds > 0 ? batch / s.step_seconds : 0;
  return s;
}

PrefillResult retime(PrefillResult p, const Roofs& roofs, double prompt_tokens) {
  p.memory_seconds = p.bytes / roofs.mem_bw_bytes_per_s;
  p.compute_seconds = p.flops / roofs.peak_flops_per_s;
  p.compute_bound = p.compute_seconds >= p.memory_seconds;
  p.seconds = std::max(p.memory_seconds, p.compute_seconds);
  p.tokens_per_s = p.seconds > 0 ? prompt_tokens / p.seconds : 0;
  return p;
}

// One side of the split: the weights it holds and its share of the work.
struct Part {
  Weights weights;   // layer split: all of them (scaled by share); cpu-moe: its tensors
  double share = 0;  // layer split: fraction of the layers; cpu-moe: 1; 0 = nothing
  int layers = 0;
  bool attention = true;  // holds the KV cache and runs attention
};

ShardDecode part_decode(const Part& p, const Shard& shard, const ModelInput& model,
                        const EstimateOptions& o, double context) {
  if (p.share <= 0) {
    return {};
  }
  DecodeInput in;
  in.batch = std::max(1, o.batch);
  in.context_tokens = context;
  in.kv_bytes_per_element = o.kv_bytes_per_element;
  in.expert_skew = o.expert_skew;
  DecodeStep step = decode_step(model.spec, p.weights, shard.roofs, in);
  if (!p.attention) {
    step.kv_read_bytes = 0;
    step.flops -= in.batch * attention_flops_per_token(model.spec, context);
    step = retime(step, shard.roofs, in.batch);
  }
  return shard_decode(shard, step);
}

double part_decode_seconds(const Part& p, const Shard& shard, const ModelInput& model,
                           const EstimateOptions& o, double context) {
  return part_decode(p, shard, model, o, context).seconds;
}

// Prefill of part `p` on `shard` (its own device, or the GPU running the host's weights).
double part_prefill_seconds(const Part& p, const Shard& shard, const ModelInput& model,
                            const EstimateOptions& o) {
  if (p.share <= 0) {
    return 0;
  }
  PrefillResult pre = prefill(model.spec, p.weights, shard.roofs, o.prompt_tokens, o.context_tokens,
                              o.kv_bytes_per_element);
  if (!p.attention) {
    const double n = std::max(1.0, o.prompt_tokens);
    pre.flops -= attention_flops_sum(model.spec, o.context_tokens, n);
    pre.bytes -= kv_cache_bytes(model.spec, o.context_tokens + n, o.kv_bytes_per_element);
    pre = retime(pre, shard.roofs, o.prompt_tokens);
  }
  return shard_prefill_seconds(shard, pre);
}

// The shards of one part: realistic (ideal with --ideal) and pure roofline.
struct PartShards {
  Shard real;
  Shard ideal;
};

PartShards shards_of(const Part& p, const EstimateResult& on, const ModelSpec& spec,
                     const EstimateOptions& options, const EfficiencyTable& efficiency) {
  if (p.share <= 0) {
    return {};
  }
  EstimateOptions ideal = options;
  ideal.ideal = true;
  return {make_shard(on, p.share, p.layers, spec, p.weights, options, efficiency),
          make_shard(on, p.share, p.layers, spec, p.weights, ideal, efficiency)};
}

}  // namespace

OffloadResult estimate_offload(const OffloadSpec& spec, const ModelInput& model,
                               const EstimateOptions& options, const EfficiencyTable& efficiency) {
  if (spec.gpu == nullptr || spec.host == nullptr) {
    throw UsageError("partial offload needs a GPU and a host");
  }
  if (spec.gpu->kind != DeviceKind::gpu) {
    throw UsageError(fmt::format(
        "partial offload needs a discrete GPU; '{}' (kind {}) shares its memory with the host",
        spec.gpu->id, to_string(spec.gpu->kind)));
  }
  if (spec.host->kind != DeviceKind::cpu) {
    throw UsageError(fmt::format("host '{}' is not a CPU entry of the device list (kind {})",
                                 spec.host->id, to_string(spec.host->kind)));
  }
  if (spec.cpu_moe && model.weights.routed_expert_bytes <= 0) {
    throw RequestError(
        "cpu_moe",
        fmt::format(
            "{{cpu_moe}} keeps routed experts on the host, but '{}' has none (a dense model)",
            model.spec.id));
  }
  OffloadResult r;
  r.gpu_alone = estimate(*spec.gpu, model, options, efficiency);
  // The overrides describe the GPU; the host keeps its own figures and backend.
  EstimateOptions host_options = options;
  host_options.bandwidth_bytes_per_s.reset();
  host_options.peak_flops_per_s.reset();
  host_options.memory_bytes.reset();
  host_options.usable_memory_bytes.reset();
  host_options.power_w.reset();
  host_options.backend.clear();
  r.host_alone = estimate(*spec.host, model, host_options, efficiency);
  r.layers = std::max(1, model.spec.layers);
  r.cpu_moe = spec.cpu_moe;

  const double batch = static_cast<double>(std::max(1, options.batch));
  const double held_tokens =
      options.context_tokens + options.prompt_tokens + options.generate_tokens;
  const double kv_total =
      batch * kv_cache_bytes(model.spec, held_tokens, options.kv_bytes_per_element);
  const double weights_total = model.weights.total_bytes;
  const double gpu_available = r.gpu_alone.fit.available_bytes;

  Part gpu;
  Part host;
  if (spec.cpu_moe) {
    r.gpu_layers = r.layers;
    gpu.weights = model.weights;
    gpu.weights.routed_expert_bytes = 0;
    gpu.weights.routed_expert_params = 0;
    gpu.share = 1;
    gpu.layers = r.layers;
    host.weights = model.weights;
    host.weights.dense_read_bytes = 0;
    host.weights.dense_matmul_params = 0;
    host.share = 1;
    host.layers = r.layers;
    host.attention = false;
    r.host_weights_bytes = model.weights.routed_expert_bytes;
    r.gpu_weights_bytes = weights_total - r.host_weights_bytes;
    r.gpu_kv_bytes = kv_total;
  } else {
    r.automatic = !spec.gpu_layers.has_value();
    r.gpu_layers = r.automatic ? layers_that_fit(r.layers, weights_total, kv_total, gpu_available)
                               : std::clamp(*spec.gpu_layers, 0, r.layers);
    const double share = static_cast<double>(r.gpu_layers) / r.layers;
    gpu.weights = model.weights;
    gpu.share = share;
    gpu.layers = r.gpu_layers;
    host.weights = model.weights;
    host.share = 1.0 - share;
    host.layers = r.layers - r.gpu_layers;
    r.gpu_weights_bytes = share * weights_total;
    r.host_weights_bytes = weights_total - r.gpu_weights_bytes;
    r.gpu_kv_bytes = share * kv_total;
  }
  r.host_kv_bytes = kv_total - r.gpu_kv_bytes;
  r.gpu_fit = memory_fit(r.gpu_weights_bytes, r.gpu_kv_bytes, gpu_available);
  r.host_fit = memory_fit(r.host_weights_bytes, r.host_kv_bytes, r.host_alone.fit.available_bytes);
  r.fits = r.gpu_fit.fits && r.host_fit.fits;

  const PartShards gpu_shards = shards_of(gpu, r.gpu_alone, model.spec, options, efficiency);
  const PartShards host_shards =
      shards_of(host, r.host_alone, model.spec, host_options, efficiency);
  const auto step_at = [&](double context, bool ideal) {
    return part_decode_seconds(gpu, ideal ? gpu_shards.ideal : gpu_shards.real, model, options,
                               context) +
           part_decode_seconds(host, ideal ? host_shards.ideal : host_shards.real, model, options,
                               context);
  };
  r.gpu_shard = gpu_shards.real;
  r.host_shard = host_shards.real;
  r.gpu_decode = part_decode(gpu, gpu_shards.real, model, options, options.context_tokens);
  r.host_decode = part_decode(host, host_shards.real, model, options, options.context_tokens);
  r.gpu_seconds = r.gpu_decode.seconds;
  r.host_seconds = r.host_decode.seconds;
  r.step_seconds = r.gpu_seconds + r.host_seconds;
  double spread = 0;
  for (const Shard* s : {&gpu_shards.real, &host_shards.real}) {
    if (s->cls != nullptr) {
      spread = std::max(spread, s->cls->decode_log_spread);
    }
  }
  r.tokens_per_s = 1.0 / r.step_seconds;
  r.tokens_per_s_low = r.tokens_per_s * std::exp(-spread);
  r.tokens_per_s_high = r.tokens_per_s * std::exp(spread);
  r.aggregate_tokens_per_s = batch / r.step_seconds;
  r.ideal_tokens_per_s = 1.0 / step_at(options.context_tokens, true);

  if (options.prompt_tokens > 0) {
    double host_prefill = part_prefill_seconds(host, host_shards.real, model, host_options);
    // A long prompt may instead run the host's weights on the GPU after they cross the bus
    // (every weight the host holds is read once; all experts for a long prompt).
    if (spec.bus != nullptr && options.prompt_tokens >= k_offload_min_batch && host.share > 0) {
      const double host_read =
          host.share * (host.weights.dense_read_bytes + host.weights.routed_expert_bytes);
      const Shard on_gpu = make_shard(r.gpu_alone, host.share, host.layers, model.spec,
                                      host.weights, options, efficiency);
      const double streamed = std::max(link_hop_seconds(host_read, *spec.bus),
                                       part_prefill_seconds(host, on_gpu, model, options));
      r.prefill_on_gpu = streamed < host_prefill;
      host_prefill = std::min(host_prefill, streamed);
    }
    r.time_to_first_token_s =
        part_prefill_seconds(gpu, gpu_shards.real, model, options) + host_prefill;
    r.prefill_tokens_per_s = options.prompt_tokens / r.time_to_first_token_s;
  }
  const double generate_seconds =
      decode_span_seconds(options.context_tokens, options.generate_tokens,
                          [&](double context) { return step_at(context, options.ideal); });
  r.generate_tokens_per_s =
      generate_seconds > 0 ? options.generate_tokens / generate_seconds : r.tokens_per_s;
  r.end_to_end_seconds = r.time_to_first_token_s + generate_seconds;

  // Cost and energy: the host counts once it holds part of the model.
  const bool host_used = host.share > 0 && r.host_weights_bytes > 0;
  const Device& g = *spec.gpu;
  const Device& h = *spec.host;
  if (g.launch_price_usd && (!host_used || h.launch_price_usd)) {
    r.price_usd = *g.launch_price_usd + (host_used ? *h.launch_price_usd : 0.0);
  }
  const bool power_known = r.gpu_alone.power_w > 0 && (!host_used || r.host_alone.power_w > 0);
  r.power_w = power_known ? r.gpu_alone.power_w + (host_used ? r.host_alone.power_w : 0.0) : 0;
  const auto cost = detail::cost_figures(r.aggregate_tokens_per_s, r.price_usd, r.power_w,
                                         options.price_usd_per_hour);
  r.tokens_per_s_per_kusd = cost.tokens_per_s_per_kusd;
  r.joules_per_token = cost.joules_per_token;
  r.usd_per_million_tokens = cost.usd_per_million_tokens;
  return r;
}

namespace {

std::shared_ptr<const RecordList> part_records(const OffloadResult& r) {
  using detail::make_column;
  using K = CellKind;
  using U = HumanUnit;
  auto list = std::make_shared<RecordList>();
  list->columns = {
      make_column("id", "id", K::text, U::none, true),
      make_column("role", "role", K::text, U::none, false),
      make_column("layers", "layers", K::integer, U::none, false),
      make_column("weights_bytes", "weights", K::real, U::bytes_gib, false),
      make_column("kv_cache_bytes", "KV cache", K::real, U::bytes_gib, false),
      make_column("memory_required_bytes", "needs", K::real, U::bytes_gib, true),
      make_column("memory_available_bytes", "usable", K::real, U::bytes_gib, false),
      make_column("fits", "fit", K::boolean, U::none, true),
      make_column("step_seconds", "busy", K::real, U::seconds_auto, false),
  };
  const std::int64_t host_layers = r.cpu_moe ? r.layers : r.layers - r.gpu_layers;
  list->records.push_back({Cell{r.gpu_alone.device->id}, Cell{std::string("gpu")},
                           Cell{static_cast<std::int64_t>(r.gpu_layers)}, Cell{r.gpu_weights_bytes},
                           Cell{r.gpu_kv_bytes}, Cell{r.gpu_fit.required_bytes},
                           Cell{r.gpu_fit.available_bytes}, Cell{r.gpu_fit.fits},
                           Cell{r.gpu_seconds}});
  list->records.push_back({Cell{r.host_alone.device->id}, Cell{std::string("host")},
                           Cell{host_layers}, Cell{r.host_weights_bytes}, Cell{r.host_kv_bytes},
                           Cell{r.host_fit.required_bytes}, Cell{r.host_fit.available_bytes},
                           Cell{r.host_fit.fits}, Cell{r.host_seconds}});
  return list;
}

}  // namespace

Report offload_report(const std::vector<OffloadResult>& results, const ModelInput& model,
                      const EstimateOptions& options, const std::string& sort_key) {
  using detail::ColumnDef;
  using detail::integer_cell;
  using detail::make_column;
  using detail::optional_real_cell;
  using detail::real_cell;
  using detail::text_cell;
  using K = CellKind;
  using U = HumanUnit;
  using R = OffloadResult;
  const std::string model_id = model.spec.id;
  const std::string quant_id = model.quant_id;
  const std::string quant_origin = model.quant_origin;
  const EstimateOptions o = options;
  std::vector<ColumnDef<R>> defs = {

      {make_column("host.id", "host", K::text, U::none, true),
       [](const R& r) { return text_cell(r.host_alone.device->id); }},
      {make_column("devices", "devices", K::records, U::none, false),
       [](const R& r) { return Cell{part_records(r)}; }},

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
      {make_column("cpu_moe", "cpu moe", K::boolean, U::none, false),
       [](const R& r) { return Cell{r.cpu_moe}; }},
      {make_column("layers", "layers", K::integer, U::none, false),
       [](const R& r) { return integer_cell(r.layers); }},
      {make_column("gpu_layers", "GPU layers", K::integer, U::none, true),
       [](const R& r) { return integer_cell(r.gpu_layers); }},
      {make_column("gpu_layers_automatic", "auto", K::boolean, U::none, false),
       [](const R& r) { return Cell{r.automatic}; }},
      {make_column("gpu_weights_bytes", "on GPU", K::real, U::bytes_gib, true),
       [](const R& r) { return real_cell(r.gpu_weights_bytes); }},
      {make_column("host_weights_bytes", "on host", K::real, U::bytes_gib, true),
       [](const R& r) { return real_cell(r.host_weights_bytes); }},
      {make_column("gpu_kv_bytes", "KV on GPU", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.gpu_kv_bytes); }},
      {make_column("host_kv_bytes", "KV on host", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.host_kv_bytes); }},
      {make_column("gpu_seconds", "GPU part", K::real, U::seconds_auto, true),
       [](const R& r) { return real_cell(r.gpu_seconds); }},
      {make_column("host_seconds", "host part", K::real, U::seconds_auto, true),
       [](const R& r) { return real_cell(r.host_seconds); }},
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
         if (!r.gpu_fit.fits) {
           return detail::fit_reason_cell(false, "the GPU part", r.gpu_fit.required_bytes,
                                          r.gpu_fit.available_bytes);
         }
         return detail::fit_reason_cell(r.host_fit.fits,
                                        fmt::format("the host part ({})", r.host_alone.device->id),
                                        r.host_fit.required_bytes, r.host_fit.available_bytes);
       }},
      {make_column("memory_required_bytes", "GPU needs", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.gpu_fit.required_bytes); }},
      {make_column("memory_available_bytes", "GPU usable", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.gpu_fit.available_bytes); }},
      {make_column("memory_margin_bytes", "margin", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.gpu_fit.margin_bytes); }},
      {make_column("host_memory_required_bytes", "host needs", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.host_fit.required_bytes); }},
      {make_column("prefill_tokens_per_s", "prefill", K::real, U::tokens_per_s, true),
       [](const R& r) { return optional_real_cell(r.prefill_tokens_per_s); }},
      {make_column("prefill_on_gpu", "prefill on GPU", K::boolean, U::none, false),
       [](const R& r) { return Cell{r.prefill_on_gpu}; }},
  };
  std::vector<ColumnDef<R>> front;
  detail::append_device_columns<R>(front, [](const R& r) { return r.gpu_alone.device; });
  detail::append_model_columns(
      front, model_id, model.weights.total_params,
      model.spec.active_params > 0 ? model.spec.active_params : model.weights.total_params);
  defs.insert(defs.begin(), front.begin(), front.end());
  detail::append_time_and_cost_columns(defs, o.generate_tokens);
  Report report = detail::build_report("estimate", defs, results, sort_key);
  report.essential_columns = {
      "tokens_per_s",      "fits",        "gpu_layers",  "host.id", "tokens_per_s_low",
      "tokens_per_s_high", "gpu_seconds", "host_seconds"};
  conform_estimate_rows(report, "offload");
  return report;
}

}  // namespace llmroof
