#include "engine_options.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "finite_number.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/platform/probe.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof::cli {

void add_engine_options(CLI::App& sub, EngineCliOptions& o) {
  auto* peak = add_positive_option(sub, "--bandwidth", o.bandwidth_gb_per_s,
                                   "Override the memory bandwidth of every selected device with a "
                                   "vendor PEAK, in GB/s (for a measured sustained read, such as "
                                   "STREAM or llmroof probe, use --measured-bandwidth)",
                                   "GB/s");
  add_positive_option(sub, "--measured-bandwidth", o.measured_bandwidth_gb_per_s,
                      "Override the memory bandwidth with a MEASURED sustained read (STREAM-like, "
                      "llmroof probe), in GB/s: the engine applies the efficiency relative to a "
                      "measured read instead of a vendor peak's",
                      "GB/s")
      ->excludes(peak);
  sub.add_option("--threads", o.threads,
                 "CPU threads of a CPU run (default: every performance core the device's figures "
                 "stand for): scales compute, and bandwidth up to saturation (from the device's "
                 "per-thread measurements when it has them)")
      ->check(CLI::Range(1, 4096))
      ->type_name("N");
  add_positive_option(sub, "--tflops", o.tflops,
                      "Override the peak at the compute precision, in TFLOP/s (TOPS for int types)",
                      "TFLOPS");
  auto* installed = add_positive_option(
      sub, "--memory", o.memory_gib,
      "INSTALLED memory of each device, in GiB (default: the device's largest "
      "configuration); the usable share is applied on top: macOS's GPU wired "
      "limit (2/3 up to 36 GiB, 3/4 above), 90% on other shared-memory parts, all "
      "of a discrete GPU's",
      "GiB");
  add_positive_option(sub, "--usable-memory", o.usable_memory_gib,
                      "USABLE memory of each device, in GiB, taken as is (no OS share applied): "
                      "e.g. after raising macOS's limit with sysctl iogpu.wired_limit_mb",
                      "GiB")
      ->excludes(installed);
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
  if (o.measured_bandwidth_gb_per_s) {
    options.bandwidth_bytes_per_s = *o.measured_bandwidth_gb_per_s * units::k_gb;
    options.bandwidth_measured = true;
  }
  options.threads = o.threads;
  if (o.tflops) {
    options.peak_flops_per_s = *o.tflops * units::k_tera;
  }
  if (o.memory_gib) {
    options.memory_bytes = *o.memory_gib * units::k_gib;
  }
  if (o.usable_memory_gib) {
    options.usable_memory_bytes = *o.usable_memory_gib * units::k_gib;
  }
  options.backend = o.backend;
  options.ideal = o.ideal;
  options.expert_skew = o.expert_skew;
}

std::string use_host_device(const std::vector<std::string>& devices, CommonOptions& common) {
  bool asked = false;
  for (const auto& list : devices) {
    std::size_t start = 0;
    while (start <= list.size()) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      asked = asked || list.substr(start, comma - start) == "host";
      start = comma + 1;
    }
  }
  if (!asked || !common.device_files.empty()) {
    return "";
  }
  const HostDeviceFile host = host_device_file();
  common.device_files.push_back(host.path);
  return host.probed
             ? fmt::format("host: probed this machine now (llmroof probe --quick), cached in {}",
                           host.path)
             : fmt::format(
                   "host: the cached probe {} (delete it, or run llmroof probe --output "
                   "FILE, to measure again)",
                   host.path);
}

}  // namespace llmroof::cli
