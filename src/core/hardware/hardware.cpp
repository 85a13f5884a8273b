#include "llmroof/hardware/hardware.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "data/json_reader.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/numbers.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

namespace {

constexpr std::array<std::string_view, 5> k_kind_names = {"gpu", "igpu", "apple-soc", "soc", "cpu"};
constexpr std::array<std::string_view, k_precision_count> k_precision_names = {
    "fp32", "fp16", "bf16", "fp8", "int8", "int4"};

// Datasheet field of each precision's dense peak, in TFLOPS (or TOPS for integers).
constexpr std::array<std::string_view, k_precision_count> k_peak_fields = {
    "fp32_tflops", "fp16_tflops", "bf16_tflops", "fp8_tflops", "int8_tops", "int4_tops"};

const std::vector<std::string> k_segments = {"datacenter", "workstation", "desktop", "laptop",
                                             "edge",       "phone",       "sbc",     "server"};
const std::vector<std::string> k_backends = {"cuda", "rocm", "metal", "vulkan",
                                             "sycl", "cpu",  "opencl"};
const std::vector<std::string> k_isas = {
    "x86-sse",         "x86-avx2",  "x86-avx512",  "x86-amx", "arm64-neon", "arm64-neon-dotprod",
    "arm64-neon-i8mm", "arm64-sve", "riscv64-rvv", "riscv64"};
const std::vector<std::string> k_verification = {"V", "K", "D"};

std::vector<std::string> kind_list() { return {k_kind_names.begin(), k_kind_names.end()}; }

// A hybrid CPU's performance cores `key` (optional) and their source `source_key` (required
// with it), at most `cores` where that is known (> 0). The keys are literals: the reader keeps
// views of the keys it has read.
void read_performance_cores(detail::ObjectReader& r, std::string_view key,
                            std::string_view source_key, int cores, int& performance_cores,
                            std::string& source) {
  if (auto p = r.small_integer(key, detail::Check::positive, false)) {
    performance_cores = *p;
    source = r.string(source_key, true);
    if (cores > 0 && *p > cores) {
      r.diagnostics().add(r.child_pointer(key),
                          fmt::format("{} performance cores of {} cores", *p, cores));
    }
  }
}

CpuSpec read_cpu(detail::ObjectReader& r) {
  CpuSpec cpu;
  cpu.cores = r.small_integer("cores", detail::Check::positive, true).value_or(0);
  cpu.isa = r.one_of("isa", k_isas, true).value_or("");
  cpu.fp32_flops_per_s =
      r.number("fp32_tflops", detail::Check::positive, true).value_or(0) * units::k_tera;
  cpu.mem_bw_bytes_per_s =
      r.number("memory_bandwidth_gb_per_s", detail::Check::positive, false).value_or(0) *
      units::k_gb;
  cpu.source = r.string("source", true);
  read_performance_cores(r, "performance_cores", "performance_cores_source", cpu.cores,
                         cpu.performance_cores, cpu.performance_cores_source);
  r.finish();
  return cpu;
}

void read_sources(const nlohmann::json& value, const std::string& pointer,
                  detail::Diagnostics& diagnostics, DeviceSources& out) {
  detail::ObjectReader sr(value, pointer, diagnostics);
  out.memory = sr.string("memory", true);
  out.compute = sr.string("compute", true);
  out.power_price = sr.string("power_price", true);
  sr.finish();
}

Device read_device(const nlohmann::json& value, const std::string& pointer,
                   detail::Diagnostics& diagnostics, bool strict, const std::string& origin) {
  using detail::Check;
  detail::ObjectReader r(value, pointer, diagnostics);
  Device d;
  d.origin = origin;
  if (!r.is_object()) {
    return d;
  }
  d.id = r.string("id", true);
  d.aliases = r.string_array("aliases", false);
  d.vendor = r.string("vendor", true);
  d.name = r.string("name", true);
  if (auto kind = r.one_of("kind", kind_list(), true)) {
    d.kind = *parse_device_kind(*kind);
  }
  d.segment = r.one_of("segment", k_segments, strict).value_or("");
  d.architecture = r.optional_string("architecture").value_or("");
  d.backend = r.one_of("backend", k_backends, strict).value_or("");
  d.memory_sizes_bytes = r.number_array("memory_sizes_gib", Check::positive, true);
  for (double& size : d.memory_sizes_bytes) {
    size *= units::k_gib;
  }
  std::sort(d.memory_sizes_bytes.begin(), d.memory_sizes_bytes.end());
  d.memory_type = r.optional_string("memory_type").value_or("");
  d.bus_width_bits = r.small_integer("bus_width_bits", Check::positive, false).value_or(0);
  d.mem_bw_bytes_per_s =
      r.number("memory_bandwidth_gb_per_s", Check::positive, true).value_or(0) * units::k_gb;
  for (std::size_t i = 0; i < k_precision_count; ++i) {
    const bool required = i == static_cast<std::size_t>(Precision::fp32);
    d.peak_flops_per_s[i] =
        r.number(k_peak_fields[i], Check::positive, required).value_or(0) * units::k_tera;
  }
  d.matrix_fp16_flops_per_s =
      r.number("matrix_fp16_tflops", Check::positive, false).value_or(0) * units::k_tera;
  d.npu_ops_per_s = r.number("npu_tops", Check::positive, false).value_or(0) * units::k_tera;
  d.gpu_cores = r.small_integer("gpu_cores", Check::positive, false).value_or(0);
  d.cpu_isa = r.one_of("cpu_isa", k_isas, false).value_or("");
  d.cpu_cores = r.small_integer("cpu_cores", Check::positive, false).value_or(0);
  d.cpu_threads = r.small_integer("cpu_threads", Check::positive, false).value_or(0);
  read_performance_cores(r, "cpu_performance_cores", "cpu_performance_cores_source", d.cpu_cores,
                         d.cpu_performance_cores, d.cpu_performance_cores_source);

  if (const auto* cpu = r.child("cpu", false)) {
    detail::ObjectReader cr(*cpu, r.child_pointer("cpu"), diagnostics);
    if (cr.is_object()) {
      d.cpu = read_cpu(cr);
    }
  }
  d.tdp_w = r.number("tdp_w", Check::positive, false).value_or(0);
  d.launch_year = r.small_integer("launch_year", Check::positive, strict).value_or(0);
  d.launch_price_usd = r.number("launch_price_usd", Check::positive, false);
  d.price_note = r.optional_string("price_note").value_or("");
  // Provenance may be inline (a user's file); the shipped database keeps it in
  // device-sources.json, which attach_device_sources() checks entry by entry.
  if (const auto* sources = r.child("sources", false)) {
    read_sources(*sources, r.child_pointer("sources"), diagnostics, d.sources);
  }
  d.verification = r.one_of("verification", k_verification, false).value_or("");
  d.notes = r.optional_string("notes").value_or("");
  const std::vector<std::string> kinds = {"vendor_peak", "measured_sustained"};
  auto kind_of = [&](std::string_view key) {
    return r.one_of(key, kinds, false).value_or("vendor_peak") == "measured_sustained"
               ? FigureKind::measured_sustained
               : FigureKind::vendor_peak;
  };
  d.mem_bw_kind = kind_of("memory_bandwidth_kind");
  d.fp32_kind = kind_of("fp32_kind");
  if (const auto* measured = r.child("measured", false)) {
    detail::ObjectReader mr(*measured, r.child_pointer("measured"), diagnostics);
    if (mr.is_object()) {
      d.measured_date = mr.string("date", true);
      d.measured_method = mr.string("method", true);
      if (const auto* rows = mr.child("per_thread", true); rows != nullptr && rows->is_array()) {
        for (std::size_t i = 0; i < rows->size(); ++i) {
          detail::ObjectReader tr(
              (*rows)[i], fmt::format("{}/{}", mr.child_pointer("per_thread"), i), diagnostics);
          if (!tr.is_object()) {
            continue;
          }
          ThreadRates t;
          t.threads = tr.small_integer("threads", Check::positive, true).value_or(0);
          t.read_bytes_per_s =
              tr.number("read_gb_per_s", Check::positive, true).value_or(0) * units::k_gb;
          t.fp32_flops_per_s =
              tr.number("fp32_tflops", Check::positive, true).value_or(0) * units::k_tera;
          tr.finish();
          if (!d.measured_per_thread.empty() && t.threads <= d.measured_per_thread.back().threads) {
            diagnostics.add(mr.child_pointer("per_thread"), "thread counts must ascend");
          }
          d.measured_per_thread.push_back(t);
        }
      }
      mr.finish();
    }
  }
  if (const auto* link = r.child("interconnect", false)) {
    detail::ObjectReader lr(*link, r.child_pointer("interconnect"), diagnostics);
    lr.string("name", true);
    lr.number("gb_per_s", Check::positive, true);
    lr.finish();
  }
  if (d.kind == DeviceKind::cpu && d.cpu_isa.empty() && strict) {
    diagnostics.add(pointer, "a device of kind 'cpu' needs 'cpu_isa'");
  }
  // Plausibility: a bandwidth outside 1 GB/s .. 100 TB/s is a unit mistake.
  if (d.mem_bw_bytes_per_s > 0 && (d.mem_bw_bytes_per_s < 1e9 || d.mem_bw_bytes_per_s > 1e14)) {
    diagnostics.add(pointer + "/memory_bandwidth_gb_per_s",
                    "implausible bandwidth (expected 1 to 100000 GB/s)");
  }
  r.finish();
  return d;
}

const std::vector<std::string> k_capabilities = {
    "dp4a", "fast_fp16", "fp16_matrix", "bf16_matrix", "int8_matrix", "fp8_matrix", "fp4_matrix"};

ChipArchitecture read_architecture(detail::ObjectReader& r) {
  ChipArchitecture a;
  a.id = r.string("id", true);
  a.generation = r.string("generation", true);
  a.name = r.string("name", true);
  a.compute_capability = r.number("compute_capability", detail::Check::positive, false).value_or(0);
  for (const auto& flag : r.string_array("capabilities", true)) {
    if (std::find(k_capabilities.begin(), k_capabilities.end(), flag) == k_capabilities.end()) {
      r.diagnostics().add(r.child_pointer("capabilities"),
                          fmt::format("unknown capability '{}' (known: {})", flag,
                                      fmt::join(k_capabilities, ", ")));
    }
    a.capabilities.push_back(flag);
  }
  a.source = r.string("source", true);
  if (auto f = r.number("mma_sync_fraction", detail::Check::positive, false)) {
    if (*f > 1) {
      r.diagnostics().add(r.child_pointer("mma_sync_fraction"),
                          fmt::format("a share of the peak above 1 is not physical, got {}", *f));
    }
    a.mma_sync_fraction = *f;
    a.mma_sync_source = r.string("mma_sync_source", true);
  } else if (r.optional_string("mma_sync_source")) {
    r.diagnostics().add(r.child_pointer("mma_sync_source"), "a source without mma_sync_fraction");
  }
  if (auto w = r.number("native_simd_width", detail::Check::positive, false)) {
    if (*w != std::floor(*w) || *w > 128) {
      r.diagnostics().add(r.child_pointer("native_simd_width"),
                          fmt::format("expected a whole number of lanes up to 128, got {}", *w));
    }
    a.native_simd_width = static_cast<int>(*w);
    a.native_simd_source = r.string("native_simd_source", true);
  } else if (r.optional_string("native_simd_source")) {
    r.diagnostics().add(r.child_pointer("native_simd_source"),
                        "a source without native_simd_width");
  }
  r.finish();
  return a;
}

// Each architecture's reference energy per FLOP: the median tdp / FP32 peak of its desktop
// parts (of all its parts where none is a desktop part).
void set_reference_power(DeviceDb& db) {
  for (auto& a : db.architectures) {
    std::vector<double> desktop;
    std::vector<double> all;
    for (const auto& d : db.devices) {
      const double fp32 = d.peak(Precision::fp32);
      if (d.architecture != a.id || d.tdp_w <= 0 || fp32 <= 0) {
        continue;
      }
      all.push_back(d.tdp_w / fp32);
      if (d.segment == "desktop") {
        desktop.push_back(d.tdp_w / fp32);
      }
    }
    std::vector<double>& v = desktop.empty() ? all : desktop;
    if (v.empty()) {
      continue;
    }
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    a.reference_joules_per_flop = n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  }
}

// Gives every device of `db` whose architecture is known its entry; returns the devices that
// name an unknown one.
std::vector<std::string> resolve_architectures(DeviceDb& db) {
  std::vector<std::string> problems;
  std::unordered_map<std::string, const ChipArchitecture*> by_id;
  for (const auto& a : db.architectures) {
    by_id.emplace(a.id, &a);
  }
  for (auto& d : db.devices) {
    if (d.architecture.empty()) {
      d.arch = ChipArchitecture{};
      continue;
    }
    const auto it = by_id.find(d.architecture);
    if (it == by_id.end()) {
      problems.push_back(
          fmt::format("device '{}' names unknown architecture '{}'", d.id, d.architecture));
      d.arch = ChipArchitecture{};
    } else {
      d.arch = *it->second;
    }
  }
  return problems;
}

}  // namespace

