// Renderers: one two-row report in every format, and the human number formats.

#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;

namespace {

Report two_rows() {
  Report r;
  r.command = "test";
  r.columns = {
      {"device.id", "device", CellKind::text, HumanUnit::none, 2, true},
      {"weights_bytes", "weights", CellKind::real, HumanUnit::bytes_gib, 2, true},
      {"tokens_per_s", "speed", CellKind::real, HumanUnit::tokens_per_s, 2, true},
      {"time_to_first_token_seconds", "TTFT", CellKind::real, HumanUnit::seconds_auto, 2, true},
      {"fits", "fits", CellKind::boolean, HumanUnit::none, 2, true},
      {"batch", "batch", CellKind::integer, HumanUnit::none, 2, false},
  };
  r.rows = {
      {std::string("a,\"b\" ±"), 1073741824.0, 552.8571428571429, 0.25, true, std::int64_t{1}},
      {std::string("m4"), 3.5e9, 5.5, Cell{}, false, std::int64_t{8}},
  };
  r.fields = {{"critical_batch", "critical batch", Cell{161.24}, HumanUnit::none}};
  r.notes = {"a note"};
  return r;
}

std::string render_to_string(const Report& r, OutputFormat f) {
  std::ostringstream out;
  render(r, f, RenderOptions{false, "9.9.9"}, out);
  return out.str();
}

}  // namespace

TEST_CASE("table", "[render]") {
  CHECK(render_to_string(two_rows(), OutputFormat::table) ==
        "device   weights [GiB]  speed [tok/s]  TTFT [ms]  fits\n"
        "a,\"b\" ±           1.00          552.9        250  yes\n"
        "m4                3.26           5.50          -  no\n"
        "\n"
        "critical batch: 161.24\n"
        "note: a note\n");
}

TEST_CASE("markdown", "[render]") {
  CHECK(render_to_string(two_rows(), OutputFormat::markdown) ==
        "| device  | weights [GiB] | speed [tok/s] | TTFT [ms] | fits |\n"
        "| ------- | ------------: | ------------: | --------: | ---- |\n"
        "| a,\"b\" ± |          1.00 |         552.9 |       250 | yes  |\n"
        "| m4      |          3.26 |          5.50 |         - | no   |\n"
        "\n"
        "- critical batch: 161.24\n"
        "- note: a note\n");
}

TEST_CASE("csv: every column by id, raw numbers, RFC 4180 quoting", "[render]") {
  CHECK(render_to_string(two_rows(), OutputFormat::csv) ==
        "schema_version,device.id,weights_bytes,tokens_per_s,time_to_first_token_seconds,fits,"
        "batch\n"
        "1,\"a,\"\"b\"\" ±\",1073741824,552.8571428571429,0.25,true,1\n"
        "1,m4,3500000000,5.5,,false,8\n");
}

TEST_CASE("json: the envelope, nested ids, typed values, meta", "[render]") {
  CHECK(render_to_string(two_rows(), OutputFormat::json) ==
        R"({
  "command": "test",
  "meta": {
    "notes": [
      "a note"
    ],
    "tool": "llmroof",
    "version": "9.9.9",
    "warnings": []
  },
  "results": [
    {
      "batch": 1,
      "device": {
        "id": "a,\"b\" ±"
      },
      "fits": true,
      "time_to_first_token_seconds": 0.25,
      "tokens_per_s": 552.8571428571429,
      "weights_bytes": 1073741824.0
    },
    {
      "batch": 8,
      "device": {
        "id": "m4"
      },
      "fits": false,
      "time_to_first_token_seconds": null,
      "tokens_per_s": 5.5,
      "weights_bytes": 3500000000.0
    }
  ],
  "schema_version": 1,
  "summary": {
    "critical_batch": 161.24
  }
}
)");
}

TEST_CASE("json: a report without fields or rows keeps the envelope", "[render]") {
  Report r;
  r.command = "devices";
  CHECK(render_to_string(r, OutputFormat::json) == R"({
  "command": "devices",
  "meta": {
    "notes": [],
    "tool": "llmroof",
    "version": "9.9.9",
    "warnings": []
  },
  "results": [],
  "schema_version": 1,
  "summary": {}
}
)");
}

