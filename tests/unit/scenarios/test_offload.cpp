// Partial offload: GPU layers over GPU bandwidth plus host layers over host bandwidth, by hand;
// automatic layer count; --cpu-moe; the prompt over PCIe.

#include "catch.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/scenarios/offload.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/units.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

void set_peak(Device& d, Precision p, double flops) {
  d.peak_flops_per_s[static_cast<std::size_t>(p)] = flops;
}

// RTX 4090 datasheet figures, typed in by hand.
Device rtx_4090() {
  Device d;
  d.id = "rtx-4090";
  d.vendor = "NVIDIA";
  d.kind = DeviceKind::gpu;
  d.backend = "cuda";
  d.memory_sizes_bytes = {24 * units::k_gib};
  d.mem_bw_bytes_per_s = 1008e9;
  set_peak(d, Precision::fp32, 82.6e12);
  set_peak(d, Precision::fp16, 165.2e12);
  set_peak(d, Precision::int4, 1321.2e12);
  d.tdp_w = 450;
  d.launch_price_usd = 1599;
  return d;
}

// A dual-channel DDR5-5600 desktop: 89.6 GB/s, ~2.5 TFLOPS FP32, 10 TOPS INT8.
Device desktop_host() {
  Device d;
  d.id = "i9-13900k-ddr5";
  d.vendor = "Intel";
  d.kind = DeviceKind::cpu;
  d.backend = "cpu";
  d.cpu_isa = "x86-avx2";
  d.memory_sizes_bytes = {192 * units::k_gib};
  d.mem_bw_bytes_per_s = 89.6e9;
  set_peak(d, Precision::fp32, 2.5e12);
  set_peak(d, Precision::int8, 10e12);
  d.tdp_w = 253;
  d.launch_price_usd = 589;
  return d;
}

ModelInput model_input(const ModelSpec& spec, const std::string& quant) {
  ModelInput m;
  m.spec = spec;
  const Quant q = *find_quant(quant);
  m.weights = model_weights(m.spec, q);
  m.quant_id = q.id;
  m.compute = q.compute;
  return m;
}

// Generic 70B at int4: 71 layers, 35e9 bytes and 1.4e11 FLOPs per token at context 0.
ModelInput generic_70b_int4() { return model_input(generic_model(70e9, "70b"), "int4"); }

EstimateOptions ideal_options() {
  EstimateOptions o;
  o.ideal = true;
  o.prompt_tokens = 0;
  return o;
}

OffloadResult offload(const Device& gpu, const Device& host, std::optional<int> layers,
                      const ModelInput& m, const EstimateOptions& o,
                      const EfficiencyTable& table = {}, bool cpu_moe = false,
                      const Link* bus = nullptr) {
  OffloadSpec spec;
  spec.gpu = &gpu;
  spec.host = &host;
  spec.gpu_layers = layers;
  spec.cpu_moe = cpu_moe;
  spec.bus = bus;
  return estimate_offload(spec, m, o, table);
}

// GPU: 35e9 B / 1008 GB/s for the whole model; host: 35e9 B / 89.6 GB/s (memory-bound: its
// 1.4e11 FLOPs take 14 ms at 10 TOPS INT8, the int4 fallback).
constexpr double k_gpu_all = 35e9 / 1008e9;   // 34.72 ms
constexpr double k_host_all = 35e9 / 89.6e9;  // 390.6 ms

}  // namespace

TEST_CASE("offload at 40 and 20 GPU layers of 71, by hand", "[offload]") {
  const Device gpu = rtx_4090();
  const Device host = desktop_host();
  const ModelInput m = generic_70b_int4();
  REQUIRE(m.spec.layers == 71);
  const EstimateOptions o = ideal_options();
  const OffloadResult forty = offload(gpu, host, 40, m, o);
  CHECK(forty.gpu_layers == 40);
  CHECK_FALSE(forty.automatic);
  CHECK(forty.gpu_seconds == Approx(k_gpu_all * 40 / 71).epsilon(1e-9));
  CHECK(forty.host_seconds == Approx(k_host_all * 31 / 71).epsilon(1e-9));
  CHECK(forty.step_seconds == Approx(0.019561815336463 + 0.170554577464789).epsilon(1e-9));
  CHECK(forty.tokens_per_s == Approx(1 / 0.190116392801252).epsilon(1e-9));  // 5.26 tok/s
  const OffloadResult twenty = offload(gpu, host, 20, m, o);
  CHECK(twenty.step_seconds == Approx(k_gpu_all * 20 / 71 + k_host_all * 51 / 71).epsilon(1e-9));
  CHECK(twenty.tokens_per_s == Approx(3.4438736842).epsilon(1e-9));  // 1 / 290.37 ms
  CHECK(twenty.tokens_per_s < forty.tokens_per_s);
  // Weights and KV cache follow the layers.
  CHECK(forty.gpu_weights_bytes == Approx(35e9 * 40 / 71).epsilon(1e-12));
  CHECK(forty.host_weights_bytes == Approx(35e9 * 31 / 71).epsilon(1e-12));
  CHECK(forty.gpu_kv_bytes / (forty.gpu_kv_bytes + forty.host_kv_bytes) ==
        Approx(40.0 / 71).epsilon(1e-12));
  CHECK(forty.gpu_fit.fits);
  CHECK(forty.host_fit.fits);
  CHECK(forty.fits);
}

