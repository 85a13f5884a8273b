#pragma once

#include <filesystem>
#include <memory>

#include "llmroof/model/gguf.hpp"

namespace llmroof {

/// Opens `path` for reading as a ByteSource (only the ranges asked for are read). Throws Error
/// naming the file when it cannot be opened.
std::unique_ptr<ByteSource> open_file_source(const std::filesystem::path& path);

}  // namespace llmroof
