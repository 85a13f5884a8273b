#include "llmroof/hardware/products.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "data/json_reader.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

namespace {

MemoryConfiguration read_configuration(const nlohmann::json& value, const std::string& pointer,
                                       detail::Diagnostics& diagnostics) {
  using detail::Check;
  detail::ObjectReader r(value, pointer, diagnostics);
  MemoryConfiguration c;
  if (!r.is_object()) {
    return c;
  }
  c.device = r.string("device", true);
  c.memory_bytes = r.number("memory_gib", Check::positive, true).value_or(0) * units::k_gib;
  c.launch_price_usd = r.number("launch_price_usd", Check::positive, false);
  c.source = r.string("source", true);
  c.is_default = r.boolean("default", false).value_or(false);
  r.optional_string("note");
  r.finish();
  return c;
}

Product read_product(const nlohmann::json& value, const std::string& pointer,
                     detail::Diagnostics& diagnostics) {
  detail::ObjectReader r(value, pointer, diagnostics);
  Product p;
  if (!r.is_object()) {
    return p;
  }
  p.id = r.string("id", true);
  p.name = r.string("name", true);
  p.aliases = r.string_array("aliases", false);
  r.each_element("configurations", true, {"configurations", true},
                 [&](const nlohmann::json& item, const std::string& at) {
                   p.configurations.push_back(read_configuration(item, at, diagnostics));
                 });
  if (!p.configurations.empty()) {
    const auto defaults = std::count_if(p.configurations.begin(), p.configurations.end(),
                                        [](const MemoryConfiguration& c) { return c.is_default; });
    if (defaults != 1) {
      diagnostics.add(r.child_pointer("configurations"),
                      fmt::format("expected exactly one configuration with \"default\": true, "
                                  "got {}",
                                  defaults));
    }
  }
  r.finish();
  return p;
}

// "24" for 24 GiB, "0.5" for 512 MiB.
std::string gib_text(double bytes) { return fmt::format("{:g}", bytes / units::k_gib); }

}  // namespace

ProductDb parse_products(std::string_view text, const std::string& display_name) {
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  ProductDb db;
  db.schema_version =
      static_cast<int>(top.integer("schema_version", detail::Check::positive, true).value_or(0));
  if (db.schema_version != 0 && db.schema_version != 1) {
    diagnostics.add(
        "/schema_version",
        fmt::format("unsupported schema_version {} (this llmroof reads 1)", db.schema_version));
  }
  top.optional_string("description");
  top.each_element("products", true, {"products"},
                   [&](const nlohmann::json& value, const std::string& pointer) {
                     db.products.push_back(read_product(value, pointer, diagnostics));
                   });
  top.finish();
  diagnostics.throw_if_any(text, display_name);
  return db;
}

std::string configuration_id(const Device& device, double memory_bytes) {
  return fmt::format("{}@{}gb", device.id, gib_text(memory_bytes));
}

