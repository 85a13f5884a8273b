#pragma once

#include <string>
#include <string_view>

#include "llmroof/model/model_spec.hpp"

namespace llmroof {

/// Reads a Hugging Face `config.json` (the text of the file; `display_name` names it in
/// messages). Known `model_type`s get their own layout; any other is read as a llama-style
/// decoder from the common fields, and every value it had to assume is listed in
/// `ModelSpec::assumed_fields`. total_params and active_params are the exact sums over the
/// tensors llama.cpp would write (model_tensors). Throws ModelSpecError naming the file and the
/// field: "config.json: field 'num_hidden_layers': expected an integer, got string".
ModelSpec parse_hf_config(std::string_view text, const std::string& display_name);

}  // namespace llmroof
