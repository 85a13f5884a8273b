// Device database: loading, validation messages, lookup and selection.

#include <string>

#include "catch.hpp"
#include "llmroof/data/data_files.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

const char* k_small_db = R"({
  "schema_version": 1,
  "strict": false,
  "family_aliases": [
    {"alias": "m4-pro", "device": "m4-pro-20c", "covers": ["m4-pro-16c", "m4-pro-20c"],
     "note": "defaults to the 20-core GPU"}
  ],
  "devices": [
    {"id": "m4-pro-20c", "aliases": ["mac-mini-m4-pro"], "vendor": "Apple", "name": "M4 Pro 20c",
     "kind": "apple-soc", "memory_sizes_gib": [64, 24, 48], "memory_bandwidth_gb_per_s": 273,
     "fp32_tflops": 9.2, "fp16_tflops": 9.2},
    {"id": "m4-pro-16c", "vendor": "Apple", "name": "M4 Pro 16c", "kind": "apple-soc",
     "memory_sizes_gib": [24], "memory_bandwidth_gb_per_s": 273, "fp32_tflops": 7.4},
    {"id": "rtx-4090", "aliases": ["geforce-rtx-4090"], "vendor": "NVIDIA", "name": "RTX 4090",
     "kind": "gpu", "segment": "desktop", "memory_sizes_gib": [24],
     "memory_bandwidth_gb_per_s": 1008, "fp32_tflops": 82.6, "fp16_tflops": 165.2,
     "int8_tops": 660.6, "int4_tops": 1321.2}
  ]
})";

DeviceDb small_db() { return parse_devices(k_small_db, "small.json"); }

std::vector<std::string> messages_of(const std::string& text) {
  try {
    parse_devices(text, "bad.json");
  } catch (const DataError& e) {
    return e.messages();
  }
  return {};
}

}  // namespace

TEST_CASE("devices load in base units", "[hardware]") {
  const DeviceDb db = small_db();
  REQUIRE(db.devices.size() == 3);
  const Device& mac = db.devices[0];
  CHECK(mac.mem_bw_bytes_per_s == Approx(273e9));
  CHECK(mac.peak(Precision::fp16) == Approx(9.2e12));
  CHECK(mac.peak(Precision::int4) == 0);
  CHECK(mac.max_memory_bytes() == Approx(64 * units::k_gib));  // sorted ascending
  CHECK(mac.memory_sizes_bytes.front() == Approx(24 * units::k_gib));
  CHECK(db.devices[2].peak(Precision::int4) == Approx(1321.2e12));
}

TEST_CASE("lookup ignores case, spaces, dashes and dots", "[hardware][lookup]") {
  const DeviceDb db = small_db();
  for (const char* name : {"rtx-4090", "RTX 4090", "rtx4090", "Rtx.4090", "geforce rtx 4090"}) {
    INFO(name);
    REQUIRE(find_device(db, name).has_value());
    CHECK(find_device(db, name)->device->id == "rtx-4090");
  }
  // A family alias resolves to its documented default and says so.
  for (const char* name : {"m4pro", "M4 Pro", "m4-pro"}) {
    const auto m = find_device(db, name);
    REQUIRE(m.has_value());
    CHECK(m->device->id == "m4-pro-20c");
    REQUIRE(m->family != nullptr);
    CHECK(m->family->covers.size() == 2);
  }
  CHECK_FALSE(find_device(db, "rtx-5090").has_value());
}

TEST_CASE("device selection: lists, all, vendor, kind and segment filters", "[hardware][lookup]") {
  const DeviceDb db = small_db();
  CHECK(select_devices(db, "all").size() == 3);
  CHECK(select_devices(db, "apple").size() == 2);
  CHECK(select_devices(db, "nvidia").size() == 1);
  CHECK(select_devices(db, "gpu").size() == 1);
  CHECK(select_devices(db, "apple-soc").size() == 2);
  CHECK(select_devices(db, "desktop").size() == 1);
  const auto list = select_devices(db, "rtx-4090,m4pro,rtx4090");
  REQUIRE(list.size() == 2);  // duplicates collapse, order kept
  CHECK(list[0].device->id == "rtx-4090");
  CHECK(list[1].device->id == "m4-pro-20c");
  try {
    select_devices(db, "rtx-4900");
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) ==
          "unknown device 'rtx-4900'; did you mean 'rtx-4090'? (list them with 'llmroof "
          "devices')");
  }
  CHECK_THROWS_AS(select_devices(db, "rtx-4090,,m4pro"), UsageError);
}

