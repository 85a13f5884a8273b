// --threads: how a CPU run's rates scale with threads (measured per thread, or the saturation
// model), and the efficiency that matches a measured bandwidth.

#include "catch.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/hardware/threads.hpp"
#include "llmroof/scenarios/estimate.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

Device cpu_device(int cores, double bandwidth_bytes_per_s, double fp32_flops_per_s) {
  Device d;
  d.id = "test-cpu";
  d.kind = DeviceKind::cpu;
  d.cpu_cores = cores;
  d.cpu_threads = 2 * cores;
  d.mem_bw_bytes_per_s = bandwidth_bytes_per_s;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp32)] = fp32_flops_per_s;
  return d;
}

}  // namespace

TEST_CASE("without measurements, compute scales per core and bandwidth saturates", "[threads]") {
  const Device d = cpu_device(16, 83.2e9, 2e12);
  CHECK(default_threads(d, false) == 16);
  const ThreadScaling one = thread_scaling(d, false, 1);
  CHECK_FALSE(one.from_measurement);
  CHECK(one.compute_factor == Approx(1.0 / 16));
  CHECK(one.bandwidth_factor == Approx(30.0 / 83.2));  // one core draws 30 GB/s
  CHECK(thread_scaling(d, false, 2).bandwidth_factor == Approx(60.0 / 83.2));
  CHECK(thread_scaling(d, false, 3).bandwidth_factor == Approx(1.0));  // 90 GB/s > 83.2: saturated
  CHECK(thread_scaling(d, false, 8).compute_factor == Approx(0.5));
  const ThreadScaling all = thread_scaling(d, false, 16);
  CHECK(all.compute_factor == 1.0);
  CHECK(all.bandwidth_factor == 1.0);
  // SMT threads beyond the cores add no FMA units and no bandwidth.
  const ThreadScaling smt = thread_scaling(d, false, 32);
  CHECK(smt.compute_factor == 1.0);
  CHECK(smt.bandwidth_factor == 1.0);
}

TEST_CASE("a bandwidth the cores cannot saturate scales relative to every core", "[threads]") {
  // 4 cores x 30 GB/s = 120 GB/s < 200 GB/s: the figures stand for 4 cores, so 4 threads = 1.
  const Device d = cpu_device(4, 200e9, 0.5e12);
  CHECK(thread_scaling(d, false, 4).bandwidth_factor == 1.0);
  CHECK(thread_scaling(d, false, 2).bandwidth_factor == Approx(0.5));
  CHECK(thread_scaling(d, false, 1).bandwidth_factor == Approx(0.25));
}

TEST_CASE("per-thread measurements give the factors, linear between counts", "[threads]") {
  Device d = cpu_device(8, 60e9, 1.2e12);
  d.measured_per_thread = {
      {1, 22e9, 0.15e12}, {2, 38e9, 0.3e12}, {4, 55e9, 0.6e12}, {8, 60e9, 1.2e12}};
  const ThreadScaling two = thread_scaling(d, false, 2);
  CHECK(two.from_measurement);
  CHECK(two.bandwidth_factor == Approx(38.0 / 60));
  CHECK(two.compute_factor == Approx(0.25));
  const ThreadScaling three = thread_scaling(d, false, 3);
  CHECK(three.bandwidth_factor == Approx((38.0 + 55.0) / 2 / 60));
  CHECK(three.compute_factor == Approx(0.45 / 1.2));
  CHECK(thread_scaling(d, false, 16).bandwidth_factor == 1.0);  // beyond the last: the last
}

TEST_CASE("threads leave a GPU run alone", "[threads]") {
  Device gpu = cpu_device(0, 1e12, 80e12);
  gpu.kind = DeviceKind::gpu;
  const ThreadScaling s = thread_scaling(gpu, false, 2);
  CHECK(s.bandwidth_factor == 1.0);
  CHECK(s.compute_factor == 1.0);
  CHECK(s.cores == 0);
}

TEST_CASE("a host CPU block scales by its own cores", "[threads]") {
  Device soc = cpu_device(0, 400e9, 30e12);
  soc.kind = DeviceKind::apple_soc;
  soc.cpu = CpuSpec{12, "arm64-neon-i8mm", 1.5e12, 120e9, "https://example.org", 0, ""};
  CHECK(default_threads(soc, true) == 12);
  const ThreadScaling s = thread_scaling(soc, true, 3);
  CHECK(s.compute_factor == Approx(0.25));
  CHECK(s.bandwidth_factor == Approx(90.0 / 120));
}

