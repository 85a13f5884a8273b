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

/// normalize_key(text) == key, without building the normalized text (lookups over every id).
bool matches_key(std::string_view text, std::string_view key);

/// Words of a name as people type it: lowercase runs of letters and runs of digits, split
/// where letters meet digits; every other character separates ("RTX4090 Ti" -> rtx, 4090, ti;
/// "A100-SXM4" -> a, 100, sxm, 4).
std::vector<std::string> name_tokens(std::string_view text);

/// Whether the tokens of `query` occur as one run of whole tokens of `text`: "m4" is in
/// "Apple M4 Pro" but not in "A100 SXM4" or "H200 SXM 141GB". An empty query is in every text.
bool contains_tokens(std::string_view text, std::string_view query);

/// Device-name key that ignores the words people add or leave out: vendor and brand words
/// (nvidia, geforce, rtx, amd, radeon, instinct, apple, intel, tesla, raspberry, gpu, generation,
/// model), "pi" read as "rpi", and "laptop"/"mobile" read as one trailing "laptop". So
/// "NVIDIA GeForce RTX 4090 Laptop GPU", "4090 mobile" and "rtx-4090-laptop" share a key, and
/// "raspberry pi 4", "pi4" and "rpi-4" another.
std::string loose_device_key(std::string_view text);

/// Model-name key without what Hugging Face repo ids add to a model: the organisation
/// ("meta-llama/"), and trailing release words (-Instruct, -it, -chat, -hf, -base, -pt, -qat,
/// -GGUF, -AWQ, -GPTQ, -MLX, a quant such as -Q4_K_M, a date such as -2507), compared as a
/// normalize_key: "unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF" -> "qwen330ba3b".
std::string loose_model_key(std::string_view text);

/// Names of a database's entries, compared as normalized keys: claiming a name another entry
/// already owns is a collision (the same entry may claim a name twice).
class NameClaims {
 public:
  /// Claims `name` for `owner`; returns the other owner when the name is already taken.
  std::optional<std::string> claim(std::string_view name, const std::string& owner);
  /// Gives `name` up, whoever holds it.
  void release(std::string_view name);

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