bool ChipArchitecture::has(std::string_view flag) const {
  return std::find(capabilities.begin(), capabilities.end(), flag) != capabilities.end();
}

const ChipArchitecture* find_architecture(const DeviceDb& db, std::string_view id) {
  for (const auto& a : db.architectures) {
    if (a.id == id) {
      return &a;
    }
  }
  return nullptr;
}

std::string device_generation(const Device& device) {
  if (!device.arch.generation.empty()) {
    return device.arch.generation;
  }
  if (!device.architecture.empty()) {
    return device.architecture;
  }
  return fmt::format("{}-{}", normalize_key(device.vendor), to_string(device.kind));
}

std::string_view to_string(DeviceKind kind) { return k_kind_names[static_cast<std::size_t>(kind)]; }

std::optional<DeviceKind> parse_device_kind(std::string_view text) {
  const std::string key = normalize_key(text);
  for (std::size_t i = 0; i < k_kind_names.size(); ++i) {
    if (normalize_key(k_kind_names[i]) == key) {
      return static_cast<DeviceKind>(i);
    }
  }
  return std::nullopt;
}

std::string_view to_string(Precision precision) {
  return k_precision_names[static_cast<std::size_t>(precision)];
}

std::optional<Precision> parse_precision(std::string_view text) {
  const std::string key = normalize_key(text);
  for (std::size_t i = 0; i < k_precision_names.size(); ++i) {
    if (k_precision_names[i] == key) {
      return static_cast<Precision>(i);
    }
  }
  return std::nullopt;
}

