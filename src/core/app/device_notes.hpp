#pragma once

// The notes a device choice adds to an estimate or a sweep: the family an alias covers, the
// memory configuration a chip is sized at, what --memory / --usable-memory made of it, and the
// price of the machine --memory describes.

#include <deque>
#include <string>
#include <vector>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof::app {

/// Adds (once each) the family note of `match` ("'m4-pro' covers ...; using m4-pro-20c: ...")
/// and, unless {memory} or {usable_memory} sets the memory, the memory configuration note of
/// a chip sold in several (memory_configuration_note over `db`).
void family_note(std::vector<std::string>& notes, const DeviceMatch& match, const DeviceDb& db,
                 const EstimateOptions& options);

/// Adds (once) what {memory} / {usable_memory} made of `device`'s memory: installed and
/// usable GiB and the rule between them; nothing when neither is given.
void memory_note(std::vector<std::string>& notes, const Device& device,
                 const EstimateOptions& options);

/// `device` as priced with {memory} installed (price_with_memory over `db`): `device` itself
/// when its own price stands or no {memory} is given, else a copy kept in `copies` (which must
/// outlive the result's use) with that size's price, adding (once) a note naming where the
/// price comes from.
const Device* priced_for_memory(const DeviceDb& db, const Device& device,
                                const EstimateOptions& options, std::deque<Device>& copies,
                                std::vector<std::string>& notes);

}  // namespace llmroof::app
