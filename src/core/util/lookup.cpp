#include "llmroof/util/lookup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
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

bool matches_key(std::string_view text, std::string_view key) {
  std::size_t k = 0;
  for (const char c : text) {
    if (c == ' ' || c == '-' || c == '.' || c == '_' || c == '/' || c == ':' || c == '\t') {
      continue;
    }
    if (k == key.size() ||
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))) != key[k]) {
      return false;
    }
    ++k;
  }
  return k == key.size();
}

std::vector<std::string> name_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::string token;
  bool digits = false;
  for (char raw : text) {
    const auto c = static_cast<unsigned char>(raw);
    const bool is_digit = std::isdigit(c) != 0;
    const bool is_alpha = std::isalpha(c) != 0;
    if ((!is_digit && !is_alpha) || (!token.empty() && is_digit != digits)) {
      if (!token.empty()) {
        tokens.push_back(std::move(token));
        token.clear();
      }
    }
    if (is_digit || is_alpha) {
      token.push_back(static_cast<char>(std::tolower(c)));
      digits = is_digit;
    }
  }
  if (!token.empty()) {
    tokens.push_back(std::move(token));
  }
  return tokens;
}

bool contains_tokens(std::string_view text, std::string_view query) {
  const auto needle = name_tokens(query);
  if (needle.empty()) {
    return true;
  }
  const auto haystack = name_tokens(text);
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

std::string loose_device_key(std::string_view text) {
  // Words that name a vendor, a brand or the obvious; none tells two devices apart.
  static constexpr std::array<std::string_view, 13> k_ignored = {
      "nvidia", "geforce", "rtx",       "amd", "radeon",     "instinct", "apple",
      "intel",  "tesla",   "raspberry", "gpu", "generation", "model"};
  std::string key;
  bool laptop = false;
  for (const auto& token : name_tokens(text)) {
    if (std::find(k_ignored.begin(), k_ignored.end(), token) != k_ignored.end()) {
      continue;
    }
    if (token == "laptop" || token == "mobile") {
      laptop = true;
    } else if (token == "pi") {
      key += "rpi";
    } else {
      key += token;
    }
  }
  if (laptop) {
    key += "laptop";
  }
  return key;
}

namespace {

// A trailing part of a repo id that names a release, a packaging or a quant, not the model.
bool is_release_word(std::string_view part) {
  static constexpr std::array<std::string_view, 20> k_words = {
      "instruct", "it", "chat", "hf",   "base", "pt",   "qat",  "gguf", "awq",  "gptq",
      "mlx",      "ud", "fp16", "bf16", "fp8",  "int4", "int8", "4bit", "8bit", "latest"};
  if (std::find(k_words.begin(), k_words.end(), part) != k_words.end()) {
    return true;
  }
  const bool all_digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (all_digits && (part.size() == 4 || part.size() == 6 || part.size() == 8)) {
    return true;  // a date: 2507, 0528, 20240715
  }
  // A GGUF quant: q4_k_m, iq2_xxs, q8_0.
  std::size_t digit = 0;
  if (part.size() > 1 && part[0] == 'q') {
    digit = 1;
  } else if (part.size() > 2 && part.substr(0, 2) == "iq") {
    digit = 2;
  }
  return digit > 0 && std::isdigit(static_cast<unsigned char>(part[digit])) != 0;
}

}  // namespace

std::string loose_model_key(std::string_view text) {
  if (const auto slash = text.rfind('/'); slash != std::string_view::npos) {
    text.remove_prefix(slash + 1);
  }
  std::vector<std::string> parts;
  std::string part;
  for (char c : text) {
    if (c == '-' || c == ' ') {
      if (!part.empty()) {
        parts.push_back(std::move(part));
        part.clear();
      }
    } else {
      part.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (!part.empty()) {
    parts.push_back(std::move(part));
  }
  while (parts.size() > 1 && is_release_word(parts.back())) {
    parts.pop_back();
  }
  std::string joined;
  for (const auto& p : parts) {
    joined += p;
  }
  return normalize_key(joined);
}

std::optional<std::string> NameClaims::claim(std::string_view name, const std::string& owner) {
  const auto [it, inserted] = m_owners.emplace(normalize_key(name), owner);
  if (!inserted && it->second != owner) {
    return it->second;
  }
  return std::nullopt;
}

void NameClaims::release(std::string_view name) { m_owners.erase(normalize_key(name)); }

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
