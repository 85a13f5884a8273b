#include "llmroof/report/render.hpp"

#include <fmt/color.h>
#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "llmroof/report/svg_charts.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/text.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

namespace {

constexpr std::array<std::string_view, 6> k_format_names = {"table", "md",    "csv",
                                                            "json",  "jsonl", "svg"};

// --- human formatting -------------------------------------------------------------------

struct TimeUnit {
  std::string_view name;
  double seconds;
};

// One unit for a whole seconds column, chosen from its largest value.
TimeUnit time_unit_for(double max_seconds) {
  if (max_seconds < 1e-3) {
    return {"us", 1e-6};
  }
  if (max_seconds < 1.0) {
    return {"ms", 1e-3};
  }
  if (max_seconds < 600.0) {
    return {"s", 1.0};
  }
  return {"min", 60.0};
}

std::string three_digits(double v) {
  const double a = std::fabs(v);
  if (a < 10) {
    return fmt::format("{:.2f}", v);
  }
  if (a < 100) {
    return fmt::format("{:.1f}", v);
  }
  return fmt::format("{:.0f}", v);
}

std::string unit_label(const Column& c, const TimeUnit& time) {
  switch (c.unit) {
    case HumanUnit::none:
      return {};
    case HumanUnit::bytes_gib:
      return "GiB";
    case HumanUnit::bytes_per_s_gb:
      return "GB/s";
    case HumanUnit::flops_tera:
      return "TFLOP/s";
    case HumanUnit::seconds_auto:
      return std::string(time.name);
    case HumanUnit::tokens_per_s:
      return "tok/s";
    case HumanUnit::ratio_percent:
      return "%";
    case HumanUnit::bytes_kib:
      return "KiB";
    case HumanUnit::count_billions:
      return "B";
  }
  return {};
}

double as_number(const Cell& cell, bool& ok) {
  ok = true;
  if (const auto* d = std::get_if<double>(&cell)) {
    return *d;
  }
  if (const auto* i = std::get_if<std::int64_t>(&cell)) {
    return static_cast<double>(*i);
  }
  ok = false;
  return 0;
}

std::string human_records(const RecordList& list);

std::string human_cell(const Column& c, const Cell& cell, const TimeUnit& time) {
  if (std::holds_alternative<std::monostate>(cell)) {
    return "-";
  }
  if (const auto* list = std::get_if<std::shared_ptr<const RecordList>>(&cell)) {
    return *list ? human_records(**list) : "-";
  }
  if (const auto* list = std::get_if<TextList>(&cell)) {
    return list->items.empty() ? "-" : fmt::format("{}", fmt::join(list->items, ", "));
  }
  if (const auto* list = std::get_if<RealList>(&cell)) {
    std::string text;
    for (double v : list->items) {
      text += (text.empty() ? "" : ", ") + human_cell(c, Cell{v}, time);
    }
    return text.empty() ? "-" : text;
  }
  if (const auto* s = std::get_if<std::string>(&cell)) {
    return terminal_safe(*s);  // names from model and device files
  }
  if (const auto* b = std::get_if<bool>(&cell)) {
    return *b ? "yes" : "no";
  }
  bool ok = false;
  const double v = as_number(cell, ok);
  if (!std::isfinite(v)) {
    return "-";
  }
  switch (c.unit) {
    case HumanUnit::none:
      if (std::holds_alternative<std::int64_t>(cell)) {
        return fmt::format("{}", std::get<std::int64_t>(cell));
      }
      return fmt::format("{:.{}f}", v, c.precision);
    case HumanUnit::bytes_gib:
      return fmt::format("{:.2f}", v / units::k_gib);
    case HumanUnit::bytes_per_s_gb:
      return fmt::format("{:.1f}", v / units::k_gb);
    case HumanUnit::flops_tera:
      return fmt::format("{:.1f}", v / units::k_tera);
    case HumanUnit::seconds_auto:
      return three_digits(v / time.seconds);
    case HumanUnit::tokens_per_s:
      return format_tokens_per_s(v);
    case HumanUnit::ratio_percent:
      return fmt::format("{:.0f}", v * 100.0);
    case HumanUnit::bytes_kib:
      return fmt::format("{:.1f}", v / units::k_kib);
    case HumanUnit::count_billions:
      return v >= 1e9 ? fmt::format("{:.2f}", v / 1e9) : fmt::format("{:.3f}", v / 1e9);
  }
  return {};
}

// One line per record (its human fields, each with its unit), identical neighbours counted.
std::string human_records(const RecordList& list) {
  std::vector<std::string> lines;
  for (const auto& record : list.records) {
    std::string line;
    for (std::size_t i = 0; i < list.columns.size() && i < record.size(); ++i) {
      const Column& c = list.columns[i];
      if (!c.human) {
        continue;
      }
      std::string part;
      if (const auto* b = std::get_if<bool>(&record[i])) {
        part = *b ? c.title : "no " + c.title;
      } else {
        bool ok = false;
        const double v = as_number(record[i], ok);
        const TimeUnit time = time_unit_for(ok ? std::fabs(v) : 0);
        part = human_cell(c, record[i], time);
        const std::string unit = unit_label(c, time);
        if (!unit.empty() && part != "-") {
          part += " " + unit;
        }
      }
      line += (line.empty() ? "" : " ") + part;
    }
    lines.push_back(std::move(line));
  }
  std::string text;
  for (std::size_t i = 0; i < lines.size();) {
    std::size_t j = i;
    while (j < lines.size() && lines[j] == lines[i]) {
      ++j;
    }
    text += (text.empty() ? "" : ", ") +
            (j - i > 1 ? fmt::format("{}x {}", j - i, lines[i]) : lines[i]);
    i = j;
  }
  return text;
}

bool is_numeric(const Column& c) { return c.kind == CellKind::integer || c.kind == CellKind::real; }

std::vector<std::size_t> human_columns(const Report& report) {
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < report.columns.size(); ++i) {
    if (report.columns[i].human) {
      shown.push_back(i);
    }
  }
  return shown;
}

