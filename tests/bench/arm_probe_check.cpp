// Cross-compiled check of the probe's arm64 timing kernels (run under qemu-aarch64, where the
// timings mean nothing): every kernel the hwcaps select runs, and the int8 ones do the number
// of multiply-adds they claim (their exact integer result is checked). See arm_probe_check.sh.
// It compiles the probe's sources into itself to reach the kernels in their anonymous namespace.

#include <cstdio>

#include "../../src/platform/probe/isa.cpp"
#include "../../src/platform/probe/measure.cpp"

namespace {
int failures = 0;

// Runs `kernel` once; `macs_per_lane_per_op` > 0: check the exact int8 result in g_sink.
void check(const char* name, double (*kernel)(), double ops_per_iteration,
           std::uint64_t macs_per_lane_per_op) {
  using namespace llmroof;
  g_sink.store(0);
  const auto start = Clock::now();
  const double ops = kernel();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double want_ops = ops_per_iteration * static_cast<double>(k_fma_iterations);
  bool ok = ops == want_ops;
  std::string detail;
  if (macs_per_lane_per_op > 0) {
    // Lane 0 of chains k = 0..7: k + 2 x macs_per_lane x iterations; summed: 28 + 8 x that.
    const std::uint64_t want_sum =
        28 + 8 * 2 * macs_per_lane_per_op * static_cast<std::uint64_t>(k_fma_iterations);
    ok = ok && g_sink.load() == want_sum;
    detail = fmt::format(", lane sum {} (want {})", g_sink.load(), want_sum);
  }
  std::printf("%-20s %s: %.0f ops (want %.0f)%s, %.3f s\n", name, ok ? "ok  " : "FAIL", ops,
              want_ops, detail.c_str(), seconds);
  failures += ok ? 0 : 1;
}
}  // namespace

int main() {
  using namespace llmroof;
  const IsaFeatures isa = detect_host_isa();
  std::printf("hwcap %#llx hwcap2 %#llx: %s (cpu_isa %s)\n",
              static_cast<unsigned long long>(getauxval(AT_HWCAP)),
              static_cast<unsigned long long>(getauxval(AT_HWCAP2)), isa.names().c_str(),
              isa.cpu_isa().c_str());
  // FMLA: 8 chains x 4 lanes x 2 FLOPs.
  check("fma_neon", fma_neon, 2.0 * 4 * 8, 0);
  if (isa.dotprod) {
    // SDOT: 4 products per 32-bit lane; 16 per instruction; 8 chains x 2 ops.
    check("int8_neon_sdot", int8_neon_sdot, 2.0 * 16 * 8, 4);
  }
  if (isa.i8mm) {
    // SMMLA: each of the 2x2 s32 results sums 8 products; 32 per instruction.
    check("int8_neon_smmla", int8_neon_smmla, 2.0 * 32 * 8, 8);
  }
  if (isa.bf16) {
    // BFDOT: 2 products per FP32 lane, 4 lanes; 8 chains x 2 FLOPs.
    check("bf16_neon_bfdot", bf16_neon_bfdot, 2.0 * 8 * 8, 0);
  }
  const auto fp32 = pick_kernel(isa);
  const auto int8 = pick_int8_kernel(isa);
  const auto bf16 = pick_bf16_kernel(isa);
  std::printf("selected: fp32 %s, int8 %s, bf16 %s\n", fp32.second, int8.second, bf16.second);
  ProbeOptions options;
  options.quick = true;
  options.max_threads = 1;
  const ProbeResult r = run_probe(options);
  std::printf(
      "run_probe --quick, 1 thread: read %.2f GB/s, fp32 %.2f GFLOP/s, int8 %.2f GOP/s "
      "(%s, %s; qemu: the figures mean nothing)\n",
      r.per_thread[0].read_bytes_per_s / 1e9, r.per_thread[0].fp32_flops_per_s / 1e9,
      r.per_thread[0].int8_ops_per_s / 1e9, r.fp32_kernel.c_str(), r.int8_kernel.c_str());
  const bool picked = r.bf16_kernel == (isa.bf16 ? "neon-bf16-bfdot" : "none") &&
                      (isa.bf16 ? r.per_thread[0].bf16_flops_per_s > 0 : true) &&
                      r.fp32_kernel == "neon-fma" &&
                      r.int8_kernel == (isa.i8mm      ? "neon-i8mm-smmla"
                                        : isa.dotprod ? "neon-dotprod-sdot"
                                                      : "none");
  failures += picked && r.per_thread[0].fp32_flops_per_s > 0 ? 0 : 1;
  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
