#pragma once

// The layout of the tables compiled into the program: constant arrays (no code, nothing built
// at start-up) that TableReader turns into the structs of table_fields.hpp when a command
// first asks for a table. llmroof_datagen writes them with the same field lists.
//
// A value is a run of 32-bit words in `words`, field after field:
//   std::string        2 words: chunk << 16 | offset into chunks[chunk], then the size
//   double             1 word: index into `numbers`
//   int, bool, enum    1 word (the value's bits)
//   std::int64_t       2 words: low, then high 32 bits
//   std::vector<T>     its size, then each element
//   std::optional<T>   0, or 1 then the value
//   std::array<T, N>   its N elements
//   std::pair<A, B>    first, then second
//   a struct           its fields, in table_fields.hpp's order

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "table_fields.hpp"

namespace llmroof {

/// Bytes of one chunk of the string pool at most (ISO C++ promises string literals of 65536
/// characters); a string never spans two chunks.
inline constexpr std::size_t k_table_chunk_bytes = 60000;

/// Where each compiled-in table starts in TableData::words.
enum class TableId : std::size_t {
  devices,
  configured_devices,
  device_sources,
  models,
  efficiency,
  links,
  products,
  count
};

/// The compiled-in tables: pointers into constant arrays of the generated source.
struct TableData {
  const char* const* chunks = nullptr;  ///< the string pool, in chunks
  const double* numbers = nullptr;      ///< every distinct number
  const std::uint32_t* words = nullptr;
  std::size_t word_count = 0;
  std::array<std::size_t, static_cast<std::size_t>(TableId::count)> starts{};
};

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsArray : std::false_type {};
template <class T, std::size_t N>
struct IsArray<std::array<T, N>> : std::true_type {};
template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};

/// Passes each part of a value laid out as its parts in order (std::array, std::pair, a struct
/// of table_fields.hpp) to `v`: the writer's and the reader's common case.
template <class V, class T>
void visit_parts(V& v, T& value) {
  using Plain = std::remove_const_t<T>;
  if constexpr (IsArray<Plain>::value) {
    for (auto& item : value) {
      v(item);
    }
  } else if constexpr (IsPair<Plain>::value) {
    v(value.first);
    v(value.second);
  } else {
    table_fields::fields(v, value);
  }
}

/// Reads values back from TableData, word by word, in the order above.
class TableReader {
 public:
  TableReader(const TableData& data, std::size_t start) : m_data(data), m_at(start) {}

  template <class T>
  void operator()(T& value) {
    if constexpr (std::is_same_v<T, std::string>) {
      const std::uint32_t where = word();
      const std::uint32_t size = word();
      value.assign(m_data.chunks[where >> 16] + (where & 0xffffu), size);
    } else if constexpr (std::is_same_v<T, double>) {
      value = m_data.numbers[word()];
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      const std::uint64_t low = word();
      const std::uint64_t high = word();
      value = static_cast<std::int64_t>(high << 32 | low);
    } else if constexpr (std::is_same_v<T, bool>) {
      value = word() != 0;
    } else if constexpr (std::is_same_v<T, int>) {
      value = static_cast<int>(word());
    } else if constexpr (std::is_enum_v<T>) {
      value = static_cast<T>(word());
    } else if constexpr (IsVector<T>::value) {
      value.resize(word());
      for (auto& item : value) {
        (*this)(item);
      }
    } else if constexpr (IsOptional<T>::value) {
      if (word() != 0) {
        (*this)(value.emplace());
      } else {
        value.reset();
      }
    } else {
      visit_parts(*this, value);
    }
  }

 private:
  std::uint32_t word() { return m_data.words[m_at++]; }

  const TableData& m_data;
  std::size_t m_at;
};

/// Table `id` of `data` read back as a T.
template <class T>
T read_table(const TableData& data, TableId id) {
  T value{};
  TableReader reader(data, data.starts[static_cast<std::size_t>(id)]);
  reader(value);
  return value;
}

}  // namespace llmroof
