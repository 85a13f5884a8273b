// The JSON locator (lines of the values an error names) and the depth pre-scan.

#include <string>
#include <vector>

#include "catch.hpp"
#include "data/json_reader.hpp"
#include "llmroof/util/errors.hpp"

using llmroof::detail::JsonLocator;

TEST_CASE("the locator finds the lines of the pointers it is given", "[data]") {
  const std::string text =
      "{\n"
      "  \"schema_version\": 1,\n"
      "  \"devices\": [\n"
      "    {\"id\": \"a\",\n"
      "     \"skip\": {\"deep\": [[[1, 2], \"]\"], {\"x\": \"}\"}]},\n"
      "     \"name\": \"A\"},\n"
      "    {\"id\": \"b\", \"a/b~c\": 3,\n"
      "     \"k\\u0065y\": 4}\n"
      "  ]\n"
      "}\n";
  const JsonLocator locator(text, {"/devices/0/name", "/devices/1/a~1b~0c", "/devices/1/key",
                                   "/devices/1/missing", "/nothing/here", "/"});
  CHECK(locator.line_of("/devices/0/name") == 6);
  CHECK(locator.line_of("/devices/1/a~1b~0c") == 7);
  CHECK(locator.line_of("/devices/1/key") == 8);      // the escaped key decodes as the parser does
  CHECK(locator.line_of("/devices/1/missing") == 7);  // the closest ancestor
  CHECK(locator.line_of("/nothing/here") == 1);
  CHECK(locator.line_of("/") == 1);
}

TEST_CASE("the locator's memory grows with the pointers asked for, not with the input", "[data]") {
  // A flat device file of 100,000 devices, one line each: the old locator stored a pointer
  // for each of its 500,000 values.
  std::string text = "{\"schema_version\": 1, \"devices\": [\n";
  constexpr int k_devices = 100000;
  for (int i = 0; i < k_devices; ++i) {
    text += "{\"id\": \"d" + std::to_string(i) + "\", \"memory_bytes\": 1, \"x\": [1, 2]}";
    text += i + 1 < k_devices ? ",\n" : "\n";
  }
  text += "]}\n";
  const JsonLocator locator(text, {"/devices/99999/x/1", "/devices/5/id"});
  CHECK(locator.line_of("/devices/99999/x/1") == 100001);
  CHECK(locator.line_of("/devices/5/id") == 7);
  // Tracked: "", /devices, /devices/99999, /devices/99999/x, .../x/1, /devices/5, .../5/id.
  CHECK(locator.tracked() == 7U);
}

TEST_CASE("the locator skips deep nesting without recursion", "[data]") {
  // 200,000 nested arrays under an unwanted key: skipped by a depth counter.
  const std::string text =
      "{\"junk\": " + std::string(200000, '[') + std::string(200000, ']') + ",\n\"id\": 5}";
  const JsonLocator locator(text, {"/id"});
  CHECK(locator.line_of("/id") == 2);
  // Wanted pointers deeper than the nesting limit end at the limit instead of recursing on.
  std::string deep;
  for (int i = 0; i < 1000; ++i) {
    deep += "/0";
  }
  const JsonLocator deep_locator(std::string(2000, '[') + "\n1" + std::string(2000, ']'), {deep});
  CHECK(deep_locator.line_of(deep) == 1);
}

TEST_CASE("truncated or broken text gives the lines found so far", "[data]") {
  const JsonLocator locator("{\"a\":\n[1, {\"b\": \"unterminated", {"/a/1/b", "/a/0"});
  CHECK(locator.line_of("/a/0") == 2);
  CHECK(locator.line_of("/a/1/b") == 2);
  const JsonLocator empty("", {"/a"});
  CHECK(empty.line_of("/a") == 1);
}

TEST_CASE("data file problems name the line of each field", "[data]") {
  llmroof::detail::Diagnostics diagnostics;
  diagnostics.add("/devices/1/memory_bytes", "expected a positive number, got -1");
  diagnostics.add("", "missing required field 'schema_version'");
  const std::string text = "{\"devices\": [{},\n{\n\"memory_bytes\": -1}]}";
  try {
    diagnostics.throw_if_any(text, "d.json");
    FAIL("no DataError");
  } catch (const llmroof::DataError& e) {
    CHECK(e.messages() ==
          std::vector<std::string>{
              "d.json:3: /devices/1/memory_bytes: expected a positive number, got -1",
              "d.json:1: /: missing required field 'schema_version'"});
  }
}

TEST_CASE("duplicate keys in a data file are an error naming the line and the key", "[data]") {
  using llmroof::detail::json_duplicate_key_problem;
  CHECK(json_duplicate_key_problem(R"({"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]})") ==
        std::nullopt);
  CHECK(json_duplicate_key_problem("{\"id\": \"a\",\n \"name\": \"x\",\n \"id\": \"b\"}") ==
        "3:2: duplicate key 'id' (first at line 1)");
  // Strings that are values, or hold quotes and colons, are not keys.
  CHECK(json_duplicate_key_problem(R"({"a": "a", "b": "\"a\": 1", "c": ["a", "a"]})") ==
        std::nullopt);
  // Past 16 keys the object's keys are hashed; a late duplicate is still found.
  std::string many = "{";
  for (int i = 0; i < 1000; ++i) {
    many += "\"k" + std::to_string(i) + "\": 1, ";
  }
  CHECK(json_duplicate_key_problem(many + "\"k999\": 2}") ==
        "1:" + std::to_string(many.size() + 1) + ": duplicate key 'k999' (first at line 1)");
  CHECK_THROWS_WITH(
      llmroof::detail::parse_json_text("{\"schema_version\": 1,\n\"schema_version\": 2}", "d.json"),
      "d.json:2:1: duplicate key 'schema_version' (first at line 1)");
}

TEST_CASE("a number beyond the double range is a data error naming its line", "[data]") {
  CHECK_THROWS_WITH(llmroof::detail::parse_json_text(
                        "{\"devices\": [\n{\"memory_bandwidth_gb_per_s\": 1e400}]}", "d.json"),
                    "d.json:2:31: invalid JSON: number overflow parsing '1e400' (not a finite "
                    "number)");
}

TEST_CASE("integers past their type are problems, never wrapped (no -1)", "[data]") {
  const auto doc = nlohmann::json::parse(
      R"({"cores": 4294967297, "big": 18446744073709551615, "ok": 7, "neg": -2})");
  llmroof::detail::Diagnostics diagnostics;
  llmroof::detail::ObjectReader r(doc, "/d", diagnostics);
  using llmroof::detail::Check;
  CHECK_FALSE(r.small_integer("cores", Check::positive, true));
  CHECK_FALSE(r.integer("big", Check::positive, true));
  CHECK(r.small_integer("ok", Check::positive, true) == 7);
  CHECK_FALSE(r.small_integer("neg", Check::non_negative, true));
  r.finish();
  try {
    diagnostics.throw_if_any(doc.dump(), "d.json");
    FAIL("no DataError");
  } catch (const llmroof::DataError& e) {
    CHECK(e.messages() ==
          std::vector<std::string>{
              "d.json:1: /d/cores: expected an integer up to 2147483647, got 4294967297",
              "d.json:1: /d/big: expected an integer up to 9223372036854775807, got "
              "18446744073709551615",
              "d.json:1: /d/neg: expected a non-negative integer, got -2"});
  }
}