// Display width of UTF-8 text (code points; the tables use no wide glyphs).
std::size_t display_width(std::string_view s) {
  std::size_t width = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

std::string pad(std::string_view s, std::size_t width, bool right) {
  const std::size_t w = display_width(s);
  const std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + std::string(s) : std::string(s) + fill;
}

std::string human_field_value(const DocField& f) {
  Column c;
  c.unit = f.unit;
  c.kind = CellKind::real;
  c.precision = 2;
  bool ok = false;
  const double v = as_number(f.value, ok);
  const TimeUnit time = time_unit_for(ok ? v : 0);
  std::string value = human_cell(c, f.value, time);
  const std::string unit = unit_label(c, time);
  return unit.empty() || value == "-" ? value : value + " " + unit;
}

// `parts` joined into lines of at most `width` columns, broken only between parts (a part
// wider than `width` keeps its own line); each line ends in a newline.
std::string wrap_parts(const std::vector<std::string>& parts, std::size_t width) {
  std::string out;
  std::size_t line = 0;
  for (const auto& part : parts) {
    const std::size_t w = display_width(part);
    if (line > 0 && line + 1 + w > width) {
      out += '\n';
      line = 0;
    }
    if (line > 0) {
      out += ' ';
      ++line;
    }
    out += part;
    line += w;
  }
  return out + '\n';
}

// Leaves columns out of a table wider than options.max_width. Columns are taken in order of
// importance while they fit: the first column and the pinned ones always, then the essential
// ones (most important first), then the others from left to right; a column too wide for
// what is left is skipped and narrower ones after it may still fit. The columns kept stay in
// report order. Returns the headers of the columns left out, in report order.
std::vector<std::string> fit_width(const Report& report, const RenderOptions& options,
                                   std::vector<std::size_t>& shown,
                                   std::vector<std::string>& headers,
                                   std::vector<std::vector<std::string>>& cells,
                                   std::vector<std::size_t>& widths) {
  constexpr std::size_t k_gap = 2;  // the separator between two columns
  std::size_t total = 0;
  for (std::size_t w : widths) {
    total += w;
  }
  total += k_gap * (widths.empty() ? 0 : widths.size() - 1);
  if (options.max_width == 0 || total <= options.max_width) {
    return {};
  }
  auto id_of = [&](std::size_t k) -> const std::string& { return report.columns[shown[k]].id; };
  auto listed = [](const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  std::vector<std::size_t> order = {0};
  for (std::size_t k = 1; k < shown.size(); ++k) {
    if (listed(report.pinned_columns, id_of(k))) {
      order.push_back(k);
    }
  }
  const std::size_t always = order.size();
  for (const auto& id : report.essential_columns) {
    for (std::size_t k = 1; k < shown.size(); ++k) {
      if (id_of(k) == id && !listed(report.pinned_columns, id)) {
        order.push_back(k);
      }
    }
  }
  for (std::size_t k = 1; k < shown.size(); ++k) {
    if (std::find(order.begin(), order.end(), k) == order.end()) {
      order.push_back(k);
    }
  }
  std::vector<bool> kept(shown.size(), false);
  std::size_t width = 0;
  for (std::size_t n = 0; n < order.size(); ++n) {
    const std::size_t k = order[n];
    const std::size_t need = widths[k] + (width > 0 ? k_gap : 0);
    if (n < always || width + need <= options.max_width) {
      kept[k] = true;
      width += need;
    }
  }
  std::vector<std::string> left_out;
  std::vector<std::size_t> keep_at;
  for (std::size_t k = 0; k < shown.size(); ++k) {
    if (kept[k]) {
      keep_at.push_back(k);
    } else {
      left_out.push_back(headers[k]);
    }
  }
  auto keep = [&keep_at](auto& v) {
    std::remove_reference_t<decltype(v)> out;
    for (std::size_t k : keep_at) {
      out.push_back(std::move(v[k]));
    }
    v = std::move(out);
  };
  keep(shown);
  keep(headers);
  keep(widths);
  for (auto& line : cells) {
    keep(line);
  }
  return left_out;
}

void render_human(const Report& report, bool markdown, const RenderOptions& options,
                  std::ostream& out) {
  const bool color = options.color;
  auto shown = human_columns(report);
  std::vector<TimeUnit> times(report.columns.size(), TimeUnit{"s", 1.0});
  for (std::size_t i : shown) {
    if (report.columns[i].unit == HumanUnit::seconds_auto) {
      double max_value = 0;
      for (const auto& row : report.rows) {
        bool ok = false;
        const double v = as_number(row[i], ok);
        if (ok && std::isfinite(v)) {
          max_value = std::max(max_value, std::fabs(v));
        }
      }
      times[i] = time_unit_for(max_value);
    }
  }
  std::vector<std::string> headers;
  for (std::size_t i : shown) {
    const std::string unit = unit_label(report.columns[i], times[i]);
    headers.push_back(unit.empty() ? report.columns[i].title
                                   : fmt::format("{} [{}]", report.columns[i].title, unit));
  }
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : report.rows) {
    std::vector<std::string> line;
    for (std::size_t i : shown) {
      line.push_back(human_cell(report.columns[i], row[i], times[i]));
    }
    cells.push_back(std::move(line));
  }
  std::vector<std::size_t> widths;
  for (std::size_t k = 0; k < shown.size(); ++k) {
    std::size_t w = display_width(headers[k]);
    for (const auto& line : cells) {
      w = std::max(w, display_width(line[k]));
    }
    widths.push_back(std::max<std::size_t>(w, markdown ? 3 : 1));
  }
  const std::vector<std::string> left_out =
      markdown ? std::vector<std::string>{}
               : fit_width(report, options, shown, headers, cells, widths);
  const std::string separator = markdown ? " | " : "  ";
  const std::string open = markdown ? "| " : "";
  const std::string close = markdown ? " |" : "";
  auto emit_line = [&](const std::vector<std::string>& line, bool header) {
    std::string text = open;
    for (std::size_t k = 0; k < shown.size(); ++k) {
      const Column& c = report.columns[shown[k]];
      const bool right = is_numeric(c) && !(header && !markdown && false);
      std::string cell = pad(line[k], widths[k], right);
      if (color && header) {
        cell = fmt::format(fmt::emphasis::bold, "{}", cell);
      } else if (color && c.kind == CellKind::boolean && line[k] == "no") {
        cell = fmt::format(fg(fmt::terminal_color::red), "{}", cell);
      }
      text += (k == 0 ? "" : separator) + cell;
    }
    text += close;
    if (!markdown) {
      while (!text.empty() && text.back() == ' ') {
        text.pop_back();
      }
    }
    out << text << '\n';
  };
  emit_line(headers, true);
  if (markdown) {
    std::string rule = "|";
    for (std::size_t k = 0; k < shown.size(); ++k) {
      const bool right = is_numeric(report.columns[shown[k]]);
      rule += " " + (right ? std::string(widths[k] - 1, '-') + ":" : std::string(widths[k], '-')) +
              " |";
    }
    out << rule << '\n';
  }
  for (const auto& line : cells) {
    emit_line(line, false);
  }
  if (!report.fields.empty() || !report.notes.empty() || !left_out.empty()) {
    out << '\n';
  }
  if (!left_out.empty()) {
    const FieldNamer name_of = options.field_name ? options.field_name : [](std::string_view id) {
      return std::string(id);
    };
    // "left out to fit 80 columns: a, b, c (--wide shows them)", broken between the columns.
    std::vector<std::string> parts = {
        fmt::format("left out to fit {} columns:", options.max_width)};
    for (std::size_t i = 0; i < left_out.size(); ++i) {
      parts.push_back(left_out[i] + (i + 1 < left_out.size() ? "," : ""));
    }
    parts.push_back(RequestError::render_fields("({wide} shows them)", name_of));
    out << wrap_parts(parts, options.max_width);
  }
  for (const auto& f : report.fields) {
    out << (markdown ? "- " : "") << f.title << ": " << human_field_value(f) << '\n';
  }
  for (const auto& note : report.notes) {
    out << (markdown ? "- " : "") << "note: " << terminal_safe(note) << '\n';
  }
}

// --- machine formats --------------------------------------------------------------------

// Bytes that are not UTF-8 (a file name from the filesystem) become U+FFFD instead of
// throwing: JSON cannot carry them.
constexpr auto k_replace = nlohmann::json::error_handler_t::replace;

void set_path(nlohmann::json& object, const std::string& id, nlohmann::json value);

nlohmann::json json_value(const Cell& cell) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const RecordList>>) {
          if (!v) {
            return nullptr;
          }
          nlohmann::json array = nlohmann::json::array();
          for (const auto& record : v->records) {
            nlohmann::json object = nlohmann::json::object();
            for (std::size_t i = 0; i < v->columns.size() && i < record.size(); ++i) {
              set_path(object, v->columns[i].id, json_value(record[i]));
            }
            array.push_back(std::move(object));
          }
          return array;
        } else if constexpr (std::is_same_v<T, TextList>) {
          return v.items;
        } else if constexpr (std::is_same_v<T, RealList>) {
          nlohmann::json array = nlohmann::json::array();
          for (double x : v.items) {
            array.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
          }
          return array;
        } else {
          return v;
        }
      },
      cell);
}

