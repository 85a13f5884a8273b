#include "llmroof/scenarios/explain_estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "llmroof/engine/engine_model.hpp"
#include "llmroof/physics/roofline.hpp"

namespace llmroof {

namespace {

// Which residuals a class's band comes from: the shipped table's leave-one-generation-out
// predictions, or a calibration profile's own rows of its device.
std::string band_residuals(const EfficiencyClass& cls) {
  return cls.device.empty()
             ? std::string("leave-one-generation-out (each architecture generation held out)")
             : fmt::format("in-sample, the calibration profile's rows of {}", cls.device);
}

// Whose matmul_half_rows a class's matmuls use: "class's" (its own) or "table's".
const char* half_rows_owner(const EfficiencyClass& cls) {
  return cls.matmul_half_rows > 0 ? "class's" : "table's";
}

// Appends the steps of one section.
class Steps {
 public:
  Steps(std::vector<ExplainStep>& out, std::string section)
      : out_(out), section_(std::move(section)) {}

  // A number.
  void value(std::string id, std::string label, std::string formula, double v, std::string unit,
             std::optional<double> share = std::nullopt) {
    ExplainStep s;
    s.section = section_;
    s.id = std::move(id);
    s.label = std::move(label);
    s.formula = std::move(formula);
    s.value = v;
    s.unit = std::move(unit);
    s.share = share;
    out_.push_back(std::move(s));
  }

  // A fact.
  void fact(std::string id, std::string label, std::string formula, std::string text) {
    ExplainStep s;
    s.section = section_;
    s.id = std::move(id);
    s.label = std::move(label);
    s.formula = std::move(formula);
    s.text = std::move(text);
    out_.push_back(std::move(s));
  }

