// Sweeps: the list parser, the exact memory limits, hand-computed grid and parallel runs, and
// the invariants of issue 4.

#include <cmath>

#include "catch.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/scenarios/sweep.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/units.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

using Values = std::vector<std::int64_t>;

Values parse(std::string_view text, std::int64_t min_value = 0, std::int64_t max_value = 1 << 20) {
  return parse_sweep_list(text, "batch", min_value, max_value);
}

std::string parse_error(std::string_view text, std::int64_t min_value = 1,
                        std::int64_t max_value = 1 << 20) {
  try {
    parse_sweep_list(text, "batch", min_value, max_value);
  } catch (const RequestError& e) {
    CHECK(e.field() == "batch");
    return e.render([](std::string_view field) { return "--" + std::string(field); });
  }
  return "no error";
}

ModelInput model_input(const std::string& id, const std::string& quant_id) {
  const ModelSpec* spec = find_model(test::catalog(), id);
  REQUIRE(spec != nullptr);
  const auto quant = find_quant(quant_id);
  REQUIRE(quant.has_value());
  ModelInput m;
  m.spec = *spec;
  m.weights = model_weights(*spec, *quant);
  m.quant_id = quant->id;
  m.compute = quant->compute;
  return m;
}

// A round-number GPU: 1000 GB/s, 100 TFLOP/s at fp16 and fp32, 192 GiB.
Device unit_gpu() {
  Device d;
  d.id = "unit-gpu";
  d.vendor = "NVIDIA";
  d.name = "Unit GPU";
  d.kind = DeviceKind::gpu;
  d.backend = "cuda";
  d.mem_bw_bytes_per_s = 1e12;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp32)] = 1e14;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp16)] = 1e14;
  d.memory_sizes_bytes = {192.0 * units::k_gib};
  return d;
}

// llama-3.1-70b at fp16 (the hand-computed model of test_roofline.cpp): 141107412992 bytes of
// weights, 327680 bytes of KV cache per token (2 * 80 layers * 8 heads * 128 * 2 bytes).
constexpr double k_70b_weights_bytes = 141107412992.0;
constexpr double k_70b_kv_bytes_per_token = 327680.0;
// 192 GiB less weights and overhead (512 MiB + 2% of the weights): what the KV cache may use.
constexpr double k_70b_kv_budget_bytes = 61691998044.16;

}  // namespace

TEST_CASE("sweep lists: values, ranges, order", "[sweep][range]") {
  CHECK(parse("1,2,4,8") == Values{1, 2, 4, 8});
  CHECK(parse("1..256x2") == Values{1, 2, 4, 8, 16, 32, 64, 128, 256});
  CHECK(parse("0..32768+4096") == Values{0, 4096, 8192, 12288, 16384, 20480, 24576, 28672, 32768});
  CHECK(parse("1..4") == Values{1, 2, 3, 4});
  CHECK(parse("5") == Values{5});
  SECTION("the end is included only when a step lands on it") {
    CHECK(parse("0..10+4") == Values{0, 4, 8});
    CHECK(parse("1..100x3") == Values{1, 3, 9, 27, 81});
    CHECK(parse("3..3x2") == Values{3});
  }
  SECTION("items mix; the result is sorted without duplicates; spaces are ignored") {
    CHECK(parse("64, 1..8x2 ,8,12") == Values{1, 2, 4, 8, 12, 64});
    CHECK(parse("4,4,4") == Values{4});
  }
  SECTION("geometric ranges stop before overflowing") {
    CHECK(parse("1..1048576x1024", 1, 1 << 20) == Values{1, 1024, 1048576});
  }
  SECTION("the cap is on values, not on the range's width") {
    CHECK(parse("1..10000", 1).size() == k_max_sweep_points);
    CHECK(parse("0..99990000+10000", 0, 100000000).size() == k_max_sweep_points);
  }
}

