#include "llmroof/model/gguf.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "llmroof/model/quant.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/text.hpp"
#include "util/checked.hpp"

namespace llmroof {

void MemorySource::read(std::uint64_t offset, std::span<std::byte> out) {
  if (offset > m_bytes.size() || out.size() > m_bytes.size() - offset) {
    throw Error(fmt::format("read of {} bytes at {} past the end of a {}-byte buffer", out.size(),
                            offset, m_bytes.size()));
  }
  if (!out.empty()) {
    std::memcpy(out.data(), m_bytes.data() + offset, out.size());
  }
}

std::string_view to_string(GgufType type) {
  switch (type) {
    case GgufType::uint8:
      return "u8";
    case GgufType::int8:
      return "i8";
    case GgufType::uint16:
      return "u16";
    case GgufType::int16:
      return "i16";
    case GgufType::uint32:
      return "u32";
    case GgufType::int32:
      return "i32";
    case GgufType::float32:
      return "f32";
    case GgufType::boolean:
      return "bool";
    case GgufType::string:
      return "string";
    case GgufType::array:
      return "array";
    case GgufType::uint64:
      return "u64";
    case GgufType::int64:
      return "i64";
    case GgufType::float64:
      return "f64";
  }
  return "unknown";
}

std::optional<std::int64_t> GgufValue::as_int() const {
  if (const auto* i = std::get_if<std::int64_t>(&data)) {
    return *i;
  }
  if (const auto* u = std::get_if<std::uint64_t>(&data)) {
    if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(*u);
    }
  }
  return std::nullopt;
}

std::optional<double> GgufValue::as_number() const {
  if (const auto* d = std::get_if<double>(&data)) {
    return *d;
  }
  if (const auto* i = std::get_if<std::int64_t>(&data)) {
    return static_cast<double>(*i);
  }
  if (const auto* u = std::get_if<std::uint64_t>(&data)) {
    return static_cast<double>(*u);
  }
  return std::nullopt;
}

std::optional<bool> GgufValue::as_bool() const {
  if (const auto* b = std::get_if<bool>(&data)) {
    return *b;
  }
  return std::nullopt;
}

const std::string* GgufValue::as_string() const { return std::get_if<std::string>(&data); }

const GgufArray* GgufValue::as_array() const { return std::get_if<GgufArray>(&data); }

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& entry : metadata) {
    if (entry.first == key) {
      return &entry.second;
    }
  }
  return nullptr;
}

namespace {

constexpr int k_max_array_depth = 8;
constexpr std::uint32_t k_max_dims = 4;  // GGML_MAX_DIMS
// Limits far above real files (a few thousand tensors, vocabularies of 262k tokens, chat
// templates of tens of KB) that keep a hostile header of a huge file from making the reader
// allocate gigabytes: each array element costs ~48 bytes in memory however few it took on disk.
constexpr std::uint64_t k_max_tensors = std::uint64_t{1} << 20;
constexpr std::uint64_t k_max_keys = std::uint64_t{1} << 20;
constexpr std::uint64_t k_max_array_elements = std::uint64_t{1} << 23;  // whole file
constexpr std::uint64_t k_max_string_bytes = std::uint64_t{1} << 26;
// Smallest encodings: key (u64 length, empty) + u32 type + 1-byte value; tensor info with an
// empty name: u64 length + u32 n_dims + u32 type + u64 offset.
constexpr std::uint64_t k_min_kv_bytes = 8 + 4 + 1;
constexpr std::uint64_t k_min_tensor_info_bytes = 8 + 4 + 4 + 8;

/// Bytes of one element of `type` in the file; 0 for variable-size types.
std::uint64_t fixed_size(GgufType type) {
  switch (type) {
    case GgufType::uint8:
    case GgufType::int8:
    case GgufType::boolean:
      return 1;
    case GgufType::uint16:
    case GgufType::int16:
      return 2;
    case GgufType::uint32:
    case GgufType::int32:
    case GgufType::float32:
      return 4;
    case GgufType::uint64:
    case GgufType::int64:
    case GgufType::float64:
      return 8;
    default:
      return 0;
  }
}

/// Smallest number of bytes one element of `type` takes in the file.
std::uint64_t min_size(GgufType type) {
  if (type == GgufType::string) {
    return 8;
  }
  if (type == GgufType::array) {
    return 4 + 8;
  }
  return fixed_size(type);
}

bool known_type(std::uint32_t type) {
  return type <= static_cast<std::uint32_t>(GgufType::float64);
}

/// Buffered, bounds-checked reads from a ByteSource; every failure is a FileFormatError at the
/// offset where the bad field starts.
class Reader {
 public:
  Reader(ByteSource& source, const std::string& name)
      : m_source(source), m_name(name), m_size(source.size()) {}

  std::uint64_t pos() const { return m_pos; }
  std::uint64_t size() const { return m_size; }
  std::uint64_t remaining() const { return m_size - m_pos; }
  void set_big_endian(bool big) { m_big_endian = big; }

  [[noreturn]] void fail(std::uint64_t offset, const std::string& message) const {
    throw FileFormatError(m_name, offset, message);
  }

  void read_bytes(std::byte* out, std::uint64_t count, std::string_view what) {
    if (count > remaining()) {
      fail(m_pos,
           fmt::format("truncated file: {} needs {} bytes, {} left", what, count, remaining()));
    }
    while (count > 0) {
      if (m_pos < m_buffer_start || m_pos >= m_buffer_start + m_buffer_length) {
        if (count >= k_buffer_bytes) {
          // Large reads (long strings) go straight to the destination.
          m_source.read(m_pos, std::span<std::byte>(out, static_cast<std::size_t>(count)));
          m_pos += count;
          return;
        }
        refill();
      }
      const std::uint64_t in_buffer = m_buffer_start + m_buffer_length - m_pos;
      const std::uint64_t take = std::min(in_buffer, count);
      std::memcpy(out, m_buffer.data() + (m_pos - m_buffer_start), static_cast<std::size_t>(take));
      out += take;
      m_pos += take;
      count -= take;
    }
  }

