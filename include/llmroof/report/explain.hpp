#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/report/report.hpp"

namespace llmroof {

/// One line of a worked calculation: what it is, how it is computed (with the numbers), and
/// its value in base units.
struct ExplainStep {
  std::string section;  ///< "decode roof", "decode engine", "prefill roof", "band", ...
  std::string id;       ///< stable snake_case id within its section ("memory_seconds")
  std::string label;    ///< for people ("memory time")
  std::string formula;  ///< the calculation with its numbers ("3.5 GB / 1935 GB/s")
  /// The value in base units; nullopt for a line that states a fact (the bound, a source).
  std::optional<double> value;
  /// Unit id of value: bytes, bytes_per_s, flops, flops_per_s, seconds, tokens_per_s, tokens,
  /// ratio, count, log_ratio; "" for a text line.
  std::string unit;
  std::string text;             ///< a text line's content ("memory-bound"); "" for a number
  std::optional<double> share;  ///< share of its step (engine terms), [0, 1]
};

/// The worked calculation behind one estimate row.
struct Explanation {
  std::string row;      ///< the row explained ("a100-80gb-pcie")
  std::string subject;  ///< "<model> <quant> on <device>"
  std::vector<ExplainStep> steps;
};

/// `value` in `unit` written for people (decimal prefixes as the source articles use them:
/// GB, GB/s, TFLOP/s; seconds in us/ms/s; ratios as numbers).
std::string explain_value_text(double value, const std::string& unit);

/// The explanation as a report (command "estimate", rows under "explain": section, id, label,
/// formula, value, unit, shown, share; document fields row and subject), ready for any renderer.
Report explanation_report(const Explanation& explanation);

}  // namespace llmroof
