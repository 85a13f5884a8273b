#pragma once

#include "llmroof/hardware/hardware.hpp"

namespace llmroof {

/// Per-core memory read rate a CPU core sustains on its own, bytes/s (Little's law: the misses
/// one core keeps in flight x 64 B / DRAM latency). 30 GB/s is what one core drew in the
/// calibration set's single- and two-thread F16 decode rows (Ryzen 9 7950X: 2.20 tok/s x 16.1 GB
/// at 1 thread = 35 GB/s, 3.63 tok/s at 2 threads = 29 GB/s per core), rounded down.
inline constexpr double k_core_read_bytes_per_s = 30e9;

/// Fraction of a measured sustained streaming read (llmroof probe, STREAM-like) that llama.cpp's
/// decode reaches on a CPU: the middle of the 0.82-0.95 range of F16 decode on plain x86 hosts
/// (issue 14). Replaces the class's vendor-peak efficiency when the bandwidth is measured.
inline constexpr double k_measured_read_efficiency = 0.88;

/// How `threads` threads change a CPU run's rates relative to the device's figures (which stand
/// for a run on every core). Factors are in (0, 1] for fewer threads than cores, 1 otherwise.
struct ThreadScaling {
  int threads = 0;                ///< threads asked for, >= 1
  int cores = 0;                  ///< performance cores the figures stand for (0 = unknown)
  double bandwidth_factor = 1;    ///< multiplies the memory bandwidth
  double compute_factor = 1;      ///< multiplies the FLOPS peaks
  bool from_measurement = false;  ///< factors read from the device's per-thread measurements
};

/// Cores the device's CPU figures stand for (default --threads), the cores llama.cpp's default
/// thread count uses: a hybrid CPU's performance cores (Apple's P-cores, Intel's P-cores; its
/// efficiency cores add nothing to a run on them), else cpu_cores, else cpu_threads, else the
/// host CPU block's cores; 0 when the device names none.
int default_threads(const Device& device, bool host_cpu);

/// Pure: the scaling of a CPU run on `threads` threads (>= 1). With per-thread measurements the
/// factors are the measured rates at `threads` (linear between measured counts, the last beyond)
/// over the device's figures. Otherwise compute scales with min(threads, cores) / cores (SMT
/// threads add no FMA units) and bandwidth with D(min(threads, cores)) / D(cores), where
/// D(n) = min(B, n x k_core_read_bytes_per_s): each core draws a fixed rate until the memory
/// system saturates at the device's bandwidth B.
ThreadScaling thread_scaling(const Device& device, bool host_cpu, int threads);

}  // namespace llmroof