double Device::max_memory_bytes() const {
  return memory_sizes_bytes.empty() ? 0.0 : memory_sizes_bytes.back();
}

std::vector<std::pair<std::string, DeviceProvenance>> parse_device_sources(
    std::string_view text, const std::string& display_name) {
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  const auto version = top.integer("schema_version", detail::Check::positive, true).value_or(0);
  if (version > 1) {
    diagnostics.add("/schema_version",
                    fmt::format("unsupported schema_version {} (this llmroof reads 1)", version));
  }
  top.optional_string("description");
  std::vector<std::pair<std::string, DeviceProvenance>> out;
  if (const auto* entries = top.child("provenance", true)) {
    if (!entries->is_object()) {
      diagnostics.add("/provenance", "expected an object of device ids");
    } else {
      for (auto it = entries->begin(); it != entries->end(); ++it) {
        const std::string pointer = "/provenance/" + detail::pointer_token(it.key());
        detail::ObjectReader r(it.value(), pointer, diagnostics);
        DeviceProvenance p;
        if (const auto* sources = r.child("sources", true)) {
          read_sources(*sources, r.child_pointer("sources"), diagnostics, p.sources);
        }
        p.verification = r.one_of("verification", k_verification, true).value_or("");
        p.notes = r.optional_string("notes").value_or("");
        p.price_note = r.optional_string("price_note").value_or("");
        r.finish();
        out.emplace_back(it.key(), std::move(p));
      }
    }
  }
  top.finish();
  diagnostics.throw_if_any(text, display_name);
  return out;
}

