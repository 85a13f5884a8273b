// The measurements of `llmroof probe`: streaming read bandwidth at every thread count and FP32
// FMA throughput with the widest vector unit the CPU has (chosen at run time).

#include <fmt/format.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "llmroof/platform/probe.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace llmroof {

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<std::uint64_t> g_sink{0};  // keeps the loads and FMAs from being optimized away

// Decode's pattern: one pass of streaming loads into 8 independent accumulators.
void read_slice(const std::uint64_t* data, std::size_t words) {
  std::uint64_t acc[8] = {};
  for (std::size_t i = 0; i + 8 <= words; i += 8) {
    for (int k = 0; k < 8; ++k) {
      acc[k] += data[i + static_cast<std::size_t>(k)];
    }
  }
  std::uint64_t sum = 0;
  for (auto a : acc) {
    sum += a;
  }
  g_sink.fetch_add(sum, std::memory_order_relaxed);
}

constexpr long k_fma_iterations = 1L << 22;

// Each kernel runs k_fma_iterations x 8 independent FMA chains; returns FLOPs done.
#if !defined(__x86_64__)
double fma_scalar() {
  float acc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  volatile float mul_v = 0.999999F, add_v = 1e-7F;
  const float mul = mul_v, add = add_v;
  for (long i = 0; i < k_fma_iterations / 8; ++i) {
    for (auto& a : acc) {
      a = a * mul + add;
    }
  }
  float sum = 0;
  for (auto a : acc) {
    sum += a;
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(sum), std::memory_order_relaxed);
  return 2.0 * 8 * static_cast<double>(k_fma_iterations / 8);
}
#endif

#if defined(__x86_64__)
double fma_sse2() {
  __m128 acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = _mm_set1_ps(static_cast<float>(k));
  }
  volatile float mul_v = 0.999999F, add_v = 1e-7F;
  const __m128 mul = _mm_set1_ps(mul_v), add = _mm_set1_ps(add_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& a : acc) {
      a = _mm_add_ps(_mm_mul_ps(a, mul), add);
    }
  }
  __m128 sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = _mm_add_ps(sum, acc[k]);
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(_mm_cvtss_f32(sum)), std::memory_order_relaxed);
  return 2.0 * 4 * 8 * static_cast<double>(k_fma_iterations);
}

__attribute__((target("avx2,fma"))) double fma_avx2() {
  __m256 acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = _mm256_set1_ps(static_cast<float>(k));
  }
  volatile float mul_v = 0.999999F, add_v = 1e-7F;
  const __m256 mul = _mm256_set1_ps(mul_v), add = _mm256_set1_ps(add_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& a : acc) {
      a = _mm256_fmadd_ps(a, mul, add);
    }
  }
  __m256 sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = _mm256_add_ps(sum, acc[k]);
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(_mm256_cvtss_f32(sum)), std::memory_order_relaxed);
  return 2.0 * 8 * 8 * static_cast<double>(k_fma_iterations);
}

// Lane 0 of the sum of `chains` 16-lane FP32 accumulators, to g_sink.
__attribute__((target("avx512f"))) void sink_m512(const __m512* acc, int chains) {
  __m512 sum = acc[0];
  for (int k = 1; k < chains; ++k) {
    sum = _mm512_add_ps(sum, acc[k]);
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  g_sink.fetch_add(static_cast<std::uint64_t>(lanes[0]), std::memory_order_relaxed);
}

__attribute__((target("avx512f"))) double fma_avx512() {
  __m512 acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = _mm512_set1_ps(static_cast<float>(k));
  }
  volatile float mul_v = 0.999999F, add_v = 1e-7F;
  const __m512 mul = _mm512_set1_ps(mul_v), add = _mm512_set1_ps(add_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& a : acc) {
      a = _mm512_fmadd_ps(a, mul, add);
    }
  }
  sink_m512(acc, 8);
  return 2.0 * 16 * 8 * static_cast<double>(k_fma_iterations);
}
#endif

