// The one engine model: the class and figures every scenario's realistic times come from, and
// its backend comparison (normalized, so "CPU" and "cpu" are the same backend).

#include "catch.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

using test::device;

ModelInput q4_k_m_7b() {
  const ModelSpec model = generic_model(7e9, "7b");
  ModelInput input;
  input.spec = model;
  input.weights = model_weights(model, *find_quant("q4_k_m"));
  input.quant_id = "q4_k_m";
  return input;
}

}  // namespace

TEST_CASE("backends are compared normalized: CPU and cpu are the host CPU", "[engine_model]") {
  CHECK(is_cpu_backend("cpu"));
  CHECK(is_cpu_backend("CPU"));
  CHECK(is_cpu_backend(" Cpu "));
  CHECK_FALSE(is_cpu_backend("metal"));
  CHECK_FALSE(is_cpu_backend(""));
  const Device& mac = device("m4-pro");
  CHECK(runs_on_host_cpu(mac, "CPU"));
  CHECK_FALSE(runs_on_host_cpu(mac, "Metal"));
  CHECK_FALSE(runs_on_host_cpu(device("ryzen-9-7950x"), "cpu"));  // a CPU is no host of itself

  // Issue 9: through the library "CPU" gave 18.3 and "cpu" 22.0 tok/s for this run.
  const ModelInput input = q4_k_m_7b();
  EstimateOptions lower;
  lower.backend = "cpu";
  EstimateOptions upper;
  upper.backend = "CPU";
  const EstimateResult a = estimate(mac, input, lower, test::efficiency());
  const EstimateResult b = estimate(mac, input, upper, test::efficiency());
  CHECK(a.efficiency_class == "cpu-arm");
  CHECK(b.efficiency_class == a.efficiency_class);
  CHECK(b.roofs.mem_bw_bytes_per_s == a.roofs.mem_bw_bytes_per_s);
  CHECK(b.roofs.peak_flops_per_s == a.roofs.peak_flops_per_s);
  CHECK(b.tokens_per_s == a.tokens_per_s);
  CHECK(b.prefill_tokens_per_s == a.prefill_tokens_per_s);
  // The host CPU's bandwidth, not the SoC's GPU-side figure.
  REQUIRE(mac.cpu.has_value());
  CHECK(a.roofs.peak_flops_per_s == mac.cpu->fp32_flops_per_s);
}

TEST_CASE("engine_model resolves the class and the run estimate() uses", "[engine_model]") {
  const ModelInput input = q4_k_m_7b();
  const Device& d = device("rtx-3090");
  EstimateOptions options;
  const EstimateResult r = estimate(d, input, options, test::efficiency());
  const EngineModel m = engine_model(test::efficiency(), d, "", input.spec, input.weights, r.roofs,
                                     r.precision, options.prompt_tokens);
  REQUIRE(m.cls != nullptr);
  CHECK_FALSE(m.host_cpu);
  CHECK(m.cls->id == r.efficiency_class);
  CHECK(r.tokens_per_s == Approx(1.0 / m.decode_seconds(r.step)));
  CHECK(r.prefill_tokens_per_s == Approx(options.prompt_tokens / m.prefill_seconds(*r.prefill)));
  // The same device under "CUDA" spelled differently is the same model.
  const EngineModel upper = engine_model(test::efficiency(), d, "CUDA", input.spec, input.weights,
                                         r.roofs, r.precision, options.prompt_tokens);
  CHECK(upper.cls == m.cls);
  CHECK(upper.decode_seconds(r.step) == m.decode_seconds(r.step));

  EfficiencyTable empty;
  CHECK_THROWS_AS(engine_model(empty, d, "", input.spec, input.weights, r.roofs, r.precision, 512),
                  Error);
}

TEST_CASE("matmul rows and the rows factor by hand", "[engine_model]") {
  EfficiencyTable t;
  t.ubatch_tokens = 512;
  Weights w;
  w.dense_matmul_params = 1e9;
  MatmulRows m = matmul_rows(t, w, 100);
  CHECK(m.rows == 100);
  CHECK(m.expert_flops == 0);
  CHECK(rows_factor(m, 100) == Approx(0.5));
  CHECK(matmul_rows(t, w, 4096).rows == 512);
  CHECK(matmul_rows(t, w, 0).rows == 1);
  // 32 experts, 4 used: each expert sees 1/8 of the 512 rows, 64.
  w.experts = 32;
  w.experts_used = 4;
  w.routed_expert_params = 8e9;
  m = matmul_rows(t, w, 512);
  CHECK(m.expert_flops == Approx(1e9));
  CHECK(m.expert_rows == Approx(64));
  // time = 1e9 * (512 + 64) / 512 + 1e9 * (64 + 64) / 64 = 1.125e9 + 2e9
  CHECK(rows_factor(m, 64) == Approx(2e9 / 3.125e9));
  CHECK(rows_factor(MatmulRows{}, 64) == 1);
  WeightFormat f;
  f.cpu_factor = 2;
  f.cpu_decode_factor = 3;
  f.gpu_factor = 5;
  CHECK(format_factor(f, true, false) == 2);
  CHECK(format_factor(f, true, true) == 3);
  CHECK(format_factor(f, false, true) == 5);
}
