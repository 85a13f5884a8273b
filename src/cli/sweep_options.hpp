#pragma once

// The option table of `llmroof sweep`, shared with `llmroof chart sweep`.

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "engine_options.hpp"
#include "llmroof/app/sweep_request.hpp"

namespace llmroof::cli {

/// What sweep's options parse into (see setup_sweep_options for each flag).
struct SweepCliOptions {
  EngineCliOptions engine;
  std::string model;
  std::optional<std::string> quant;
  std::string device;
  std::string batch = "1";
  std::string context = "0";
  std::optional<std::string> parallel;
  std::optional<long long> prompt;
  std::optional<long long> generate;
  bool chart = false;
  std::vector<std::string> show;
};

/// Adds sweep's options (model, device, batch and context lists, --parallel, prompt, generate,
/// engine options, --chart, --show) and its examples footer to `sub`.
void setup_sweep_options(CLI::App& sub, SweepCliOptions& o);

/// The core request of the parsed options, in the context's output format.
SweepRequest make_sweep_request(const SweepCliOptions& o, const Context& context);

}  // namespace llmroof::cli
