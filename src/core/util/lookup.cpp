#include "llmroof/util/lookup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace llmroof {

std::string normalize_key(std::string_view text) {
  std::string key;
  key.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '.' || c == '_' || c == '/' || c == ':' || c == '\t') {
      continue;
    }
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return key;
}

std::optional<std::string> NameClaims::claim(std::string_view name, const std::string& owner) {
  const auto [it, inserted] = m_owners.emplace(normalize_key(name), owner);
  if (!inserted && it->second != owner) {
    return it->second;
  }
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> closest_matches(std::string_view query,
                                         const std::vector<std::string>& candidates,
                                         std::size_t max_count) {
  const std::string key = normalize_key(query);
  struct Scored {
    std::size_t score;
    std::string name;
  };
  std::vector<Scored> scored;
  const std::size_t threshold = std::max<std::size_t>(2, key.size() / 2);
  for (const auto& candidate : candidates) {
    const std::string other = normalize_key(candidate);
    std::size_t score = edit_distance(key, other);
    // A query that is a prefix or part of a candidate ("4090" in "rtx4090") is a strong hint.
    if (!key.empty() && other.find(key) != std::string::npos) {
      score = std::min(score, other.size() - key.size() > 0 ? std::size_t{1} : std::size_t{0});
    }
    if (score <= threshold) {
      scored.push_back({score, candidate});
    }
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& x, const Scored& y) { return x.score < y.score; });
  std::vector<std::string> result;
  for (const auto& s : scored) {
    if (std::find(result.begin(), result.end(), s.name) == result.end()) {
      result.push_back(s.name);
    }
    if (result.size() == max_count) {
      break;
    }
  }
  return result;
}

std::string did_you_mean(const std::vector<std::string>& suggestions) {
  if (suggestions.empty()) {
    return {};
  }
  std::string text = "did you mean ";
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    if (i > 0) {
      text += (i + 1 == suggestions.size()) ? " or " : ", ";
    }
    text += fmt::format("'{}'", suggestions[i]);
  }
  text += "?";
  return text;
}

}  // namespace llmroof
