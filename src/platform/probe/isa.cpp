// Run-time ISA detection: pure decoding of raw CPUID/hwcap words (unit-tested with faked
// values) and the host readers that fetch them.

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <string>

#include "llmroof/platform/probe.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace llmroof {

namespace {
bool bit(std::uint64_t word, int index) { return ((word >> index) & 1U) != 0; }
}  // namespace

IsaFeatures detect_x86_isa(const CpuidWords& w) {
  IsaFeatures f;
  f.sse2 = bit(w.leaf1_edx, 26);
  const bool osxsave = bit(w.leaf1_ecx, 27);
  // The OS must save the wide registers on context switch (XCR0), else the unit is unusable.
  const bool os_ymm = osxsave && (w.xcr0 & 0x6U) == 0x6U;
  const bool os_zmm = os_ymm && (w.xcr0 & 0xE0U) == 0xE0U;
  const bool os_amx = osxsave && (w.xcr0 & 0x60000U) == 0x60000U;
  f.avx = os_ymm && bit(w.leaf1_ecx, 28);
  f.fma = f.avx && bit(w.leaf1_ecx, 12);
  f.avx2 = f.avx && bit(w.leaf7_ebx, 5);
  f.avx_vnni = f.avx2 && bit(w.leaf7_1_eax, 4);
  f.avx512f = os_zmm && bit(w.leaf7_ebx, 16);
  f.avx512_vnni = f.avx512f && bit(w.leaf7_ecx, 11);
  f.avx512_bf16 = f.avx512f && bit(w.leaf7_1_eax, 5);
  f.amx_tile = os_amx && bit(w.leaf7_edx, 24);
  f.amx_bf16 = f.amx_tile && bit(w.leaf7_edx, 22);
  f.amx_int8 = f.amx_tile && bit(w.leaf7_edx, 25);
  return f;
}

IsaFeatures detect_arm_isa(std::uint64_t hwcap, std::uint64_t hwcap2) {
  // Linux arch/arm64/include/uapi/asm/hwcap.h: HWCAP_ASIMD 1<<1, HWCAP_ASIMDDP 1<<20,
  // HWCAP_SVE 1<<22; HWCAP2_I8MM 1<<13, HWCAP2_BF16 1<<14, HWCAP2_SME 1<<23.
  IsaFeatures f;
  f.neon = bit(hwcap, 1);
  f.dotprod = bit(hwcap, 20);
  f.sve = bit(hwcap, 22);
  f.i8mm = bit(hwcap2, 13);
  f.bf16 = bit(hwcap2, 14);
  f.sme = bit(hwcap2, 23);
  return f;
}

std::string IsaFeatures::names() const {
  const std::pair<bool, const char*> all[] = {{sse2, "sse2"},
                                              {avx, "avx"},
                                              {avx2, "avx2"},
                                              {fma, "fma"},
                                              {avx_vnni, "avx-vnni"},
                                              {avx512f, "avx512f"},
                                              {avx512_vnni, "avx512-vnni"},
                                              {avx512_bf16, "avx512-bf16"},
                                              {amx_tile, "amx-tile"},
                                              {amx_bf16, "amx-bf16"},
                                              {amx_int8, "amx-int8"},
                                              {neon, "neon"},
                                              {dotprod, "dotprod"},
                                              {i8mm, "i8mm"},
                                              {bf16, "bf16"},
                                              {sve, "sve"},
                                              {sme, "sme"}};
  std::string out;
  for (const auto& [present, name] : all) {
    if (present) {
      out += out.empty() ? "" : " ";
      out += name;
    }
  }
  return out;
}

std::string IsaFeatures::cpu_isa() const {
  if (amx_tile) {
    return "x86-amx";
  }
  if (avx512f) {
    return "x86-avx512";
  }
  if (avx2) {
    return "x86-avx2";
  }
  if (sse2) {
    return "x86-sse";
  }
  // Only the devices.json cpu_isa values: SVE first (llama.cpp's SVE kernels), then i8mm, dotprod.
  if (sve) {
    return "arm64-sve";
  }
  if (neon) {
    return i8mm ? "arm64-neon-i8mm" : dotprod ? "arm64-neon-dotprod" : "arm64-neon";
  }
  return "";
}

IsaFeatures detect_host_isa() {
#if defined(__x86_64__) || defined(__i386__)
  CpuidWords w;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d) != 0) {
    w.leaf1_ecx = c;
    w.leaf1_edx = d;
  }
  if (__get_cpuid_max(0, nullptr) >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    w.leaf7_ebx = b;
    w.leaf7_ecx = c;
    w.leaf7_edx = d;
    __cpuid_count(7, 1, a, b, c, d);
    w.leaf7_1_eax = a;
  }
  if (bit(w.leaf1_ecx, 27)) {
    std::uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    w.xcr0 = (static_cast<std::uint64_t>(hi) << 32) | lo;
  }
  return detect_x86_isa(w);
#elif defined(__aarch64__) && defined(__linux__)
  return detect_arm_isa(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
#else
  return {};
#endif
}

std::optional<std::uint64_t> parse_cache_size(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  std::uint64_t value = 0;
  std::size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0; ++i) {
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (i == 0 || i + 1 < text.size()) {
    return std::nullopt;
  }
  if (i == text.size()) {
    return value;
  }
  switch (text[i]) {
    case 'K':
      return value << 10;
    case 'M':
      return value << 20;
    case 'G':
      return value << 30;
    default:
      return std::nullopt;
  }
}

}  // namespace llmroof
