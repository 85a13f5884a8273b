// The roofline arithmetic: the source articles' figures, hand-computed cases, invariants.

#include <cmath>

#include "catch.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/model/weights.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

const ModelSpec& catalog_model(const std::string& id) {
  const ModelSpec* m = find_model(test::catalog(), id);
  REQUIRE(m != nullptr);
  return *m;
}

Weights weights_of(const ModelSpec& m, const std::string& quant) {
  return model_weights(m, *find_quant(quant));
}

DecodeStep step(const ModelSpec& m, const Weights& w, Roofs roofs, int batch, double context,
                double kv_bytes = 2.0) {
  DecodeInput in;
  in.batch = batch;
  in.context_tokens = context;
  in.kv_bytes_per_element = kv_bytes;
  return decode_step(m, w, roofs, in);
}

}  // namespace

TEST_CASE("seed 000: 7B at int4 on the A100 80GB PCIe and the Mac mini M4", "[roofline][seed]") {
  const ModelSpec m = generic_model(7e9, "7b");
  const Weights w = weights_of(m, "int4");
  CHECK(w.total_bytes == Approx(3.5e9).epsilon(1e-12));  // P * n_bytes exactly

  // A100 80GB PCIe: 1935 GB/s, 1248 TOPS int4 (the article's figures, vendor's too).
  const DecodeStep a100 = step(m, w, {1935e9, 1248e12}, 1, 0);
  CHECK(a100.tokens_per_s == Approx(552.857142857).epsilon(1e-9));
  CHECK(1.0 / a100.compute_seconds == Approx(89142.857142857).epsilon(1e-9));
  CHECK(std::floor(1.0 / a100.memory_seconds) == 552);  // the article's int() truncation
  CHECK_FALSE(a100.compute_bound);

  // Mac mini M4 as the article had it: 120 GB/s and 38 TOPS (the Neural Engine figure).
  const DecodeStep m4 = step(m, w, {120e9, 38e12}, 1, 0);
  CHECK(1.0 / m4.memory_seconds == Approx(34.285714286).epsilon(1e-9));
  CHECK(1.0 / m4.compute_seconds == Approx(2714.285714286).epsilon(1e-9));
}

TEST_CASE("seed 001: critical batch 161 at 1.935e12 B/s, 3.12e14 FLOPS, 2 bytes",
          "[roofline][seed]") {
  const ModelSpec m = generic_model(7e9, "7b");
  const Weights w = weights_of(m, "fp16");
  DecodeInput in;
  const auto b = critical_batch(m, w, {1.935e12, 3.12e14}, in);
  REQUIRE(b.has_value());
  CHECK(*b == Approx(3.12e14 / 1.935e12).epsilon(1e-9));  // 161.24
  CHECK(std::floor(*b) == 161);
  // Memory-bound below it, compute-bound above it.
  CHECK_FALSE(step(m, w, {1.935e12, 3.12e14}, 161, 0).compute_bound);
  CHECK(step(m, w, {1.935e12, 3.12e14}, 162, 0).compute_bound);
}

TEST_CASE("seed 001: LLaMA-65B KV cache at 2048 tokens and 0.5 bytes is 1.34 GB",
          "[roofline][seed]") {
  ModelSpec m;
  m.layers = 80;
  m.hidden = 8192;
  m.heads = 64;
  m.kv_heads = 64;
  m.head_dim = 128;
  m.attention = AttentionKind::mha;
  // 2 * n_bytes * n_layers * d_model per token.
  CHECK(kv_cache_bytes(m, 2048, 0.5) == Approx(2.0 * 0.5 * 80 * 8192 * 2048).epsilon(1e-12));
  CHECK(kv_cache_bytes(m, 2048, 0.5) / 1e9 == Approx(1.342).epsilon(1e-3));
}

