// llmroof inspect: what llmroof reads from a model file.

#include "cli.hpp"
#include "llmroof/app/inspect_request.hpp"
#include "model_args.hpp"

namespace llmroof::cli {

namespace {

struct InspectOptions {
  std::string file;
};

void setup(CLI::App& sub, InspectOptions& o) {
  sub.add_option("file", o.file,
                 "A Hugging Face config.json, a directory holding one, or a .gguf file (every "
                 "part of a split model is read)")
      ->type_name("FILE")
      ->required();
  sub.footer(
      "Examples:\n"
      "  llmroof inspect models/Llama-3.1-8B/config.json\n"
      "  llmroof inspect Qwen3-30B-A3B-Q4_K_M.gguf --format json\n"
      "GGUF files are read from their header alone: bytes per tensor come from the ggml type\n"
      "table, never from the tensor data.");
}

InspectRequest make_request(const InspectOptions& o) { return {model_argument(o.file)}; }

int run(const InspectOptions& o, Context& context) {
  context.add_input(o.file);
  context.emit(run_inspect(make_request(o)));
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_inspect(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* sub = parent.add_subcommand(
      "inspect", "Show what llmroof reads from a config.json or GGUF model file");
  setup(*sub, *options);
  add_common_options(*sub, common, false);
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