TEST_CASE("sweep lists: errors name the option and the item", "[sweep][range]") {
  CHECK(parse_error("") == "--batch needs at least one value, e.g. 1,2,4 or 1..64x2");
  CHECK(parse_error("  ") == "--batch needs at least one value, e.g. 1,2,4 or 1..64x2");
  CHECK(parse_error("1,,2") == "bad --batch list '1,,2': empty item");
  CHECK(parse_error("1,") == "bad --batch list '1,': empty item");
  const std::string hint =
      "expected a whole number, a list (1,2,4) or a range (1..256x2, 0..32768+4096)";
  CHECK(parse_error("abc") == "bad --batch value 'abc': " + hint);
  CHECK(parse_error("1.5") == "bad --batch value '1.5': " + hint);
  CHECK(parse_error("1..") == "bad --batch value '1..': " + hint);
  CHECK(parse_error("..8") == "bad --batch value '..8': " + hint);
  CHECK(parse_error("1..8x") == "bad --batch value '1..8x': " + hint);
  CHECK(parse_error("1..8y2") == "bad --batch value '1..8y2': " + hint);
  CHECK(parse_error("256..1x2") ==
        "bad --batch value '256..1x2': the range runs backwards (256 > 1)");
  CHECK(parse_error("1..8x1") ==
        "bad --batch value '1..8x1': the factor after 'x' must be at least 2");
  CHECK(parse_error("0..8x2", 0) ==
        "bad --batch value '0..8x2': a geometric range must start at 1 or more");
  CHECK(parse_error("0..100+0", 0) ==
        "bad --batch value '0..100+0': the step after '+' must be at least 1");
  CHECK(parse_error("0..100+-4", 0) ==
        "bad --batch value '0..100+-4': the step after '+' must be at least 1");
  CHECK(parse_error("0") == "--batch value 0 is out of range (1 to 1048576)");
  CHECK(parse_error("-3") == "--batch value -3 is out of range (1 to 1048576)");
  CHECK(parse_error("1..2000000x2") == "--batch value 2000000 is out of range (1 to 1048576)");
  CHECK(parse_error("1..10001") ==
        "--batch '1..10001' gives more than 10000 values; use a larger step");
  CHECK(parse_error("1..5000,5001..10001") ==
        "--batch '1..5000,5001..10001' gives more than 10000 values; use a larger step");
}

TEST_CASE("memory limits: llama-3.1-70b fp16 in 192 GiB, hand-computed", "[sweep][limits]") {
  const ModelInput m = model_input("llama-3.1-70b", "fp16");
  REQUIRE(m.weights.total_bytes == k_70b_weights_bytes);
  REQUIRE(kv_cache_bytes(m.spec, 1, 2.0) == k_70b_kv_bytes_per_token);
  const double available = 192.0 * units::k_gib;
  REQUIRE(memory_fit(k_70b_weights_bytes, 0, available).margin_bytes ==
          Approx(k_70b_kv_budget_bytes).epsilon(1e-15));

  // 61691998044.16 / 327680 = 188269.037 tokens for one sequence.
  const FitLimit tokens = max_tokens_that_fit(m.spec, k_70b_weights_bytes, available, 1, 2.0);
  CHECK(tokens.value == 188269);
  CHECK_FALSE(tokens.unbounded);
  // Eight sequences: 61691998044.16 / (8 * 327680) = 23533.6.
  CHECK(max_tokens_that_fit(m.spec, k_70b_weights_bytes, available, 8, 2.0).value == 23533);
  // At 8192 tokens each a sequence needs 2684354560 bytes: 22.98 sequences.
  CHECK(max_batch_that_fits(m.spec, k_70b_weights_bytes, available, 8192, 2.0).value == 22);
  // A q8_0 cache stores 34 bytes per 32 elements, 163840 elements per token:
  // 61691998044.16 / (163840 * 34 / 32 * 8192) = 43.3 sequences.
  CHECK(max_batch_that_fits(m.spec, k_70b_weights_bytes, available, 8192, 34.0 / 32.0).value == 43);

  SECTION("the answer is the boundary: it fits, one more does not") {
    for (std::int64_t batch : {1, 3, 7, 64}) {
      const auto t = max_tokens_that_fit(m.spec, k_70b_weights_bytes, available, batch, 2.0);
      REQUIRE(t.value.has_value());
      const double b = static_cast<double>(batch);
      CHECK(memory_fit(k_70b_weights_bytes, b * kv_cache_bytes(m.spec, *t.value, 2.0), available)
                .fits);
      CHECK_FALSE(
          memory_fit(k_70b_weights_bytes, b * kv_cache_bytes(m.spec, *t.value + 1, 2.0), available)
              .fits);
    }
  }
  SECTION("nothing fits when the weights alone do not") {
    const double small = 100.0 * units::k_gib;
    CHECK(max_batch_that_fits(m.spec, k_70b_weights_bytes, small, 0, 2.0).value == 0);
    const FitLimit none = max_tokens_that_fit(m.spec, k_70b_weights_bytes, small, 1, 2.0);
    CHECK_FALSE(none.value.has_value());
    CHECK_FALSE(none.unbounded);
  }
  SECTION("a sequence holding no KV cache leaves the batch unbounded") {
    const FitLimit any = max_batch_that_fits(m.spec, k_70b_weights_bytes, available, 0, 2.0);
    CHECK_FALSE(any.value.has_value());
    CHECK(any.unbounded);
  }
}

