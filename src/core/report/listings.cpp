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

// A data file's source text ("url ; url") as its list of sources; null when there is none.
Cell source_list(std::string_view text) {
  TextList list;
  while (!text.empty()) {
    const std::size_t semicolon = text.find(';');
    std::string_view part = text.substr(0, semicolon);
    while (!part.empty() && part.front() == ' ') {
      part.remove_prefix(1);
    }
    while (!part.empty() && part.back() == ' ') {
      part.remove_suffix(1);
    }
    if (!part.empty()) {
      list.items.emplace_back(part);
    }
    text = semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon + 1);
  }
  return list.items.empty() ? Cell{} : Cell{std::move(list)};
}

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
  report.essential_columns = {"mem_bw_bytes_per_s", "memory_bytes", "fp16_flops_per_s", "name"};
  report.columns = {
      col("id", "id", K::text, U::none, true),
      col("vendor", "vendor", K::text, U::none, true),
      col("name", "name", K::text, U::none, true),
      col("kind", "kind", K::text, U::none, true),
      col("segment", "segment", K::text, U::none, false),
      col("backend", "backend", K::text, U::none, false),
      col("memory_bytes", "memory", K::real, U::bytes_gib, true),
      col("memory_sizes_bytes", "memory sizes", K::real_list, U::bytes_gib, false),
      col("mem_bw_bytes_per_s", "bandwidth", K::real, U::bytes_per_s_gb, true),
      col("fp32_flops_per_s", "fp32", K::real, U::flops_tera, false),
      col("fp16_flops_per_s", "fp16", K::real, U::flops_tera, true),
      col("bf16_flops_per_s", "bf16", K::real, U::flops_tera, false),
      col("fp8_flops_per_s", "fp8", K::real, U::flops_tera, false),
      col("int8_ops_per_s", "int8", K::real, U::flops_tera, true),
      col("int4_ops_per_s", "int4", K::real, U::flops_tera, false),
      col("matrix_fp16_flops_per_s", "matrix fp16", K::real, U::flops_tera, false),
      col("architecture", "architecture", K::text, U::none, false),
      col("tdp_w", "TDP [W]", K::real, U::none, false, 0),
      col("launch_year", "year", K::integer, U::none, true),
      col("launch_price_usd", "price [USD]", K::real, U::none, false, 0),
      col("aliases", "aliases", K::text_list, U::none, false),
      col("source_memory", "memory source", K::text_list, U::none, false),
      col("source_compute", "compute source", K::text_list, U::none, false),
      col("source_power_price", "power/price source", K::text_list, U::none, false),
      col("origin", "file", K::text, U::none, false),
  };
  const Device* named_device = nullptr;
  const FamilyAlias* named_family = nullptr;
  if (!query.empty()) {
    if (const auto match = find_device(db, query)) {
      named_device = match->device;
      named_family = match->family;
    }
  }
  auto is_named = [named_device, named_family](const Device& d) {
    if (named_device == &d) {
      return true;
    }
    return named_family != nullptr &&
           std::find(named_family->covers.begin(), named_family->covers.end(), d.id) !=
               named_family->covers.end();
  };
  auto add_row = [&report](const Device& d) {
    report.rows.push_back({
        d.id,
        d.vendor,
        d.name,
        std::string(to_string(d.kind)),
        d.segment,
        d.backend,
        positive_or_null(d.max_memory_bytes()),
        RealList{d.memory_sizes_bytes},
        d.mem_bw_bytes_per_s,
        positive_or_null(d.peak(Precision::fp32)),
        positive_or_null(d.peak(Precision::fp16)),
        positive_or_null(d.peak(Precision::bf16)),
        positive_or_null(d.peak(Precision::fp8)),
        positive_or_null(d.peak(Precision::int8)),
        positive_or_null(d.peak(Precision::int4)),
        positive_or_null(d.matrix_fp16_flops_per_s),
        d.architecture.empty() ? Cell{} : Cell{d.architecture},
        positive_or_null(d.tdp_w),
        d.launch_year > 0 ? Cell{static_cast<std::int64_t>(d.launch_year)} : Cell{},
        d.launch_price_usd ? Cell{*d.launch_price_usd} : Cell{},
        TextList{d.aliases},
        source_list(d.sources.memory),
        source_list(d.sources.compute),
        source_list(d.sources.power_price),
        d.origin,
    });
  };
  for (const auto& d : db.devices) {
    const std::string aliases = fmt::format("{}", fmt::join(d.aliases, ";"));
    const std::string_view fields[] = {d.id,      d.name, d.vendor, to_string(d.kind),
                                       d.segment, aliases};
    // A memory configuration ("m4-pro-20c@24gb") is listed when a query finds it, never in
    // the whole list (its chip's row lists its sizes).
    const bool listed = (query.empty() && d.configuration_of.empty()) || is_named(d) ||
                        (!query.empty() &&
                         std::any_of(std::begin(fields), std::end(fields), [&](std::string_view f) {
                           return contains_tokens(f, query);
                         }));
    if (!listed) {
      continue;
    }
    add_row(d);
  }
  // A size of a chip that no configuration covers ("ryzen-9-7950x@64gb") is no row of the
  // table: it is listed when the query names it.
  if (named_device != nullptr &&
      std::none_of(db.devices.begin(), db.devices.end(),
                   [named_device](const Device& d) { return &d == named_device; })) {
    add_row(*named_device);
  }
  return report;
}

