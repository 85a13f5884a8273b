#include "cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string_view>
#include <utility>

#include "llmroof/platform/data_dir.hpp"
#include "llmroof/platform/load_database.hpp"
#include "llmroof/platform/output_file.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/numbers.hpp"
#include "llmroof/util/text.hpp"
#include "llmroof/version.hpp"

namespace llmroof::cli {

namespace {

bool color_wanted(const std::string& mode, bool tty) {
  if (mode == "never") {
    return false;
  }
  if (mode == "always") {
    return true;
  }
  if (const char* no_color = std::getenv("NO_COLOR"); no_color != nullptr && *no_color != '\0') {
    return false;
  }
  if (const char* force = std::getenv("CLICOLOR_FORCE");
      force != nullptr && *force != '\0' && std::string(force) != "0") {
    return true;
  }
  const char* term = std::getenv("TERM");
  return tty && !(term != nullptr && std::string(term) == "dumb");
}

// Word-wraps option descriptions so that help lines stay within 80 columns (CLI11's formatter
// indents every line after a '\n').
class WrappingFormatter : public CLI::Formatter {
 public:
  std::string make_option_desc(const CLI::Option* option) const override {
    const std::string text = CLI::Formatter::make_option_desc(option);
    const std::size_t width = 80 - get_column_width();
    std::string wrapped;
    std::size_t line = 0;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find(' ', start);
      if (end == std::string::npos) {
        end = text.size();
      }
      const std::string_view word(text.data() + start, end - start);
      if (line > 0 && line + 1 + word.size() > width) {
        wrapped += '\n';
        line = 0;
      } else if (line > 0) {
        wrapped += ' ';
        ++line;
      }
      wrapped += word;
      line += word.size();
      start = end + 1;
    }
    return wrapped;
  }
};

// Messages quote names from model and device files: their control characters are escaped.
void print_error(std::ostream& err, const std::string& message) {
  err << "llmroof: error: " << terminal_safe(message, true) << '\n';
}

}  // namespace

std::string flag_name(const CLI::App* command, std::string_view field) {
  std::string flag = "--" + std::string(field);
  std::replace(flag.begin() + 2, flag.end(), '_', '-');
  if (command != nullptr && command->get_option_no_throw(flag) == nullptr) {
    return "{" + std::string(field) + "}";
  }
  return flag;
}

std::size_t table_width(const char* columns_env, std::size_t tty_columns) {
  if (columns_env != nullptr) {
    const auto parsed = parse_double(columns_env);
    if (parsed.status == NumberStatus::ok && parsed.value >= 1 && parsed.value <= 100000 &&
        parsed.value == std::floor(parsed.value)) {
      return static_cast<std::size_t>(parsed.value);
    }
  }
  return tty_columns > 0 ? tty_columns : 80;
}

void add_common_options(CLI::App& app, CommonOptions& common, bool devices, bool charts) {
  std::vector<std::string> formats = {"table", "md", "markdown", "csv", "json", "jsonl"};
  if (charts) {
    formats.emplace_back("svg");
  }
  app.add_option("--format,-f", common.format_name,
                 charts ? "Output format: table (people, scaled units), md, csv, json or jsonl "
                          "(scripts, base units: bytes, seconds, tokens/s), or svg (the chart; "
                          "also chosen by --output FILE.svg)"
                        : "Output format: table (people, scaled units), md, csv, json or jsonl "
                          "(scripts, base units: bytes, seconds, tokens/s)")
      ->check(CLI::IsMember(formats, CLI::ignore_case))
      ->type_name("FORMAT")
      ->default_str("table");
  app.add_option("--output,-o", common.output,
                 charts ? "Write the result to FILE ('-' = stdout); without --format, FILE's "
                          "extension picks it (.json, .jsonl, .csv, .md, .svg)"
                        : "Write the result to FILE ('-' = stdout); without --format, FILE's "
                          "extension picks it (.json, .jsonl, .csv, .md)")
      ->type_name("FILE")
      ->default_str("-");
  app.add_flag("--wide", common.wide,
               "Table format: show every column, however wide (default: fit the terminal, "
               "$COLUMNS or 80, and name the columns left out)");

  app.add_option("--color", common.color, "Colour the table format: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN")
      ->default_str("auto");
  app.add_option("--data-dir", common.data_dir,
                 "Directory holding devices.json and models.json (default: $LLMROOF_DATA_DIR, "
                 "then the installed or built-in data)")
      ->type_name("DIR");
  if (devices) {
    app.add_option("--device-file", common.device_files,
                   "Add devices from FILE (same schema as data/devices.json); repeatable")
        ->type_name("FILE");
    app.add_option("--calibration", common.calibration_files,
                   "Apply a calibration profile written by 'llmroof calibrate' (its device's "
                   "realistic figures replace the class defaults); repeatable")
        ->type_name("FILE");
  }
}

