#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/model/model_spec.hpp"

namespace llmroof {

/// The text of one data file and the name its messages use ("devices.json", a user's path).
struct NamedText {
  std::string name;
  std::string text;
};

/// The texts every table of a Database is built from: the shipped files and the user's extras.
struct DataTexts {
  NamedText devices;         ///< data/devices.json
  NamedText device_sources;  ///< data/device-sources.json (only listings and checks need it)
  NamedText models;          ///< data/models.json
  NamedText efficiency;      ///< data/efficiency.json
  NamedText links;           ///< data/links.json
  NamedText products;        ///< data/products.json; an empty text: no products
  std::vector<NamedText> extra_devices;  ///< --device-file, merged over the shipped devices
  std::vector<NamedText> calibrations;   ///< --calibration profiles, merged over efficiency
};

/// What the user's files change, for a front end to print before its output.
struct DataNotices {
  /// A --device-file entry that replaces a shipped device (or one of an earlier file).
  std::vector<std::string> notes;
  /// A --calibration class for a device no database holds: it can never apply.
  std::vector<std::string> warnings;
};

/// The shipped tables compiled into a program: functions that build each one from constants
/// (generated at build time from the validated data files, see src/builtin), so that nothing is
/// parsed or validated at run time. The core only calls them.
struct BuiltinTables {
  DeviceDb (*devices)() = nullptr;  ///< data/devices.json, without the sources
  std::vector<std::pair<std::string, DeviceProvenance>> (*device_sources)() = nullptr;
  ModelCatalog (*models)() = nullptr;
  EfficiencyTable (*efficiency)() = nullptr;
  LinkDb (*links)() = nullptr;
  /// data/products.json, applied by devices() over the shipped devices and any --device-file.
  ProductDb (*products)() = nullptr;
  /// devices() with products() already applied: what devices() returns without --device-file
  /// (nullptr: apply products() at run time).
  DeviceDb (*configured_devices)() = nullptr;
};

/// Devices with their sources, models, links and efficiency profiles: everything the core
/// looks up. Built from in-memory texts (no files); each table is parsed and validated on its
/// first use, so a command pays only for what it reads. Not thread-safe (the core has no
/// threads). Every accessor throws DataError naming the file, line and field of a bad entry.
class Database {
 public:
  explicit Database(DataTexts texts) : m_texts(std::move(texts)) {}
  /// The compiled-in tables in place of the shipped texts (those of `extras`, products
  /// included, are not used),
  /// with the extra devices and calibrations of `extras` parsed on first use as above.
  Database(const BuiltinTables& builtin, DataTexts extras)
      : m_texts(std::move(extras)), m_builtin(&builtin) {}

  /// The shipped devices with every --device-file merged over them (a later entry of the same
  /// id replaces an earlier one).
  const DeviceDb& devices() const;
  /// devices() with every device's sources, notes and verification attached from
  /// device-sources.json. Throws DataError for a device without an entry or an orphan entry.
  const DeviceDb& devices_with_sources() const;
  const ModelCatalog& models() const;
  /// The fitted efficiency table with every calibration profile merged over it.
  const EfficiencyTable& efficiency() const;
  const LinkDb& links() const;
  const DataTexts& texts() const { return m_texts; }
  /// Notes and warnings about the --device-file and --calibration texts; loads the devices
  /// (and the efficiency table when there are profiles) only when such texts are given.
  DataNotices notices() const;
  /// Whether the shipped tables are the compiled-in ones.
  bool builtin() const { return m_builtin != nullptr; }

 private:
  DataTexts m_texts;
  const BuiltinTables* m_builtin = nullptr;
  mutable std::optional<DeviceDb> m_devices;
  mutable std::vector<std::string> m_replaced;  // notes of devices() on replaced entries
  mutable bool m_sources_attached = false;
  mutable std::optional<ModelCatalog> m_models;
  mutable std::optional<EfficiencyTable> m_efficiency;
  mutable std::optional<LinkDb> m_links;
};

}  // namespace llmroof
