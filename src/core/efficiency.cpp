#include "llmroof/efficiency.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "json_reader.hpp"
#include "llmroof/lookup.hpp"

namespace llmroof {

EfficiencyTable parse_efficiency(std::string_view text, const std::string& display_name) {
  using detail::Check;
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  EfficiencyTable table;
  table.schema_version =
      static_cast<int>(top.integer("schema_version", Check::positive, true).value_or(0));
  table.description = top.string("description", true);
  if (const auto* classes = top.child("classes", true); classes != nullptr) {
    if (!classes->is_array()) {
      diagnostics.add("/classes", "expected an array");
    } else {
      for (std::size_t i = 0; i < classes->size(); ++i) {
        detail::ObjectReader r((*classes)[i], fmt::format("/classes/{}", i), diagnostics);
        EfficiencyClass c;
        c.id = r.string("id", true);
        c.description = r.string("description", true);
        c.decode_bw_efficiency =
            r.number("decode_bandwidth_efficiency", Check::positive, true).value_or(1);
        c.decode_per_token_s = r.number("decode_per_token_s", Check::non_negative, true).value_or(0);
        c.decode_per_layer_s = r.number("decode_per_layer_s", Check::non_negative, true).value_or(0);
        c.prefill_flops_efficiency =
            r.number("prefill_flops_efficiency", Check::positive, true).value_or(1);
        c.prefill_fixed_s = r.number("prefill_fixed_s", Check::non_negative, true).value_or(0);
        c.decode_log_spread = r.number("decode_log_spread", Check::non_negative, true).value_or(0);
        c.prefill_log_spread = r.number("prefill_log_spread", Check::non_negative, true).value_or(0);
        c.fitted_rows =
            static_cast<int>(r.integer("fitted_rows", Check::non_negative, true).value_or(0));
        c.basis = r.string("basis", true);
        r.finish();
        table.classes.push_back(std::move(c));
      }
    }
  }
  top.finish();
  diagnostics.throw_if_any(text, display_name);
  return table;
}

std::string efficiency_class_id(const Device& device, std::string_view backend) {
  const std::string chosen = backend.empty() ? device.backend : normalize_key(backend);
  const std::string vendor = normalize_key(device.vendor);
  if (chosen == "cpu" || device.kind == DeviceKind::cpu) {
    std::string isa = device.kind == DeviceKind::cpu ? device.cpu_isa
                      : device.cpu                   ? device.cpu->isa
                                                     : std::string();
    if (isa.rfind("x86", 0) == 0) {
      return "cpu-x86";
    }
    if (isa.rfind("arm64", 0) == 0 || device.kind == DeviceKind::apple_soc) {
      return "cpu-arm";
    }
    return "cpu-other";
  }
  if (device.kind == DeviceKind::apple_soc) {
    return "apple-gpu";
  }
  if (vendor == "nvidia") {
    return "nvidia-gpu";
  }
  if (vendor == "amd") {
    return "amd-gpu";
  }
  if (vendor == "intel") {
    return "intel-gpu";
  }
  return "other-gpu";
}

const EfficiencyClass* find_efficiency_class(const EfficiencyTable& table, std::string_view id) {
  const EfficiencyClass* fallback = nullptr;
  for (const auto& c : table.classes) {
    if (c.id == id) {
      return &c;
    }
    if (c.id == "default") {
      fallback = &c;
    }
  }
  return fallback;
}

double realistic_decode_seconds(const EfficiencyClass& cls, const DecodeStep& step, int layers,
                                const Roofs& roofs) {
  const double memory = step.bytes / (cls.decode_bw_efficiency * roofs.mem_bw_bytes_per_s);
  const double compute = step.flops / (cls.prefill_flops_efficiency * roofs.peak_flops_per_s);
  return std::max(memory, compute) + layers * cls.decode_per_layer_s + cls.decode_per_token_s;
}

double realistic_prefill_seconds(const EfficiencyClass& cls, const PrefillResult& prefill,
                                 const Roofs& roofs) {
  const double compute = prefill.flops / (cls.prefill_flops_efficiency * roofs.peak_flops_per_s);
  const double memory = prefill.bytes / (cls.decode_bw_efficiency * roofs.mem_bw_bytes_per_s);
  return std::max(compute, memory) + cls.prefill_fixed_s;
}

}  // namespace llmroof
