#include "llmroof/data_files.hpp"

#include <fmt/format.h>

#include "json_reader.hpp"
#include "llmroof/efficiency.hpp"
#include "llmroof/errors.hpp"
#include "llmroof/hardware.hpp"
#include "llmroof/links.hpp"
#include "llmroof/model_spec.hpp"

namespace llmroof {

std::string_view to_string(DataFileKind kind) {
  switch (kind) {
    case DataFileKind::devices:
      return "devices";
    case DataFileKind::models:
      return "models";
    case DataFileKind::efficiency:
      return "efficiency";
    case DataFileKind::links:
      return "links";
  }
  return "devices";
}

std::optional<DataFileKind> detect_data_file(std::string_view text, const std::string& name) {
  const nlohmann::json doc = detail::parse_json_text(text, name);
  if (!doc.is_object()) {
    return std::nullopt;
  }
  // Most specific first: an efficiency table may mention devices it was fitted on.
  if (doc.contains("classes")) {
    return DataFileKind::efficiency;
  }
  if (doc.contains("links")) {
    return DataFileKind::links;
  }
  if (doc.contains("models")) {
    return DataFileKind::models;
  }
  if (doc.contains("devices")) {
    return DataFileKind::devices;
  }
  return std::nullopt;
}

std::size_t check_data_file(std::string_view text, const std::string& name) {
  const auto kind = detect_data_file(text, name);
  if (!kind) {
    throw Error(fmt::format("{}: not a devices, models, efficiency or links file", name));
  }
  switch (*kind) {
    case DataFileKind::devices:
      return parse_devices(text, name).devices.size();
    case DataFileKind::models:
      return parse_models(text, name).models.size();
    case DataFileKind::efficiency:
      return parse_efficiency(text, name).classes.size();
    case DataFileKind::links:
      return parse_links(text, name).links.size();
  }
  return 0;
}

}  // namespace llmroof
