// The realistic-efficiency table: loading and validating it, class lookup, the EngineRun a run
// reads, and the realistic step and prefill times by hand.

#include <cmath>

#include "catch.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

using test::device;

std::string minimal_class(const std::string& extra) {
  return R"({"schema_version": 2, "description": "t", "classes": [{"id": "x", "description": "d",
    "prefill_peak": "fp16", "decode_peak": "fp32", "decode_bandwidth_efficiency": 0.5,
    "decode_per_layer_s": 0, "decode_flops_efficiency": 0.5, "prefill_flops_efficiency": 0.5,
    "decode_log_spread": 0.1, "prefill_log_spread": 0.1, "decode_rows": 0, "prefill_rows": 0,
    "devices": 0, "basis": "b")" +
         extra + "}]}";
}

std::vector<std::string> errors_of(const std::string& text) {
  try {
    parse_efficiency(text, "e.json");
  } catch (const DataError& e) {
    return e.messages();
  }
  return {};
}

}  // namespace

TEST_CASE("the shipped tables load and are physical", "[efficiency]") {
  const EfficiencyTable& t = test::efficiency();
  CHECK(t.schema_version == 2);
  REQUIRE(find_efficiency_class(t, "default") != nullptr);
  for (const auto& c : t.classes) {
    INFO(c.id);
    CHECK((c.decode_bw_efficiency > 0 && c.decode_bw_efficiency <= 1));
    CHECK((c.prefill_flops_efficiency > 0 && c.prefill_flops_efficiency <= 1));
    CHECK((c.decode_flops_efficiency > 0 && c.decode_flops_efficiency <= 1));
    CHECK(c.decode_per_layer_s >= 0);
    CHECK(c.decode_per_layer_s < 1e-3);
    CHECK(c.decode_log_spread > 0);
    CHECK(c.prefill_log_spread > 0);
    CHECK_FALSE(c.basis.empty());
  }
  const EfficiencyTable prior = parse_efficiency(
      test::read(test::data_dir() / "efficiency-prior.json"), "efficiency-prior.json");
  REQUIRE(prior.classes.size() == t.classes.size());
  for (std::size_t i = 0; i < t.classes.size(); ++i) {
    CHECK(prior.classes[i].id == t.classes[i].id);  // the fit keeps the prior's classes
  }
}

