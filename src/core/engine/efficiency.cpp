#include "llmroof/engine/efficiency.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "data/json_reader.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/hardware/threads.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/util/lookup.hpp"

namespace llmroof {

namespace {

// The largest vector_batch_max a class may set (EngineRun::reread_share has one entry per batch).
constexpr int k_max_vector_batch = 64;

constexpr std::array<std::string_view, 6> k_basis_names = {
    "int8_equivalent", "fp16", "fp32", "kernel_path", "dot_product", "matrix_fp16"};

// 4 significant digits: fitted figures carry no more precision than that.
double round4(double v) {
  if (v == 0 || !std::isfinite(v)) {
    return v;
  }
  const double scale = std::pow(10.0, 3 - std::floor(std::log10(std::fabs(v))));
  return std::round(v * scale) / scale;
}

// Each of `types` must be a ggml type name; a problem at the reader's "types" otherwise.
void check_ggml_types(detail::ObjectReader& r, const std::vector<std::string>& types) {
  for (const auto& type : types) {
    if (find_ggml_type(type) == nullptr) {
      r.diagnostics().add(r.child_pointer("types"), fmt::format("unknown ggml type '{}'", type));
    }
  }
}

EfficiencyClass read_class(detail::ObjectReader& r) {
  using detail::Check;
  EfficiencyClass c;
  c.id = r.string("id", true);
  c.description = r.string("description", true);
  std::vector<std::string> bases(k_basis_names.begin(), k_basis_names.end());
  c.prefill_peak = parse_peak_basis(r.one_of("prefill_peak", bases, true).value_or("fp16"))
                       .value_or(PeakBasis::fp16);
  c.decode_peak = parse_peak_basis(r.one_of("decode_peak", bases, true).value_or("fp32"))
                      .value_or(PeakBasis::fp32);
  c.decode_bw_efficiency =
      r.number("decode_bandwidth_efficiency", Check::positive, true).value_or(1);
  c.decode_per_layer_s = r.number("decode_per_layer_s", Check::non_negative, true).value_or(0);
  c.decode_flops_efficiency =
      r.number("decode_flops_efficiency", Check::positive, true).value_or(1);
  c.prefill_flops_efficiency =
      r.number("prefill_flops_efficiency", Check::positive, true).value_or(1);
  c.prefill_core_ops_per_flop =
      r.number("prefill_core_ops_per_flop", Check::non_negative, false).value_or(0);
  c.matmul_half_rows = r.number("matmul_half_rows", Check::non_negative, false).value_or(0);
  c.vector_batch_max = r.small_integer("vector_batch_max", Check::non_negative, false).value_or(0);
  if (c.vector_batch_max > k_max_vector_batch) {
    r.diagnostics().add(
        r.child_pointer("vector_batch_max"),
        fmt::format("at most {} sequences, got {}", k_max_vector_batch, c.vector_batch_max));
  }
  r.each_object("batch_kernels", false, [&](detail::ObjectReader& k) {
    BatchKernel b;
    b.types = k.string_array("types", true);
    check_ggml_types(k, b.types);
    b.from_batch = k.small_integer("from_batch", Check::positive, true).value_or(2);
    if (b.from_batch < 2) {
      k.diagnostics().add(
          k.child_pointer("from_batch"),
          fmt::format("a batch kernel starts at 2 sequences or more, got {}", b.from_batch));
    }
    k.finish();
    c.batch_kernels.push_back(std::move(b));
  });
  c.batch_source = r.optional_string("batch_source").value_or("");
  if ((c.vector_batch_max > 0 || !c.batch_kernels.empty()) && c.batch_source.empty()) {
    r.diagnostics().add(r.child_pointer("batch_source"),
                        "vector_batch_max and batch_kernels need a batch_source");
  }
  c.decode_log_spread = r.number("decode_log_spread", Check::non_negative, true).value_or(0);
  c.prefill_log_spread = r.number("prefill_log_spread", Check::non_negative, true).value_or(0);
  c.decode_rows = r.small_integer("decode_rows", Check::non_negative, true).value_or(0);
  c.prefill_rows = r.small_integer("prefill_rows", Check::non_negative, true).value_or(0);
  c.devices = r.small_integer("devices", Check::non_negative, true).value_or(0);
  c.basis = r.string("basis", true);
  c.device = r.optional_string("device").value_or("");
  c.backend = r.optional_string("backend").value_or("");
  for (const auto& [name, value] :
       {std::pair{"decode_bandwidth_efficiency", c.decode_bw_efficiency},
        std::pair{"decode_flops_efficiency", c.decode_flops_efficiency},
        std::pair{"prefill_flops_efficiency", c.prefill_flops_efficiency}}) {
    if (value > 1.0) {
      r.diagnostics().add(r.child_pointer(name),
                          fmt::format("an efficiency above 1 is not physical, got {}", value));
    }
  }
  r.finish();
  return c;
}

// The class (not a profile) for a plain id, falling back by trailing "-part"s, then "default".
const EfficiencyClass* find_plain(const EfficiencyTable& table, std::string_view id) {
  // The longest class id that is `id` or `id` cut at a '-' ("apple-gpu-vulkan", then
  // "apple-gpu", then "apple"), the first such class of the table; found in one pass with no
  // copy of the key (every estimate looks its class up).
  const EfficiencyClass* best = nullptr;
  const EfficiencyClass* fallback = nullptr;
  for (const auto& c : table.classes) {
    const std::size_t n = c.id.size();
    if (n > 0 && n <= id.size() && (best == nullptr || n > best->id.size()) &&
        (n == id.size() || id[n] == '-') && id.compare(0, n, c.id) == 0) {
      best = &c;
    }
    if (fallback == nullptr && c.id == "default") {
      fallback = &c;
    }
  }
  return best != nullptr ? best : fallback;
}

double peak_or(const Device& d, Precision p, double fallback) {
  return d.peak(p) > 0 ? d.peak(p) : fallback;
}

double int8_equivalent_peak(const Device& d) {
  return std::max(
      {d.peak(Precision::int8), 2.0 * d.peak(Precision::fp16), 4.0 * d.peak(Precision::fp32)});
}

// The matrix rate of the path llama.cpp's CUDA kernels take (see PeakBasis::kernel_path).
double kernel_path_peak(const Device& d) {
  const ChipArchitecture& a = d.arch;
  const double fp32 = d.peak(Precision::fp32);
  if (a.id.empty()) {
    return int8_equivalent_peak(d);
  }
  // The listed INT8 rate is that of the matrix units, or of the int8 dot products (RDNA 3);
  // the kernels' mma.sync instructions reach mma_sync_fraction of a matrix peak.
  if ((a.has("int8_matrix") || a.has("dp4a")) && d.peak(Precision::int8) > 0) {
    return d.peak(Precision::int8) * (a.has("int8_matrix") ? a.mma_sync_fraction : 1.0);
  }
  if (a.has("fp16_matrix") && d.peak(Precision::fp16) > 0) {
    return d.peak(Precision::fp16) * a.mma_sync_fraction;
  }
  if (a.has("dp4a")) {
    return 4.0 * fp32;
  }
  if (a.has("fast_fp16")) {
    return peak_or(d, Precision::fp16, fp32);
  }
  return fp32;
}

}  // namespace

std::string_view to_string(PeakBasis basis) {
  return k_basis_names[static_cast<std::size_t>(basis)];
}

std::optional<PeakBasis> parse_peak_basis(std::string_view text) {
  for (std::size_t i = 0; i < k_basis_names.size(); ++i) {
    if (k_basis_names[i] == text) {
      return static_cast<PeakBasis>(i);
    }
  }
  return std::nullopt;
}

EfficiencyTable parse_efficiency(std::string_view text, const std::string& display_name) {
  using detail::Check;
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  EfficiencyTable table;
  table.schema_version = top.small_integer("schema_version", Check::positive, true).value_or(0);
  if (table.schema_version != 0 && table.schema_version != 2) {
    diagnostics.add(
        "/schema_version",
        fmt::format("unsupported schema_version {} (this llmroof reads 2)", table.schema_version));
  }
  table.description = top.string("description", true);
  table.matmul_half_rows = top.number("matmul_half_rows", Check::non_negative, false).value_or(0);
  table.ubatch_tokens = top.number("ubatch_tokens", Check::positive, false).value_or(512);
  table.moe_layer_s = top.number("moe_layer_s", Check::non_negative, false).value_or(0);
  table.power_limit_exponent =
      top.number("power_limit_exponent", Check::non_negative, false).value_or(0);
  table.narrow_simd_exponent =
      top.number("narrow_simd_exponent", Check::non_negative, false).value_or(0);
  top.each_object("weight_formats", false, [&](detail::ObjectReader& r) {
    WeightFormat f;
    f.id = r.string("id", true);
    f.types = r.string_array("types", true);
    check_ggml_types(r, f.types);
    f.cpu_factor = r.number("cpu_factor", Check::positive, true).value_or(1);
    f.cpu_decode_factor = r.number("cpu_decode_factor", Check::positive, true).value_or(1);
    f.gpu_factor = r.number("gpu_factor", Check::positive, true).value_or(1);
    f.basis = r.string("basis", true);
    f.cpu_vec_dot_only = r.boolean("cpu_vec_dot_only", false).value_or(false);
    if (f.cpu_vec_dot_only) {
      f.cpu_vec_dot_source = r.string("cpu_vec_dot_source", true);
    } else if (r.optional_string("cpu_vec_dot_source")) {
      r.diagnostics().add(r.child_pointer("cpu_vec_dot_source"),
                          "a source without cpu_vec_dot_only: true");
    }
    r.finish();
    table.formats.push_back(std::move(f));
  });
  top.each_object("engine_eras", false, [&](detail::ObjectReader& r) {
    EngineEra e;
    e.backend = r.string("backend", true);
    e.before_build = r.small_integer("before_build", Check::positive, true).value_or(0);
    e.prefill_path = r.one_of("prefill_path", {"dequantize_fp16_blas"}, true).value_or("");
    e.source = r.string("source", true);
    r.finish();
    table.eras.push_back(std::move(e));
  });
  if (const auto* fit = top.child("fitted_on", false); fit != nullptr) {
    detail::ObjectReader r(*fit, "/fitted_on", diagnostics);
    FitRecord f;
    f.source = r.string("source", true);
    f.data_date = r.string("data_date", true);
    f.command = r.string("command", true);
    f.rows = r.small_integer("rows", Check::non_negative, true).value_or(0);
    f.rows_used = r.small_integer("rows_used", Check::non_negative, true).value_or(0);
    f.rows_excluded = r.small_integer("rows_excluded", Check::non_negative, true).value_or(0);
    f.rows_unmapped = r.small_integer("rows_unmapped", Check::non_negative, true).value_or(0);
    f.devices = r.small_integer("devices", Check::non_negative, true).value_or(0);
    r.finish();
    table.fitted_on = f;
  }
  top.each_object("cross_validated_accuracy", false, [&](detail::ObjectReader& r) {
    AccuracyFigure a;
    a.class_id = r.string("class", true);
    a.test = r.string("test", true);
    a.rows = r.small_integer("rows", Check::non_negative, true).value_or(0);
    a.median_abs_error = r.number("median_abs_error", Check::non_negative, true).value_or(0);
    a.p90_abs_error = r.number("p90_abs_error", Check::non_negative, true).value_or(0);
    a.bias = r.number("bias", Check::any, true).value_or(0);
    a.coverage = r.number("coverage", Check::non_negative, true).value_or(0);
    r.finish();
    table.accuracy.push_back(std::move(a));
  });
  top.each_object("classes", true, [&](detail::ObjectReader& r) {
    if (!r.is_object()) {
      return;
    }
    table.classes.push_back(read_class(r));
    for (std::size_t j = 0; j + 1 < table.classes.size(); ++j) {
      if (table.classes[j].id == table.classes.back().id) {
        diagnostics.add(r.child_pointer("id"),
                        fmt::format("duplicate class id '{}'", table.classes.back().id));
      }
    }
  });
  top.finish();
  diagnostics.throw_if_any(text, display_name);
  return table;
}

std::string efficiency_to_json(const EfficiencyTable& table) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = 2;
  doc["description"] = table.description;
  doc["matmul_half_rows"] = round4(table.matmul_half_rows);
  doc["ubatch_tokens"] = table.ubatch_tokens;
  doc["moe_layer_s"] = round4(table.moe_layer_s);
  doc["power_limit_exponent"] = round4(table.power_limit_exponent);
  doc["narrow_simd_exponent"] = round4(table.narrow_simd_exponent);
  if (!table.formats.empty()) {
    auto& formats = doc["weight_formats"] = nlohmann::ordered_json::array();
    for (const auto& f : table.formats) {
      nlohmann::ordered_json o;
      o["id"] = f.id;
      o["types"] = f.types;
      o["cpu_factor"] = round4(f.cpu_factor);
      o["cpu_decode_factor"] = round4(f.cpu_decode_factor);
      o["gpu_factor"] = round4(f.gpu_factor);
      o["basis"] = f.basis;
      if (f.cpu_vec_dot_only) {
        o["cpu_vec_dot_only"] = true;
        o["cpu_vec_dot_source"] = f.cpu_vec_dot_source;
      }
      formats.push_back(std::move(o));
    }
  }
  if (!table.eras.empty()) {
    auto& eras = doc["engine_eras"] = nlohmann::ordered_json::array();
    for (const auto& e : table.eras) {
      nlohmann::ordered_json o;
      o["backend"] = e.backend;
      o["before_build"] = e.before_build;
      o["prefill_path"] = e.prefill_path;
      o["source"] = e.source;
      eras.push_back(std::move(o));
    }
  }
  if (table.fitted_on) {
    const FitRecord& f = *table.fitted_on;
    nlohmann::ordered_json o;
    o["source"] = f.source;
    o["data_date"] = f.data_date;
    o["command"] = f.command;
    o["rows"] = f.rows;
    o["rows_used"] = f.rows_used;
    o["rows_excluded"] = f.rows_excluded;
    o["rows_unmapped"] = f.rows_unmapped;
    o["devices"] = f.devices;
    doc["fitted_on"] = std::move(o);
  }
  if (!table.accuracy.empty()) {
    auto& accuracy = doc["cross_validated_accuracy"] = nlohmann::ordered_json::array();
    for (const auto& a : table.accuracy) {
      nlohmann::ordered_json o;
      o["class"] = a.class_id;
      o["test"] = a.test;
      o["rows"] = a.rows;
      o["median_abs_error"] = round4(a.median_abs_error);
      o["p90_abs_error"] = round4(a.p90_abs_error);
      o["bias"] = round4(a.bias);
      o["coverage"] = round4(a.coverage);
      accuracy.push_back(std::move(o));
    }
  }
  auto& classes = doc["classes"] = nlohmann::ordered_json::array();
  for (const auto& c : table.classes) {
    nlohmann::ordered_json o;
    o["id"] = c.id;
    o["description"] = c.description;
    if (!c.device.empty()) {
      o["device"] = c.device;
    }
    if (!c.backend.empty()) {
      o["backend"] = c.backend;
    }
    o["prefill_peak"] = std::string(to_string(c.prefill_peak));
    o["decode_peak"] = std::string(to_string(c.decode_peak));
    o["decode_bandwidth_efficiency"] = round4(c.decode_bw_efficiency);
    o["decode_per_layer_s"] = round4(c.decode_per_layer_s);
    o["decode_flops_efficiency"] = round4(c.decode_flops_efficiency);
    o["prefill_flops_efficiency"] = round4(c.prefill_flops_efficiency);
    if (c.matmul_half_rows > 0) {
      o["matmul_half_rows"] = round4(c.matmul_half_rows);
    }
    if (c.prefill_core_ops_per_flop > 0) {
      o["prefill_core_ops_per_flop"] = round4(c.prefill_core_ops_per_flop);
    }
    if (c.vector_batch_max > 0) {
      o["vector_batch_max"] = c.vector_batch_max;
    }
    if (!c.batch_kernels.empty()) {
      auto& kernels = o["batch_kernels"] = nlohmann::ordered_json::array();
      for (const auto& k : c.batch_kernels) {
        kernels.push_back({{"types", k.types}, {"from_batch", k.from_batch}});
      }
    }
    if (!c.batch_source.empty()) {
      o["batch_source"] = c.batch_source;
    }
    o["decode_log_spread"] = round4(c.decode_log_spread);
    o["prefill_log_spread"] = round4(c.prefill_log_spread);
    o["decode_rows"] = c.decode_rows;
    o["prefill_rows"] = c.prefill_rows;
    o["devices"] = c.devices;
    o["basis"] = c.basis;
    classes.push_back(std::move(o));
  }
  // Names from file paths may not be UTF-8: U+FFFD rather than an exception.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void merge_efficiency(EfficiencyTable& table, const EfficiencyTable& profile) {
  for (const auto& c : profile.classes) {
    auto it = std::find_if(table.classes.begin(), table.classes.end(),
                           [&](const EfficiencyClass& e) { return e.id == c.id; });
    if (it != table.classes.end()) {
      *it = c;
    } else {
      table.classes.push_back(c);
    }
  }
}