#if defined(__x86_64__)
// Int8 dot products (llama.cpp's quantized kernels): k_fma_iterations x 8 independent chains of
// u8 x s8 -> s32 multiply-adds; returns the int8 operations done (a multiply-add is 2).
__attribute__((target("avx512f,avx512bw,avx512vnni"))) double int8_avx512_vnni() {
  __m512i acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = _mm512_set1_epi32(k);
  }
  volatile int a_v = 0x01010101, b_v = 0x02020202;
  const __m512i a = _mm512_set1_epi32(a_v), b = _mm512_set1_epi32(b_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& x : acc) {
      x = _mm512_dpbusd_epi32(x, a, b);
    }
  }
  __m512i sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = _mm512_add_epi32(sum, acc[k]);
  }
  alignas(64) std::int32_t lanes[16];
  _mm512_store_si512(lanes, sum);
  g_sink.fetch_add(static_cast<std::uint64_t>(lanes[0]), std::memory_order_relaxed);
  return 2.0 * 64 * 8 * static_cast<double>(k_fma_iterations);
}

__attribute__((target("avx2,avxvnni"))) double int8_avx_vnni() {
  __m256i acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = _mm256_set1_epi32(k);
  }
  volatile int a_v = 0x01010101, b_v = 0x02020202;
  const __m256i a = _mm256_set1_epi32(a_v), b = _mm256_set1_epi32(b_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& x : acc) {
      x = _mm256_dpbusd_avx_epi32(x, a, b);
    }
  }
  __m256i sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = _mm256_add_epi32(sum, acc[k]);
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(_mm256_extract_epi32(sum, 0)),
                   std::memory_order_relaxed);
  return 2.0 * 32 * 8 * static_cast<double>(k_fma_iterations);
}

// AVX2 without VNNI: u8 x s8 pairs summed to s16 (maddubs), then to s32 (madd), as llama.cpp's
// AVX2 dot products do; 32 multiply-adds per pair of instructions.
__attribute__((target("avx2"))) double int8_avx2() {
  __m256i acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = _mm256_set1_epi32(k);
  }
  volatile int a_v = 0x01010101, b_v = 0x02020202;
  const __m256i a = _mm256_set1_epi32(a_v), b = _mm256_set1_epi32(b_v);
  const __m256i ones = _mm256_set1_epi16(1);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& x : acc) {
      x = _mm256_add_epi32(x, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
    }
  }
  __m256i sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = _mm256_add_epi32(sum, acc[k]);
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(_mm256_extract_epi32(sum, 0)),
                   std::memory_order_relaxed);
  return 2.0 * 32 * 8 * static_cast<double>(k_fma_iterations);
}
#endif

#if defined(__aarch64__)
// NEON (ASIMD, every arm64 CPU): FMLA on 4 FP32 lanes, 8 independent chains.
double fma_neon() {
  float32x4_t acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = vdupq_n_f32(static_cast<float>(k));
  }
  volatile float mul_v = 0.999999F, add_v = 1e-7F;
  const float32x4_t mul = vdupq_n_f32(mul_v), add = vdupq_n_f32(add_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& a : acc) {
      a = vfmaq_f32(add, a, mul);  // add + a * mul
    }
  }
  float32x4_t sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = vaddq_f32(sum, acc[k]);
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(vgetq_lane_f32(sum, 0)), std::memory_order_relaxed);
  return 2.0 * 4 * 8 * static_cast<double>(k_fma_iterations);
}

// Int8 dot products as llama.cpp's arm64 kernels do them. The sums are exact integers, so
// g_sink receives lane 0 of the 8 accumulators added up: 28 + 8 x (MACs per lane) x iterations
// (each chain k starts at k; every product is 1 x 2), which the cross-compiled check verifies.

// The 8 int32 chains of an int8 kernel: chain k starts at k; at the end lane 0 of their sum
// goes to g_sink (plain NEON, no extension needed).
void start_chains(int32x4_t (&acc)[8]) {
  for (int k = 0; k < 8; ++k) {
    acc[k] = vdupq_n_s32(k);
  }
}