void add_memory_configurations(DeviceDb& db, const ProductDb& products,
                               const std::string& display_name) {
  std::vector<std::string> problems;
  NameClaims names;
  for (const auto& d : db.devices) {
    names.claim(d.id, d.id);
    for (const auto& alias : d.aliases) {
      names.claim(alias, d.id);
    }
  }
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < db.devices.size(); ++i) {
    index[db.devices[i].id] = i;
  }
  std::vector<Device> added;
  std::set<std::string> configuration_ids;
  // The price of each chip's largest configuration, the size the chip's own row is sized at
  // (that of the first product that sells it: the one "<chip>@<N>gb" names).
  std::map<std::string, std::optional<double>> default_price;
  std::set<std::string> priced_at_largest;
  for (const auto& p : products.products) {
    // "<product>@<N>gb" names a configuration when one chip of the product has that size.
    std::map<double, int> sizes;
    for (const auto& c : p.configurations) {
      ++sizes[c.memory_bytes];
    }
    for (const auto& c : p.configurations) {
      const auto at = index.find(c.device);
      if (at == index.end()) {
        problems.push_back(fmt::format("product '{}': unknown device '{}'", p.id, c.device));
        continue;
      }
      const Device& chip = db.devices[at->second];
      const auto& chip_sizes = chip.memory_sizes_bytes;
      if (std::none_of(chip_sizes.begin(), chip_sizes.end(),
                       [&](double s) { return std::fabs(s - c.memory_bytes) < 1; })) {
        std::vector<std::string> listed;
        for (double s : chip_sizes) {
          listed.push_back(gib_text(s));
        }
        problems.push_back(fmt::format("product '{}': {} is not sold with {} GB (its sizes: {} GB)",
                                       p.id, chip.id, gib_text(c.memory_bytes),
                                       fmt::join(listed, ", ")));
        continue;
      }
      Device d = chip;
      // "<chip>@<N>gb" is the first product's that sells the chip with that memory; a later
      // product's is "<product>@<N>gb" (the same machine inside another product, at its price).
      const std::string product_name = fmt::format("{}@{}gb", p.id, gib_text(c.memory_bytes));
      d.id = configuration_id(chip, c.memory_bytes);
      if (configuration_ids.count(d.id) != 0 && sizes[c.memory_bytes] == 1) {
        d.id = product_name;
      }
      d.name = fmt::format("{}, {} GB ({})", chip.name, gib_text(c.memory_bytes), p.name);
      d.configuration_of = chip.id;
      d.memory_sizes_bytes = {c.memory_bytes};
      d.launch_price_usd = c.launch_price_usd;
      d.sources.power_price = c.source;
      d.aliases.clear();
      if (sizes[c.memory_bytes] == 1 && product_name != d.id) {
        d.aliases.push_back(product_name);
      }
      if (c.is_default) {
        d.aliases.push_back(p.id);
        d.aliases.insert(d.aliases.end(), p.aliases.begin(), p.aliases.end());
      }
      if (!chip_sizes.empty() && std::fabs(chip_sizes.back() - c.memory_bytes) < 1) {
        if (priced_at_largest.insert(chip.id).second) {
          default_price[chip.id] = c.launch_price_usd;
        }
      } else if (default_price.find(chip.id) == default_price.end()) {
        default_price[chip.id] = std::nullopt;
      }
      bool taken = false;
      if (!configuration_ids.insert(d.id).second || names.claim(d.id, d.id)) {
        problems.push_back(
            fmt::format("configuration '{}' is listed twice (product '{}')", d.id, p.id));
        taken = true;
      }
      for (const auto& alias : d.aliases) {
        auto other = names.claim(alias, d.id);
        if (other && *other == chip.id && c.is_default) {
          // A product name its chip carries ("mac-mini-m4" on m4-10c) moves to the product's
          // default configuration: the product, not the chip's largest size, is what it names.
          auto& chip_aliases = db.devices[at->second].aliases;
          const std::string key = normalize_key(alias);
          chip_aliases.erase(
              std::remove_if(chip_aliases.begin(), chip_aliases.end(),
                             [&](const std::string& a) { return normalize_key(a) == key; }),
              chip_aliases.end());
          names.release(alias);
          names.claim(alias, d.id);
        } else if (other && !taken) {
          problems.push_back(fmt::format("name '{}' of product '{}' is already used by '{}'", alias,
                                         p.id, *other));
          taken = true;
        }
      }
      if (!taken) {
        added.push_back(std::move(d));
      }
    }
  }
  // A chip listed in several memory sizes that no product sells: "<chip>@<N>gb" names each size
  // (sized_part). An Apple SoC's listed price is its base machine's, the smallest memory
  // (Apple prices memory as an upgrade), so it moves to that size and the chip's own row,
  // sized at its largest memory, has none; elsewhere the memory is bought apart from the part
  // (a CPU's price is the CPU's) and the price stands at every size.
  std::set<std::string> sold;
  for (const auto& d : added) {
    sold.insert(d.configuration_of);
  }
  for (auto& chip : db.devices) {
    if (chip.kind == DeviceKind::apple_soc && chip.configuration_of.empty() &&
        chip.memory_sizes_bytes.size() >= 2 && sold.count(chip.id) == 0 && chip.launch_price_usd) {
      chip.smallest_memory_price_usd = chip.launch_price_usd;
      chip.launch_price_usd.reset();
    }
  }
  throw_if_problems(std::move(problems), display_name);
  for (const auto& [chip, price] : default_price) {
    db.devices[index[chip]].launch_price_usd = price;
  }
  db.devices.insert(db.devices.end(), std::make_move_iterator(added.begin()),
                    std::make_move_iterator(added.end()));
}

