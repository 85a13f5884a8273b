// llmroof_datagen: the build step that compiles the shipped data into the program.
//
//   llmroof_datagen DATA_DIR OUTPUT.cpp
//
// Runs the validating loader over DATA_DIR's devices.json, device-sources.json, models.json,
// efficiency.json and links.json (and checks calibration-aliases.json and
// efficiency-prior.json), then writes the tables it built as constant arrays (the layout of
// table_stream.hpp, through the field lists of table_fields.hpp). A data file the loader refuses
// fails the build with the loader's messages, exit code 1. OUTPUT is rewritten only when its text
// changes.

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/util/errors.hpp"
#include "table_stream.hpp"

namespace llmroof {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read '{}'", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A C++ string literal of `text`, every byte outside printable ASCII as a 3-digit octal escape
// (NUL included: the tables locate strings by offset and size).
std::string c_literal(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\{:03o}", u);
    }
  }
  return out + "\"";
}

// A C++ literal of a finite `value`: fmt's shortest round-trip form, always with a '.' or an
// exponent so that it is a double.
std::string lit(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) {
    text += ".0";
  }
  return text;
}

// Writes values as table_stream.hpp lays them out, through the field lists of
// table_fields.hpp (the ones TableReader reads them back with). Strings and numbers are pooled
// once each.
class TableWriter {
 public:
  template <class T>
  void operator()(const T& value) {
    if constexpr (std::is_same_v<T, std::string>) {
      string(value);
    } else if constexpr (std::is_same_v<T, double>) {
      word(number(value));
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      const auto bits = static_cast<std::uint64_t>(value);
      word(static_cast<std::uint32_t>(bits & 0xffffffffu));
      word(static_cast<std::uint32_t>(bits >> 32));
    } else if constexpr (std::is_same_v<T, bool>) {
      word(value ? 1 : 0);
    } else if constexpr (std::is_same_v<T, int>) {
      word(static_cast<std::uint32_t>(value));
    } else if constexpr (std::is_enum_v<T>) {
      word(static_cast<std::uint32_t>(static_cast<std::underlying_type_t<T>>(value)));
    } else if constexpr (IsVector<T>::value) {
      word(static_cast<std::uint32_t>(value.size()));
      for (const auto& item : value) {
        (*this)(item);
      }
    } else if constexpr (IsOptional<T>::value) {
      word(value ? 1 : 0);
      if (value) {
        (*this)(*value);
      }
    } else {
      visit_parts(*this, value);
    }
  }

  /// The next value's first word.
  std::size_t position() const { return m_words.size(); }

  /// C++ definitions of the pools: k_chars_<i>, k_chunks, k_numbers and k_words.
  std::string definitions() const {
    std::string out;
    for (std::size_t i = 0; i < m_chunks.size(); ++i) {
      out += fmt::format("constexpr char k_chars_{}[] = {};\n", i, c_literal(m_chunks[i]));
    }
    out += "constexpr const char* k_chunks[] = {";
    for (std::size_t i = 0; i < m_chunks.size(); ++i) {
      out += fmt::format("{}k_chars_{}", i == 0 ? "" : ", ", i);
    }
    out += "};\n\nconstexpr double k_numbers[] = {\n";
    for (std::size_t i = 0; i < m_numbers.size(); ++i) {
      out +=
          fmt::format("{}{},", i % 6 == 0 ? (i == 0 ? "    " : "\n    ") : " ", lit(m_numbers[i]));
    }
    out += "\n};\n\nconstexpr std::uint32_t k_words[] = {\n";
    for (std::size_t i = 0; i < m_words.size(); ++i) {
      out += fmt::format("{}{},", i % 16 == 0 ? (i == 0 ? "    " : "\n    ") : " ", m_words[i]);
    }
    return out + "\n};\n";
  }

 private:
  void word(std::uint32_t value) { m_words.push_back(value); }

  std::uint32_t number(double value) {
    if (!std::isfinite(value)) {
      throw Error(fmt::format("datagen: a non-finite number {} cannot be compiled in", value));
    }
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    const auto [at, added] = m_number_index.try_emplace(bits, m_numbers.size());
    if (added) {
      m_numbers.push_back(value);
    }
    return at->second;
  }

  void string(const std::string& text) {
    if (text.size() > k_table_chunk_bytes) {
      throw Error(fmt::format("datagen: a string of {} bytes is longer than a chunk ({})",
                              text.size(), k_table_chunk_bytes));
    }
    auto at = m_string_index.find(text);
    if (at == m_string_index.end()) {
      if (m_chunks.empty() || m_chunks.back().size() + text.size() > k_table_chunk_bytes) {
        m_chunks.emplace_back();
      }
      const auto where =
          static_cast<std::uint32_t>((m_chunks.size() - 1) << 16 | m_chunks.back().size());
      m_chunks.back() += text;
      at = m_string_index.emplace(text, where).first;
    }
    word(at->second);
    word(static_cast<std::uint32_t>(text.size()));
  }

