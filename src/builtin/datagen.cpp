// llmroof_datagen: the build step that compiles the shipped data into the program.
//
//   llmroof_datagen DATA_DIR OUTPUT.cpp
//
// Runs the validating loader over DATA_DIR's devices.json, device-sources.json, models.json,
// efficiency.json and links.json (and checks calibration-aliases.json and
// efficiency-prior.json), then writes the tables it built as C++ initializers (see
// builtin_tables.hpp). A data file the loader refuses fails the build with the loader's
// messages, exit code 1. OUTPUT is rewritten only when its text changes.

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read '{}'", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// C++ source for each value type. Strings are literals with every byte outside printable ASCII
// as a 3-digit octal escape; std::string ones ("..."s) keep any byte, NUL included.
std::string c_literal(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\{:03o}", u);
    }
  }
  return out + "\"";
}

std::string lit(std::string_view text) { return c_literal(text) + "s"; }

std::string lit(double value) {
  if (!std::isfinite(value)) {
    throw Error(fmt::format("datagen: a non-finite number {} cannot be compiled in", value));
  }
  // fmt's shortest round-trip form, always with a '.' or an exponent so that it is a double.
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".e") == std::string::npos) {
    text += ".0";
  }
  return text;
}

std::string lit(bool value) { return value ? "true" : "false"; }
std::string lit(int value) { return fmt::format("{}", value); }
std::string lit(std::int64_t value) { return fmt::format("std::int64_t{{{}}}", value); }

template <class Enum>
std::string enum_lit(std::string_view type, Enum value) {
  return fmt::format("static_cast<{}>({})", type, static_cast<int>(value));
}

template <class T, class F>
std::string list(const std::vector<T>& items, F each) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : ", ") + each(items[i]);
  }
  return out + "}";
}

std::string strings(const std::vector<std::string>& items) {
  return list(items, [](const std::string& s) { return lit(s); });
}

// One designated initializer per field, in declaration order. Every field is written (absent
// optionals as std::nullopt), so that with -Wmissing-field-initializers (-Wextra) a field added
// to a struct and not to its emit() below fails the build of the generated tables.
class Init {
 public:
  explicit Init(std::string type) : m_text(std::move(type) + "{") {}
  Init& field(std::string_view name, const std::string& value) {
    m_text += fmt::format("{}.{} = {}", m_first ? "" : ", ", name, value);
    m_first = false;
    return *this;
  }
  std::string str() const { return m_text + "}"; }

 private:
  std::string m_text;
  bool m_first = true;
};

std::string emit(const CpuSpec& c) {
  return Init("CpuSpec")
      .field("cores", lit(c.cores))
      .field("isa", lit(c.isa))
      .field("fp32_flops_per_s", lit(c.fp32_flops_per_s))
      .field("mem_bw_bytes_per_s", lit(c.mem_bw_bytes_per_s))
      .field("source", lit(c.source))
      .field("performance_cores", lit(c.performance_cores))
      .field("performance_cores_source", lit(c.performance_cores_source))
      .str();
}

std::string emit(const ThreadRates& r) {
  return Init("ThreadRates")
      .field("threads", lit(r.threads))
      .field("read_bytes_per_s", lit(r.read_bytes_per_s))
      .field("fp32_flops_per_s", lit(r.fp32_flops_per_s))
      .str();
}

std::string emit(const DeviceSources& s) {
  return Init("DeviceSources")
      .field("memory", lit(s.memory))
      .field("compute", lit(s.compute))
      .field("power_price", lit(s.power_price))
      .str();
}

std::string emit(const ChipArchitecture& a) {
  return Init("ChipArchitecture")
      .field("id", lit(a.id))
      .field("generation", lit(a.generation))
      .field("name", lit(a.name))
      .field("compute_capability", lit(a.compute_capability))
      .field("capabilities", strings(a.capabilities))
      .field("source", lit(a.source))
      .field("mma_sync_fraction", lit(a.mma_sync_fraction))
      .field("mma_sync_source", lit(a.mma_sync_source))
      .field("reference_joules_per_flop", lit(a.reference_joules_per_flop))
      .str();
}

