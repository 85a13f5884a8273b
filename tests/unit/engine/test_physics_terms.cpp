// Issue 10's physical terms: the chip architecture a device names (generation and capability
// flags), the NVIDIA kernel-path prefill rate with the CUDA-core work in series, the fixed cost
// of a mixture-of-experts layer, the decode bandwidth share of natively narrow SIMD GPUs, and the
// hold-out groups of cross-validation.

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "catch.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

using test::device;

constexpr const char* k_one_device = R"({
  "schema_version": 1, "strict": false,
  "devices": [{"id": "my-gpu", "vendor": "NVIDIA", "name": "My GPU", "kind": "gpu",
               "architecture": "nvidia-ampere", "memory_sizes_gib": [24],
               "memory_bandwidth_gb_per_s": 900, "fp32_tflops": 30, "int8_tops": 240}]})";

EfficiencyClass nvidia_like() {
  EfficiencyClass c;
  c.id = "nvidia-gpu";
  c.prefill_peak = PeakBasis::kernel_path;
  c.decode_peak = PeakBasis::fp32;
  c.decode_bw_efficiency = 0.5;
  c.decode_per_layer_s = 20e-6;
  c.decode_flops_efficiency = 1;
  c.prefill_flops_efficiency = 0.5;
  c.prefill_core_ops_per_flop = 0.25;
  return c;
}

// A devices file of one architecture with `fields` added to it.
std::string architecture_doc(const std::string& fields) {
  return R"({"schema_version": 1, "architectures": [{"id": "arch-x", "generation": "arch-x",
    "name": "X", "capabilities": ["int8_matrix"], "source": "https://example.com")" +
         fields + R"(}], "devices": []})";
}

// The one architecture of that file, parsed.
ChipArchitecture architecture_with(const std::string& fields) {
  return parse_devices(architecture_doc(fields), "a.json").architectures.front();
}