TEST_CASE("memory limits: sliding windows and MLA are solved on their own pieces",
          "[sweep][limits]") {
  // 4 layers of 2 KV heads of width 64: 256 elements per layer per token, 512 bytes at f16.
  ModelSpec m;
  m.id = "windowed";
  m.layers = 4;
  m.heads = 4;
  m.kv_heads = 2;
  m.head_dim = 64;
  m.attention = AttentionKind::gqa;
  m.sliding_window = 1000;
  m.sliding_window_layers = 2;
  // kv(t) = 1024 * t + 1024 * min(t, 1000) bytes; no weights, so only the 512 MiB overhead.
  const double overhead = 512.0 * units::k_mib;
  REQUIRE(kv_cache_bytes(m, 1500, 2.0) == 1024.0 * 1500 + 1024.0 * 1000);

  SECTION("past the window only the full layers grow") {
    CHECK(max_tokens_that_fit(m, 0, overhead + 2560000, 1, 2.0).value == 1500);
    CHECK(max_tokens_that_fit(m, 0, overhead + 2559999, 1, 2.0).value == 1499);
  }
  SECTION("inside the window every layer grows") {
    CHECK(max_tokens_that_fit(m, 0, overhead + 1024000, 1, 2.0).value == 500);
    CHECK(max_tokens_that_fit(m, 0, overhead + 2560000, 2, 2.0).value == 625);
  }
  SECTION("when every layer is windowed, full windows fitting means no limit") {
    m.sliding_window_layers = 4;
    const FitLimit unbounded = max_tokens_that_fit(m, 0, overhead + 2048000, 1, 2.0);
    CHECK(unbounded.unbounded);
    CHECK_FALSE(unbounded.value.has_value());
    CHECK(max_tokens_that_fit(m, 0, overhead + 2047999, 1, 2.0).value == 999);
  }
  SECTION("MLA caches its latent: (512 + 64) elements on each of 61 layers") {
    const ModelInput ds = model_input("deepseek-v3", "q4_k_m");
    const double per_token = 61.0 * (512 + 64) * 2.0;
    REQUIRE(kv_cache_bytes(ds.spec, 1, 2.0) == per_token);
    const double budget = 40.0 * units::k_gib;
    const double available =
        ds.weights.total_bytes + runtime_overhead_bytes(ds.weights.total_bytes) + budget;
    CHECK(max_tokens_that_fit(ds.spec, ds.weights.total_bytes, available, 4, 2.0).value ==
          static_cast<std::int64_t>(std::floor(budget / (4.0 * per_token))));
  }
}