std::string emit(const Device& d) {
  std::string peaks = "{{";
  for (std::size_t i = 0; i < d.peak_flops_per_s.size(); ++i) {
    peaks += (i == 0 ? "" : ", ") + lit(d.peak_flops_per_s[i]);
  }
  peaks += "}}";
  Init init("Device");
  init.field("id", lit(d.id))
      .field("aliases", strings(d.aliases))
      .field("vendor", lit(d.vendor))
      .field("name", lit(d.name))
      .field("kind", enum_lit("DeviceKind", d.kind))
      .field("segment", lit(d.segment))
      .field("architecture", lit(d.architecture))
      .field("arch", emit(d.arch))
      .field("backend", lit(d.backend))
      .field("memory_sizes_bytes", list(d.memory_sizes_bytes, [](double v) { return lit(v); }))
      .field("memory_type", lit(d.memory_type))
      .field("bus_width_bits", lit(d.bus_width_bits))
      .field("mem_bw_bytes_per_s", lit(d.mem_bw_bytes_per_s))
      .field("peak_flops_per_s", peaks)
      .field("matrix_fp16_flops_per_s", lit(d.matrix_fp16_flops_per_s))
      .field("npu_ops_per_s", lit(d.npu_ops_per_s))
      .field("gpu_cores", lit(d.gpu_cores))
      .field("cpu_isa", lit(d.cpu_isa))
      .field("cpu_cores", lit(d.cpu_cores))
      .field("cpu_threads", lit(d.cpu_threads))
      .field("cpu_performance_cores", lit(d.cpu_performance_cores))
      .field("cpu_performance_cores_source", lit(d.cpu_performance_cores_source));
  init.field("cpu", d.cpu ? emit(*d.cpu) : "std::nullopt")
      .field("tdp_w", lit(d.tdp_w))
      .field("launch_year", lit(d.launch_year))
      .field("launch_price_usd", d.launch_price_usd ? lit(*d.launch_price_usd) : "std::nullopt");
  return init.field("price_note", lit(d.price_note))
      .field("sources", emit(d.sources))
      .field("verification", lit(d.verification))
      .field("notes", lit(d.notes))
      .field("origin", lit(d.origin))
      .field("configuration_of", lit(d.configuration_of))
      .field("mem_bw_kind", enum_lit("FigureKind", d.mem_bw_kind))
      .field("fp32_kind", enum_lit("FigureKind", d.fp32_kind))
      .field("measured_date", lit(d.measured_date))
      .field("measured_method", lit(d.measured_method))
      .field("measured_per_thread",
             list(d.measured_per_thread, [](const ThreadRates& r) { return emit(r); }))
      .str();
}

std::string emit(const FamilyAlias& f) {
  return Init("FamilyAlias")
      .field("alias", lit(f.alias))
      .field("device", lit(f.device))
      .field("covers", strings(f.covers))
      .field("note", lit(f.note))
      .str();
}

std::string emit(const DeviceProvenance& p) {
  return Init("DeviceProvenance")
      .field("sources", emit(p.sources))
      .field("verification", lit(p.verification))
      .field("notes", lit(p.notes))
      .field("price_note", lit(p.price_note))
      .str();
}

std::string emit(const MoeSpec& m) {
  return Init("MoeSpec")
      .field("experts", lit(m.experts))
      .field("experts_used", lit(m.experts_used))
      .field("shared_experts", lit(m.shared_experts))
      .field("expert_intermediate", lit(m.expert_intermediate))
      .field("shared_expert_intermediate", lit(m.shared_expert_intermediate))
      .field("dense_layers_first", lit(m.dense_layers_first))
      .field("dense_intermediate", lit(m.dense_intermediate))
      .str();
}

std::string emit(const MlaSpec& m) {
  return Init("MlaSpec")
      .field("q_lora_rank", lit(m.q_lora_rank))
      .field("kv_lora_rank", lit(m.kv_lora_rank))
      .field("qk_rope_head_dim", lit(m.qk_rope_head_dim))
      .field("qk_nope_head_dim", lit(m.qk_nope_head_dim))
      .field("v_head_dim", lit(m.v_head_dim))
      .str();
}

std::string emit(const OllamaTag& t) {
  return Init("OllamaTag")
      .field("tag", lit(t.tag))
      .field("model", lit(t.model))
      .field("quant", lit(t.quant))
      .field("source", lit(t.source))
      .str();
}