// "device.id" -> {"device": {"id": ...}}
void set_path(nlohmann::json& object, const std::string& id, nlohmann::json value) {
  nlohmann::json* target = &object;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = id.find('.', start);
    if (dot == std::string::npos) {
      (*target)[id.substr(start)] = std::move(value);
      return;
    }
    target = &(*target)[id.substr(start, dot - start)];
    start = dot + 1;
  }
}

std::string csv_text(const Cell& cell) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return {};
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return std::isfinite(v) ? fmt::format("{}", v) : std::string();
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const RecordList>>) {
          return v ? json_value(Cell{v}).dump(-1, ' ', false, k_replace)  // compact JSON array
                   : std::string();
        } else if constexpr (std::is_same_v<T, TextList> || std::is_same_v<T, RealList>) {
          return json_value(Cell{v}).dump(-1, ' ', false, k_replace);  // compact JSON array
        } else {
          return fmt::format("{}", v);
        }
      },
      cell);
}

// Appends every row to `out` with `serialize`, joined by `separator`: one buffer for the
// whole output (single-threaded: the core has no threads).
struct KeyLayout;
using RowWriter = void (*)(std::string&, const KeyLayout&, const std::vector<Cell>&);

void append_rows(std::string& out, const Report& report, const KeyLayout& layout,
                 std::string_view separator, RowWriter serialize) {
  for (std::size_t i = 0; i < report.rows.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    serialize(out, layout, report.rows[i]);
  }
}