TEST_CASE("realistic offload: all layers on one side is that side's estimate", "[offload]") {
  const EfficiencyTable& table = test::efficiency();
  const Device gpu = rtx_4090();
  const Device host = desktop_host();
  const ModelInput m = generic_70b_int4();
  EstimateOptions o;
  o.context_tokens = 2000;
  const OffloadResult none = offload(gpu, host, 0, m, o, table);
  const EstimateResult host_alone = estimate(host, m, o, table);
  CHECK(none.gpu_seconds == 0);
  CHECK(none.tokens_per_s == Approx(host_alone.tokens_per_s).epsilon(1e-12));
  CHECK(none.time_to_first_token_s == Approx(host_alone.time_to_first_token_s).epsilon(1e-12));
  const OffloadResult all = offload(gpu, host, 71, m, o, table);
  const EstimateResult gpu_alone = estimate(gpu, m, o, table);
  CHECK(all.host_seconds == 0);
  CHECK(all.tokens_per_s == Approx(gpu_alone.tokens_per_s).epsilon(1e-12));
  CHECK(all.generate_tokens_per_s == Approx(gpu_alone.generate_tokens_per_s).epsilon(1e-9));
  // In between, every GPU layer helps.
  double previous = none.tokens_per_s;
  for (int layers : {10, 30, 50, 70}) {
    const double speed = offload(gpu, host, layers, m, o, table).tokens_per_s;
    CHECK(speed > previous);
    previous = speed;
  }
  CHECK(all.tokens_per_s > previous);
}

TEST_CASE("automatic offload puts as many layers on the GPU as fit", "[offload]") {
  const Device gpu = rtx_4090();
  const Device host = desktop_host();
  const ModelInput m = generic_70b_int4();
  EstimateOptions o = ideal_options();
  const OffloadResult r = offload(gpu, host, std::nullopt, m, o);
  CHECK(r.automatic);
  // Per layer: (35e9 + KV of 128 generated tokens) / 71, plus 2% of the weights; 512 MiB of
  // overhead: N <= 71 * (24 GiB - 512 MiB) / (35e9 * 1.02 + KV) = 49.72.
  const double kv = r.gpu_kv_bytes + r.host_kv_bytes;
  CHECK(kv == Approx(128.0 * 2 * 71 * 9088 * 2).epsilon(1e-12));  // K and V, 71 layers, f16
  const double limit = 71 * (24 * units::k_gib - 512 * units::k_mib) / (35e9 * 1.02 + kv);
  CHECK(limit == Approx(49.723).epsilon(1e-4));
  CHECK(r.gpu_layers == 49);
  CHECK(layers_that_fit(71, 35e9, kv, 24 * units::k_gib) == 49);
  CHECK(r.gpu_fit.fits);
  CHECK_FALSE(offload(gpu, host, 50, m, o).gpu_fit.fits);
  // A model that fits entirely stays on the GPU: the plain single-device estimate.
  const ModelInput small = model_input(generic_model(8e9, "8b"), "int4");
  EstimateOptions with_prompt = o;
  with_prompt.prompt_tokens = 512;
  const OffloadResult all = offload(gpu, host, std::nullopt, small, with_prompt);
  CHECK(all.gpu_layers == small.spec.layers);
  CHECK(all.host_seconds == 0);
  const EstimateResult alone = estimate(gpu, small, with_prompt, EfficiencyTable{});
  CHECK(all.tokens_per_s == Approx(alone.tokens_per_s).epsilon(1e-12));
  CHECK(all.time_to_first_token_s == Approx(alone.time_to_first_token_s).epsilon(1e-12));
  // ...and pays for the GPU only.
  CHECK(*all.price_usd == 1599);
  CHECK(all.power_w == 450);
  // -ngl 99 means every layer.
  CHECK(offload(gpu, host, 99, small, o).gpu_layers == small.spec.layers);
}

