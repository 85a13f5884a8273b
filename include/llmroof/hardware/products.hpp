#pragma once

// Products and their memory configurations (data/products.json): a product names a chip of
// data/devices.json with one memory size and its own launch price ("Mac mini M4 Pro 24 GB",
// $1,399). Each configuration becomes a device of its own, "<device>@<N>gb", so that fit and
// price refer to the same machine; a product's name selects its default configuration.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/hardware/hardware.hpp"

namespace llmroof {

/// One configuration a product was sold in.
struct MemoryConfiguration {
  std::string device;                      ///< the chip's device id in devices.json
  double memory_bytes = 0;                 ///< installed memory (one of the device's sizes)
  std::optional<double> launch_price_usd;  ///< US launch list price; nullopt: not sourced
  std::string source;                      ///< where the price (or the configuration) is stated
  bool is_default = false;                 ///< the configuration the product's name selects
  /// Field by field.
  bool operator==(const MemoryConfiguration&) const = default;
};

/// A product line: its name, the names people type for it, its configurations.
struct Product {
  std::string id;                                   ///< "mac-mini-m4-pro"
  std::string name;                                 ///< "Mac mini M4 Pro"
  std::vector<std::string> aliases;                 ///< "mac mini m4 pro", ...
  std::vector<MemoryConfiguration> configurations;  ///< at least one; exactly one default
  /// Field by field.
  bool operator==(const Product&) const = default;
};

struct ProductDb {
  int schema_version = 0;
  std::vector<Product> products;
  /// Field by field.
  bool operator==(const ProductDb&) const = default;
};

/// Parses and validates products.json. Throws DataError ("file:line: /pointer: message").
ProductDb parse_products(std::string_view text, const std::string& display_name);

/// The id of `device`'s configuration with `memory_bytes`: "m4-pro-20c@24gb".
std::string configuration_id(const Device& device, double memory_bytes);

/// Adds one device per configuration of `products` to `db`: a copy of its chip with that one
/// memory size and price, id configuration_id(), `configuration_of` the chip's id, aliases
/// "<product id>@<N>gb" (and the product's id and aliases for its default). A chip that has
/// configurations takes the price of its largest one (its default size), or none when that is
/// not sourced. A chip listed in several memory sizes that no product sells gets one
/// configuration per size as well (no aliases): on an Apple SoC its listed price is the smallest
/// size's (Apple's base machine) and its own row, sized at its largest, has none; other parts
/// keep their price at every size (memory bought apart). Throws DataError naming `display_name`
/// for an unknown device, a size the device does not list, or a name already taken.
void add_memory_configurations(DeviceDb& db, const ProductDb& products,
                               const std::string& display_name);

/// For a chip that has memory configurations in `db`: "m4-pro-20c is sized as its 64 GB
/// configuration ($2,199); also 24 GB ($1,599), 48 GB: name one as m4-pro-20c@24gb"; "" for a
/// configuration or a device without any.
std::string memory_configuration_note(const DeviceDb& db, const Device& device);

/// What `device` costs with `memory_bytes` installed (--memory).
struct InstalledPrice {
  std::optional<double> launch_price_usd;  ///< nullopt: no priced configuration of that size
  const Device* configuration = nullptr;   ///< the configuration of that size, if one is sold
};

/// The price of `device` with `memory_bytes` installed: nullopt when its chip has memory
/// configurations in `db` and the size is its own (the device's price stands; also for a
/// device without configurations), else that size's configuration and its launch price (none
/// when no configuration of that size is sold or priced). Sizes match to within a byte.
std::optional<InstalledPrice> price_with_memory(const DeviceDb& db, const Device& device,
                                                double memory_bytes);

}  // namespace llmroof