void sink_chains(const int32x4_t (&acc)[8]) {
  int32x4_t sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = vaddq_s32(sum, acc[k]);
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(vgetq_lane_s32(sum, 0)), std::memory_order_relaxed);
}

// SDOT (dotprod, Armv8.2): per 32-bit lane, 4 s8 x s8 products summed; 16 MACs an instruction.
__attribute__((target("arch=armv8.2-a+dotprod"))) double int8_neon_sdot() {
  int32x4_t acc[8];
  start_chains(acc);
  volatile std::int8_t a_v = 1, b_v = 2;
  const int8x16_t a = vdupq_n_s8(a_v), b = vdupq_n_s8(b_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& x : acc) {
      x = vdotq_s32(x, a, b);
    }
  }
  sink_chains(acc);
  return 2.0 * 16 * 8 * static_cast<double>(k_fma_iterations);
}

// SMMLA (i8mm, Armv8.6): a 2x8 by 8x2 s8 matrix product into 2x2 s32; 32 MACs an instruction.
__attribute__((target("arch=armv8.6-a+i8mm"))) double int8_neon_smmla() {
  int32x4_t acc[8];
  start_chains(acc);
  volatile std::int8_t a_v = 1, b_v = 2;
  const int8x16_t a = vdupq_n_s8(a_v), b = vdupq_n_s8(b_v);
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& x : acc) {
      x = vmmlaq_s32(x, a, b);
    }
  }
  sink_chains(acc);
  return 2.0 * 32 * 8 * static_cast<double>(k_fma_iterations);
}
#endif

#if defined(__x86_64__)
// BF16 dot products (llama.cpp's BF16 weights on AVX512-BF16): VDPBF16PS adds 2 bf16 x bf16
// products into each of 16 FP32 lanes, 32 multiply-adds an instruction; 16 independent chains
// (its latency is longer than an FMA's).
__attribute__((target("avx512f,avx512bf16"))) double bf16_avx512() {
  __m512 acc[16];
  for (int k = 0; k < 16; ++k) {
    acc[k] = _mm512_set1_ps(static_cast<float>(k));
  }
  volatile float a_v = 0.5F, b_v = 1e-7F;
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(a_v), _mm512_set1_ps(a_v));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(b_v), _mm512_set1_ps(b_v));
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& x : acc) {
      x = _mm512_dpbf16_ps(x, a, b);
    }
  }
  sink_m512(acc, 16);
  return 2.0 * 32 * 16 * static_cast<double>(k_fma_iterations);
}
#endif

#if defined(__aarch64__)
// BFDOT (bf16, Armv8.6): 2 bf16 x bf16 products into each of 4 FP32 lanes, 8 multiply-adds an
// instruction, 8 independent chains.
__attribute__((target("arch=armv8.6-a+bf16"))) double bf16_neon_bfdot() {
  float32x4_t acc[8];
  for (int k = 0; k < 8; ++k) {
    acc[k] = vdupq_n_f32(static_cast<float>(k));
  }
  volatile float a_v = 0.5F, b_v = 1e-7F;
  const bfloat16x8_t a =
      vcombine_bf16(vcvt_bf16_f32(vdupq_n_f32(a_v)), vcvt_bf16_f32(vdupq_n_f32(a_v)));
  const bfloat16x8_t b =
      vcombine_bf16(vcvt_bf16_f32(vdupq_n_f32(b_v)), vcvt_bf16_f32(vdupq_n_f32(b_v)));
  for (long i = 0; i < k_fma_iterations; ++i) {
    for (auto& x : acc) {
      x = vbfdotq_f32(x, a, b);
    }
  }
  float32x4_t sum = acc[0];
  for (int k = 1; k < 8; ++k) {
    sum = vaddq_f32(sum, acc[k]);
  }
  g_sink.fetch_add(static_cast<std::uint64_t>(vgetq_lane_f32(sum, 0)), std::memory_order_relaxed);
  return 2.0 * 8 * 8 * static_cast<double>(k_fma_iterations);
}
#endif