std::string efficiency_class_id(const Device& device, std::string_view backend) {
  const std::string chosen = backend.empty() ? device.backend : normalize_key(backend);
  std::string id;
  if (chosen == "cpu" || device.kind == DeviceKind::cpu) {
    const std::string isa = device.kind == DeviceKind::cpu ? device.cpu_isa
                            : device.cpu                   ? device.cpu->isa
                                                           : std::string();
    if (isa.rfind("x86", 0) == 0) {
      id = "cpu-x86";
    } else if (isa.rfind("arm64", 0) == 0 || device.kind == DeviceKind::apple_soc) {
      id = "cpu-arm";
    } else {
      id = "cpu-other";
    }
  } else {
    if (device.kind == DeviceKind::apple_soc) {
      id = "apple-gpu";
    } else if (matches_key(device.vendor, "nvidia")) {
      id = "nvidia-gpu";
    } else if (matches_key(device.vendor, "amd")) {
      id = "amd-gpu";
    } else if (matches_key(device.vendor, "intel")) {
      id = "intel-gpu";
    } else {
      id = "other-gpu";
    }
    // A backend may have its own class (apple-gpu-vulkan: MoltenVK); the lookup falls back to
    // the vendor's class.
    if (!chosen.empty()) {
      id += "-" + chosen;
    }
  }
  // Concatenated, not formatted: every estimate builds this key.
  const std::string& backend_id = chosen.empty() ? device.backend : chosen;
  std::string key;
  key.reserve(id.size() + device.id.size() + backend_id.size() + 2);
  key.append(id).append("@").append(device.id).append("/").append(backend_id);
  return key;
}

