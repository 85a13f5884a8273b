// Reports: sorting rows, request fields written by each front end, building and rendering.

#include <memory>
#include <sstream>
#include <string>

#include "catch.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;

namespace {

Report speeds() {
  Report r;
  r.command = "test";
  r.columns = {
      Column{"device.id", "device", CellKind::text, HumanUnit::none, 2, true},
      Column{"tokens_per_s", "tok/s", CellKind::real, HumanUnit::tokens_per_s, 2, true},
      Column{"end_to_end_seconds", "e2e", CellKind::real, HumanUnit::seconds_auto, 2, true}};
  r.rows = {{Cell{std::string("b")}, Cell{10.0}, Cell{3.0}},
            {Cell{std::string("a")}, Cell{}, Cell{1.0}},
            {Cell{std::string("c")}, Cell{30.0}, Cell{}},
            {Cell{std::string("d")}, Cell{10.0}, Cell{2.0}}};
  return r;
}

std::vector<std::string> ids(const Report& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) {
    out.push_back(std::get<std::string>(row[0]));
  }
  return out;
}

std::string render_with_names(const Report& report, OutputFormat format, const FieldNamer& namer) {
  RenderOptions options;
  options.tool_version = "test";
  options.field_name = namer;
  std::ostringstream out;
  render(report, format, options, out);
  // render_text builds the same text in a string (JSON and JSON Lines without a stream).
  CHECK(render_text(report, format, options) == out.str());
  return out.str();
}

}  // namespace

TEST_CASE("sort_rows: numbers best first, stably, nulls last", "[report][sort]") {
  Report r = speeds();
  sort_rows(r, "tokens_per_s");
  CHECK(ids(r) == std::vector<std::string>{"c", "b", "d", "a"});  // b before d: stable
  sort_rows(r, "end_to_end_seconds");                             // a time: lower is better
  CHECK(ids(r) == std::vector<std::string>{"a", "d", "b", "c"});
  sort_rows(r, "device.id");
  CHECK(ids(r) == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK_THROWS_WITH(sort_rows(r, "nope"), "unknown sort column 'nope'");
  CHECK(lower_is_better("end_to_end_seconds"));
  CHECK(lower_is_better("joules_per_token"));
  CHECK_FALSE(lower_is_better("tokens_per_s"));
}

TEST_CASE("report building: columns are found by id", "[report]") {
  const Report r = speeds();
  CHECK(r.column_index("device.id") == 0);
  CHECK(r.column_index("end_to_end_seconds") == 2);
  CHECK(r.column_index("missing") == -1);
}

TEST_CASE("request fields in notes, warnings and values are the front end's words",
          "[report][fields]") {
  Report r = speeds();
  r.notes = {"no {quant} given: using fp16", "{a} {b}", "braces {Kept} {not a field}"};
  r.warnings = {"lower {gpu_layers}"};
  r.rows[0][0] = Cell{std::string("give {device}")};
  auto list = std::make_shared<RecordList>();
  list->columns = {Column{"reason", "reason", CellKind::text, HumanUnit::none, 2, true}};
  list->records = {{Cell{std::string("give {device}")}}};
  r.fields = {DocField{"unmapped", "unmapped", Cell{std::shared_ptr<const RecordList>(list)}}};
  const FieldNamer flag = [](std::string_view id) { return "--" + std::string(id); };
  const Report named = with_field_names(r, flag);
  CHECK(named.notes[0] == "no --quant given: using fp16");
  CHECK(named.notes[1] == "--a --b");
  CHECK(named.notes[2] == "braces {Kept} {not a field}");
  CHECK(named.warnings[0] == "lower --gpu_layers");
  CHECK(std::get<std::string>(named.rows[0][0]) == "give --device");
  const auto& records = std::get<std::shared_ptr<const RecordList>>(named.fields[0].value);
  CHECK(std::get<std::string>(records->records[0][0]) == "give --device");
  // The original is untouched; without a namer the bare id is written.
  CHECK(std::get<std::string>(list->records[0][0]) == "give {device}");
  CHECK(with_field_names(r, {}).notes[0] == "no quant given: using fp16");
  // Every renderer writes them: JSON notes and CSV cells alike.
  const std::string json = render_with_names(r, OutputFormat::json, flag);
  CHECK(json.find("\"no --quant given: using fp16\"") != std::string::npos);
  CHECK(json.find("{quant}") == std::string::npos);
  const std::string jsonl = render_with_names(r, OutputFormat::jsonl, flag);
  CHECK(jsonl.find("give --device") != std::string::npos);
  const std::string csv = render_with_names(r, OutputFormat::csv, flag);
  CHECK(csv.find("give --device") != std::string::npos);
  const std::string table = render_with_names(r, OutputFormat::table, {});
  CHECK(table.find("note: no quant given: using fp16") != std::string::npos);
}
