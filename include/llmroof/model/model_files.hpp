#pragma once

#include <memory>
#include <string>
#include <vector>

#include "llmroof/model/gguf.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"

namespace llmroof {

/// One model file as bytes the caller opened (from disk, a browser drop, Python bytes), with the
/// name its messages use (a path or a file name).
struct ModelFile {
  std::string name;
  std::shared_ptr<ByteSource> bytes;
};

/// A model read from its files.
struct LoadedModel {
  ModelSpec spec;
  /// GGUF: every tensor of every part with its real ggml type (exact bytes via
  /// ggml_tensor_bytes); a vocab-only GGUF gets model_tensors(spec) at F16, which
  /// spec.assumed_fields records. config.json: empty; model_tensors(spec) gives the layout.
  std::vector<TensorInfo> tensors;
  bool from_gguf = false;
  std::vector<std::string> files;  ///< the files read, by name
  int file_type = -1;              ///< GGUF general.file_type (llama ftype), -1 when absent
};

/// config.json files are small; a larger file is not one (bytes).
inline constexpr std::uint64_t k_max_config_bytes = 16 * 1024 * 1024;

/// Reads a model from its files: every part of one GGUF model (named .gguf or starting with
/// the GGUF magic), or one config.json. A config without _name_or_path is named after its folder
/// ("Llama-3.1-8B/config.json") or file. Throws ModelSpecError (bad config.json, missing GGUF
/// keys), FileFormatError (malformed GGUF) or Error (no file, unreadable bytes).
LoadedModel read_model_files(const std::vector<ModelFile>& files);

/// True when `name` ends in ".gguf" (any case).
bool has_gguf_name(std::string_view name);

/// True when `file` starts with the GGUF magic bytes.
bool is_gguf(ByteSource& file);

}  // namespace llmroof