TEST_CASE("a hybrid CPU's figures stand for its performance cores", "[threads]") {
  // llama.cpp's default threads are the performance cores (macOS hw.perflevel0, Intel's
  // P-cores): more threads than that gain nothing, fewer scale from them.
  // M2 Max: 8 P + 4 E cores; 4 threads = half the compute, bandwidth D(4)/D(8) with
  // D(n) = min(400 GB/s, n x 30 GB/s) = 120 / 240.
  const Device& m2max = *find_device(test::devices(), "m2-max-38c")->device;
  REQUIRE(m2max.cpu);
  CHECK(m2max.cpu->cores == 12);
  CHECK(m2max.cpu->performance_cores == 8);
  CHECK_FALSE(m2max.cpu->performance_cores_source.empty());
  CHECK(default_threads(m2max, true) == 8);
  const ThreadScaling four = thread_scaling(m2max, true, 4);
  CHECK(four.compute_factor == Approx(0.5));
  CHECK(four.bandwidth_factor == Approx(120.0 / 240));
  const ThreadScaling twelve = thread_scaling(m2max, true, 12);
  CHECK(twelve.compute_factor == 1);
  CHECK(twelve.bandwidth_factor == 1);
  // i9-13900K: 8 P + 16 E cores of 24.
  const Device& i9 = *find_device(test::devices(), "i9-13900k-ddr5")->device;
  CHECK(i9.cpu_performance_cores == 8);
  CHECK(default_threads(i9, false) == 8);
  CHECK(thread_scaling(i9, false, 2).compute_factor == Approx(0.25));
  // One kind of core: every core.
  CHECK(default_threads(*find_device(test::devices(), "ryzen-9-7950x")->device, false) == 16);
}

TEST_CASE("a measured bandwidth gets the measured-read efficiency, not the peak's", "[threads]") {
  auto m = find_device(test::devices(), "ryzen-9-7950x");
  REQUIRE(m);
  const Device& d = *m->device;
  const ModelSpec model = generic_model(8e9, "8b");
  ModelInput input;
  input.spec = model;
  input.weights = model_weights(model, *find_quant("q4_k_m"));
  input.quant_id = "q4_k_m";
  EstimateOptions peak;
  peak.bandwidth_bytes_per_s = 60e9;
  EstimateOptions measured = peak;
  measured.bandwidth_measured = true;
  const EstimateResult a = estimate(d, input, peak, test::efficiency());
  const EstimateResult b = estimate(d, input, measured, test::efficiency());
  CHECK(a.roofs.mem_bw_bytes_per_s == b.roofs.mem_bw_bytes_per_s);  // the roof is the figure
  CHECK_FALSE(a.roofs.mem_bw_measured);
  CHECK(b.roofs.mem_bw_measured);
  const EngineModel ea =
      engine_model(test::efficiency(), d, "", model, input.weights, a.roofs, Precision::fp32, 512);
  const EngineModel eb =
      engine_model(test::efficiency(), d, "", model, input.weights, b.roofs, Precision::fp32, 512);
  // Effective bandwidth: class efficiency x peak, against 0.88 x the measured read.
  CHECK(ea.cls->decode_bw_efficiency * ea.run.mem_bw_bytes_per_s ==
        Approx(ea.cls->decode_bw_efficiency * 60e9));
  CHECK(eb.cls->decode_bw_efficiency * eb.run.mem_bw_bytes_per_s ==
        Approx(k_measured_read_efficiency * 60e9));
  CHECK(b.tokens_per_s > a.tokens_per_s);  // the loss is not counted twice
}

TEST_CASE("a thread count reaches the estimate's roofs", "[threads]") {
  auto m = find_device(test::devices(), "ryzen-9-7950x");
  REQUIRE(m);
  const ModelSpec model = generic_model(8e9, "8b");
  ModelInput input;
  input.spec = model;
  input.weights = model_weights(model, *find_quant("q4_k_m"));
  input.quant_id = "q4_k_m";
  EstimateOptions all, two;
  two.threads = 2;
  const EstimateResult a = estimate(*m->device, input, all, test::efficiency());
  const EstimateResult b = estimate(*m->device, input, two, test::efficiency());
  REQUIRE(b.threads);
  CHECK(b.roofs.peak_flops_per_s == Approx(a.roofs.peak_flops_per_s * b.threads->compute_factor));
  CHECK(b.roofs.mem_bw_bytes_per_s ==
        Approx(a.roofs.mem_bw_bytes_per_s * b.threads->bandwidth_factor));
  CHECK(b.tokens_per_s < a.tokens_per_s);
}

TEST_CASE("performance cores are sourced and at most the cores", "[threads]") {
  auto error_of = [](const std::string& fields) {
    try {
      parse_devices(R"({"schema_version": 1, "strict": false, "devices": [{"id": "c",
        "vendor": "x", "name": "X", "kind": "cpu", "backend": "cpu", "memory_sizes_gib": [16],
        "memory_bandwidth_gb_per_s": 50, "fp32_tflops": 1, "cpu_cores": 4, "cpu_threads": 8)" +
                        fields + "}]}",
                    "c.json");
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_of(R"(, "cpu_performance_cores": 2, "cpu_performance_cores_source": "https://a")")
            .empty());
  CHECK_THAT(error_of(R"(, "cpu_performance_cores": 6, "cpu_performance_cores_source": "u")"),
             Catch::Contains("/devices/0/cpu_performance_cores: 6 performance cores of 4 cores"));
  CHECK_THAT(error_of(R"(, "cpu_performance_cores": 2)"),
             Catch::Contains("missing required field 'cpu_performance_cores_source'"));
}