const EfficiencyClass* find_efficiency_class(const EfficiencyTable& table, std::string_view id) {
  const auto at = id.find('@');
  if (at != std::string_view::npos) {
    const std::string_view rest = id.substr(at + 1);
    const auto slash = rest.rfind('/');
    const std::string_view device = rest.substr(0, slash);
    const std::string_view backend =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    for (const auto& c : table.classes) {
      if (!c.device.empty() && c.device == device &&
          (c.backend.empty() || normalize_key(c.backend) == normalize_key(backend))) {
        return &c;
      }
    }
    return find_plain(table, id.substr(0, at));
  }
  return find_plain(table, id);
}

const WeightFormat* find_weight_format(const EfficiencyTable& table, std::string_view id) {
  for (const auto& f : table.formats) {
    if (f.id == id) {
      return &f;
    }
  }
  return nullptr;
}

const WeightFormat* weight_format(const EfficiencyTable& table, const Weights& weights) {
  const GgmlType* type = dominant_ggml_type(weights);
  if (type == nullptr) {
    return nullptr;
  }
  for (const auto& f : table.formats) {
    if (std::find(f.types.begin(), f.types.end(), type->name) != f.types.end()) {
      return &f;
    }
  }
  return nullptr;
}

MatmulRows matmul_rows(const EfficiencyTable& table, const Weights& weights, double prompt_tokens) {
  // Rows each weight matrix multiplies per pass: the ubatch for dense weights, its routed share
  // (k of E experts) for expert weights.
  MatmulRows m;
  m.rows = std::min(std::max(1.0, prompt_tokens), table.ubatch_tokens);
  m.dense_flops = weights.dense_matmul_params;
  m.expert_rows = m.rows;
  if (weights.experts > 0 && weights.experts_used > 0) {
    const double share =
        static_cast<double>(weights.experts_used) / static_cast<double>(weights.experts);
    m.expert_flops = weights.routed_expert_params * share;
    m.expert_rows = m.rows * share;
  }
  return m;
}