TEST_CASE("efficiency files are validated with file, line and pointer", "[efficiency]") {
  CHECK(errors_of(minimal_class("")).empty());
  CHECK(errors_of(minimal_class(R"(, "extra": 1)")) ==
        std::vector<std::string>{"e.json:5: /classes/0/extra: unknown field 'extra'"});
  const std::string too_high = minimal_class("");
  std::string text = too_high;
  text.replace(text.find("\"decode_bandwidth_efficiency\": 0.5"), 34,
               "\"decode_bandwidth_efficiency\": 1.5");
  CHECK(errors_of(text) ==
        std::vector<std::string>{"e.json:2: /classes/0/decode_bandwidth_efficiency: an "
                                 "efficiency above 1 is not physical, got 1.5"});
  text = too_high;
  text.replace(text.find("\"fp16\""), 6, "\"fp64\"");
  CHECK(errors_of(text).size() == 1);
  CHECK(errors_of(R"({"schema_version": 1, "description": "old", "classes": []})") ==
        std::vector<std::string>{
            "e.json:1: /schema_version: unsupported schema_version 1 (this llmroof reads 2)"});
  const std::string formats =
      R"({"schema_version": 2, "description": "t", "weight_formats": [{"id": "f",
      "types": ["Q4_0", "Q9_X"], "cpu_factor": 1, "cpu_decode_factor": 1, "gpu_factor": 1,
      "basis": "b"}], "classes": []})";
  CHECK(errors_of(formats) ==
        std::vector<std::string>{"e.json:2: /weight_formats/0/types: unknown ggml type 'Q9_X'"});
  // The one-CPU-kernel flag needs its source, and a source needs the flag.
  const std::string vec_dot =
      R"({"schema_version": 2, "description": "t", "weight_formats": [{"id": "f",
      "types": ["IQ3_S"], "cpu_factor": 1, "cpu_decode_factor": 1, "gpu_factor": 1,
      "basis": "b", FLAG}], "classes": []})";
  auto with = [&](const std::string& flag) {
    std::string t = vec_dot;
    return t.replace(t.find("FLAG"), 4, flag);
  };
  CHECK(errors_of(with(R"("cpu_vec_dot_only": true)")) ==
        std::vector<std::string>{
            "e.json:1: /weight_formats/0: missing required field 'cpu_vec_dot_source'"});
  CHECK(errors_of(with(R"("cpu_vec_dot_source": "https://a")")) ==
        std::vector<std::string>{"e.json:3: /weight_formats/0/cpu_vec_dot_source: a source "
                                 "without cpu_vec_dot_only: true"});
  const EfficiencyTable t = parse_efficiency(
      with(R"("cpu_vec_dot_only": true, "cpu_vec_dot_source": "https://a")"), "e.json");
  CHECK(t.formats.at(0).cpu_vec_dot_only);
  CHECK(t.formats.at(0).cpu_vec_dot_source == "https://a");
  // The shipped families whose every type has one one-row CPU kernel carry it; the families
  // with a type that has a GEMM path (Q6_K's two-row kernel, IQ4_NL's tinyBLAS case) do not.
  for (const char* id : {"iq_grid", "iq2_packed", "mxfp4", "ternary"}) {
    INFO(id);
    CHECK(find_weight_format(test::efficiency_prior(), id)->cpu_vec_dot_only);
    CHECK_FALSE(find_weight_format(test::efficiency_prior(), id)->cpu_vec_dot_source.empty());
  }
  for (const char* id : {"q4_0_q8_0", "iq4", "k_quant", "k_quant_high_bits", "legacy", "float"}) {
    INFO(id);
    CHECK_FALSE(find_weight_format(test::efficiency_prior(), id)->cpu_vec_dot_only);
  }
}

TEST_CASE("class lookup: backend classes, profiles and fallbacks", "[efficiency]") {
  const EfficiencyTable& t = test::efficiency();
  auto resolve = [&](const std::string& id, std::string_view backend) {
    const EfficiencyClass* c = find_efficiency_class(t, efficiency_class_id(device(id), backend));
    return c != nullptr ? c->id : std::string("-");
  };
  CHECK(efficiency_class_id(device("rtx-4090"), "") == "nvidia-gpu-cuda@rtx-4090/cuda");
  CHECK(resolve("rtx-4090", "") == "nvidia-gpu");
  CHECK(resolve("rtx-4090", "vulkan") == "nvidia-gpu");  // no class of its own: the vendor's
  CHECK(resolve("m2-max-38c", "") == "apple-gpu");
  CHECK(resolve("m2-max-38c", "vulkan") == "apple-gpu-vulkan");
  CHECK(resolve("m2-max-38c", "cpu") == "cpu-arm");
  CHECK(resolve("rx-7900-xtx", "") == "amd-gpu");
  CHECK(resolve("rx-7900-xtx", "vulkan") == "amd-gpu-vulkan");
  CHECK(resolve("ryzen-9-7950x", "") == "cpu-x86");
  CHECK(resolve("sifive-p550", "") == "cpu-other");
  // A class id as estimate() reports it resolves to itself.
  CHECK(find_efficiency_class(t, "apple-gpu-vulkan")->id == "apple-gpu-vulkan");
  CHECK(find_efficiency_class(t, "no-such-class")->id == "default");
  // A profile wins for its device and backend only.
  EfficiencyTable with = t;
  EfficiencyClass profile = *find_efficiency_class(t, "nvidia-gpu");
  profile.id = "rtx-4090-cuda";
  profile.device = "rtx-4090";
  profile.backend = "cuda";
  EfficiencyTable p;
  p.classes.push_back(profile);
  merge_efficiency(with, p);
  CHECK(find_efficiency_class(with, efficiency_class_id(device("rtx-4090"), ""))->id ==
        "rtx-4090-cuda");
  CHECK(find_efficiency_class(with, efficiency_class_id(device("rtx-4090"), "vulkan"))->id ==
        "nvidia-gpu");
  CHECK(find_efficiency_class(with, efficiency_class_id(device("rtx-3090"), ""))->id ==
        "nvidia-gpu");
  merge_efficiency(with, p);  // the same profile again replaces, not duplicates
  CHECK(with.classes.size() == t.classes.size() + 1);
}

TEST_CASE("engine runs read the class's peak basis", "[efficiency]") {
  const EfficiencyTable& t = test::efficiency();
  const ModelSpec model = generic_model(7e9, "7b");
  const Weights w = model_weights(model, *find_quant("q4_0"));
  EfficiencyClass cls = *find_efficiency_class(t, "nvidia-gpu");
  const Device& d = device("rtx-3090");
  const Roofs roofs{d.mem_bw_bytes_per_s, d.peak(Precision::fp16)};
  // int8_equivalent: max(INT8 284, 2 x FP16 71, 4 x FP32 35.6) TOPS.
  cls.prefill_peak = PeakBasis::int8_equivalent;
  cls.decode_peak = PeakBasis::fp32;
  EngineRun run = engine_run(t, cls, d, false, model, w, roofs, Precision::fp16, 512);
  CHECK(run.matmul_peak_flops_per_s == Approx(284e12));
  CHECK(run.decode_peak_flops_per_s == Approx(35.6e12));
  CHECK(run.layers == model.layers);
  CHECK(run.mem_bw_bytes_per_s == d.mem_bw_bytes_per_s);
  // A --tflops override at the roofs' precision scales the basis by the same ratio.
  run = engine_run(t, cls, d, false, model, w, Roofs{d.mem_bw_bytes_per_s, 35.5e12},
                   Precision::fp16, 512);
  CHECK(run.matmul_peak_flops_per_s == Approx(142e12));
  // Pascal: no INT8 tensor figure, FP16 at 1/64: dp4a's 4 x FP32 is the int8 rate.
  const Device& pascal = device("gtx-1070-ti");
  run = engine_run(t, cls, pascal, false, model, w,
                   Roofs{pascal.mem_bw_bytes_per_s, pascal.peak(Precision::fp16)}, Precision::fp16,
                   512);
  CHECK(run.matmul_peak_flops_per_s == Approx(4 * 8.19e12));
  // The host CPU of a SoC: its FP32 figure for both.
  const Device& mac = device("m2-max-38c");
  const EfficiencyClass& arm = *find_efficiency_class(t, "cpu-arm");
  run = engine_run(t, arm, mac, true, model, w,
                   Roofs{mac.mem_bw_bytes_per_s, mac.cpu->fp32_flops_per_s}, Precision::fp32, 512);
  CHECK(run.matmul_peak_flops_per_s == Approx(1.1e12));
  CHECK(run.decode_peak_flops_per_s == Approx(1.1e12));
  // Q4_0 weights: the q4_0_q8_0 format's CPU factors.
  const WeightFormat* format = weight_format(t, w);
  REQUIRE(format != nullptr);
  CHECK(format->id == "q4_0_q8_0");
  CHECK(run.format_factor == format->cpu_factor);
  CHECK(run.decode_format_factor == format->cpu_decode_factor);
}

TEST_CASE("the rows factor: dense weights see the ubatch, experts their share", "[efficiency]") {
  EfficiencyTable t = test::efficiency();
  t.matmul_half_rows = 64;
  EfficiencyClass cls = *find_efficiency_class(t, "nvidia-gpu");
  cls.matmul_half_rows = 0;  // the table's figure
  const Device& d = device("rtx-3090");
  const Roofs roofs{d.mem_bw_bytes_per_s, d.peak(Precision::fp16)};
  const ModelSpec dense = generic_model(7e9, "7b");
  const Weights dw = model_weights(dense, *find_quant("q4_0"));
  // 512 rows: 512 / (512 + 64); a 100-token prompt: 100 / 164; more than a ubatch: capped.
  CHECK(engine_run(t, cls, d, false, dense, dw, roofs, Precision::fp16, 512).rows_factor ==
        Approx(512.0 / 576.0));
  CHECK(engine_run(t, cls, d, false, dense, dw, roofs, Precision::fp16, 100).rows_factor ==
        Approx(100.0 / 164.0));
  CHECK(engine_run(t, cls, d, false, dense, dw, roofs, Precision::fp16, 4096).rows_factor ==
        Approx(512.0 / 576.0));
  // An MoE model: its routed experts see 512 * k / E rows, so the factor drops.
  const ModelCatalog& catalog = test::catalog();
  const ModelSpec& moe = *find_model(catalog, "qwen3-30b-a3b");
  const Weights mw = model_weights(moe, *find_quant("q4_k_m"));
  const double expert_rows = 512.0 * 8 / 128;
  const double dense_flops = mw.dense_matmul_params;
  const double expert_flops = mw.routed_expert_params * 8 / 128;
  const double expected =
      (dense_flops + expert_flops) /
      (dense_flops * 576.0 / 512.0 + expert_flops * (expert_rows + 64) / expert_rows);
  CHECK(engine_run(t, cls, d, false, moe, mw, roofs, Precision::fp16, 512).rows_factor ==
        Approx(expected));
  // A class with its own figure uses it: 512 / (512 + 16).
  cls.matmul_half_rows = 16;
  const EngineRun own = engine_run(t, cls, d, false, dense, dw, roofs, Precision::fp16, 512);
  CHECK(own.rows_factor == Approx(512.0 / 528.0));
  CHECK(own.matmul_half_rows == 16);
  CHECK(matmul_half_rows(t, cls) == 16);
  cls.matmul_half_rows = 0;
  CHECK(matmul_half_rows(t, cls) == 64);
}

TEST_CASE("realistic step and prefill times by hand", "[efficiency]") {
  EfficiencyClass c;
  c.decode_bw_efficiency = 0.8;
  c.decode_per_layer_s = 10e-6;
  c.decode_flops_efficiency = 0.25;
  c.prefill_flops_efficiency = 0.5;
  EngineRun run;
  run.mem_bw_bytes_per_s = 1000e9;
  run.matmul_peak_flops_per_s = 100e12;
  run.decode_peak_flops_per_s = 20e12;
  run.layers = 32;
  run.format_factor = 2;
  run.decode_format_factor = 0.5;
  run.rows_factor = 0.8;
  DecodeStep step;
  step.bytes = 4e9;
  step.flops = 1e10;
  // 4e9 / 800e9 + 2 * 5e9 / (0.25 * 0.5 * 20e12) + 32 * 10 us = 5 ms + 4 ms + 0.32 ms.
  CHECK(realistic_decode_seconds(c, step, run) == Approx(9.32e-3));
  // A batch of 8 repeats every sequence's dot products: 8e10 FLOPs take 32 ms.
  step.flops = 8e10;
  CHECK(realistic_decode_seconds(c, step, run) == Approx(5e-3 + 32e-3 + 0.32e-3));
  PrefillResult p;
  p.flops = 1e13;
  p.bytes = 4e9;
  // max(1e13 / (0.5 * 2 * 0.8 * 100e12), 4e9 / 800e9) = max(125 ms, 5 ms).
  CHECK(realistic_prefill_seconds(c, p, run) == Approx(0.125));
  p.flops = 1e11;
  CHECK(realistic_prefill_seconds(c, p, run) == Approx(5e-3));  // memory-bound
}

TEST_CASE("a table survives JSON and back", "[efficiency]") {
  const EfficiencyTable& t = test::efficiency();
  const EfficiencyTable again = parse_efficiency(efficiency_to_json(t), "again.json");
  REQUIRE(again.classes.size() == t.classes.size());
  for (std::size_t i = 0; i < t.classes.size(); ++i) {
    CHECK(again.classes[i].id == t.classes[i].id);
    CHECK(again.classes[i].prefill_peak == t.classes[i].prefill_peak);
    CHECK(again.classes[i].decode_bw_efficiency == t.classes[i].decode_bw_efficiency);
    CHECK(again.classes[i].decode_log_spread == t.classes[i].decode_log_spread);
  }
  REQUIRE(again.formats.size() == t.formats.size());
  CHECK(again.formats[0].types == t.formats[0].types);
  CHECK(again.matmul_half_rows == t.matmul_half_rows);
  for (std::size_t i = 0; i < t.classes.size(); ++i) {
    CHECK(again.classes[i].matmul_half_rows == t.classes[i].matmul_half_rows);
  }
  REQUIRE(again.fitted_on.has_value());
  CHECK(again.fitted_on->rows == t.fitted_on->rows);
  CHECK(again.accuracy.size() == t.accuracy.size());
  // Rounded to 4 significant digits, so a second round trip is exact.
  CHECK(efficiency_to_json(again) == efficiency_to_json(t));
}

TEST_CASE("estimates use the realistic model, and --ideal the roof", "[efficiency]") {
  const ModelSpec model = generic_model(7e9, "7b");
  ModelInput input;
  input.spec = model;
  input.weights = model_weights(model, *find_quant("q4_0"));
  input.quant_id = "q4_0";
  EstimateOptions options;
  const Device& d = device("rtx-3090");
  const EstimateResult r = estimate(d, input, options, test::efficiency());
  CHECK(r.efficiency_class == "nvidia-gpu");
  CHECK(r.tokens_per_s < r.step.tokens_per_s);
  const EfficiencyClass& c = *find_efficiency_class(test::efficiency(), "nvidia-gpu");
  CHECK(r.tokens_per_s_low == Approx(r.tokens_per_s * std::exp(-c.decode_log_spread)));
  CHECK(r.tokens_per_s_high == Approx(r.tokens_per_s * std::exp(c.decode_log_spread)));
  const EngineRun run = engine_run(test::efficiency(), c, d, false, model, input.weights, r.roofs,
                                   r.precision, options.prompt_tokens);
  CHECK(r.tokens_per_s == Approx(1.0 / realistic_decode_seconds(c, r.step, run)));
  CHECK(r.prefill_tokens_per_s ==
        Approx(options.prompt_tokens / realistic_prefill_seconds(c, *r.prefill, run)));
  options.ideal = true;
  const EstimateResult ideal = estimate(d, input, options, test::efficiency());
  CHECK(ideal.tokens_per_s == ideal.step.tokens_per_s);
  CHECK(ideal.tokens_per_s_low == ideal.tokens_per_s_high);
}
