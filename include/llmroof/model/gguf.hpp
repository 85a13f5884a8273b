#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"

namespace llmroof {

/// Random-access bytes of a model file. The GGUF reader asks only for ranges inside size(),
/// in bounded chunks, so a file of any size is read from its header alone.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Total size in bytes.
  virtual std::uint64_t size() const = 0;
  /// Fills `out` with the bytes at [offset, offset + out.size()), which lie inside size().
  /// Throws Error when the underlying file cannot be read.
  virtual void read(std::uint64_t offset, std::span<std::byte> out) = 0;
};

/// A ByteSource over bytes in memory; the bytes are not copied and must outlive it.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const std::byte> bytes) : m_bytes(bytes) {}
  explicit MemorySource(std::string_view bytes)
      : m_bytes(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()) {}
  std::uint64_t size() const override { return m_bytes.size(); }
  void read(std::uint64_t offset, std::span<std::byte> out) override;

 private:
  std::span<const std::byte> m_bytes;
};

/// GGUF metadata value types (gguf_metadata_value_type).
enum class GgufType : std::uint32_t {
  uint8 = 0,
  int8 = 1,
  uint16 = 2,
  int16 = 3,
  uint32 = 4,
  int32 = 5,
  float32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  uint64 = 10,
  int64 = 11,
  float64 = 12,
};
/// "u8", "i32", "f32", "bool", "string", "array", ... (as gguf-py prints them).
std::string_view to_string(GgufType type);

struct GgufValue;

/// An array value: one element type, possibly arrays again (nested to at most 8 levels).
struct GgufArray {
  GgufType element_type = GgufType::uint8;
  std::uint64_t count = 0;  ///< elements in the file
  /// The elements, or none when the reader only counted them (the tokenizer's arrays:
  /// tokenizer.ggml.tokens, merges, scores, token_type, which llmroof never uses).
  std::vector<GgufValue> items;
};

/// One metadata value. Integers of every width are held as int64 (signed types) or uint64
/// (unsigned types); float32 and float64 as double; `type` keeps the type in the file.
struct GgufValue {
  GgufType type = GgufType::uint32;
  std::variant<std::int64_t, std::uint64_t, double, bool, std::string, GgufArray> data;

  /// Any integer type whose value fits int64; nullopt otherwise.
  std::optional<std::int64_t> as_int() const;
  /// Any integer or float type.
  std::optional<double> as_number() const;
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  const GgufArray* as_array() const;
};

/// Everything before the tensor data of a GGUF file (v2 or v3, either byte order).
struct GgufFile {
  std::string name;  ///< display name used in messages
  std::uint32_t version = 0;
  bool big_endian = false;
  std::uint64_t file_bytes = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata;  ///< in file order, keys unique
  /// Tensor infos in file order; offsets are relative to data_offset.
  std::vector<TensorInfo> tensors;
  /// Exact stored bytes of each tensor (parallel to `tensors`), from the ggml type table.
  std::vector<std::uint64_t> tensor_bytes;
  std::uint64_t alignment = 32;    ///< general.alignment, or the default 32
  std::uint64_t data_offset = 0;   ///< file offset where the tensor data starts
  std::uint64_t header_bytes = 0;  ///< bytes read: the end of the last tensor info

  /// The value of `key`, or nullptr.
  const GgufValue* find(std::string_view key) const;
};

/// Reads the header, metadata and tensor infos of a GGUF file; never reads tensor data.
/// Every count is checked against the bytes left in the source before anything is allocated,
/// and against limits far above real files (2^20 tensors or keys, 2^23 array elements kept in
/// all, 64 MiB per string), so no header makes it allocate gigabytes. The elements of the
/// tokenizer's arrays (keys "tokenizer.ggml.*": a vocabulary of 152k tokens and its merges)
/// are skipped and counted, not kept: GgufArray::count holds their number. Throws FileFormatError
/// (`display_name`, byte offset, message) for any malformed or truncated file, including
/// unknown tensor types, dimension products that overflow, and tensors past the end.
/// Big-endian v3 files are read; GGUF v1 is rejected.
GgufFile read_gguf(ByteSource& source, const std::string& display_name);

/// Parts of a split model, parsed from a file name "name-00001-of-00003.gguf".
struct GgufSplitName {
  std::string prefix;  ///< "name" (may include a directory)
  int part = 0;        ///< 1-based
  int count = 0;
};
/// nullopt when `file_name` is not a split part name.
std::optional<GgufSplitName> parse_split_name(std::string_view file_name);
/// "prefix-0000N-of-0000M.gguf" for part `part` (1-based).
std::string split_part_name(const GgufSplitName& split, int part);

/// A model read from one GGUF file or all the parts of a split one.
struct GgufModel {
  ModelSpec spec;
  std::vector<TensorInfo> tensors;  ///< every tensor of every part, with its real type
  std::uint64_t tensor_bytes = 0;   ///< sum of the exact tensor bytes
  std::vector<std::string> files;   ///< display names of the parts read
  int file_type = -1;               ///< general.file_type (llama ftype), -1 when absent
};

/// Builds the model from parsed parts (one, or every part of a split model in order):
/// architecture from `general.architecture` and the `{arch}.*` keys of the first part, tensors
/// from all parts. A file without tensors (vocab-only) gets the tensors llama.cpp would write,
/// recorded in `spec.assumed_fields`. Throws ModelSpecError naming the file and the key when a
/// required key is missing or has the wrong type, or when split parts do not match.
GgufModel gguf_model(std::span<const GgufFile> parts);

}  // namespace llmroof
