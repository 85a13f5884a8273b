// One of the few core files that touch the filesystem: a ByteSource over a file on disk.

#include "llmroof/platform/file_source.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "llmroof/model/gguf.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

/// Reads with pread-like seeks on a stdio stream; only the requested ranges are read, so
/// inspecting a 100 GB file touches its header alone.
class FileSource final : public ByteSource {
 public:
  FileSource(std::FILE* file, std::uint64_t size, std::string name)
      : m_file(file), m_size(size), m_name(std::move(name)) {}
  ~FileSource() override { std::fclose(m_file); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::uint64_t size() const override { return m_size; }

  void read(std::uint64_t offset, std::span<std::byte> out) override {
    if (offset > m_size || out.size() > m_size - offset) {
      throw Error(fmt::format("{}: read of {} bytes at {} past the end of the file", m_name,
                              out.size(), offset));
    }
    if (out.empty()) {
      return;
    }
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()) ||
        fseeko(m_file, static_cast<off_t>(offset), SEEK_SET) != 0 ||
        std::fread(out.data(), 1, out.size(), m_file) != out.size()) {
      throw Error(fmt::format("{}: cannot read {} bytes at offset {}: {}", m_name, out.size(),
                              offset, std::strerror(errno)));
    }
  }

 private:
  std::FILE* m_file;
  std::uint64_t m_size;
  std::string m_name;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error(fmt::format("{}: is a directory, not a file", path.string()));
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    throw Error(fmt::format("{}: cannot open: {}", path.string(), ec.message()));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw Error(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  }
  return std::make_unique<FileSource>(file, static_cast<std::uint64_t>(size), path.string());
}

}  // namespace llmroof