TEST_CASE("sweep grid: llama-3.1-70b fp16 on 1000 GB/s and 100 TFLOP/s, ideal, hand-computed",
          "[sweep]") {
  const ModelInput m = model_input("llama-3.1-70b", "fp16");
  const Device gpu = unit_gpu();
  SweepOptions o;
  o.base.ideal = true;
  o.base.prompt_tokens = 0;
  o.base.generate_tokens = 0;
  o.batches = {1, 8};
  o.contexts = {0, 8192};
  const SweepResult r = sweep(gpu, m, o, EfficiencyTable{});
  REQUIRE(r.points.size() == 4);
  // Context-major order.
  CHECK(r.points[0].batch == 1);
  CHECK(r.points[0].context_tokens == 0);
  CHECK(r.points[1].batch == 8);
  CHECK(r.points[1].context_tokens == 0);
  CHECK(r.points[2].batch == 1);
  CHECK(r.points[2].context_tokens == 8192);

  // Per sequence: bytes / bandwidth while memory-bound (figures of test_roofline.cpp).
  CHECK(r.points[0].estimate.tokens_per_s == Approx(7.1939306235).epsilon(1e-9));
  CHECK(r.points[1].estimate.aggregate_tokens_per_s == Approx(57.551444988).epsilon(1e-9));
  CHECK(r.points[2].estimate.tokens_per_s == Approx(7.0576401086).epsilon(1e-9));
  const EstimateResult& b8c8k = r.points[3].estimate;
  CHECK(b8c8k.tokens_per_s == Approx(6.2312710127).epsilon(1e-9));
  CHECK(b8c8k.aggregate_tokens_per_s == Approx(49.850168101).epsilon(1e-9));
  CHECK(b8c8k.step.weights_read_bytes == 139006066688.0);
  CHECK(b8c8k.step.kv_read_bytes == 8.0 * 2684354560.0);
  CHECK_FALSE(b8c8k.step.compute_bound);
  // 141107412992 + 3359019171.84 overhead + 8 * 2684354560.
  CHECK(b8c8k.fit.required_bytes == Approx(165941268643.84).epsilon(1e-15));
  CHECK(b8c8k.fit.fits);

  // Bytes equal FLOPs per token at batch 1 and context 0, so decode turns compute-bound at
  // peak / bandwidth = 100.
  REQUIRE(r.limits.critical_batch.has_value());
  CHECK(*r.limits.critical_batch == Approx(100.0).epsilon(1e-8));
  CHECK(r.limits.critical_batch_context_tokens == 0);
  CHECK(r.limits.max_batch.value == 22);  // at the longest context, 8192
  CHECK(r.limits.max_batch_context_tokens == 8192);
  CHECK(r.limits.max_context.value == 23533);  // at the largest batch, 8
  CHECK(r.limits.max_context_batch == 8);

  SECTION("prompt and generated tokens are held too and lower the context limit") {
    o.base.prompt_tokens = 512;
    o.base.generate_tokens = 128;
    const SweepResult held = sweep(gpu, m, o, EfficiencyTable{});
    CHECK(held.limits.max_context.value == 23533 - 640);
    // 8192 + 640 tokens: 61691998044.16 / (327680 * 8832) = 21.3.
    CHECK(held.limits.max_batch.value == 21);
    CHECK(held.points[3].estimate.fit.required_bytes ==
          Approx(k_70b_weights_bytes + 3359019171.84 + 8.0 * 327680.0 * 8832.0).epsilon(1e-15));
  }
  SECTION("the report carries the issue's fields") {
    const Report report = sweep_report(r, m, o);
    CHECK(report.command == "sweep");
    for (const char* id :
         {"batch", "context_tokens", "tokens_per_s", "aggregate_tokens_per_s", "weights_read_bytes",
          "kv_read_bytes", "bound", "fits", "memory_required_bytes", "ideal_tokens_per_s",
          "ideal_aggregate_tokens_per_s"}) {
      CHECK(report.column_index(id) >= 0);
    }
    REQUIRE(report.fields.size() == 4);
    CHECK(report.fields[0].id == "critical_batch");
    CHECK(report.fields[1].id == "max_batch_that_fits");
    CHECK(std::get<std::int64_t>(report.fields[1].value) == 22);
    CHECK(report.fields[1].title == "max batch that fits (context 8192)");
    CHECK(report.fields[2].id == "max_context_that_fits");
    CHECK(std::get<std::int64_t>(report.fields[2].value) == 23533);
    CHECK(report.fields[2].title == "max context that fits (batch 8)");
    const auto row = report.rows[3];
    CHECK(std::get<std::int64_t>(row[static_cast<std::size_t>(report.column_index("batch"))]) == 8);
    CHECK(std::get<std::string>(row[static_cast<std::size_t>(report.column_index("bound"))]) ==
          "memory");
  }
}

TEST_CASE("sweep grid: the solved limits agree with the rows' own memory", "[sweep][limits]") {
  const ModelInput m = model_input("gemma-2-9b", "q4_k_m");  // sliding-window layers
  Device gpu = unit_gpu();
  gpu.memory_sizes_bytes = {24.0 * units::k_gib};
  SweepOptions o;
  o.base.prompt_tokens = 100;
  o.base.generate_tokens = 28;
  o.batches = {1, 4};
  o.contexts = {0, 30000};
  const SweepResult r = sweep(gpu, m, o, test::efficiency());
  REQUIRE(r.limits.max_batch.value.has_value());
  REQUIRE(r.limits.max_context.value.has_value());
  const std::int64_t b = *r.limits.max_batch.value;
  const std::int64_t c = *r.limits.max_context.value;
  // Rerun exactly at and past each limit: estimate() must agree that it is the boundary.
  SweepOptions at = o;
  at.batches = {b, b + 1};
  at.contexts = {30000};
  const SweepResult batch_edge = sweep(gpu, m, at, test::efficiency());
  CHECK(batch_edge.points[0].estimate.fit.fits);
  CHECK_FALSE(batch_edge.points[1].estimate.fit.fits);
  at.batches = {4};
  at.contexts = {c, c + 1};
  const SweepResult context_edge = sweep(gpu, m, at, test::efficiency());
  CHECK(context_edge.points[0].estimate.fit.fits);
  CHECK_FALSE(context_edge.points[1].estimate.fit.fits);
}