std::filesystem::path Context::data_dir() {
  if (!m_data_dir) {
    m_data_dir = find_data_dir(m_common.data_dir, m_io.executable);
  }
  return *m_data_dir;
}

const Database& Context::database() {
  if (!m_database) {
    // The compiled-in data unless --data-dir or LLMROOF_DATA_DIR replaces it.
    m_database = load_database(DataLocation{m_common.data_dir, m_io.executable,
                                            m_common.device_files, m_common.calibration_files});
    // What --device-file and --calibration change, said once before any output.
    const DataNotices notices = m_database->notices();
    for (const auto& note : notices.notes) {
      m_io.err << "llmroof: note: " << terminal_safe(note, true) << '\n';
    }
    for (const auto& w : notices.warnings) {
      m_io.err << "llmroof: warning: " << terminal_safe(w, true) << '\n';
    }
  }
  return *m_database;
}

NamedText Context::shipped_text(const std::string& name) const {
  return llmroof::shipped_text(m_common.data_dir, name);
}

void Context::error(const std::string& message) { print_error(m_io.err, message); }

void Context::warning(const std::string& warning) {
  const FieldNamer namer = [this](std::string_view field) { return flag(field); };
  m_io.err << "llmroof: warning: "
           << terminal_safe(RequestError::render_fields(warning, namer), true) << '\n';
}

void Context::emit(const Report& report, std::string_view chart_title) {
  const FieldNamer namer = [this](std::string_view field) { return flag(field); };
  for (const auto& w : report.warnings) {
    warning(w);
  }
  RenderOptions options;
  options.tool_version = k_version;
  options.field_name = namer;
  options.chart_title = chart_title;
  const bool to_stdout = m_common.output == "-";
  options.color = m_common.format() == OutputFormat::table &&
                  color_wanted(m_common.color, to_stdout && m_io.out_is_tty);
  // Only a table on stdout fits a width; one written to a file keeps every column.
  options.max_width = to_stdout && !m_common.wide ? m_io.table_columns : 0;
  write_output(render_text(report, m_common.format(), options));
}

void Context::add_input(const std::filesystem::path& path) { m_inputs.push_back(path); }

void Context::check_output(const std::string& path, std::string_view what) const {
  std::vector<std::filesystem::path> inputs = m_inputs;
  inputs.insert(inputs.end(), m_common.device_files.begin(), m_common.device_files.end());
  inputs.insert(inputs.end(), m_common.calibration_files.begin(), m_common.calibration_files.end());
  refuse_output_over_input(path, inputs, what);
}

void Context::write_output(std::string_view text, bool append) {
  if (m_common.output == "-") {
    m_io.out << text;
    m_io.out.flush();
    return;
  }
  check_output(m_common.output, "--output");
  // The file is replaced whole each time, so an appended part rewrites what came before it.
  if (!append) {
    m_written.clear();
  }
  m_written += text;
  write_file_atomically(m_common.output, m_written);
}