double rows_factor(const MatmulRows& m, double half_rows) {
  // The dense and expert FLOPs add, so their factors combine harmonically.
  const double total = m.dense_flops + m.expert_flops;
  if (total <= 0) {
    return 1.0;
  }
  const double time = m.dense_flops * (m.rows + half_rows) / m.rows +
                      m.expert_flops * (m.expert_rows + half_rows) / m.expert_rows;
  return total / time;
}

double format_factor(const WeightFormat& format, bool cpu, bool decode) {
  return !cpu ? format.gpu_factor : decode ? format.cpu_decode_factor : format.cpu_factor;
}

std::vector<double> reread_shares(const EfficiencyClass& cls, const Weights& weights) {
  std::vector<double> shares;
  if (cls.vector_batch_max < 2 || cls.batch_kernels.empty() || !(weights.total_bytes > 0)) {
    return shares;
  }
  shares.assign(static_cast<std::size_t>(cls.vector_batch_max) + 1, 0.0);
  for (const auto& t : weights.by_type) {
    // The smallest batch a one-pass kernel takes this type from (none: every batch re-reads).
    const GgmlType* type = find_ggml_type(t.type);
    const std::string_view name = type != nullptr ? std::string_view(type->name) : "";
    int from = cls.vector_batch_max + 1;
    for (const auto& k : cls.batch_kernels) {
      if (k.from_batch < from && std::find(k.types.begin(), k.types.end(), name) != k.types.end()) {
        from = k.from_batch;
      }
    }
    for (int b = 2; b < from; ++b) {
      shares[static_cast<std::size_t>(b)] += t.bytes / weights.total_bytes;
    }
  }
  return shares;
}