#if defined(__x86_64__)
// AMX int8 (Sapphire Rapids and later; llama.cpp's AMX kernels for some quantized types):
// TDPBSSD multiplies a 16x64 s8 tile by a 64x16 one into 16x16 s32, 16 x 16 x 64 = 16384
// multiply-adds an instruction; 4 accumulator tiles are independent chains.
struct alignas(64) TileConfig {
  std::uint8_t palette = 1;
  std::uint8_t start_row = 0;
  std::uint8_t reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

// Linux keeps the AMX tile state off until a process asks for it (arch_prctl
// ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA, Linux 5.16 on); false when refused.
bool request_amx() {
  constexpr int k_arch_req_xcomp_perm = 0x1023;
  constexpr int k_xfeature_xtiledata = 18;
  return syscall(SYS_arch_prctl, k_arch_req_xcomp_perm, k_xfeature_xtiledata) == 0;
}

__attribute__((target("amx-tile,amx-int8"))) double amx_int8() {
  TileConfig config;
  for (int t = 0; t < 6; ++t) {
    config.rows[t] = 16;
    config.colsb[t] = 64;
  }
  _tile_loadconfig(&config);
  alignas(64) static thread_local std::int8_t a[16 * 64], b[16 * 64];
  std::fill_n(a, 16 * 64, std::int8_t{1});
  std::fill_n(b, 16 * 64, std::int8_t{2});
  _tile_loadd(4, a, 64);
  _tile_loadd(5, b, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  const long iterations = k_fma_iterations / 64;
  for (long i = 0; i < iterations; ++i) {
    _tile_dpbssd(0, 4, 5);
    _tile_dpbssd(1, 4, 5);
    _tile_dpbssd(2, 4, 5);
    _tile_dpbssd(3, 4, 5);
  }
  alignas(64) static thread_local std::int32_t c[16 * 16];
  _tile_stored(0, c, 64);
  _tile_release();
  g_sink.fetch_add(static_cast<std::uint64_t>(c[0]), std::memory_order_relaxed);
  return 2.0 * 16 * 16 * 64 * 4 * static_cast<double>(iterations);
}
#endif

// The AMX kernel the CPU has and the OS allows, nullptr when none is measured.
std::pair<double (*)(), const char*> pick_amx_kernel(const IsaFeatures& isa) {
#if defined(__x86_64__)
  if (isa.amx_int8 && request_amx()) {
    return {amx_int8, "amx-int8"};
  }
#endif
  (void)isa;
  return {nullptr, "none"};
}

// The BF16 dot-product kernel the CPU has, nullptr when none is measured.
std::pair<double (*)(), const char*> pick_bf16_kernel(const IsaFeatures& isa) {
#if defined(__x86_64__)
  if (isa.avx512_bf16) {
    return {bf16_avx512, "avx512-bf16"};
  }
#endif
#if defined(__aarch64__)
  if (isa.bf16) {
    return {bf16_neon_bfdot, "neon-bf16-bfdot"};
  }
#endif
  (void)isa;
  return {nullptr, "none"};
}

// The int8 dot-product kernel the CPU has, nullptr when none is measured (x86 without AVX2,
// arm64 without dotprod, other CPUs).
std::pair<double (*)(), const char*> pick_int8_kernel(const IsaFeatures& isa) {
#if defined(__x86_64__)
  if (isa.avx512_vnni) {
    return {int8_avx512_vnni, "avx512-vnni"};
  }
  if (isa.avx_vnni) {
    return {int8_avx_vnni, "avx-vnni"};
  }
  if (isa.avx2) {
    return {int8_avx2, "avx2-maddubs"};
  }
#endif
#if defined(__aarch64__)
  if (isa.i8mm) {
    return {int8_neon_smmla, "neon-i8mm-smmla"};
  }
  if (isa.dotprod) {
    return {int8_neon_sdot, "neon-dotprod-sdot"};
  }
#endif
  (void)isa;
  return {nullptr, "none"};
}

using FmaKernel = double (*)();

std::pair<FmaKernel, const char*> pick_kernel(const IsaFeatures& isa) {
#if defined(__x86_64__)
  if (isa.avx512f) {
    return {fma_avx512, "avx512f"};
  }
  if (isa.avx2 && isa.fma) {
    return {fma_avx2, "avx2-fma"};
  }
  return {fma_sse2, "sse2"};
#elif defined(__aarch64__)
  // ASIMD is architectural on arm64; the hwcap is still what decides (a kernel with it masked).
  if (isa.neon) {
    return {fma_neon, "neon-fma"};
  }
  return {fma_scalar, "scalar"};
#else
  (void)isa;
  return {fma_scalar, "scalar"};
#endif
}

// Runs `work(thread_index)` on `threads` threads; returns the wall time of the slowest.
template <typename Work>
double timed_parallel(int threads, const Work& work) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> seconds(static_cast<std::size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
        std::this_thread::yield();
      }
      const auto start = Clock::now();
      work(t);
      seconds[static_cast<std::size_t>(t)] =
          std::chrono::duration<double>(Clock::now() - start).count();
    });
  }
  while (ready.load() < threads) {
    std::this_thread::yield();
  }
  go.store(true, std::memory_order_release);
  for (auto& thread : pool) {
    thread.join();
  }
  return *std::max_element(seconds.begin(), seconds.end());
}

