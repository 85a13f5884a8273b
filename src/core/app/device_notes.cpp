#include "app/device_notes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "llmroof/hardware/products.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof::app {
namespace {

void add_once(std::vector<std::string>& notes, std::string note) {
  if (!note.empty() && std::find(notes.begin(), notes.end(), note) == notes.end()) {
    notes.push_back(std::move(note));
  }
}

// Where the price of a device with {memory} installed comes from.
std::string installed_price_note(const Device& device, const InstalledPrice& price,
                                 double memory_bytes) {
  const std::string with =
      fmt::format("{} with {:g} GB ({{memory}})", device.id, memory_bytes / units::k_gib);
  if (price.configuration == nullptr) {
    return fmt::format("{}: no such configuration is sold, so no price figures", with);
  }
  if (!price.launch_price_usd) {
    return fmt::format("{}: {} has no sourced launch price, so no price figures", with,
                       price.configuration->id);
  }
  return fmt::format("{} is priced as {}: ${:.0f}", with, price.configuration->id,
                     *price.launch_price_usd);
}

}  // namespace

void family_note(std::vector<std::string>& notes, const DeviceMatch& match, const DeviceDb& db,
                 const EstimateOptions& options) {
  if (match.family != nullptr) {
    add_once(notes, fmt::format("'{}' covers {}; using {}: {}", match.family->alias,
                                fmt::join(match.family->covers, ", "), match.device->id,
                                match.family->note));
  }
  if (!options.memory_bytes && !options.usable_memory_bytes) {
    add_once(notes, memory_configuration_note(db, *match.device));
  }
}

void memory_note(std::vector<std::string>& notes, const Device& device,
                 const EstimateOptions& options) {
  const double available_bytes = options.usable_memory_bytes.value_or(
      usable_memory_bytes(device, options.memory_bytes.value_or(device.max_memory_bytes())));
  if (options.usable_memory_bytes) {
    add_once(notes, fmt::format("{}: {:.1f} GiB usable, as {{usable_memory}} gives it (no OS share "
                                "applied)",
                                device.id, available_bytes / units::k_gib));
  } else if (options.memory_bytes) {
    add_once(notes, fmt::format("{}: {:.1f} GiB installed ({{memory}}), {:.1f} GiB usable: {}",
                                device.id, *options.memory_bytes / units::k_gib,
                                available_bytes / units::k_gib, usable_memory_rule(device)));
  }
}

const Device* priced_for_memory(const DeviceDb& db, const Device& device,
                                const EstimateOptions& options, std::deque<Device>& copies,
                                std::vector<std::string>& notes) {
  if (!options.memory_bytes) {
    return &device;
  }
  const auto price = price_with_memory(db, device, *options.memory_bytes);
  if (!price) {
    return &device;
  }
  copies.push_back(device);
  copies.back().launch_price_usd = price->launch_price_usd;
  add_once(notes, installed_price_note(device, *price, *options.memory_bytes));
  return &copies.back();
}

}  // namespace llmroof::app
