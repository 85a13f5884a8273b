#include "llmroof/app/database.hpp"

#include "llmroof/util/errors.hpp"

namespace llmroof {

const DeviceDb& Database::devices() const {
  if (!m_devices) {
    DeviceDb db = m_builtin ? m_builtin->devices()
                            : parse_devices(m_texts.devices.text, m_texts.devices.name);
    for (const auto& extra : m_texts.extra_devices) {
      merge_devices(db, parse_devices(extra.text, extra.name));
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

const LinkDb& Database::links() const {
  if (!m_links) {
    m_links = m_builtin ? m_builtin->links() : parse_links(m_texts.links.text, m_texts.links.name);
  }
  return *m_links;
}

}  // namespace llmroof