// The keys of a row object as nlohmann orders them (sorted; dotted ids nest), computed once per
// report so that each row is written without building a JSON tree. Keys and values are still
// serialized by nlohmann; only the braces, commas and indentation are laid out here, exactly as
// dump() lays them out. Each key's text (the comma or brace before it, the indentation, the
// quoted key and the colon) is built here once, so that a row appends it whole.
struct KeyNode;
struct KeyLayout {
  std::vector<KeyNode> nodes;  // sorted keys
  std::string close;           // after the last key: newline, indentation, brace
  int indent = -1;             // spaces per level; -1: compact
  std::size_t pad = 0;         // the keys' indentation
};
struct KeyNode {
  std::string lead;    // "{" or ",", newline and indentation when pretty, then "key": or "key":
  int column = -1;     // a leaf's column; k_schema_version_leaf; -1 for a group
  KeyLayout children;  // a group's keys
};
constexpr int k_schema_version_leaf = -2;

// `indent` < 0: compact; otherwise pretty, `indent` spaces per level starting at `margin` columns
// (as dump(indent) of the row object, shifted right by `margin`).
KeyLayout key_layout(const Report& report, bool with_schema_version, int indent, int margin) {
  struct Tree {
    int column = -1;
    std::map<std::string, Tree> children;
  };
  Tree root;
  for (std::size_t i = 0; i < report.columns.size(); ++i) {
    Tree* node = &root;
    const std::string& id = report.columns[i].id;
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = id.find('.', start);
      node = &node->children[id.substr(start, dot == std::string::npos ? dot : dot - start)];
      if (dot == std::string::npos) {
        break;
      }
      start = dot + 1;
    }
    node->column = static_cast<int>(i);
  }
  if (with_schema_version) {
    root.children["schema_version"].column = k_schema_version_leaf;
  }
  const bool pretty = indent >= 0;
  std::function<KeyLayout(const Tree&, int)> convert = [&](const Tree& tree, int level) {
    KeyLayout layout;
    layout.indent = indent;
    layout.pad = pretty ? static_cast<std::size_t>(margin + indent * (level + 1)) : 0;
    layout.close =
        pretty ? "\n" + std::string(static_cast<std::size_t>(margin + indent * level), ' ') + "}"
               : std::string("}");
    for (const auto& [key, child] : tree.children) {
      KeyNode node;
      node.lead = layout.nodes.empty() ? "{" : ",";
      if (pretty) {
        node.lead += '\n';
        node.lead.append(layout.pad, ' ');
      }
      node.lead += nlohmann::json(key).dump(-1, ' ', false, k_replace);
      node.lead += pretty ? ": " : ":";
      node.column = child.children.empty() ? child.column : -1;
      node.children = convert(child, level + 1);
      layout.nodes.push_back(std::move(node));
    }
    return layout;
  };
  return convert(root, 0);
}

