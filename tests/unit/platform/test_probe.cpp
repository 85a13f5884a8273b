#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/platform/probe.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;

TEST_CASE("x86 ISA detection decodes faked CPUID words") {
  CpuidWords w;
  w.leaf1_edx = 1U << 26;                              // SSE2
  w.leaf1_ecx = (1U << 27) | (1U << 28) | (1U << 12);  // OSXSAVE, AVX, FMA
  w.leaf7_ebx = (1U << 5) | (1U << 16);                // AVX2, AVX-512F
  w.leaf7_ecx = 1U << 11;                              // AVX-512 VNNI
  w.leaf7_1_eax = 1U << 5;                             // AVX-512 BF16
  w.leaf7_edx = (1U << 24) | (1U << 22) | (1U << 25);  // AMX tile, bf16, int8
  SECTION("the OS saves every register file") {
    w.xcr0 = 0x6 | 0xE0 | 0x60000;
    const IsaFeatures f = detect_x86_isa(w);
    CHECK(f.names() ==
          "sse2 avx avx2 fma avx512f avx512-vnni avx512-bf16 amx-tile amx-bf16 amx-int8");
    CHECK(f.cpu_isa() == "x86-amx");
  }
  SECTION("the OS saves only the YMM state: no AVX-512 or AMX") {
    w.xcr0 = 0x7;
    const IsaFeatures f = detect_x86_isa(w);
    CHECK(f.names() == "sse2 avx avx2 fma");
    CHECK(f.cpu_isa() == "x86-avx2");
  }
  SECTION("no XSAVE: SSE2 only") {
    w.leaf1_ecx = 1U << 28;
    w.xcr0 = 0;
    CHECK(detect_x86_isa(w).cpu_isa() == "x86-sse");
  }
}

TEST_CASE("Arm ISA detection decodes faked hwcaps") {
  const std::uint64_t hwcap = (1U << 1) | (1U << 20);  // ASIMD, ASIMDDP
  CHECK(detect_arm_isa(hwcap, 0).cpu_isa() == "arm64-neon-dotprod");
  const IsaFeatures f = detect_arm_isa(hwcap | (1U << 22), (1U << 13) | (1U << 23));
  CHECK(f.names() == "neon dotprod i8mm sve sme");
  CHECK(f.cpu_isa() == "arm64-sve");  // a value of the devices.json schema
  CHECK(detect_arm_isa(hwcap, 1U << 13).cpu_isa() == "arm64-neon-i8mm");  // HWCAP2_I8MM
  const IsaFeatures bf16 = detect_arm_isa(hwcap, 1U << 14);  // HWCAP2_BF16: BFDOT timed
  CHECK(bf16.bf16);
  CHECK(bf16.names() == "neon dotprod bf16");
  CHECK(detect_arm_isa(1U << 1, 0).cpu_isa() == "arm64-neon");
  CHECK(detect_arm_isa(0, 0).cpu_isa().empty());
}

TEST_CASE("cache sizes parse as sysfs writes them") {
  CHECK(parse_cache_size("32K\n") == 32768U);
  CHECK(parse_cache_size("8M") == 8388608U);
  CHECK(parse_cache_size("512") == 512U);
  CHECK_FALSE(parse_cache_size("K"));
  CHECK_FALSE(parse_cache_size("12X"));
  CHECK_FALSE(parse_cache_size("12KB"));
}

TEST_CASE("a quick probe measures plausible figures and writes a loadable device file") {
  ProbeOptions options;
  options.quick = true;
  options.max_threads = 2;
  const ProbeResult r = run_probe(options);
  REQUIRE_FALSE(r.per_thread.empty());
  CHECK(r.per_thread.front().threads == 1);
  CHECK(r.best_read_bytes_per_s() > 1e9);
  CHECK(r.best_fp32_flops_per_s() > 1e9);
  if (r.int8_kernel != "none") {
    CHECK(r.best_int8_ops_per_s() > 1e9);
  }
  // BF16 dot products where the CPU has them (AVX512-BF16, Arm bf16), else not measured.
  CHECK((r.bf16_kernel == "none") == !(r.isa.avx512_bf16 || r.isa.bf16));
  if (r.bf16_kernel != "none") {
    CHECK(r.best_bf16_flops_per_s() > 1e9);
  } else {
    CHECK(r.best_bf16_flops_per_s() == 0);
  }
  // AMX tile products where the CPU has them and Linux grants the tile state.
  if (r.amx_kernel != "none") {
    CHECK(r.isa.amx_int8);
    CHECK(r.best_amx_int8_ops_per_s() > 1e9);
  } else {
    CHECK(r.best_amx_int8_ops_per_s() == 0);
  }
  CHECK(r.working_set_bytes >= 64.0 * (1 << 20));

  const std::string text = probe_device_json(r);
  const DeviceDb db = parse_devices(text, "host.json");
  REQUIRE(db.devices.size() == 1);
  const Device& host = db.devices.front();
  CHECK(host.id == "host");
  CHECK(host.kind == DeviceKind::cpu);
  CHECK(host.mem_bw_bytes_per_s == Approx(r.best_read_bytes_per_s()).epsilon(0.01));
  CHECK(host.peak(Precision::fp32) == Approx(r.best_fp32_flops_per_s()).epsilon(0.01));
  CHECK(host.peak(Precision::bf16) == Approx(r.best_bf16_flops_per_s()).epsilon(0.01));
  CHECK(host.mem_bw_kind == FigureKind::measured_sustained);
  CHECK(host.fp32_kind == FigureKind::measured_sustained);
  CHECK(host.measured_date == r.date);
  CHECK(host.measured_method.find("streaming read") != std::string::npos);
  REQUIRE(host.measured_per_thread.size() == r.per_thread.size());
  for (std::size_t i = 0; i < r.per_thread.size(); ++i) {
    CHECK(host.measured_per_thread[i].threads == r.per_thread[i].threads);
    CHECK(host.measured_per_thread[i].read_bytes_per_s ==
          Approx(r.per_thread[i].read_bytes_per_s).epsilon(0.01));
  }
  CHECK(host.cpu_cores >= 1);
  CHECK(host.cpu_cores <= host.cpu_threads);
  CHECK(nlohmann::json::parse(text)["devices"][0]["notes"].get<std::string>().find(
            "Measured (not vendor peaks)") == 0);
}

