#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/model/model_files.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// What a user gave as the model: the text (a catalog id or alias, a size such as "70b", or a
/// file's name), and, when the text names files, their bytes (the front end opens them).
struct ModelArgument {
  std::string text;
  std::vector<ModelFile> files;  ///< empty unless `text` names model files
};

/// A model and weight format resolved to an architecture and its weights, with what was assumed.
struct ModelChoice {
  ModelInput input;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
};

/// Resolves a model (its files when given, else a shorthand size such as "70b", which never
/// parses the catalog, else a catalog id or alias)
/// and a quant (default: a GGUF's own types, else the published dtype, else fp16). Throws
/// RequestError on `model_field` / `quant_field` with suggestions for unknown names, and the
/// readers' errors for bad files.
ModelChoice resolve_model(const Database& db, const ModelArgument& model,
                          const std::optional<std::string>& quant,
                          std::string_view model_field = "model",
                          std::string_view quant_field = "quant");

/// Looks up a quant name (lookup_quant: ids and the names people type); a name that is no id
/// adds how it was read to `notes` (when given). Throws RequestError on `field` with
/// suggestions (weight formats only) when unknown.
Quant require_quant(const std::string& name, std::string_view field = "quant",
                    std::vector<std::string>* notes = nullptr);

}  // namespace llmroof
