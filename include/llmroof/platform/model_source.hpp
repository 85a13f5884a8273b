#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"

namespace llmroof {

/// A model read from files on disk.
struct LoadedModel {
  ModelSpec spec;
  /// GGUF: every tensor of every part with its real ggml type (exact bytes via
  /// ggml_tensor_bytes); a vocab-only GGUF gets model_tensors(spec) at F16, which
  /// spec.assumed_fields records. config.json: empty; model_tensors(spec) gives the layout.
  std::vector<TensorInfo> tensors;
  bool from_gguf = false;
  std::vector<std::string> files;  ///< the files read, as paths
  int file_type = -1;              ///< GGUF general.file_type (llama ftype), -1 when absent
};

/// What `--model X` names when X is a path: a config.json, a directory holding a config.json
/// (or exactly one GGUF model), or a .gguf file; every part of a split GGUF
/// ("name-00001-of-00003.gguf", any part may be named) is read. nullopt when `argument` is not
/// an existing path. Throws ModelSpecError (bad config.json, missing GGUF keys),
/// FileFormatError (malformed GGUF) or Error (unreadable file, ambiguous directory).
std::optional<LoadedModel> load_model_file(const std::string& argument);

}  // namespace llmroof