std::vector<std::string> attach_device_sources(
    DeviceDb& db, const std::vector<std::pair<std::string, DeviceProvenance>>& provenance) {
  std::vector<std::string> problems;
  std::map<std::string, const DeviceProvenance*> by_id;
  for (const auto& [id, p] : provenance) {
    by_id.emplace(id, &p);
  }
  const std::map<std::string, const DeviceProvenance*> chips = by_id;
  for (auto& d : db.devices) {
    if (!d.configuration_of.empty()) {
      // A memory configuration: its chip's sources, and its own for the price.
      if (const auto chip = chips.find(d.configuration_of); chip != chips.end()) {
        const std::string price_source = d.sources.power_price;
        d.sources = chip->second->sources;
        d.sources.power_price = price_source;
        d.verification = chip->second->verification;
        d.notes = chip->second->notes;
      }
      continue;
    }
    const auto it = by_id.find(d.id);
    if (it == by_id.end()) {
      if (d.sources.memory.empty()) {
        problems.push_back(fmt::format("device '{}' has no sources", d.id));
      }
      continue;
    }
    const DeviceProvenance& p = *it->second;
    d.sources = p.sources;
    d.verification = p.verification;
    d.notes = p.notes;
    d.price_note = p.price_note;
    by_id.erase(it);
  }
  for (const auto& [id, p] : by_id) {
    problems.push_back(fmt::format("sources for unknown device '{}'", id));
  }
  return problems;
}

