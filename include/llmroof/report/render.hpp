#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "llmroof/report/report.hpp"

namespace llmroof {

/// Output formats: two for people, three for scripts, and the chart of the report (svg, see
/// render_svg in report/svg_charts.hpp).
enum class OutputFormat { table, markdown, csv, json, jsonl, svg };
std::optional<OutputFormat> parse_output_format(std::string_view text);
std::string_view to_string(OutputFormat format);

struct RenderOptions {
  bool color = false;  ///< ANSI colour, table format only
  std::string_view tool_version;
};

/// Writes `report` in `format`, ending with exactly one newline.
void render(const Report& report, OutputFormat format, const RenderOptions& options,
            std::ostream& out);

/// Human number formatting, shared by the renderers (and tested at the unit boundaries).
std::string format_bytes_gib(double bytes);
std::string format_seconds(double seconds);
std::string format_tokens_per_s(double tokens_per_s);
/// One CSV field with RFC 4180 quoting (quoted when it holds a comma, quote or line break).
std::string csv_field(std::string_view text);

}  // namespace llmroof
