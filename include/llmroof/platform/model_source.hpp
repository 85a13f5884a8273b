#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/model/model_files.hpp"

namespace llmroof {

/// The files `argument` names when it is a path: a config.json, a directory holding a
/// config.json (or exactly one GGUF model), or a .gguf file with every part of a split GGUF
/// ("name-00001-of-00003.gguf", any part may be named). nullopt when `argument` is not an
/// existing path. Throws Error (unreadable file, ambiguous directory).
std::optional<std::vector<ModelFile>> open_model_files(const std::string& argument);

/// The model `argument` names when it is a path (open_model_files, then read_model_files). nullopt
/// when `argument` is not an existing path. Throws ModelSpecError (bad config.json, missing GGUF
/// keys), FileFormatError (malformed GGUF) or Error (unreadable file, ambiguous directory).
std::optional<LoadedModel> load_model_file(const std::string& argument);

}  // namespace llmroof