  template <typename T>
  T read_scalar(std::string_view what) {
    std::array<std::byte, sizeof(T)> bytes{};
    read_bytes(bytes.data(), sizeof(T), what);
    if (m_big_endian) {
      std::reverse(bytes.begin(), bytes.end());
    }
    T value;
    std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }

  /// Counts `count` more array elements; fails past k_max_array_elements for the whole file.
  void count_array_elements(std::uint64_t count, std::uint64_t at, std::string_view what) {
    const auto total = checked_add(m_array_elements, count);
    m_array_elements = total.value_or(std::numeric_limits<std::uint64_t>::max());
    if (m_array_elements > k_max_array_elements) {
      fail(at, fmt::format("{}: the arrays of this file hold more than the {} elements llmroof "
                           "reads",
                           what, k_max_array_elements));
    }
  }

  /// Moves past `count` bytes without reading them.
  void skip(std::uint64_t count, std::string_view what) {
    if (count > remaining()) {
      fail(m_pos,
           fmt::format("truncated file: {} needs {} bytes, {} left", what, count, remaining()));
    }
    m_pos += count;
  }

  std::uint32_t u32(std::string_view what) { return read_scalar<std::uint32_t>(what); }
  std::uint64_t u64(std::string_view what) { return read_scalar<std::uint64_t>(what); }

  std::string string(std::string_view what) {
    const std::uint64_t length = string_length(what);
    std::string text(static_cast<std::size_t>(length), '\0');
    read_bytes(reinterpret_cast<std::byte*>(text.data()), length, what);
    return text;
  }

  /// Checks a string's length and moves past it, keeping nothing.
  void skip_string(std::string_view what) { skip(string_length(what), what); }

 private:
  static constexpr std::uint64_t k_buffer_bytes = 64 * 1024;

  // Reads a string's length and checks it against the bytes left and the cap.
  std::uint64_t string_length(std::string_view what) {
    const std::uint64_t start = m_pos;
    const std::uint64_t length = u64(what);
    if (length > remaining()) {
      fail(start, fmt::format("{}: string of {} bytes runs past the end of the file ({} bytes "
                              "left)",
                              what, length, remaining()));
    }
    if (length > k_max_string_bytes) {
      fail(start, fmt::format("{}: string of {} bytes is longer than the {} llmroof reads", what,
                              length, k_max_string_bytes));
    }
    return length;
  }

  void refill() {
    m_buffer_start = m_pos;
    m_buffer_length = std::min(k_buffer_bytes, remaining());
    m_buffer.resize(static_cast<std::size_t>(m_buffer_length));
    m_source.read(m_pos, std::span<std::byte>(m_buffer.data(), m_buffer.size()));
  }

  ByteSource& m_source;
  const std::string& m_name;
  std::uint64_t m_size;
  std::uint64_t m_pos = 0;
  bool m_big_endian = false;
  std::uint64_t m_array_elements = 0;  ///< over the whole file
  std::vector<std::byte> m_buffer;
  std::uint64_t m_buffer_start = 0;
  std::uint64_t m_buffer_length = 0;
};

GgufValue read_value(Reader& r, GgufType type, const std::string& what, int depth,
                     bool keep = true);

// Moves past one element of `type` (bounds-checked), keeping nothing.
void skip_value(Reader& r, GgufType type, const std::string& what, int depth) {
  if (type == GgufType::string) {
    r.skip_string(what);
  } else if (type == GgufType::array) {
    read_value(r, type, what, depth, false);
  } else {
    r.skip(fixed_size(type), what);
  }
}

// Reads an array; with `keep` false its elements are only checked and counted (GgufArray).
GgufArray read_array(Reader& r, const std::string& what, int depth, bool keep) {
  const std::uint64_t start = r.pos();
  if (depth >= k_max_array_depth) {
    r.fail(start, fmt::format("{}: arrays nested more than {} deep", what, k_max_array_depth));
  }
  const std::uint32_t element = r.u32(what + " (array element type)");
  if (!known_type(element)) {
    r.fail(start, fmt::format("{}: unknown array element type {}", what, element));
  }
  const std::uint64_t count_at = r.pos();
  const std::uint64_t count = r.u64(what + " (array length)");
  const auto element_type = static_cast<GgufType>(element);
  // Each element takes at least min_size bytes, so the count is bounded by what is left.
  if (count > r.remaining() / min_size(element_type)) {
    r.fail(count_at, fmt::format("{}: array of {} {} elements cannot fit in the {} bytes left",
                                 what, count, to_string(element_type), r.remaining()));
  }
  GgufArray array;
  array.element_type = element_type;
  array.count = count;
  if (!keep) {
    if (const std::uint64_t size = fixed_size(element_type); size > 0) {
      r.skip(count * size, what);  // count * size <= remaining: checked above
    } else {
      for (std::uint64_t i = 0; i < count; ++i) {
        skip_value(r, element_type, what, depth + 1);
      }
    }
    return array;
  }
  r.count_array_elements(count, count_at, what);
  array.items.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    array.items.push_back(read_value(r, element_type, what, depth + 1));
  }
  return array;
}

