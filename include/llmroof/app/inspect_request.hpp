#pragma once

#include "llmroof/app/model_choice.hpp"
#include "llmroof/report/report.hpp"

namespace llmroof {

/// One model file to inspect: a config.json or every part of a GGUF model. `file.text` is the
/// name the user gave (messages use it); `file.files` its bytes, opened by the front end
/// (empty when the name is not a file).
struct InspectRequest {
  ModelArgument file;  ///< file
};

/// What llmroof reads from the model file (see inspect_report). Throws Error when the request
/// holds no file, and the readers' errors (ModelSpecError, FileFormatError) for a bad one.
Report run_inspect(const InspectRequest& request);

}  // namespace llmroof
