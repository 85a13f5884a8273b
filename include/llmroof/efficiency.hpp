#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llmroof/hardware.hpp"
#include "llmroof/roofline.hpp"

namespace llmroof {

/// How far a real engine (llama.cpp-like) stays below the roofline, for one class of device and
/// backend. Realistic decode step =
///   max(bytes / (decode_bw_efficiency * bandwidth), flops / (prefill_flops_efficiency * peak))
///   + layers * decode_per_layer_s + decode_per_token_s.
/// Realistic prefill = max(flops / (prefill_flops_efficiency * peak), bytes / bandwidth)
///   + prefill_fixed_s.
/// The range is the estimate times exp(-/+ spread), spread being the 90th percentile of the
/// class's absolute log residuals.
struct EfficiencyClass {
  std::string id;                         ///< "apple-gpu", "nvidia-gpu", "cpu-x86", ...
  std::string description;
  double decode_bw_efficiency = 1;        ///< (0, 1]
  double decode_per_token_s = 0;          ///< >= 0
  double decode_per_layer_s = 0;          ///< >= 0
  double prefill_flops_efficiency = 1;    ///< (0, 1]
  double prefill_fixed_s = 0;             ///< >= 0
  double decode_log_spread = 0;           ///< >= 0, natural-log units
  double prefill_log_spread = 0;          ///< >= 0
  int fitted_rows = 0;                    ///< calibration rows behind the figures (0: constants)
  std::string basis;                      ///< what the figures rest on
};

/// The table of classes (data/efficiency.json).
struct EfficiencyTable {
  int schema_version = 0;
  std::string description;
  std::vector<EfficiencyClass> classes;
};

/// Parses and validates an efficiency table; throws DataError.
EfficiencyTable parse_efficiency(std::string_view text, const std::string& display_name);

/// Class id for `device` running `backend` ("" = the device's usual backend):
/// apple-gpu, nvidia-gpu, amd-gpu, intel-gpu, other-gpu, cpu-x86, cpu-arm, cpu-other.
std::string efficiency_class_id(const Device& device, std::string_view backend);

/// The class `id` of `table`, or the "default" class; nullptr when neither exists.
const EfficiencyClass* find_efficiency_class(const EfficiencyTable& table, std::string_view id);

/// Realistic decode step seconds for an ideal `step` of a model with `layers` layers.
double realistic_decode_seconds(const EfficiencyClass& cls, const DecodeStep& step, int layers,
                                const Roofs& roofs);

/// Realistic prefill seconds for an ideal `prefill`.
double realistic_prefill_seconds(const EfficiencyClass& cls, const PrefillResult& prefill,
                                 const Roofs& roofs);

}  // namespace llmroof
