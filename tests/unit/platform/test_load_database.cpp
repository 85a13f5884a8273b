// Data-file loading: the one platform function that reads the data directory and user files.

#include <algorithm>
#include <string>

#include "builtin_tables.hpp"
#include "catch.hpp"
#include "llmroof/hardware/products.hpp"
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

TEST_CASE("builtin tables: the devices with configurations equal products applied at run time",
          "[data][load]") {
  // A run without --device-file takes configured_devices(), which datagen built by applying
  // products.json to the shipped devices; with a --device-file, devices() applies products()
  // itself. Both must give what the files on disk give (the loader over data/*.json).
  const BuiltinTables& builtin = builtin_tables();
  DeviceDb applied = builtin.devices();
  add_memory_configurations(applied, builtin.products(), "products.json");
  const DeviceDb configured = builtin.configured_devices();
  DataLocation location;
  location.data_dir = test::data_dir().string();
  const Database from_files = load_database(location);
  const DeviceDb& parsed = from_files.devices();
  for (const DeviceDb* db : {static_cast<const DeviceDb*>(&applied), &parsed}) {
    REQUIRE(db->devices.size() == configured.devices.size());
    for (std::size_t i = 0; i < configured.devices.size(); ++i) {
      const Device& a = db->devices[i];
      const Device& b = configured.devices[i];
      CHECK(a.id == b.id);
      CHECK(a.name == b.name);
      CHECK(a.aliases == b.aliases);
      CHECK(a.configuration_of == b.configuration_of);
      CHECK(a.memory_sizes_bytes == b.memory_sizes_bytes);
      CHECK(a.launch_price_usd == b.launch_price_usd);
      CHECK(a.sources.power_price == b.sources.power_price);
      CHECK(a.mem_bw_bytes_per_s == b.mem_bw_bytes_per_s);
    }
  }
  // 31 configurations (as the test above counts) on top of the chips.
  const auto configurations =
      std::count_if(configured.devices.begin(), configured.devices.end(),
                    [](const Device& d) { return !d.configuration_of.empty(); });
  CHECK(configurations == 31);
  CHECK(configured.devices.size() == builtin.devices().devices.size() + 31);
  // Without a --device-file the built-in database returns exactly that table.
  const Database shipped(builtin, DataTexts{});
  CHECK(shipped.devices().devices.size() == configured.devices.size());
  CHECK(shipped.devices().devices.back().id == configured.devices.back().id);
}

TEST_CASE("builtin tables equal the data files", "[data][load]") {
  // Every compiled-in table, read back through table_fields.hpp's field lists, equals what the
  // loader builds from data/*.json at run time: a field left out of those lists (or written in
  // another order than it is read) would differ here.
  const BuiltinTables& builtin = builtin_tables();
  DataLocation location;
  location.data_dir = test::data_dir().string();
  const Database from_files = load_database(location);
  CHECK(builtin.configured_devices() == from_files.devices());
  CHECK(builtin.models() == from_files.models());
  CHECK(builtin.efficiency() == from_files.efficiency());
  CHECK(builtin.links() == from_files.links());
  const DataTexts& texts = from_files.texts();
  CHECK(builtin.device_sources() ==
        parse_device_sources(texts.device_sources.text, texts.device_sources.name));
  CHECK(builtin.products() == parse_products(builtin_text("products.json"), "products.json"));
  DeviceDb chips = builtin.devices();
  CHECK(chips.devices.size() == 184);
  add_memory_configurations(chips, builtin.products(), "products.json");
  CHECK(chips == from_files.devices());
  // The tables carry what the structs hold, down to the last device's last field.
  const DeviceDb configured = builtin.configured_devices();
  const auto m4pro = find_device(configured, "m4-pro-20c");
  REQUIRE(m4pro.has_value());
  CHECK(m4pro->device->mem_bw_bytes_per_s == 273e9);
  CHECK(m4pro->device->arch.id == "apple-m4");
}