// Appends a scalar cell as JSON text and returns true; false (nothing appended) for a record
// list. A double is written in its shortest round-trip form (fmt's Dragonbox: the digits of
// std::to_chars, which emscripten's libc++ lacks for floating point), with ".0" added to an
// integral one so that it stays a JSON float, as nlohmann's dump() wrote it; a string that
// needs no escaping is copied between quotes, any other goes through nlohmann's serializer.
bool append_json_scalar(std::string& out, const Cell& cell) {
  std::array<char, 32> buffer{};
  if (const auto* v = std::get_if<double>(&cell)) {
    if (!std::isfinite(*v)) {
      out += "null";
      return true;
    }
    // Formatted into a stack buffer: no string per number (the shortest form of a double is
    // at most 24 characters).
    std::array<char, 40> digits_buffer{};
    const char* end = fmt::format_to(digits_buffer.data(), FMT_COMPILE("{}"), *v);
    const std::string_view text(digits_buffer.data(),
                                static_cast<std::size_t>(end - digits_buffer.data()));
    const std::size_t sign = text[0] == '-' ? 1 : 0;
    std::size_t point = std::string_view::npos;
    bool exponent = false;
    for (std::size_t i = 0; i < text.size(); ++i) {  // one pass over at most 24 characters
      point = text[i] == '.' ? i : point;
      exponent = exponent || text[i] == 'e';
    }
    if (!exponent && (point == std::string_view::npos ? text.size() : point) - sign == 16) {
      // fmt writes 16 integer digits in fixed notation, nlohmann (and this writer) from 16 on
      // in exponent notation: 1513000000000000.0 is 1.513e+15.
      std::string digits(text.substr(sign));
      if (point != std::string_view::npos) {
        digits.erase(point - sign, 1);
      }
      digits.erase(digits.find_last_not_of('0') + 1);
      out += fmt::format("{}{}{}{}e+15", text.substr(0, sign), digits[0],
                         digits.size() > 1 ? "." : "", digits.substr(1));
    } else {
      out += text;
      if (!exponent && point == std::string_view::npos) {
        out += ".0";
      }
    }
    return true;
  }
  if (const auto* v = std::get_if<std::int64_t>(&cell)) {
    const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), *v).ptr;
    out.append(buffer.data(), end);
    return true;
  }
  if (const auto* v = std::get_if<std::string>(&cell)) {
    const bool plain = std::all_of(v->begin(), v->end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
    });
    if (plain) {
      out += '"';
      out += *v;
      out += '"';
    } else {
      out += nlohmann::json(*v).dump();
    }
    return true;
  }
  if (const auto* v = std::get_if<bool>(&cell)) {
    out += *v ? "true" : "false";
    return true;
  }
  if (std::holds_alternative<std::monostate>(cell)) {
    out += "null";
    return true;
  }
  return false;
}