  std::vector<std::string> m_chunks;
  std::unordered_map<std::string, std::uint32_t> m_string_index;
  std::vector<double> m_numbers;
  std::unordered_map<std::uint64_t, std::uint32_t> m_number_index;
  std::vector<std::uint32_t> m_words;
};

std::string generate(const std::filesystem::path& dir) {
  const auto text = [&](const char* name) { return read_file(dir / name); };
  // The loader, as a run with --data-dir would use it, with every check `check-data` makes.
  DataTexts texts;
  texts.devices = {"devices.json", text("devices.json")};
  texts.device_sources = {"device-sources.json", text("device-sources.json")};
  texts.models = {"models.json", text("models.json")};
  texts.efficiency = {"efficiency.json", text("efficiency.json")};
  texts.links = {"links.json", text("links.json")};
  const Database db(texts);
  const DeviceDb devices = db.devices();
  db.devices_with_sources();
  const auto provenance =
      parse_device_sources(texts.device_sources.text, texts.device_sources.name);
  const ModelCatalog& models = db.models();
  const EfficiencyTable& efficiency = db.efficiency();
  const LinkDb& links = db.links();
  throw_if_problems(check_link_db(links), "links.json");
  const std::string aliases = text("calibration-aliases.json");
  parse_calibration_aliases(aliases, "calibration-aliases.json");
  const std::string prior = text("efficiency-prior.json");
  parse_efficiency(prior, "efficiency-prior.json");
  // products.json is compiled in twice: as the devices with its memory configurations added
  // (what a run without --device-file uses, so that it neither parses nor applies products),
  // and as a table that devices() applies after merging a --device-file (the configurations
  // are copies of their chips as that file left them). Its text stays for `check-data`.
  const std::string products = text("products.json");
  const ProductDb product_db = parse_products(products, "products.json");
  DeviceDb configured = devices;
  add_memory_configurations(configured, product_db, "products.json");

  TableWriter writer;
  std::array<std::size_t, static_cast<std::size_t>(TableId::count)> starts{};
  const auto table = [&](TableId id, const auto& value) {
    starts[static_cast<std::size_t>(id)] = writer.position();
    writer(value);
  };
  table(TableId::devices, devices);
  table(TableId::configured_devices, configured);
  table(TableId::device_sources, provenance);
  table(TableId::models, models);
  table(TableId::efficiency, efficiency);
  table(TableId::links, links);
  table(TableId::products, product_db);
  std::string start_list;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    start_list += fmt::format("{}{}", i == 0 ? "" : ", ", starts[i]);
  }

  return fmt::format(
      R"(// Generated by llmroof_datagen from {dir}: do not edit.

#include <cstdint>
#include <string_view>

#include "builtin_tables.hpp"
#include "table_stream.hpp"

namespace llmroof {{

namespace {{

{pools}
constexpr std::string_view k_calibration_aliases{{{aliases}, {aliases_bytes}}};
constexpr std::string_view k_efficiency_prior{{{prior}, {prior_bytes}}};
constexpr std::string_view k_products{{{products}, {products_bytes}}};

constexpr TableData k_table_data{{k_chunks, k_numbers, k_words, sizeof k_words / sizeof k_words[0],
                                 {{{starts}}}}};

}}  // namespace

const TableData& builtin_table_data() {{ return k_table_data; }}

std::string_view builtin_text(std::string_view name) {{
  if (name == "calibration-aliases.json") {{
    return k_calibration_aliases;
  }}
  if (name == "efficiency-prior.json") {{
    return k_efficiency_prior;
  }}
  if (name == "products.json") {{
    return k_products;
  }}
  return {{}};
}}

}}  // namespace llmroof
)",
      fmt::arg("dir", dir.filename().string()), fmt::arg("pools", writer.definitions()),
      fmt::arg("starts", start_list), fmt::arg("aliases", c_literal(aliases)),
      fmt::arg("aliases_bytes", aliases.size()), fmt::arg("prior", c_literal(prior)),
      fmt::arg("prior_bytes", prior.size()), fmt::arg("products", c_literal(products)),
      fmt::arg("products_bytes", products.size()));
}

}  // namespace
}  // namespace llmroof

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: llmroof_datagen DATA_DIR OUTPUT.cpp\n", stderr);
    return 2;
  }
  try {
    const std::string code = llmroof::generate(argv[1]);
    const std::filesystem::path output = argv[2];
    std::error_code ec;
    if (std::filesystem::exists(output, ec) && llmroof::read_file(output) == code) {
      return 0;  // unchanged: nothing that includes it rebuilds
    }
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out << code;
    if (!out.flush()) {
      std::fprintf(stderr, "llmroof_datagen: cannot write '%s'\n", argv[2]);
      return 1;
    }
  } catch (const llmroof::DataError& e) {
    for (const auto& message : e.messages()) {
      std::fprintf(stderr, "llmroof_datagen: error: %s\n", message.c_str());
    }
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llmroof_datagen: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
