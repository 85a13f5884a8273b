#include "llmroof/platform/load_database.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "builtin_tables.hpp"
#include "llmroof/platform/data_dir.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

namespace {

void read_user_files(const DataLocation& location, DataTexts& texts) {
  for (const auto& file : location.device_files) {
    texts.extra_devices.push_back({file, read_text_file(file)});
  }
  for (const auto& file : location.calibration_files) {
    texts.calibrations.push_back({file, read_text_file(file)});
  }
}

}  // namespace

std::optional<std::filesystem::path> replacement_data_dir(
    const std::optional<std::string>& data_dir) {
  if (data_dir) {
    return find_data_dir(data_dir, {});
  }
  if (const char* env = std::getenv("LLMROOF_DATA_DIR"); env != nullptr && *env != '\0') {
    return find_data_dir(std::nullopt, {});
  }
  return std::nullopt;
}

Database load_database(const DataLocation& location) {
  if (const auto dir = replacement_data_dir(location.data_dir)) {
    return load_database(*dir, location);
  }
  DataTexts texts;
  read_user_files(location, texts);
  return Database(builtin_tables(), std::move(texts));
}

Database load_database(const std::filesystem::path& dir, const DataLocation& location) {
  auto shipped = [&](const char* name) { return NamedText{name, read_text_file(dir / name)}; };
  DataTexts texts;
  texts.devices = shipped("devices.json");
  texts.device_sources = shipped("device-sources.json");
  texts.models = shipped("models.json");
  texts.efficiency = shipped("efficiency.json");
  texts.links = shipped("links.json");
  // Optional, so that a data directory written before products.json existed still loads.
  if (std::filesystem::exists(dir / "products.json")) {
    texts.products = shipped("products.json");
  }
  read_user_files(location, texts);
  return Database(std::move(texts));
}

NamedText shipped_text(const std::optional<std::string>& data_dir, const std::string& name) {
  if (const auto dir = replacement_data_dir(data_dir)) {
    return {name, read_text_file(*dir / name)};
  }
  const std::string_view text = builtin_text(name);
  if (text.empty()) {
    throw Error(fmt::format("'{}' is not a data file compiled into llmroof", name));
  }
  return {name, std::string(text)};
}

}  // namespace llmroof
