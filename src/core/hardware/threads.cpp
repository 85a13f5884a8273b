#include "llmroof/hardware/threads.hpp"

#include <algorithm>

namespace llmroof {

namespace {

// Linear interpolation of a measured rate at `threads` (clamped to the measured range).
template <typename Rate>
double measured_at(const std::vector<ThreadRates>& rows, double threads, Rate rate) {
  if (threads <= rows.front().threads) {
    return rate(rows.front());
  }
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (threads <= rows[i].threads) {
      const auto& a = rows[i - 1];
      const auto& b = rows[i];
      const double t = (threads - a.threads) / static_cast<double>(b.threads - a.threads);
      return rate(a) + t * (rate(b) - rate(a));
    }
  }
  return rate(rows.back());
}

}  // namespace

int default_threads(const Device& device, bool host_cpu) {
  if (host_cpu) {
    if (!device.cpu) {
      return 0;
    }
    return device.cpu->performance_cores > 0 ? device.cpu->performance_cores : device.cpu->cores;
  }
  if (device.cpu_performance_cores > 0) {
    return device.cpu_performance_cores;
  }
  return device.cpu_cores > 0 ? device.cpu_cores : device.cpu_threads;
}

ThreadScaling thread_scaling(const Device& device, bool host_cpu, int threads) {
  ThreadScaling s;
  s.threads = std::max(1, threads);
  s.cores = default_threads(device, host_cpu);
  const bool cpu = host_cpu || device.kind == DeviceKind::cpu;
  if (!cpu) {
    return s;
  }
  const auto& rows = device.measured_per_thread;
  if (!host_cpu && !rows.empty() && device.mem_bw_bytes_per_s > 0 &&
      device.peak(Precision::fp32) > 0) {
    s.from_measurement = true;
    const double n = s.threads;
    s.bandwidth_factor = std::min(1.0, measured_at(rows, n, [](const ThreadRates& r) {
                                         return r.read_bytes_per_s;
                                       }) / device.mem_bw_bytes_per_s);
    s.compute_factor = std::min(1.0, measured_at(rows, n, [](const ThreadRates& r) {
                                       return r.fp32_flops_per_s;
                                     }) / device.peak(Precision::fp32));
    return s;
  }
  if (s.cores <= 0) {
    return s;
  }
  s.compute_factor = static_cast<double>(std::min(s.threads, s.cores)) / s.cores;
  const double bandwidth = host_cpu && device.cpu && device.cpu->mem_bw_bytes_per_s > 0
                               ? device.cpu->mem_bw_bytes_per_s
                               : device.mem_bw_bytes_per_s;
  if (bandwidth > 0) {
    // Relative to the run on every core, so that threads == cores leaves the figures as they are.
    auto drawn = [&](int n) { return std::min(bandwidth, n * k_core_read_bytes_per_s); };
    s.bandwidth_factor = drawn(std::min(s.threads, s.cores)) / drawn(s.cores);
  }
  return s;
}

}  // namespace llmroof