const EngineEra* engine_era(const EfficiencyTable& table, std::string_view backend,
                            int engine_build) {
  if (engine_build <= 0) {
    return nullptr;
  }
  for (const auto& e : table.eras) {
    if (e.backend == backend && engine_build < e.before_build) {
      return &e;
    }
  }
  return nullptr;
}

bool takes_era_blas_prefill(const EfficiencyTable& table, const EngineEra* era,
                            const Device& device, bool cpu, const Weights& weights) {
  if (era == nullptr || era->prefill_path != "dequantize_fp16_blas" || cpu ||
      !device.arch.has("fp16_matrix")) {
    return false;
  }
  const WeightFormat* format = weight_format(table, weights);
  return format == nullptr || format->id != k_float_format;
}

double matmul_half_rows(const EfficiencyTable& table, const EfficiencyClass& cls) {
  return cls.matmul_half_rows > 0 ? cls.matmul_half_rows : table.matmul_half_rows;
}

EngineRun engine_run(const EfficiencyTable& table, const EfficiencyClass& cls, const Device& device,
                     bool host_cpu, const ModelSpec& model, const Weights& weights,
                     const Roofs& roofs, Precision precision, double prompt_tokens,
                     const EngineEra* era) {
  EngineRun run;
  run.mem_bw_bytes_per_s = roofs.mem_bw_bytes_per_s;
  if (roofs.mem_bw_measured && cls.decode_bw_efficiency > 0) {
    // The class's efficiency is relative to a vendor peak; a measured sustained read already
    // carries most of that loss, so llama.cpp reaches k_measured_read_efficiency of it.
    run.mem_bw_bytes_per_s *= k_measured_read_efficiency / cls.decode_bw_efficiency;
  }
  run.layers = model.layers;
  if (model.moe) {
    run.moe_layers = std::max(0, model.layers - model.moe->dense_layers_first);
  }
  run.moe_layer_s = table.moe_layer_s;
  if (!host_cpu && device.kind != DeviceKind::cpu && device.arch.native_simd_width > 0 &&
      device.arch.native_simd_width < k_kernel_simd_lanes) {
    run.simd_lane_ratio = static_cast<double>(device.arch.native_simd_width) / k_kernel_simd_lanes;
  }
  run.decode_bw_factor = narrow_simd_factor(table, run.simd_lane_ratio);
  double power_ratio = 1;
  if (!host_cpu && device.kind != DeviceKind::cpu && device.tdp_w > 0 &&
      device.peak(Precision::fp32) > 0 && device.arch.reference_joules_per_flop > 0) {
    power_ratio = std::min(
        1.0, device.tdp_w / device.peak(Precision::fp32) / device.arch.reference_joules_per_flop);
  }
  run.set_power_limit(power_ratio, table.power_limit_exponent);
  const bool cpu = host_cpu || device.kind == DeviceKind::cpu;
  // The device's own figure at the roofs' precision: a ratio to it carries a --tflops override.
  double own_peak = device.roof_peak(precision);
  auto figure = [&](PeakBasis basis) {
    if (host_cpu && device.cpu) {
      return device.cpu->fp32_flops_per_s;
    }
    const double fp32 = device.peak(Precision::fp32);
    if (cpu) {
      return fp32;
    }
    switch (basis) {
      case PeakBasis::int8_equivalent:
        return int8_equivalent_peak(device);
      case PeakBasis::fp16:
        return peak_or(device, Precision::fp16, fp32);
      case PeakBasis::fp32:
        return fp32;
      case PeakBasis::kernel_path:
        return kernel_path_peak(device);
      case PeakBasis::dot_product:
        return device.arch.id.empty() || device.arch.has("dp4a") ? 4.0 * fp32 : fp32;
      case PeakBasis::matrix_fp16:
        return device.roof_peak(Precision::fp16) > 0 ? device.roof_peak(Precision::fp16) : fp32;
    }
    return fp32;
  };
  if (host_cpu && device.cpu) {
    own_peak = device.cpu->fp32_flops_per_s;
  }
  const double scale = own_peak > 0 ? roofs.peak_flops_per_s / own_peak : 0.0;
  const double prefill_basis = figure(cls.prefill_peak);
  const double decode_basis = figure(cls.decode_peak);
  run.matmul_peak_flops_per_s =
      prefill_basis > 0 && scale > 0 ? prefill_basis * scale : roofs.peak_flops_per_s;
  run.decode_peak_flops_per_s =
      decode_basis > 0 && scale > 0 ? decode_basis * scale : roofs.peak_flops_per_s;
  const double core = figure(PeakBasis::fp32);
  run.core_peak_flops_per_s = core > 0 && scale > 0 ? core * scale : roofs.peak_flops_per_s;
  const WeightFormat* format = weight_format(table, weights);
  if (format != nullptr) {
    run.format_factor = format_factor(*format, cpu, false);
    run.decode_format_factor = format_factor(*format, cpu, true);
  }
  run.matmul_half_rows = matmul_half_rows(table, cls);
  run.rows_factor = rows_factor(matmul_rows(table, weights, prompt_tokens), run.matmul_half_rows);
  const MatmulRows one = matmul_rows(table, weights, 1.0);
  run.dense_matmul_params = one.dense_flops;
  run.expert_matmul_params = one.expert_flops;
  if (!cpu) {
    run.vector_batch_max = cls.vector_batch_max;
    run.reread_share = reread_shares(cls, weights);
  }
  if (takes_era_blas_prefill(table, era, device, cpu, weights)) {
    // Before the era's end every quantized weight was dequantized to FP16 (read, written,
    // read back by the GEMM) once per ubatch, then ran through the BLAS GEMM that F16 weights
    // take today: their format factor, plus the dequantization's memory traffic.
    run.blas_prefill = true;
    if (const WeightFormat* f16 = find_weight_format(table, k_float_format)) {
      run.format_factor = f16->gpu_factor;
    }
    const double passes = std::ceil(std::max(1.0, prompt_tokens) / table.ubatch_tokens);
    run.blas_dequant_bytes = passes * (weights.total_bytes + 4.0 * weights.total_params);
  }
  return run;
}