TEST_CASE("cost of an offload counts the host once it holds layers", "[offload][cost]") {
  const Device gpu = rtx_4090();
  const Device host = desktop_host();
  const ModelInput m = generic_70b_int4();
  EstimateOptions o = ideal_options();
  o.price_usd_per_hour = 0.8;  // the whole machine
  const OffloadResult r = offload(gpu, host, 40, m, o);
  CHECK(*r.price_usd == 1599 + 589);
  CHECK(r.power_w == 450 + 253);
  CHECK(*r.tokens_per_s_per_kusd == Approx(r.tokens_per_s / 2.188).epsilon(1e-12));
  CHECK(*r.joules_per_token == Approx(703 * 0.190116392801252).epsilon(1e-9));
  CHECK(*r.usd_per_million_tokens == Approx(0.8 / 3600 * 0.190116392801252 * 1e6).epsilon(1e-9));
}

TEST_CASE("cpu-moe offload: routed experts read by the host, the rest by the GPU", "[offload]") {
  const ModelCatalog& catalog = test::catalog();
  const ModelSpec* spec = find_model(catalog, "qwen3-30b-a3b");
  REQUIRE(spec != nullptr);
  const ModelInput m = model_input(*spec, "int4");
  const Weights& w = m.weights;
  REQUIRE(w.experts == 128);
  REQUIRE(w.experts_used == 8);
  const Device gpu = rtx_4090();
  const Device host = desktop_host();
  const EstimateOptions o = ideal_options();
  const OffloadResult r = offload(gpu, host, std::nullopt, m, o, {}, true);
  CHECK(r.cpu_moe);
  CHECK(r.gpu_layers == spec->layers);
  CHECK(r.host_weights_bytes == Approx(w.routed_expert_bytes));
  CHECK(r.gpu_weights_bytes == Approx(w.total_bytes - w.routed_expert_bytes));
  CHECK(r.host_kv_bytes == 0);
  // Context 0: the GPU reads the non-expert weights; the host 8 of 128 experts per layer.
  CHECK(r.gpu_seconds == Approx(w.dense_read_bytes / 1008e9).epsilon(1e-9));
  CHECK(r.host_seconds == Approx(w.routed_expert_bytes * 8 / 128 / 89.6e9).epsilon(1e-9));
  // Attention stays on the GPU: at a long context the host part does not grow.
  EstimateOptions late = o;
  late.context_tokens = 8192;
  const OffloadResult l = offload(gpu, host, std::nullopt, m, late, {}, true);
  CHECK(l.host_seconds == Approx(r.host_seconds).epsilon(1e-12));
  CHECK(l.gpu_seconds > r.gpu_seconds);
  // A dense model has no experts to keep on the host.
  CHECK_THROWS_AS(offload(gpu, host, std::nullopt, generic_70b_int4(), o, {}, true), UsageError);
}

TEST_CASE("a long prompt streams the host's weights to the GPU when that is faster", "[offload]") {
  const Device gpu = rtx_4090();
  const Device host = desktop_host();
  const ModelInput m = generic_70b_int4();
  Link pcie4;
  pcie4.id = "pcie-4-x16";
  pcie4.bandwidth_bytes_per_s = 31.5e9;
  pcie4.latency_s = 2e-6;
  EstimateOptions o = ideal_options();
  o.prompt_tokens = 512;
  const OffloadResult on_host = offload(gpu, host, 40, m, o);
  const OffloadResult streamed = offload(gpu, host, 40, m, o, {}, false, &pcie4);
  CHECK_FALSE(on_host.prefill_on_gpu);
  CHECK(streamed.prefill_on_gpu);
  // GPU layers: 40/71 of the whole prompt on the GPU (compute-bound there).
  const PrefillResult full =
      prefill(m.spec, m.weights, {1008e9, 1321.2e12}, 512, 0, o.kv_bytes_per_element);
  const double gpu_part = full.seconds * 40 / 71;
  // Host layers: their 31/71 * 35e9 B cross PCIe 4 (0.485 s), slower than the GPU computes them.
  CHECK(streamed.time_to_first_token_s ==
        Approx(gpu_part + 2e-6 + 35e9 * 31 / 71 / 31.5e9).epsilon(1e-9));
  CHECK(streamed.time_to_first_token_s < on_host.time_to_first_token_s);
  // A short prompt stays on the host (llama.cpp offloads batches of 32 tokens or more).
  o.prompt_tokens = 16;
  CHECK_FALSE(offload(gpu, host, 40, m, o, {}, false, &pcie4).prefill_on_gpu);
}

TEST_CASE("offload errors", "[offload][errors]") {
  const Device gpu = rtx_4090();
  const Device host = desktop_host();
  const ModelInput m = generic_70b_int4();
  const EstimateOptions o = ideal_options();
  CHECK_THROWS_AS(offload(host, host, 10, m, o), UsageError);  // a CPU is no GPU
  CHECK_THROWS_WITH(offload(gpu, gpu, 10, m, o),
                    "host 'rtx-4090' is not a CPU entry of the device list (kind gpu)");
}
