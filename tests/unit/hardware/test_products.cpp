// Products and memory configurations (data/products.json): each configuration is a device of
// its own with one memory size and its own price.

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/units.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

DeviceDb with_products(std::string_view products_text) {
  DeviceDb db = test::devices();
  add_memory_configurations(db, parse_products(products_text, "products.json"), "products.json");
  return db;
}

const char* k_mini = R"({"schema_version": 1, "products": [
  {"id": "mac-mini-m4-pro", "name": "Mac mini M4 Pro", "aliases": ["mac mini m4 pro"],
   "configurations": [
     {"device": "m4-pro-16c", "memory_gib": 24, "launch_price_usd": 1399, "source": "https://a", "default": true},
     {"device": "m4-pro-20c", "memory_gib": 24, "launch_price_usd": null, "source": "https://b"},
     {"device": "m4-pro-20c", "memory_gib": 64, "launch_price_usd": 2199, "source": "https://c"}]}]})";

}  // namespace

TEST_CASE("a configuration is its chip with one memory size and its own price", "[products]") {
  const DeviceDb db = with_products(k_mini);
  const auto c = find_device(db, "m4-pro-16c@24gb");
  REQUIRE(c);
  CHECK(c->device->id == "m4-pro-16c@24gb");
  CHECK(c->device->configuration_of == "m4-pro-16c");
  CHECK(c->device->max_memory_bytes() == 24 * units::k_gib);
  CHECK(c->device->launch_price_usd == 1399.0);
  CHECK(c->device->mem_bw_bytes_per_s == find_device(db, "m4-pro-16c")->device->mem_bw_bytes_per_s);
  // Any name of the chip, and the size written as people write it.
  for (const char* name : {"m4-pro-16c@24", "M4 Pro 16c @ 24 GB", "m4-pro-16c@24gib"}) {
    INFO(name);
    REQUIRE(find_device(db, name));
    CHECK(find_device(db, name)->device->id == "m4-pro-16c@24gb");
  }
  // A family alias ("m4-pro" is the 20-core bin) keeps its default chip.
  REQUIRE(find_device(db, "m4-pro@24gb"));
  CHECK(find_device(db, "m4-pro@24gb")->device->id == "m4-pro-20c@24gb");
  CHECK_FALSE(find_device(db, "m4-pro-20c@32gb"));  // not sold
  // The product's names select its default configuration.
  CHECK(find_device(db, "mac mini m4 pro")->device->id == "m4-pro-16c@24gb");
  CHECK(find_device(db, "mac-mini-m4-pro")->device->id == "m4-pro-16c@24gb");
  CHECK(find_device(db, "mac-mini-m4-pro@64gb")->device->id == "m4-pro-20c@64gb");
  // Two chips of the product at 24 GB: "mac-mini-m4-pro@24gb" names neither.
  CHECK_FALSE(find_device(db, "mac-mini-m4-pro@24gb"));
}

TEST_CASE("CHIP@SIZE also names a part sold in that one size, and a family's variant",
          "[products]") {
  const DeviceDb db = with_products(k_mini);
  // The RTX 4090 is sold with 24 GB only: naming the size is naming the card.
  REQUIRE(find_device(db, "rtx-4090@24gb"));
  CHECK(find_device(db, "rtx-4090@24gb")->device->id == "rtx-4090");
  CHECK_FALSE(find_device(db, "rtx-4090@48gb"));
  // 'a100' covers 40 and 80 GB parts: the size picks the variant, the family's default first.
  const auto forty = find_device(db, "a100@40gb");
  REQUIRE(forty);
  CHECK(forty->device->max_memory_bytes() == 40 * units::k_gib);
  REQUIRE(forty->family != nullptr);
  CHECK(forty->family->alias == "a100");
  const auto eighty = find_device(db, "a100@80gb");
  REQUIRE(eighty);
  CHECK(eighty->device->id == find_device(db, "a100")->device->id);
}