GgufValue read_value(Reader& r, GgufType type, const std::string& what, int depth, bool keep) {
  GgufValue value;
  value.type = type;
  switch (type) {
    case GgufType::uint8:
      value.data = std::uint64_t{r.read_scalar<std::uint8_t>(what)};
      break;
    case GgufType::int8:
      value.data = std::int64_t{r.read_scalar<std::int8_t>(what)};
      break;
    case GgufType::uint16:
      value.data = std::uint64_t{r.read_scalar<std::uint16_t>(what)};
      break;
    case GgufType::int16:
      value.data = std::int64_t{r.read_scalar<std::int16_t>(what)};
      break;
    case GgufType::uint32:
      value.data = std::uint64_t{r.read_scalar<std::uint32_t>(what)};
      break;
    case GgufType::int32:
      value.data = std::int64_t{r.read_scalar<std::int32_t>(what)};
      break;
    case GgufType::uint64:
      value.data = r.read_scalar<std::uint64_t>(what);
      break;
    case GgufType::int64:
      value.data = r.read_scalar<std::int64_t>(what);
      break;
    case GgufType::float32:
      value.data = static_cast<double>(r.read_scalar<float>(what));
      break;
    case GgufType::float64:
      value.data = r.read_scalar<double>(what);
      break;
    case GgufType::boolean: {
      const std::uint64_t at = r.pos();
      const auto byte = r.read_scalar<std::uint8_t>(what);
      if (byte > 1) {
        r.fail(at, fmt::format("{}: invalid bool value {}", what, byte));
      }
      value.data = byte == 1;
      break;
    }
    case GgufType::string:
      value.data = r.string(what);
      break;
    case GgufType::array:
      value.data = read_array(r, what, depth, keep);
      break;
  }
  return value;
}

std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }
  return text.size() > 64 ? out + "..." : out;
}

}  // namespace