DeviceDb parse_devices(std::string_view text, const std::string& display_name) {
  const nlohmann::json doc = detail::parse_json_text(text, display_name);
  detail::Diagnostics diagnostics;
  detail::ObjectReader top(doc, "", diagnostics);
  DeviceDb db;
  db.schema_version =
      top.small_integer("schema_version", detail::Check::positive, true).value_or(0);
  if (db.schema_version != 0 && db.schema_version != 1) {
    diagnostics.add(
        "/schema_version",
        fmt::format("unsupported schema_version {} (this llmroof reads 1)", db.schema_version));
  }
  top.optional_string("description");
  // Shipped databases carry provenance for every number; a user's --device-file may omit it.
  const bool strict = top.boolean("strict", false).value_or(true);
  top.each_element(
      "devices", true, {"devices"}, [&](const nlohmann::json& value, const std::string& pointer) {
        db.devices.push_back(read_device(value, pointer, diagnostics, strict, display_name));
      });
  top.each_object("family_aliases", false, [&](detail::ObjectReader& fr) {
    FamilyAlias family;
    family.alias = fr.string("alias", true);
    family.device = fr.string("device", true);
    family.covers = fr.string_array("covers", true);
    family.note = fr.string("note", true);
    fr.finish();
    db.families.push_back(std::move(family));
  });
  top.each_object("architectures", false, [&](detail::ObjectReader& ar) {
    if (ar.is_object()) {
      db.architectures.push_back(read_architecture(ar));
    }
  });
  top.finish();
  diagnostics.throw_if_any(text, display_name);
  // A user's file may name architectures of the shipped database: merge_devices resolves those.
  // A database with an architectures table (the shipped one) gives every device one of them.
  auto problems = check_device_db(db);
  if (!db.architectures.empty()) {
    set_reference_power(db);
    auto unknown = resolve_architectures(db);
    problems.insert(problems.end(), unknown.begin(), unknown.end());
    for (const auto& d : db.devices) {
      if (d.architecture.empty()) {
        problems.push_back(fmt::format("device '{}' has no 'architecture'", d.id));
      }
    }
  }
  throw_if_problems(std::move(problems), display_name);
  return db;
}

std::vector<std::string> check_device_db(const DeviceDb& db) {
  std::vector<std::string> problems;
  NameClaims names;
  auto claim = [&](const std::string& name, const std::string& owner) {
    if (auto other = names.claim(name, owner)) {
      problems.push_back(
          fmt::format("name '{}' of '{}' is already used by '{}'", name, owner, *other));
    }
  };
  std::map<std::string, int> ids;
  for (const auto& d : db.devices) {
    if (++ids[d.id] > 1) {
      problems.push_back(fmt::format("duplicate device id '{}'", d.id));
    }
    claim(d.id, d.id);
    for (const auto& alias : d.aliases) {
      claim(alias, d.id);
    }
  }
  std::map<std::string, int> arch_ids;
  for (const auto& a : db.architectures) {
    if (++arch_ids[a.id] > 1) {
      problems.push_back(fmt::format("duplicate architecture id '{}'", a.id));
    }
  }
  for (const auto& f : db.families) {
    claim(f.alias, "family " + f.alias);
    if (ids.find(f.device) == ids.end()) {
      problems.push_back(
          fmt::format("family alias '{}' points at unknown device '{}'", f.alias, f.device));
    }
    for (const auto& c : f.covers) {
      if (ids.find(c) == ids.end()) {
        problems.push_back(fmt::format("family alias '{}' covers unknown device '{}'", f.alias, c));
      }
    }
  }
  return problems;
}

std::vector<std::string> merge_devices(DeviceDb& db, DeviceDb extra) {
  // One hash lookup per entry: 100k devices merged in linear time (a search per entry took 88 s).
  std::unordered_map<std::string, std::size_t> index;
  index.reserve(db.devices.size() + extra.devices.size());
  for (std::size_t i = 0; i < db.devices.size(); ++i) {
    index.emplace(db.devices[i].id, i);
  }
  const std::size_t shipped = db.devices.size();
  std::vector<std::string> replaced;
  for (auto& device : extra.devices) {
    const auto [it, inserted] = index.emplace(device.id, db.devices.size());
    if (inserted) {
      db.devices.push_back(std::move(device));
    } else {
      if (it->second < shipped) {
        replaced.push_back(device.id);
      }
      db.devices[it->second] = std::move(device);
    }
  }
  for (auto& family : extra.families) {
    db.families.push_back(std::move(family));
  }
  for (auto& arch : extra.architectures) {
    auto it = std::find_if(db.architectures.begin(), db.architectures.end(),
                           [&](const ChipArchitecture& a) { return a.id == arch.id; });
    if (it != db.architectures.end()) {
      *it = std::move(arch);
    } else {
      db.architectures.push_back(std::move(arch));
    }
  }
  auto problems = check_device_db(db);
  auto unknown = resolve_architectures(db);
  problems.insert(problems.end(), unknown.begin(), unknown.end());
  if (!problems.empty()) {
    throw DataError(std::move(problems));
  }
  return replaced;
}