double EngineRun::dense_matmul_share() const {
  const double multiplied = dense_matmul_params + expert_matmul_params;
  return multiplied > 0 ? dense_matmul_params / multiplied : 1.0;
}

double EngineRun::dense_rows_factor_at(double rows) const {
  const double r = std::max(1.0, rows);
  return r / (r + matmul_half_rows);
}

void EngineRun::set_power_limit(double ratio, double exponent) {
  power_ratio = ratio;
  power_limit_exponent = exponent;
  m_clock_factor = exponent > 0 && ratio < 1 ? std::pow(ratio, exponent) : 1.0;
}

double narrow_simd_factor(const EfficiencyTable& table, double lane_ratio) {
  return lane_ratio < 1 && table.narrow_simd_exponent > 0
             ? std::pow(lane_ratio, table.narrow_simd_exponent)
             : 1.0;
}

DecodeBreakdown realistic_decode_breakdown(const EfficiencyClass& cls, const DecodeStep& step,
                                           const EngineRun& run) {
  DecodeBreakdown b;
  const double bandwidth = cls.decode_bw_efficiency * run.decode_bw_factor * run.mem_bw_bytes_per_s;
  const double vector_flops_per_s =
      cls.decode_flops_efficiency * run.decode_format_factor * run.decode_peak_flops_per_s;
  b.per_layer_s = run.layers * cls.decode_per_layer_s;
  b.moe_s = run.moe_layers * run.moe_layer_s;
  if (run.vector_batch_max > 0 && step.batch > run.vector_batch_max) {
    // The weight matmuls run as a prefill of `batch` rows on the matrix path, at its rate for
    // that many rows; as in the matrix-vector case the weights' streaming and the arithmetic
    // of a step add (a short pass does not hide one behind the other), and attention stays
    // with the vector units.
    // Routed experts stay on the matrix-vector kernels: each multiplies only the few rows
    // routed to it (batch x k/E), below the batched expert kernels' thresholds.
    b.kernel = DecodeKernel::matrix;
    b.memory_s = step.bytes / bandwidth;
    const double dense_flops = step.matmul_flops * run.dense_matmul_share();
    b.compute_s =
        dense_flops / realistic_matmul_flops_per_s(cls, run, run.dense_rows_factor_at(step.batch)) +
        (step.flops - dense_flops) / vector_flops_per_s;
    return b;
  }
  double bytes = step.bytes;
  const auto batch = static_cast<std::size_t>(step.batch);
  if (step.batch > 1 && batch < run.reread_share.size() && run.reread_share[batch] > 0) {
    // Weights of a type with no one-pass kernel are read again for every sequence.
    b.kernel = DecodeKernel::vector_reread;
    b.reread_share = run.reread_share[batch];
    const double once = step.weights_read_bytes * (1.0 - b.reread_share);
    const double each = step.sequence_weights_read_bytes * b.reread_share * step.batch;
    bytes = once + each + step.kv_read_bytes;
  }
  b.memory_s = bytes / bandwidth;
  b.compute_s = step.flops / vector_flops_per_s;
  return b;
}