TEST_CASE("sweep: too many points is a usage error", "[sweep]") {
  const ModelInput m = model_input("llama-3.2-1b", "q4_k_m");
  SweepOptions o;
  o.batches = parse_sweep_list("1..101", "batch", 1, 1 << 20);
  o.contexts = parse_sweep_list("0..9900+100", "context", 0, 100000000);
  try {
    sweep(unit_gpu(), m, o, test::efficiency());
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) ==
          "the sweep has 10100 points (101 batches x 100 contexts); at most 10000");
  }
}

TEST_CASE("parallel users: llama-3.1-70b fp16, prompt 512, generate 128, ideal, hand-computed",
          "[sweep][parallel]") {
  const ModelInput m = model_input("llama-3.1-70b", "fp16");
  ParallelOptions o;
  o.base.ideal = true;
  o.base.prompt_tokens = 512;
  o.base.generate_tokens = 128;
  o.users = {1, 8};
  const ParallelResult r = parallel_sweep(unit_gpu(), m, o, EfficiencyTable{});
  REQUIRE(r.runs.size() == 2);
  // Prefill of one prompt: 2 * 69503033344 * 512 + 4 * 64 heads * 128 * 80 layers * (0 + .. +
  // 511) = 71514032439296 FLOPs, compute-bound at 1e14 FLOP/s.
  const ParallelRun& one = r.runs[0];
  REQUIRE(one.prefill.has_value());
  CHECK(one.prefill->flops == 71514032439296.0);
  CHECK(one.prefill->bytes == 139006066688.0 + 327680.0 * 512);
  CHECK(one.time_to_first_token_s == Approx(0.71514032439296).epsilon(1e-12));
  // Decode at contexts 512 .. 639, memory-bound: (128 * 139006066688 + 327680 * 73664) / 1e12.
  CHECK(one.generate_seconds == Approx(17.816914755584).epsilon(1e-12));
  CHECK(one.tokens_per_s == Approx(7.1841843414491).epsilon(1e-12));
  CHECK(one.end_to_end_seconds == Approx(18.53205507997696).epsilon(1e-12));
  CHECK(one.total_tokens_per_s == Approx(34.53475598027392).epsilon(1e-12));

  // Eight users: eight times the prefill FLOPs over the weights read once.
  const ParallelRun& eight = r.runs[1];
  CHECK(eight.prefill->flops == 8.0 * 71514032439296.0);
  CHECK(eight.prefill->bytes == 139006066688.0 + 8.0 * 327680.0 * 512);
  CHECK(eight.time_to_first_token_s == Approx(5.72112259514368).epsilon(1e-12));
  CHECK(eight.generate_seconds == Approx(17.985882292224).epsilon(1e-12));
  CHECK(eight.tokens_per_s == Approx(7.116692855003249).epsilon(1e-12));
  CHECK(eight.aggregate_tokens_per_s == Approx(56.93354284002599).epsilon(1e-12));
  CHECK(eight.end_to_end_seconds == Approx(23.70700488736768).epsilon(1e-12));
  CHECK(eight.total_tokens_per_s == Approx(215.96992215276427).epsilon(1e-12));
  // Memory: eight caches of 512 + 128 tokens.
  CHECK(eight.decode.fit.required_bytes ==
        Approx(k_70b_weights_bytes + 3359019171.84 + 8.0 * 327680.0 * 640.0).epsilon(1e-15));

  // The critical batch is read where decoding starts, at context 512.
  CHECK(r.limits.critical_batch_context_tokens == 512);
  // 61691998044.16 / (327680 * 640) = 294.2 users; at 8 users 23533 - 640 tokens of context.
  CHECK(r.limits.max_batch.value == 294);
  CHECK(r.limits.max_context.value == 23533 - 640);

  const Report report = parallel_report(r, m, o);
  for (const char* id :
       {"users", "time_to_first_token_seconds", "tokens_per_s", "aggregate_tokens_per_s",
        "total_tokens_per_s", "end_to_end_seconds", "memory_required_bytes", "fits"}) {
    CHECK(report.column_index(id) >= 0);
  }
  CHECK(report.fields[1].title == "max users that fit (context 0)");
}

