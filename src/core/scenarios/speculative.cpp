#include "llmroof/scenarios/speculative.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "llmroof/scenarios/cluster.hpp"
#include "llmroof/util/errors.hpp"
#include "report/report_table.hpp"

namespace llmroof {

double expected_tokens_per_pass(double acceptance, int draft_tokens) {
  const double a = std::clamp(acceptance, 0.0, 1.0);
  const int k = std::max(0, draft_tokens);
  if (a >= 1.0) {
    return k + 1.0;
  }
  return (1.0 - std::pow(a, k + 1)) / (1.0 - a);
}

double expected_draft_acceptance_rate(double acceptance, int draft_tokens) {
  if (draft_tokens <= 0) {
    return 0;
  }
  // A + A^2 + ... + A^K = (1 + A + ... + A^K) - 1.
  return (expected_tokens_per_pass(acceptance, draft_tokens) - 1.0) / draft_tokens;
}

DecodeStep verification_step(const ModelSpec& model, const Weights& weights, const Roofs& roofs,
                             const DecodeInput& input, int tokens) {
  DecodeInput in = input;
  in.batch = std::max(1, tokens);
  DecodeStep s = decode_step(model, weights, roofs, in);
  const double n = static_cast<double>(in.batch);
  // One sequence: its cache is read once, and token i of the pass attends to context + i.
  s.kv_read_bytes = kv_cache_bytes(model, in.context_tokens, in.kv_bytes_per_element);
  s.flops += attention_flops_sum(model, in.context_tokens, n) -
             n * attention_flops_per_token(model, in.context_tokens);
  s.bytes = s.weights_read_bytes + s.kv_read_bytes;
  s.memory_seconds = s.bytes / roofs.mem_bw_bytes_per_s;
  s.compute_seconds = s.flops / roofs.peak_flops_per_s;
  s.compute_bound = s.compute_seconds > s.memory_seconds;
  s.step_seconds = std::max(s.memory_seconds, s.compute_seconds);
  // Per pass, not per token: how many tokens it yields depends on the acceptance.
  s.tokens_per_s = 1.0 / s.step_seconds;
  s.aggregate_tokens_per_s = s.tokens_per_s;
  return s;
}

SpeculativeResult estimate_speculative(const Device& device, const ModelInput& target,
                                       const SpeculativeSpec& spec, const EstimateOptions& options,
                                       const EfficiencyTable& efficiency) {
  if (options.batch > 1) {
    throw RequestError("batch", "speculative decoding is estimated for one sequence; drop {batch}");
  }
  if (spec.draft_tokens < 1) {
    throw RequestError("draft_tokens", fmt::format("{{draft_tokens}} must be at least 1, got {}",
                                                   spec.draft_tokens));
  }
  if (!(spec.acceptance >= 0.0 && spec.acceptance <= 1.0)) {
    throw RequestError("acceptance",
                       fmt::format("{{acceptance}} must be in [0, 1], got {}", spec.acceptance));
  }
  SpeculativeResult r;
  r.target = estimate(device, target, options, efficiency);
  r.draft = estimate(device, spec.draft, options, efficiency);
  r.draft_tokens = spec.draft_tokens;
  r.acceptance = spec.acceptance;

  DecodeInput in;
  in.batch = 1;
  in.context_tokens = options.context_tokens;
  in.kv_bytes_per_element = options.kv_bytes_per_element;
  in.expert_skew = options.expert_skew;
  r.verify =
      verification_step(target.spec, target.weights, r.target.roofs, in, spec.draft_tokens + 1);
  // The target's own engine figures (share 1): realistic, or the roofline with --ideal.
  const Shard engine = make_shard(r.target, 1.0, target.spec.layers, target.spec, target.weights,
                                  options, efficiency);
  const ShardDecode verify = shard_decode(engine, r.verify);
  r.verify_seconds = verify.seconds;
  if (verify.terms) {
    r.verify_on_matrix_kernels = verify.terms->kernel == DecodeKernel::matrix;
    r.vector_batch_max = engine.run.vector_batch_max;
  }
  r.draft_seconds = spec.draft_tokens / r.draft.tokens_per_s;
  r.pass_seconds = r.draft_seconds + r.verify_seconds;
  r.accepted_tokens_per_step = expected_tokens_per_pass(spec.acceptance, spec.draft_tokens);
  r.plain_tokens_per_s = r.target.tokens_per_s;
  r.tokens_per_s = r.accepted_tokens_per_step / r.pass_seconds;
  r.tokens_per_s_low = r.tokens_per_s * (r.target.tokens_per_s_low / r.target.tokens_per_s);
  r.tokens_per_s_high = r.tokens_per_s * (r.target.tokens_per_s_high / r.target.tokens_per_s);
  r.speedup = r.tokens_per_s / r.plain_tokens_per_s;
  if (r.target.prefill) {
    r.time_to_first_token_s = r.target.time_to_first_token_s + r.draft.time_to_first_token_s;
  }

  // Both models and both caches share the device's memory; each engine context has overhead.
  r.fit.weights_bytes = r.target.fit.weights_bytes + r.draft.fit.weights_bytes;
  r.fit.kv_cache_bytes = r.target.fit.kv_cache_bytes + r.draft.fit.kv_cache_bytes;
  r.fit.overhead_bytes = r.target.fit.overhead_bytes + r.draft.fit.overhead_bytes;
  r.fit.required_bytes = r.fit.weights_bytes + r.fit.kv_cache_bytes + r.fit.overhead_bytes;
  r.fit.available_bytes = r.target.fit.available_bytes;
  r.fit.margin_bytes = r.fit.available_bytes - r.fit.required_bytes;
  r.fit.fits = r.fit.margin_bytes >= 0;

  const auto cost = detail::cost_figures(r.tokens_per_s, device.launch_price_usd, r.target.power_w,
                                         options.price_usd_per_hour);
  r.tokens_per_s_per_kusd = cost.tokens_per_s_per_kusd;
  r.joules_per_token = cost.joules_per_token;
  r.usd_per_million_tokens = cost.usd_per_million_tokens;
  return r;
}

Report speculative_report(const std::vector<SpeculativeResult>& results, const ModelInput& target,
                          const SpeculativeSpec& spec, const EstimateOptions& options,
                          const std::string& sort_key) {
  using detail::ColumnDef;
  using detail::integer_cell;
  using detail::make_column;
  using detail::optional_real_cell;
  using detail::real_cell;
  using detail::text_cell;
  using K = CellKind;
  using U = HumanUnit;
  using R = SpeculativeResult;
  const std::string model_id = target.spec.id;
  const std::string quant_id = target.quant_id;
  const std::string quant_origin = target.quant_origin;
  const std::string draft_id = spec.draft.spec.id;
  const std::string draft_quant = spec.draft.quant_id;
  const EstimateOptions o = options;
  std::vector<ColumnDef<R>> defs = {

      {make_column("quant", "quant", K::text, U::none, true),
       [quant_id](const R&) { return text_cell(quant_id); }},
      {make_column("quant_origin", "quant from", K::text, U::none, true),
       [quant_origin](const R&) { return text_cell(quant_origin); }},
      {make_column("draft.id", "draft", K::text, U::none, true),
       [draft_id](const R&) { return text_cell(draft_id); }},
      {make_column("draft.quant", "draft quant", K::text, U::none, false),
       [draft_quant](const R&) { return text_cell(draft_quant); }},
      {make_column("kv_quant", "kv quant", K::text, U::none, false),
       [o](const R&) { return text_cell(o.kv_quant); }},
      {make_column("context_tokens", "context", K::integer, U::none, false),
       [o](const R&) { return integer_cell(o.context_tokens); }},
      {make_column("prompt_tokens", "prompt", K::integer, U::none, false),
       [o](const R&) { return integer_cell(o.prompt_tokens); }},
      {make_column("draft_tokens", "K", K::integer, U::none, false),
       [](const R& r) { return integer_cell(r.draft_tokens); }},
      {make_column("acceptance", "accept", K::real, U::ratio_percent, false),
       [](const R& r) { return real_cell(r.acceptance); }},
      {make_column("draft_acceptance_rate", "accepted/drafted", K::real, U::ratio_percent, false),
       [](const R& r) {
         return real_cell(expected_draft_acceptance_rate(r.acceptance, r.draft_tokens));
       }},
      {make_column("accepted_tokens_per_step", "tok/pass", K::real, U::none, true),
       [](const R& r) { return real_cell(r.accepted_tokens_per_step); }},
      {make_column("draft_seconds", "draft", K::real, U::seconds_auto, true),
       [](const R& r) { return real_cell(r.draft_seconds); }},
      {make_column("verify_seconds", "verify", K::real, U::seconds_auto, true),
       [](const R& r) { return real_cell(r.verify_seconds); }},
      {make_column("verify_bound", "verify bound", K::text, U::none, true),
       [](const R& r) { return text_cell(r.verify.compute_bound ? "compute" : "memory"); }},
      {make_column("verify_flops", "verify FLOPs", K::real, U::none, false),
       [](const R& r) { return real_cell(r.verify.flops); }},
      {make_column("pass_seconds", "pass", K::real, U::seconds_auto, false),
       [](const R& r) { return real_cell(r.pass_seconds); }},
      {make_column("plain_tokens_per_s", "plain", K::real, U::tokens_per_s, true),
       [](const R& r) { return real_cell(r.plain_tokens_per_s); }},
      {make_column("draft_tokens_per_s", "draft alone", K::real, U::tokens_per_s, false),
       [](const R& r) { return real_cell(r.draft.tokens_per_s); }},
      {make_column("tokens_per_s", "estimate", K::real, U::tokens_per_s, true),
       [](const R& r) { return real_cell(r.tokens_per_s); }},
      {make_column("tokens_per_s_low", "low", K::real, U::tokens_per_s, false),
       [](const R& r) { return real_cell(r.tokens_per_s_low); }},
      {make_column("tokens_per_s_high", "high", K::real, U::tokens_per_s, false),
       [](const R& r) { return real_cell(r.tokens_per_s_high); }},
      {make_column("speedup", "speed-up", K::real, U::none, true),
       [](const R& r) { return real_cell(r.speedup); }},
      {make_column("fits", "fits", K::boolean, U::none, true),
       [](const R& r) { return Cell{r.fit.fits}; }},
      {make_column("fit_reason", "does not fit", K::text, U::none, false),
       [](const R& r) {
         return detail::fit_reason_cell(r.fit.fits, "target and draft", r.fit.required_bytes,
                                        r.fit.available_bytes);
       }},
      {make_column("weights_bytes", "weights", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.fit.weights_bytes); }},
      {make_column("memory_required_bytes", "needs", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.fit.required_bytes); }},
      {make_column("memory_available_bytes", "usable", K::real, U::bytes_gib, false),
       [](const R& r) { return real_cell(r.fit.available_bytes); }},
      {make_column("memory_margin_bytes", "margin", K::real, U::bytes_gib, true),
       [](const R& r) { return real_cell(r.fit.margin_bytes); }},
      {make_column("time_to_first_token_seconds", "TTFT", K::real, U::seconds_auto, false),
       [](const R& r) { return optional_real_cell(r.time_to_first_token_s); }},
      {make_column("power_w", "power [W]", K::real, U::none, false, 0),
       [](const R& r) { return r.target.power_w > 0 ? real_cell(r.target.power_w) : Cell{}; }},
      {make_column("tokens_per_s_per_kusd", "tok/s per k$", K::real, U::none, false),
       [](const R& r) { return optional_real_cell(r.tokens_per_s_per_kusd); }},
      {make_column("joules_per_token", "J/token", K::real, U::none, false),
       [](const R& r) { return optional_real_cell(r.joules_per_token); }},
      {make_column("usd_per_million_tokens", "$/Mtok", K::real, U::none, false),
       [](const R& r) { return optional_real_cell(r.usd_per_million_tokens); }},
  };
  std::vector<ColumnDef<R>> front;
  detail::append_device_columns<R>(front, [](const R& r) { return r.target.device; });
  detail::append_model_columns(
      front, model_id, target.weights.total_params,
      target.spec.active_params > 0 ? target.spec.active_params : target.weights.total_params);
  defs.insert(defs.begin(), front.begin(), front.end());
  Report report = detail::build_report("estimate", defs, results, sort_key);
  report.essential_columns = {"tokens_per_s", "speedup", "plain_tokens_per_s",
                              "draft.id",     "fits",    "accepted_tokens_per_step"};
  conform_estimate_rows(report, "speculative");
  return report;
}

}  // namespace llmroof