namespace {

// The one-size devices of `chip`: its configurations in `db`, else (a chip in several sizes
// that no product sells) its sized parts.
std::vector<const Device*> configurations_of(const DeviceDb& db, const Device& chip) {
  std::vector<const Device*> out;
  for (const auto& d : db.devices) {
    if (d.configuration_of == chip.id && !d.memory_sizes_bytes.empty()) {
      out.push_back(&d);
    }
  }
  if (out.empty()) {
    for (double size : chip.memory_sizes_bytes) {
      if (const Device* part = sized_part(db, chip, size)) {
        out.push_back(part);
      }
    }
  }
  return out;
}

}  // namespace

std::string memory_configuration_note(const DeviceDb& db, const Device& device) {
  if (!device.configuration_of.empty()) {
    return {};
  }
  const auto configurations = configurations_of(db, device);
  // Where every size has the part's own price (a CPU's, its memory bought apart), no size is
  // priced in the note.
  const bool one_price = std::all_of(
      configurations.begin(), configurations.end(),
      [&device](const Device* d) { return d->launch_price_usd == device.launch_price_usd; });
  auto priced = [one_price](double bytes, const std::optional<double>& price) {
    return price && !one_price ? fmt::format("{} GB (${:.0f})", gib_text(bytes), *price)
                               : fmt::format("{} GB", gib_text(bytes));
  };
  std::vector<std::string> others;
  std::string example;
  for (const Device* d : configurations) {
    const double bytes = d->memory_sizes_bytes.front();
    if (d->id != configuration_id(device, bytes)) {
      // The same memory in another product ("macbook-pro-14-m4-pro@24gb"), at its own price.
      others.push_back(
          d->launch_price_usd ? fmt::format("{} (${:.0f})", d->id, *d->launch_price_usd) : d->id);
    } else if (std::fabs(bytes - device.max_memory_bytes()) >= 1) {
      others.push_back(priced(bytes, d->launch_price_usd));
    } else {
      continue;
    }
    if (example.empty()) {
      example = d->id;
    }
  }
  if (others.empty()) {
    return {};
  }
  return fmt::format("{} is sized as its {} configuration; also {}: name one as {}", device.id,
                     priced(device.max_memory_bytes(), device.launch_price_usd),
                     fmt::join(others, ", "), example);
}

std::optional<InstalledPrice> price_with_memory(const DeviceDb& db, const Device& device,
                                                double memory_bytes) {
  const auto same_size = [memory_bytes](const Device& d) {
    return !d.memory_sizes_bytes.empty() &&
           std::fabs(d.max_memory_bytes() - memory_bytes) < 1;  // a configuration has one size
  };
  if (same_size(device)) {
    return std::nullopt;
  }
  const Device* chip = &device;
  if (!device.configuration_of.empty()) {
    chip = nullptr;
    for (const auto& d : db.devices) {
      if (d.id == device.configuration_of) {
        chip = &d;
      }
    }
    if (chip == nullptr) {
      return InstalledPrice{};
    }
  }
  // A chip sold as no configuration keeps its price at any size, but for an Apple SoC's, which
  // is its smallest size's (its sized parts say so).
  const bool sold = std::any_of(db.devices.begin(), db.devices.end(),
                                [chip](const Device& d) { return d.configuration_of == chip->id; });
  if (!sold && !chip->smallest_memory_price_usd) {
    return std::nullopt;
  }
  const auto configurations = configurations_of(db, *chip);
  for (const Device* d : configurations) {
    if (same_size(*d)) {
      return InstalledPrice{d->launch_price_usd, d};
    }
  }
  return InstalledPrice{};
}

}  // namespace llmroof