TEST_CASE("parallel users: one user is estimate's prefill and generation", "[sweep][parallel]") {
  for (const char* id : {"llama-3.1-8b", "mixtral-8x7b"}) {
    CAPTURE(id);
    const ModelInput m = model_input(id, "q4_k_m");
    ParallelOptions o;
    o.base.context_tokens = 1000;
    o.base.prompt_tokens = 512;
    o.base.generate_tokens = 128;
    o.users = {1};
    const ParallelRun run = parallel_sweep(unit_gpu(), m, o, test::efficiency()).runs.front();
    EstimateOptions one = o.base;
    const EstimateResult prompt = estimate(unit_gpu(), m, one, test::efficiency());
    one.context_tokens = 1512;
    one.prompt_tokens = 0;
    const EstimateResult decode = estimate(unit_gpu(), m, one, test::efficiency());
    CHECK(run.time_to_first_token_s == Approx(prompt.time_to_first_token_s).epsilon(1e-12));
    CHECK(run.generate_seconds == Approx(decode.generate_seconds).epsilon(1e-12));
    CHECK(run.tokens_per_s == Approx(decode.generate_tokens_per_s).epsilon(1e-12));
    CHECK(run.end_to_end_seconds ==
          Approx(prompt.time_to_first_token_s + decode.generate_seconds).epsilon(1e-12));
  }
}

TEST_CASE("parallel users: generating nothing is a usage error", "[sweep][parallel]") {
  ParallelOptions o;
  o.base.generate_tokens = 0;
  CHECK_THROWS_AS(
      parallel_sweep(unit_gpu(), model_input("llama-3.2-1b", "q4_k_m"), o, test::efficiency()),
      UsageError);
}

TEST_CASE("sweep invariants over dense, windowed, MoE and MLA models", "[sweep][invariant]") {
  struct Case {
    const char* model;
    const char* quant;
  };
  const Case cases[] = {{"llama-3.1-8b", "q4_k_m"},
                        {"gemma-2-9b", "q8_0"},
                        {"mixtral-8x7b", "q4_k_m"},
                        {"qwen3-30b-a3b", "q4_k_m"},
                        {"deepseek-v3", "q4_k_m"}};
  for (const bool ideal : {false, true}) {
    for (const auto& c : cases) {
      const ModelInput m = model_input(c.model, c.quant);
      CAPTURE(c.model, ideal);
      SweepOptions o;
      o.base.ideal = ideal;
      o.base.prompt_tokens = 0;
      o.base.generate_tokens = 0;
      o.batches = parse_sweep_list("1..1024x2", "batch", 1, 1 << 20);
      o.contexts = parse_sweep_list("0..65536+8192", "context", 0, 100000000);
      const SweepResult r = sweep(unit_gpu(), m, o, test::efficiency());
      const std::size_t nb = o.batches.size();
      auto at = [&](std::size_t ci, std::size_t bi) -> const EstimateResult& {
        return r.points[ci * nb + bi].estimate;
      };
      const double base_bytes = at(0, 0).fit.required_bytes;
      for (std::size_t ci = 0; ci < o.contexts.size(); ++ci) {
        for (std::size_t bi = 0; bi < nb; ++bi) {
          const EstimateResult& p = at(ci, bi);
          const double batch = static_cast<double>(o.batches[bi]);
          const double context = static_cast<double>(o.contexts[ci]);
          // Per-sequence speed never rises with batch or with context.
          if (bi > 0) {
            CHECK(p.tokens_per_s <= at(ci, bi - 1).tokens_per_s);
            CHECK(p.step.tokens_per_s <= at(ci, bi - 1).step.tokens_per_s);
            // Aggregate speed never falls as the batch grows ...
            CHECK(p.aggregate_tokens_per_s >= at(ci, bi - 1).aggregate_tokens_per_s * (1 - 1e-12));
            // ... and rises strictly below the critical batch.
            const auto critical = at(ci, 0).critical_batch;
            if (!critical || batch <= *critical) {
              CHECK(p.step.aggregate_tokens_per_s > at(ci, bi - 1).step.aggregate_tokens_per_s);
            }
          }
          if (ci > 0) {
            CHECK(p.tokens_per_s <= at(ci - 1, bi).tokens_per_s);
          }
          // Memory grows with batch x KV of the context: linear in batch x tokens (piecewise
          // where windows cap the cache).
          CHECK(p.fit.required_bytes - base_bytes ==
                Approx(batch * kv_cache_bytes(m.spec, context, 2.0)).margin(1.0));
        }
      }
    }
  }
}