Report models_report(const ModelCatalog& catalog, std::string_view query) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "models";
  report.essential_columns = {"total_params", "active_params", "layers", "max_context"};
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
      col("aliases", "aliases", K::text_list, U::none, false),
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
        TextList{m.aliases},
        m.source,
    });
  }
  return report;
}

namespace {

// "file:12: /devices/0/x: message" -> line 12, field "/devices/0/x", message; parts it lacks
// stay empty (a problem of the whole file has no line or field).
struct Problem {
  std::optional<std::int64_t> line;
  std::string field;
  std::string message;
};
Problem split_problem(std::string_view text, std::string_view file) {
  Problem p;
  if (text.substr(0, file.size()) == file && text.size() > file.size() &&
      text[file.size()] == ':') {
    text.remove_prefix(file.size() + 1);
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      ++digits;
    }
    if (digits > 0 && digits <= 9 && digits < text.size() && text[digits] == ':') {
      p.line = std::stoll(std::string(text.substr(0, digits)));
      text.remove_prefix(digits + 1);
    }
    while (!text.empty() && text.front() == ' ') {
      text.remove_prefix(1);
    }
  }
  if (!text.empty() && text.front() == '/') {
    const std::size_t colon = text.find(": ");
    if (colon != std::string_view::npos) {
      p.field = std::string(text.substr(0, colon));
      text.remove_prefix(colon + 2);
    }
  }
  p.message = std::string(text);
  return p;
}

}  // namespace

Report check_data_report(const std::vector<DataFileCheck>& checks) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "check-data";
  report.columns = {
      col("file", "file", K::text, U::none, true),
      col("valid", "valid", K::boolean, U::none, true),
      col("entries", "entries", K::integer, U::none, true),
      col("line", "line", K::integer, U::none, true),
      col("field", "field", K::text, U::none, true),
      col("message", "problem", K::text, U::none, true),
  };
  report.essential_columns = {"valid", "message", "line", "field"};
  for (const auto& check : checks) {
    auto row = [&](bool valid) {
      std::vector<Cell> cells(report.columns.size());
      cells[0] = Cell{check.file};
      cells[1] = Cell{valid};
      if (check.entries) {
        cells[2] = Cell{static_cast<std::int64_t>(*check.entries)};
      }
      return cells;
    };
    if (check.problems.empty()) {
      report.rows.push_back(row(true));
    }
    for (const auto& text : check.problems) {
      const Problem p = split_problem(text, check.file);
      std::vector<Cell> cells = row(false);
      if (p.line) {
        cells[3] = Cell{*p.line};
      }
      if (!p.field.empty()) {
        cells[4] = Cell{p.field};
      }
      cells[5] = Cell{p.message};
      report.rows.push_back(std::move(cells));
    }
  }
  return report;
}

Report quants_report(const ModelSpec& reference, std::string_view query) {
  using K = CellKind;
  using U = HumanUnit;
  Report report;
  report.command = "quants";
  report.essential_columns = {"bits_per_weight", "weights_bytes", "description"};
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
