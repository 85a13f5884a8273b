#pragma once

// A small GGUF writer for tests and fuzz seeds: header, metadata of every value type (arrays
// nested or not), tensor infos and zero-filled tensor data, in either byte order. It is
// written from the format description (gguf-format.md), independently of the reader, so that
// reading back what it wrote checks the reader.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmroof_test {

/// GGUF metadata value type ids (gguf.h).
namespace gguf_type {
inline constexpr std::uint32_t u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6,
                               boolean = 7, string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12;
}

/// Block size (elements) and block bytes of each stored ggml type id
/// (shared/reference/ggml-quant-types.csv; ids 4, 5, 31-33 and 36-38 were removed).
inline const std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>& ggml_blocks() {
  static const std::map<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>> blocks = {
      {0, {1, 4}},      {1, {1, 2}},      {2, {32, 18}},    {3, {32, 20}},    {6, {32, 22}},
      {7, {32, 24}},    {8, {32, 34}},    {9, {32, 36}},    {10, {256, 84}},  {11, {256, 110}},
      {12, {256, 144}}, {13, {256, 176}}, {14, {256, 210}}, {15, {256, 292}}, {16, {256, 66}},
      {17, {256, 74}},  {18, {256, 98}},  {19, {256, 50}},  {20, {32, 18}},   {21, {256, 110}},
      {22, {256, 82}},  {23, {256, 136}}, {24, {1, 1}},     {25, {1, 2}},     {26, {1, 4}},
      {27, {1, 8}},     {28, {1, 8}},     {29, {256, 56}},  {30, {1, 2}},     {34, {256, 54}},
      {35, {256, 66}},  {39, {32, 17}},   {40, {64, 36}},   {41, {128, 18}},  {42, {64, 18}},
  };
  return blocks;
}

/// Bytes of a tensor of ggml type `type` with `dims` (dims[0] a multiple of the block size).
inline std::uint64_t tensor_nbytes(std::uint32_t type, const std::vector<std::uint64_t>& dims) {
  const auto [block, bytes] = ggml_blocks().at(type);
  std::uint64_t total = (dims.empty() ? 1 : dims[0]) / block * bytes;
  for (std::size_t i = 1; i < dims.size(); ++i) {
    total *= dims[i];
  }
  return total;
}

class GgufWriter {
 public:
  /// An encoded value: its type id and payload bytes (without the type tag).
  struct Value {
    std::uint32_t type = 0;
    std::string bytes;
  };

  explicit GgufWriter(std::uint32_t version = 3, bool big_endian = false)
      : m_version(version), m_big_endian(big_endian) {}

  // Scalars, in the writer's byte order.
  Value u8(std::uint8_t v) const { return {gguf_type::u8, raw(v)}; }
  Value i8(std::int8_t v) const { return {gguf_type::i8, raw(v)}; }
  Value u16(std::uint16_t v) const { return {gguf_type::u16, raw(v)}; }
  Value i16(std::int16_t v) const { return {gguf_type::i16, raw(v)}; }
  Value u32(std::uint32_t v) const { return {gguf_type::u32, raw(v)}; }
  Value i32(std::int32_t v) const { return {gguf_type::i32, raw(v)}; }
  Value u64(std::uint64_t v) const { return {gguf_type::u64, raw(v)}; }
  Value i64(std::int64_t v) const { return {gguf_type::i64, raw(v)}; }
  Value f32(float v) const { return {gguf_type::f32, raw(v)}; }
  Value f64(double v) const { return {gguf_type::f64, raw(v)}; }
  Value boolean(bool v) const { return {gguf_type::boolean, std::string(1, v ? '\1' : '\0')}; }
  Value str(std::string_view text) const { return {gguf_type::string, string_bytes(text)}; }
  /// An array of `items`, all of type `element_type` (arrays may hold arrays).
  Value array(std::uint32_t element_type, const std::vector<Value>& items) const {
    std::string bytes = raw(element_type) + raw(static_cast<std::uint64_t>(items.size()));
    for (const Value& item : items) {
      bytes += item.bytes;
    }
    return {gguf_type::array, bytes};
  }
  /// Arrays of u32 / strings, the common cases.
  Value u32_array(const std::vector<std::uint32_t>& values) const {
    std::vector<Value> items;
    for (std::uint32_t v : values) {
      items.push_back(u32(v));
    }
    return array(gguf_type::u32, items);
  }
  Value str_array(const std::vector<std::string>& values) const {
    std::vector<Value> items;
    for (const std::string& v : values) {
      items.push_back(str(v));
    }
    return array(gguf_type::string, items);
  }

