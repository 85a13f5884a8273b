#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/report/render.hpp"

namespace llmroof::cli {

/// Process exit codes: 0 ok, 1 failure (data, model file, I/O), 2 usage (bad flags, unknown ids).
enum class ExitCode { ok = 0, failure = 1, usage = 2 };

/// The command line's name of request field `field` ("split_ratio" -> "--split-ratio") when
/// `command` (the chosen subcommand, or nullptr for any) has that option; else the placeholder
/// "{field}" as it was, so that braces in a file's or a user's text stay as they are.
std::string flag_name(const CLI::App* command, std::string_view field);

/// Streams and terminal facts of one invocation (tests pass string streams).
struct Io {
  std::ostream& out;
  std::ostream& err;
  bool out_is_tty = false;
  std::filesystem::path executable;
  /// Width of the table format in columns: $COLUMNS, else the terminal's, else 80 (see
  /// table_width); 0 = no limit.
  std::size_t table_columns = 0;
};

/// The table width for an invocation: `columns_env` ($COLUMNS) when it is a positive number,
/// else `tty_columns` (the terminal's width, 0 when stdout is not a terminal), else 80.
std::size_t table_width(const char* columns_env, std::size_t tty_columns);

/// Runs llmroof with `args` (args[0] is the program name). Returns the exit code.
int run(const std::vector<std::string>& args, Io& io);

/// Options every subcommand takes.
struct CommonOptions {
  std::string format_name;  ///< as given to --format (validated by CLI11); "" = not given
  /// The format without --format: the --output FILE's extension's (format_of_path; svg only
  /// for a command that draws charts, svg_by_extension), else the command's default.
  OutputFormat default_format = OutputFormat::table;
  bool svg_by_extension = false;
  OutputFormat format() const {
    if (!format_name.empty()) {
      return parse_output_format(format_name).value_or(OutputFormat::table);
    }
    if (const auto by_extension = format_of_path(output, svg_by_extension)) {
      return *by_extension;
    }
    return default_format;
  }
  std::string output = "-";
  std::string color = "auto";
  std::optional<std::string> data_dir;
  std::vector<std::string> device_files;
  std::vector<std::string> calibration_files;  ///< --calibration profiles (llmroof calibrate)
  bool wide = false;  ///< --wide: the table shows every column, whatever the width
};

/// Data and output shared by the subcommands; the data files are read on first use.
class Context {
 public:
  Context(Io& io, const CommonOptions& common, const CLI::App* command = nullptr)
      : m_io(io), m_common(common), m_command(command) {}
  Io& io() { return m_io; }
  const CommonOptions& common() const { return m_common; }
  /// The run's data: the compiled-in tables, or the files of --data-dir / $LLMROOF_DATA_DIR,
  /// plus --device-file and --calibration.
  const Database& database();
  const DeviceDb& devices() { return database().devices(); }
  /// devices() with every device's sources, notes and verification (listings need them).
  void attach_device_sources() { database().devices_with_sources(); }
  const ModelCatalog& models() { return database().models(); }
  const EfficiencyTable& efficiency() { return database().efficiency(); }
  /// The data directory on disk (check-data validates its files): --data-dir, else
  /// $LLMROOF_DATA_DIR, else the installed data, else the source tree's.
  std::filesystem::path data_dir();
  /// A shipped file only some commands read (calibration-aliases.json): from --data-dir or
  /// $LLMROOF_DATA_DIR when given, else the compiled-in copy.
  NamedText shipped_text(const std::string& name) const;
  /// Renders `report` in the chosen format to stdout or --output; warnings go to stderr.
  /// Request fields the report names (`{field}`) are written as the command's flags.
  /// `chart_title` titles the svg format's chart (see RenderOptions::chart_title).
  void emit(const Report& report, std::string_view chart_title = {});
  /// Prints "llmroof: warning: <warning>" to stderr, its `{field}`s written as the flags.
  void warning(const std::string& warning);
  /// Prints "llmroof: error: <message>" to stderr (a failure reported after the output).
  void error(const std::string& message);
  /// flag_name for the chosen subcommand.
  std::string flag(std::string_view field) const { return flag_name(m_command, field); }
  /// Writes `text` to stdout or --output (appended to the file when `append`).
  void write_output(std::string_view text, bool append = false);
  /// Registers a file the command reads, so that no output (--output, --profile) overwrites it.
  void add_input(const std::filesystem::path& path);
  /// Throws UsageError when `path` is one of the run's input files (see add_input); `what`
  /// names the output's option.
  void check_output(const std::string& path, std::string_view what) const;

 private:
  Io& m_io;
  const CommonOptions& m_common;
  const CLI::App* m_command = nullptr;
  std::optional<std::filesystem::path> m_data_dir;
  std::optional<Database> m_database;
  std::vector<std::filesystem::path> m_inputs;  ///< files the command reads (add_input)
  std::string m_written;                        ///< what write_output put in --output so far
};

/// A registered subcommand: its CLI11 app and what runs when it is chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<int(Context&)> run;
};

/// Adds --format, --output, --color, --data-dir (and --device-file and --calibration when
/// `devices`) to `app`; `charts` adds svg to the formats.
void add_common_options(CLI::App& app, CommonOptions& common, bool devices, bool charts = false);

// One function per subcommand file (cmd_<name>.cpp).
Command add_estimate(CLI::App& parent, CommonOptions& common);
Command add_devices(CLI::App& parent, CommonOptions& common);
Command add_models(CLI::App& parent, CommonOptions& common);
Command add_quants(CLI::App& parent, CommonOptions& common);
Command add_check_data(CLI::App& parent, CommonOptions& common);
Command add_inspect(CLI::App& parent, CommonOptions& common);
Command add_sweep(CLI::App& parent, CommonOptions& common);
Command add_calibrate(CLI::App& parent, CommonOptions& common);
Command add_validate(CLI::App& parent, CommonOptions& common);
Command add_probe(CLI::App& parent, CommonOptions& common);
Command add_chart(CLI::App& parent, CommonOptions& common);
Command add_completion(CLI::App& parent, CommonOptions& common);
Command add_man(CLI::App& parent, CommonOptions& common);

}  // namespace llmroof::cli
