#include "llmroof/engine/engine_model.hpp"

#include <fmt/format.h>

#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"

namespace llmroof {

bool is_cpu_backend(std::string_view backend) { return normalize_key(backend) == "cpu"; }

bool runs_on_host_cpu(const Device& device, std::string_view backend) {
  return is_cpu_backend(backend) && device.kind != DeviceKind::cpu;
}

double EngineModel::decode_seconds(const DecodeStep& step) const {
  return realistic_decode_seconds(*cls, step, run);
}

double EngineModel::prefill_seconds(const PrefillResult& prefill) const {
  return realistic_prefill_seconds(*cls, prefill, run);
}

DecodeBreakdown EngineModel::decode_breakdown(const DecodeStep& step) const {
  return realistic_decode_breakdown(*cls, step, run);
}

PrefillBreakdown EngineModel::prefill_breakdown(const PrefillResult& prefill) const {
  return realistic_prefill_breakdown(*cls, prefill, run);
}

EngineModel engine_model(const EfficiencyTable& table, const Device& device,
                         std::string_view backend, const ModelSpec& model, const Weights& weights,
                         const Roofs& roofs, Precision precision, double prompt_tokens,
                         int engine_build) {
  EngineModel m;
  m.host_cpu = runs_on_host_cpu(device, backend);
  const std::string class_id = efficiency_class_id(device, m.host_cpu ? "cpu" : backend);
  m.cls = find_efficiency_class(table, class_id);
  if (m.cls == nullptr) {
    throw Error(fmt::format("efficiency table has no class '{}' and no 'default' class", class_id));
  }
  const EngineEra* era =
      m.host_cpu
          ? nullptr
          : engine_era(table,
                       normalize_key(backend.empty() ? std::string_view(device.backend) : backend),
                       engine_build);
  m.run = engine_run(table, *m.cls, device, m.host_cpu, model, weights, roofs, precision,
                     prompt_tokens, era);
  return m;
}

}  // namespace llmroof
