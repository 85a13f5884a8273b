#include "llmroof/report/listings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "llmroof/model/quant.hpp"
#include "llmroof/model/weights.hpp"
#include "llmroof/util/lookup.hpp"

namespace llmroof {

namespace {

Column col(std::string id, std::string title, CellKind kind, HumanUnit unit, bool human,
           int precision = 2) {
  return Column{std::move(id), std::move(title), kind, unit, precision, human};
}

Cell positive_or_null(double v) { return v > 0 ? Cell{v} : Cell{}; }

}  // namespace

bool matches_query(std::string_view query, std::initializer_list<std::string_view> fields) {
  const std::string key = normalize_key(query);
  if (key.empty()) {
    return true;
  }
  for (auto field : fields) {
    if (normalize_key(field).find(key) != std::string::npos) {
      return true;
    }
  }
  return false;
}

Report devices_report(const DeviceDb& db, std::string_view query) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "devices";
  report.columns = {
      col("id", "id", K::text, U::none, true),
      col("vendor", "vendor", K::text, U::none, true),
      col("name", "name", K::text, U::none, true),
      col("kind", "kind", K::text, U::none, true),
      col("segment", "segment", K::text, U::none, false),
      col("backend", "backend", K::text, U::none, false),
      col("memory_bytes", "memory", K::real, U::bytes_gib, true),
      col("memory_sizes_bytes", "memory sizes", K::text, U::none, false),
      col("mem_bw_bytes_per_s", "bandwidth", K::real, U::bytes_per_s_gb, true),
      col("fp32_flops_per_s", "fp32", K::real, U::flops_tera, false),
      col("fp16_flops_per_s", "fp16", K::real, U::flops_tera, true),
      col("bf16_flops_per_s", "bf16", K::real, U::flops_tera, false),
      col("fp8_flops_per_s", "fp8", K::real, U::flops_tera, false),
      col("int8_ops_per_s", "int8", K::real, U::flops_tera, true),
      col("int4_ops_per_s", "int4", K::real, U::flops_tera, false),
      col("tdp_w", "TDP [W]", K::real, U::none, false, 0),
      col("launch_year", "year", K::integer, U::none, true),
      col("launch_price_usd", "price [USD]", K::real, U::none, false, 0),
      col("aliases", "aliases", K::text, U::none, false),
      col("source_memory", "memory source", K::text, U::none, false),
      col("source_compute", "compute source", K::text, U::none, false),
      col("source_power_price", "power/price source", K::text, U::none, false),
      col("origin", "file", K::text, U::none, false),
  };
  const auto named = query.empty() ? std::nullopt : find_device(db, query);
  auto is_named = [&named](const Device& d) {
    if (!named) {
      return false;
    }
    if (named->device == &d) {
      return true;
    }
    return named->family != nullptr &&
           std::find(named->family->covers.begin(), named->family->covers.end(), d.id) !=
               named->family->covers.end();
  };
  for (const auto& d : db.devices) {
    std::string aliases = fmt::format("{}", fmt::join(d.aliases, ";"));
    const std::string_view fields[] = {d.id,      d.name, d.vendor, to_string(d.kind),
                                       d.segment, aliases};
    const bool listed = query.empty() || is_named(d) ||
                        std::any_of(std::begin(fields), std::end(fields),
                                    [&](std::string_view f) { return contains_tokens(f, query); });
    if (!listed) {
      continue;
    }
    std::vector<std::string> sizes;
    for (double s : d.memory_sizes_bytes) {
      sizes.push_back(fmt::format("{:.0f}", s));
    }
    report.rows.push_back({
        d.id,
        d.vendor,
        d.name,
        std::string(to_string(d.kind)),
        d.segment,
        d.backend,
        positive_or_null(d.max_memory_bytes()),
        fmt::format("{}", fmt::join(sizes, ";")),
        d.mem_bw_bytes_per_s,
        positive_or_null(d.peak(Precision::fp32)),
        positive_or_null(d.peak(Precision::fp16)),
        positive_or_null(d.peak(Precision::bf16)),
        positive_or_null(d.peak(Precision::fp8)),
        positive_or_null(d.peak(Precision::int8)),
        positive_or_null(d.peak(Precision::int4)),
        positive_or_null(d.tdp_w),
        d.launch_year > 0 ? Cell{static_cast<std::int64_t>(d.launch_year)} : Cell{},
        d.launch_price_usd ? Cell{*d.launch_price_usd} : Cell{},
        aliases,
        d.sources.memory,
        d.sources.compute,
        d.sources.power_price,
        d.origin,
    });
  }
  return report;
}

