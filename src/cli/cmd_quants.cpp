// llmroof quants: list the weight formats --quant accepts.

#include <fmt/format.h>

#include "cli.hpp"
#include "llmroof/report/listings.hpp"
#include "llmroof/util/errors.hpp"
#include "model_args.hpp"

namespace llmroof::cli {

namespace {

struct QuantsOptions {
  std::string query;
  std::string model = "llama-3.1-8b";
};

void setup(CLI::App& sub, QuantsOptions& o) {
  sub.add_option("query", o.query, "Show only formats whose name or description contains QUERY")
      ->type_name("QUERY");
  sub.add_option("--search,-s", o.query, "Same as QUERY")->type_name("QUERY");
  sub.add_option("--model,-m", o.model,
                 "Model whose tensors size the presets (a preset mixes types per tensor)")
      ->type_name("MODEL")
      ->default_str("llama-3.1-8b");
  sub.footer(
      "Examples:\n"
      "  llmroof quants\n"
      "  llmroof quants q4 --model qwen2.5-7b\n"
      "  llmroof quants --format csv");
}

int run(const QuantsOptions& o, Context& context) {
  const ModelChoice model = resolve_model(context, o.model, std::string("fp16"));
  context.emit(quants_report(model.input.spec, o.query));
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_quants(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<QuantsOptions>();
  CLI::App* sub = parent.add_subcommand(
      "quants", "List weight formats (--quant) with their bits per weight, and KV-cache types");
  setup(*sub, *options);
  add_common_options(*sub, common, false);
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