TEST_CASE("llama-3.1-70b (GQA) at fp16: hand-computed steps", "[roofline][catalog]") {
  const ModelSpec& m = catalog_model("llama-3.1-70b");
  const Weights w = weights_of(m, "fp16");
  CHECK(w.total_params == 70553706496.0);
  // Every weight but the input embedding (128256 x 8192) is read per step.
  CHECK(w.dense_read_bytes == 139006066688.0);
  const Roofs roofs{1e12, 1e14};

  const DecodeStep b1c0 = step(m, w, roofs, 1, 0);
  CHECK(b1c0.bytes == 139006066688.0);
  CHECK(b1c0.flops == 139006066688.0);
  CHECK(b1c0.tokens_per_s == Approx(7.1939306235).epsilon(1e-9));
  CHECK_FALSE(b1c0.compute_bound);

  const DecodeStep b1c8k = step(m, w, roofs, 1, 8192);
  CHECK(b1c8k.kv_read_bytes == 2684354560.0);  // 2 * 80 * 8 * 128 * 2 B * 8192
  CHECK(b1c8k.flops == 160480903168.0);
  CHECK(b1c8k.tokens_per_s == Approx(7.0576401086).epsilon(1e-9));

  const DecodeStep b8c0 = step(m, w, roofs, 8, 0);
  CHECK(b8c0.flops == 1112048533504.0);
  CHECK(b8c0.tokens_per_s == Approx(7.1939306235).epsilon(1e-9));
  CHECK(b8c0.aggregate_tokens_per_s == Approx(57.551444988).epsilon(1e-9));

  const DecodeStep b8c8k = step(m, w, roofs, 8, 8192);
  CHECK(b8c8k.bytes == 160480903168.0);
  CHECK(b8c8k.flops == 1283847225344.0);
  CHECK(b8c8k.tokens_per_s == Approx(6.2312710127).epsilon(1e-9));
  CHECK(b8c8k.aggregate_tokens_per_s == Approx(49.850168101).epsilon(1e-9));

  // A device with little compute turns the same batch compute-bound.
  const DecodeStep slow = step(m, w, {1e12, 1e12}, 8, 0);
  CHECK(slow.compute_bound);
  CHECK(slow.tokens_per_s == Approx(1e12 / 1112048533504.0).epsilon(1e-12));
}

TEST_CASE("mixtral-8x7b (MoE) at fp16: hand-computed steps", "[roofline][catalog][moe]") {
  const ModelSpec& m = catalog_model("mixtral-8x7b");
  const Weights w = weights_of(m, "fp16");
  CHECK(w.total_params == 46702792704.0);
  CHECK(w.routed_expert_params == 45097156608.0);  // 32 layers x 8 experts x 3 x 4096 x 14336
  const Roofs roofs{1e12, 1e14};

  // Batch 1 reads 2 of 8 experts plus every non-expert weight (not the input embedding).
  const DecodeStep b1c0 = step(m, w, roofs, 1, 0);
  CHECK(b1c0.experts_touched == Approx(2.0));
  CHECK(b1c0.weights_read_bytes == Approx(25497706496.0).epsilon(1e-12));
  CHECK(b1c0.flops == Approx(25497706496.0).epsilon(1e-12));
  CHECK(b1c0.tokens_per_s == Approx(39.219213703).epsilon(1e-9));

  const DecodeStep b1c8k = step(m, w, roofs, 1, 8192);
  CHECK(b1c8k.bytes == Approx(26571448320.0).epsilon(1e-12));
  CHECK(b1c8k.flops == Approx(29792673792.0).epsilon(1e-12));
  CHECK(b1c8k.tokens_per_s == Approx(37.634380631).epsilon(1e-9));

  // Batch 8 touches 8 * (1 - (6/8)^8) = 7.199 experts per layer on average.
  const DecodeStep b8c0 = step(m, w, roofs, 8, 0);
  CHECK(b8c0.experts_touched == Approx(7.1990966797).epsilon(1e-10));
  CHECK(b8c0.weights_read_bytes == Approx(84113825792.0).epsilon(1e-12));
  CHECK(b8c0.flops == Approx(203981651968.0).epsilon(1e-12));
  CHECK(b8c0.tokens_per_s == Approx(11.888651962).epsilon(1e-9));
  CHECK(b8c0.aggregate_tokens_per_s == Approx(95.109215693).epsilon(1e-9));

  const DecodeStep b8c8k = step(m, w, roofs, 8, 8192);
  CHECK(b8c8k.bytes == Approx(92703760384.0).epsilon(1e-12));
  CHECK(b8c8k.flops == Approx(238341390336.0).epsilon(1e-12));
  CHECK(b8c8k.tokens_per_s == Approx(10.787048938).epsilon(1e-9));
}