// Appends `layout`'s keys of `row` as one JSON object.
void write_object(std::string& out, const KeyLayout& layout, const std::vector<Cell>& row) {
  if (layout.nodes.empty()) {
    out += "{}";
    return;
  }
  for (const KeyNode& node : layout.nodes) {
    out += node.lead;
    if (node.column == -1) {
      write_object(out, node.children, row);
    } else if (node.column == k_schema_version_leaf) {
      out += std::to_string(k_output_schema_version);
    } else if (const Cell& cell = row[static_cast<std::size_t>(node.column)];
               !append_json_scalar(out, cell)) {
      const bool nested = std::holds_alternative<std::shared_ptr<const RecordList>>(cell) ||
                          std::holds_alternative<TextList>(cell) ||
                          std::holds_alternative<RealList>(cell);
      const std::string value = nested ? json_value(cell).dump(layout.indent, ' ', false, k_replace)
                                       : json_value(cell).dump(-1, ' ', false, k_replace);
      // A nested array's own lines start at this key's depth.
      std::size_t start = 0;
      for (auto nl = value.find('\n'); nl != std::string::npos; nl = value.find('\n', start)) {
        out.append(value, start, nl + 1 - start);
        out.append(layout.pad, ' ');
        start = nl + 1;
      }
      out.append(value, start, std::string::npos);
    }
  }
  out += layout.close;
}

// A row as it appears inside the JSON document's rows array (indented two levels).
void json_row(std::string& out, const KeyLayout& layout, const std::vector<Cell>& row) {
  out += "    ";
  write_object(out, layout, row);
}

void jsonl_row(std::string& out, const KeyLayout& layout, const std::vector<Cell>& row) {
  write_object(out, layout, row);
}

}  // namespace

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') {
      quoted += "\"\"";
    } else {
      quoted.push_back(c);
    }
  }
  quoted += "\"";
  return quoted;
}

std::optional<OutputFormat> parse_output_format(std::string_view text) {
  const std::string key = normalize_key(text);
  if (key == "markdown") {
    return OutputFormat::markdown;
  }
  for (std::size_t i = 0; i < k_format_names.size(); ++i) {
    if (k_format_names[i] == key) {
      return static_cast<OutputFormat>(i);
    }
  }
  return std::nullopt;
}