GgufFile read_gguf(ByteSource& source, const std::string& display_name) {
  Reader r(source, display_name);
  GgufFile file;
  file.name = display_name;
  file.file_bytes = r.size();

  std::array<std::byte, 4> magic{};
  r.read_bytes(magic.data(), 4, "magic");
  if (std::memcmp(magic.data(), "GGUF", 4) != 0) {
    r.fail(0,
           fmt::format("not a GGUF file: magic bytes {:02x} {:02x} {:02x} {:02x} (expected "
                       "47 47 55 46, \"GGUF\")",
                       std::to_integer<unsigned>(magic[0]), std::to_integer<unsigned>(magic[1]),
                       std::to_integer<unsigned>(magic[2]), std::to_integer<unsigned>(magic[3])));
  }

  // The version tells the byte order: a big-endian v3 file reads as 0x03000000 here.
  const std::uint32_t raw_version = r.u32("version");
  const std::uint32_t swapped = ((raw_version & 0xffu) << 24) | ((raw_version & 0xff00u) << 8) |
                                ((raw_version >> 8) & 0xff00u) | (raw_version >> 24);
  if (raw_version == 2 || raw_version == 3) {
    file.version = raw_version;
  } else if ((raw_version & 0xffffu) == 0 && swapped == 3) {
    file.version = 3;
    file.big_endian = true;
    r.set_big_endian(true);
  } else if (raw_version == 1) {
    r.fail(4, "GGUF version 1 is not supported (versions 2 and 3 are)");
  } else if ((raw_version & 0xffffu) == 0 && swapped == 2) {
    r.fail(4, "big-endian GGUF version 2: byte order marks need version 3");
  } else {
    r.fail(4, fmt::format("unsupported GGUF version {} (versions 2 and 3 are supported)",
                          raw_version));
  }

  const std::uint64_t tensor_count = r.u64("tensor count");
  const std::uint64_t kv_count = r.u64("metadata key count");
  if (tensor_count > r.remaining() / k_min_tensor_info_bytes) {
    r.fail(8, fmt::format("tensor count {} cannot fit in the {} bytes left", tensor_count,
                          r.remaining()));
  }
  if (kv_count > (r.remaining() - tensor_count * k_min_tensor_info_bytes) / k_min_kv_bytes) {
    r.fail(16, fmt::format("metadata key count {} cannot fit in the {} bytes left", kv_count,
                           r.remaining()));
  }
  if (tensor_count > k_max_tensors) {
    r.fail(8, fmt::format("tensor count {} is more than the {} llmroof reads", tensor_count,
                          k_max_tensors));
  }
  if (kv_count > k_max_keys) {
    r.fail(16, fmt::format("metadata key count {} is more than the {} llmroof reads", kv_count,
                           k_max_keys));
  }

  std::unordered_set<std::string> keys;
  std::uint64_t alignment_at = 0;
  file.metadata.reserve(static_cast<std::size_t>(kv_count));
  for (std::uint64_t i = 0; i < kv_count; ++i) {
    const std::uint64_t key_at = r.pos();
    std::string key = r.string(fmt::format("metadata key {}", i));
    if (!keys.insert(key).second) {
      r.fail(key_at, fmt::format("duplicate metadata key '{}'", printable(key)));
    }
    const std::string what = fmt::format("value of '{}'", printable(key));
    const std::uint64_t type_at = r.pos();
    const std::uint32_t type = r.u32(what + " (type)");
    if (!known_type(type)) {
      r.fail(type_at, fmt::format("{}: unknown metadata value type {}", what, type));
    }
    if (key == "general.alignment") {
      alignment_at = r.pos();
    }
    // The tokenizer's arrays (vocabulary, merges, scores, token types) are counted, not kept.
    const bool keep = !key.starts_with("tokenizer.ggml.");
    GgufValue value = read_value(r, static_cast<GgufType>(type), what, 0, keep);
    file.metadata.emplace_back(std::move(key), std::move(value));
  }

  if (const GgufValue* alignment = file.find("general.alignment")) {
    const auto a = alignment->as_int();
    if (alignment->type != GgufType::uint32 || !a || *a == 0 ||
        !std::has_single_bit(static_cast<std::uint64_t>(*a))) {
      r.fail(alignment_at, "general.alignment must be a u32 power of two");
    }
    file.alignment = static_cast<std::uint64_t>(*a);
  }

  std::unordered_set<std::string> names;
  std::vector<std::uint64_t> info_offsets;
  file.tensors.reserve(static_cast<std::size_t>(tensor_count));
  file.tensor_bytes.reserve(static_cast<std::size_t>(tensor_count));
  info_offsets.reserve(static_cast<std::size_t>(tensor_count));
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    const std::uint64_t info_at = r.pos();
    TensorInfo tensor;
    tensor.name = r.string(fmt::format("name of tensor {}", i));
    if (!names.insert(tensor.name).second) {
      r.fail(info_at, fmt::format("duplicate tensor name '{}'", printable(tensor.name)));
    }
    const std::string what = fmt::format("tensor '{}'", printable(tensor.name));
    const std::uint64_t dims_at = r.pos();
    const std::uint32_t n_dims = r.u32(what + " (dimension count)");
    if (n_dims > k_max_dims) {
      r.fail(dims_at, fmt::format("{}: {} dimensions (at most {})", what, n_dims, k_max_dims));
    }
    std::uint64_t elements = 1;
    bool overflow = false;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const std::uint64_t dim = r.u64(what + " (dimensions)");
      tensor.dims.push_back(dim);
      // ggml keeps element counts in int64_t.
      if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
          (dim != 0 &&
           elements > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / dim)) {
        overflow = true;
      }
      elements = overflow ? elements : elements * dim;
    }
    if (overflow) {
      r.fail(dims_at, fmt::format("{}: the product of its dimensions overflows", what));
    }
    const std::uint64_t type_at = r.pos();
    const std::uint32_t type = r.u32(what + " (type)");
    const GgmlType* info = type <= static_cast<std::uint32_t>(std::numeric_limits<int>::max())
                               ? find_ggml_type(static_cast<int>(type))
                               : nullptr;
    if (info == nullptr || info->removed()) {
      r.fail(type_at, fmt::format("{}: unknown tensor type {}", what, type));
    }
    tensor.type = static_cast<int>(type);
    const std::uint64_t row = tensor.dims.empty() ? 1 : tensor.dims[0];
    if (row % static_cast<std::uint64_t>(info->block_elements) != 0) {
      r.fail(dims_at, fmt::format("{}: row length {} is not a multiple of the {} block size {}",
                                  what, row, info->name, info->block_elements));
    }
    const std::vector<std::uint64_t> shape =
        tensor.dims.empty() ? std::vector<std::uint64_t>{1} : tensor.dims;
    const std::optional<std::uint64_t> bytes = ggml_tensor_bytes(tensor.type, shape);
    if (!bytes) {
      r.fail(dims_at, fmt::format("{}: its size in bytes overflows", what));
    }
    const std::uint64_t offset_at = r.pos();
    tensor.offset = r.u64(what + " (offset)");
    if (tensor.offset % file.alignment != 0) {
      r.fail(offset_at, fmt::format("{}: data offset {} is not a multiple of the alignment {}",
                                    what, tensor.offset, file.alignment));
    }
    info_offsets.push_back(offset_at);
    file.tensor_bytes.push_back(*bytes);
    file.tensors.push_back(std::move(tensor));
  }
  file.header_bytes = r.pos();

  // The data section starts at the next multiple of the alignment; every tensor must lie
  // inside the file (only checked, never read).
  const std::uint64_t pad = (file.alignment - file.header_bytes % file.alignment) % file.alignment;
  file.data_offset = file.header_bytes + pad;
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    const TensorInfo& tensor = file.tensors[i];
    const std::uint64_t size = file.file_bytes;
    const std::uint64_t start = file.data_offset <= size && tensor.offset <= size - file.data_offset
                                    ? file.data_offset + tensor.offset
                                    : std::numeric_limits<std::uint64_t>::max();
    if (start == std::numeric_limits<std::uint64_t>::max() || file.tensor_bytes[i] > size - start) {
      r.fail(info_offsets[i],
             fmt::format("tensor '{}': {} bytes at data offset {} run past the end of the file "
                         "({} bytes, data section at {})",
                         printable(tensor.name), file.tensor_bytes[i], tensor.offset, size,
                         file.data_offset));
    }
  }
  // No two tensors may share bytes of the data section (each now lies inside the file, so
  // offset + bytes cannot wrap).
  std::vector<std::size_t> by_offset(file.tensors.size());
  for (std::size_t i = 0; i < by_offset.size(); ++i) {
    by_offset[i] = i;
  }
  std::sort(by_offset.begin(), by_offset.end(), [&](std::size_t a, std::size_t b) {
    return file.tensors[a].offset < file.tensors[b].offset;
  });
  for (std::size_t k = 1; k < by_offset.size(); ++k) {
    const std::size_t a = by_offset[k - 1];
    const std::size_t b = by_offset[k];
    if (file.tensor_bytes[a] != 0 && file.tensor_bytes[b] != 0 &&
        file.tensors[a].offset + file.tensor_bytes[a] > file.tensors[b].offset) {
      r.fail(info_offsets[b],
             fmt::format("tensor '{}' at data offset {} overlaps tensor '{}' ({} bytes at data "
                         "offset {})",
                         printable(file.tensors[b].name), file.tensors[b].offset,
                         printable(file.tensors[a].name), file.tensor_bytes[a],
                         file.tensors[a].offset));
    }
  }
  return file;
}

