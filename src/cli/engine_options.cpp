#include "engine_options.hpp"

#include "finite_number.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof::cli {

void add_engine_options(CLI::App& sub, EngineCliOptions& o) {
  sub.add_option("--bandwidth", o.bandwidth_gb_per_s,
                 "Override the memory bandwidth of every selected device, in GB/s")
      ->check(finite_number)
      ->check(CLI::PositiveNumber)
      ->type_name("GB/s");
  sub.add_option("--tflops", o.tflops,
                 "Override the peak at the compute precision, in TFLOP/s (TOPS for int types)")
      ->check(finite_number)
      ->check(CLI::PositiveNumber)
      ->type_name("TFLOPS");
  sub.add_option("--memory", o.memory_gib,
                 "Memory available to the model on each device, in GiB (default: the device's "
                 "largest configuration, less what the OS keeps)")
      ->check(finite_number)
      ->check(CLI::PositiveNumber)
      ->type_name("GiB");
  std::vector<std::string> kv_names;
  for (auto name : kv_quant_names()) {
    kv_names.emplace_back(name);
  }
  sub.add_option("--kv-quant", o.kv_quant,
                 "KV-cache element type: f16, bf16, fp8, q8_0, q4_0, int4 (plain 4-bit, 0.5 bytes)")
      ->check(CLI::IsMember(kv_names, CLI::ignore_case))
      ->type_name("TYPE")
      ->default_str("f16");
  sub.add_option("--compute-precision", o.compute_precision,
                 "Precision of the matrix products: fp32 fp16 bf16 fp8 int8 int4 (default: the "
                 "quant's; GGUF types are dequantized to fp16)")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16", "fp8", "int8", "int4"}, CLI::ignore_case))
      ->type_name("PRECISION");
  sub.add_option("--backend", o.backend,
                 "Engine backend: cpu runs a GPU machine's model on its host CPU (default: the "
                 "device's usual backend)")
      ->check(CLI::IsMember({"cuda", "rocm", "metal", "vulkan", "sycl", "cpu", "opencl"},
                            CLI::ignore_case))
      ->type_name("BACKEND");
  sub.add_flag("--ideal", o.ideal,
               "Pure roofline of the source articles: efficiency 1, no overheads, no range");
  sub.add_option("--expert-skew", o.expert_skew,
                 "MoE routing skew in [0, 1). Expert traffic assumes uniform routing: batch B "
                 "reads E*(1-(1-k/E)^B) distinct experts per layer; skew S uses B^(1-S)")
      ->check(finite_number)
      ->check(CLI::Range(0.0, 0.99))
      ->type_name("SKEW")
      ->default_str("0");
}

void apply_engine_options(const EngineCliOptions& o, EstimateOptions& options) {
  options.kv_quant = o.kv_quant;
  options.kv_bytes_per_element = kv_bytes_per_element(o.kv_quant).value_or(2.0);
  if (o.compute_precision) {
    options.compute_precision = parse_precision(*o.compute_precision);
  }
  if (o.bandwidth_gb_per_s) {
    options.bandwidth_bytes_per_s = *o.bandwidth_gb_per_s * units::k_gb;
  }
  if (o.tflops) {
    options.peak_flops_per_s = *o.tflops * units::k_tera;
  }
  if (o.memory_gib) {
    options.memory_bytes = *o.memory_gib * units::k_gib;
  }
  options.backend = o.backend;
  options.ideal = o.ideal;
  options.expert_skew = o.expert_skew;
}

}  // namespace llmroof::cli
