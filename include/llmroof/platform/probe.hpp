#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// Raw x86 CPUID words and the XCR0 register (0 when the OS has no XSAVE).
struct CpuidWords {
  std::uint32_t leaf1_ecx = 0;
  std::uint32_t leaf1_edx = 0;
  std::uint32_t leaf7_ebx = 0;
  std::uint32_t leaf7_ecx = 0;
  std::uint32_t leaf7_edx = 0;
  std::uint32_t leaf7_1_eax = 0;  ///< leaf 7, sub-leaf 1
  std::uint64_t xcr0 = 0;
};

/// Instruction-set features the CPU has and the OS enabled.
struct IsaFeatures {
  bool sse2 = false, avx = false, avx2 = false, fma = false;
  bool avx512f = false, avx512_bf16 = false, avx512_vnni = false, avx_vnni = false;
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false;
  bool neon = false, dotprod = false, i8mm = false, bf16 = false, sve = false, sme = false;

  /// Names of the features present, e.g. "sse2 avx avx2 fma".
  std::string names() const;
  /// The devices.json cpu_isa value: "x86-amx", "x86-avx512", "x86-avx2", "x86-sse",
  /// "arm64-sve", "arm64-neon-i8mm", "arm64-neon-dotprod", "arm64-neon"; "" when none applies.
  std::string cpu_isa() const;
};

/// Pure: features from raw CPUID words (AVX needs XCR0 bits 1-2, AVX-512 bits 5-7, AMX 17-18).
IsaFeatures detect_x86_isa(const CpuidWords& words);
/// Pure: features from Linux arm64 AT_HWCAP and AT_HWCAP2 values.
IsaFeatures detect_arm_isa(std::uint64_t hwcap, std::uint64_t hwcap2);
/// Features of the CPU this process runs on.
IsaFeatures detect_host_isa();

/// Parses a sysfs cache size ("32K", "1024K", "8M", "512"). Returns bytes, nullopt if malformed.
std::optional<std::uint64_t> parse_cache_size(std::string_view text);

/// Probe settings: quick (about 1 s) or thorough (under 15 s on a usual desktop).
struct ProbeOptions {
  bool quick = false;
  int max_threads = 0;  ///< 0 = all hardware threads
  /// Called with a fraction in [0, 1] as the probe advances (progress display).
  std::function<void(double)> progress;
};

/// Figures measured at one thread count.
struct ThreadFigures {
  int threads = 0;
  double read_bytes_per_s = 0;  ///< sustained streaming read bandwidth, best pass
  double fp32_flops_per_s = 0;  ///< FP32 FMA throughput, best pass
  double int8_ops_per_s = 0;    ///< int8 dot-product throughput (2 ops per MAC); 0 = not measured
  double bf16_flops_per_s = 0;  ///< BF16 dot-product throughput (2 FLOPs per MAC); 0 = not measured
  /// AMX int8 tile products (TDPBSSD, 2 ops per MAC); 0 = not measured (no AMX, or the OS
  /// refused the tile state)
  double amx_int8_ops_per_s = 0;
};

/// What `llmroof probe` measured on this machine.
struct ProbeResult {
  std::string cpu_name;      ///< /proc/cpuinfo model name, or "unknown CPU"
  int hardware_threads = 0;  ///< thread counts measured: 1..this (all logical CPUs by default)
  int physical_cores = 0;    ///< distinct physical cores (sysfs topology), else logical CPUs
  double memory_bytes = 0;
  std::uint64_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;  ///< 0 = not reported
  IsaFeatures isa;
  std::string fp32_kernel;  ///< "avx512f", "avx2-fma", "sse2", "neon-fma" or "scalar"
  /// "avx512-vnni", "avx-vnni", "avx2-maddubs", "neon-i8mm-smmla", "neon-dotprod-sdot" or "none"
  std::string int8_kernel;
  /// "avx512-bf16" (VDPBF16PS), "neon-bf16-bfdot" or "none"
  std::string bf16_kernel;
  std::string amx_kernel;                 ///< "amx-int8" (TDPBSSD) or "none"
  double working_set_bytes = 0;           ///< bytes read per bandwidth pass
  int passes = 0;                         ///< passes per figure (best is kept)
  std::vector<ThreadFigures> per_thread;  ///< threads 1..hardware_threads
  std::string date;                       ///< UTC, YYYY-MM-DD
  bool quick = false;

  /// Best bandwidth over all thread counts, bytes/s.
  double best_read_bytes_per_s() const;
  /// Best FP32 throughput over all thread counts, FLOP/s.
  double best_fp32_flops_per_s() const;
  /// Best int8 dot-product throughput over all thread counts, OP/s (0 = not measured).
  double best_int8_ops_per_s() const;
  /// Best BF16 dot-product throughput over all thread counts, FLOP/s (0 = not measured).
  double best_bf16_flops_per_s() const;
  /// Best AMX int8 throughput over all thread counts, OP/s (0 = not measured).
  double best_amx_int8_ops_per_s() const;
};

/// Measures this machine. Uses threads, large allocations and the clock: platform layer only.
ProbeResult run_probe(const ProbeOptions& options);

/// The devices.json (strict: false) document with one device "host" holding `result`'s figures.
std::string probe_device_json(const ProbeResult& result);

}  // namespace llmroof

namespace llmroof {

/// The device file of this machine for `--device host` and whether it was just measured.
struct HostDeviceFile {
  std::string path;
  bool probed = false;  ///< true: measured now; false: a cached probe was reused
};

/// The device file of this machine for `--device host`: $XDG_CACHE_HOME/llmroof/host.json
/// (else ~/.cache/llmroof/host.json), written by a quick probe when it is not there yet.
/// Throws Error when no cache directory can be found or written.
HostDeviceFile host_device_file();

}  // namespace llmroof
