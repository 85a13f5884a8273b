#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// One interconnect between devices of a group (data/links.json), in base units.
struct Link {
  std::string id;
  std::vector<std::string> aliases;
  std::string name;
  /// Usable bandwidth in one direction between two endpoints, bytes/s (> 0). A file entry that
  /// gives a bidirectional aggregate is halved at load.
  double bandwidth_bytes_per_s = 0;
  double latency_s = 0;  ///< one-way latency of a small message, seconds (> 0)
  std::string bandwidth_source;
  std::string latency_source;
  std::string notes;
  /// Field by field.
  bool operator==(const Link&) const = default;
};

/// The interconnect catalog.
struct LinkDb {
  int schema_version = 0;
  std::string description;
  std::vector<Link> links;
  /// Field by field.
  bool operator==(const LinkDb&) const = default;
};

/// Parses and validates a links file (the schema of data/schema/links.schema.json).
/// `display_name` is used in messages. Throws DataError listing every problem with its line.
LinkDb parse_links(std::string_view text, const std::string& display_name);

/// Cross-entry checks: unique ids and aliases after normalization. Empty when valid.
std::vector<std::string> check_link_db(const LinkDb& db);

/// Finds a link by id or alias (case, spaces, '-', '.', '_', '/', ':' ignored, so "tb5",
/// "Thunderbolt 5" and "thunderbolt5" are one); nullptr when unknown.
const Link* find_link(const LinkDb& db, std::string_view name);

/// find_link, or a UsageError naming the closest ids ("did you mean ...").
const Link& require_link(const LinkDb& db, std::string_view name);

}  // namespace llmroof