namespace {

// "24gb", "24 GB", "24g", "24gib", "24" -> 24 GiB in bytes; nullopt for other text.
std::optional<double> memory_size_bytes(std::string_view text) {
  std::string key = normalize_key(text);
  for (std::string_view unit : {"gib", "gb", "g"}) {
    if (key.size() > unit.size() && key.compare(key.size() - unit.size(), unit.size(), unit) == 0) {
      key.resize(key.size() - unit.size());
      break;
    }
  }
  const auto parsed = parse_double(key);
  if (parsed.status != NumberStatus::ok || !(parsed.value > 0)) {
    return std::nullopt;
  }
  return parsed.value * units::k_gib;
}

}  // namespace

const Device* sized_part(const DeviceDb& db, const Device& chip, double memory_bytes) {
  const auto& sizes = chip.memory_sizes_bytes;
  if (!chip.configuration_of.empty() || sizes.size() < 2 ||
      std::none_of(sizes.begin(), sizes.end(),
                   [&](double s) { return std::fabs(s - memory_bytes) < 1; }) ||
      std::any_of(db.devices.begin(), db.devices.end(),
                  [&](const Device& d) { return d.configuration_of == chip.id; })) {
    return nullptr;
  }
  const std::string id = fmt::format("{}@{:g}gb", chip.id, memory_bytes / units::k_gib);
  for (const auto& d : db.sized_parts) {
    if (d.id == id) {
      return &d;
    }
  }
  Device d = chip;
  d.id = id;
  d.name = fmt::format("{}, {:g} GB", chip.name, memory_bytes / units::k_gib);
  d.configuration_of = chip.id;
  d.memory_sizes_bytes = {memory_bytes};
  d.aliases.clear();
  d.smallest_memory_price_usd.reset();
  if (chip.smallest_memory_price_usd) {
    const double smallest = *std::min_element(sizes.begin(), sizes.end());
    d.launch_price_usd =
        std::fabs(memory_bytes - smallest) < 1 ? chip.smallest_memory_price_usd : std::nullopt;
  }
  db.sized_parts.push_back(std::move(d));
  return &db.sized_parts.back();
}

namespace {

// Every size "CHIP@SIZE" names for the resolved `chip`, best first: its memory configurations,
// or for a chip in several sizes that no configuration covers, its sized parts;
// the chip itself when it is sold in one size ("rtx-4090@24gb"); under a family name, the
// family's variants sold in one size, in the family's order ("a100@40gb").
std::vector<std::pair<double, DeviceMatch>> sized_variants(const DeviceDb& db,
                                                           const DeviceMatch& chip) {
  std::vector<std::pair<double, DeviceMatch>> out;
  auto sold_in_one_size = [](const Device& d) {
    return d.configuration_of.empty() && d.memory_sizes_bytes.size() == 1;
  };
  for (double size : chip.device->memory_sizes_bytes) {
    if (const Device* part = sized_part(db, *chip.device, size)) {
      out.emplace_back(size, DeviceMatch{part, chip.family});
    }
  }
  for (const auto& d : db.devices) {
    if (d.configuration_of == chip.device->id && !d.memory_sizes_bytes.empty()) {
      out.emplace_back(d.memory_sizes_bytes.front(), DeviceMatch{&d, chip.family});
    }
  }
  if (sold_in_one_size(*chip.device)) {
    out.emplace_back(chip.device->memory_sizes_bytes.front(), chip);
  }
  if (chip.family != nullptr) {
    for (const auto& id : chip.family->covers) {
      for (const auto& d : db.devices) {
        if (d.id == id && sold_in_one_size(d)) {
          out.emplace_back(d.memory_sizes_bytes.front(), DeviceMatch{&d, chip.family});
        }
      }
    }
  }
  return out;
}

}  // namespace

