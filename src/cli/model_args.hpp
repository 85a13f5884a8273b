#pragma once

#include <optional>
#include <string>

#include "cli.hpp"
#include "llmroof/app/model_choice.hpp"

namespace llmroof::cli {

/// --model as the core takes it: the text, and the files it names when it is a path.
ModelArgument model_argument(const std::string& text);

/// Resolves --model and --quant against the run's database (see llmroof::resolve_model).
ModelChoice resolve_model(Context& context, const std::string& model_arg,
                          const std::optional<std::string>& quant_arg);

}  // namespace llmroof::cli