int run(const std::vector<std::string>& args, Io& io) {
  // `llmroof --version` alone answers before any subcommand tree is built (same text as
  // CLI11's version flag below, which still serves it in other positions).
  if (args.size() == 2 && (args[1] == "--version" || args[1] == "-V")) {
    io.out << "llmroof " << k_version << '\n';
    io.out.flush();
    return static_cast<int>(ExitCode::ok);
  }
  CLI::App app{"llmroof: roofline estimates of LLM inference speed (tokens/s) on real hardware",
               "llmroof"};
  auto formatter = std::make_shared<WrappingFormatter>();
  formatter->column_width(30);
  app.formatter(formatter);
  app.set_version_flag("--version,-V", std::string("llmroof ") + k_version);
  app.set_help_all_flag("--help-all", "Show the help of every subcommand");
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  llmroof estimate --model 70b --quant int4 --device m4pro\n"
      "  llmroof estimate -m llama-3.1-8b -q q4_k_m -d nvidia --format json\n"
      "  llmroof chart roofline -m llama-3.1-8b -q q4_k_m -d rtx-4090 -o roofline.svg\n"
      "  llmroof devices apple");
  CommonOptions common;
  std::vector<std::string> rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  // Every subcommand, in the order of the help; `man` and `completion` walk the whole tree.
  using AddCommand = Command (*)(CLI::App&, CommonOptions&);
  static constexpr std::pair<std::string_view, AddCommand> k_commands[] = {
      {"estimate", add_estimate},
      {"devices", add_devices},
      {"models", add_models},
      {"quants", add_quants},
      {"check-data", add_check_data},
      {"inspect", add_inspect},
      {"sweep", add_sweep},
      {"calibrate", add_calibrate},
      {"validate", add_validate},
      {"probe", add_probe},
      {"chart", add_chart},
      {"completion", add_completion},
      {"man", add_man}};
  // A run of one subcommand builds only that one's options (a fifth of a short run's time
  // went to building all of them); help, errors, man and completion get the whole tree.
  const auto only = [&]() -> AddCommand {
    if (rest.empty() || rest.front() == "man" || rest.front() == "completion" ||
        std::find(rest.begin(), rest.end(), "--help-all") != rest.end()) {
      return nullptr;
    }
    for (const auto& [name, add] : k_commands) {
      if (rest.front() == name) {
        return add;
      }
    }
    return nullptr;
  }();
  std::vector<Command> commands;
  if (only != nullptr) {
    commands.push_back(only(app, common));
  } else {
    for (const auto& [name, add] : k_commands) {
      commands.push_back(add(app, common));
    }
  }

  // "llmroof help [COMMAND]" is "llmroof [COMMAND] --help".
  if (!rest.empty() && rest.front() == "help") {
    rest.erase(rest.begin());
    rest.resize(std::min<std::size_t>(rest.size(), 1));
    rest.emplace_back("--help");
  }
  // A first word that names no command: say which one it resembles (CLI11 would only say that
  // a subcommand is required).
  const bool is_command = !rest.empty() && !app.get_subcommands([&rest](const CLI::App* a) {
                                                 return a->check_name(rest.front());
                                               })
                                                .empty();
  if (!rest.empty() && !rest.front().empty() && rest.front().front() != '-' && !is_command) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) {
           return !a->get_group().empty();  // hidden commands are not suggested
         })) {
      names.push_back(sub->get_name());
    }
    const std::string hint = did_you_mean(closest_matches(rest.front(), names));
    print_error(io.err, hint.empty() ? fmt::format("unknown command '{}' (see 'llmroof --help')",
                                                   rest.front())
                                     : fmt::format("unknown command '{}'; {}", rest.front(), hint));
    return static_cast<int>(ExitCode::usage);
  }
  std::vector<std::string> reversed(rest.rbegin(), rest.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e, io.out, io.err);
      return static_cast<int>(ExitCode::ok);
    }
    std::string message = e.what();
    const auto* chosen = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front();
    print_error(io.err,
                fmt::format("{} (see 'llmroof{}{} --help')", message, chosen != nullptr ? " " : "",
                            chosen != nullptr ? chosen->get_name() : ""));
    return static_cast<int>(ExitCode::usage);
  }
  // The innermost subcommand chosen ("chart sweep": sweep) holds the options fields name.
  const CLI::App* chosen = nullptr;
  for (const CLI::App* level = &app; !level->get_subcommands().empty();) {
    level = level->get_subcommands().front();
    chosen = level;
  }
  try {
    Context context(io, common, chosen);
    for (const auto& command : commands) {
      if (command.app->parsed()) {
        return command.run(context);
      }
    }
    return static_cast<int>(ExitCode::usage);
  } catch (const RequestError& e) {
    // A request field is named by its flag: split_ratio -> --split-ratio.
    print_error(io.err,
                e.render([chosen](std::string_view field) { return flag_name(chosen, field); }));
    return static_cast<int>(ExitCode::usage);
  } catch (const UsageError& e) {
    print_error(io.err, e.what());
    return static_cast<int>(ExitCode::usage);
  } catch (const DataError& e) {
    for (const auto& message : e.messages()) {
      print_error(io.err, message);
    }
    return static_cast<int>(ExitCode::failure);
  } catch (const Error& e) {
    print_error(io.err, e.what());
    return static_cast<int>(ExitCode::failure);
  } catch (const std::exception& e) {
    print_error(io.err, fmt::format("internal error: {}", e.what()));
    return static_cast<int>(ExitCode::failure);
  }
}

}  // namespace llmroof::cli
