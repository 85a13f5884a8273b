// The one number-parsing utility: whole-text matches, locale independence, clear statuses.

#include <clocale>
#include <cmath>
#include <limits>
#include <string>

#include "catch.hpp"
#include "llmroof/util/numbers.hpp"

using namespace llmroof;

TEST_CASE("parse_double reads plain and scientific numbers exactly", "[numbers]") {
  CHECK(parse_double("1e3").value == 1000.0);
  CHECK(parse_double("2.5").value == 2.5);
  CHECK(parse_double("-0.125").value == -0.125);
  CHECK(parse_double("+4").value == 4.0);
  CHECK(parse_double(".5").value == 0.5);
  CHECK(parse_double("2.5E-4").value == 0.00025);
  // Correctly rounded: the double nearest 0.1, as the compiler reads the literal.
  CHECK(parse_double("0.1").value == 0.1);
  CHECK(parse_double("1e3").status == NumberStatus::ok);
}

TEST_CASE("parse_double matches the whole text only", "[numbers]") {
  CHECK(parse_double(" 2.5 ").status == NumberStatus::invalid);
  CHECK(parse_double("2.5 ").status == NumberStatus::invalid);
  CHECK(parse_double(trim(" 2.5 ")).value == 2.5);
  CHECK(parse_double("1,5").status == NumberStatus::invalid);  // no decimal comma, any locale
  CHECK(parse_double("1e").status == NumberStatus::invalid);
  CHECK(parse_double("x").status == NumberStatus::invalid);
  CHECK(parse_double("++1").status == NumberStatus::invalid);
  CHECK(parse_double("+-1").status == NumberStatus::invalid);
  CHECK(parse_double("0x10").status == NumberStatus::invalid);
  CHECK(parse_double("").status == NumberStatus::empty);
  CHECK_FALSE(parse_double("3 4"));
}

TEST_CASE("parse_double refuses non-finite values unless asked", "[numbers]") {
  CHECK(parse_double("nan").status == NumberStatus::not_finite);
  CHECK(parse_double("-inf").status == NumberStatus::not_finite);
  CHECK(parse_double("Infinity").status == NumberStatus::not_finite);
  CHECK(parse_double("1e400").status == NumberStatus::out_of_range);
  CHECK(parse_double("-1e400").status == NumberStatus::out_of_range);
  CHECK(std::isnan(parse_double("nan", true).value));
  CHECK(parse_double("inf", true).value == std::numeric_limits<double>::infinity());
  // Below the smallest subnormal rounds to zero, as strtod does: a finite number.
  CHECK(parse_double("1e-400").value == 0.0);
  CHECK_FALSE(to_double("nan"));
  CHECK(to_double("12.75") == 12.75);
}

TEST_CASE("parse_double ignores the C locale", "[numbers]") {
  // Any installed locale with a decimal comma; without one the test still checks "C".
  const std::string before = std::setlocale(LC_NUMERIC, nullptr);
  for (const char* name : {"de_DE.UTF-8", "fr_FR.UTF-8", "C"}) {
    if (std::setlocale(LC_NUMERIC, name) == nullptr) {
      continue;
    }
    CHECK(parse_double("1.5").value == 1.5);
    CHECK(parse_double("1,5").status == NumberStatus::invalid);
  }
  std::setlocale(LC_NUMERIC, before.c_str());
}

TEST_CASE("parse_int64 reads whole numbers and reports overflow", "[numbers]") {
  CHECK(parse_int64("42").value == 42);
  CHECK(parse_int64("-7").value == -7);
  CHECK(parse_int64("+7").value == 7);
  CHECK(parse_int64("9223372036854775807").value == std::numeric_limits<std::int64_t>::max());
  CHECK(parse_int64("9223372036854775808").status == NumberStatus::out_of_range);
  CHECK(parse_int64("-9223372036854775809").status == NumberStatus::out_of_range);
  CHECK(parse_int64("1e3").status == NumberStatus::invalid);
  CHECK(parse_int64("2.0").status == NumberStatus::invalid);
  CHECK(parse_int64(" 2").status == NumberStatus::invalid);
  CHECK(parse_int64("").status == NumberStatus::empty);
  CHECK(to_int64("100", 0, 100) == 100);
  CHECK_FALSE(to_int64("101", 0, 100));
  CHECK_FALSE(to_int64("-1", 0, 100));
}

TEST_CASE("describe names each failure for a message", "[numbers]") {
  CHECK(describe(NumberStatus::invalid) == "is not a number");
  CHECK(describe(NumberStatus::out_of_range) == "is out of range");
  CHECK(describe(NumberStatus::not_finite) == "is not a finite number");
  CHECK(describe(NumberStatus::empty) == "is empty");
  CHECK(describe(NumberStatus::ok).empty());
}

TEST_CASE("trim and split_list", "[numbers]") {
  CHECK(trim(" \t a b \r\n") == "a b");
  CHECK(trim("   ").empty());
  CHECK(trim("").empty());
  CHECK(split_list("3,1/2", ",/") == std::vector<std::string>{"3", "1", "2"});
  CHECK(split_list("a,,b", ",") == std::vector<std::string>{"a", "", "b"});
  CHECK(split_list("", ",") == std::vector<std::string>{""});
  CHECK(split_list("a,", ",") == std::vector<std::string>{"a", ""});
}
