// llmroof devices: list the hardware database.

#include <fmt/format.h>

#include "cli.hpp"
#include "llmroof/report/listings.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof::cli {

namespace {

struct DevicesOptions {
  std::string query;
};

void setup(CLI::App& sub, DevicesOptions& o) {
  sub.add_option("query", o.query,
                 "Show only devices whose id, alias, name, vendor, kind or segment contains "
                 "the words of QUERY (whole words: m4 is not SXM4; case, spaces, dashes and "
                 "dots ignored), or the device QUERY names")
      ->type_name("QUERY");
  sub.add_option("--search,-s", o.query, "Same as QUERY")->type_name("QUERY");
  sub.footer(
      "Examples:\n"
      "  llmroof devices apple\n"
      "  llmroof devices 4090 --format json\n"
      "  llmroof devices laptop --format csv\n"
      "Table shows the largest memory configuration; JSON/CSV add every field with sources.");
}

int run(const DevicesOptions& o, Context& context) {
  context.attach_device_sources();
  const Report report = devices_report(context.devices(), o.query);
  if (report.rows.empty()) {
    // An empty table would read as an empty database.
    throw Error(
        fmt::format("no device matches '{}' (list them all with 'llmroof devices')", o.query));
  }
  context.emit(report);
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_devices(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<DevicesOptions>();
  CLI::App* sub = parent.add_subcommand("devices", "List the hardware database");
  setup(*sub, *options);
  add_common_options(*sub, common, true);
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
