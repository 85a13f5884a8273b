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

}  // namespace llmroof::app