TEST_CASE("a size a chip is not sold in is an error naming the sizes", "[products]") {
  const DeviceDb db = with_products(k_mini);
  auto error_of = [&](const std::string& name) {
    try {
      select_devices(db, name, "device");
    } catch (const RequestError& e) {
      return std::pair{e.message_template(), e.suggestions()};
    }
    return std::pair{std::string("no error"), std::vector<std::string>{}};
  };
  const auto [mini, mini_names] = error_of("m4-pro-20c@32gb");
  CHECK(mini ==
        "'m4-pro-20c' comes in 24 GB, 64 GB, not '32gb'; name one as m4-pro-20c@24gb, "
        "m4-pro-20c@64gb");
  CHECK(mini_names == std::vector<std::string>{"m4-pro-20c@24gb", "m4-pro-20c@64gb"});
  const auto [card, card_names] = error_of("rtx-4090@48gb");
  CHECK(card == "'rtx-4090' comes in 24 GB, not '48gb'; name one as rtx-4090@24gb");
  const auto [family, family_names] = error_of("a100@64gb");
  CHECK_THAT(family, Catch::StartsWith("'a100' ("));
  CHECK_THAT(family, Catch::EndsWith(
                         "comes in 40 GB, 80 GB, not '64gb'; name one as a100@40gb, a100@80gb"));
  // A product with two chips at 24 GB names neither; the size is not what is wrong.
  CHECK_THAT(error_of("mac-mini-m4-pro@24gb").first,
             Catch::StartsWith("unknown device 'mac-mini-m4-pro@24gb'"));
  // A chip listing several sizes but sold as no product has a configuration per size, so its
  // error names them as any chip's does.
  CHECK(error_of("ryzen-9-7950x@24gb").first ==
        "'ryzen-9-7950x' comes in 32 GB, 64 GB, 128 GB, 192 GB, not '24gb'; name one as "
        "ryzen-9-7950x@32gb, ryzen-9-7950x@64gb, ryzen-9-7950x@128gb, ryzen-9-7950x@192gb");
  // An unknown chip keeps the usual suggestions.
  CHECK_THAT(error_of("rtx-9999@24gb").first, Catch::StartsWith("unknown device 'rtx-9999@24gb'"));
}

TEST_CASE("a chip is priced as the configuration it is sized at", "[products]") {
  const DeviceDb db = with_products(k_mini);
  // m4-pro-20c is sized at 64 GB, its largest: that configuration's $2,199, not the 24 GB one's.
  const Device& chip = *find_device(db, "m4-pro-20c")->device;
  CHECK(chip.max_memory_bytes() == 64 * units::k_gib);
  CHECK(chip.launch_price_usd == 2199.0);
  // m4-pro-16c's 64 GB configuration is not listed: no price rather than the 24 GB one's.
  CHECK_FALSE(find_device(db, "m4-pro-16c")->device->launch_price_usd.has_value());
  CHECK(memory_configuration_note(db, chip) ==
        "m4-pro-20c is sized as its 64 GB ($2199) configuration; also 24 GB: name one as "
        "m4-pro-20c@24gb");
  CHECK(memory_configuration_note(db, *find_device(db, "m4-pro-20c@24gb")->device).empty());
}

TEST_CASE("memory set by --memory prices a device as its configuration of that size",
          "[products]") {
  const DeviceDb db = with_products(k_mini);
  const Device& chip16 = *find_device(db, "m4-pro-16c")->device;
  const Device& chip20 = *find_device(db, "m4-pro-20c")->device;
  const Device& config20 = *find_device(db, "m4-pro-20c@24gb")->device;
  // The size a device is priced at already: its own price stands.
  CHECK_FALSE(price_with_memory(db, chip20, 64 * units::k_gib));
  CHECK_FALSE(price_with_memory(db, config20, 24 * units::k_gib));
  // Another size: that configuration's price ($1,399), or none when it is not sourced.
  const auto at24 = price_with_memory(db, chip16, 24 * units::k_gib);
  REQUIRE(at24);
  CHECK(at24->launch_price_usd == 1399.0);
  REQUIRE(at24->configuration != nullptr);
  CHECK(at24->configuration->id == "m4-pro-16c@24gb");
  const auto at24_20 = price_with_memory(db, chip20, 24 * units::k_gib);
  REQUIRE(at24_20);
  CHECK_FALSE(at24_20->launch_price_usd);
  CHECK(at24_20->configuration->id == "m4-pro-20c@24gb");
  // From a configuration to its sibling: the 24 GB machine with 64 GB is the $2,199 one.
  const auto sibling = price_with_memory(db, config20, 64 * units::k_gib);
  REQUIRE(sibling);
  CHECK(sibling->launch_price_usd == 2199.0);
  // A size not sold: no price rather than another size's.
  const auto unsold = price_with_memory(db, chip20, 32 * units::k_gib);
  REQUIRE(unsold);
  CHECK_FALSE(unsold->launch_price_usd);
  CHECK(unsold->configuration == nullptr);
  // A device without configurations keeps its price at any size.
  CHECK_FALSE(price_with_memory(db, *find_device(db, "rtx-4090")->device, 48 * units::k_gib));
}

