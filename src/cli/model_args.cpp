#include "model_args.hpp"

#include <fmt/format.h>

#include "llmroof/platform/model_source.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"

namespace llmroof::cli {

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

std::vector<std::string> model_names(const ModelCatalog& catalog) {
  std::vector<std::string> names;
  for (const auto& m : catalog.models) {
    names.push_back(m.id);
    for (const auto& a : m.aliases) {
      names.push_back(a);
    }
  }
  return names;
}

}  // namespace

Quant require_quant(const std::string& name) {
  if (auto quant = find_quant(name)) {
    return *quant;
  }
  std::vector<std::string> ids;
  for (const auto& q : all_quants()) {
    ids.push_back(q.id);
  }
  const std::string hint = did_you_mean(closest_matches(name, ids));
  throw UsageError(fmt::format("unknown quant '{}'{}{} (list them with 'llmroof quants')", name,
                               hint.empty() ? "" : "; ", hint));
}

ModelChoice resolve_model(Context& context, const std::string& model_arg,
                          const std::optional<std::string>& quant_arg) {
  ModelChoice choice;
  ModelSpec spec;
  std::string default_quant;
  if (auto file = load_model_file(model_arg)) {
    spec = file->spec;
    if (file->from_gguf && !quant_arg) {
      // The file's own tensor types give the exact bytes.
      choice.input.spec = spec;
      choice.input.weights = summarize_weights(file->tensors, spec);
      const auto preset = find_preset_by_ftype(file->file_type);
      choice.input.quant_id = preset ? "file:" + preset->id : std::string("file");
      choice.input.compute = Precision::fp16;
      choice.notes.push_back(
          fmt::format("weights as stored in the file: {:.4g} bits per weight over {} tensors",
                      choice.input.weights.bits_per_weight(), file->tensors.size()));
      for (const auto& field : spec.assumed_fields) {
        choice.warnings.push_back(fmt::format("{}: assumed {}", model_arg, field));
      }
      return choice;
    }
    default_quant = quant_for_dtype(spec.torch_dtype);
    if (!quant_arg) {
      choice.notes.push_back(
          fmt::format("no --quant given: using {} from the config's torch_dtype "
                      "'{}'",
                      default_quant, spec.torch_dtype.empty() ? "(absent)" : spec.torch_dtype));
    }
    for (const auto& field : spec.assumed_fields) {
      choice.warnings.push_back(fmt::format("{}: assumed {}", model_arg, field));
    }
  } else if (const ModelSpec* found = find_model(context.models(), model_arg)) {
    spec = *found;
    default_quant = quant_for_dtype(spec.torch_dtype);
    if (!quant_arg) {
      choice.notes.push_back(
          fmt::format("no --quant given: using {} (the dtype {} was published in)", default_quant,
                      spec.torch_dtype.empty() ? "it" : spec.torch_dtype));
    }
  } else if (auto params = parse_size(model_arg)) {
    spec = generic_model(*params, model_arg);
    default_quant = "fp16";
    choice.notes.push_back(fmt::format(
        "'{}' is a generic dense model: {} layers, hidden {}, {} heads (P ~= 12 * layers * "
        "hidden^2); give a catalog id or a model file for a real architecture",
        model_arg, spec.layers, spec.hidden, spec.heads));
    if (!quant_arg) {
      choice.notes.emplace_back("no --quant given: using fp16");
    }
  } else {
    const std::string hint =
        did_you_mean(closest_matches(model_arg, model_names(context.models())));
    throw UsageError(fmt::format(
        "unknown model '{}'{}{} (give a catalog id from 'llmroof models', a size such as 70b, or "
        "a path to a config.json or .gguf file)",
        model_arg, hint.empty() ? "" : "; ", hint));
  }
  const Quant quant = require_quant(quant_arg.value_or(default_quant));
  choice.input.spec = spec;
  choice.input.weights = model_weights(spec, quant);
  choice.input.quant_id = quant.id;
  choice.input.compute = quant.compute;
  return choice;
}

}  // namespace llmroof::cli
