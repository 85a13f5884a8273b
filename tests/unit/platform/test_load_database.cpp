// Data-file loading: the one platform function that reads the data directory and user files.

#include <algorithm>
#include <string>

#include "catch.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/platform/load_database.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

TEST_CASE("load_database: the data directory plus the user's device files", "[data][load]") {
  DataLocation location;
  location.data_dir = test::data_dir().string();
  location.device_files = {(test::test_data_dir() / "good" / "sweep-devices.json").string()};
  const Database db = load_database(location);
  CHECK(db.texts().devices.name == "devices.json");
  REQUIRE(db.texts().extra_devices.size() == 1);
  const auto extra = find_device(db.devices(), "sweep-gpu-24g");
  REQUIRE(extra.has_value());
  CHECK(extra->device->mem_bw_bytes_per_s == 1000e9);
  // The shipped devices stay, merged under the extra ones.
  CHECK(find_device(db.devices(), "rtx-4090").has_value());
  // The chips, the 2 extra devices and one device per memory configuration of products.json.
  const auto configurations =
      std::count_if(db.devices().devices.begin(), db.devices().devices.end(),
                    [](const Device& d) { return !d.configuration_of.empty(); });
  CHECK(configurations == 31);
  CHECK(db.devices().devices.size() ==
        test::devices().devices.size() + 2 + static_cast<std::size_t>(configurations));
}

TEST_CASE("load_database: a directory already found is used as it is", "[data][load]") {
  DataLocation location;
  location.data_dir = "/no/such/dir";  // not consulted
  const Database db = load_database(test::data_dir(), location);
  CHECK(db.models().models.size() == test::catalog().models.size());
}

TEST_CASE("load_database: a missing file is an error naming it", "[data][load]") {
  DataLocation location;
  location.data_dir = test::data_dir().string();
  location.calibration_files = {"/no/such/profile.json"};
  try {
    load_database(location);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("/no/such/profile.json") != std::string::npos);
  }
  location.calibration_files.clear();
  location.data_dir = "/no/such/dir";
  CHECK_THROWS_AS(load_database(location), Error);
}
