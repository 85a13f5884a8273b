// Mapping: measurements to devices, models, quants, backends and estimate options, with the
// scope rules (engines, branches, hosts) the realistic model is meant for.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "calibration/calibration_text.hpp"
#include "data/json_reader.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/engine/engine_model.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/lookup.hpp"
#include "llmroof/util/numbers.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

using namespace calib;  // NOLINT(google-build-using-namespace)

// --- Mapping ------------------------------------------------------------------------------------

namespace {

// Vendor words llama-bench's gpu_info and cpu_info carry that device ids leave out.
const std::vector<std::string> k_vendor_words = {
    "nvidia", "geforce", "amd",   "radeon",   "intel(r)",  "intel",    "core(tm)",
    "(tm)",   "(r)",     "apple", "qualcomm", "processor", "graphics", "gpu"};

// Backend ids llmroof knows (efficiency classes, --backend).
std::string normalize_backend(std::string_view stated) {
  const std::string b = lower(stated);
  if (b.find("cuda") != std::string::npos) {
    return "cuda";
  }
  if (b.find("rocm") != std::string::npos || b.find("hip") != std::string::npos) {
    return "rocm";
  }
  if (b.find("metal") != std::string::npos) {
    return "metal";
  }
  if (b.find("vulkan") != std::string::npos) {
    return "vulkan";
  }
  if (b.find("sycl") != std::string::npos) {
    return "sycl";
  }
  if (b.find("opencl") != std::string::npos) {
    return "opencl";
  }
  if (b == "cpu" || b == "blas" || b.find("cpu") == 0) {
    return b.find('/') == std::string::npos ? "cpu" : "";
  }
  return "";
}

}  // namespace

