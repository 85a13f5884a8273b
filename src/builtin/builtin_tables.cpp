// The compiled-in tables (builtin_tables.hpp) read back from the generated constant arrays.

#include "builtin_tables.hpp"

#include <string>
#include <utility>
#include <vector>

#include "table_stream.hpp"

namespace llmroof {
namespace {

DeviceDb devices() { return read_table<DeviceDb>(builtin_table_data(), TableId::devices); }

DeviceDb configured_devices() {
  return read_table<DeviceDb>(builtin_table_data(), TableId::configured_devices);
}

std::vector<std::pair<std::string, DeviceProvenance>> device_sources() {
  return read_table<std::vector<std::pair<std::string, DeviceProvenance>>>(builtin_table_data(),
                                                                           TableId::device_sources);
}

ModelCatalog models() { return read_table<ModelCatalog>(builtin_table_data(), TableId::models); }

EfficiencyTable efficiency() {
  return read_table<EfficiencyTable>(builtin_table_data(), TableId::efficiency);
}

LinkDb links() { return read_table<LinkDb>(builtin_table_data(), TableId::links); }

ProductDb products() { return read_table<ProductDb>(builtin_table_data(), TableId::products); }

}  // namespace

const BuiltinTables& builtin_tables() {
  static const BuiltinTables tables{devices,  device_sources,    models, efficiency, links,
                                    products, configured_devices};
  return tables;
}

}  // namespace llmroof
