// The platform side of --model: which files a path names (the core reads their bytes).

#include "llmroof/platform/model_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>

#include "llmroof/model/gguf.hpp"
#include "llmroof/model/model_files.hpp"
#include "llmroof/platform/file_source.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

namespace fs = std::filesystem;

std::shared_ptr<ByteSource> open_shared(const fs::path& path) {
  return std::shared_ptr<ByteSource>(open_file_source(path));
}

bool is_gguf_name(const fs::path& path) { return has_gguf_name(path.string()); }

std::vector<ModelFile> open_config(const fs::path& path) {
  std::error_code ec;
  static_cast<void>(fs::file_size(path, ec));
  if (ec) {
    throw Error(fmt::format("{}: cannot open: {}", path.string(), ec.message()));
  }
  return {ModelFile{path.string(), open_shared(path)}};
}

std::vector<ModelFile> open_gguf(const fs::path& path) {
  std::vector<fs::path> paths;
  if (const auto split = parse_split_name(path.string())) {
    for (int part = 1; part <= split->count; ++part) {
      paths.emplace_back(split_part_name(*split, part));
    }
  } else {
    paths.push_back(path);
  }
  std::vector<ModelFile> files;
  for (const fs::path& part : paths) {
    files.push_back({part.string(), open_shared(part)});
  }
  return files;
}

/// The one model a directory holds: its config.json, else its single GGUF model.
std::vector<ModelFile> open_directory(const fs::path& dir) {
  const fs::path config = dir / "config.json";
  std::error_code ec;
  if (fs::is_regular_file(config, ec)) {
    return open_config(config);
  }
  // GGUF files, with the parts of a split model counted once.
  std::set<std::string> models;
  fs::path first;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec) || !is_gguf_name(entry.path())) {
      continue;
    }
    const auto split = parse_split_name(entry.path().string());
    const std::string key = split ? split->prefix : entry.path().string();
    if (models.insert(key).second && (first.empty() || entry.path() < first)) {
      first = split ? fs::path(split_part_name(*split, 1)) : entry.path();
    }
  }
  if (ec) {
    throw Error(fmt::format("{}: cannot list the directory: {}", dir.string(), ec.message()));
  }
  if (models.empty()) {
    throw Error(fmt::format("{}: no config.json or .gguf file in this directory", dir.string()));
  }
  if (models.size() > 1) {
    throw Error(fmt::format("{}: {} GGUF models in this directory; name one of the files",
                            dir.string(), models.size()));
  }
  return open_gguf(first);
}

}  // namespace

std::optional<std::vector<ModelFile>> open_model_files(const std::string& argument) {
  if (argument.empty()) {
    return std::nullopt;
  }
  const fs::path path(argument);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return std::nullopt;
  }
  if (fs::is_directory(status)) {
    return open_directory(path);
  }
  if (is_gguf_name(path)) {
    return open_gguf(path);
  }
  // Not named .gguf: trust the magic bytes over the name.
  auto config = open_config(path);
  if (is_gguf(*config.front().bytes)) {
    return open_gguf(path);
  }
  return config;
}

std::optional<LoadedModel> load_model_file(const std::string& argument) {
  auto files = open_model_files(argument);
  if (!files) {
    return std::nullopt;
  }
  return read_model_files(*files);
}

}  // namespace llmroof