// The DataError message of that file, or "" when it parses.
std::string architecture_error(const std::string& fields) {
  try {
    parse_devices(architecture_doc(fields), "a.json");
  } catch (const DataError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("every shipped device names a known architecture and generation", "[architecture]") {
  const DeviceDb& db = test::devices();
  REQUIRE_FALSE(db.architectures.empty());
  for (const auto& d : db.devices) {
    INFO(d.id);
    CHECK_FALSE(d.architecture.empty());
    CHECK(d.arch.id == d.architecture);
    CHECK_FALSE(d.arch.generation.empty());
    CHECK_FALSE(d.arch.source.empty());
  }
  // GA100 and GA10x are one generation; Hopper is another.
  CHECK(device_generation(device("a100-80gb-pcie")) == "nvidia-ampere");
  CHECK(device_generation(device("rtx-3090")) == "nvidia-ampere");
  CHECK(device_generation(device("h100-sxm")) == "nvidia-hopper");
  CHECK(device_generation(device("m2-max-38c")) == "apple-m2");
  // The capability flags llama.cpp's CUDA kernels choose by.
  CHECK(device("rtx-2080-ti").arch.has("int8_matrix"));
  CHECK_FALSE(device("titan-v").arch.has("int8_matrix"));
  CHECK(device("titan-v").arch.has("fp16_matrix"));
  CHECK(device("gtx-1070").arch.has("dp4a"));
  CHECK_FALSE(device("p100-pcie-16gb").arch.has("dp4a"));
  CHECK(device("rtx-4090").arch.compute_capability == Approx(8.9));
}

TEST_CASE("a user's device names a shipped architecture; an unknown one is an error",
          "[architecture]") {
  DeviceDb db = test::devices();
  merge_devices(db, parse_devices(k_one_device, "mine.json"));
  auto m = find_device(db, "my-gpu");
  REQUIRE(m);
  CHECK(m->device->arch.id == "nvidia-ampere");
  CHECK(device_generation(*m->device) == "nvidia-ampere");

  std::string bad = k_one_device;
  bad.replace(bad.find("nvidia-ampere"), 13, "nvidia-amprre");
  DeviceDb db2 = test::devices();
  try {
    merge_devices(db2, parse_devices(bad, "mine.json"));
    FAIL("expected an error");
  } catch (const DataError& e) {
    CHECK_THAT(e.what(), Catch::Contains("device 'my-gpu' names unknown architecture "
                                         "'nvidia-amprre'"));
  }
  // A device with no architecture is grouped by vendor and kind.
  Device plain;
  plain.vendor = "NVIDIA";
  plain.kind = DeviceKind::gpu;
  CHECK(device_generation(plain) == "nvidia-gpu");
}

TEST_CASE("the kernel path picks the rate llama.cpp's CUDA kernels reach", "[engine]") {
  // One hand-computed prefill per path: 1e12 FLOPs, format and rows factors 1.
  EfficiencyTable table;
  table.classes.push_back(nvidia_like());
  const EfficiencyClass& c = table.classes.front();
  auto prefill_seconds = [&](const Device& d) {
    const ModelSpec model = generic_model(7e9, "7b");
    const Weights weights = model_weights(model, *find_quant("q4_0"));
    Roofs roofs;
    roofs.mem_bw_bytes_per_s = d.mem_bw_bytes_per_s;
    roofs.peak_flops_per_s = d.peak(Precision::fp16);
    EngineRun run = engine_run(table, c, d, false, model, weights, roofs, Precision::fp16, 512);
    run.rows_factor = 1;
    run.format_factor = 1;
    PrefillResult p;
    p.flops = 1e12;
    return std::pair{realistic_prefill_seconds(c, p, run), run};
  };
  // RTX 3090 (sm_86): INT8 tensor 284 TOPS, FP32 35.6 TFLOPS.
  // 1e12 x (1 / (0.5 x 284e12) + 0.25 / 35.6e12) = 7.0423e-3 + 7.0225e-3 s.
  {
    const auto [s, run] = prefill_seconds(device("rtx-3090"));
    CHECK(run.matmul_peak_flops_per_s == Approx(284e12));
    CHECK(run.core_peak_flops_per_s == Approx(35.6e12));
    CHECK(s == Approx(1e12 / (0.5 * 284e12) + 0.25 * 1e12 / 35.6e12));
  }
  // A100 (sm_80): the tensor side is 32x the FP32 rate, so the core term dominates.
  {
    const auto [s, run] = prefill_seconds(device("a100-80gb-pcie"));
    CHECK(run.matmul_peak_flops_per_s == Approx(624e12));
    const double tensor = 1e12 / (0.5 * 624e12);
    const double core = 0.25 * 1e12 / 19.5e12;
    CHECK(s == Approx(tensor + core));
    CHECK(core > 3 * tensor);
  }
  // H100 SXM (sm_90): MMQ's mma.sync reaches 0.667 of the 1978.9 TOPS INT8 peak (wgmma is
  // needed for the rest): 1319.9 TOPS; 1e12 x (1 / (0.5 x 1319.9e12) + 0.25 / 67e12) s.
  {
    const auto [s, run] = prefill_seconds(device("h100-sxm"));
    CHECK(device("h100-sxm").arch.mma_sync_fraction == Approx(0.667));
    CHECK(run.matmul_peak_flops_per_s == Approx(1978.9e12 * 0.667));
    CHECK(s == Approx(1e12 / (0.5 * 1319.9e12) + 0.25 * 1e12 / 67e12).epsilon(1e-4));
    // Ada and Blackwell issue the same instructions at their listed peak.
    CHECK(device("rtx-4090").arch.mma_sync_fraction == 1);
    CHECK(device("rtx-5090").arch.mma_sync_fraction == 1);
  }
  // Titan V (sm_70): no INT8 matrix units, cuBLAS on its FP16 tensor cores (110 TFLOPS).
  CHECK(prefill_seconds(device("titan-v")).second.matmul_peak_flops_per_s == Approx(110e12));
  // GTX 1070 (sm_61): MMQ with dp4a, 4 int8 MACs per FP32 lane.
  CHECK(prefill_seconds(device("gtx-1070")).second.matmul_peak_flops_per_s == Approx(4 * 6.46e12));
  // P100 (sm_60): no dp4a; cuBLAS at its fast FP16 rate.
  CHECK(prefill_seconds(device("p100-pcie-16gb")).second.matmul_peak_flops_per_s ==
        Approx(19.05e12));
  // Without the core term the prefill is the matrix term alone.
  EfficiencyClass no_core = c;
  no_core.prefill_core_ops_per_flop = 0;
  EngineRun run = prefill_seconds(device("rtx-3090")).second;
  run.rows_factor = 1;
  run.format_factor = 1;
  PrefillResult p;
  p.flops = 1e12;
  CHECK(realistic_prefill_seconds(no_core, p, run) == Approx(1e12 / (0.5 * 284e12)));
}

TEST_CASE("Apple M5's neural accelerators raise the FP16 roof and the prefill matrix rate",
          "[engine]") {
  const Device& m5 = device("m5-10c");
  const Device& m4 = device("m4-10c");
  // 10 cores x 1024 FP16 matrix FLOPs per clock = 4 x the 4.45 TFLOPS FP32 vector rate.
  CHECK(m5.matrix_fp16_flops_per_s == Approx(17.8e12));
  CHECK(m5.roof_peak(Precision::fp16) == Approx(17.8e12));
  CHECK(m5.roof_peak(Precision::bf16) == Approx(17.8e12));
  CHECK(m5.roof_peak(Precision::fp32) == Approx(4.45e12));
  CHECK(m4.matrix_fp16_flops_per_s == 0);
  CHECK(m4.roof_peak(Precision::fp16) == m4.peak(Precision::fp16));
  // Prefill: the matrix work at the matrix rate in series with the ALU work at the FP32 rate.
  EfficiencyTable table;
  EfficiencyClass c;
  c.id = "apple-gpu";
  c.prefill_peak = PeakBasis::matrix_fp16;
  c.prefill_flops_efficiency = 0.75;
  c.prefill_core_ops_per_flop = 0.15;
  table.classes.push_back(c);
  const ModelSpec model = generic_model(7e9, "7b");
  const Weights weights = model_weights(model, *find_quant("q4_0"));
  auto rate = [&](const Device& d) {
    const Roofs roofs{d.mem_bw_bytes_per_s, d.roof_peak(Precision::fp16)};
    EngineRun run = engine_run(table, c, d, false, model, weights, roofs, Precision::fp16, 512);
    run.rows_factor = 1;
    run.format_factor = 1;
    return std::pair{realistic_prefill_flops_per_s(c, run), run};
  };
  const auto [m5_rate, m5_run] = rate(m5);
  CHECK(m5_run.matmul_peak_flops_per_s == Approx(17.8e12));
  CHECK(m5_run.core_peak_flops_per_s == Approx(4.45e12));
  // 1 / (1 / (0.75 x 17.8e12) + 0.15 / 4.45e12) = 1 / (7.491e-14 + 3.371e-14) = 9.207e12.
  CHECK(m5_rate == Approx(1.0 / (1.0 / (0.75 * 17.8e12) + 0.15 / 4.45e12)));
  // M4 (matrix = vector rate): FP32 / (1 / 0.75 + 0.15). Per FP32 FLOP/s the M5 gains
  // (1 / (1 / 3 + 0.15)) / (1 / (4 / 3 + 0.15)) = 3.07x, not the raw 4x: the ALU work stays.
  const auto [m4_rate, m4_run] = rate(m4);
  CHECK(m4_run.matmul_peak_flops_per_s == Approx(m4.peak(Precision::fp16)));
  CHECK(m4_rate == Approx(m4.peak(Precision::fp32) / (1.0 / 0.75 + 0.15)));
  CHECK(m5_rate / 4.45e12 / (m4_rate / m4.peak(Precision::fp32)) == Approx(3.069).epsilon(1e-3));
  // The shipped table runs Apple prefill on this basis.
  CHECK(find_efficiency_class(test::efficiency(), "apple-gpu")->prefill_peak ==
        PeakBasis::matrix_fp16);
}

TEST_CASE("a mixture-of-experts layer costs a fixed time per decode step", "[engine]") {
  EfficiencyClass c = nvidia_like();
  EngineRun run;
  run.mem_bw_bytes_per_s = 1e12;
  run.decode_peak_flops_per_s = 1e14;
  run.layers = 24;
  run.moe_layers = 24;
  run.moe_layer_s = 30e-6;
  DecodeStep step;
  step.bytes = 1e10;
  step.flops = 1e10;
  // 1e10 / (0.5 x 1e12) + 1e10 / 1e14 + 24 x 20e-6 + 24 x 30e-6 = 0.02 + 1e-4 + 1.2e-3 s.
  CHECK(realistic_decode_seconds(c, step, run) == Approx(0.02 + 1e-4 + 1.2e-3));
  run.moe_layers = 0;  // a dense model pays the per-layer cost only
  CHECK(realistic_decode_seconds(c, step, run) == Approx(0.02 + 1e-4 + 24 * 20e-6));
}

TEST_CASE("the shipped table carries the new terms", "[engine]") {
  const EfficiencyTable& table = test::efficiency();
  CHECK(table.moe_layer_s > 0);
  const EfficiencyClass* nvidia = find_efficiency_class(table, "nvidia-gpu");
  REQUIRE(nvidia != nullptr);
  CHECK(nvidia->prefill_peak == PeakBasis::kernel_path);
  CHECK(nvidia->prefill_core_ops_per_flop > 0);
  // Round trip through the writer keeps them.
  const EfficiencyTable back = parse_efficiency(efficiency_to_json(table), "round-trip");
  CHECK(back.moe_layer_s == Approx(table.moe_layer_s).epsilon(1e-3));
  CHECK(find_efficiency_class(back, "nvidia-gpu")->prefill_core_ops_per_flop ==
        Approx(nvidia->prefill_core_ops_per_flop).epsilon(1e-3));
}

TEST_CASE("model families and hold-out names", "[calibration]") {
  CHECK(model_family("llama-2-7b") == "llama-2");
  CHECK(model_family("llama-3.1-8b") == "llama-3");
  CHECK(model_family("llama-3.2-3b-instruct") == "llama-3");
  CHECK(model_family("qwen3-30b-a3b") == "qwen3");
  CHECK(model_family("qwen3-0.6b") == "qwen3");
  CHECK(model_family("gpt-oss-20b") == "gpt-oss");
  CHECK(model_family("tinyllama-1.1b") == "tinyllama");
  CHECK(model_family("mistral-7b-instruct-v0.2") == "mistral");
  CHECK(model_family("phi4") == "phi4");
  CHECK(parse_hold_out("generation") == HoldOut::generation);
  CHECK(parse_hold_out("model-family") == HoldOut::model_family);
  CHECK_FALSE(parse_hold_out("chip").has_value());
  CHECK(to_string(HoldOut::device) == "device");
  CHECK(parse_term("prefill-core") == Term::prefill_core);
  const EfficiencyTable off = ablate(test::efficiency(), Term::moe_layer);
  CHECK(off.moe_layer_s == 0);
  const EfficiencyTable plain = ablate(test::efficiency(), Term::kernel_path);
  CHECK(find_efficiency_class(plain, "nvidia-gpu")->prefill_peak == PeakBasis::int8_equivalent);
}

TEST_CASE("an architecture's mma.sync share is a sourced fraction of the peak", "[architecture]") {
  CHECK(architecture_with(R"(, "mma_sync_fraction": 0.5, "mma_sync_source": "https://a")")
            .mma_sync_fraction == 0.5);
  CHECK(architecture_with("").mma_sync_fraction == 1);
  CHECK_THAT(architecture_error(R"(, "mma_sync_fraction": 1.5, "mma_sync_source": "https://a")"),
             Catch::Contains("/architectures/0/mma_sync_fraction: a share of the peak above 1"));
}

TEST_CASE("an architecture's sourced figures need their source, and a source its figure",
          "[architecture]") {
  for (const auto& [figure, source] : {std::pair{"mma_sync_fraction", "mma_sync_source"},
                                       std::pair{"native_simd_width", "native_simd_source"}}) {
    CHECK_THAT(
        architecture_error(fmt::format(R"(, "{}": 1)", figure)),
        Catch::Contains(fmt::format("/architectures/0: missing required field '{}'", source)));
    CHECK_THAT(architecture_error(fmt::format(R"(, "{}": "https://a")", source)),
               Catch::Contains(fmt::format("a source without {}", figure)));
  }
}

TEST_CASE("a natively narrow SIMD GPU reaches a share of its class's decode bandwidth",
          "[engine]") {
  // Intel Xe (Alchemist, Meteor Lake) executes 8 lanes natively, Xe2 16 (devices.json).
  CHECK(device("arc-a750").arch.native_simd_width == 8);
  CHECK(device("intel-core-ultra-100-igpu").arch.native_simd_width == 8);
  CHECK(device("arc-b580").arch.native_simd_width == 16);
  CHECK(device("rtx-3090").arch.native_simd_width == 0);  // not stated: no term
  CHECK_FALSE(device("arc-a750").arch.native_simd_source.empty());

  EfficiencyTable table;
  table.classes.push_back(nvidia_like());
  table.narrow_simd_exponent = 1.5;
  const EfficiencyClass& c = table.classes.front();
  const ModelSpec model = generic_model(7e9, "7b");
  const Weights weights = model_weights(model, *find_quant("q4_0"));
  auto run_on = [&](const Device& d, bool host_cpu) {
    Roofs roofs;
    roofs.mem_bw_bytes_per_s = d.mem_bw_bytes_per_s;
    roofs.peak_flops_per_s = d.peak(Precision::fp32);
    return engine_run(table, c, d, host_cpu, model, weights, roofs, Precision::fp32, 512);
  };
  EngineRun narrow = run_on(device("arc-a750"), false);
  // 8 of 16 lanes: (8 / 16)^1.5 = 0.35355.
  CHECK(narrow.simd_lane_ratio == 0.5);
  CHECK(narrow.decode_bw_factor == Approx(0.353553));
  CHECK(run_on(device("arc-b580"), false).decode_bw_factor == 1);
  CHECK(run_on(device("arc-a750"), true).decode_bw_factor == 1);  // the host CPU backend
  // By hand: 1e10 bytes / (0.5 x 0.35355 x 512e9 B/s) + 1e10 FLOPs / (1 x 1e14) + 32 x 20 us.
  narrow.mem_bw_bytes_per_s = 512e9;
  narrow.decode_peak_flops_per_s = 1e14;
  narrow.decode_format_factor = 1;
  narrow.layers = 32;
  DecodeStep step;
  step.bytes = 1e10;
  step.flops = 1e10;
  CHECK(realistic_decode_seconds(c, step, narrow) ==
        Approx(1e10 / (0.5 * 0.353553 * 512e9) + 1e-4 + 32 * 20e-6));
  // Without the term (0) a narrow part keeps its class's bandwidth.
  table.narrow_simd_exponent = 0;
  CHECK(run_on(device("arc-a750"), false).decode_bw_factor == 1);
  CHECK(narrow_simd_factor(table, 0.5) == 1);
  // The prior is the share in proportion to the lanes: 8 of 16 reach half.
  CHECK(narrow_simd_factor(test::efficiency_prior(), 0.5) == Approx(0.5));
  CHECK(narrow_simd_factor(test::efficiency_prior(), 1.0) == 1);
  // The shipped table fits an exponent; ablation switches it off; a negative one is refused.
  CHECK(test::efficiency().narrow_simd_exponent > 0);
  CHECK(ablate(test::efficiency(), Term::narrow_simd).narrow_simd_exponent == 0);
  CHECK(parse_term("narrow-simd") == Term::narrow_simd);
  CHECK_THROWS_WITH(
      parse_efficiency(R"({"schema_version": 2, "description": "d", "narrow_simd_exponent": -1})",
                       "t.json"),
      Catch::Contains("/narrow_simd_exponent"));
}

TEST_CASE("an architecture's native SIMD width is a sourced whole number of lanes",
          "[architecture]") {
  CHECK(architecture_with(R"(, "native_simd_width": 8, "native_simd_source": "https://a")")
            .native_simd_width == 8);
  CHECK(architecture_with("").native_simd_width == 0);
  CHECK_THAT(architecture_error(R"(, "native_simd_width": 8.5, "native_simd_source": "https://a")"),
             Catch::Contains("/architectures/0/native_simd_width: expected a whole number"));
}

TEST_CASE("calibration rows name their llama.cpp build", "[calibration]") {
  CHECK(llama_cpp_build("llama.cpp build d46dbc76 (2833)") == 2833);
  CHECK(llama_cpp_build("llama.cpp 141a908a (5298)") == 5298);
  CHECK(llama_cpp_build("llama.cpp b4426") == 4426);
  CHECK(llama_cpp_build("llama.cpp b4426, -fa 1") == 4426);
  CHECK_FALSE(llama_cpp_build("llama.cpp 9c35706"));
  CHECK_FALSE(llama_cpp_build("llama.cpp (2025-05)"));
  CHECK_FALSE(llama_cpp_build("llama.cpp master (2024-03-03)"));
  CHECK_FALSE(llama_cpp_build("ik_llama.cpp bench"));
}

TEST_CASE("CUDA rows before b3216 prefill through dequantization and FP16 BLAS", "[engine]") {
  // llama.cpp PR #8075 (b3216) made the int8 MMQ kernels the default; before it quantized
  // prefill dequantized every weight to FP16 once per ubatch and ran cuBLAS.
  const EfficiencyTable& table = test::efficiency();
  REQUIRE(engine_era(table, "cuda", 2833) != nullptr);
  CHECK(engine_era(table, "cuda", 2833)->before_build == 3216);
  CHECK(engine_era(table, "cuda", 3216) == nullptr);
  CHECK(engine_era(table, "cuda", 0) == nullptr);  // today's engine
  CHECK(engine_era(table, "vulkan", 2833) == nullptr);

  const Device& d = device("rtx-3090");
  const ModelSpec& spec = *find_model(test::catalog(), "llama-2-7b");
  const Weights w = model_weights(spec, *find_quant("q4_0"));
  const Roofs roofs{d.mem_bw_bytes_per_s, d.peak(Precision::fp16)};
  const EngineModel today = engine_model(table, d, "cuda", spec, w, roofs, Precision::fp16, 512);
  const EngineModel old =
      engine_model(table, d, "cuda", spec, w, roofs, Precision::fp16, 2048, 2833);
  CHECK_FALSE(today.run.blas_prefill);
  REQUIRE(old.run.blas_prefill);
  // Four ubatches of 512: each reads the Q4_0 weights and writes and reads their FP16 copy.
  CHECK(old.run.blas_dequant_bytes == Approx(4 * (w.total_bytes + 4 * w.total_params)));
  const WeightFormat* f16 = nullptr;
  for (const auto& f : table.formats) {
    if (f.id == "float") {
      f16 = &f;
    }
  }
  REQUIRE(f16 != nullptr);
  CHECK(old.run.format_factor == f16->gpu_factor);
  // The prefill adds the dequantization traffic at the class's bandwidth share, in series.
  PrefillResult p;
  p.flops = 1e13;
  p.bytes = 1e9;
  const double plain = realistic_prefill_breakdown(*old.cls, p, today.run).compute_s;
  const double dequant =
      old.run.blas_dequant_bytes / (old.cls->decode_bw_efficiency * old.run.mem_bw_bytes_per_s);
  CHECK(realistic_prefill_breakdown(*old.cls, p, old.run).compute_s ==
        Approx(plain * today.run.format_factor / f16->gpu_factor + dequant));
  // F16 weights ran through cuBLAS in both eras; CPUs and Pascal (no FP16 matrix units) too.
  const Weights f = model_weights(spec, *find_quant("f16"));
  CHECK_FALSE(
      engine_model(table, d, "cuda", spec, f, roofs, Precision::fp16, 512, 2833).run.blas_prefill);
  CHECK_FALSE(engine_model(table, device("gtx-1080-ti"), "cuda", spec, w, Roofs{484e9, 11.3e12},
                           Precision::fp32, 512, 2833)
                  .run.blas_prefill);
}

TEST_CASE("engine eras are validated", "[efficiency]") {
  const std::string text = R"({"schema_version": 2, "description": "t",
    "engine_eras": [{"backend": "cuda", "before_build": 0, "prefill_path": "cublas",
                     "source": "s"}], "classes": []})";
  try {
    parse_efficiency(text, "e.json");
    FAIL("no error");
  } catch (const DataError& e) {
    std::string all;
    for (const auto& m : e.messages()) {
      all += m + "\n";
    }
    CHECK_THAT(all, Catch::Contains("/engine_eras/0/before_build"));
    CHECK_THAT(all, Catch::Contains("/engine_eras/0/prefill_path"));
  }
}

TEST_CASE("the clock factor is set with the power limit, once", "[engine]") {
  EngineRun run;
  CHECK(run.clock_factor() == 1);  // no limit set
  run.set_power_limit(0.25, 0.5);  // a quarter of the reference power: 0.25^0.5
  CHECK(run.power_ratio == 0.25);
  CHECK(run.power_limit_exponent == 0.5);
  CHECK(run.clock_factor() == Approx(0.5));
  run.set_power_limit(1.0, 0.5);  // at the reference
  CHECK(run.clock_factor() == 1);
  run.set_power_limit(0.25, 0);  // no such term
  CHECK(run.clock_factor() == 1);
}