TEST_CASE("bad device files: every problem with file, line and pointer", "[hardware][errors]") {
  const std::string text = R"({
  "schema_version": 1,
  "strict": false,
  "devices": [
    {"id": "x", "vendor": "V", "name": "X", "kind": "gpu", "memory_sizes_gib": [8],
     "memory_bandwidth_gb_per_s": "3350", "fp32_tflops": 10, "colour": "red"},
    {"id": "y", "vendor": "V", "name": "Y", "kind": "tpu", "memory_sizes_gib": [],
     "memory_bandwidth_gb_per_s": 0.5, "fp32_tflops": -1}
  ]
})";
  const auto messages = messages_of(text);
  auto has = [&](const std::string& m) {
    INFO(m);
    CHECK(std::find(messages.begin(), messages.end(), m) != messages.end());
  };
  has("bad.json:6: /devices/0/memory_bandwidth_gb_per_s: expected a positive number, got \"3350\"");
  has("bad.json:6: /devices/0/colour: unknown field 'colour'");
  has("bad.json:7: /devices/1/kind: expected one of gpu, igpu, apple-soc, soc, cpu, got \"tpu\"");
  has("bad.json:7: /devices/1/memory_sizes_gib: expected a non-empty array of numbers, got []");
  has("bad.json:8: /devices/1/fp32_tflops: expected a positive number, got -1");
  has("bad.json:8: /devices/1/memory_bandwidth_gb_per_s: implausible bandwidth (expected 1 to "
      "100000 GB/s)");
  CHECK(messages.size() == 6);

  const auto syntax = messages_of("{\n  \"schema_version\": 1,\n  \"devices\": [\n    {,\n");
  REQUIRE(syntax.size() == 1);
  CHECK(syntax[0].rfind("bad.json:4:6: invalid JSON:", 0) == 0);
}

TEST_CASE("names must stay unambiguous", "[hardware][errors]") {
  const std::string text = R"({"schema_version": 1, "strict": false, "devices": [
    {"id": "a-100", "vendor": "V", "name": "A", "kind": "gpu", "memory_sizes_gib": [8],
     "memory_bandwidth_gb_per_s": 100, "fp32_tflops": 1},
    {"id": "a100", "vendor": "V", "name": "B", "kind": "gpu", "memory_sizes_gib": [8],
     "memory_bandwidth_gb_per_s": 100, "fp32_tflops": 1}]})";
  const auto messages = messages_of(text);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0] == "bad.json: name 'a100' of 'a100' is already used by 'a-100'");
}

TEST_CASE("a user's device file adds to and overrides the database", "[hardware]") {
  DeviceDb db = small_db();
  merge_devices(db, parse_devices(R"({"schema_version": 1, "strict": false, "devices": [
    {"id": "rtx-4090", "vendor": "NVIDIA", "name": "My 4090", "kind": "gpu",
     "memory_sizes_gib": [24], "memory_bandwidth_gb_per_s": 900, "fp32_tflops": 80},
    {"id": "my-npu", "vendor": "Me", "name": "Mine", "kind": "soc",
     "memory_sizes_gib": [16], "memory_bandwidth_gb_per_s": 50, "fp32_tflops": 2}]})",
                                  "mine.json"));
  CHECK(db.devices.size() == 4);
  CHECK(find_device(db, "rtx-4090")->device->name == "My 4090");
  CHECK(find_device(db, "my-npu")->device->origin == "mine.json");
}

TEST_CASE("merging names the shipped devices a device file replaces", "[hardware]") {
  DeviceDb db = small_db();
  DeviceDb extra;
  extra.devices = {db.devices[0], db.devices[0]};
  extra.devices[1].id = "brand-new";
  extra.devices[1].aliases.clear();
  const std::string shipped_id = db.devices[0].id;
  const auto replaced = merge_devices(db, extra);
  REQUIRE(replaced.size() == 1);
  CHECK(replaced[0] == shipped_id);
  CHECK(db.devices.size() == 4);
}

