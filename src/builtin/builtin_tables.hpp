#pragma once

// The shipped data compiled into the program: generated at build time by llmroof_datagen
// (src/builtin/datagen.cpp), which runs the validating loader over data/*.json and writes the
// tables it built as constant arrays (table_stream.hpp), read back into structs only when a
// command first asks for a table. Nothing is parsed or validated at run time.

#include <string_view>

#include "llmroof/app/database.hpp"

namespace llmroof {

struct TableData;

/// The generated constant arrays the tables are read from (table_stream.hpp).
const TableData& builtin_table_data();

/// Builders of the shipped tables (data/devices.json, device-sources.json, models.json,
/// efficiency.json, links.json, products.json and the devices with its configurations) as they
/// were when this program was built.
const BuiltinTables& builtin_tables();

/// The text of a shipped data file read only by some commands ("calibration-aliases.json",
/// "efficiency-prior.json"), validated at build time; empty when `name` is not one of them.
std::string_view builtin_text(std::string_view name);

}  // namespace llmroof
