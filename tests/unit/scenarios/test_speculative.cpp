// Speculative decoding: expected tokens per pass, the verification step, a hand-computed case,
// and the invariants (acceptance 0 gives no gain; more matrix throughput, more gain).

#include <cmath>

#include "catch.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/scenarios/speculative.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/units.hpp"

using namespace llmroof;

namespace {

void set_peak(Device& d, Precision p, double flops) {
  d.peak_flops_per_s[static_cast<std::size_t>(p)] = flops;
}

// Mac mini M4 Pro (20-core GPU), 64 GB: no matrix units, 7.53 TFLOPS FP16 = FP32.
Device m4_pro() {
  Device d;
  d.id = "m4-pro-20c";
  d.vendor = "Apple";
  d.kind = DeviceKind::apple_soc;
  d.backend = "metal";
  d.memory_sizes_bytes = {64 * units::k_gib};
  d.mem_bw_bytes_per_s = 273e9;
  set_peak(d, Precision::fp32, 7.53e12);
  set_peak(d, Precision::fp16, 7.53e12);
  d.launch_price_usd = 1599;
  return d;
}

// Radeon PRO W7900: 864 GB/s, 122.6 TFLOPS FP16, 245.2 TOPS INT4 (WMMA).
Device w7900() {
  Device d;
  d.id = "radeon-pro-w7900";
  d.vendor = "AMD";
  d.kind = DeviceKind::gpu;
  d.backend = "rocm";
  d.memory_sizes_bytes = {48 * units::k_gib};
  d.mem_bw_bytes_per_s = 864e9;
  set_peak(d, Precision::fp32, 61.3e12);
  set_peak(d, Precision::fp16, 122.6e12);
  set_peak(d, Precision::int4, 245.2e12);
  d.tdp_w = 295;
  d.launch_price_usd = 3999;
  return d;
}

ModelInput generic_int4(double params, const char* label) {
  ModelInput m;
  m.spec = generic_model(params, label);
  const Quant q = *find_quant("int4");
  m.weights = model_weights(m.spec, q);
  m.quant_id = q.id;
  m.compute = q.compute;
  return m;
}

SpeculativeResult speculate(const Device& d, double acceptance, int k = 8, EstimateOptions o = {}) {
  o.ideal = true;
  o.prompt_tokens = 0;
  SpeculativeSpec spec;
  spec.draft = generic_int4(8e9, "8b");
  spec.draft_tokens = k;
  spec.acceptance = acceptance;
  return estimate_speculative(d, generic_int4(70e9, "70b"), spec, o, EfficiencyTable{});
}

}  // namespace

TEST_CASE("expected tokens per target pass", "[speculative]") {
  // (1 - 0.78^9) / (1 - 0.78) = 4.0597.
  CHECK(expected_tokens_per_pass(0.78, 8) == Approx((1 - std::pow(0.78, 9)) / 0.22).epsilon(1e-12));
  CHECK(expected_tokens_per_pass(0.78, 8) == Approx(4.059686723121434).epsilon(1e-12));
  CHECK(expected_tokens_per_pass(0.0, 8) == 1.0);
  CHECK(expected_tokens_per_pass(1.0, 8) == 9.0);
  CHECK(expected_tokens_per_pass(0.5, 1) == Approx(1.5));
  // llama.cpp's "accept" is accepted/drafted: (A + ... + A^K) / K.
  CHECK(expected_draft_acceptance_rate(0.78, 8) == Approx(3.059686723121434 / 8).epsilon(1e-12));
  CHECK(expected_draft_acceptance_rate(1.0, 8) == 1.0);
}

TEST_CASE("verification: K+1 tokens of one sequence share the weight read", "[speculative]") {
  const ModelInput target = generic_int4(70e9, "70b");
  DecodeInput in;
  in.context_tokens = 1000;
  const Roofs roofs{273e9, 7.53e12};
  const DecodeStep v = verification_step(target.spec, target.weights, roofs, in, 9);
  const double kv = kv_cache_bytes(target.spec, 1000, 2.0);
  CHECK(v.weights_read_bytes == Approx(35e9));
  CHECK(v.kv_read_bytes == Approx(kv));  // once, not 9 times
  CHECK(v.flops == Approx(9 * 1.4e11 + attention_flops_sum(target.spec, 1000, 9)).epsilon(1e-12));
  // 9 * 1.4e11 FLOPs at 7.53 TFLOPS (167 ms) outlast reading 35 GB at 273 GB/s (128 ms).
  CHECK(v.compute_bound);
  // On a W7900's INT4 matrix rate the same pass stays memory-bound.
  const DecodeStep w = verification_step(target.spec, target.weights, {864e9, 245.2e12}, in, 9);
  CHECK_FALSE(w.compute_bound);
}

