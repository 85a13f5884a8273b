#include "model_args.hpp"

#include "llmroof/platform/model_source.hpp"

namespace llmroof::cli {

ModelArgument model_argument(const std::string& text) {
  ModelArgument argument{text, {}};
  if (auto files = open_model_files(text)) {
    argument.files = std::move(*files);
  }
  return argument;
}

ModelChoice resolve_model(Context& context, const std::string& model_arg,
                          const std::optional<std::string>& quant_arg) {
  return llmroof::resolve_model(context.database(), model_argument(model_arg), quant_arg);
}

}  // namespace llmroof::cli