TEST_CASE("merging 100k devices keeps every one (the merge is hash-indexed)", "[hardware]") {
  // A linear search per merged entry took 88 s for a 100k-device --device-file; the time is a
  // benchmark matter, this checks the indexed merge's result.
  DeviceDb db = small_db();
  const std::size_t before = db.devices.size();
  DeviceDb extra;
  Device model = db.devices[0];
  model.aliases.clear();
  for (int i = 0; i < 100000; ++i) {
    model.id = "gen-" + std::to_string(i);
    extra.devices.push_back(model);
  }
  CHECK(merge_devices(db, std::move(extra)).empty());
  REQUIRE(db.devices.size() == before + 100000);
  CHECK(db.devices[before + 99999].id == "gen-99999");
}

TEST_CASE("the shipped device database loads and covers the reference devices",
          "[hardware][data]") {
  const auto path = test::data_dir() / "devices.json";
  if (!std::filesystem::exists(path)) {
    WARN("skipped: data/devices.json absent");
    return;
  }
  const DeviceDb db = parse_devices(test::read(path), "devices.json");
  CHECK(db.devices.size() >= 120);
  CHECK(check_device_db(db).empty());
  for (const char* id : {"a100", "rtx-4090", "m4pro", "m1-8c", "rpi-4b", "h100-sxm", "mi300x"}) {
    INFO(id);
    CHECK(find_device(db, id).has_value());
  }
  // The source article's A100 is the 80GB PCIe part at 1935 GB/s.
  CHECK(find_device(db, "a100")->device->mem_bw_bytes_per_s == Approx(1935e9));
}

TEST_CASE("edit distance and suggestions", "[lookup]") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(normalize_key("M4 Pro") == "m4pro");
  CHECK(normalize_key("meta-llama/Llama-3.1:70B") == "metallamallama3170b");
  CHECK(did_you_mean({}).empty());
  CHECK(did_you_mean({"a"}) == "did you mean 'a'?");
  CHECK(did_you_mean({"a", "b", "c"}) == "did you mean 'a', 'b' or 'c'?");
}

TEST_CASE("name claims: one owner per normalized name", "[lookup]") {
  NameClaims claims;
  CHECK_FALSE(claims.claim("rtx-4090", "rtx-4090").has_value());
  CHECK_FALSE(claims.claim("RTX 4090", "rtx-4090").has_value());  // same owner again
  CHECK(claims.claim("rtx4090", "other").value() == "rtx-4090");
}

TEST_CASE("device provenance: one entry per device, no orphans", "[hardware][errors]") {
  const std::string sources = R"({"schema_version": 1, "provenance": {
    "rtx-4090": {"sources": {"memory": "m", "compute": "c", "power_price": "p"},
                 "verification": "V"},
    "ghost": {"sources": {"memory": "m", "compute": "c", "power_price": "p"},
              "verification": "K"}}})";
  try {
    check_device_sources(k_small_db, "small.json", sources, "sources.json");
    FAIL("no error");
  } catch (const DataError& e) {
    CHECK(e.messages() ==
          std::vector<std::string>{"sources.json: device 'm4-pro-20c' has no sources",
                                   "sources.json: device 'm4-pro-16c' has no sources",
                                   "sources.json: sources for unknown device 'ghost'"});
  }
  DeviceDb db = small_db();
  const auto problems = attach_device_sources(db, parse_device_sources(sources, "s.json"));
  CHECK(problems.size() == 3);
  CHECK(find_device(db, "rtx-4090")->device->verification == "V");
  CHECK_NOTHROW(throw_if_problems({}, "x"));
}