TEST_CASE("lists: JSON arrays, compact JSON in CSV, joined in tables", "[render]") {
  Report r;
  r.command = "test";
  r.columns = {{"id", "id", CellKind::text, HumanUnit::none, 2, true},
               {"aliases", "aliases", CellKind::text_list, HumanUnit::none, 2, true},
               {"memory_sizes_bytes", "sizes", CellKind::real_list, HumanUnit::bytes_gib, 2, true}};
  r.rows = {{std::string("m4"), TextList{{"m4-10c", "m4 base"}},
             RealList{{17179869184.0, 25769803776.0}}},
            {std::string("x"), TextList{}, RealList{}}};
  CHECK(render_to_string(r, OutputFormat::table) ==
        "id  aliases          sizes [GiB]\n"
        "m4  m4-10c, m4 base  16.00, 24.00\n"
        "x   -                -\n");
  CHECK(render_to_string(r, OutputFormat::csv) ==
        "schema_version,id,aliases,memory_sizes_bytes\n"
        "1,m4,\"[\"\"m4-10c\"\",\"\"m4 base\"\"]\",\"[17179869184.0,25769803776.0]\"\n"
        "1,x,[],[]\n");
  const std::string jsonl = render_to_string(r, OutputFormat::jsonl);
  CHECK(jsonl ==
        "{\"aliases\":[\"m4-10c\",\"m4 base\"],\"id\":\"m4\",\"memory_sizes_bytes\":"
        "[17179869184.0,25769803776.0],\"schema_version\":1}\n"
        "{\"aliases\":[],\"id\":\"x\",\"memory_sizes_bytes\":[],\"schema_version\":1}\n");
  CHECK_THROWS_AS(sort_rows(r, "aliases"), UsageError);
}

namespace {

// Five columns of widths 6, 5, 5, 5, 5 (+ 2 between each): 34 columns in all.
Report wide_report() {
  Report r;
  r.command = "test";
  for (const char* id : {"device", "aaaaa", "bbbbb", "ccccc", "ddddd"}) {
    r.columns.push_back({id, id, CellKind::text, HumanUnit::none, 2, true});
  }
  r.columns.push_back({"hidden", "hidden", CellKind::text, HumanUnit::none, 2, false});
  r.rows = {{std::string("m4-pro"), std::string("1"), std::string("2"), std::string("3"),
             std::string("4"), std::string("h")}};
  return r;
}

std::string table_at(const Report& r, std::size_t width) {
  std::ostringstream out;
  RenderOptions options{false, "9.9.9"};
  options.max_width = width;
  render(r, OutputFormat::table, options, out);
  return out.str();
}

}  // namespace

TEST_CASE("table width: columns left out right to left, essential ones last", "[render]") {
  Report r = wide_report();
  // 34 columns fit 34 and no limit (0) alike.
  CHECK(table_at(r, 34) == table_at(r, 0));
  CHECK(table_at(r, 34) ==
        "device  aaaaa  bbbbb  ccccc  ddddd\n"
        "m4-pro  1      2      3      4\n");
  // 33: the rightmost column goes (34 - 7 = 27 <= 33), and the table says so, in lines of at
  // most 33 columns broken between the parts.
  CHECK(table_at(r, 33) ==
        "device  aaaaa  bbbbb  ccccc\n"
        "m4-pro  1      2      3\n"
        "\n"
        "left out to fit 33 columns: ddddd\n"
        "(wide shows them)\n");
  // Essential columns are kept longest, the most important first; the first column always.
  r.essential_columns = {"ddddd", "aaaaa"};
  CHECK(table_at(r, 20) ==
        "device  aaaaa  ddddd\n"
        "m4-pro  1      4\n"
        "\n"
        "left out to fit 20 columns:\n"
        "bbbbb, ccccc\n"
        "(wide shows them)\n");
  CHECK(table_at(r, 13).find("device  ddddd\n") == 0);
  CHECK(table_at(r, 1).find("device\nm4-pro\n") == 0);
  // A pinned column (--show) is kept whatever the width.
  r.columns.back().human = true;
  r.pinned_columns = {"hidden"};
  CHECK(table_at(r, 21).find("device  ddddd  hidden\n") == 0);
  CHECK(table_at(r, 1).find("device  hidden\n") == 0);
}

TEST_CASE("format by the output file's extension", "[render]") {
  CHECK(format_of_path("out.json", false) == OutputFormat::json);
  CHECK(format_of_path("dir/OUT.JSONL", false) == OutputFormat::jsonl);
  CHECK(format_of_path("a.csv", false) == OutputFormat::csv);
  CHECK(format_of_path("notes.md", false) == OutputFormat::markdown);
  CHECK(format_of_path("notes.markdown", false) == OutputFormat::markdown);
  CHECK(format_of_path("chart.svg", true) == OutputFormat::svg);
  CHECK_FALSE(format_of_path("chart.svg", false).has_value());
  CHECK_FALSE(format_of_path("table.txt", false).has_value());
  CHECK_FALSE(format_of_path("-", false).has_value());
  CHECK_FALSE(format_of_path("dir.json/file", false).has_value());
  CHECK_FALSE(format_of_path("README", false).has_value());
}

