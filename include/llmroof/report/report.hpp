#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace llmroof {

/// Version of the machine-readable output (JSON, JSONL, CSV field set).
inline constexpr int k_output_schema_version = 1;

/// Value type of a column; decides JSON typing and CSV/table formatting. `records` is a list of
/// records (a JSON array of objects, e.g. the devices of a group); `text_list` a list of strings
/// (a JSON array of strings, e.g. aliases); `real_list` a list of numbers (e.g. memory sizes).
enum class CellKind { text, integer, real, boolean, records, text_list, real_list };

/// Human scaling of a column in table/Markdown output; machine formats always carry base units.
enum class HumanUnit {
  none,            ///< printed as is (precision digits for reals)
  bytes_gib,       ///< bytes shown in GiB
  bytes_per_s_gb,  ///< bytes/s shown in GB/s
  flops_tera,      ///< FLOP/s shown in TFLOP/s
  seconds_auto,    ///< seconds shown in one of us/ms/s/min, chosen for the whole column
  tokens_per_s,    ///< tokens/s, significant-digit formatting
  ratio_percent,   ///< a fraction shown as %
  bytes_kib,       ///< bytes shown in KiB
  count_billions,  ///< a count (parameters) shown in billions
};

/// One column: a stable snake_case id that names its unit (machine formats), and a short title
/// for people. Ids with dots ("device.id") become nested objects in JSON.
struct Column {
  std::string id;
  std::string title;
  CellKind kind = CellKind::text;
  HumanUnit unit = HumanUnit::none;
  int precision = 2;  ///< digits after the point for HumanUnit::none reals
  bool human = true;  ///< shown in table/Markdown output
};

struct RecordList;

/// The value of a `text_list` cell. JSON: an array of strings; CSV: that array as compact JSON
/// text; tables: the items joined by ", ".
struct TextList {
  std::vector<std::string> items;
};

/// The value of a `real_list` cell, in the column's base unit. JSON: an array of numbers; CSV:
/// that array as compact JSON text; tables: each item in the column's human unit, joined by ", ".
struct RealList {
  std::vector<double> items;
};

/// A typed value; monostate is null (JSON null, empty CSV field, "-" in tables).
using Cell = std::variant<std::monostate, std::string, std::int64_t, double, bool,
                          std::shared_ptr<const RecordList>, TextList, RealList>;

/// The value of a `records` cell: records sharing one set of fields, like a nested table.
/// JSON: an array of objects (dotted ids nest); CSV: that array as compact JSON text; tables:
/// each record's human fields on one line ("8x " for identical neighbours), records joined
/// by ", ". A boolean field shows its title when true and "no <title>" when false.
struct RecordList {
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> records;  ///< each has columns.size() cells
};

/// A named value of the whole document (JSON top level; a footer line in tables).
struct DocField {
  std::string id;
  std::string title;
  Cell value;
  HumanUnit unit = HumanUnit::none;
};

/// Computed once, rendered by any format. Renderers never compute. Every command's JSON document
/// has one envelope: {"schema_version", "command", "meta": {tool, version, notes, warnings},
/// "summary": {fields}, "results": [rows]}.
struct Report {
  std::string command;  ///< "estimate", "devices", ...
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;  ///< each row has columns.size() cells ("results")
  std::vector<DocField> fields;         ///< document-level values ("summary")
  /// Column ids a table narrowed to a terminal's width keeps longest, most important first;
  /// the first column is always kept, the others are left out right to left before these.
  std::vector<std::string> essential_columns;
  /// Column ids a narrowed table never leaves out (those a user asked for by name).
  std::vector<std::string> pinned_columns;
  std::vector<std::string> notes;     ///< assumptions stated to the reader
  std::vector<std::string> warnings;  ///< also printed to stderr by the CLI

  /// Index of column `id`, or -1.
  int column_index(const std::string& id) const;
};

/// True for columns where less is better (times, energy and money per token, memory needed):
/// ids ending in "_seconds", joules_per_token, usd_per_million_tokens, memory_required_bytes.
bool lower_is_better(std::string_view column_id);

/// Sorts the rows by column `key`, stably: text ascending, numbers best first (descending, or
/// ascending where lower_is_better), nulls last. Throws UsageError for an unknown column or
/// one that holds records.
void sort_rows(Report& report, const std::string& key);

}  // namespace llmroof