TEST_CASE("find_device: the names people type resolve through the loose key", "[hardware]") {
  const DeviceDb& db = test::devices();
  auto id_of = [&db](std::string_view name) {
    const auto match = find_device(db, name);
    return match ? match->device->id : std::string("(none)");
  };
  for (const char* name : {"rpi4", "rpi-4", "pi4", "raspberry pi 4", "Raspberry Pi 4 Model B"}) {
    INFO(name);
    CHECK(id_of(name) == "rpi-4b");
  }
  CHECK(id_of("pi 5") == "rpi-5");
  CHECK(id_of("6000 ada") == "rtx-6000-ada");
  CHECK(id_of("h100 pcie") == "h100-pcie");
  CHECK(id_of("4090 laptop") == "rtx-4090-laptop");
  CHECK(id_of("NVIDIA GeForce RTX 4090 Laptop GPU") == "rtx-4090-laptop");
  CHECK(id_of("nvidia rtx 4090") == "rtx-4090");
  // mi300 is a family alias of the data (the MI300 series), with a note.
  const auto mi300 = find_device(db, "mi300");
  REQUIRE(mi300.has_value());
  CHECK(mi300->device->id == "mi300x");
  REQUIRE(mi300->family != nullptr);
  CHECK_FALSE(mi300->family->note.empty());
  // "rtx 6000" is no device's loose key ("6000"): Quadro RTX 6000, RTX 6000 Ada and RTX PRO
  // 6000 keep the word that tells them apart.
  CHECK(id_of("rtx 6000") == "(none)");
  CHECK(id_of("zzz") == "(none)");
}

TEST_CASE("select_devices: a miss suggests device ids, each once", "[hardware]") {
  const DeviceDb& db = test::devices();
  try {
    select_devices(db, "i9-13900");
    FAIL("no error");
  } catch (const RequestError& e) {
    CHECK(e.suggestions() == std::vector<std::string>{"i9-13900k-ddr5"});
  }
}

TEST_CASE("runnable backends: the usual one, Vulkan beside CUDA/ROCm/SYCL, cpu with a host",
          "[hardware][backend]") {
  const DeviceDb& db = test::devices();
  const Device& rtx = *find_device(db, "rtx-4090")->device;
  CHECK(runnable_backends(rtx) == std::vector<std::string>{"cuda", "vulkan"});
  CHECK_NOTHROW(require_backend(rtx, ""));
  CHECK_NOTHROW(require_backend(rtx, "Vulkan"));
  CHECK_THROWS_AS(require_backend(rtx, "metal"), RequestError);
  // No host CPU in the data: the CPU backend cannot be estimated on the GPU's figures.
  CHECK_THROWS_AS(require_backend(rtx, "cpu"), RequestError);
  const Device& mac = *find_device(db, "m4-pro")->device;
  REQUIRE(mac.cpu.has_value());
  CHECK(runnable_backends(mac) == std::vector<std::string>{"metal", "cpu"});
  CHECK_THROWS_AS(require_backend(mac, "cuda"), RequestError);
  const Device& xeon = *find_device(db, "xeon-8480+")->device;
  CHECK(runnable_backends(xeon) == std::vector<std::string>{"cpu"});
}

TEST_CASE("arrays of the data files say what they must hold", "[hardware][parse]") {
  auto errors = [](auto parse, const std::string& text) {
    try {
      parse(text, "bad.json");
    } catch (const DataError& e) {
      return e.messages();
    }
    return std::vector<std::string>{};
  };
  const auto devices = [](const std::string& t, const std::string& n) { parse_devices(t, n); };
  const auto links = [](const std::string& t, const std::string& n) { parse_links(t, n); };
  const auto products = [](const std::string& t, const std::string& n) { parse_products(t, n); };
  const auto models = [](const std::string& t, const std::string& n) { parse_models(t, n); };
  CHECK(errors(devices, R"({"schema_version": 1, "devices": {}})") ==
        std::vector<std::string>{"bad.json:1: /devices: expected an array of devices"});
  CHECK(errors(devices, R"({"schema_version": 1, "devices": [], "family_aliases": 3})") ==
        std::vector<std::string>{"bad.json:1: /family_aliases: expected an array"});
  CHECK(errors(links, R"({"schema_version": 1, "links": []})") ==
        std::vector<std::string>{"bad.json:1: /links: expected a non-empty array of links"});
  CHECK(errors(products, R"({"schema_version": 1, "products": [{"id": "p", "name": "P",
      "configurations": []}]})") ==
        std::vector<std::string>{
            "bad.json:2: /products/0/configurations: expected a non-empty array of "
            "configurations"});
  CHECK(errors(models, R"({"schema_version": 1, "models": [], "ollama_tags": {}})") ==
        std::vector<std::string>{"bad.json:1: /ollama_tags: expected an array of Ollama tags"});
}