std::optional<OutputFormat> format_of_path(std::string_view path, bool svg) {
  const std::size_t dot = path.rfind('.');
  const std::size_t slash = path.find_last_of('/');
  if (path == "-" || dot == std::string_view::npos ||
      (slash != std::string_view::npos && dot < slash)) {
    return std::nullopt;
  }
  std::string extension(path.substr(dot + 1));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto format :
       {OutputFormat::json, OutputFormat::jsonl, OutputFormat::csv, OutputFormat::markdown}) {
    if (extension == to_string(format)) {
      return format;
    }
  }
  if (extension == "markdown") {
    return OutputFormat::markdown;
  }
  if (svg && extension == "svg") {
    return OutputFormat::svg;
  }
  return std::nullopt;
}

std::string_view to_string(OutputFormat format) {
  return k_format_names[static_cast<std::size_t>(format)];
}

std::string format_bytes_gib(double bytes) {
  return fmt::format("{:.2f} GiB", bytes / units::k_gib);
}

std::string format_seconds(double seconds) {
  const TimeUnit unit = time_unit_for(std::fabs(seconds));
  return fmt::format("{} {}", three_digits(seconds / unit.seconds), unit.name);
}

std::string format_tokens_per_s(double tokens_per_s) {
  const double a = std::fabs(tokens_per_s);
  if (a < 10) {
    return fmt::format("{:.2f}", tokens_per_s);
  }
  if (a < 1000) {
    return fmt::format("{:.1f}", tokens_per_s);
  }
  return fmt::format("{:.0f}", tokens_per_s);
}

namespace {

bool has_placeholder(std::string_view text) { return text.find('{') != std::string_view::npos; }

bool cell_has_placeholder(const Cell& cell) {
  if (const auto* text = std::get_if<std::string>(&cell)) {
    return has_placeholder(*text);
  }
  if (const auto* list = std::get_if<std::shared_ptr<const RecordList>>(&cell); list && *list) {
    for (const auto& record : (*list)->records) {
      if (std::any_of(record.begin(), record.end(), cell_has_placeholder)) {
        return true;
      }
    }
  }
  return false;
}

bool report_has_placeholder(const Report& report) {
  auto texts = [](const std::vector<std::string>& lines) {
    return std::any_of(lines.begin(), lines.end(),
                       [](const std::string& line) { return has_placeholder(line); });
  };
  if (texts(report.notes) || texts(report.warnings)) {
    return true;
  }
  for (const auto& row : report.rows) {
    if (std::any_of(row.begin(), row.end(), cell_has_placeholder)) {
      return true;
    }
  }
  return std::any_of(report.fields.begin(), report.fields.end(),
                     [](const DocField& f) { return cell_has_placeholder(f.value); });
}

Cell named_cell(const Cell& cell, const FieldNamer& name_of) {
  if (const auto* text = std::get_if<std::string>(&cell)) {
    return Cell{RequestError::render_fields(*text, name_of)};
  }
  if (const auto* list = std::get_if<std::shared_ptr<const RecordList>>(&cell);
      list && *list && cell_has_placeholder(cell)) {
    auto named = std::make_shared<RecordList>(**list);
    for (auto& record : named->records) {
      for (auto& c : record) {
        c = named_cell(c, name_of);
      }
    }
    return Cell{std::shared_ptr<const RecordList>(std::move(named))};
  }
  return cell;
}

// The JSON document: the one envelope of every command (schema_version, command, meta,
// summary, results), ending with a newline.
std::string json_document(const Report& report, const RenderOptions& options) {
  nlohmann::json summary = nlohmann::json::object();
  for (const auto& f : report.fields) {
    summary[f.id] = json_value(f.value);
  }
  nlohmann::json doc = {{"schema_version", k_output_schema_version},
                        {"command", report.command},
                        {"meta",
                         {{"tool", "llmroof"},
                          {"version", std::string(options.tool_version)},
                          {"notes", report.notes},
                          {"warnings", report.warnings}}},
                        {"summary", std::move(summary)},
                        {"results", nlohmann::json::array()}};
  std::string text = doc.dump(2, ' ', false, k_replace);
  if (!report.rows.empty()) {
    // The rows go where the empty array is, written into one buffer with the rest. The
    // placeholder is the only unescaped `"results": []` at the top level: quotes inside
    // strings are escaped.
    const std::string placeholder = "\n  \"results\": []";
    const auto at = text.find(placeholder);
    std::string whole;
    whole.reserve(text.size() + report.rows.size() * report.columns.size() * 48);
    whole.append(text, 0, at);
    whole += "\n  \"results\": [\n";
    append_rows(whole, report, key_layout(report, false, 2, 4), ",\n", json_row);
    whole += "\n  ]";
    whole.append(text, at + placeholder.size());
    text = std::move(whole);
  }
  text += '\n';
  return text;
}

// JSON Lines: a line per row, then the summary's line (when there is a summary).
std::string jsonl_document(const Report& report, const RenderOptions& /*options*/) {
  std::string text;
  if (!report.rows.empty()) {
    text.reserve(report.rows.size() * report.columns.size() * 40);
    append_rows(text, report, key_layout(report, true, -1, 0), "\n", jsonl_row);
    text += '\n';
  }
  if (!report.fields.empty()) {
    nlohmann::json summary = nlohmann::json::object();
    for (const auto& f : report.fields) {
      summary[f.id] = json_value(f.value);
    }
    text += nlohmann::json{{"schema_version", k_output_schema_version}, {"summary", summary}}.dump(
        -1, ' ', false, k_replace);
    text += '\n';
  }
  return text;
}

void render_named(const Report& report, OutputFormat format, const RenderOptions& options,
                  std::ostream& out);

}  // namespace