// Runs `kernel` (which returns the operations it did) once on each of `threads` threads;
// returns their operations per second of wall time.
double kernel_ops_per_s(int threads, double (*kernel)()) {
  std::atomic<double> ops{0};
  const double seconds = timed_parallel(threads, [&](int) {
    const double done = kernel();
    double old = ops.load();
    while (!ops.compare_exchange_weak(old, old + done)) {
    }
  });
  return ops.load() / seconds;
}

// The best of `figure` over `rows`.
double best_of(const std::vector<ThreadFigures>& rows, double ThreadFigures::*figure) {
  double best = 0;
  for (const auto& f : rows) {
    best = std::max(best, f.*figure);
  }
  return best;
}

std::uint64_t sysfs_cache(int level, bool data) {
  for (int index = 0; index < 8; ++index) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/", index);
    std::ifstream level_file(dir + "level"), type_file(dir + "type"), size_file(dir + "size");
    int found_level = 0;
    std::string type, size;
    if (!(level_file >> found_level) || !(type_file >> type) || !(size_file >> size)) {
      continue;
    }
    if (found_level == level && (type == "Unified" || (data && type == "Data"))) {
      return parse_cache_size(size).value_or(0);
    }
  }
  return 0;
}

std::uint64_t cache_bytes(int level) {
  std::uint64_t bytes = sysfs_cache(level, level == 1);
  if (bytes == 0) {
    const int name = level == 1   ? _SC_LEVEL1_DCACHE_SIZE
                     : level == 2 ? _SC_LEVEL2_CACHE_SIZE
                                  : _SC_LEVEL3_CACHE_SIZE;
    const long value = sysconf(name);
    bytes = value > 0 ? static_cast<std::uint64_t>(value) : 0;
  }
  return bytes;
}

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) {
        return line.substr(colon + 2);
      }
    }
  }
  return "unknown CPU";
}

// Physical cores: distinct (package, core) pairs in sysfs topology; 0 when sysfs is absent.
int physical_core_count(int logical) {
  std::vector<std::pair<int, int>> seen;
  for (int cpu = 0; cpu < logical; ++cpu) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu{}/topology/", cpu);
    std::ifstream package_file(dir + "physical_package_id"), core_file(dir + "core_id");
    int package = 0, core = 0;
    if (!(package_file >> package) || !(core_file >> core)) {
      return 0;
    }
    if (std::find(seen.begin(), seen.end(), std::make_pair(package, core)) == seen.end()) {
      seen.emplace_back(package, core);
    }
  }
  return static_cast<int>(seen.size());
}

std::string utc_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

}  // namespace

double ProbeResult::best_read_bytes_per_s() const {
  return best_of(per_thread, &ThreadFigures::read_bytes_per_s);
}

double ProbeResult::best_fp32_flops_per_s() const {
  return best_of(per_thread, &ThreadFigures::fp32_flops_per_s);
}