TEST_CASE("roofline invariants", "[roofline][invariant]") {
  const ModelSpec& m = catalog_model("llama-3.1-8b");
  const Weights w = weights_of(m, "q4_k_m");
  SECTION("doubling bandwidth halves a memory-bound step") {
    const DecodeStep a = step(m, w, {500e9, 100e12}, 1, 0);
    const DecodeStep b = step(m, w, {1000e9, 100e12}, 1, 0);
    REQUIRE_FALSE(a.compute_bound);
    CHECK(b.step_seconds == Approx(a.step_seconds / 2).epsilon(1e-12));
  }
  SECTION("batch 1 matches bytes / bandwidth") {
    const DecodeStep a = step(m, w, {273e9, 9e12}, 1, 0);
    CHECK(a.tokens_per_s == Approx(273e9 / w.dense_read_bytes).epsilon(1e-12));
  }
  SECTION("the crossover sits where arithmetic intensity equals the ridge point") {
    const Roofs roofs{1e12, 50e12};
    const auto b = critical_batch(m, w, roofs, DecodeInput{});
    REQUIRE(b.has_value());
    const double intensity_per_batch = 2.0 * w.matmul_params_per_token() / w.dense_read_bytes;
    CHECK(*b * intensity_per_batch ==
          Approx(roofs.peak_flops_per_s / roofs.mem_bw_bytes_per_s).epsilon(1e-6));
  }
  SECTION("per-sequence speed never rises with batch or context") {
    double previous = 1e300;
    for (int batch : {1, 2, 4, 8, 16, 64, 256}) {
      const double tps = step(m, w, {1e12, 100e12}, batch, 4096).tokens_per_s;
      CHECK(tps <= previous);
      previous = tps;
    }
    previous = 1e300;
    for (double context : {0.0, 1024.0, 8192.0, 65536.0}) {
      const double tps = step(m, w, {1e12, 100e12}, 4, context).tokens_per_s;
      CHECK(tps <= previous);
      previous = tps;
    }
  }
  SECTION("long context can keep a step memory-bound at any batch") {
    const auto b = critical_batch(m, w, {1e12, 1e15}, DecodeInput{1, 1e7, 2.0, 0.0});
    CHECK_FALSE(b.has_value());
  }
}

TEST_CASE("expected experts touched", "[roofline][moe]") {
  CHECK(expected_experts_touched(8, 2, 1) == Approx(2.0));
  CHECK(expected_experts_touched(128, 8, 1) == Approx(8.0));
  CHECK(expected_experts_touched(8, 2, 1000) == Approx(8.0).epsilon(1e-9));
  double previous = 0;
  for (double b = 1; b <= 4096; b *= 2) {
    const double e = expected_experts_touched(256, 8, b);
    CHECK(e >= previous);
    CHECK(e <= 256.0);
    previous = e;
  }
  // Skew lets a batch share experts: fewer distinct experts than uniform routing.
  CHECK(expected_experts_touched(128, 8, 64, 0.5) < expected_experts_touched(128, 8, 64, 0.0));
  CHECK(expected_experts_touched(128, 8, 64, 0.5) >= 8.0);
  CHECK(expected_experts_touched(0, 0, 8) == 0.0);
}

TEST_CASE("prefill is compute-bound and counts attention over the prompt", "[roofline][prefill]") {
  const ModelSpec& m = catalog_model("llama-3.1-8b");
  const Weights w = weights_of(m, "fp16");
  const PrefillResult p = prefill(m, w, {1e12, 100e12}, 512, 0, 2.0);
  CHECK(p.compute_bound);
  // 2 * multiplied params * 512 + sum over i < 512 of 4 * heads * head_dim * layers * i.
  const double attention = 4.0 * 32 * 128 * 32 * (512.0 * 511.0 / 2.0);
  CHECK(p.flops == Approx(2.0 * w.matmul_params_per_token() * 512 + attention).epsilon(1e-12));
  CHECK(p.tokens_per_s == Approx(512 / (p.flops / 100e12)).epsilon(1e-12));
}

TEST_CASE("memory fit adds KV cache and the runtime allowance", "[roofline][memory]") {
  const MemoryFit fit = memory_fit(10e9, 2e9, 16.0 * 1024 * 1024 * 1024);
  CHECK(fit.overhead_bytes == Approx(512.0 * 1024 * 1024 + 0.2e9));
  CHECK(fit.required_bytes == Approx(12e9 + fit.overhead_bytes));
  CHECK(fit.fits);
  CHECK(fit.margin_bytes == Approx(16.0 * 1024 * 1024 * 1024 - fit.required_bytes));
  CHECK_FALSE(memory_fit(20e9, 0, 16e9).fits);

  Device mac;
  mac.kind = DeviceKind::apple_soc;
  CHECK(usable_memory_bytes(mac, 64.0 * 1024 * 1024 * 1024) == Approx(48.0 * 1024 * 1024 * 1024));
  CHECK(usable_memory_bytes(mac, 24.0 * 1024 * 1024 * 1024) == Approx(16.0 * 1024 * 1024 * 1024));
  Device gpu;
  gpu.kind = DeviceKind::gpu;
  CHECK(usable_memory_bytes(gpu, 24e9) == 24e9);
}