TEST_CASE("sweep invariants: memory is exactly linear in batch x context for a dense model",
          "[sweep][invariant]") {
  const ModelInput m = model_input("llama-3.1-8b", "q4_k_m");
  const double per_token = kv_cache_bytes(m.spec, 1, 2.0);
  REQUIRE(per_token == 131072.0);  // 2 * 32 layers * 8 heads * 128 * 2 bytes
  SweepOptions o;
  o.base.prompt_tokens = 0;
  o.base.generate_tokens = 0;
  o.batches = {1, 3, 10};
  o.contexts = {0, 1000, 7000};
  const SweepResult r = sweep(unit_gpu(), m, o, test::efficiency());
  const double base_bytes = r.points.front().estimate.fit.required_bytes;
  for (const auto& p : r.points) {
    CHECK(p.estimate.fit.required_bytes - base_bytes ==
          static_cast<double>(p.batch * p.context_tokens) * per_token);
  }
}

TEST_CASE("sweep invariants: experts touched are k at batch 1 and approach E",
          "[sweep][invariant][moe]") {
  for (const char* id : {"mixtral-8x7b", "qwen3-30b-a3b"}) {
    const ModelInput m = model_input(id, "q4_k_m");
    CAPTURE(id);
    const double experts = m.weights.experts;
    const double used = m.weights.experts_used;
    for (const double skew : {0.0, 0.5}) {
      SweepOptions o;
      o.base.ideal = true;
      o.base.expert_skew = skew;
      o.batches = parse_sweep_list("1..65536x2", "batch", 1, 1 << 20);
      const SweepResult r = sweep(unit_gpu(), m, o, EfficiencyTable{});
      CHECK(r.points.front().estimate.step.experts_touched == Approx(used).epsilon(1e-12));
      for (std::size_t i = 1; i < r.points.size(); ++i) {
        // Rising until every expert is read (E itself, once the rounding reaches it).
        const double before = r.points[i - 1].estimate.step.experts_touched;
        const double now = r.points[i].estimate.step.experts_touched;
        CHECK(now >= before);
        if (before < experts) {
          CHECK(now > before);
        }
        CHECK(r.points[i].estimate.step.experts_touched <= experts);
        CHECK(r.points[i].estimate.step.weights_read_bytes >=
              r.points[i - 1].estimate.step.weights_read_bytes);
      }
      CHECK(r.points.back().estimate.step.experts_touched == Approx(experts).epsilon(1e-6));
      CHECK(r.points.back().estimate.step.weights_read_bytes ==
            Approx(m.weights.dense_read_bytes + m.weights.routed_expert_bytes).epsilon(1e-6));
    }
  }
}

TEST_CASE("sweep chart: total speed by batch, grouped by context", "[sweep][chart]") {
  const ModelInput m = model_input("llama-3.1-70b", "fp16");
  SweepOptions o;
  o.base.ideal = true;
  o.base.prompt_tokens = 0;
  o.base.generate_tokens = 0;
  o.batches = {1, 8};
  o.contexts = {0, 8192};
  const SweepResult r = sweep(unit_gpu(), m, o, EfficiencyTable{});
  const BarChart chart = sweep_chart(r, o);
  CHECK(chart.label_title == "batch");
  REQUIRE(chart.groups.size() == 2);
  CHECK(chart.groups[1].heading == "context 8192");
  CHECK(chart.groups[1].bars[1].label == "8");
  CHECK(chart.groups[1].bars[1].value == r.points[3].estimate.aggregate_tokens_per_s);
  CHECK(chart.groups[1].bars[1].text == "49.9");

  o.batches = {4};
  const BarChart by_context = sweep_chart(sweep(unit_gpu(), m, o, EfficiencyTable{}), o);
  CHECK(by_context.title == "decode speed per sequence, by context (batch 4)");
  CHECK(by_context.label_title == "context");
  REQUIRE(by_context.groups.size() == 1);
  CHECK(by_context.groups[0].bars.size() == 2);
}