TEST_CASE("speculative 70B with an 8B draft on an M4 Pro and a W7900, by hand", "[speculative]") {
  // M4 Pro: draft step max(4e9 / 273e9, 1.6e10 / 7.53e12) = 14.652 ms, 8 of them 117.2 ms.
  // Verify: 9 * 1.4e11 FLOPs plus the 9 tokens attending to each other (token i to i earlier
  // ones: 4 * 71 heads * 128 * 71 layers * (0 + 1 + ... + 8) = 92,915,712 FLOPs) at
  // 7.53 TFLOPS = 167.343 ms, more than reading 35e9 B at 273 GB/s (128.2 ms).
  const double verify_flops = 9 * 1.4e11 + 4.0 * 71 * 128 * 71 * 36;
  const SpeculativeResult mac = speculate(m4_pro(), 0.78);
  CHECK(mac.draft_seconds == Approx(8 * 4e9 / 273e9).epsilon(1e-9));
  CHECK(mac.verify.flops == Approx(verify_flops).epsilon(1e-12));
  CHECK(mac.verify_seconds == Approx(verify_flops / 7.53e12).epsilon(1e-9));
  CHECK(mac.verify.compute_bound);
  CHECK(mac.accepted_tokens_per_step == Approx(4.059686723121434).epsilon(1e-12));
  CHECK(mac.plain_tokens_per_s == Approx(7.8).epsilon(1e-9));  // 273e9 / 35e9
  // 4.0597 tokens per 117.216 + 167.343 ms.
  const double pass = 8 * 4e9 / 273e9 + verify_flops / 7.53e12;
  CHECK(mac.tokens_per_s == Approx(4.059686723121434 / pass).epsilon(1e-9));
  CHECK(mac.tokens_per_s == Approx(14.26658).epsilon(1e-6));
  CHECK(mac.speedup == Approx(14.26658 / 7.8).epsilon(1e-6));
  // W7900: draft 4.63 ms, verify memory-bound 40.51 ms: 4.0597 tokens per 77.55 ms.
  const SpeculativeResult amd = speculate(w7900(), 0.78);
  CHECK(amd.verify_seconds == Approx(35e9 / 864e9).epsilon(1e-9));
  CHECK(amd.tokens_per_s == Approx(52.35178102652118).epsilon(1e-9));
  CHECK(amd.speedup == Approx(2.120731870287316).epsilon(1e-9));
  // More matrix throughput, more gain (the article's observation).
  CHECK(amd.speedup > mac.speedup);
  // Cost follows the speculative rate.
  CHECK(*amd.tokens_per_s_per_kusd == Approx(amd.tokens_per_s / 3.999).epsilon(1e-12));
  CHECK(*amd.joules_per_token == Approx(295 / amd.tokens_per_s).epsilon(1e-12));
  CHECK_FALSE(mac.joules_per_token.has_value());  // Apple publishes no TDP
  // Both models and their caches must fit together.
  CHECK(mac.fit.weights_bytes == Approx(39e9));
  CHECK(mac.fit.fits);
}

TEST_CASE("acceptance 0 gives no gain", "[speculative][invariant]") {
  for (const Device& d : {m4_pro(), w7900()}) {
    const SpeculativeResult r = speculate(d, 0.0);
    CHECK(r.accepted_tokens_per_step == 1.0);
    CHECK(r.speedup < 1.0);
    CHECK(r.tokens_per_s == Approx(1.0 / (r.draft_seconds + r.verify_seconds)));
  }
  // The gain grows with the acceptance.
  CHECK(speculate(w7900(), 0.9).speedup > speculate(w7900(), 0.78).speedup);
}

TEST_CASE("speculative errors", "[speculative][errors]") {
  EstimateOptions batched;
  batched.batch = 4;
  CHECK_THROWS_AS(speculate(w7900(), 0.78, 8, batched), UsageError);
  CHECK_THROWS_AS(speculate(w7900(), 1.5), UsageError);
  CHECK_THROWS_AS(speculate(w7900(), 0.78, 0), UsageError);
}
