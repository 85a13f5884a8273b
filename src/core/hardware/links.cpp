#include "llmroof/hardware/links.hpp"

#include <fmt/format.h>

#include <map>

#include "data/json_reader.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

namespace {

Link read_link(const nlohmann::json& value, const std::string& pointer,
               detail::Diagnostics& diagnostics) {
  using detail::Check;
  detail::ObjectReader r(value, pointer, diagnostics);
  Link link;
  if (!r.is_object()) {
    return link;
  }
  link.id = r.string("id", true);
  link.aliases = r.string_array("aliases", true);
  link.name = r.string("name", true);
  const double gb_per_s = r.number("bandwidth_gb_per_s", Check::positive, true).value_or(0);
  const bool aggregate = r.boolean("bidirectional_aggregate", true).value_or(false);
  // Transfers between two devices use one direction at a time; an aggregate counts both.
  link.bandwidth_bytes_per_s = gb_per_s * units::k_gb / (aggregate ? 2.0 : 1.0);
  link.latency_s = r.number("latency_us", Check::positive, true).value_or(0) / 1e6;
  if (const auto* sources = r.child("sources", true)) {
    detail::ObjectReader sr(*sources, r.child_pointer("sources"), diagnostics);
    link.bandwidth_source = sr.string("bandwidth", true);
    link.latency_source = sr.string("latency", true);
    sr.finish();
  }
  link.notes = r.optional_string("notes").value_or("");
  // Plausibility: 0.01 GB/s .. 10 TB/s per direction, latency 10 ns .. 10 ms.
  if (link.bandwidth_bytes_per_s > 0 &&
      (link.bandwidth_bytes_per_s < 1e7 || link.bandwidth_bytes_per_s > 1e13)) {
    diagnostics.add(pointer + "/bandwidth_gb_per_s",
                    "implausible bandwidth (expected 0.01 to 10000 GB/s)");
  }
  if (link.latency_s > 0 && (link.latency_s < 1e-8 || link.latency_s > 1e-2)) {
    diagnostics.add(pointer + "/latency_us", "implausible latency (expected 0.01 to 10000 us)");
  }
  r.finish();
  return link;
}

std::vector<std::string> link_names(const LinkDb& db) {
  std::vector<std::string> names;
  for (const auto& link : db.links) {
    names.push_back(link.id);
    names.insert(names.end(), link.aliases.begin(), link.aliases.end());
  }
  return names;
}

}  // namespace

LinkDb parse_links(std::string_view text, const std::string& display_name) {
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  LinkDb db;
  db.schema_version =
      top.small_integer("schema_version", detail::Check::positive, true).value_or(0);
  if (db.schema_version != 0 && db.schema_version != 1) {
    diagnostics.add(
        "/schema_version",
        fmt::format("unsupported schema_version {} (this llmroof reads 1)", db.schema_version));
  }
  db.description = top.optional_string("description").value_or("");
  top.each_element("links", true, {"links", true},
                   [&](const nlohmann::json& value, const std::string& pointer) {
                     db.links.push_back(read_link(value, pointer, diagnostics));
                   });
  top.finish();
  diagnostics.throw_if_any(text, display_name);
  throw_if_problems(check_link_db(db), display_name);
  return db;
}

std::vector<std::string> check_link_db(const LinkDb& db) {
  std::vector<std::string> problems;
  NameClaims names;
  auto claim = [&](const std::string& name, const std::string& owner) {
    if (auto other = names.claim(name, owner)) {
      problems.push_back(
          fmt::format("name '{}' of link '{}' is already used by '{}'", name, owner, *other));
    }
  };
  std::map<std::string, int> ids;
  for (const auto& link : db.links) {
    if (++ids[link.id] > 1) {
      problems.push_back(fmt::format("duplicate link id '{}'", link.id));
      continue;
    }
    claim(link.id, link.id);
    for (const auto& alias : link.aliases) {
      claim(alias, link.id);
    }
  }
  return problems;
}

const Link* find_link(const LinkDb& db, std::string_view name) {
  const std::string key = normalize_key(name);
  if (key.empty()) {
    return nullptr;
  }
  for (const auto& link : db.links) {
    if (normalize_key(link.id) == key) {
      return &link;
    }
  }
  for (const auto& link : db.links) {
    for (const auto& alias : link.aliases) {
      if (normalize_key(alias) == key) {
        return &link;
      }
    }
  }
  return nullptr;
}

const Link& require_link(const LinkDb& db, std::string_view name) {
  if (const Link* link = find_link(db, name)) {
    return *link;
  }
  const std::string hint = did_you_mean(closest_matches(name, link_names(db)));
  throw UsageError(fmt::format("unknown link '{}'{}{} (see links.json in the data directory)", name,
                               hint.empty() ? "" : "; ", hint));
}

}  // namespace llmroof
