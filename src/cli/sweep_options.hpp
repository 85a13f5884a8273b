#pragma once

// The option table of `llmroof sweep`, shared with `llmroof chart sweep`.

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "engine_options.hpp"
#include "llmroof/report/chart.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/report/svg_roofline.hpp"

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

/// One device's sweep: the report (sparkline_title names model, quant and device), its bars
/// for --chart, and its points on the device's roofline.
struct SweepOutcome {
  Report report;
  BarChart bars;
  RooflineChart roofline;
  std::string title;  ///< "<model> <quant>"
};

/// Runs the sweep `o` asks for on the one device `device_spec` names (o.device is ignored).
SweepOutcome run_sweep_options(const SweepCliOptions& o, Context& context,
                               const std::string& device_spec);

}  // namespace llmroof::cli