std::string emit(const ModelSpec& m) {
  Init init("ModelSpec");
  init.field("id", lit(m.id))
      .field("name", lit(m.name))
      .field("aliases", strings(m.aliases))
      .field("architecture", enum_lit("Architecture", m.architecture))
      .field("total_params", lit(m.total_params))
      .field("active_params", lit(m.active_params))
      .field("official_params", lit(m.official_params))
      .field("layers", lit(m.layers))
      .field("hidden", lit(m.hidden))
      .field("heads", lit(m.heads))
      .field("kv_heads", lit(m.kv_heads))
      .field("head_dim", lit(m.head_dim))
      .field("intermediate", lit(m.intermediate))
      .field("vocab", lit(m.vocab))
      .field("tied_embeddings", lit(m.tied_embeddings))
      .field("attention", enum_lit("AttentionKind", m.attention))
      .field("sliding_window", lit(m.sliding_window))
      .field("sliding_window_layers", lit(m.sliding_window_layers))
      .field("max_context", lit(m.max_context))
      .field("torch_dtype", lit(m.torch_dtype))
      .field("published_quant", lit(m.published_quant));
  return init.field("moe", m.moe ? emit(*m.moe) : "std::nullopt")
      .field("mla", m.mla ? emit(*m.mla) : "std::nullopt")
      .field("kv_heads_per_layer", list(m.kv_heads_per_layer, [](int v) { return lit(v); }))
      .field("source", lit(m.source))
      .field("params_source", lit(m.params_source))
      .field("notes", lit(m.notes))
      .field("assumed_fields", strings(m.assumed_fields))
      .field("generic_size", lit(m.generic_size))
      .str();
}

std::string emit(const EfficiencyClass& c) {
  return Init("EfficiencyClass")
      .field("id", lit(c.id))
      .field("description", lit(c.description))
      .field("prefill_peak", enum_lit("PeakBasis", c.prefill_peak))
      .field("decode_peak", enum_lit("PeakBasis", c.decode_peak))
      .field("decode_bw_efficiency", lit(c.decode_bw_efficiency))
      .field("decode_per_layer_s", lit(c.decode_per_layer_s))
      .field("decode_flops_efficiency", lit(c.decode_flops_efficiency))
      .field("prefill_flops_efficiency", lit(c.prefill_flops_efficiency))
      .field("prefill_core_ops_per_flop", lit(c.prefill_core_ops_per_flop))
      .field("decode_log_spread", lit(c.decode_log_spread))
      .field("prefill_log_spread", lit(c.prefill_log_spread))
      .field("decode_rows", lit(c.decode_rows))
      .field("prefill_rows", lit(c.prefill_rows))
      .field("devices", lit(c.devices))
      .field("basis", lit(c.basis))
      .field("device", lit(c.device))
      .field("backend", lit(c.backend))
      .str();
}

std::string emit(const WeightFormat& f) {
  return Init("WeightFormat")
      .field("id", lit(f.id))
      .field("types", strings(f.types))
      .field("cpu_factor", lit(f.cpu_factor))
      .field("cpu_decode_factor", lit(f.cpu_decode_factor))
      .field("gpu_factor", lit(f.gpu_factor))
      .field("basis", lit(f.basis))
      .str();
}

std::string emit(const FitRecord& r) {
  return Init("FitRecord")
      .field("source", lit(r.source))
      .field("data_date", lit(r.data_date))
      .field("command", lit(r.command))
      .field("rows", lit(r.rows))
      .field("rows_used", lit(r.rows_used))
      .field("rows_excluded", lit(r.rows_excluded))
      .field("rows_unmapped", lit(r.rows_unmapped))
      .field("devices", lit(r.devices))
      .str();
}

std::string emit(const AccuracyFigure& a) {
  return Init("AccuracyFigure")
      .field("class_id", lit(a.class_id))
      .field("test", lit(a.test))
      .field("rows", lit(a.rows))
      .field("median_abs_error", lit(a.median_abs_error))
      .field("p90_abs_error", lit(a.p90_abs_error))
      .field("bias", lit(a.bias))
      .field("coverage", lit(a.coverage))
      .str();
}

std::string emit(const Link& l) {
  return Init("Link")
      .field("id", lit(l.id))
      .field("aliases", strings(l.aliases))
      .field("name", lit(l.name))
      .field("bandwidth_bytes_per_s", lit(l.bandwidth_bytes_per_s))
      .field("latency_s", lit(l.latency_s))
      .field("bandwidth_source", lit(l.bandwidth_source))
      .field("latency_source", lit(l.latency_source))
      .field("notes", lit(l.notes))
      .str();
}

std::string emit(const MemoryConfiguration& c) {
  return Init("MemoryConfiguration")
      .field("device", lit(c.device))
      .field("memory_bytes", lit(c.memory_bytes))
      .field("launch_price_usd", c.launch_price_usd ? lit(*c.launch_price_usd) : "std::nullopt")
      .field("source", lit(c.source))
      .field("is_default", lit(c.is_default))
      .str();
}

std::string emit(const Product& p) {
  return Init("Product")
      .field("id", lit(p.id))
      .field("name", lit(p.name))
      .field("aliases", strings(p.aliases))
      .field("configurations",
             list(p.configurations, [](const MemoryConfiguration& c) { return emit(c); }))
      .str();
}