Report models_report(const ModelCatalog& catalog, std::string_view query) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "models";
  report.columns = {
      col("id", "id", K::text, U::none, true),
      col("name", "name", K::text, U::none, false),
      col("architecture", "arch", K::text, U::none, true),
      col("total_params", "params", K::real, U::count_billions, true),
      col("active_params", "active", K::real, U::count_billions, true),
      col("layers", "layers", K::integer, U::none, true),
      col("hidden_size", "hidden", K::integer, U::none, true),
      col("attention_heads", "heads", K::integer, U::none, false),
      col("kv_heads", "kv heads", K::integer, U::none, true),
      col("head_dim", "head dim", K::integer, U::none, false),
      col("attention_kind", "attention", K::text, U::none, true),
      col("experts", "experts", K::text, U::none, true),
      col("max_context", "context", K::integer, U::none, true),
      col("kv_cache_bytes_per_token", "KV/token", K::real, U::bytes_kib, true),
      col("aliases", "aliases", K::text, U::none, false),
      col("source", "source", K::text, U::none, false),
  };
  for (const auto& m : catalog.models) {
    const std::string aliases = fmt::format("{}", fmt::join(m.aliases, ";"));
    if (!matches_query(query, {m.id, m.name, to_string(m.architecture), aliases})) {
      continue;
    }
    report.rows.push_back({
        m.id,
        m.name,
        std::string(to_string(m.architecture)),
        m.total_params,
        m.active_params,
        static_cast<std::int64_t>(m.layers),
        static_cast<std::int64_t>(m.hidden),
        static_cast<std::int64_t>(m.heads),
        static_cast<std::int64_t>(m.kv_heads),
        static_cast<std::int64_t>(m.head_dim),
        std::string(to_string(m.attention)),
        m.moe
            ? Cell{fmt::format("{}/{}{}", m.moe->experts_used, m.moe->experts,
                               m.moe->shared_experts > 0 ? fmt::format("+{}", m.moe->shared_experts)
                                                         : std::string())}
            : Cell{},
        static_cast<std::int64_t>(m.max_context),
        kv_cache_bytes(m, 1.0, 2.0),
        aliases,
        m.source,
    });
  }
  return report;
}

Report quants_report(const ModelSpec& reference, std::string_view query) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "quants";
  report.columns = {
      col("id", "id", K::text, U::none, true),
      col("kind", "kind", K::text, U::none, true),
      col("bits_per_weight", fmt::format("bits/weight ({})", reference.id), K::real, U::none, true,
          4),
      col("weights_bytes", fmt::format("{} size", reference.id), K::real, U::bytes_gib, true),
      col("ggml_type", "ggml type", K::text, U::none, false),
      col("llama_ftype", "ftype", K::integer, U::none, false),
      col("compute_precision", "math", K::text, U::none, true),
      col("description", "description", K::text, U::none, true),
  };
  report.fields.push_back({"reference_model", "sizes for", Cell{reference.id}, U::none});
  for (const auto& q : all_quants()) {
    if (!matches_query(query, {q.id, q.description})) {
      continue;
    }
    std::string_view kind = q.kind == QuantKind::nominal     ? "nominal"
                            : q.kind == QuantKind::preset    ? "preset"
                            : q.kind == QuantKind::published ? "published"
                                                             : "type";
    const auto* type = find_ggml_type(q.type);
    const Weights w = model_weights(reference, q);
    report.rows.push_back({
        q.id,
        std::string(kind),
        w.bits_per_weight(),
        w.total_bytes,
        type != nullptr ? Cell{std::string(type->name)} : Cell{},
        q.ftype >= 0 ? Cell{static_cast<std::int64_t>(q.ftype)} : Cell{},
        std::string(to_string(q.compute)),
        q.description,
    });
  }
  report.notes.emplace_back(
      "nominal formats are the source articles' flat bytes per weight; presets mix GGML types "
      "per tensor as llama-quantize does, so their size depends on the model ({model})");
  return report;
}

}  // namespace llmroof
