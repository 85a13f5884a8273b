#pragma once

// Helpers shared by the unit tests: where the shared reference folder and the data live.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/platform/data_dir.hpp"

namespace llmroof::test {

/// ../shared (reference CSVs, fixtures, calibration), or nullopt when it is absent: tests that
/// need it return early (skipped). $LLMROOF_SHARED_DIR overrides the configured path.
inline std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path dir = LLMROOF_SHARED_DIR;
  if (const char* env = std::getenv("LLMROOF_SHARED_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    return dir;
  }
  return std::nullopt;
}

/// The project's data/ folder.
inline std::filesystem::path data_dir() { return LLMROOF_SOURCE_DATA_DIR; }

/// tests/data (good/ and bad/ fixtures).
inline std::filesystem::path test_data_dir() { return LLMROOF_TEST_DATA_DIR; }

inline std::string read(const std::filesystem::path& path) { return read_text_file(path); }

/// The shipped data/models.json, loaded once.
inline const ModelCatalog& catalog() {
  static const ModelCatalog c = parse_models(read(data_dir() / "models.json"), "models.json");
  return c;
}

/// The shipped data/devices.json, loaded once.
inline const DeviceDb& devices() {
  static const DeviceDb db = parse_devices(read(data_dir() / "devices.json"), "devices.json");
  return db;
}

/// The shipped data/efficiency.json, loaded once.
inline const EfficiencyTable& efficiency() {
  static const EfficiencyTable t =
      parse_efficiency(read(data_dir() / "efficiency.json"), "efficiency.json");
  return t;
}

/// The shipped data/efficiency-prior.json (the fit's starting figures), loaded once.
inline const EfficiencyTable& efficiency_prior() {
  static const EfficiencyTable t =
      parse_efficiency(read(data_dir() / "efficiency-prior.json"), "efficiency-prior.json");
  return t;
}

/// The shipped device `id` (an id, alias or family name, as find_device resolves it); throws
/// std::runtime_error when there is none, which fails the calling test.
inline const Device& device(const std::string& id) {
  auto m = find_device(devices(), id);
  if (!m) {
    throw std::runtime_error("no shipped device '" + id + "'");
  }
  return *m->device;
}

}  // namespace llmroof::test
