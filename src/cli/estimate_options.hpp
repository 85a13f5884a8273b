#pragma once

// The option table of `llmroof estimate`, shared with the charts that draw estimates
// (llmroof chart roofline|compare).

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "engine_options.hpp"
#include "llmroof/app/estimate_request.hpp"

namespace llmroof::cli {

/// What estimate's options parse into (see setup_estimate_options for each flag).
struct EstimateCliOptions {
  EngineCliOptions engine;
  std::string model;
  std::optional<std::string> quant;
  std::string devices;
  int batch = 1;
  long long context = 0;
  long long prompt = 512;
  long long generate = 128;
  std::string sort = "tokens_per_s";
  std::optional<double> power_w;
  std::optional<double> price_per_hour;
  std::vector<std::string> show;
  std::string explain;  ///< --explain's row (device id); "" = the first row
  // Device groups.
  int count = 1;
  std::optional<std::string> split;
  std::optional<std::string> split_ratio;
  std::optional<std::string> link;
  // Partial offload.
  std::optional<std::string> gpu_layers;
  std::optional<std::string> host;
  bool cpu_moe = false;
  // Speculative decoding.
  std::optional<std::string> draft;
  std::optional<std::string> draft_quant;
  int draft_tokens = 8;
  std::optional<double> acceptance;
};

/// Adds estimate's options (model, devices, batch, context, groups, offload, speculative
/// decoding, engine options) and its examples footer to `sub`.
void setup_estimate_options(CLI::App& sub, EstimateCliOptions& o);

/// The core request of the parsed options; `sub` tells which flags were given.
EstimateRequest make_estimate_request(const EstimateCliOptions& o, const CLI::App& sub);

}  // namespace llmroof::cli
