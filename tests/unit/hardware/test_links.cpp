// Interconnect catalog: loading in base units, validation messages, forgiving lookup.

#include "catch.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

const char* k_small = R"J({
  "schema_version": 1,
  "links": [
    {"id": "pcie-4-x16", "aliases": ["pcie4"], "name": "PCIe 4.0 x16",
     "bandwidth_gb_per_s": 31.5, "bidirectional_aggregate": false, "latency_us": 2,
     "sources": {"bandwidth": "https://a.example", "latency": "https://b.example"}},
    {"id": "nvlink-4", "aliases": [], "name": "NVLink 4 (900 GB/s aggregate)",
     "bandwidth_gb_per_s": 900, "bidirectional_aggregate": true, "latency_us": 2,
     "sources": {"bandwidth": "https://a.example", "latency": "https://b.example"}}
  ]
})J";

std::vector<std::string> messages_of(const std::string& text) {
  try {
    parse_links(text, "bad.json");
  } catch (const DataError& e) {
    return e.messages();
  }
  return {};
}

const LinkDb& shipped() {
  static const LinkDb db = parse_links(test::read(test::data_dir() / "links.json"), "links.json");
  return db;
}

}  // namespace

TEST_CASE("links load in base units; an aggregate is halved", "[links]") {
  const LinkDb db = parse_links(k_small, "small.json");
  REQUIRE(db.links.size() == 2);
  CHECK(db.links[0].bandwidth_bytes_per_s == Approx(31.5e9));
  CHECK(db.links[0].latency_s == Approx(2e-6));
  CHECK(db.links[0].bandwidth_source == "https://a.example");
  // 900 GB/s counted over both directions is 450 GB/s each way.
  CHECK(db.links[1].bandwidth_bytes_per_s == Approx(450e9));
}

TEST_CASE("the shipped catalog validates and carries the interconnects of the issue", "[links]") {
  const LinkDb& db = shipped();
  CHECK(db.schema_version == 1);
  CHECK(check_link_db(db).empty());
  for (const char* id : {"nvlink-3", "nvlink-4", "nvlink-5", "pcie-3-x16", "pcie-4-x16",
                         "pcie-5-x16", "thunderbolt-4", "thunderbolt-5", "usb4", "10gbe", "25gbe",
                         "100gbe", "400gbe", "infiniband-hdr", "infiniband-ndr"}) {
    INFO(id);
    const Link* link = find_link(db, id);
    REQUIRE(link != nullptr);
    CHECK(link->bandwidth_bytes_per_s > 0);
    CHECK(link->latency_s > 0);
    CHECK_FALSE(link->bandwidth_source.empty());
  }
  // The figures the cluster tests' hand calculations use.
  CHECK(find_link(db, "thunderbolt-5")->bandwidth_bytes_per_s == Approx(10e9));
  CHECK(find_link(db, "thunderbolt-5")->latency_s == Approx(50e-6));
  CHECK(find_link(db, "pcie-4-x16")->bandwidth_bytes_per_s == Approx(31.5e9));
  CHECK(find_link(db, "pcie-4-x16")->latency_s == Approx(2e-6));
  CHECK(find_link(db, "10gbe")->bandwidth_bytes_per_s == Approx(1.25e9));
  CHECK(find_link(db, "10gbe")->latency_s == Approx(25e-6));
}

TEST_CASE("link lookup forgives case, spaces, dashes and dots", "[links][lookup]") {
  const LinkDb& db = shipped();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"thunderbolt5", "thunderbolt-5"},
      {"tb5", "thunderbolt-5"},
      {"Thunderbolt 5", "thunderbolt-5"},
      {"pcie4", "pcie-4-x16"},
      {"PCIe 4.0 x16", "pcie-4-x16"},
      {"10gbe", "10gbe"},
      {"10GbE", "10gbe"},
      {"ib-ndr", "infiniband-ndr"},
      {"NVLink-4", "nvlink-4"},
  };
  for (const auto& [name, id] : cases) {
    INFO(name);
    const Link* link = find_link(db, name);
    REQUIRE(link != nullptr);
    CHECK(link->id == id);
  }
  CHECK(find_link(db, "carrier-pigeon") == nullptr);
  CHECK(find_link(db, "") == nullptr);
}

TEST_CASE("an unknown link names the closest ids", "[links][lookup]") {
  const LinkDb& db = shipped();
  try {
    require_link(db, "thunderbolt6");
    FAIL("expected a UsageError");
  } catch (const UsageError& e) {
    const std::string what = e.what();
    CHECK(what.find("unknown link 'thunderbolt6'") == 0);
    CHECK(what.find("did you mean") != std::string::npos);
    CHECK(what.find("'thunderbolt-5'") != std::string::npos);
  }
}

TEST_CASE("link validation reports every problem with its line", "[links]") {
  const std::string bad = R"J({
  "schema_version": 1,
  "links": [
    {"id": "a", "aliases": ["x"], "name": "A", "bandwidth_gb_per_s": -1,
     "bidirectional_aggregate": false, "latency_us": 2, "colour": "red",
     "sources": {"bandwidth": "u", "latency": "v"}},
    {"id": "b", "aliases": ["X"], "name": "B", "bandwidth_gb_per_s": 5,
     "bidirectional_aggregate": false, "latency_us": 2,
     "sources": {"bandwidth": "u", "latency": "v"}}
  ]
})J";
  const auto messages = messages_of(bad);
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].find("bad.json:4: /links/0/bandwidth_gb_per_s") == 0);
  CHECK(messages[1] == "bad.json:5: /links/0/colour: unknown field 'colour'");
  // Aliases that collide after normalization are refused once the fields are valid.
  const std::string clash = R"J({"schema_version": 1, "links": [
    {"id": "a", "aliases": ["x"], "name": "A", "bandwidth_gb_per_s": 1,
     "bidirectional_aggregate": false, "latency_us": 2,
     "sources": {"bandwidth": "u", "latency": "v"}},
    {"id": "b", "aliases": ["X"], "name": "B", "bandwidth_gb_per_s": 5,
     "bidirectional_aggregate": false, "latency_us": 2,
     "sources": {"bandwidth": "u", "latency": "v"}}]})J";
  const auto clashes = messages_of(clash);
  REQUIRE(clashes.size() == 1);
  CHECK(clashes[0] == "bad.json: name 'X' of link 'b' is already used by 'a'");
}
