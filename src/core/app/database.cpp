#include "llmroof/app/database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "llmroof/hardware/products.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {

const DeviceDb& Database::devices() const {
  if (!m_devices) {
    // Without a --device-file the compiled-in devices come with their configurations.
    if (m_builtin && m_builtin->configured_devices && m_texts.extra_devices.empty()) {
      m_devices = m_builtin->configured_devices();
      return *m_devices;
    }
    DeviceDb db = m_builtin ? m_builtin->devices()
                            : parse_devices(m_texts.devices.text, m_texts.devices.name);
    // Which --device-file gave each id it added or replaced (the rest are shipped).
    std::unordered_map<std::string, std::string> given_by;
    const std::string shipped_name = m_builtin ? "devices.json" : m_texts.devices.name;
    for (const auto& extra : m_texts.extra_devices) {
      DeviceDb parsed = parse_devices(extra.text, extra.name);
      std::vector<std::string> ids;
      for (const auto& device : parsed.devices) {
        ids.push_back(device.id);
      }
      for (const auto& id : merge_devices(db, std::move(parsed))) {
        const auto earlier = given_by.find(id);
        m_replaced.push_back(
            fmt::format("{}: device '{}' replaces the one of that id in {}", extra.name, id,
                        earlier == given_by.end() ? shipped_name : earlier->second));
      }
      for (auto& id : ids) {
        given_by[std::move(id)] = extra.name;
      }
    }
    // Memory configurations are copies of their chips, made after a device file changed them.
    if (m_builtin) {
      if (m_builtin->products) {
        add_memory_configurations(db, m_builtin->products(), "products.json");
      }
    } else if (!m_texts.products.text.empty()) {
      add_memory_configurations(db, parse_products(m_texts.products.text, m_texts.products.name),
                                m_texts.products.name);
    }
    m_devices = std::move(db);
  }
  return *m_devices;
}

const DeviceDb& Database::devices_with_sources() const {
  devices();
  if (!m_sources_attached) {
    const auto& sources = m_texts.device_sources;
    throw_if_problems(attach_device_sources(
                          *m_devices, m_builtin ? m_builtin->device_sources()
                                                : parse_device_sources(sources.text, sources.name)),
                      m_builtin ? "device-sources.json" : sources.name);
    m_sources_attached = true;
  }
  return *m_devices;
}

const ModelCatalog& Database::models() const {
  if (!m_models) {
    m_models =
        m_builtin ? m_builtin->models() : parse_models(m_texts.models.text, m_texts.models.name);
  }
  return *m_models;
}

const EfficiencyTable& Database::efficiency() const {
  if (!m_efficiency) {
    EfficiencyTable table =
        m_builtin ? m_builtin->efficiency()
                  : parse_efficiency(m_texts.efficiency.text, m_texts.efficiency.name);
    for (const auto& profile : m_texts.calibrations) {
      merge_efficiency(table, parse_efficiency(profile.text, profile.name));
    }
    m_efficiency = std::move(table);
  }
  return *m_efficiency;
}

DataNotices Database::notices() const {
  DataNotices out;
  if (m_texts.extra_devices.empty() && m_texts.calibrations.empty()) {
    return out;
  }
  const DeviceDb& db = devices();
  out.notes = m_replaced;
  for (const auto& profile : m_texts.calibrations) {
    for (const auto& c : parse_efficiency(profile.text, profile.name).classes) {
      const bool known = std::any_of(db.devices.begin(), db.devices.end(),
                                     [&](const Device& d) { return d.id == c.device; });
      if (!c.device.empty() && !known) {
        out.warnings.push_back(fmt::format(
            "{}: class '{}' is for device '{}', which is not in the device database: it never "
            "applies",
            profile.name, c.id, c.device));
      }
    }
  }
  return out;
}

const LinkDb& Database::links() const {
  if (!m_links) {
    m_links = m_builtin ? m_builtin->links() : parse_links(m_texts.links.text, m_texts.links.name);
  }
  return *m_links;
}

}  // namespace llmroof
