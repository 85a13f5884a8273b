// One of the few core files that touch the filesystem: it decides what a --model path names.

#include "llmroof/platform/model_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "llmroof/model/gguf.hpp"
#include "llmroof/model/hf_config.hpp"
#include "llmroof/platform/file_source.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

namespace fs = std::filesystem;

// config.json files are small; anything larger is not one.
constexpr std::uintmax_t k_max_config_bytes = 16 * 1024 * 1024;

std::string read_config(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    throw Error(fmt::format("{}: cannot open: {}", path.string(), ec.message()));
  }
  if (size > k_max_config_bytes) {
    throw ModelSpecError(
        fmt::format("{}: {} bytes is too large for a config.json", path.string(), size));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("{}: cannot open", path.string()));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool is_gguf_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".gguf";
}

LoadedModel load_config(const fs::path& path) {
  LoadedModel loaded;
  loaded.spec = parse_hf_config(read_config(path), path.string());
  if (loaded.spec.name == path.string()) {
    // No _name_or_path: name the model after its folder ("Llama-3.1-8B/config.json") or file.
    const fs::path parent = path.parent_path().filename();
    loaded.spec.name =
        path.stem() == "config" && !parent.empty() ? parent.string() : path.stem().string();
    loaded.spec.id = loaded.spec.name;
  }
  loaded.files.push_back(path.string());
  return loaded;
}

LoadedModel load_gguf(const fs::path& path) {
  std::vector<fs::path> paths;
  if (const auto split = parse_split_name(path.string())) {
    for (int part = 1; part <= split->count; ++part) {
      paths.emplace_back(split_part_name(*split, part));
    }
  } else {
    paths.push_back(path);
  }
  std::vector<GgufFile> parts;
  for (const fs::path& part : paths) {
    const auto source = open_file_source(part);
    parts.push_back(read_gguf(*source, part.string()));
  }
  GgufModel model = gguf_model(parts);
  LoadedModel loaded;
  loaded.spec = std::move(model.spec);
  loaded.tensors = std::move(model.tensors);
  if (loaded.tensors.empty()) {
    // Vocab-only file: the layout its metadata implies, at F16 (listed in assumed_fields), so
    // that callers always get weights to count.
    loaded.tensors = model_tensors(loaded.spec);
  }
  loaded.from_gguf = true;
  loaded.files = std::move(model.files);
  loaded.file_type = model.file_type;
  return loaded;
}

/// The one model a directory holds: its config.json, else its single GGUF model.
LoadedModel load_directory(const fs::path& dir) {
  const fs::path config = dir / "config.json";
  std::error_code ec;
  if (fs::is_regular_file(config, ec)) {
    return load_config(config);
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
  return load_gguf(first);
}

}  // namespace

std::optional<LoadedModel> load_model_file(const std::string& argument) {
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
    return load_directory(path);
  }
  if (is_gguf_name(path)) {
    return load_gguf(path);
  }
  // Not named .gguf: trust the magic bytes over the name.
  {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    if (in.read(magic, 4) && std::string_view(magic, 4) == "GGUF") {
      return load_gguf(path);
    }
  }
  return load_config(path);
}

}  // namespace llmroof