 private:
  std::vector<ExplainStep>& out_;
  std::string section_;
};

std::string v(double value, const std::string& unit) { return explain_value_text(value, unit); }

void decode_roof(std::vector<ExplainStep>& out, const EstimateResult& r, const ModelInput& model,
                 const EstimateOptions& options) {
  Steps s(out, "decode roof");
  const DecodeStep& step = r.step;
  const Weights& w = model.weights;
  const double batch = static_cast<double>(std::max(1, options.batch));
  if (w.experts > 0) {
    const double routed = w.routed_expert_bytes * step.experts_touched / w.experts;
    s.value("dense_read_bytes", "weights read: dense tensors", "read once per step",
            w.dense_read_bytes, "bytes");
    s.value("routed_expert_read_bytes", "weights read: routed experts",
            fmt::format("{} x {:.4g} experts touched / {} per layer",
                        v(w.routed_expert_bytes, "bytes"), step.experts_touched, w.experts),
            routed, "bytes");
  }
  s.value("weights_read_bytes", "weights read per step",
          fmt::format("{:.4g} params at {:.4g} bits/weight, every tensor a step multiplies",
                      w.total_params, w.bits_per_weight()),
          step.weights_read_bytes, "bytes");
  const double kv_per_token = kv_cache_bytes(model.spec, 1, options.kv_bytes_per_element);
  s.value("kv_read_bytes", "KV cache read per step",
          fmt::format("{:.0f} seq x {:.0f} tokens of context x {}/token ({})", batch,
                      options.context_tokens, v(kv_per_token, "bytes"), options.kv_quant),
          step.kv_read_bytes, "bytes");
  s.value(
      "bytes", "bytes per step",
      fmt::format("{} + {}", v(step.weights_read_bytes, "bytes"), v(step.kv_read_bytes, "bytes")),
      step.bytes, "bytes");
  s.value("mem_bw_bytes_per_s", "memory bandwidth",
          options.bandwidth_bytes_per_s ? "given" : r.device->id + " spec sheet",
          r.roofs.mem_bw_bytes_per_s, "bytes_per_s");
  s.value(
      "memory_seconds", "memory time",
      fmt::format("{} / {}", v(step.bytes, "bytes"), v(r.roofs.mem_bw_bytes_per_s, "bytes_per_s")),
      step.memory_seconds, "seconds");
  s.value("flops", "FLOPs per step",
          fmt::format("{:.0f} seq x (2 x {:.4g} multiplied params + attention)", batch,
                      w.matmul_params_per_token()),
          step.flops, "flops");
  s.value("peak_flops_per_s", "peak compute",
          options.peak_flops_per_s
              ? std::string("given")
              : fmt::format("{} {} peak", r.device->id, to_string(r.precision)),
          r.roofs.peak_flops_per_s, "flops_per_s");
  s.value(
      "compute_seconds", "compute time",
      fmt::format("{} / {}", v(step.flops, "flops"), v(r.roofs.peak_flops_per_s, "flops_per_s")),
      step.compute_seconds, "seconds");
  s.fact("bound", "bound",
         fmt::format("max({}, {})", v(step.memory_seconds, "seconds"),
                     v(step.compute_seconds, "seconds")),
         step.compute_bound ? "compute-bound" : "memory-bound");
  s.value("step_seconds", "ideal step", "the larger of the two", step.step_seconds, "seconds");
  s.value("tokens_per_s", "ideal decode speed",
          fmt::format("1 / {}", v(step.step_seconds, "seconds")), step.tokens_per_s,
          "tokens_per_s");
  if (r.critical_batch) {
    s.value("critical_batch", "critical batch", "batch at which compute time = memory time",
            *r.critical_batch, "count");
  }
}

void prefill_roof(std::vector<ExplainStep>& out, const EstimateResult& r,
                  const EstimateOptions& options) {
  Steps s(out, "prefill roof");
  const PrefillResult& p = *r.prefill;
  s.value("prompt_tokens", "prompt", "one pass over the prompt", options.prompt_tokens, "tokens");
  s.value("flops", "FLOPs", "2 x multiplied params x prompt tokens + attention over the prompt",
          p.flops, "flops");
  s.value("compute_seconds", "compute time",
          fmt::format("{} / {}", v(p.flops, "flops"), v(r.roofs.peak_flops_per_s, "flops_per_s")),
          p.compute_seconds, "seconds");
  s.value("bytes", "bytes", "every weight once + KV cache of context and prompt", p.bytes, "bytes");
  s.value("memory_seconds", "memory time",
          fmt::format("{} / {}", v(p.bytes, "bytes"), v(r.roofs.mem_bw_bytes_per_s, "bytes_per_s")),
          p.memory_seconds, "seconds");
  s.fact(
      "bound", "bound",
      fmt::format("max({}, {})", v(p.memory_seconds, "seconds"), v(p.compute_seconds, "seconds")),
      p.compute_bound ? "compute-bound" : "memory-bound");
  s.value("tokens_per_s", "ideal prefill speed",
          fmt::format("{:.0f} tokens / {}", options.prompt_tokens, v(p.seconds, "seconds")),
          p.tokens_per_s, "tokens_per_s");
}

// The realistic decode terms of `step` (a device's share of it in a group), each with its share
// of `total`, said for the kernels the batch runs on.
void decode_terms(Steps& s, const EfficiencyClass& cls, const EngineRun& run,
                  const DecodeStep& step, const DecodeBreakdown& b, double total) {
  // A natively narrow SIMD part reaches a further share of the class's bandwidth.
  const std::string narrow =
      run.decode_bw_factor != 1
          ? fmt::format(" x {:.4g} narrow SIMD ({:g} of {} lanes)", run.decode_bw_factor,
                        run.simd_lane_ratio * k_kernel_simd_lanes, k_kernel_simd_lanes)
          : std::string();
  const std::string bandwidth = fmt::format("({:.4g}{} x {})", cls.decode_bw_efficiency, narrow,
                                            v(run.mem_bw_bytes_per_s, "bytes_per_s"));
  const std::string vector_rate = fmt::format(
      "({:.4g} x {:.4g} format x {} {})", cls.decode_flops_efficiency, run.decode_format_factor,
      v(run.decode_peak_flops_per_s, "flops_per_s"), to_string(cls.decode_peak));
  switch (b.kernel) {
    case DecodeKernel::vector:
      if (step.batch > 1 && run.vector_batch_max > 0) {
        s.fact("kernel", "kernels",
               fmt::format("batch {:.0f} <= {}: matrix-vector kernels, each weight read once for "
                           "the batch",
                           step.batch, run.vector_batch_max),
               "matrix-vector");
      }
      s.value("memory_s", "memory term", fmt::format("{} / {}", v(step.bytes, "bytes"), bandwidth),
              b.memory_s, "seconds", b.memory_s / total);
      break;
    case DecodeKernel::vector_reread:
      s.fact("kernel", "kernels",
             fmt::format("batch {:.0f}: matrix-vector kernels; {:.0f}% of the weight bytes are of "
                         "a type with no batched kernel at this batch and are read once per "
                         "sequence",
                         step.batch, 100.0 * b.reread_share),
             "matrix-vector, re-read");
      s.value("memory_s", "memory term",
              fmt::format("({} x {:.3g} + {} x {:.3g} x {:.0f} seq + {} KV) / {}",
                          v(step.weights_read_bytes, "bytes"), 1.0 - b.reread_share,
                          v(step.sequence_weights_read_bytes, "bytes"), b.reread_share, step.batch,
                          v(step.kv_read_bytes, "bytes"), bandwidth),
              b.memory_s, "seconds", b.memory_s / total);
      break;
    case DecodeKernel::matrix: {
      const double rows = run.dense_rows_factor_at(step.batch);
      const double rate = realistic_matmul_flops_per_s(cls, run, rows);
      const double dense_flops = step.matmul_flops * run.dense_matmul_share();
      s.fact("kernel", "kernels",
             fmt::format("batch {:.0f} > {}: the dense weight matmuls run as a prefill of {:.0f} "
                         "rows (rows factor {:.3g} with the {} matmul_half_rows {:.4g}, {})",
                         step.batch, run.vector_batch_max, step.batch, rows, half_rows_owner(cls),
                         run.matmul_half_rows, v(rate, "flops_per_s")),
             "matrix");
      s.value("memory_s", "memory term", fmt::format("{} / {}", v(step.bytes, "bytes"), bandwidth),
              b.memory_s, "seconds", b.memory_s / total);
      s.value(
          "compute_s", "matmul/compute term",
          fmt::format("{} dense / {} + {} other / {}", v(dense_flops, "flops"),
                      v(rate, "flops_per_s"), v(step.flops - dense_flops, "flops"), vector_rate),
          b.compute_s, "seconds", b.compute_s / total);
      break;
    }
  }
  if (b.kernel != DecodeKernel::matrix) {
    s.value("compute_s", "dequantize/compute term",
            fmt::format("{} / {}", v(step.flops, "flops"), vector_rate), b.compute_s, "seconds",
            b.compute_s / total);
  }
  s.value("per_layer_s", "per-layer overhead",
          fmt::format("{} layers x {}", run.layers, v(cls.decode_per_layer_s, "seconds")),
          b.per_layer_s, "seconds", b.per_layer_s / total);
  if (run.moe_layers > 0) {
    s.value("moe_s", "MoE layer overhead",
            fmt::format("{:.4g} MoE layers x {}", run.moe_layers, v(run.moe_layer_s, "seconds")),
            b.moe_s, "seconds", b.moe_s / total);
  }
}

// Which llama.cpp the realistic figures describe: the table's calibration data, today's kernels.
std::string engine_description(const EfficiencyTable& table) {
  std::string text = "llama.cpp's kernels as fitted to the calibration data";
  if (table.fitted_on) {
    text += fmt::format(" of {}", table.fitted_on->data_date);
  }
  for (const auto& era : table.eras) {
    std::string backend = era.backend;
    std::transform(backend.begin(), backend.end(), backend.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    text += fmt::format("; {} prompts as from build b{} (not the dequantize + FP16 BLAS before it)",
                        backend, era.before_build);
  }
  return text;
}

void decode_engine(std::vector<ExplainStep>& out, const EstimateResult& r,
                   const EngineModel& engine, const EfficiencyTable& table) {
  Steps s(out, "decode engine");
  const EfficiencyClass& cls = *engine.cls;
  const EngineRun& run = engine.run;
  const DecodeBreakdown b = engine.decode_breakdown(r.step);
  const double total = b.seconds();
  s.fact("class", "efficiency class", cls.description, cls.id);
  s.fact("engine", "engine", engine_description(table), "today's llama.cpp");
  decode_terms(s, cls, run, r.step, b, total);
  s.value("step_seconds", "realistic step", "sum of the terms", total, "seconds", 1.0);
  s.value("tokens_per_s", "decode speed", fmt::format("1 / {}", v(total, "seconds")), 1.0 / total,
          "tokens_per_s");
}

void prefill_engine(std::vector<ExplainStep>& out, const EstimateResult& r,
                    const EngineModel& engine, const EstimateOptions& options) {
  Steps s(out, "prefill engine");
  const EfficiencyClass& cls = *engine.cls;
  const EngineRun& run = engine.run;
  const PrefillResult& p = *r.prefill;
  s.value("matmul_peak_flops_per_s", "peak basis",
          fmt::format("{} figure of {}", to_string(cls.prefill_peak), r.device->id),
          run.matmul_peak_flops_per_s, "flops_per_s");
  s.value("prefill_flops_efficiency", "matmul efficiency", "fitted", cls.prefill_flops_efficiency,
          "ratio");
  if (cls.prefill_core_ops_per_flop > 0) {
    s.value("prefill_core_ops_per_flop", "vector-core ops per FLOP",
            fmt::format("fitted, in series at the FP32 rate {}",
                        v(run.core_peak_flops_per_s, "flops_per_s")),
            cls.prefill_core_ops_per_flop, "ratio");
  }
  s.value("format_factor", "weight format factor", "the weights' format family", run.format_factor,
          "ratio");
  s.value("rows_factor", "rows factor",
          fmt::format("rows per pass r / (r + {:.4g}, the {} matmul_half_rows)",
                      run.matmul_half_rows, half_rows_owner(cls)),
          run.rows_factor, "ratio");
  s.value("clock_factor", "clock factor",
          fmt::format("power ratio {:.4g} ^ {:.4g}", run.power_ratio, run.power_limit_exponent),
          run.clock_factor(), "ratio");
  const double rate = realistic_prefill_flops_per_s(cls, run);
  s.value("matmul_flops_per_s", "matmul rate reached",
          "factors x 1 / (1 / (efficiency x peak) + core ops / FP32 rate)", rate, "flops_per_s");
  const PrefillBreakdown b = engine.prefill_breakdown(p);
  const double total = b.seconds();
  s.value("compute_s", "compute side",
          fmt::format("{} / {}", v(p.flops, "flops"), v(rate, "flops_per_s")), b.compute_s,
          "seconds", b.compute_s / total);
  s.value("memory_s", "memory side",
          fmt::format("{} / ({:.4g} x {})", v(p.bytes, "bytes"), cls.decode_bw_efficiency,
                      v(run.mem_bw_bytes_per_s, "bytes_per_s")),
          b.memory_s, "seconds", b.memory_s / total);
  s.value("seconds", "prefill time", "the larger side (time to first token)", total, "seconds");
  s.value("tokens_per_s", "prefill speed",
          fmt::format("{:.0f} tokens / {}", options.prompt_tokens, v(total, "seconds")),
          options.prompt_tokens / total, "tokens_per_s");
}

void band(std::vector<ExplainStep>& out, const EstimateResult& r, const EngineModel& engine) {
  Steps s(out, "band");
  const EfficiencyClass& cls = *engine.cls;
  const std::string source = fmt::format(
      "80th percentile of |ln(measured / predicted)|, {}, class {}", band_residuals(cls), cls.id);
  s.value("decode_log_spread", "decode spread",
          fmt::format("{} ({} rows, {} devices)", source, cls.decode_rows, cls.devices),
          cls.decode_log_spread, "log_ratio");
  s.value(
      "tokens_per_s_low", "decode low",
      fmt::format("{} x exp(-{:.4g})", v(r.tokens_per_s, "tokens_per_s"), cls.decode_log_spread),
      r.tokens_per_s_low, "tokens_per_s");
  s.value("tokens_per_s_high", "decode high",
          fmt::format("{} x exp({:.4g})", v(r.tokens_per_s, "tokens_per_s"), cls.decode_log_spread),
          r.tokens_per_s_high, "tokens_per_s");
  if (r.prefill) {
    s.value("prefill_log_spread", "prefill spread",
            fmt::format("{} ({} rows)", source, cls.prefill_rows), cls.prefill_log_spread,
            "log_ratio");
    s.value("prefill_tokens_per_s_low", "prefill low",
            fmt::format("{} x exp(-{:.4g})", v(r.prefill_tokens_per_s, "tokens_per_s"),
                        cls.prefill_log_spread),
            r.prefill_tokens_per_s_low, "tokens_per_s");
    s.value("prefill_tokens_per_s_high", "prefill high",
            fmt::format("{} x exp({:.4g})", v(r.prefill_tokens_per_s, "tokens_per_s"),
                        cls.prefill_log_spread),
            r.prefill_tokens_per_s_high, "tokens_per_s");
  }
}

// One part of a step run by `shard` (a stage of a group, the GPU or host part of an offload):
// its bytes and FLOPs, the roofline times, then the engine terms with their shares of the part.
void shard_part(std::vector<ExplainStep>& out, const std::string& section, const Shard& shard,
                const ShardDecode& d, const std::string& device_id) {
  Steps s(out, section);
  const DecodeStep& p = d.part;
  s.value("weights_read_bytes", "weights read per step",
          fmt::format("{:.4g} of the weights a step reads", shard.share), p.weights_read_bytes,
          "bytes");
  s.value("kv_read_bytes", "KV cache read per step",
          fmt::format("{:.4g} of the KV cache", shard.share), p.kv_read_bytes, "bytes");
  s.value("bytes", "bytes per step",
          fmt::format("{} + {}", v(p.weights_read_bytes, "bytes"), v(p.kv_read_bytes, "bytes")),
          p.bytes, "bytes");
  s.value("mem_bw_bytes_per_s", "memory bandwidth", device_id, shard.roofs.mem_bw_bytes_per_s,
          "bytes_per_s");
  s.value(
      "memory_seconds", "memory time",
      fmt::format("{} / {}", v(p.bytes, "bytes"), v(shard.roofs.mem_bw_bytes_per_s, "bytes_per_s")),
      p.memory_seconds, "seconds");
  s.value("flops", "FLOPs per step", fmt::format("{:.4g} of the step's FLOPs", shard.share),
          p.flops, "flops");
  s.value("peak_flops_per_s", "peak compute", device_id, shard.roofs.peak_flops_per_s,
          "flops_per_s");
  s.value(
      "compute_seconds", "compute time",
      fmt::format("{} / {}", v(p.flops, "flops"), v(shard.roofs.peak_flops_per_s, "flops_per_s")),
      p.compute_seconds, "seconds");
  s.fact(
      "bound", "bound",
      fmt::format("max({}, {})", v(p.memory_seconds, "seconds"), v(p.compute_seconds, "seconds")),
      p.compute_bound ? "compute-bound" : "memory-bound");
  if (!d.terms || shard.cls == nullptr) {
    s.value("seconds", "time", "the larger of the two (roofline)", d.seconds, "seconds");
    return;
  }
  const DecodeBreakdown& b = *d.terms;
  const double total = d.seconds;
  const EfficiencyClass& cls = *shard.cls;
  const EngineRun& run = shard.run;
  s.fact("class", "efficiency class", cls.description, cls.id);
  decode_terms(s, cls, run, p, b, total);
  s.value("seconds", "time", "sum of the terms", total, "seconds", 1.0);
}

// The band of a multi-device row: the widest decode spread of its parts' classes.
void parts_band(std::vector<ExplainStep>& out, const std::vector<const Shard*>& shards,
                double tokens_per_s, double low, double high) {
  Steps s(out, "band");
  const EfficiencyClass* widest = nullptr;
  for (const Shard* shard : shards) {
    if (shard->cls != nullptr &&
        (widest == nullptr || shard->cls->decode_log_spread > widest->decode_log_spread)) {
      widest = shard->cls;
    }
  }
  if (widest == nullptr) {
    return;
  }
  s.value("decode_log_spread", "decode spread",
          fmt::format("the widest of the parts' classes: {} (80th percentile of |ln(measured / "
                      "predicted)|, {}, {} rows)",
                      widest->id, band_residuals(*widest), widest->decode_rows),
          widest->decode_log_spread, "log_ratio");
  s.value(
      "tokens_per_s_low", "decode low",
      fmt::format("{} x exp(-{:.4g})", v(tokens_per_s, "tokens_per_s"), widest->decode_log_spread),
      low, "tokens_per_s");
  s.value(
      "tokens_per_s_high", "decode high",
      fmt::format("{} x exp({:.4g})", v(tokens_per_s, "tokens_per_s"), widest->decode_log_spread),
      high, "tokens_per_s");
}

}  // namespace

Explanation explain_estimate(const EstimateResult& r, const ModelInput& model,
                             const EstimateOptions& options, const EfficiencyTable& efficiency) {
  Explanation e;
  e.row = r.device->id;
  e.subject = fmt::format("{} {} on {}", model.spec.id, model.quant_id, r.device->id);
  decode_roof(e.steps, r, model, options);
  if (r.prefill) {
    prefill_roof(e.steps, r, options);
  }
  if (options.ideal) {
    return e;
  }
  // The engine estimate() itself uses: the same arguments, so the same terms.
  const EngineModel engine =
      engine_model(efficiency, *r.device, options.backend, model.spec, model.weights, r.roofs,
                   r.precision, options.prompt_tokens, options.engine_build);
  decode_engine(e.steps, r, engine, efficiency);
  if (r.prefill) {
    prefill_engine(e.steps, r, engine, options);
  }
  band(e.steps, r, engine);
  return e;
}

Explanation explain_speculative(const SpeculativeResult& r, const ModelInput& target,
                                const ModelInput& draft, const EstimateOptions& options,
                                const EfficiencyTable& efficiency) {
  Explanation e;
  e.row = r.target.device->id;
  e.subject = fmt::format("{} {} with draft {} {} on {}", target.spec.id, target.quant_id,
                          draft.spec.id, draft.quant_id, e.row);
  for (const auto& [prefix, result, model] :
       {std::tuple{"target ", &r.target, &target}, std::tuple{"draft ", &r.draft, &draft}}) {
    Explanation part = explain_estimate(*result, *model, options, efficiency);
    for (ExplainStep& step : part.steps) {
      step.section = prefix + step.section;
      e.steps.push_back(std::move(step));
    }
  }
  Steps s(e.steps, "speculative");
  const double k = r.draft_tokens;
  s.value("draft_tokens", "drafted tokens per pass (K)", "given", k, "count");
  s.value("acceptance", "acceptance (A)", "given: chance the target accepts each drafted token",
          r.acceptance, "ratio");
  s.value("draft_seconds", "draft time", fmt::format("{:.0f} draft steps from the context", k),
          r.draft_seconds, "seconds", r.draft_seconds / r.pass_seconds);
  s.value("verify_bytes", "verification bytes",
          fmt::format("target weights once + KV cache, {:.0f} tokens", k + 1), r.verify.bytes,
          "bytes");
  s.value("verify_flops", "verification FLOPs", fmt::format("{:.0f} tokens of target FLOPs", k + 1),
          r.verify.flops, "flops");
  s.fact("verify_bound", "verification bound",
         fmt::format("max({}, {})", v(r.verify.memory_seconds, "seconds"),
                     v(r.verify.compute_seconds, "seconds")),
         r.verify.compute_bound ? "compute-bound" : "memory-bound");
  s.value("verify_seconds", "verification time",
          options.ideal ? "the roofline step" : "the target's engine model on the pass",
          r.verify_seconds, "seconds", r.verify_seconds / r.pass_seconds);
  s.value("pass_seconds", "pass time",
          fmt::format("{} + {}", v(r.draft_seconds, "seconds"), v(r.verify_seconds, "seconds")),
          r.pass_seconds, "seconds", 1.0);
  s.value("accepted_tokens_per_step", "tokens per pass",
          fmt::format("(1 - {:.4g}^{:.0f}) / (1 - {:.4g})", r.acceptance, k + 1, r.acceptance),
          r.accepted_tokens_per_step, "count");
  s.value("tokens_per_s", "speculative speed",
          fmt::format("{:.4g} / {}", r.accepted_tokens_per_step, v(r.pass_seconds, "seconds")),
          r.tokens_per_s, "tokens_per_s");
  s.value("plain_tokens_per_s", "plain speed", "the target alone (target decode engine)",
          r.plain_tokens_per_s, "tokens_per_s");
  s.value("speedup", "speed-up",
          fmt::format("{} / {}", v(r.tokens_per_s, "tokens_per_s"),
                      v(r.plain_tokens_per_s, "tokens_per_s")),
          r.speedup, "ratio");
  s.value("tokens_per_s_low", "low", "the target class's decode band", r.tokens_per_s_low,
          "tokens_per_s");
  s.value("tokens_per_s_high", "high", "the target class's decode band", r.tokens_per_s_high,
          "tokens_per_s");
  return e;
}

Explanation explain_group(const GroupResult& r, const ModelInput& model,
                          const EstimateOptions& options) {
  Explanation e;
  e.row = r.label;
  e.subject = fmt::format("{} {} on {} ({} split)", model.spec.id, model.quant_id, r.label,
                          to_string(r.split));
  const bool layer = r.split == SplitMode::layer;
  const int batch = std::max(1, options.batch);
  std::vector<const Shard*> shards;
  std::string stage_sum;
  for (std::size_t i = 0; i < r.members.size(); ++i) {
    const GroupMember& m = r.members[i];
    const std::string section = fmt::format("stage {} {}", i + 1, m.alone.device->id);
    {
      Steps s(e.steps, section);
      s.value("layers", "layers", layer ? "whole layers of the pipeline" : "every layer, a slice",
              m.layers, "count");
      s.value("share", "share of the work",
              layer ? fmt::format("{} / {} layers", m.layers, std::max(1, model.spec.layers))
                    : std::string("of every matrix and the KV cache (split ratio)"),
              m.share, "ratio");
      if (layer && r.micro_batches > 1) {
        s.value("micro_batch", "sequences per micro-batch",
                fmt::format("{} sequences / {} micro-batches", batch, r.micro_batches),
                (batch + r.micro_batches - 1) / r.micro_batches, "count");
      }
    }
    shard_part(e.steps, section, m.shard, m.decode, m.alone.device->id);
    shards.push_back(&m.shard);
    stage_sum += (stage_sum.empty() ? "" : (layer ? " + " : ", ")) + v(m.step_seconds, "seconds");
  }
  Steps s(e.steps, "group");
  s.value("device_seconds", "devices time",
          layer ? fmt::format("stages in turn: {}", stage_sum)
                : fmt::format("the slowest of {} (they run at once)", stage_sum),
          r.device_seconds, "seconds");
  if (r.link != nullptr) {
    Steps l(e.steps, "link");
    l.fact("link", "link", r.link->name, r.link->id);
    l.value("hops", "sends per step",
            layer ? fmt::format("one per boundary: {} stages - 1", r.members.size())
                  : fmt::format("2 all-reduces x {} layers x 2 ({} - 1) ring steps",
                                model.spec.layers, r.members.size()),
            r.link_hops, "count");
    l.value("hop_bytes", "bytes per send",
            layer ? fmt::format("{} sequences x {} hidden x {:g} B (f32 activations)",
                                (batch + r.micro_batches - 1) / r.micro_batches, model.spec.hidden,
                                k_activation_bytes)
                  : fmt::format("{} sequences x {} hidden x {:g} B / {} devices", batch,
                                model.spec.hidden, k_activation_bytes, r.members.size()),
            r.link_hop_bytes, "bytes");
    l.value("bandwidth_bytes_per_s", "link bandwidth", "per direction",
            r.link->bandwidth_bytes_per_s, "bytes_per_s");
    l.value("latency_seconds", "link latency", "per send", r.link->latency_s, "seconds");
    const double hop = link_hop_seconds(r.link_hop_bytes, *r.link);
    l.value(
        "hop_seconds", "time per send",
        fmt::format("{} + {} / {}", v(r.link->latency_s, "seconds"), v(r.link_hop_bytes, "bytes"),
                    v(r.link->bandwidth_bytes_per_s, "bytes_per_s")),
        hop, "seconds");
    l.value("link_seconds", "link time", fmt::format("{} x {}", r.link_hops, v(hop, "seconds")),
            r.link_seconds, "seconds");
  }
  Steps t(e.steps, "step");
  if (layer && r.micro_batches > 1) {
    double slowest = 0;
    for (const GroupMember& m : r.members) {
      slowest = std::max(slowest, m.step_seconds);
    }
    t.value(
        "pipeline_seconds", "full pipeline",
        fmt::format("{} micro-batches x slowest stage {}", r.micro_batches, v(slowest, "seconds")),
        r.micro_batches * slowest, "seconds");
    t.value("step_seconds", "step",
            fmt::format("max({} + {}, {})", v(r.device_seconds, "seconds"),
                        v(r.link_seconds, "seconds"), v(r.micro_batches * slowest, "seconds")),
            r.step_seconds, "seconds", 1.0);
  } else {
    t.value("step_seconds", "step",
            fmt::format("{} + {}", v(r.device_seconds, "seconds"), v(r.link_seconds, "seconds")),
            r.step_seconds, "seconds", 1.0);
  }
  t.value("tokens_per_s", "decode speed", fmt::format("1 / {}", v(r.step_seconds, "seconds")),
          r.tokens_per_s, "tokens_per_s");
  if (batch > 1) {
    t.value("aggregate_tokens_per_s", "total speed",
            fmt::format("{} sequences / {}", batch, v(r.step_seconds, "seconds")),
            r.aggregate_tokens_per_s, "tokens_per_s");
  }
  if (r.prefill_tokens_per_s) {
    t.value("time_to_first_token_seconds", "prefill time",
            layer ? "stages' prefills in turn + one hop of the prompt's activations per boundary"
                  : "slowest stage's prefill + the prompt's all-reduces",
            r.time_to_first_token_s, "seconds");
    t.value("prefill_tokens_per_s", "prefill speed",
            fmt::format("{:.0f} tokens / {}", options.prompt_tokens,
                        v(r.time_to_first_token_s, "seconds")),
            *r.prefill_tokens_per_s, "tokens_per_s");
  }
  parts_band(e.steps, shards, r.tokens_per_s, r.tokens_per_s_low, r.tokens_per_s_high);
  return e;
}

Explanation explain_offload(const OffloadResult& r, const ModelInput& model,
                            const EstimateOptions& options) {
  Explanation e;
  const std::string gpu_id = r.gpu_alone.device->id;
  const std::string host_id = r.host_alone.device->id;
  e.row = gpu_id;
  e.subject =
      fmt::format("{} {} on {} with {} ({})", model.spec.id, model.quant_id, gpu_id, host_id,
                  r.cpu_moe ? std::string("routed experts on the host")
                            : fmt::format("{} of {} layers on the GPU", r.gpu_layers, r.layers));
  {
    Steps s(e.steps, "split");
    s.value("gpu_layers", "layers on the GPU",
            r.cpu_moe     ? std::string("every layer's non-expert tensors")
            : r.automatic ? std::string("auto: as many as fit")
                          : std::string("given"),
            r.gpu_layers, "count");
    const std::string held =
        r.cpu_moe ? std::string("")
                  : fmt::format("{} / {} layers of {}", r.gpu_layers, r.layers,
                                v(r.gpu_weights_bytes + r.host_weights_bytes, "bytes"));
    s.value("gpu_weights_bytes", "weights held by the GPU",
            r.cpu_moe ? std::string("every tensor but the routed experts") : held,
            r.gpu_weights_bytes, "bytes");
    s.value("gpu_kv_bytes", "KV cache held by the GPU", "follows the layers", r.gpu_kv_bytes,
            "bytes");
    s.value("host_weights_bytes", "weights held by the host",
            r.cpu_moe ? std::string("the routed experts") : std::string("the other layers"),
            r.host_weights_bytes, "bytes");
    s.value("host_kv_bytes", "KV cache held by the host", "follows the layers", r.host_kv_bytes,
            "bytes");
  }
  std::vector<const Shard*> shards{&r.gpu_shard};
  shard_part(e.steps, "gpu " + gpu_id, r.gpu_shard, r.gpu_decode, gpu_id);
  if (r.host_shard.share > 0) {
    shard_part(e.steps, "host " + host_id, r.host_shard, r.host_decode, host_id);
    shards.push_back(&r.host_shard);
  }
  Steps t(e.steps, "step");
  t.value("step_seconds", "step",
          fmt::format("GPU {} + host {} (one after the other)", v(r.gpu_seconds, "seconds"),
                      v(r.host_seconds, "seconds")),
          r.step_seconds, "seconds", 1.0);
  t.value("tokens_per_s", "decode speed", fmt::format("1 / {}", v(r.step_seconds, "seconds")),
          r.tokens_per_s, "tokens_per_s");
  if (r.prefill_tokens_per_s) {
    t.value("time_to_first_token_seconds", "prefill time",
            r.prefill_on_gpu
                ? "GPU part + host part run on the GPU, its weights streamed over the bus"
                : "GPU part + host part on the host",
            r.time_to_first_token_s, "seconds");
    t.value("prefill_tokens_per_s", "prefill speed",
            fmt::format("{:.0f} tokens / {}", options.prompt_tokens,
                        v(r.time_to_first_token_s, "seconds")),
            *r.prefill_tokens_per_s, "tokens_per_s");
  }
  parts_band(e.steps, shards, r.tokens_per_s, r.tokens_per_s_low, r.tokens_per_s_high);
  return e;
}

}  // namespace llmroof
