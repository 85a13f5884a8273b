#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "llmroof/app/estimate_request.hpp"
#include "llmroof/model/model_files.hpp"

namespace llmroof {

/// Builds an EstimateRequest from a JSON object, for front ends without a command line (the web
/// page, Python). Keys are the request's field ids (estimate_request_fields()); values are in the
/// CLI's units: bandwidth GB/s, tflops TFLOP/s, memory GiB, power W, price_per_hour USD per
/// hour; null is the same as absent. "device" and "show" take a string or an array of strings,
/// "split_ratio" a string or an array of numbers, "gpu_layers" a whole number or "auto".
/// `model_files` / `draft_files` hold the bytes when the model / draft is given as files (the
/// JSON's "model" / "draft" is then their display name, optional). Throws RequestError on the
/// field at fault (unknown key, wrong type, out of range, missing model or device) with
/// suggestions where names are close, and for text that is not a JSON object.
EstimateRequest estimate_request_from_json(std::string_view json,
                                           std::vector<ModelFile> model_files = {},
                                           std::vector<ModelFile> draft_files = {});

/// The field ids estimate_request_from_json reads, in the order of `llmroof estimate --help`.
std::span<const std::string_view> estimate_request_fields();

}  // namespace llmroof