// --- split models -------------------------------------------------------------------------

std::optional<GgufSplitName> parse_split_name(std::string_view file_name) {
  // "<prefix>-NNNNN-of-MMMMM.gguf" as llama.cpp's gguf-split names the parts.
  constexpr std::string_view k_suffix = ".gguf";
  constexpr std::size_t k_tail = 1 + 5 + 4 + 5;  // "-00001-of-00003"
  if (file_name.size() < k_tail + k_suffix.size() + 1 ||
      file_name.substr(file_name.size() - k_suffix.size()) != k_suffix) {
    return std::nullopt;
  }
  const std::string_view stem = file_name.substr(0, file_name.size() - k_suffix.size());
  const std::string_view tail = stem.substr(stem.size() - k_tail);
  if (tail[0] != '-' || tail.substr(6, 4) != "-of-") {
    return std::nullopt;
  }
  auto number = [](std::string_view digits) -> std::optional<int> {
    int value = 0;
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return value;
  };
  const auto part = number(tail.substr(1, 5));
  const auto count = number(tail.substr(10, 5));
  if (!part || !count || *part < 1 || *count < 1 || *part > *count) {
    return std::nullopt;
  }
  return GgufSplitName{std::string(stem.substr(0, stem.size() - k_tail)), *part, *count};
}

std::string split_part_name(const GgufSplitName& split, int part) {
  return fmt::format("{}-{:05}-of-{:05}.gguf", split.prefix, part, split.count);
}

// --- architecture from metadata -----------------------------------------------------------

namespace {

// Bounds on shape keys: far above any published model, low enough that the tensors derived for
// a vocab-only file stay few and no product overflows.
constexpr std::int64_t k_max_layers = 4096;
constexpr std::int64_t k_max_width = std::int64_t{1} << 24;
constexpr std::int64_t k_max_heads = std::int64_t{1} << 16;
constexpr std::int64_t k_max_context = std::numeric_limits<int>::max();

/// Reads the `{arch}.*` keys of the first part; errors name the file and the key.
class MetadataReader {
 public:
  MetadataReader(const GgufFile& file, std::string arch) : m_file(file), m_arch(std::move(arch)) {}

  [[noreturn]] void fail(std::string_view key, std::string_view message) const {
    throw ModelSpecError(fmt::format("{}: metadata key '{}': {}", m_file.name, key, message));
  }

  std::string key(std::string_view suffix) const { return fmt::format("{}.{}", m_arch, suffix); }

  /// A non-negative integer scalar, at most `max`.
  std::optional<std::int64_t> opt_int(std::string_view suffix,
                                      std::int64_t max = k_max_width) const {
    const std::string name = key(suffix);
    const GgufValue* value = m_file.find(name);
    if (value == nullptr) {
      return std::nullopt;
    }
    const auto number = value->as_int();
    if (!number || *number < 0 || *number > max) {
      fail(name, fmt::format("expected an integer from 0 to {}, got {}", max, describe(*value)));
    }
    return number;
  }

  std::int64_t req_int(std::string_view suffix, std::int64_t max = k_max_width) const {
    const auto value = opt_int(suffix, max);
    if (!value) {
      fail(key(suffix), "required but missing");
    }
    return *value;
  }

  /// A scalar or a per-layer array of non-negative integers up to `max` (empty when absent).
  std::vector<int> int_or_array(std::string_view suffix, std::int64_t max = k_max_width) const {
    const std::string name = key(suffix);
    const GgufValue* value = m_file.find(name);
    if (value == nullptr) {
      return {};
    }
    if (const GgufArray* array = value->as_array()) {
      std::vector<int> result;
      for (const GgufValue& item : array->items) {
        const auto number = item.as_int();
        if (!number || *number < 0 || *number > max) {
          fail(name, fmt::format("expected integers from 0 to {}, got an array of {} holding {}",
                                 max, to_string(array->element_type), describe(item)));
        }
        result.push_back(static_cast<int>(*number));
      }
      if (result.empty()) {
        fail(name, "expected an integer or a per-layer array, got an empty array");
      }
      return result;
    }
    return {static_cast<int>(*opt_int(suffix, max))};
  }

  static std::string describe(const GgufValue& value) {
    if (const auto* text = value.as_string()) {
      return fmt::format("string \"{}\"", printable(*text));
    }
    if (const auto number = value.as_number()) {
      return fmt::format("{} {}", to_string(value.type), *number);
    }
    return std::string(to_string(value.type));
  }

