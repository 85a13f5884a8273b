// Precision selection: the compute roof a device offers for the precision asked for.

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
  // Llama 2 7B Q4_0 on a Tesla P40 (346 GB/s, FP32 11.76 TFLOPS, FP16 0.184 TFLOPS): one token
  // reads 3.751 GB in 10.8 ms; its 13.21 GFLOP take 1.12 ms at the FP32 rate (71.8 ms at
  // FP16's): memory-bound at 346e9 / 3.751e9 = 92.2 tokens/s, not compute-bound at 13.9.
  const Device& p40 = test::device("p40");
  ModelInput input;
  input.spec = *find_model(test::catalog(), "llama-2-7b");
  const Quant q = *find_quant("q4_0");
  input.weights = model_weights(input.spec, q);
  input.quant_id = q.id;
  input.compute = q.compute;
  EstimateOptions options;
  options.ideal = true;
  const EstimateResult r = estimate(p40, input, options, test::efficiency());
  CHECK(r.precision == Precision::fp32);
  CHECK(r.precision_fell_back);
  CHECK(r.roofs.peak_flops_per_s == Approx(11.76e12));
  CHECK_FALSE(r.step.compute_bound);
  CHECK(r.step.compute_seconds == Approx(r.step.flops / 11.76e12));
  CHECK(r.tokens_per_s == Approx(346e9 / 3.751e9).epsilon(2e-3));
}