Report with_field_names(const Report& report, const FieldNamer& field_name) {
  const FieldNamer name_of =
      field_name ? field_name : [](std::string_view id) { return std::string(id); };
  Report named = report;
  for (auto* lines : {&named.notes, &named.warnings}) {
    for (auto& line : *lines) {
      line = RequestError::render_fields(line, name_of);
    }
  }
  for (auto& row : named.rows) {
    for (auto& cell : row) {
      if (cell_has_placeholder(cell)) {
        cell = named_cell(cell, name_of);
      }
    }
  }
  for (auto& f : named.fields) {
    if (cell_has_placeholder(f.value)) {
      f.value = named_cell(f.value, name_of);
    }
  }
  return named;
}

void render(const Report& report, OutputFormat format, const RenderOptions& options,
            std::ostream& out) {
  if (report_has_placeholder(report)) {
    render_named(with_field_names(report, options.field_name), format, options, out);
  } else {
    render_named(report, format, options, out);
  }
}

std::string render_text(const Report& report, OutputFormat format, const RenderOptions& options) {
  if (format == OutputFormat::json || format == OutputFormat::jsonl) {
    std::string (*document)(const Report&, const RenderOptions&) =
        format == OutputFormat::json ? json_document : jsonl_document;
    return report_has_placeholder(report)
               ? document(with_field_names(report, options.field_name), options)
               : document(report, options);
  }
  std::ostringstream text;
  render(report, format, options, text);
  return std::move(text).str();
}

namespace {

void render_named(const Report& report, OutputFormat format, const RenderOptions& options,
                  std::ostream& out) {
  switch (format) {
    case OutputFormat::table:
      render_human(report, false, options, out);
      return;
    case OutputFormat::svg:
      out << render_svg(report, options.chart_title);
      return;
    case OutputFormat::markdown: {
      RenderOptions plain = options;
      plain.color = false;
      render_human(report, true, plain, out);
    }
      return;
    case OutputFormat::csv: {
      std::string header = "schema_version";
      for (const auto& c : report.columns) {
        header += "," + csv_field(c.id);
      }
      out << header << '\n';
      for (const auto& row : report.rows) {
        std::string line = fmt::format("{}", k_output_schema_version);
        for (const auto& cell : row) {
          line += "," + csv_field(csv_text(cell));
        }
        out << line << '\n';
      }
      return;
    }
    case OutputFormat::json:
      out << json_document(report, options);
      return;
    case OutputFormat::jsonl:
      out << jsonl_document(report, options);
      return;
  }
}

}  // namespace

}  // namespace llmroof