std::optional<DeviceMatch> find_device(const DeviceDb& db, std::string_view name) {
  const std::string key = normalize_key(name);
  if (key.empty()) {
    return std::nullopt;
  }
  // DEVICE@SIZE: a memory configuration of any name of its chip ("m4-pro@24gb").
  if (const std::size_t at = name.rfind('@'); at != std::string_view::npos) {
    const auto chip = find_device(db, name.substr(0, at));
    const auto bytes = memory_size_bytes(name.substr(at + 1));
    if (chip && bytes) {
      for (const auto& [size, variant] : sized_variants(db, *chip)) {
        if (std::fabs(size - *bytes) < 1) {
          return variant;
        }
      }
    }
  }
  for (const auto& d : db.devices) {
    if (matches_key(d.id, key)) {
      return DeviceMatch{&d, nullptr};
    }
  }
  for (const auto& d : db.devices) {
    for (const auto& alias : d.aliases) {
      if (matches_key(alias, key)) {
        return DeviceMatch{&d, nullptr};
      }
    }
  }
  auto family_match = [&db](const FamilyAlias& f) -> std::optional<DeviceMatch> {
    for (const auto& d : db.devices) {
      if (d.id == f.device) {
        return DeviceMatch{&d, &f};
      }
    }
    return std::nullopt;
  };
  for (const auto& f : db.families) {
    if (matches_key(f.alias, key)) {
      return family_match(f);
    }
  }
  // What people type ("4090 laptop", "pi4", "nvidia h100 pcie"): the loose key, when it names
  // one device only; a key that names several is no answer (the caller suggests them).
  const std::string loose = loose_device_key(name);
  if (loose.empty()) {
    return std::nullopt;
  }
  const Device* found = nullptr;
  bool ambiguous = false;
  for (const auto& d : db.devices) {
    bool hit = loose_device_key(d.id) == loose;
    for (std::size_t i = 0; !hit && i < d.aliases.size(); ++i) {
      hit = loose_device_key(d.aliases[i]) == loose;
    }
    if (hit) {
      ambiguous = ambiguous || (found != nullptr && found != &d);
      found = &d;
    }
  }
  if (found != nullptr) {
    return ambiguous ? std::nullopt : std::optional<DeviceMatch>(DeviceMatch{found, nullptr});
  }
  const FamilyAlias* family = nullptr;
  for (const auto& f : db.families) {
    if (loose_device_key(f.alias) == loose) {
      if (family != nullptr) {
        return std::nullopt;
      }
      family = &f;
    }
  }
  return family != nullptr ? family_match(*family) : std::nullopt;
}

