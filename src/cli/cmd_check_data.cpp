// llmroof check-data: validate data files (the shipped ones, or the files given).

#include <fmt/format.h>

#include "cli.hpp"
#include "llmroof/data/data_files.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof::cli {

namespace {

struct CheckDataOptions {
  std::vector<std::string> files;
};

void setup(CLI::App& sub, CheckDataOptions& o) {
  sub.add_option(
         "files", o.files,
         "Data files to check (devices, device sources, models, efficiency or links, told apart "
         "by their top-level key); default: every shipped file, devices cross-checked with "
         "their sources")
      ->type_name("FILE");
  sub.footer(
      "Examples:\n"
      "  llmroof check-data\n"
      "  llmroof check-data my-devices.json\n"
      "Exit code 1 and one 'file:line: /pointer: message' line per problem.");
}

int run(const CheckDataOptions& o, Context& context) {
  std::vector<std::filesystem::path> files(o.files.begin(), o.files.end());
  if (files.empty()) {
    const auto dir = context.data_dir();
    files = {dir / "devices.json", dir / "device-sources.json", dir / "models.json",
             dir / "efficiency.json", dir / "links.json"};
  }
  for (const auto& file : files) {
    const std::size_t entries = check_data_file(read_text_file(file), file.string());
    context.io().err << fmt::format("{}: ok ({} entries)\n", file.filename().string(), entries);
  }
  if (o.files.empty()) {
    // The shipped devices carry their sources in the companion file: one entry each.
    const auto dir = context.data_dir();
    check_device_sources(read_text_file(dir / "devices.json"), "devices.json",
                         read_text_file(dir / "device-sources.json"), "device-sources.json");
    context.io().err << "device-sources.json: every device has its sources\n";
  }
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_check_data(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<CheckDataOptions>();
  CLI::App* sub = parent.add_subcommand("check-data", "Validate llmroof data files");
  setup(*sub, *options);
  add_common_options(*sub, common, false);
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