std::optional<int> llama_cpp_build(std::string_view engine) {
  // "llama.cpp build d46dbc76 (2833)", "llama.cpp 141a908a (5298)": the number in parentheses;
  // else a "b4426"-style release tag.
  // The run of digits from `i` (it ends at `end`) as a build number of at most six digits.
  auto digits_at = [&](std::size_t i, std::size_t& end) -> std::optional<int> {
    end = i;
    while (end < engine.size() && engine[end] >= '0' && engine[end] <= '9') {
      ++end;
    }
    const auto n = end - i <= 6 ? to_int64(engine.substr(i, end - i)) : std::nullopt;
    return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
  };
  for (std::size_t i = 0; i < engine.size(); ++i) {
    std::size_t end = 0;
    if (engine[i] == '(') {
      if (auto n = digits_at(i + 1, end); n && end < engine.size() && engine[end] == ')') {
        return n;
      }
    }
    if (engine[i] == 'b' && (i == 0 || engine[i - 1] == ' ')) {
      if (auto n = digits_at(i + 1, end);
          n && *n >= 100 && (end == engine.size() || engine[end] == ' ' || engine[end] == ',')) {
        return n;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> llama_cpp_date(std::string_view engine) {
  auto digit = [&](std::size_t i) { return engine[i] >= '0' && engine[i] <= '9'; };
  for (std::size_t i = 0; i + 10 <= engine.size(); ++i) {
    const bool date = digit(i) && digit(i + 1) && digit(i + 2) && digit(i + 3) &&
                      engine[i + 4] == '-' && digit(i + 5) && digit(i + 6) &&
                      engine[i + 7] == '-' && digit(i + 8) && digit(i + 9);
    const bool bounded = (i == 0 || !digit(i - 1)) && (i + 10 == engine.size() || !digit(i + 10));
    if (date && bounded) {
      return std::string(engine.substr(i, 10));
    }
  }
  return std::nullopt;
}

namespace {

// Vulkan engines earlier than the kernels the model describes, whose rows measure something
// else. The Vulkan backend's first kernels (merged January 2024) were rewritten by PR #5835,
// "Vulkan Improvements", under review on 2024-03-05
// (https://github.com/ggml-org/llama.cpp/pull/5835): on the thread's RX 6700 XT, decode went from
// 23.7 (master of 2024-03-03) to 41.8 tok/s. Flash attention on Vulkan had only NVIDIA's
// coopmat2 path until PR #13324 added a scalar one
// (https://github.com/ggml-org/llama.cpp/pull/13324): there, build 5298 (141a908) with -fa 1
// ran an RTX 2070 without coopmat at 140 / 35.9 tok/s (pp512 / tg128) against 462 / 63.0
// without flash attention, the attention running on the CPU.
constexpr std::string_view k_vulkan_rewrite_date = "2024-03-05";
constexpr int k_vulkan_last_build_without_scalar_fa = 5298;

// `build`: the row's llama.cpp build number (llama_cpp_build), 0 when it names none.
std::optional<std::string> earlier_vulkan(const Measurement& m, const std::string& backend,
                                          int build) {
  if (backend != "vulkan") {
    return std::nullopt;
  }
  if (const auto date = llama_cpp_date(m.engine); date && *date < k_vulkan_rewrite_date) {
    return fmt::format(
        "Vulkan of {}: the backend's first kernels, before PR #5835 rewrote them (March 2024)",
        *date);
  }
  if (m.flash_attention && build > 0 && build <= k_vulkan_last_build_without_scalar_fa) {
    return fmt::format(
        "flash attention on Vulkan at build {}: before PR #13324 only NVIDIA's coopmat2 path had "
        "it, elsewhere the attention ran on the CPU",
        build);
  }
  return std::nullopt;
}

// Engines other than mainline llama.cpp, by a word in their name or backend: the realistic model
// describes llama.cpp's kernels, so their rows are predicted but left out of fits and statistics.
std::optional<std::string> other_engine(const Measurement& m) {
  static const std::vector<std::pair<std::string, std::string>> k_engines = {
      {"ik_llama", "ik_llama.cpp (a fork with its own CPU kernels)"},
      {"llamafile", "llamafile (its own tinyBLAS kernels)"},
      {"mlx", "MLX"},
      {"tensorrt", "TensorRT-LLM"},
      {"sglang", "SGLang"},
      {"vllm", "vLLM"},
      {"core ml", "Core ML"},
      {"coreml", "Core ML"},
      {"core ai", "Core AI"},
      {"coreai", "Core AI"}};
  for (const auto& [word, name] : k_engines) {
    if (contains(m.engine, word) || contains(m.backend, word)) {
      return name;
    }
  }
  return std::nullopt;
}

const NameAlias* find_alias(const std::vector<NameAlias>& list, std::string_view name) {
  const std::string key = normalize_key(name);
  for (const auto& a : list) {
    if (normalize_key(a.name) == key) {
      return &a;
    }
  }
  return nullptr;
}

// Candidate catalog names of a model file: "models/Qwen2.5-7B-Instruct-Q4_K_M.gguf" ->
// "Qwen2.5-7B-Instruct-Q4_K_M", "Qwen2.5-7B-Instruct", ...
std::vector<std::string> file_name_candidates(std::string_view path) {
  std::vector<std::string> out;
  std::string stem(path.substr(
      path.find_last_of("/\\") == std::string_view::npos ? 0 : path.find_last_of("/\\") + 1));
  for (const char* ext : {".gguf", ".bin"}) {
    if (stem.size() > std::string(ext).size() &&
        lower(stem.substr(stem.size() - std::string(ext).size())) == ext) {
      stem.resize(stem.size() - std::string(ext).size());
    }
  }
  out.push_back(stem);
  // Drop trailing "-Q4_K_M", ".Q8_0", "-f16", "-GGUF" parts one at a time.
  std::string s = stem;
  for (int i = 0; i < 4; ++i) {
    const auto cut = s.find_last_of("-.");
    if (cut == std::string::npos || cut == 0) {
      break;
    }
    s.resize(cut);
    out.push_back(s);
  }
  return out;
}

// The catalog model closest to `params` parameters (within 1%), preferring `arch`; nullptr.
const ModelSpec* model_by_params(const ModelCatalog& catalog, double params,
                                 std::string_view arch) {
  const ModelSpec* best = nullptr;
  double best_score = 0;
  const auto wanted = parse_architecture(arch);
  for (const auto& m : catalog.models) {
    if (m.total_params <= 0) {
      continue;
    }
    const double gap = std::abs(m.total_params / params - 1.0);
    if (gap > 0.01) {
      continue;
    }
    const double score = gap + (wanted && *wanted == m.architecture ? 0.0 : 1.0);
    if (best == nullptr || score < best_score) {
      best = &m;
      best_score = score;
    }
  }
  return best;
}

struct Resolved {
  const ModelSpec* model = nullptr;
  std::string how;  ///< caveat when the match was not by name
};

Resolved resolve_model_name(const Measurement& m, const ModelCatalog& catalog,
                            const CalibrationAliases& aliases) {
  if (const NameAlias* alias = find_alias(aliases.models, m.model)) {
    return {find_model(catalog, alias->target), ""};
  }
  if (const ModelSpec* found = find_model(catalog, m.model)) {
    return {found, ""};
  }
  if (!m.model_file.empty()) {
    for (const auto& candidate : file_name_candidates(m.model_file)) {
      if (const NameAlias* alias = find_alias(aliases.models, candidate)) {
        return {find_model(catalog, alias->target), ""};
      }
      if (const ModelSpec* found = find_model(catalog, candidate)) {
        return {found, ""};
      }
    }
  }
  if (m.model_params > 0) {
    const std::string arch(trim(m.model).substr(0, trim(m.model).find(' ')));
    if (const ModelSpec* found = model_by_params(catalog, m.model_params, arch)) {
      return {found, fmt::format("model '{}' taken as {} by its parameter count ({:.3g} B)",
                                 m.model, found->id, m.model_params / units::k_giga)};
    }
  }
  return {};
}

// Removes "Nx-" from a calibration device id; returns N (1 without a prefix).
int device_count(std::string& id) {
  std::size_t i = 0;
  while (i < id.size() && std::isdigit(static_cast<unsigned char>(id[i])) != 0) {
    ++i;
  }
  if (i > 0 && i + 1 < id.size() && id[i] == 'x' && id[i + 1] == '-') {
    if (const auto n = to_int64(std::string_view(id).substr(0, i), 1, 1 << 20)) {
      id.erase(0, i + 2);
      return static_cast<int>(*n);
    }
  }
  return 1;
}

// A device description naming a single-board computer as the host of a GPU ("RX 580 on SiFive
// HiFive Premier P550 host"): its slow CPU and narrow PCIe link add per-token costs.
bool sbc_host(std::string_view detail) {
  if (!contains(detail, " host")) {
    return false;
  }
  for (const char* board : {"raspberry pi", "sifive", "risc-v", "orange pi", "rock 5", "jetson"}) {
    if (contains(detail, board)) {
      return true;
    }
  }
  return false;
}

// Cores of the CPU that runs a CPU-backend test (0 = unknown).
// Every core of a CPU run's device, performance and efficiency cores alike.
int cpu_cores(const Device& d) {
  if (d.kind == DeviceKind::cpu) {
    return d.cpu_cores;
  }
  return d.cpu ? d.cpu->cores : 0;
}

// Test label for grouping: "tg128", "pp512", "pp512+tg128", "tg32 @ d4096", "tg32 x8".
std::string test_label(const Measurement& m) {
  std::string label;
  if (m.prompt_tokens > 0) {
    label = fmt::format("pp{}", m.prompt_tokens);
  }
  if (m.generate_tokens > 0) {
    label += fmt::format("{}tg{}", label.empty() ? "" : "+", m.generate_tokens);
  }
  if (m.sequences > 1) {
    label += fmt::format(" x{}", m.sequences);
  }
  if (m.depth_tokens > 0) {
    label += fmt::format(" @ d{}", m.depth_tokens);
  }
  return label;
}

}  // namespace

const Device* find_device_by_description(const DeviceDb& devices, std::string_view text) {
  if (auto match = find_device(devices, text)) {
    return match->device;
  }
  // Drop vendor words and core counts: "AMD Ryzen 9 7950X 16-Core Processor" -> "ryzen 9 7950x".
  std::string s = lower(text);
  for (const auto& word : k_vendor_words) {
    for (auto at = s.find(word); at != std::string::npos; at = s.find(word)) {
      s.erase(at, word.size());
    }
  }
  if (const auto core = s.find("-core"); core != std::string::npos) {
    auto begin = s.rfind(' ', core);
    s.erase(begin == std::string::npos ? 0 : begin,
            core + 5 - (begin == std::string::npos ? 0 : begin));
  }
  if (auto match = find_device(devices, s)) {
    return match->device;
  }
  if (const auto laptop = s.find("laptop"); laptop != std::string::npos) {
    if (auto match = find_device(devices, s.substr(0, laptop) + "-laptop")) {
      return match->device;
    }
  }
  return nullptr;
}

std::optional<Quant> quant_from_text(std::string_view text, const CalibrationAliases& aliases,
                                     bool& stated) {
  stated = !contains(text, "not stated");
  if (const NameAlias* alias = find_alias(aliases.quants, text)) {
    return find_quant(alias->target);
  }
  std::string s(trim(text));
  if (const auto paren = s.find(" ("); paren != std::string::npos) {
    s.resize(paren);
  }
  if (const NameAlias* alias = find_alias(aliases.quants, s)) {
    return find_quant(alias->target);
  }
  if (auto q = find_quant(preset_of_ftype_name(s))) {
    // Nominal quants ("fp16", "int4") are not llama.cpp files.
    if (q->kind != QuantKind::nominal) {
      return q;
    }
  }
  return std::nullopt;
}

MappingResult map_measurements(std::span<const Measurement> measurements, const DeviceDb& devices,
                               const ModelCatalog& models, const CalibrationAliases& aliases,
                               const MappingOptions& options) {
  MappingResult result;
  const Device* forced_device = nullptr;
  if (!options.device.empty()) {
    auto match = find_device(devices, options.device);
    if (!match) {
      throw RequestError("device",
                         fmt::format("unknown device '{}' for {{device}}", options.device));
    }
    forced_device = match->device;
  }
  const ModelSpec* forced_model = nullptr;
  if (!options.model.empty()) {
    forced_model = find_model(models, options.model);
    if (forced_model == nullptr) {
      throw RequestError("model", fmt::format("unknown model '{}' for {{model}}", options.model));
    }
  }
  std::optional<Quant> forced_quant;
  if (!options.quant.empty()) {
    forced_quant = find_quant(options.quant);
    if (!forced_quant) {
      throw RequestError("quant", fmt::format("unknown quant '{}' for {{quant}}", options.quant));
    }
  }
  auto unmapped = [&](const Measurement& m, std::string reason) {
    result.unmapped.push_back({m, std::move(reason)});
  };
  for (const Measurement& m : measurements) {
    MappedMeasurement row;
    row.measurement = m;
    // Device.
    std::string device_id = m.device;
    const int count = device_count(device_id);
    if (count > 1 && forced_device == nullptr) {
      unmapped(m, fmt::format("{} devices working together (llmroof estimates one device)", count));
      continue;
    }
    if (forced_device != nullptr) {
      row.device = forced_device;
    } else if (device_id.empty()) {
      unmapped(m, "no device named (llama-bench markdown has none): give {device}");
      continue;
    } else if (auto match = find_device(devices, device_id)) {
      row.device = match->device;
      if (match->family != nullptr) {
        row.caveats.push_back(
            fmt::format("'{}' taken as {} ({})", device_id, row.device->id, match->family->note));
      }
    } else if (const Device* described = find_device_by_description(devices, device_id)) {
      row.device = described;
    } else {
      unmapped(m, fmt::format("device '{}' is not in the database", device_id));
      continue;
    }
    if (!m.test_understood || m.prompt_tokens + m.generate_tokens == 0) {
      if (lower(trim(m.test)) == "tg") {
        // A generation rate without a token count (Ollama's eval rate): read as tg128.
        row.measurement.generate_tokens = 128;
        row.measurement.test_understood = true;
        row.caveats.emplace_back("test 'tg' has no token count: taken as tg128");
      } else {
        unmapped(m, fmt::format("test '{}' is not a llama-bench ppN/tgN test", m.test));
        continue;
      }
    }
    const Measurement& t = row.measurement;
    // Model.
    if (forced_model != nullptr) {
      row.model.spec = *forced_model;
    } else {
      const Resolved resolved = resolve_model_name(m, models, aliases);
      if (resolved.model == nullptr) {
        unmapped(m, fmt::format("model '{}' is not in the catalog",
                                m.model.empty() ? m.model_file : m.model));
        continue;
      }
      row.model.spec = *resolved.model;
      if (!resolved.how.empty()) {
        row.caveats.push_back(resolved.how);
      }
    }
    // Quant.
    bool stated = true;
    std::optional<Quant> quant = forced_quant;
    if (!quant) {
      quant = quant_from_text(m.quant, aliases, stated);
    }
    if (!quant) {
      unmapped(m, m.quant.empty() ? std::string("quant not stated")
                                  : fmt::format("quant '{}' is not a llama.cpp preset", m.quant));
      continue;
    }
    row.model.weights = model_weights(row.model.spec, *quant);
    row.model.quant_id = quant->id;
    row.model.compute = quant->compute;
    // Backend: the stated one, else the device's usual one.
    std::string backend = normalize_backend(m.backend);
    if (backend.empty()) {
      backend = row.device->backend;
    }
    row.backend = backend;
    // Estimate inputs of the test.
    EstimateOptions& o = row.options;
    o.backend = backend;
    o.prompt_tokens = t.prompt_tokens;
    o.generate_tokens = t.generate_tokens;
    o.context_tokens = t.depth_tokens;
    o.batch = std::max(1, t.sequences);
    if (!other_engine(m)) {
      o.engine_build = llama_cpp_build(m.engine).value_or(0);
    }
    row.kind = t.prompt_tokens > 0 && t.generate_tokens > 0 ? TestKind::prefill_decode
               : t.prompt_tokens > 0                        ? TestKind::prefill
                                                            : TestKind::decode;
    row.label = test_label(t);
    const bool cpu_run = is_cpu_backend(backend);
    row.class_key = efficiency_class_id(*row.device, cpu_run ? "cpu" : backend);
    // A CPU run on the threads it states (llama-bench n_threads): estimate() scales the
    // device's figures, which stand for its performance cores, to them.
    if (cpu_run && t.threads > 0) {
      o.threads = t.threads;
    }
    // Scope: rows the realistic model is meant to describe.
    if (auto engine = other_engine(m)) {
      row.exclusion = fmt::format("engine {} is not llama.cpp", *engine);
    } else if (contains(m.engine, "branch")) {
      row.exclusion = "an unmerged pull-request branch, not a llama.cpp release";
    } else if (auto earlier = earlier_vulkan(m, backend, o.engine_build)) {
      row.exclusion = std::move(*earlier);
    } else if (backend != "cpu" && sbc_host(m.device_detail)) {
      row.exclusion = "a GPU driven by a single-board computer: host-side costs outside the model";
    } else if (!stated) {
      row.exclusion = fmt::format("quant not stated by the source (assumed {})", quant->id);
    } else if (!cpu_run && t.gpu_layers && *t.gpu_layers < row.model.spec.layers &&
               (backend != "metal" || *t.gpu_layers == 0)) {
      // (Metal offloaded everything for any -ngl above 0 until 2024.)
      row.exclusion = fmt::format("partial offload: {} of {} layers on the GPU", *t.gpu_layers,
                                  row.model.spec.layers);
    } else if (contains(m.backend, "partial")) {
      row.exclusion = "partial offload";
    } else if (m.kv_on_host && !cpu_run) {
      row.exclusion = "KV cache kept in host memory (-nkvo 1)";
    } else if (backend == "opencl" && row.device->backend != "opencl") {
      row.exclusion = "OpenCL on a desktop GPU: the CLBlast backend removed from llama.cpp in 2024";
    } else if (cpu_run && t.threads > 0 && 2 * t.threads < cpu_cores(*row.device)) {
      // (Including them, with the thread scaling, raises the leave-one-generation-out errors:
      // tg128 median 7.8% -> 8.9%, pp512 p90 57% -> 63%.)
      row.exclusion = fmt::format(
          "{} threads on a {}-core CPU: below half its cores, per-core memory parallelism "
          "rather than the device's figures sets the speed",
          t.threads, cpu_cores(*row.device));
    } else if (normalize_backend(m.backend).empty() && !trim(m.backend).empty() &&
               lower(trim(m.backend)) != "gpu") {
      row.exclusion = fmt::format("backend '{}' is ambiguous", m.backend);
    }
    if (row.exclusion.empty() && m.sequences > 1) {
      row.caveats.push_back(fmt::format("{} sequences decoded together", m.sequences));
    }
    result.mapped.push_back(std::move(row));
  }
  // Thread sweeps: only the run with the most threads stands for the machine.
  std::map<std::string, int> most_threads;
  auto sweep_key = [](const MappedMeasurement& r) {
    const Measurement& m = r.measurement;
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", r.device->id, r.backend, m.engine,
                       r.model.spec.id, r.model.quant_id, r.label, m.source, m.model);
  };
  for (const auto& r : result.mapped) {
    if (r.measurement.threads > 0) {
      int& top = most_threads[sweep_key(r)];
      top = std::max(top, r.measurement.threads);
    }
  }
  for (auto& r : result.mapped) {
    if (r.exclusion.empty() && r.measurement.threads > 0) {
      const int top = most_threads[sweep_key(r)];
      if (r.measurement.threads < top) {
        r.exclusion =
            fmt::format("thread sweep: {} of the {} threads tried", r.measurement.threads, top);
      }
    }
  }
  return result;
}

}  // namespace llmroof