namespace {

// For "CHIP@SIZE" whose chip is known but not in that size: the message naming the sizes
// "CHIP@SIZE" does name (sized_variants), and those names as suggestions; nullopt for any
// other name, and for a chip with no such size.
std::optional<std::pair<std::string, std::vector<std::string>>> memory_size_error(
    const DeviceDb& db, std::string_view name) {
  const std::size_t at = name.rfind('@');
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view prefix = name.substr(0, at);
  const auto chip = find_device(db, prefix);
  if (!chip) {
    return std::nullopt;
  }
  // find_device did not resolve the name, so the size is none of these.
  std::vector<double> sizes;
  for (const auto& [size, variant] : sized_variants(db, *chip)) {
    sizes.push_back(size);
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  std::vector<std::string> listed;
  std::vector<std::string> names;
  for (double bytes : sizes) {
    listed.push_back(fmt::format("{:g} GB", bytes / units::k_gib));
    names.push_back(fmt::format("{}@{:g}gb", prefix, bytes / units::k_gib));
  }
  if (names.empty()) {
    return std::nullopt;
  }
  const std::string resolved = normalize_key(prefix) == normalize_key(chip->device->id)
                                   ? std::string()
                                   : fmt::format(" ({})", chip->device->id);
  return std::pair{
      fmt::format("'{}'{} comes in {}, not '{}'; name one as {}", prefix, resolved,
                  fmt::join(listed, ", "), name.substr(at + 1), fmt::join(names, ", ")),
      std::move(names)};
}

// A filter word selects devices by vendor, kind or segment.
bool matches_filter(const Device& d, const std::string& key) {
  return normalize_key(d.vendor) == key || normalize_key(to_string(d.kind)) == key ||
         normalize_key(d.segment) == key;
}

// Up to three device ids (or family aliases) whose names are closest to `query`: an alias
// close to it suggests its device's id, once.
std::vector<std::string> closest_device_ids(const DeviceDb& db, std::string_view query) {
  std::vector<std::string> names;
  std::map<std::string, std::string> owner;  // name -> the id to suggest
  auto add = [&](const std::string& name, const std::string& id) {
    if (owner.emplace(name, id).second) {
      names.push_back(name);
    }
  };
  for (const auto& d : db.devices) {
    add(d.id, d.id);
    for (const auto& a : d.aliases) {
      add(a, d.id);
    }
  }
  for (const auto& f : db.families) {
    add(f.alias, f.alias);
  }
  std::vector<std::string> ids;
  auto push = [&ids](const std::string& id) {
    if (ids.size() < 3 && std::find(ids.begin(), ids.end(), id) == ids.end()) {
      ids.push_back(id);
    }
  };
  for (const auto& name : closest_matches(query, names, names.size())) {
    push(owner[name]);
  }
  return ids;
}

}  // namespace

std::vector<DeviceMatch> select_devices(const DeviceDb& db, std::string_view spec,
                                        std::string_view field) {
  std::vector<DeviceMatch> out;
  // A hash set: "all" over 100k user devices de-duplicated in linear time.
  std::unordered_set<const Device*> seen;
  auto add = [&out, &seen](DeviceMatch m) {
    if (seen.insert(m.device).second) {
      out.push_back(m);
    }
  };
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t comma = spec.find(',', start);
    const std::string_view part = spec.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? spec.size() + 1 : comma + 1;
    const std::string key = normalize_key(part);
    if (key.empty()) {
      throw RequestError(std::string(field), fmt::format("empty device name in '{}'", spec));
    }
    if (key == "all") {
      for (const auto& d : db.devices) {
        if (d.configuration_of.empty()) {
          add({&d, nullptr});
        }
      }
      continue;
    }
    if (auto match = find_device(db, part)) {
      add(*match);
      continue;
    }
    bool any = false;
    for (const auto& d : db.devices) {
      if (d.configuration_of.empty() && matches_filter(d, key)) {
        add({&d, nullptr});
        any = true;
      }
    }
    if (!any) {
      if (auto sizes = memory_size_error(db, part)) {
        throw RequestError(std::string(field), sizes->first, std::move(sizes->second));
      }
      auto suggestions = closest_device_ids(db, part);
      std::string hint = did_you_mean(suggestions);
      throw RequestError(std::string(field),
                         fmt::format("unknown device '{}'{}{} (list them with 'llmroof devices')",
                                     part, hint.empty() ? "" : "; ", hint),
                         std::move(suggestions));
    }
  }
  return out;
}

std::vector<std::string> runnable_backends(const Device& device) {
  std::vector<std::string> backends{device.backend};
  const auto add = [&](const std::string& backend) {
    if (std::find(backends.begin(), backends.end(), backend) == backends.end()) {
      backends.push_back(backend);
    }
  };
  if (device.kind != DeviceKind::cpu && (device.backend == "cuda" || device.backend == "rocm" ||
                                         device.backend == "sycl" || device.backend == "opencl")) {
    add("vulkan");
  }
  if (device.kind == DeviceKind::cpu || device.cpu) {
    add("cpu");
  }
  return backends;
}

std::vector<std::string> cpu_host_examples(const DeviceDb& db) {
  std::vector<std::string> ids;
  for (const Device& d : db.devices) {
    if (d.kind == DeviceKind::cpu &&
        (d.segment == "desktop" || d.segment == "workstation" || d.segment == "server") &&
        ids.size() < 4) {
      ids.push_back(d.id);
    }
  }
  return ids;
}

void require_backend(const Device& device, std::string_view backend, const DeviceDb* hosts) {
  const std::string key = normalize_key(backend);
  if (key.empty()) {
    return;
  }
  const auto backends = runnable_backends(device);
  if (std::find(backends.begin(), backends.end(), key) != backends.end()) {
    return;
  }
  std::string why;
  if (key == "cpu") {
    why = fmt::format(
        "; the data names no host CPU for {}: give one with {{backend}} cpu {{host}} DEVICE",
        device.id);
    const auto cpu_hosts =
        hosts != nullptr ? cpu_host_examples(*hosts) : std::vector<std::string>{};
    if (!cpu_hosts.empty()) {
      why += fmt::format(" (CPU devices include {}; see llmroof devices cpu)",
                         fmt::join(cpu_hosts, ", "));
    }
  }
  throw RequestError("backend", fmt::format("{{backend}} {} cannot run on {}; it runs {}{}", key,
                                            device.id, fmt::join(backends, ", "), why));
}

}  // namespace llmroof
