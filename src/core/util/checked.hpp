#pragma once

// Overflow-checked arithmetic on unsigned 64-bit sizes, counts and offsets read from files.

#include <cstdint>
#include <initializer_list>
#include <optional>

namespace llmroof {

/// a * b, or nullopt when the product does not fit in 64 bits.
inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

/// a + b, or nullopt when the sum does not fit in 64 bits.
inline std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) {
    return std::nullopt;
  }
  return out;
}

/// The product of every factor (1 for none), or nullopt when any partial product overflows.
inline std::optional<std::uint64_t> checked_product(std::initializer_list<std::uint64_t> factors) {
  std::uint64_t out = 1;
  for (const std::uint64_t f : factors) {
    if (__builtin_mul_overflow(out, f, &out)) {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace llmroof
