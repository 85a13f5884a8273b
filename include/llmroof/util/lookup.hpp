#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// Lookup key of a user-typed id: lowercase, with spaces, '-', '.', '_', '/' and ':' removed,
/// so "M4 Pro", "m4-pro" and "m4pro" are one key.
std::string normalize_key(std::string_view text);

/// Names of a database's entries, compared as normalized keys: claiming a name another entry
/// already owns is a collision (the same entry may claim a name twice).
class NameClaims {
 public:
  /// Claims `name` for `owner`; returns the other owner when the name is already taken.
  std::optional<std::string> claim(std::string_view name, const std::string& owner);

 private:
  std::map<std::string, std::string> m_owners;  // normalized key -> owner
};

/// Levenshtein distance between two strings (bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// Up to `max_count` candidates closest to `query` (compared as normalized keys), best first;
/// candidates farther than a length-dependent threshold are left out.
std::vector<std::string> closest_matches(std::string_view query,
                                         const std::vector<std::string>& candidates,
                                         std::size_t max_count = 3);

/// "did you mean 'a', 'b' or 'c'?" for a non-empty list, else "".
std::string did_you_mean(const std::vector<std::string>& suggestions);

}  // namespace llmroof