TEST_CASE("the measured block of a device file is checked", "[probe]") {
  const std::string head =
      R"({"schema_version": 1, "strict": false, "devices": [{"id": "host", "vendor": "v",
      "name": "n", "kind": "cpu", "backend": "cpu", "memory_sizes_gib": [16],
      "memory_bandwidth_gb_per_s": 50, "fp32_tflops": 1, "cpu_isa": "x86-avx2",
      "memory_bandwidth_kind": "measured_sustained", "measured": {"date": "2026-12-02",
      "method": "m", "per_thread": )";
  const Device ok =
      parse_devices(head + R"([{"threads": 1, "read_gb_per_s": 20, "fp32_tflops": 0.2},
      {"threads": 4, "read_gb_per_s": 50, "fp32_tflops": 1}]}}]})",
                    "host.json")
          .devices.front();
  CHECK(ok.mem_bw_kind == FigureKind::measured_sustained);
  CHECK(ok.fp32_kind == FigureKind::vendor_peak);  // not stated: a vendor peak
  REQUIRE(ok.measured_per_thread.size() == 2);
  CHECK(ok.measured_per_thread[1].read_bytes_per_s == Approx(50e9));
  CHECK(ok.measured_per_thread[1].fp32_flops_per_s == Approx(1e12));
  CHECK_THROWS_AS(parse_devices(head + R"([{"threads": 4, "read_gb_per_s": 50, "fp32_tflops": 1},
      {"threads": 2, "read_gb_per_s": 40, "fp32_tflops": 1}]}}]})",
                                "host.json"),
                  DataError);
  CHECK_THROWS_AS(parse_devices(head + R"([{"threads": 1, "read_gb_per_s": 20}]}}]})", "host.json"),
                  DataError);
}

TEST_CASE("the host device probes once into the cache directory, then reuses it", "[probe]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("llmroof-probe-cache-{}", getpid());
  fs::remove_all(dir);
  const char* old = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old != nullptr ? old : "";
  setenv("XDG_CACHE_HOME", dir.c_str(), 1);
  const HostDeviceFile first = host_device_file();
  const HostDeviceFile second = host_device_file();
  if (old != nullptr) {
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    unsetenv("XDG_CACHE_HOME");
  }
  CHECK(first.probed);
  CHECK_FALSE(second.probed);
  CHECK(first.path == (dir / "llmroof" / "host.json").string());
  CHECK(second.path == first.path);
  std::ifstream file(first.path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const DeviceDb db = parse_devices(text, first.path);
  REQUIRE(db.devices.size() == 1);
  CHECK(db.devices.front().mem_bw_kind == FigureKind::measured_sustained);
  CHECK(db.devices.front().mem_bw_bytes_per_s > 1e9);
  fs::remove_all(dir);
}

TEST_CASE("every cpu_isa the probe names loads as a device entry", "[probe]") {
  ProbeResult r;
  r.cpu_name = "test CPU";
  r.hardware_threads = 4;
  r.physical_cores = 2;
  r.memory_bytes = 8.0 * (1ULL << 30);
  r.fp32_kernel = "scalar";
  r.int8_kernel = "none";
  r.passes = 1;
  r.date = "2026-12-02";
  r.per_thread = {{1, 10e9, 50e9, 0}, {4, 20e9, 200e9, 0}};
  const std::uint64_t asimd = 1U << 1, dotprod = 1U << 20, sve = 1U << 22;
  CpuidWords avx512;
  avx512.leaf1_edx = 1U << 26;
  avx512.leaf1_ecx = (1U << 27) | (1U << 28) | (1U << 12);
  avx512.leaf7_ebx = (1U << 5) | (1U << 16);
  avx512.xcr0 = 0xE7;
  for (const IsaFeatures& isa :
       {detect_arm_isa(asimd, 0), detect_arm_isa(asimd | dotprod, 0),
        detect_arm_isa(asimd | dotprod, 1U << 13), detect_arm_isa(asimd | sve, 0),
        detect_arm_isa(0, 0), detect_x86_isa(avx512)}) {
    r.isa = isa;
    const DeviceDb db = parse_devices(probe_device_json(r), "host.json");
    REQUIRE(db.devices.size() == 1);
    CHECK(db.devices.front().cpu_isa == isa.cpu_isa());
    CHECK(db.devices.front().cpu_cores == 2);
    CHECK(db.devices.front().cpu_threads == 4);
  }
}
