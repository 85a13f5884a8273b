// Closest-match suggestions for mistyped ids ("did you mean").

#include <string>
#include <vector>

#include "catch.hpp"
#include "llmroof/util/lookup.hpp"

using namespace llmroof;

TEST_CASE("closest_matches: nearest normalized names first, far ones left out", "[lookup]") {
  const std::vector<std::string> names = {"m4-pro", "m4-max", "m3-pro", "rtx-4090", "a100"};
  // "m4-pr" is one edit from m4-pro, two from m4-max and m3-pro.
  const auto m4 = closest_matches("m4-pr", names);
  REQUIRE(!m4.empty());
  CHECK(m4.front() == "m4-pro");
  // Case, spaces and dashes do not count: "M4 Pro" is m4-pro itself.
  CHECK(closest_matches("M4 Pro", names).front() == "m4-pro");
  CHECK(closest_matches("rtx4080", names).front() == "rtx-4090");
  // Nothing within the threshold (at least 2 edits, or half the key's length).
  CHECK(closest_matches("zzzzzzzz", names).empty());
  CHECK(closest_matches("m4-pr", names, 1).size() == 1);
  CHECK(closest_matches("m", {}).empty());
}