double ProbeResult::best_int8_ops_per_s() const {
  return best_of(per_thread, &ThreadFigures::int8_ops_per_s);
}

double ProbeResult::best_amx_int8_ops_per_s() const {
  return best_of(per_thread, &ThreadFigures::amx_int8_ops_per_s);
}

double ProbeResult::best_bf16_flops_per_s() const {
  return best_of(per_thread, &ThreadFigures::bf16_flops_per_s);
}

ProbeResult run_probe(const ProbeOptions& options) {
  ProbeResult r;
  r.quick = options.quick;
  r.date = utc_date();
  r.cpu_name = cpu_model_name();
  r.hardware_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (options.max_threads > 0) {
    r.hardware_threads = std::min(r.hardware_threads, options.max_threads);
  }
  const int logical = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  r.physical_cores = physical_core_count(logical);
  if (r.physical_cores == 0) {
    r.physical_cores = logical;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  r.memory_bytes = pages > 0 && page_size > 0 ? static_cast<double>(pages) * page_size : 0;
  r.l1d_bytes = cache_bytes(1);
  r.l2_bytes = cache_bytes(2);
  r.l3_bytes = cache_bytes(3);
  r.isa = detect_host_isa();
  const auto [kernel, fp32_name] = pick_kernel(r.isa);
  r.fp32_kernel = fp32_name;
  const auto [int8_kernel, int8_name] = pick_int8_kernel(r.isa);
  r.int8_kernel = int8_name;
  const auto [bf16_kernel, bf16_name] = pick_bf16_kernel(r.isa);
  r.bf16_kernel = bf16_name;
  const auto [amx_kernel, amx_name] = pick_amx_kernel(r.isa);
  r.amx_kernel = amx_name;

  // Far beyond the last-level cache: 8x LLC, at least 64 MiB (quick) or 256 MiB (thorough).
  const std::uint64_t llc = std::max({r.l3_bytes, r.l2_bytes, std::uint64_t{1} << 20});
  const std::uint64_t floor_bytes = options.quick ? (64ULL << 20) : (256ULL << 20);
  std::uint64_t bytes = std::max(8 * llc, floor_bytes);
  if (r.memory_bytes > 0) {
    bytes = std::min<std::uint64_t>(bytes, static_cast<std::uint64_t>(r.memory_bytes / 4));
  }
  const std::size_t words = bytes / sizeof(std::uint64_t);
  r.working_set_bytes = static_cast<double>(words * sizeof(std::uint64_t));
  r.passes = options.quick ? 3 : 8;
  auto buffer = std::make_unique<std::uint64_t[]>(words);
  std::fill_n(buffer.get(), words, std::uint64_t{1});  // fault every page in before timing

  const int steps = r.hardware_threads * r.passes;
  int step = 0;
  for (int threads = 1; threads <= r.hardware_threads; ++threads) {
    ThreadFigures f;
    f.threads = threads;
    const std::size_t slice = words / static_cast<std::size_t>(threads);
    for (int pass = 0; pass < r.passes; ++pass) {
      const double read_s = timed_parallel(threads, [&](int t) {
        read_slice(buffer.get() + static_cast<std::size_t>(t) * slice, slice);
      });
      f.read_bytes_per_s =
          std::max(f.read_bytes_per_s,
                   static_cast<double>(slice * threads * sizeof(std::uint64_t)) / read_s);
      f.fp32_flops_per_s = std::max(f.fp32_flops_per_s, kernel_ops_per_s(threads, kernel));
      if (int8_kernel != nullptr) {
        f.int8_ops_per_s = std::max(f.int8_ops_per_s, kernel_ops_per_s(threads, int8_kernel));
      }
      if (bf16_kernel != nullptr) {
        f.bf16_flops_per_s = std::max(f.bf16_flops_per_s, kernel_ops_per_s(threads, bf16_kernel));
      }
      if (amx_kernel != nullptr) {
        f.amx_int8_ops_per_s =
            std::max(f.amx_int8_ops_per_s, kernel_ops_per_s(threads, amx_kernel));
      }
      if (options.progress) {
        options.progress(static_cast<double>(++step) / steps);
      }
    }
    r.per_thread.push_back(f);
  }
  return r;
}

std::string probe_device_json(const ProbeResult& r) {
  nlohmann::ordered_json device;
  device["id"] = "host";
  device["vendor"] = "this machine";
  device["name"] = fmt::format("{} (measured by llmroof probe, {})", r.cpu_name, r.date);
  device["kind"] = "cpu";
  device["backend"] = "cpu";
  device["memory_sizes_gib"] = {std::max(1.0, std::round(r.memory_bytes / (1ULL << 30) * 10) / 10)};
  device["memory_bandwidth_gb_per_s"] = std::round(r.best_read_bytes_per_s() / 1e7) / 100;
  device["fp32_tflops"] = std::round(r.best_fp32_flops_per_s() / 1e7) / 1e5;
  if (r.best_int8_ops_per_s() > 0) {
    device["int8_tops"] = std::round(r.best_int8_ops_per_s() / 1e7) / 1e5;
  }
  if (r.best_bf16_flops_per_s() > 0) {
    device["bf16_tflops"] = std::round(r.best_bf16_flops_per_s() / 1e7) / 1e5;
  }
  if (!r.isa.cpu_isa().empty()) {
    device["cpu_isa"] = r.isa.cpu_isa();
  }
  device["cpu_cores"] = std::max(1, std::min(r.physical_cores, r.hardware_threads));
  device["cpu_threads"] = r.hardware_threads;
  device["memory_bandwidth_kind"] = "measured_sustained";
  device["fp32_kind"] = "measured_sustained";
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& f : r.per_thread) {
    rows.push_back({{"threads", f.threads},
                    {"read_gb_per_s", std::round(f.read_bytes_per_s / 1e7) / 100},
                    {"fp32_tflops", std::round(f.fp32_flops_per_s / 1e7) / 1e5}});
  }
  device["measured"] = {
      {"date", r.date},
      {"method",
       fmt::format("llmroof probe{}: streaming read of a {:.0f} MiB working set into 8 "
                   "independent accumulators per thread; {} FMA chains; int8 dot products: {}; "
                   "bf16 dot products: {}; AMX: {}{}; best of {} passes at each thread count",
                   r.quick ? " --quick" : "", r.working_set_bytes / (1 << 20), r.fp32_kernel,
                   r.int8_kernel, r.bf16_kernel, r.amx_kernel,
                   r.best_amx_int8_ops_per_s() > 0
                       ? fmt::format(" {:.1f} int8 TOPS (not int8_tops, which is the "
                                     "vector kernels' rate)",
                                     r.best_amx_int8_ops_per_s() / 1e12)
                       : std::string(),
                   r.passes)},
      {"per_thread", rows}};
  std::string per_thread;
  for (const auto& f : r.per_thread) {
    per_thread += fmt::format("{}{}: {:.2f} GB/s, {:.1f} GFLOP/s", per_thread.empty() ? "" : "; ",
                              f.threads, f.read_bytes_per_s / 1e9, f.fp32_flops_per_s / 1e9);
  }
  device["notes"] = fmt::format(
      "Measured (not vendor peaks) on {} by llmroof probe{}: memory_bandwidth_gb_per_s is the best "
      "sustained streaming read of a {:.0f} MiB working set (best of {} passes, 8 independent "
      "accumulators per thread); fp32_tflops is {} FMA throughput. ISA: {}. Caches: L1d {} KiB, "
      "L2 {} KiB, L3 {} KiB. Per thread count: {}.",
      r.date, r.quick ? " --quick" : "", r.working_set_bytes / (1 << 20), r.passes, r.fp32_kernel,
      r.isa.names(), r.l1d_bytes >> 10, r.l2_bytes >> 10, r.l3_bytes >> 10, per_thread);
  nlohmann::ordered_json doc;
  doc["schema_version"] = 1;
  doc["strict"] = false;
  doc["description"] = "This machine, measured by 'llmroof probe'.";
  doc["devices"] = nlohmann::ordered_json::array({device});
  return doc.dump(2) + "\n";
}

}  // namespace llmroof
