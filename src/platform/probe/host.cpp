// --device host: a cached quick probe in the user's cache directory.

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "llmroof/platform/probe.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

HostDeviceFile host_device_file() {
  namespace fs = std::filesystem;
  fs::path dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    dir = fs::path(xdg) / "llmroof";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = fs::path(home) / ".cache" / "llmroof";
  } else {
    throw Error("--device host: neither XDG_CACHE_HOME nor HOME is set");
  }
  const fs::path file = dir / "host.json";
  if (fs::exists(file)) {
    return {file.string(), false};
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  ProbeOptions options;
  options.quick = true;
  const std::string text = probe_device_json(run_probe(options));
  std::ofstream out(file, std::ios::binary);
  if (ec || !out || !(out << text)) {
    throw Error(fmt::format("--device host: cannot write '{}'", file.string()));
  }
  return {file.string(), true};
}

}  // namespace llmroof