 private:
  const GgufFile& m_file;
  std::string m_arch;
};

int max_of(const std::vector<int>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

/// Counts the layers whose sliding-window flag is set in `sliding_window_pattern`: a bool array,
/// or a period N where every N-th layer is global (llama.cpp's set_swa_pattern).
int sliding_layers_from_pattern(const GgufValue& pattern, int layers) {
  if (const GgufArray* array = pattern.as_array()) {
    int count = 0;
    for (const GgufValue& item : array->items) {
      count += item.as_bool().value_or(false) ? 1 : 0;
    }
    return count;
  }
  const auto period = pattern.as_int();
  if (!period || *period <= 1) {
    return period && *period == 1 ? layers : 0;
  }
  return layers - static_cast<int>(layers / *period);
}

bool has_tensor(std::span<const TensorInfo> tensors, std::string_view suffix) {
  return std::any_of(tensors.begin(), tensors.end(), [&](const TensorInfo& t) {
    return t.name.size() >= suffix.size() &&
           std::string_view(t.name).substr(t.name.size() - suffix.size()) == suffix;
  });
}

/// Architecture enum of a GGUF architecture name; nullopt for families without a layout here.
std::optional<Architecture> gguf_architecture(std::string_view name, bool moe, bool score_bias) {
  if (name == "llama" || name == "mistral") {
    return moe ? Architecture::mixtral : Architecture::llama;
  }
  if (name == "deepseek2") {
    // DeepSeek-V3/R1 are converted as deepseek2; their router has the expert score bias.
    return score_bias ? Architecture::deepseek_v3 : Architecture::deepseek_v2;
  }
  if (name == "opt" || name == "generic") {
    return std::nullopt;
  }
  return parse_architecture(name);
}

ModelSpec spec_from_metadata(const GgufFile& file, std::span<const TensorInfo> tensors,
                             std::vector<std::string>& assumed) {
  const GgufValue* arch_value = file.find("general.architecture");
  if (arch_value == nullptr || arch_value->as_string() == nullptr) {
    throw ModelSpecError(fmt::format(
        "{}: metadata key 'general.architecture': {}", file.name,
        arch_value == nullptr ? std::string("required but missing")
                              : "expected a string, got " + MetadataReader::describe(*arch_value)));
  }
  const std::string arch_name = *arch_value->as_string();
  const MetadataReader m(file, arch_name);
  ModelSpec spec;
  const std::int64_t experts = m.opt_int("expert_count", k_max_heads).value_or(0);
  // DeepSeek-V3 routes with a sigmoid (expert_gating_func 2) and has an expert score bias.
  const GgufValue* gating = file.find(m.key("expert_gating_func"));
  const bool v3 =
      has_tensor(tensors, ".exp_probs_b.bias") || (gating != nullptr && gating->as_int() == 2);
  const auto arch = gguf_architecture(arch_name, experts > 0, v3);
  spec.architecture = arch.value_or(Architecture::generic);
  if (!arch) {
    assumed.push_back(fmt::format("architecture '{}' has no known layout: read as generic",
                                  printable(arch_name)));
  }

  spec.layers = static_cast<int>(m.req_int("block_count", k_max_layers));
  if (spec.layers == 0) {
    m.fail(m.key("block_count"), "expected at least one layer");
  }
  if (const auto nextn = m.opt_int("nextn_predict_layers"); nextn && *nextn < spec.layers) {
    // Multi-token-prediction layers are counted in block_count but hold no KV cache.
    spec.layers -= static_cast<int>(*nextn);
  }
  spec.hidden = m.req_int("embedding_length");
  const std::vector<int> heads = m.int_or_array("attention.head_count", k_max_heads);
  if (heads.empty()) {
    m.fail(m.key("attention.head_count"), "required but missing");
  }
  spec.heads = max_of(heads);
  if (spec.heads == 0) {
    m.fail(m.key("attention.head_count"), "expected a positive head count");
  }
  const std::vector<int> kv = m.int_or_array("attention.head_count_kv", k_max_heads);
  if (kv.size() > 1) {
    spec.kv_heads = max_of(kv);
    if (std::adjacent_find(kv.begin(), kv.end(), std::not_equal_to<>()) != kv.end()) {
      spec.kv_heads_per_layer = kv;
    }
  } else {
    spec.kv_heads = kv.empty() ? spec.heads : kv[0];
  }
  spec.head_dim = static_cast<int>(m.opt_int("attention.key_length", k_max_heads)
                                       .value_or(spec.hidden / std::max(spec.heads, 1)));
  spec.intermediate = max_of(m.int_or_array("feed_forward_length"));
  spec.max_context = m.opt_int("context_length", k_max_context).value_or(0);
  if (spec.max_context == 0) {
    assumed.push_back("context_length unknown (key missing)");
  }

  // Vocabulary: the key, else the token list, else the embedding's rows.
  if (const auto vocab = m.opt_int("vocab_size")) {
    spec.vocab = *vocab;
  } else if (const GgufValue* tokens = file.find("tokenizer.ggml.tokens");
             tokens != nullptr && tokens->as_array() != nullptr) {
    spec.vocab = static_cast<std::int64_t>(tokens->as_array()->count);
  } else {
    for (const TensorInfo& t : tensors) {
      if (t.name == "token_embd.weight" && t.dims.size() >= 2) {
        spec.vocab = static_cast<std::int64_t>(t.dims[1]);
      }
    }
  }

  if (experts > 0) {
    MoeSpec moe;
    moe.experts = static_cast<int>(experts);
    moe.experts_used = static_cast<int>(m.req_int("expert_used_count", k_max_heads));
    if (moe.experts_used == 0 || moe.experts_used > moe.experts) {
      m.fail(m.key("expert_used_count"),
             fmt::format("expected 1 to {} (expert_count), got {}", moe.experts, moe.experts_used));
    }
    moe.shared_experts =
        static_cast<int>(m.opt_int("expert_shared_count", k_max_heads).value_or(0));
    moe.expert_intermediate = m.opt_int("expert_feed_forward_length").value_or(spec.intermediate);
    moe.shared_expert_intermediate =
        m.opt_int("expert_shared_feed_forward_length").value_or(moe.expert_intermediate);
    if (arch_name == "qwen2moe" && !m.opt_int("expert_shared_count", k_max_heads)) {
      moe.shared_experts = has_tensor(tensors, ".ffn_up_shexp.weight") ? 1 : 0;
    }
    moe.dense_layers_first =
        static_cast<int>(m.opt_int("leading_dense_block_count", k_max_layers).value_or(0));
    moe.dense_intermediate = spec.intermediate;
    spec.moe = moe;
  }

  if (arch_name == "deepseek2") {
    MlaSpec mla;
    mla.q_lora_rank = static_cast<int>(m.opt_int("attention.q_lora_rank").value_or(0));
    mla.kv_lora_rank = static_cast<int>(m.req_int("attention.kv_lora_rank"));
    mla.qk_rope_head_dim = static_cast<int>(m.req_int("rope.dimension_count", k_max_heads));
    // Newer conversions store the per-head widths in *_mla and the latent ones in key_length.
    const auto key_mla = m.opt_int("attention.key_length_mla", k_max_heads);
    const int qk =
        static_cast<int>(key_mla ? *key_mla : m.req_int("attention.key_length", k_max_heads));
    mla.v_head_dim = static_cast<int>(key_mla ? m.req_int("attention.value_length_mla", k_max_heads)
                                              : m.req_int("attention.value_length", k_max_heads));
    if (qk < mla.qk_rope_head_dim) {
      m.fail(m.key("rope.dimension_count"), "larger than the key length");
    }
    mla.qk_nope_head_dim = qk - mla.qk_rope_head_dim;
    spec.mla = mla;
    spec.head_dim = qk;
    spec.kv_heads = spec.heads;
    spec.kv_heads_per_layer.clear();
    spec.attention = AttentionKind::mla;
  } else {
    spec.attention = spec.kv_heads == spec.heads ? AttentionKind::mha
                     : spec.kv_heads == 1        ? AttentionKind::mqa
                                                 : AttentionKind::gqa;
  }

  // Sliding window: its size, then which layers use it.
  if (const auto window = m.opt_int("attention.sliding_window", k_max_context);
      window && *window > 0) {
    int layers = 0;
    if (const GgufValue* pattern = file.find(m.key("attention.sliding_window_pattern"))) {
      layers = sliding_layers_from_pattern(*pattern, spec.layers);
    } else if (spec.architecture == Architecture::gemma2 ||
               spec.architecture == Architecture::gpt_oss) {
      layers = (spec.layers + 1) / 2;
    } else if (spec.architecture == Architecture::gemma3) {
      layers = spec.layers - spec.layers / 6;
    } else {
      layers = spec.layers;  // every layer (mistral, phi3)
    }
    if (layers > 0) {
      spec.sliding_window = static_cast<int>(*window);
      spec.sliding_window_layers = std::min(layers, spec.layers);
    }
  }

  if (const GgufValue* name = file.find("general.name"); name && name->as_string()) {
    // The name reaches every output; JSON cannot carry bytes that are not UTF-8.
    if (!valid_utf8(*name->as_string())) {
      throw ModelSpecError(fmt::format("{}: metadata key 'general.name': not valid UTF-8 (\"{}\")",
                                       file.name, printable(*name->as_string())));
    }
    spec.name = *name->as_string();
  } else {
    spec.name = file.name;
  }
  spec.id = spec.name;
  spec.source = file.name;
  return spec;
}

/// A scalar as written ("18446744073709551615", "-3", "2.5", "\"text\""), else its type.
std::string value_text(const GgufValue& value) {
  if (const auto* u = std::get_if<std::uint64_t>(&value.data)) {
    return std::to_string(*u);
  }
  if (const auto* i = std::get_if<std::int64_t>(&value.data)) {
    return std::to_string(*i);
  }
  if (const auto* d = std::get_if<double>(&value.data)) {
    return fmt::format("{}", *d);
  }
  if (const auto* text = value.as_string()) {
    return fmt::format("\"{}\"", printable(*text));
  }
  return fmt::format("a {}", to_string(value.type));
}

/// The GGUF metadata key a ModelSpec field comes from.
std::string gguf_key(std::string_view field) {
  static const std::map<std::string_view, std::string_view> keys = {
      {"layers", "block_count"},
      {"hidden", "embedding_length"},
      {"heads", "attention.head_count"},
      {"kv_heads", "attention.head_count_kv"},
      {"kv_heads_per_layer", "attention.head_count_kv"},
      {"head_dim", "attention.key_length"},
      {"intermediate", "feed_forward_length"},
      {"vocab", "vocab_size"},
      {"max_context", "context_length"},
      {"sliding_window", "attention.sliding_window"},
      {"sliding_window_layers", "attention.sliding_window_pattern"},
      {"moe.experts", "expert_count"},
      {"moe.experts_used", "expert_used_count"},
      {"moe.shared_experts", "expert_shared_count"},
      {"moe.expert_intermediate", "expert_feed_forward_length"},
      {"moe.dense_layers_first", "leading_dense_block_count"},
      {"mla.kv_lora_rank", "attention.kv_lora_rank"},
      {"mla.q_lora_rank", "attention.q_lora_rank"},
      {"mla.qk_rope_head_dim", "rope.dimension_count"},
      {"mla.qk_nope_head_dim", "attention.key_length"},
      {"mla.key_length", "attention.key_length"},
      {"mla.v_head_dim", "attention.value_length"},
  };
  const auto it = keys.find(field);
  return it == keys.end() ? std::string(field) : std::string(it->second);
}

/// The shared ModelSpec validation, its first problem named by the metadata key.
void validate_gguf_spec(const GgufFile& first, const ModelSpec& spec) {
  const auto problems = model_spec_problems(spec);
  if (problems.empty()) {
    return;
  }
  const ModelSpecProblem& p = problems.front();
  const GgufValue* arch = first.find("general.architecture");
  const std::string key = gguf_key(p.field);
  // Parameter counts come from the tensors, not from a key.
  const bool from_tensors = p.field == "total_params" || p.field == "active_params";
  throw ModelSpecError(
      from_tensors ? fmt::format("{}: {}: {}", first.name, p.field, p.message)
                   : fmt::format("{}: metadata key '{}.{}': {}", first.name,
                                 printable(arch && arch->as_string() ? *arch->as_string() : ""),
                                 key, p.message));
}

}  // namespace

GgufModel gguf_model(std::span<const GgufFile> parts) {
  if (parts.empty()) {
    throw ModelSpecError("no GGUF file given");
  }
  const GgufFile& first = parts.front();
  GgufModel model;
  // Split parts: every part says how many there are and which it is.
  if (const GgufValue* count = first.find("split.count")) {
    const auto n = count->as_int();
    if (!n || *n != static_cast<std::int64_t>(parts.size())) {
      // The value as written: a u64 past the int64 range is no -1.
      throw ModelSpecError(fmt::format("{}: split.count is {} but {} part(s) were read", first.name,
                                       value_text(*count), parts.size()));
    }
  }
  // Which part holds each tensor name: a name in two parts would count its parameters twice.
  std::unordered_map<std::string, std::size_t> holder;
  const GgufValue* first_arch = first.find("general.architecture");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts.size() > 1) {
      const GgufValue* no = parts[i].find("split.no");
      if (no == nullptr || no->as_int() != static_cast<std::int64_t>(i)) {
        throw ModelSpecError(fmt::format("{}: split.no should be {} (part {} of {})", parts[i].name,
                                         i, i + 1, parts.size()));
      }
      const GgufValue* count = parts[i].find("split.count");
      const auto n = count == nullptr ? std::nullopt : count->as_int();
      if (n != static_cast<std::int64_t>(parts.size())) {
        throw ModelSpecError(fmt::format("{}: split.count should be {} as in {}, got {}",
                                         parts[i].name, parts.size(), first.name,
                                         count ? value_text(*count) : std::string("none")));
      }
      // Later parts may leave the metadata out, but what they say must agree.
      const GgufValue* arch = parts[i].find("general.architecture");
      if (i > 0 && arch != nullptr && first_arch != nullptr && arch->as_string() != nullptr &&
          first_arch->as_string() != nullptr && *arch->as_string() != *first_arch->as_string()) {
        throw ModelSpecError(fmt::format("{}: general.architecture is '{}' but '{}' in {}",
                                         parts[i].name, printable(*arch->as_string()),
                                         printable(*first_arch->as_string()), first.name));
      }
    }
    model.files.push_back(parts[i].name);
    for (std::size_t t = 0; t < parts[i].tensors.size(); ++t) {
      const auto [it, fresh] = holder.emplace(parts[i].tensors[t].name, i);
      if (!fresh) {
        throw ModelSpecError(fmt::format("{}: tensor '{}' is also in {}", parts[i].name,
                                         printable(parts[i].tensors[t].name),
                                         parts[it->second].name));
      }
      model.tensors.push_back(parts[i].tensors[t]);
      // Each part's tensors lie inside that part, but the parts' sum can still wrap.
      const auto total = checked_add(model.tensor_bytes, parts[i].tensor_bytes[t]);
      if (!total) {
        throw ModelSpecError(fmt::format("{}: the tensor sizes of the {} parts overflow 64 bits",
                                         parts[i].name, parts.size()));
      }
      model.tensor_bytes = *total;
    }
  }

  std::vector<std::string> assumed;
  model.spec = spec_from_metadata(first, model.tensors, assumed);
  ModelSpec& spec = model.spec;
  if (const GgufValue* ftype = first.find("general.file_type")) {
    // -1 (unknown) for a value no ftype has, rather than its low 32 bits.
    const auto type = ftype->as_int();
    model.file_type = type && *type >= 0 && *type <= std::numeric_limits<int>::max()
                          ? static_cast<int>(*type)
                          : -1;
  }

  if (model.tensors.empty()) {
    // A vocab-only file: count what the converter would write for this shape.
    const bool tied_default =
        spec.architecture == Architecture::gemma2 || spec.architecture == Architecture::gemma3 ||
        spec.architecture == Architecture::gpt2 || spec.architecture == Architecture::falcon;
    spec.tied_embeddings = tied_default;
    assumed.push_back(
        "no tensors in the file: parameters derived from the metadata (llama.cpp layout)");
    assumed.push_back(fmt::format("tied embeddings: {}", tied_default ? "yes" : "no"));
    const std::vector<TensorInfo> derived = model_tensors(spec);
    spec.total_params = count_total_params(derived);
    spec.active_params =
        spec.moe ? count_active_params(derived, spec.moe->experts, spec.moe->experts_used)
                 : spec.total_params;
  } else {
    // llama.cpp reuses token_embd as the output head when there is no output.weight.
    spec.tied_embeddings =
        std::none_of(model.tensors.begin(), model.tensors.end(),
                     [](const TensorInfo& t) { return t.name == "output.weight"; });
    spec.total_params = count_total_params(model.tensors);
    spec.active_params =
        spec.moe ? count_active_params(model.tensors, spec.moe->experts, spec.moe->experts_used)
                 : spec.total_params;
  }
  spec.params_source = fmt::format("summed over the tensors of {}", first.name);
  spec.assumed_fields.insert(spec.assumed_fields.end(), assumed.begin(), assumed.end());
  validate_gguf_spec(first, spec);
  return model;
}

}  // namespace llmroof
