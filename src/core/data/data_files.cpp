#include "llmroof/data/data_files.hpp"

#include <fmt/format.h>

#include "data/json_reader.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

std::string_view to_string(DataFileKind kind) {
  switch (kind) {
    case DataFileKind::devices:
      return "devices";
    case DataFileKind::device_sources:
      return "device sources";
    case DataFileKind::models:
      return "models";
    case DataFileKind::efficiency:
      return "efficiency";
    case DataFileKind::links:
      return "links";
    case DataFileKind::products:
      return "products";
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
  if (doc.contains("products")) {
    return DataFileKind::products;
  }
  if (doc.contains("models")) {
    return DataFileKind::models;
  }
  if (doc.contains("provenance")) {
    return DataFileKind::device_sources;
  }
  if (doc.contains("devices")) {
    return DataFileKind::devices;
  }
  return std::nullopt;
}

std::size_t check_data_file(std::string_view text, const std::string& name) {
  const auto kind = detect_data_file(text, name);
  if (!kind) {
    throw Error(fmt::format(
        "{}: not a devices, device sources, models, efficiency, links or products file", name));
  }
  switch (*kind) {
    case DataFileKind::devices:
      return parse_devices(text, name).devices.size();
    case DataFileKind::device_sources:
      return parse_device_sources(text, name).size();
    case DataFileKind::models:
      return parse_models(text, name).models.size();
    case DataFileKind::efficiency:
      return parse_efficiency(text, name).classes.size();
    case DataFileKind::links:
      return parse_links(text, name).links.size();
    case DataFileKind::products:
      return parse_products(text, name).products.size();
  }
  return 0;
}

void check_device_sources(std::string_view devices_text, const std::string& devices_name,
                          std::string_view sources_text, const std::string& sources_name) {
  DeviceDb db = parse_devices(devices_text, devices_name);
  throw_if_problems(attach_device_sources(db, parse_device_sources(sources_text, sources_name)),
                    sources_name);
}

}  // namespace llmroof
