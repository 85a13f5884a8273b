// llmroof models: list the model catalog.

#include "cli.hpp"
#include "llmroof/report/listings.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof::cli {

namespace {

struct ModelsOptions {
  std::string query;
};

void setup(CLI::App& sub, ModelsOptions& o) {
  sub.add_option("query", o.query,
                 "Show only models whose id, alias, name or architecture contains QUERY")
      ->type_name("QUERY");
  sub.add_option("--search,-s", o.query, "Same as QUERY")->type_name("QUERY");
  sub.footer(
      "Examples:\n"
      "  llmroof models qwen\n"
      "  llmroof models --format json\n"
      "KV/token is the f16 KV cache of one token (MLA: the compressed latent).");
}

int run(const ModelsOptions& o, Context& context) {
  context.emit(models_report(context.models(), o.query));
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_models(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<ModelsOptions>();
  CLI::App* sub = parent.add_subcommand("models", "List the model catalog");
  setup(*sub, *options);
  add_common_options(*sub, common, false);
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
