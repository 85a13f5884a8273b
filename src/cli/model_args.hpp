#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof::cli {

/// A --model / --quant pair resolved to an architecture and its weights, with what was assumed.
struct ModelChoice {
  ModelInput input;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

/// Resolves --model (catalog id or alias, shorthand size such as "70b", or a model file) and
/// --quant (default: the file's own types, else the model's published dtype, else fp16).
/// Throws UsageError with suggestions for unknown names.
ModelChoice resolve_model(Context& context, const std::string& model_arg,
                          const std::optional<std::string>& quant_arg);

/// Looks up a --quant name; throws UsageError with suggestions when unknown.
Quant require_quant(const std::string& name);

}  // namespace llmroof::cli
