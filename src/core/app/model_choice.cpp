#include "llmroof/app/model_choice.hpp"

#include <fmt/format.h>

#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"

namespace llmroof {

namespace {

std::string quant_for_dtype(const std::string& dtype) {
  if (dtype == "bfloat16") {
    return "bf16";
  }
  if (dtype == "float32") {
    return "fp32";
  }
  return "fp16";
}

std::string with_hint(const std::string& message, const std::vector<std::string>& suggestions,
                      std::string_view tail) {
  const std::string hint = did_you_mean(suggestions);
  return fmt::format("{}{}{} {}", message, hint.empty() ? "" : "; ", hint, tail);
}

}  // namespace

Quant require_quant(const std::string& name, std::string_view field,
                    std::vector<std::string>* notes) {
  if (auto found = lookup_quant(name); found.quant) {
    if (notes != nullptr && !found.note.empty()) {
      notes->push_back(found.note);
    }
    return *found.quant;
  }
  auto suggestions = closest_matches(name, suggestable_quant_ids());
  std::string message = with_hint(fmt::format("unknown quant '{}'", name), suggestions,
                                  "(list them with 'llmroof quants')");
  throw RequestError(std::string(field), std::move(message), std::move(suggestions));
}

ModelChoice resolve_model(const Database& db, const ModelArgument& model,
                          const std::optional<std::string>& quant_arg, std::string_view model_field,
                          std::string_view quant_field) {
  const std::string& model_arg = model.text;
  ModelChoice choice;
  ModelSpec spec;
  std::string default_quant;
  std::string origin = "published dtype";  // of default_quant
  if (!model.files.empty()) {
    const LoadedModel file = read_model_files(model.files);
    spec = file.spec;
    if (file.from_gguf && !quant_arg) {
      // The file's own tensor types give the exact bytes.
      choice.input.spec = spec;
      choice.input.weights = summarize_weights(file.tensors, spec);
      const auto preset = find_preset_by_ftype(file.file_type);
      choice.input.quant_id = preset ? "file:" + preset->id : std::string("file");
      choice.input.quant_origin = "file";
      choice.input.compute = Precision::fp16;
      choice.notes.push_back(
          fmt::format("weights as stored in the file: {:.4g} bits per weight over {} tensors",
                      choice.input.weights.bits_per_weight(), file.tensors.size()));
      for (const auto& field : spec.assumed_fields) {
        choice.warnings.push_back(fmt::format("{}: assumed {}", model_arg, field));
      }
      return choice;
    }
    default_quant = quant_for_dtype(spec.torch_dtype);
    if (!spec.published_quant.empty()) {
      default_quant = spec.published_quant;
      origin = "published quantization";
      if (!quant_arg) {
        choice.notes.push_back(
            fmt::format("no {{{}}} given: using {}, the config's quantization_config", quant_field,
                        default_quant));
      }
    } else if (!quant_arg) {
      choice.notes.push_back(fmt::format(
          "no {{{}}} given: using {} from the config's torch_dtype "
          "'{}'",
          quant_field, default_quant, spec.torch_dtype.empty() ? "(absent)" : spec.torch_dtype));
    }
    for (const auto& field : spec.assumed_fields) {
      choice.warnings.push_back(fmt::format("{}: assumed {}", model_arg, field));
    }
  } else if (auto params = parse_size(model_arg)) {
    // Before the catalog, so that a size never parses it (no catalog name is shaped like one).
    spec = generic_model(*params, model_arg);
    default_quant = "fp16";
    origin = "default";
    choice.notes.push_back(fmt::format(
        "'{}' is a generic dense model: {} layers, hidden {}, {} heads (P ~= 12 * layers * "
        "hidden^2); give a catalog id or a model file for a real architecture",
        model_arg, spec.layers, spec.hidden, spec.heads));
    if (!quant_arg) {
      choice.notes.push_back(fmt::format("no {{{}}} given: using fp16", quant_field));
    }
  } else if (const auto tag = find_ollama_tag(db.models(), model_arg);
             tag && find_model(db.models(), tag->entry->model) != nullptr) {
    // An Ollama tag means what Ollama ships: its default quant unless the tag names one.
    spec = *find_model(db.models(), tag->entry->model);
    default_quant = tag->tag_quant.empty() ? tag->entry->quant : tag->tag_quant;
    origin = "tag";
    choice.notes.push_back(fmt::format(
        "'{}' read as the Ollama tag {}: catalog model {}, {} ({}){}", model_arg, tag->entry->tag,
        spec.id, default_quant,
        tag->tag_quant.empty() ? "Ollama's default quant for it" : "the quant the tag names",
        quant_arg ? fmt::format("; {{{}}} overrides it", quant_field) : std::string()));
  } else if (const ModelLookup found = lookup_model(db.models(), model_arg); found.model) {
    spec = *found.model;
    if (!found.note.empty()) {
      choice.notes.push_back(found.note);
    }
    default_quant = quant_for_dtype(spec.torch_dtype);
    if (!spec.published_quant.empty()) {
      default_quant = spec.published_quant;
      origin = "published quantization";
      if (!quant_arg) {
        choice.notes.push_back(
            fmt::format("no {{{}}} given: using {} (the format {} was published in)", quant_field,
                        default_quant, spec.id));
      }
    } else if (!quant_arg) {
      choice.notes.push_back(
          fmt::format("no {{{}}} given: using {} (the dtype {} was published in)", quant_field,
                      default_quant, spec.torch_dtype.empty() ? "it" : spec.torch_dtype));
    }
  } else {
    auto suggestions = closest_model_ids(db.models(), model_arg);
    std::string message =
        with_hint(fmt::format("unknown model '{}'", model_arg), suggestions,
                  "(give a catalog id from 'llmroof models', a size such as 70b, or a path to a "
                  "config.json or .gguf file)");
    throw RequestError(std::string(model_field), std::move(message), std::move(suggestions));
  }
  const Quant quant = require_quant(quant_arg.value_or(default_quant), quant_field, &choice.notes);
  choice.input.spec = spec;
  choice.input.weights = model_weights(spec, quant);
  choice.input.quant_id = quant.id;
  choice.input.quant_origin = quant_arg ? "flag" : origin;
  choice.input.compute = quant.compute;
  return choice;
}

}  // namespace llmroof
