#include "llmroof/physics/roofline.hpp"

#include <algorithm>
#include <cmath>

#include "llmroof/util/units.hpp"

namespace llmroof {

double expected_experts_touched(int experts, int used, double batch, double skew) {
  if (experts <= 0 || used <= 0) {
    return 0;
  }
  const double e = static_cast<double>(experts);
  const double k = std::min(static_cast<double>(used), e);
  const double b = std::max(1.0, batch);
  const double s = std::clamp(skew, 0.0, 0.999);
  if (k >= e) {
    return e;
  }
  const double effective_batch = s > 0 ? std::pow(b, 1.0 - s) : b;
  // e * (1 - (1 - k/e)^B), as one exp: the form critical_batch() searches with.
  return e * -std::expm1(effective_batch * std::log1p(-k / e));
}

namespace {

// Bytes of the weights one step streams: the dense part plus the touched experts' share.
double weights_read(const Weights& w, double experts_touched) {
  const double expert_share = w.experts > 0 ? experts_touched / static_cast<double>(w.experts) : 0;
  return w.dense_read_bytes + w.routed_expert_bytes * expert_share;
}

}  // namespace

DecodeStep decode_step(const ModelSpec& model, const Weights& weights, const Roofs& roofs,
                       const DecodeInput& input) {
  DecodeStep s;
  const double batch = static_cast<double>(std::max(1, input.batch));
  s.experts_touched = input.experts_touched >= 0
                          ? input.experts_touched
                          : expected_experts_touched(weights.experts, weights.experts_used, batch,
                                                     input.expert_skew);
  s.batch = batch;
  s.weights_read_bytes = weights_read(weights, s.experts_touched);
  s.sequence_weights_read_bytes =
      batch > 1 ? weights_read(weights, std::min<double>(weights.experts, weights.experts_used))
                : s.weights_read_bytes;
  s.kv_read_bytes = batch * kv_cache_bytes(model, input.context_tokens, input.kv_bytes_per_element);
  s.bytes = s.weights_read_bytes + s.kv_read_bytes;
  s.matmul_flops = batch * 2.0 * weights.matmul_params_per_token();
  s.flops = s.matmul_flops + batch * attention_flops_per_token(model, input.context_tokens);
  s.memory_seconds = s.bytes / roofs.mem_bw_bytes_per_s;
  s.compute_seconds = s.flops / roofs.peak_flops_per_s;
  s.compute_bound = s.compute_seconds > s.memory_seconds;
  s.step_seconds = std::max(s.memory_seconds, s.compute_seconds);
  s.tokens_per_s = 1.0 / s.step_seconds;
  s.aggregate_tokens_per_s = batch / s.step_seconds;
  return s;
}

PrefillResult prefill(const ModelSpec& model, const Weights& weights, const Roofs& roofs,
                      double prompt_tokens, double context_tokens, double kv_bytes_per_element) {
  PrefillResult p;
  const double n = std::max(1.0, prompt_tokens);
  // Token i of the prompt attends to context + i earlier tokens.
  const double attention = attention_flops_sum(model, context_tokens, n);
  p.flops = 2.0 * weights.matmul_params_per_token() * n + attention;
  // A prompt long enough routes to every expert, so every weight is read once; the KV cache of
  // the context is read and the prompt's own KV written.
  p.bytes = weights.dense_read_bytes + weights.routed_expert_bytes +
            kv_cache_bytes(model, context_tokens + n, kv_bytes_per_element);
  p.memory_seconds = p.bytes / roofs.mem_bw_bytes_per_s;
  p.compute_seconds = p.flops / roofs.peak_flops_per_s;
  p.compute_bound = p.compute_seconds >= p.memory_seconds;
  p.seconds = std::max(p.memory_seconds, p.compute_seconds);
  p.tokens_per_s = n / p.seconds;
  return p;
}

std::optional<double> critical_batch(const ModelSpec& model, const Weights& weights,
                                     const Roofs& roofs, const DecodeInput& input) {
  // Everything but the expert coverage is linear in the batch: computed once, so that the
  // search for an MoE model costs one exp (and a pow under skew) per evaluation.
  const double kv_per_sequence =
      kv_cache_bytes(model, input.context_tokens, input.kv_bytes_per_element);
  const double flops_per_sequence = 2.0 * weights.matmul_params_per_token() +
                                    attention_flops_per_token(model, input.context_tokens);
  const double experts = static_cast<double>(std::max(0, weights.experts));
  const double used = std::min(static_cast<double>(std::max(0, weights.experts_used)), experts);
  const double log_miss = experts > 0 && used < experts ? std::log1p(-used / experts) : 0.0;
  const double skew = std::clamp(input.expert_skew, 0.0, 0.999);
  const double per_expert_bytes = experts > 0 ? weights.routed_expert_bytes / experts : 0.0;
  auto gap = [&](double batch) {
    // Evaluated at a real-valued batch: expected_experts_touched in closed form.
    double touched = 0;
    if (experts > 0 && used > 0) {
      const double b = std::max(1.0, batch);
      const double effective = skew > 0 ? std::pow(b, 1.0 - skew) : b;
      touched = used >= experts ? experts : experts * -std::expm1(effective * log_miss);
    }
    const double bytes =
        weights.dense_read_bytes + per_expert_bytes * touched + batch * kv_per_sequence;
    const double flops = batch * flops_per_sequence;
    return flops / roofs.peak_flops_per_s - bytes / roofs.mem_bw_bytes_per_s;
  };
  if (gap(1.0) >= 0) {
    return 1.0;
  }
  if (weights.experts == 0) {
    // Dense: W/bw + B*KV/bw = B*F/peak, so B = (W/bw) / (F/peak - KV/bw).
    const double per_sequence =
        (2.0 * weights.matmul_params_per_token() +
         attention_flops_per_token(model, input.context_tokens)) /
            roofs.peak_flops_per_s -
        kv_cache_bytes(model, input.context_tokens, input.kv_bytes_per_element) /
            roofs.mem_bw_bytes_per_s;
    if (per_sequence <= 0) {
      return std::nullopt;
    }
    return weights.dense_read_bytes / roofs.mem_bw_bytes_per_s / per_sequence;
  }
  // The root is bracketed by the dense solutions with the fewest and the most experts a step
  // can read: `used` (a batch of one) and all of them, since used <= touched <= experts.
  const double per_sequence =
      flops_per_sequence / roofs.peak_flops_per_s - kv_per_sequence / roofs.mem_bw_bytes_per_s;
  if (per_sequence <= 0) {
    return std::nullopt;  // memory-bound at any batch
  }
  const double dense_bytes_s = weights.dense_read_bytes / roofs.mem_bw_bytes_per_s;
  const double expert_bytes_s = per_expert_bytes / roofs.mem_bw_bytes_per_s;
  // Past 2^30 sequences (where the former doubling search from 2 gave up) the model counts
  // as memory-bound at any batch.
  constexpr double k_max_batch = 1073741824.0;
  double lo = std::max(1.0, (dense_bytes_s + expert_bytes_s * used) / per_sequence);
  double hi = std::max(lo, (dense_bytes_s + expert_bytes_s * experts) / per_sequence);
  if (lo > k_max_batch) {
    return std::nullopt;
  }
  if (gap(lo) >= 0) {
    return lo;
  }
  hi = std::min(hi, k_max_batch);
  while (gap(hi) < 0) {  // only by rounding at the upper bound
    hi *= 2.0;
    if (hi > k_max_batch) {
      return std::nullopt;
    }
  }
  // Illinois false position on [lo, hi]: superlinear, keeps the bracket.
  double g_lo = gap(lo);
  double g_hi = gap(hi);
  int side = 0;
  double x = lo;
  for (int i = 0; i < 100; ++i) {
    x = (lo * g_hi - hi * g_lo) / (g_hi - g_lo);
    const double g = gap(x);
    if (g == 0 || hi - lo <= 1e-12 * hi) {
      break;
    }
    if (g < 0) {
      lo = x;
      g_lo = g;
      if (side == -1) {
        g_hi /= 2;
      }
      side = -1;
    } else {
      hi = x;
      g_hi = g;
      if (side == 1) {
        g_lo /= 2;
      }
      side = 1;
    }
  }
  return x;
}

double runtime_overhead_bytes(double weights_bytes) {
  return 512.0 * units::k_mib + 0.02 * weights_bytes;
}

double usable_memory_bytes(const Device& device, double memory_bytes) {
  switch (device.kind) {
    case DeviceKind::gpu:
      return memory_bytes;
    case DeviceKind::apple_soc:
      // macOS lets the GPU wire about 2/3 of memory up to 36 GiB and 3/4 above
      // (recommendedMaxWorkingSetSize; raise it with sysctl iogpu.wired_limit_mb).
      return memory_bytes * (memory_bytes > 36.0 * units::k_gib ? 0.75 : 2.0 / 3.0);
    case DeviceKind::igpu:
    case DeviceKind::soc:
    case DeviceKind::cpu:
      return memory_bytes * 0.9;
  }
  return memory_bytes;
}

std::string_view usable_memory_rule(const Device& device) {
  switch (device.kind) {
    case DeviceKind::gpu:
      return "all of a discrete GPU's memory; the runtime allowance covers the CUDA/ROCm context";
    case DeviceKind::apple_soc:
      return "macOS's GPU wired limit, 2/3 of memory up to 36 GiB and 3/4 above";
    case DeviceKind::igpu:
    case DeviceKind::soc:
    case DeviceKind::cpu:
      return "90%, the rest left to the operating system";
  }
  return "all of it";
}

MemoryFit memory_fit(double weights_bytes, double kv_cache_bytes_total, double available_bytes) {
  MemoryFit f;
  f.weights_bytes = weights_bytes;
  f.kv_cache_bytes = kv_cache_bytes_total;
  f.overhead_bytes = runtime_overhead_bytes(weights_bytes);
  f.required_bytes = f.weights_bytes + f.kv_cache_bytes + f.overhead_bytes;
  f.available_bytes = available_bytes;
  f.margin_bytes = available_bytes - f.required_bytes;
  f.fits = f.margin_bytes >= 0;
  return f;
}

}  // namespace llmroof