// A table of many entries is built by one small function per entry (a single huge
// initializer makes the compiler slow), each appending its entry to `out`.
template <class T>
std::string entries(std::string_view prefix, std::string_view type, const std::vector<T>& items,
                    std::string& functions) {
  std::string calls;
  for (std::size_t i = 0; i < items.size(); ++i) {
    functions += fmt::format("void {}_{}(std::vector<{}>& out) {{\n  out.push_back({});\n}}\n\n",
                             prefix, i, type, emit(items[i]));
    calls += fmt::format("  {}_{}(out);\n", prefix, i);
  }
  return calls;
}

std::string generate(const std::filesystem::path& dir) {
  const auto text = [&](const char* name) { return read_file(dir / name); };
  // The loader, as a run with --data-dir would use it, with every check `check-data` makes.
  DataTexts texts;
  texts.devices = {"devices.json", text("devices.json")};
  texts.device_sources = {"device-sources.json", text("device-sources.json")};
  texts.models = {"models.json", text("models.json")};
  texts.efficiency = {"efficiency.json", text("efficiency.json")};
  texts.links = {"links.json", text("links.json")};
  const Database db(texts);
  const DeviceDb devices = db.devices();
  db.devices_with_sources();
  const auto provenance =
      parse_device_sources(texts.device_sources.text, texts.device_sources.name);
  const ModelCatalog& models = db.models();
  const EfficiencyTable& efficiency = db.efficiency();
  const LinkDb& links = db.links();
  throw_if_problems(check_link_db(links), "links.json");
  const std::string aliases = text("calibration-aliases.json");
  parse_calibration_aliases(aliases, "calibration-aliases.json");
  const std::string prior = text("efficiency-prior.json");
  parse_efficiency(prior, "efficiency-prior.json");
  // products.json is compiled in twice: as the devices with its memory configurations added
  // (what a run without --device-file uses, so that it neither parses nor applies products),
  // and as a table that devices() applies after merging a --device-file (the configurations
  // are copies of their chips as that file left them). Its text stays for `check-data`.
  const std::string products = text("products.json");
  const ProductDb product_db = parse_products(products, "products.json");
  DeviceDb configured = devices;
  add_memory_configurations(configured, product_db, "products.json");

  std::string functions;
  const std::string device_calls = entries("device", "Device", devices.devices, functions);
  const std::string configured_calls =
      entries("configured", "Device", configured.devices, functions);
  const std::string model_calls = entries("model", "ModelSpec", models.models, functions);

  std::string provenance_entries;
  for (const auto& [id, p] : provenance) {
    provenance_entries += fmt::format("      {{{}, {}}},\n", lit(id), emit(p));
  }

  const EfficiencyTable& e = efficiency;
  const std::string fitted_on = e.fitted_on ? emit(*e.fitted_on) : "std::nullopt";
  std::string out = fmt::format(
      R"(// Generated by llmroof_datagen from {dir}: do not edit.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "builtin_tables.hpp"

namespace llmroof {{

namespace {{

using namespace std::string_literals;

{functions}DeviceDb devices() {{
  DeviceDb db;
  db.schema_version = {device_schema};
  std::vector<Device>& out = db.devices;
  out.reserve({device_count});
{device_calls}  db.families = {families};
  db.architectures = {architectures};
  return db;
}}

DeviceDb configured_devices() {{
  DeviceDb db;
  db.schema_version = {device_schema};
  std::vector<Device>& out = db.devices;
  out.reserve({configured_count});
{configured_calls}  db.families = {configured_families};
  db.architectures = {configured_architectures};
  return db;
}}

ProductDb products() {{
  ProductDb db;
  db.schema_version = {product_schema};
  db.products = {product_list};
  return db;
}}

std::vector<std::pair<std::string, DeviceProvenance>> device_sources() {{
  return {{
{provenance_entries}  }};
}}

ModelCatalog models() {{
  ModelCatalog catalog;
  catalog.schema_version = {model_schema};
  std::vector<ModelSpec>& out = catalog.models;
  out.reserve({model_count});
{model_calls}  catalog.ollama_tags = std::vector<OllamaTag>{ollama_tags};
  return catalog;
}}

EfficiencyTable efficiency() {{
  EfficiencyTable table;
  table.schema_version = {efficiency_schema};
  table.description = {efficiency_description};
  table.matmul_half_rows = {matmul_half_rows};
  table.ubatch_tokens = {ubatch_tokens};
  table.moe_layer_s = {moe_layer_s};
  table.power_limit_exponent = {power_limit_exponent};
  table.formats = {formats};
  table.fitted_on = {fitted_on};
  table.accuracy = {accuracy};
  table.classes = {classes};
  return table;
}}

LinkDb links() {{
  LinkDb db;
  db.schema_version = {link_schema};
  db.description = {link_description};
  db.links = {link_list};
  return db;
}}

constexpr std::string_view k_calibration_aliases{{{aliases}, {aliases_bytes}}};
constexpr std::string_view k_efficiency_prior{{{prior}, {prior_bytes}}};
constexpr std::string_view k_products{{{products}, {products_bytes}}};

}}  // namespace

const BuiltinTables& builtin_tables() {{
  static const BuiltinTables tables{{devices,  device_sources, models,  efficiency,
                                    links,    products,       configured_devices}};
  return tables;
}}

std::string_view builtin_text(std::string_view name) {{
  if (name == "calibration-aliases.json") {{
    return k_calibration_aliases;
  }}
  if (name == "efficiency-prior.json") {{
    return k_efficiency_prior;
  }}
  if (name == "products.json") {{
    return k_products;
  }}
  return {{}};
}}

}}  // namespace llmroof
)",
      fmt::arg("dir", dir.filename().string()), fmt::arg("functions", functions),
      fmt::arg("device_schema", devices.schema_version),
      fmt::arg("device_count", devices.devices.size()), fmt::arg("device_calls", device_calls),
      fmt::arg("families", list(devices.families, [](const FamilyAlias& f) { return emit(f); })),
      fmt::arg("configured_count", configured.devices.size()),
      fmt::arg("configured_calls", configured_calls),
      fmt::arg("configured_families",
               list(configured.families, [](const FamilyAlias& f) { return emit(f); })),
      fmt::arg("configured_architectures",
               list(configured.architectures, [](const ChipArchitecture& a) { return emit(a); })),
      fmt::arg("product_schema", product_db.schema_version),
      fmt::arg("product_list", list(product_db.products, [](const Product& p) { return emit(p); })),
      fmt::arg("architectures",
               list(devices.architectures, [](const ChipArchitecture& a) { return emit(a); })),
      fmt::arg("provenance_entries", provenance_entries),
      fmt::arg("model_schema", models.schema_version),
      fmt::arg("model_count", models.models.size()), fmt::arg("model_calls", model_calls),
      fmt::arg("ollama_tags", list(models.ollama_tags, [](const OllamaTag& t) { return emit(t); })),
      fmt::arg("efficiency_schema", e.schema_version),
      fmt::arg("efficiency_description", lit(e.description)),
      fmt::arg("matmul_half_rows", lit(e.matmul_half_rows)),
      fmt::arg("ubatch_tokens", lit(e.ubatch_tokens)), fmt::arg("moe_layer_s", lit(e.moe_layer_s)),
      fmt::arg("power_limit_exponent", lit(e.power_limit_exponent)),
      fmt::arg("formats", list(e.formats, [](const WeightFormat& f) { return emit(f); })),
      fmt::arg("fitted_on", fitted_on),
      fmt::arg("accuracy", list(e.accuracy, [](const AccuracyFigure& a) { return emit(a); })),
      fmt::arg("classes", list(e.classes, [](const EfficiencyClass& c) { return emit(c); })),
      fmt::arg("link_schema", links.schema_version),
      fmt::arg("link_description", lit(links.description)),
      fmt::arg("link_list", list(links.links, [](const Link& l) { return emit(l); })),
      fmt::arg("aliases", c_literal(aliases)), fmt::arg("aliases_bytes", aliases.size()),
      fmt::arg("prior", c_literal(prior)), fmt::arg("prior_bytes", prior.size()),
      fmt::arg("products", c_literal(products)), fmt::arg("products_bytes", products.size()));
  return out;
}

}  // namespace
}  // namespace llmroof

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: llmroof_datagen DATA_DIR OUTPUT.cpp\n", stderr);
    return 2;
  }
  try {
    const std::string code = llmroof::generate(argv[1]);
    const std::filesystem::path output = argv[2];
    std::error_code ec;
    if (std::filesystem::exists(output, ec) && llmroof::read_file(output) == code) {
      return 0;  // unchanged: nothing that includes it rebuilds
    }
    std::ofstream out(output, std::ios::binary | std::ios::trunc);
    out << code;
    if (!out.flush()) {
      std::fprintf(stderr, "llmroof_datagen: cannot write '%s'\n", argv[2]);
      return 1;
    }
  } catch (const llmroof::DataError& e) {
    for (const auto& message : e.messages()) {
      std::fprintf(stderr, "llmroof_datagen: error: %s\n", message.c_str());
    }
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llmroof_datagen: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