TEST_CASE("a chip sold as no product is named in each of its memory sizes", "[products]") {
  const DeviceDb db = with_products(R"({"schema_version": 1, "products": []})");
  const Device& shipped = *find_device(test::devices(), "m2-max-38c")->device;
  REQUIRE(shipped.memory_sizes_bytes.size() == 3);  // 32, 64 and 96 GB
  REQUIRE(shipped.launch_price_usd);                // Apple's base machine, 32 GB
  // Each size is named; an Apple SoC's price is its smallest size's, the others have none.
  const auto base = find_device(db, "m2-max-38c@32gb");
  REQUIRE(base);
  CHECK(base->device->id == "m2-max-38c@32gb");
  CHECK(base->device->name == shipped.name + ", 32 GB");
  CHECK(base->device->configuration_of == "m2-max-38c");
  CHECK(base->device->max_memory_bytes() == 32 * units::k_gib);
  CHECK(base->device->launch_price_usd == shipped.launch_price_usd);
  CHECK(base->device->mem_bw_bytes_per_s == shipped.mem_bw_bytes_per_s);
  const auto at64 = find_device(db, "m2-max-38c@64gb");
  REQUIRE(at64);
  CHECK_FALSE(at64->device->launch_price_usd);
  // Made once: the same name is the same device.
  CHECK(find_device(db, "m2-max-38c@32gb")->device == base->device);
  // The chip's own row is sized at 96 GB, a size the data gives no price for.
  const auto chip = find_device(db, "m2-max-38c");
  CHECK(chip->device->max_memory_bytes() == 96 * units::k_gib);
  CHECK_FALSE(chip->device->launch_price_usd);
  CHECK(chip->device->smallest_memory_price_usd == shipped.launch_price_usd);
  CHECK(memory_configuration_note(db, *chip->device) ==
        fmt::format("m2-max-38c is sized as its 96 GB configuration; also 32 GB (${:.0f}), 64 GB: "
                    "name one as m2-max-38c@32gb",
                    *shipped.launch_price_usd));
  // --memory 32 prices it as its base machine; 48 GB is not a size it comes in.
  const auto with32 = price_with_memory(db, *chip->device, 32 * units::k_gib);
  REQUIRE(with32);
  CHECK(with32->launch_price_usd == shipped.launch_price_usd);
  CHECK(with32->configuration == base->device);
  const auto with48 = price_with_memory(db, *chip->device, 48 * units::k_gib);
  REQUIRE(with48);
  CHECK_FALSE(with48->launch_price_usd);
  // A CPU's price is the CPU's, memory bought apart: every size keeps it, also under --memory.
  const auto cpu = find_device(db, "ryzen-9-7950x");
  const auto at32 = find_device(db, "ryzen-9-7950x@32gb");
  REQUIRE(at32);
  CHECK(at32->device->max_memory_bytes() == 32 * units::k_gib);
  CHECK(at32->device->launch_price_usd == cpu->device->launch_price_usd);
  CHECK(cpu->device->launch_price_usd ==
        find_device(test::devices(), "ryzen-9-7950x")->device->launch_price_usd);
  CHECK_FALSE(price_with_memory(db, *cpu->device, 48 * units::k_gib));
  CHECK(memory_configuration_note(db, *cpu->device) ==
        "ryzen-9-7950x is sized as its 192 GB configuration; also 32 GB, 64 GB, 128 GB: name one "
        "as ryzen-9-7950x@32gb");
  // The copies are not devices of the table: no list or filter shows them.
  CHECK(std::none_of(db.devices.begin(), db.devices.end(),
                     [](const Device& d) { return d.id == "m2-max-38c@32gb"; }));
  // A part in one size, or a chip a product sells, has none.
  CHECK(sized_part(db, *find_device(db, "rtx-4090")->device, 24 * units::k_gib) == nullptr);
}

TEST_CASE("configurations are chosen by name only, never by a filter", "[products]") {
  const DeviceDb db = with_products(k_mini);
  const auto apple = select_devices(db, "apple");
  for (const auto& m : apple) {
    CHECK(m.device->configuration_of.empty());
  }
  CHECK(select_devices(db, "all").size() == test::devices().devices.size());
  CHECK(select_devices(db, "mac mini m4 pro").size() == 1);
}

