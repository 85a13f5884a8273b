#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "llmroof/report/report.hpp"

namespace llmroof {

/// Output formats: two for people, three for scripts, and the chart of the report (svg, see
/// render_svg in report/svg_charts.hpp).
enum class OutputFormat { table, markdown, csv, json, jsonl, svg };
/// The format an output path names by its extension (.json, .jsonl, .csv, .md, .markdown and,
/// when `svg`, .svg; any case); nullopt for another extension, none, or "-".
std::optional<OutputFormat> format_of_path(std::string_view path, bool svg);

std::optional<OutputFormat> parse_output_format(std::string_view text);
std::string_view to_string(OutputFormat format);

/// How a front end writes the request field a `{field}` placeholder names (the CLI: "--flag").
using FieldNamer = std::function<std::string(std::string_view field)>;

struct RenderOptions {
  bool color = false;  ///< ANSI colour, table format only
  std::string_view tool_version;
  /// Writes the `{field}` placeholders of notes, warnings and text values (see
  /// RequestError::render_fields); empty: the bare field id ("no quant given").
  FieldNamer field_name = {};
  /// Title of the svg format's chart (a sweep's "<model> <quant> on <device>", a roofline's
  /// SweepOutcome or RooflineOutcome title); empty: the comparison's own title, else the kind
  /// of chart ("sweep", "roofline").
  std::string_view chart_title = {};
  /// Table format: the widest line in columns (a terminal's width); 0 = no limit. A wider
  /// table leaves out columns (see Report::essential_columns and pinned_columns) and says
  /// which in a last line.
  std::size_t max_width = 0;
};

/// `report` with every `{field}` placeholder of its notes, warnings and text values written by
/// `field_name` (the bare id when empty). Renderers call it; the CLI uses it for stderr.
Report with_field_names(const Report& report, const FieldNamer& field_name);

/// Writes `report` in `format`, ending with exactly one newline.
void render(const Report& report, OutputFormat format, const RenderOptions& options,
            std::ostream& out);
/// render() into a string: the JSON and JSON Lines documents are built in the string they are
/// returned in (no stream buffer to grow and copy), other formats through a string stream.
std::string render_text(const Report& report, OutputFormat format, const RenderOptions& options);

/// Human number formatting, shared by the renderers (and tested at the unit boundaries).
std::string format_bytes_gib(double bytes);
std::string format_seconds(double seconds);
std::string format_tokens_per_s(double tokens_per_s);
/// One CSV field with RFC 4180 quoting (quoted when it holds a comma, quote or line break).
std::string csv_field(std::string_view text);

}  // namespace llmroof