TEST_CASE("jsonl: one object per row, then the summary", "[render]") {
  CHECK(render_to_string(two_rows(), OutputFormat::jsonl) ==
        "{\"batch\":1,\"device\":{\"id\":\"a,\\\"b\\\" ±\"},\"fits\":true,\"schema_version\":1,"
        "\"time_to_first_token_seconds\":0.25,\"tokens_per_s\":552.8571428571429,"
        "\"weights_bytes\":1073741824.0}\n"
        "{\"batch\":8,\"device\":{\"id\":\"m4\"},\"fits\":false,\"schema_version\":1,"
        "\"time_to_first_token_seconds\":null,\"tokens_per_s\":5.5,\"weights_bytes\":3500000000.0}"
        "\n"
        "{\"schema_version\":1,\"summary\":{\"critical_batch\":161.24}}\n");
}

TEST_CASE("human units at their boundaries", "[render][units]") {
  CHECK(format_seconds(0.9999) == "1000 ms");
  CHECK(format_seconds(0.999) == "999 ms");
  CHECK(format_seconds(1.0) == "1.00 s");
  CHECK(format_seconds(0.0005) == "500 us");
  CHECK(format_seconds(599.0) == "599 s");
  CHECK(format_seconds(600.0) == "10.0 min");
  CHECK(format_bytes_gib(1073741824.0) == "1.00 GiB");
  CHECK(format_bytes_gib(1023.0 * 1024 * 1024) == "1.00 GiB");
  CHECK(format_bytes_gib(1000.0 * 1024 * 1024) == "0.98 GiB");
  CHECK(format_tokens_per_s(9.994) == "9.99");
  CHECK(format_tokens_per_s(552.857) == "552.9");
  CHECK(format_tokens_per_s(89142.857) == "89143");
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("line\nbreak") == "\"line\nbreak\"");
}

TEST_CASE("format names", "[render]") {
  CHECK(parse_output_format("md") == OutputFormat::markdown);
  CHECK(parse_output_format("Markdown") == OutputFormat::markdown);
  CHECK(parse_output_format("JSONL") == OutputFormat::jsonl);
  CHECK_FALSE(parse_output_format("xml").has_value());
}

TEST_CASE("JSON output replaces bytes that are not UTF-8 instead of failing", "[render]") {
  // A file name from the filesystem ("bad\xff.gguf") ended -f json in an internal error.
  Report report;
  report.command = "inspect";
  report.fields.push_back(DocField{"file", "file", Cell{std::string("bad\xff.gguf")}});
  std::ostringstream out;
  render(report, OutputFormat::json, {}, out);
  CHECK(out.str().find("\"file\": \"bad\xef\xbf\xbd.gguf\"") != std::string::npos);
}

TEST_CASE("json numbers: shortest round-trip digits, written as the JSON library wrote them",
          "[render]") {
  Report r;
  r.command = "test";
  r.columns = {{"x", "x", CellKind::real, HumanUnit::none, 2, true},
               {"n", "n", CellKind::integer, HumanUnit::none, 2, true},
               {"s", "s", CellKind::text, HumanUnit::none, 2, true}};
  // Each value with the text it must print: the shortest digits that read back as the same
  // double, fixed notation up to 15 integer digits (".0" on an integral one, so it stays a
  // JSON float), exponent notation from 1e15 and below 1e-4, null for NaN and infinities.
  const std::vector<std::pair<double, std::string>> cases = {
      {5.0, "5.0"},
      {-0.0, "-0.0"},
      {0.1, "0.1"},
      {273e9, "273000000000.0"},
      {1073741824.0, "1073741824.0"},
      {123456789012345.0, "123456789012345.0"},
      {999999999999999.0, "999999999999999.0"},
      {1e15, "1e+15"},
      {1.513e15, "1.513e+15"},
      {-1.9789e15, "-1.9789e+15"},
      {1234567890123456.0, "1.234567890123456e+15"},
      {1e16, "1e+16"},
      {1e-7, "1e-07"},
      {0.0001234, "0.0001234"},
      {552.8571428571429, "552.8571428571429"},
      {std::numeric_limits<double>::quiet_NaN(), "null"},
      {std::numeric_limits<double>::infinity(), "null"}};
  for (const auto& [value, text] : cases) {
    r.rows = {{value, std::int64_t{-42}, std::string("plain")}};
    CHECK(render_to_string(r, OutputFormat::jsonl) ==
          "{\"n\":-42,\"s\":\"plain\",\"schema_version\":1,\"x\":" + text + "}\n");
  }
  // Strings that need escaping still go through the JSON library.
  r.rows = {{1.0, std::int64_t{0}, std::string("tab\there \"q\" \\ \x01")}};
  CHECK(render_to_string(r, OutputFormat::jsonl) ==
        "{\"n\":0,\"s\":\"tab\\there \\\"q\\\" \\\\ \\u0001\",\"schema_version\":1,\"x\":1.0}\n");
}
