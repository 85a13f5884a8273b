#pragma once

/// Unit factors. Inside llmroof every quantity is in SI base units (bytes, seconds,
/// FLOP/s, bytes/s); these factors convert datasheet and display units, once, at the edges.
namespace llmroof::units {

inline constexpr double k_kilo = 1e3;
inline constexpr double k_mega = 1e6;
inline constexpr double k_giga = 1e9;
inline constexpr double k_tera = 1e12;
inline constexpr double k_peta = 1e15;

/// Decimal bytes: GB/s on datasheets are 10^9 bytes per second.
inline constexpr double k_gb = 1e9;
/// Binary bytes: device memory sizes ("24 GB" VRAM, "64 GB" unified memory) are GiB.
inline constexpr double k_kib = 1024.0;
inline constexpr double k_mib = 1024.0 * 1024.0;
inline constexpr double k_gib = 1024.0 * 1024.0 * 1024.0;

}  // namespace llmroof::units
