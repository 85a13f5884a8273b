#include "llmroof/model/model_files.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>

#include "llmroof/model/hf_config.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

// The last component of a '/'-separated name, and the one before it.
std::string_view last_component(std::string_view name) {
  const std::size_t slash = name.find_last_of('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::string_view parent_component(std::string_view name) {
  const std::size_t slash = name.find_last_of('/');
  return slash == std::string_view::npos ? std::string_view()
                                         : last_component(name.substr(0, slash));
}

std::string_view stem(std::string_view file_name) {
  const std::size_t dot = file_name.find_last_of('.');
  return dot == std::string_view::npos || dot == 0 ? file_name : file_name.substr(0, dot);
}

LoadedModel read_config(const ModelFile& file) {
  const std::uint64_t size = file.bytes->size();
  if (size > k_max_config_bytes) {
    throw ModelSpecError(
        fmt::format("{}: {} bytes is too large for a config.json", file.name, size));
  }
  std::string text(static_cast<std::size_t>(size), '\0');
  file.bytes->read(0, std::as_writable_bytes(std::span<char>(text.data(), text.size())));
  LoadedModel loaded;
  loaded.spec = parse_hf_config(text, file.name);
  if (loaded.spec.name == file.name) {
    // No _name_or_path: name the model after its folder ("Llama-3.1-8B/config.json") or file.
    const std::string_view base = stem(last_component(file.name));
    const std::string_view parent = parent_component(file.name);
    loaded.spec.name = std::string(base == "config" && !parent.empty() ? parent : base);
    loaded.spec.id = loaded.spec.name;
  }
  loaded.files.push_back(file.name);
  return loaded;
}

LoadedModel read_gguf_parts(const std::vector<ModelFile>& files) {
  std::vector<GgufFile> parts;
  for (const ModelFile& part : files) {
    parts.push_back(read_gguf(*part.bytes, part.name));
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

}  // namespace

bool has_gguf_name(std::string_view name) {
  const std::string_view base = last_component(name);
  const std::size_t dot = base.find_last_of('.');
  if (dot == std::string_view::npos) {
    return false;
  }
  std::string ext(base.substr(dot));
  for (char& c : ext) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return ext == ".gguf";
}

bool is_gguf(ByteSource& file) {
  if (file.size() < 4) {
    return false;
  }
  std::array<std::byte, 4> magic{};
  file.read(0, magic);
  return std::string_view(reinterpret_cast<const char*>(magic.data()), 4) == "GGUF";
}

LoadedModel read_model_files(const std::vector<ModelFile>& files) {
  if (files.empty()) {
    throw Error("no model file given");
  }
  if (has_gguf_name(files.front().name) || is_gguf(*files.front().bytes)) {
    return read_gguf_parts(files);
  }
  if (files.size() > 1) {
    throw Error(fmt::format("{}: not a GGUF file, and only GGUF models come in several parts",
                            files.front().name));
  }
  return read_config(files.front());
}

}  // namespace llmroof
