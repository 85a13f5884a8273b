// llmroof check-data: validate data files (the shipped ones, or the files given).

#include <fmt/format.h>

#include "cli.hpp"
#include "llmroof/data/data_files.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/report/listings.hpp"
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
      "Prints one row per file (entries) or per problem (line, field, message); exit code 1\n"
      "and one 'file:line: /pointer: message' line on stderr per problem.");
}

// Checks one file (or, with `sources_of`, the devices file against its sources file); a problem
// is kept in the findings, not thrown.
template <class Check>
DataFileCheck check_file(const std::string& name, Check check) {
  DataFileCheck result{name, std::nullopt, {}};
  try {
    result.entries = check();
  } catch (const DataError& e) {
    result.problems = e.messages();
  } catch (const Error& e) {
    result.problems = {e.what()};
  }
  return result;
}

int run(const CheckDataOptions& o, Context& context) {
  std::vector<std::filesystem::path> files(o.files.begin(), o.files.end());
  if (files.empty()) {
    const auto dir = context.data_dir();
    files = {dir / "devices.json", dir / "models.json", dir / "efficiency.json",
             dir / "links.json"};
  }
  std::vector<DataFileCheck> checks;
  for (const auto& file : files) {
    checks.push_back(check_file(
        file.string(), [&] { return check_data_file(read_text_file(file), file.string()); }));
  }
  if (o.files.empty()) {
    // The shipped devices carry their sources in the companion file: one entry each.
    const auto dir = context.data_dir();
    const auto sources = dir / "device-sources.json";
    checks.push_back(check_file(sources.string(), [&]() -> std::size_t {
      const std::string text = read_text_file(sources);
      const std::size_t entries = check_data_file(text, sources.string());
      check_device_sources(read_text_file(dir / "devices.json"), "devices.json", text,
                           "device-sources.json");
      return entries;
    }));
  }
  bool valid = true;
  for (const auto& check : checks) {
    for (const auto& problem : check.problems) {
      context.error(problem);
      valid = false;
    }
  }
  context.emit(check_data_report(checks));
  return static_cast<int>(valid ? ExitCode::ok : ExitCode::failure);
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
