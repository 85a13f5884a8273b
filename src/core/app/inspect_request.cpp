#include "llmroof/app/inspect_request.hpp"

#include <fmt/format.h>

#include "llmroof/model/inspect.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

Report run_inspect(const InspectRequest& request) {
  if (request.file.files.empty()) {
    throw Error(fmt::format("{}: no such file or directory", request.file.text));
  }
  return inspect_report(read_model_files(request.file.files));
}

}  // namespace llmroof