double realistic_decode_seconds(const EfficiencyClass& cls, const DecodeStep& step,
                                const EngineRun& run) {
  return realistic_decode_breakdown(cls, step, run).seconds();
}

double realistic_matmul_flops_per_s(const EfficiencyClass& cls, const EngineRun& run,
                                    double rows_factor) {
  double per_flop = 1.0 / (cls.prefill_flops_efficiency * run.matmul_peak_flops_per_s);
  if (cls.prefill_core_ops_per_flop > 0) {
    per_flop += cls.prefill_core_ops_per_flop / run.core_peak_flops_per_s;
  }
  return run.format_factor * rows_factor * run.clock_factor() / per_flop;
}

double realistic_prefill_flops_per_s(const EfficiencyClass& cls, const EngineRun& run) {
  return realistic_matmul_flops_per_s(cls, run, run.rows_factor);
}

PrefillBreakdown realistic_prefill_breakdown(const EfficiencyClass& cls,
                                             const PrefillResult& prefill, const EngineRun& run) {
  PrefillBreakdown b;
  const double bandwidth = cls.decode_bw_efficiency * run.mem_bw_bytes_per_s;
  b.compute_s = prefill.flops / realistic_prefill_flops_per_s(cls, run);
  if (run.blas_prefill) {
    b.compute_s += run.blas_dequant_bytes / bandwidth;
  }
  b.memory_s = prefill.bytes / bandwidth;
  return b;
}

double realistic_prefill_seconds(const EfficiencyClass& cls, const PrefillResult& prefill,
                                 const EngineRun& run) {
  return realistic_prefill_breakdown(cls, prefill, run).seconds();
}

}  // namespace llmroof