TEST_CASE("products.json errors name the file and the problem", "[products][errors]") {
  auto problem = [](const char* text) {
    try {
      with_products(text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(problem(R"({"schema_version": 1, "products": [{"id": "x", "name": "X",
      "configurations": [{"device": "m4-pro-20c", "memory_gib": 32, "launch_price_usd": 1,
      "source": "https://a", "default": true}]}]})"),
             Catch::Contains("m4-pro-20c is not sold with 32 GB (its sizes: 24, 48, 64 GB)"));
  CHECK_THAT(problem(R"({"schema_version": 1, "products": [{"id": "x", "name": "X",
      "configurations": [{"device": "no-such", "memory_gib": 32, "launch_price_usd": 1,
      "source": "https://a", "default": true}]}]})"),
             Catch::Contains("unknown device 'no-such'"));
  CHECK_THAT(problem(R"({"schema_version": 1, "products": [{"id": "x", "name": "X",
      "configurations": [{"device": "rpi-5", "memory_gib": 8, "launch_price_usd": 1,
      "source": "https://a"}]}]})"),
             Catch::Contains("exactly one configuration"));
  CHECK_THAT(problem(R"({"schema_version": 1, "products": [{"id": "rtx-4090", "name": "X",
      "configurations": [{"device": "rpi-5", "memory_gib": 8, "launch_price_usd": 1,
      "source": "https://a", "default": true}]}]})"),
             Catch::Contains("already used by 'rtx-4090'"));
  // One chip and size twice in one product: the second has no name of its own.
  CHECK_THAT(problem(R"({"schema_version": 1, "products": [{"id": "x", "name": "X",
      "configurations": [{"device": "rpi-5", "memory_gib": 8, "launch_price_usd": 1,
      "source": "https://a", "default": true}, {"device": "rpi-5", "memory_gib": 8,
      "launch_price_usd": 2, "source": "https://a"}]}]})"),
             Catch::Contains("configuration 'rpi-5@8gb' is listed twice (product 'x')"));
}

TEST_CASE("the same chip and memory in two products are two configurations", "[products]") {
  // A Mac mini and a MacBook Pro with the same M4 Pro and 24 GB: one machine inside two
  // products at two prices. "<chip>@<N>gb" is the first product's; the second's is
  // "<product>@<N>gb", and the chip's own row is priced as the first product's.
  const DeviceDb db = with_products(R"({"schema_version": 1, "products": [
    {"id": "mini", "name": "Mini", "configurations": [
      {"device": "m4-pro-20c", "memory_gib": 24, "launch_price_usd": 1399, "source": "https://a", "default": true},
      {"device": "m4-pro-20c", "memory_gib": 64, "launch_price_usd": 2199, "source": "https://a"}]},
    {"id": "book", "name": "Book", "configurations": [
      {"device": "m4-pro-20c", "memory_gib": 24, "launch_price_usd": 1999, "source": "https://b", "default": true},
      {"device": "m4-pro-20c", "memory_gib": 64, "launch_price_usd": null, "source": "https://b"}]}]})");
  CHECK(find_device(db, "m4-pro-20c@24gb")->device->launch_price_usd == 1399.0);
  CHECK(find_device(db, "book@24gb")->device->launch_price_usd == 1999.0);
  CHECK(find_device(db, "book")->device->id == "book@24gb");
  CHECK(find_device(db, "book@64gb")->device->configuration_of == "m4-pro-20c");
  const Device& chip = *find_device(db, "m4-pro-20c")->device;
  CHECK(chip.launch_price_usd == 2199.0);  // the first product's 64 GB, not the second's none
  std::size_t ids = 0;
  for (const auto& d : db.devices) {
    ids += d.id == "m4-pro-20c@24gb" ? 1 : 0;
  }
  CHECK(ids == 1);
  CHECK(memory_configuration_note(db, chip) ==
        "m4-pro-20c is sized as its 64 GB ($2199) configuration; also 24 GB ($1399), "
        "book@24gb ($1999), book@64gb: name one as m4-pro-20c@24gb");
}

TEST_CASE("the shipped products.json loads", "[products][data]") {
  const DeviceDb db = with_products(test::read(test::data_dir() / "products.json"));
  CHECK(find_device(db, "mac mini")->device->id == "m4-10c@16gb");
  CHECK(find_device(db, "mac mini")->device->launch_price_usd == 599.0);
  CHECK(find_device(db, "macbook pro m4 max")->device->id == "m4-max-40c@48gb");
  CHECK(find_device(db, "mac studio m3 ultra")->device->id == "m3-ultra-60c@96gb");
  CHECK(find_device(db, "rpi-5@8gb")->device->launch_price_usd == 80.0);
  CHECK(find_device(db, "rpi-5")->device->launch_price_usd == 120.0);  // sized at 16 GB
}
