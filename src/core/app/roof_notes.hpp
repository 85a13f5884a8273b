#pragma once

// The notes that say which peak an estimate's compute roof is: a precision the device lacks
// (or has only slower than a wider one), and the int8 peak of quantized blocks.

#include <string>
#include <string_view>
#include <vector>

#include "llmroof/hardware/hardware.hpp"

namespace llmroof::app {

/// "gtx-1070 has no fp16 rate above its fp32 peak, which is the compute roof" for the devices
/// `ids` (one or more), asked for `requested` and priced at `used`.
std::string precision_note(const std::vector<std::string>& ids, Precision requested,
                           Precision used);

/// "rtx-4090: llama.cpp multiplies q4_k_m's quantized blocks with int8 activations; its int8
/// peak is the compute roof" for the devices `ids` (one or more).
std::string int8_roof_note(const std::vector<std::string>& ids, std::string_view quant);

}  // namespace llmroof::app
