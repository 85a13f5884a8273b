#include "llmroof/platform/load_database.hpp"

#include <filesystem>

#include "llmroof/platform/data_dir.hpp"

namespace llmroof {

Database load_database(const DataLocation& location) {
  return load_database(find_data_dir(location.data_dir, location.executable), location);
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
  for (const auto& file : location.device_files) {
    texts.extra_devices.push_back({file, read_text_file(file)});
  }
  for (const auto& file : location.calibration_files) {
    texts.calibrations.push_back({file, read_text_file(file)});
  }
  return Database(std::move(texts));
}

}  // namespace llmroof