TEST_CASE("decode span sums step times exactly over piecewise-linear pieces", "[roofline][span]") {
  // A bound change at context 300 and a window filling at 1000: three linear pieces.
  auto f = [](double c) {
    const double memory = 1.0 + 0.002 * std::min(c, 1000.0);
    const double compute = 0.5 + 0.004 * c;
    return std::max(memory, compute);
  };
  for (double c0 : {0.0, 250.0, 999.0, 5000.0}) {
    for (double n : {1.0, 2.0, 3.0, 128.0, 4097.0, 100000.0}) {
      double brute = 0;
      for (double i = 0; i < n; ++i) {
        brute += f(c0 + i);
      }
      INFO("c0 " << c0 << " n " << n);
      CHECK(decode_span_seconds(c0, n, f) == Approx(brute).epsilon(1e-11));
    }
  }
  CHECK(decode_span_seconds(0, 0, f) == 0.0);
}

TEST_CASE("critical batch of a mixture of experts solves the crossover", "[roofline][moe]") {
  const ModelCatalog& c = test::catalog();
  const ModelSpec& m = *find_model(c, "qwen3-30b-a3b");
  const Weights w = model_weights(m, *find_quant("q4_k_m"));
  const Roofs roofs{273e9, 9e12};
  DecodeInput in;
  in.context_tokens = 2048;
  const auto b = critical_batch(m, w, roofs, in);
  REQUIRE(b.has_value());
  // At the crossover, compute time equals memory time (the expert traffic grows with batch).
  const double touched = expected_experts_touched(w.experts, w.experts_used, *b);
  const double bytes = w.dense_read_bytes + w.routed_expert_bytes * touched / w.experts +
                       *b * kv_cache_bytes(m, 2048, 2.0);
  const double flops =
      *b * (2.0 * w.matmul_params_per_token() + attention_flops_per_token(m, 2048));
  CHECK(flops / roofs.peak_flops_per_s == Approx(bytes / roofs.mem_bw_bytes_per_s).epsilon(1e-9));
  CHECK_FALSE(step(m, w, roofs, static_cast<int>(std::floor(*b)), 2048).compute_bound);
  CHECK(step(m, w, roofs, static_cast<int>(std::ceil(*b)), 2048).compute_bound);
}

TEST_CASE("end to end: prefill, then generation after the prompt", "[roofline][estimate]") {
  // Regression: generation starts with the prompt in the KV cache.
  const ModelSpec m = generic_model(7e9, "7b");
  ModelInput input;
  input.spec = m;
  input.weights = model_weights(m, *find_quant("int4"));
  input.quant_id = "int4";
  input.compute = Precision::int4;
  Device d;
  d.id = "test";
  d.kind = DeviceKind::gpu;
  d.mem_bw_bytes_per_s = 1935e9;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::int4)] = 1248e12;
  d.memory_sizes_bytes = {80.0 * 1024 * 1024 * 1024};
  EstimateOptions options;
  options.ideal = true;
  options.prompt_tokens = 512;
  options.generate_tokens = 128;
  const EstimateResult r = estimate(d, input, options, EfficiencyTable{});
  double generation = 0;
  for (int i = 0; i < 128; ++i) {
    DecodeInput in;
    in.context_tokens = 512 + i;
    generation += decode_step(m, input.weights, r.roofs, in).step_seconds;
  }
  CHECK(r.end_to_end_seconds == Approx(r.time_to_first_token_s + generation).epsilon(1e-12));
  // The average generation speed is llama-bench's tg128: from the given context (0).
  double from_zero = 0;
  for (int i = 0; i < 128; ++i) {
    DecodeInput in;
    in.context_tokens = i;
    from_zero += decode_step(m, input.weights, r.roofs, in).step_seconds;
  }
  CHECK(r.generate_tokens_per_s == Approx(128 / from_zero).epsilon(1e-12));
}