  void kv(std::string key, Value value) { m_kvs.emplace_back(std::move(key), std::move(value)); }

  /// Sets the data alignment and writes general.alignment.
  void alignment(std::uint32_t bytes) {
    m_alignment = bytes;
    kv("general.alignment", u32(bytes));
  }

  /// Adds a tensor; its data offset is the next aligned position unless `offset` is given.
  void tensor(std::string name, std::vector<std::uint64_t> dims, std::uint32_t type,
              std::optional<std::uint64_t> offset = std::nullopt) {
    m_tensors.push_back(Tensor{std::move(name), std::move(dims), type, offset});
  }

  /// Overrides for malformed files.
  std::optional<std::uint64_t> tensor_count_override;
  std::optional<std::uint64_t> kv_count_override;
  bool write_data = true;

  /// Data offset (relative to the data section) that tensor `index` gets.
  std::uint64_t offset_of(std::size_t index) const { return layout()[index]; }

  /// The whole file. Tensor data is zero bytes; the last tensor ends the file (no padding).
  std::string bytes() const {
    std::string out = "GGUF";
    out += raw(m_version);
    out += raw(tensor_count_override.value_or(m_tensors.size()));
    out += raw(kv_count_override.value_or(m_kvs.size()));
    for (const auto& [key, value] : m_kvs) {
      out += string_bytes(key);
      out += raw(value.type);
      out += value.bytes;
    }
    const std::vector<std::uint64_t> offsets = layout();
    for (std::size_t i = 0; i < m_tensors.size(); ++i) {
      const Tensor& t = m_tensors[i];
      out += string_bytes(t.name);
      out += raw(static_cast<std::uint32_t>(t.dims.size()));
      for (std::uint64_t d : t.dims) {
        out += raw(d);
      }
      out += raw(t.type);
      out += raw(offsets[i]);
    }
    if (!write_data || m_tensors.empty()) {
      return out;
    }
    out.resize(align(out.size()), '\0');
    const std::size_t data_start = out.size();
    std::uint64_t end = 0;
    for (std::size_t i = 0; i < m_tensors.size(); ++i) {
      if (ggml_blocks().count(m_tensors[i].type) != 0) {
        end = std::max(end, offsets[i] + tensor_nbytes(m_tensors[i].type, m_tensors[i].dims));
      }
    }
    out.resize(data_start + static_cast<std::size_t>(end), '\0');
    return out;
  }

 private:
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type;
    std::optional<std::uint64_t> offset;
  };

  template <typename T>
  std::string raw(T value) const {
    std::string bytes(sizeof(T), '\0');
    std::memcpy(bytes.data(), &value, sizeof(T));
    if (m_big_endian) {
      std::reverse(bytes.begin(), bytes.end());
    }
    return bytes;
  }

  std::string string_bytes(std::string_view text) const {
    return raw(static_cast<std::uint64_t>(text.size())) + std::string(text);
  }

  std::uint64_t align(std::uint64_t n) const {
    return (n + m_alignment - 1) / m_alignment * m_alignment;
  }

  std::vector<std::uint64_t> layout() const {
    std::vector<std::uint64_t> offsets;
    std::uint64_t next = 0;
    for (const Tensor& t : m_tensors) {
      const std::uint64_t offset = t.offset.value_or(next);
      offsets.push_back(offset);
      if (ggml_blocks().count(t.type) != 0 && !t.dims.empty() &&
          t.dims[0] % ggml_blocks().at(t.type).first == 0) {
        next = align(offset + tensor_nbytes(t.type, t.dims));
      }
    }
    return offsets;
  }

  std::uint32_t m_version;
  bool m_big_endian;
  std::uint32_t m_alignment = 32;
  std::vector<std::pair<std::string, Value>> m_kvs;
  std::vector<Tensor> m_tensors;
};

}  // namespace llmroof_test
