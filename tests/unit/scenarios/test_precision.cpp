// Precision selection: the compute roof a device offers for the precision asked for.

#include "catch.hpp"
#include "llmroof/scenarios/estimate.hpp"

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
