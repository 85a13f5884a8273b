// Precision selection: the compute roof a device offers for the precision asked for.

#include <string>

#include "catch.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

Device with_peaks(std::initializer_list<std::pair<Precision, double>> peaks) {
  Device d;
  d.id = "test";
  for (const auto& [p, flops] : peaks) {
    d.peak_flops_per_s[static_cast<std::size_t>(p)] = flops;
  }
  return d;
}

}  // namespace

TEST_CASE("effective_precision: the requested rate, else the next one down", "[precision]") {
  const Device fp_only = with_peaks({{Precision::fp32, 1e12}, {Precision::fp16, 2e12}});
  CHECK(effective_precision(fp_only, Precision::fp16) == Precision::fp16);
  CHECK(effective_precision(fp_only, Precision::int4) == Precision::fp16);
  CHECK(effective_precision(fp_only, Precision::int8) == Precision::fp16);
  CHECK(effective_precision(fp_only, Precision::bf16) == Precision::fp16);
  CHECK(effective_precision(fp_only, Precision::fp8) == Precision::fp16);
  const Device with_int8 = with_peaks({{Precision::fp32, 1e12}, {Precision::int8, 8e12}});
  // int4 falls back to int8 before any float rate; fp16 to fp32 when the device lacks it.
  CHECK(effective_precision(with_int8, Precision::int4) == Precision::int8);
  CHECK(effective_precision(with_int8, Precision::fp16) == Precision::fp32);
  const Device none = with_peaks({});
  CHECK(effective_precision(none, Precision::int4) == Precision::fp32);
}

TEST_CASE("effective_precision: a rate below the FP32 peak is no roof", "[precision]") {
  // Pascal GP10x lists FP16 at 1/64 of FP32; narrower arithmetic can always run in FP32.
  const Device pascal = with_peaks({{Precision::fp32, 11.76e12}, {Precision::fp16, 0.184e12}});
  CHECK(effective_precision(pascal, Precision::fp16) == Precision::fp32);
  CHECK(effective_precision(pascal, Precision::int4) == Precision::fp32);
  CHECK(effective_precision(pascal, Precision::bf16) == Precision::fp32);
  // Equal or faster narrow rates stay.
  const Device even = with_peaks({{Precision::fp32, 1e12}, {Precision::fp16, 1e12}});
  CHECK(effective_precision(even, Precision::fp16) == Precision::fp16);
}

TEST_CASE("the P40's decode roof is its bandwidth, not its 1/64-rate FP16", "[precision]") {
  // Llama 2 7B on a Tesla P40 (346 GB/s, FP32 11.76 TFLOPS, FP16 0.184 TFLOPS, dp4a). One token
  // reads 3.751 GB at Q4_0 in 10.8 ms; its 13.21 GFLOP took 71.8 ms at FP16's rate, which made
  // the roof compute-bound at 13.9 tokens/s. Quantized blocks multiply with int8 activations:
  // dp4a's 4 x 11.76 = 47.04 TOPS (NVIDIA lists 47 TOPS INT8 for the P40), 0.28 ms:
  // memory-bound at 346e9 / 3.751e9 = 92.2 tokens/s.
  const Device& p40 = test::device("p40");
  auto input_of = [](const std::string& quant) {
    ModelInput input;
    input.spec = *find_model(test::catalog(), "llama-2-7b");
    const Quant q = *find_quant(quant);
    input.weights = model_weights(input.spec, q);
    input.quant_id = q.id;
    input.compute = q.compute;
    return input;
  };
  EstimateOptions options;
  options.ideal = true;
  const EstimateResult r = estimate(p40, input_of("q4_0"), options, test::efficiency());
  CHECK(r.precision == Precision::int8);
  CHECK(r.int8_activations);
  CHECK_FALSE(r.precision_fell_back);
  CHECK(r.roofs.peak_flops_per_s == Approx(4 * 11.76e12));
  CHECK_FALSE(r.step.compute_bound);
  CHECK(r.tokens_per_s == Approx(346e9 / 3.751e9).epsilon(2e-3));
  // F16 weights take no int8 products: the FP32 rate is the floor under FP16's 1/64.
  const EstimateResult f16 = estimate(p40, input_of("f16"), options, test::efficiency());
  CHECK(f16.precision == Precision::fp32);
  CHECK(f16.precision_fell_back);
  CHECK_FALSE(f16.int8_activations);
  CHECK(f16.roofs.peak_flops_per_s == Approx(11.76e12));
  // A compute precision or peak the caller gives is kept.
  options.compute_precision = Precision::fp16;
  CHECK(estimate(p40, input_of("q4_0"), options, test::efficiency()).precision == Precision::fp32);
  options.compute_precision.reset();
  options.peak_flops_per_s = 20e12;
  CHECK_FALSE(estimate(p40, input_of("q4_0"), options, test::efficiency()).int8_activations);
}

TEST_CASE("the int8 roof of quantized blocks is the listed or dp4a rate", "[precision]") {
  Device d;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp32)] = 10e12;
  CHECK(d.roof_peak(Precision::int8) == 0);  // no int8 rate, no dp4a
  d.arch.capabilities = {"dp4a"};
  CHECK(d.roof_peak(Precision::int8) == 40e12);
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::int8)] = 100e12;
  CHECK(d.roof_peak(Precision::int8) == 100e12);  // a listed rate wins
  // RTX 4090: Q4_K_M's roof is the 660.6 TOPS dense INT8 tensor rate, not FP16's 165.2.
  const Device& rtx = test::device("rtx-4090");
  ModelInput input;
  input.spec = *find_model(test::catalog(), "llama-3.1-8b");
  const Quant q = *find_quant("q4_k_m");
  input.weights = model_weights(input.spec, q);
  input.compute = q.compute;
  const EstimateResult r = estimate(rtx, input, EstimateOptions{}, test::efficiency());
  CHECK(r.precision == Precision::int8);
  CHECK(r.roofs.peak_flops_per_s == rtx.peak(Precision::int8));
  CHECK(rtx.peak(Precision::int8) > 3.9 * rtx.roof_peak(Precision::fp16));
}
