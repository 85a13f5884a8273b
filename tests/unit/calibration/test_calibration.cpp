// Calibration: parsing measured speeds (calibration CSV, every llama-bench format), mapping them
// to devices, models and quants, the fitter, cross-validation and the accuracy statistics.

#include <cmath>
#include <map>
#include <optional>

#include "catch.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

const CalibrationAliases& aliases() {
  static const CalibrationAliases a = parse_calibration_aliases(
      test::read(test::data_dir() / "calibration-aliases.json"), "calibration-aliases.json");
  return a;
}

EfficiencyClass& class_of(EfficiencyTable& t, const std::string& id) {
  for (auto& c : t.classes) {
    if (c.id == id) {
      return c;
    }
  }
  FAIL("no class " << id);
  return t.classes.front();
}

const EfficiencyClass& class_of(const EfficiencyTable& t, const std::string& id) {
  return class_of(const_cast<EfficiencyTable&>(t), id);
}

// The calibration rows of ../shared, or nullopt where ../shared is absent.
std::optional<std::vector<Measurement>> shared_calibration() {
  const auto shared = test::shared_dir();
  if (!shared) {
    return std::nullopt;
  }
  const auto path = *shared / "calibration" / "llamacpp-and-peers-measured.csv";
  return parse_measurements(test::read(path), "calibration.csv");
}

// The messages of the DataError `f` throws ("" when it does not throw).
template <typename F>
std::vector<std::string> data_errors(F f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.messages();
  }
  return {};
}

// A measurement in the calibration layout's terms.
Measurement row(std::string device, std::string backend, std::string model, std::string quant,
                std::string test) {
  Measurement m;
  m.origin = "synthetic:1";
  m.device = std::move(device);
  m.backend = std::move(backend);
  m.engine = "llama.cpp";
  m.model = std::move(model);
  m.quant = std::move(quant);
  m.test = std::move(test);
  m.tokens_per_s = 1;
  m.test_understood = parse_test_name(m.test, m);
  return m;
}

}  // namespace

TEST_CASE("test names split into token counts", "[calibration][parse]") {
  Measurement m;
  REQUIRE(parse_test_name("tg128", m));
  CHECK((m.prompt_tokens == 0 && m.generate_tokens == 128 && m.depth_tokens == 0));
  REQUIRE(parse_test_name("pp512", m));
  CHECK((m.prompt_tokens == 512 && m.generate_tokens == 0));
  REQUIRE(parse_test_name("pp 512", m));  // older llama-bench markdown
  CHECK(m.prompt_tokens == 512);
  REQUIRE(parse_test_name("pp4096+tg128", m));
  CHECK((m.prompt_tokens == 4096 && m.generate_tokens == 128));
  REQUIRE(parse_test_name("tg128 @ d4096", m));
  CHECK((m.generate_tokens == 128 && m.depth_tokens == 4096));
  REQUIRE(parse_test_name("tg32-batched", m));
  CHECK(m.generate_tokens == 32);
  CHECK_FALSE(parse_test_name("tg", m));
  CHECK_FALSE(parse_test_name("pp (prompt eval)", m));
  CHECK_FALSE(parse_test_name("throughput_isl128_osl128", m));
  CHECK_FALSE(parse_test_name("tg128x", m));
}

TEST_CASE("the calibration CSV layout is read with RFC 4180 quoting", "[calibration][parse]") {
  const std::string text =
      "device,device_detail,backend,engine_version,model,model_params_b,quant,test,"
      "tokens_per_s,batch,context_depth,threads,gpu_layers,source_url,note\n"
      "rtx-3090,\"RTX 3090, 24 GB\",CUDA,llama.cpp c76b420,LLaMA 2 7B,6.74,Q4_0,tg128,158.16,1,"
      "0,,99,https://x,\"a \"\"quoted\"\" note\"\n"
      "dgx-spark-gb10,GB10,CUDA,llama.cpp,gpt-oss-20b,20.9,MXFP4,tg32-batched,614.82,32,512,,"
      "all,https://y,\"multi\nline\"\n"
      "m2-max-cpu,M2 Max CPU,CPU,llama.cpp,LLaMA 2 7B,6.74,Q4_0,tg,26.6,1,0,8,0,https://z,\n";
  const auto rows = parse_calibration_csv(text, "cal.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].origin == "cal.csv:2");
  CHECK(rows[0].device_detail == "RTX 3090, 24 GB");
  CHECK(rows[0].note == "a \"quoted\" note");
  CHECK(rows[0].tokens_per_s == 158.16);
  CHECK(rows[0].model_params == Approx(6.74e9));
  CHECK(rows[0].gpu_layers == 99);
  CHECK((rows[0].generate_tokens == 128 && rows[0].test_understood));
  CHECK(rows[1].origin == "cal.csv:3");
  CHECK(rows[1].sequences == 32);  // batched-bench: the batch column counts sequences
  CHECK(rows[1].depth_tokens == 512);
  CHECK(rows[1].gpu_layers == 999);  // "all"
  CHECK(rows[1].note == "multi\nline");
  CHECK(rows[2].origin == "cal.csv:5");  // the quoted line break moved it down
  CHECK(rows[2].threads == 8);
  CHECK_FALSE(rows[2].test_understood);  // "tg" has no token count
}

TEST_CASE("bad calibration CSV rows are reported with file and line", "[calibration][parse]") {
  CHECK(data_errors([] {
          parse_calibration_csv("device,backend,model,quant,test\nrtx,CUDA,m,q,tg128\n", "c.csv");
        }) == std::vector<std::string>{"c.csv:1: missing column 'tokens_per_s'"});
  CHECK(data_errors([] {
          parse_calibration_csv(
              "device,backend,model,quant,test,tokens_per_s\n"
              "rtx,CUDA,m,q,tg128,fast\nrtx,CUDA,m,q,pp512,0\nrtx,CUDA\n",
              "c.csv");
        }) == std::vector<std::string>{
                  "c.csv:2: column 'tokens_per_s': expected a positive number, got 'fast'",
                  "c.csv:3: column 'tokens_per_s': expected a positive number, got '0'",
                  "c.csv:4: expected 6 fields, got 2"});
}

TEST_CASE("llama-bench -o json results are read by field name", "[calibration][parse]") {
  const std::string text = R"([
  {
    "build_commit": "8cf427ff",
    "build_number": 5163,
    "cpu_info": "AMD Ryzen 7 7800X3D 8-Core Processor",
    "gpu_info": "NVIDIA GeForce RTX 4080",
    "backends": "CUDA",
    "model_filename": "models/Qwen2.5-7B-Instruct-Q4_K_M.gguf",
    "model_type": "qwen2 7B Q4_K - Medium",
    "model_size": 4677120000,
    "model_n_params": 7615616512,
    "n_threads": 8,
    "type_k": "f16",
    "n_gpu_layers": -1,
    "no_kv_offload": false,
    "flash_attn": true,
    "n_prompt": 0,
    "n_gen": 128,
    "n_depth": 512,
    "avg_ts": 118.881588,
    "samples_ts": [ 119.03, 118.73 ]
  }
])";
  const auto rows = parse_llama_bench(text, "b.json");
  REQUIRE(rows.size() == 1);
  const Measurement& m = rows[0];
  CHECK(m.origin == "b.json:2");
  CHECK(m.device == "NVIDIA GeForce RTX 4080");  // a GPU backend: gpu_info names the device
  CHECK(m.backend == "CUDA");
  CHECK(m.engine == "llama.cpp 8cf427ff (5163)");
  CHECK(m.model == "qwen2 7B Q4_K - Medium");
  CHECK(m.model_file == "models/Qwen2.5-7B-Instruct-Q4_K_M.gguf");
  CHECK(m.quant == "Q4_K - Medium");
  CHECK(m.model_params == 7615616512.0);
  CHECK(m.model_size_bytes == 4677120000.0);
  CHECK((m.prompt_tokens == 0 && m.generate_tokens == 128 && m.depth_tokens == 512));
  CHECK(m.test == "tg128 @ d512");
  CHECK(m.tokens_per_s == 118.881588);
  CHECK(m.gpu_layers == 999);  // -1 = every layer
  CHECK(m.threads == 8);
  CHECK_FALSE(m.kv_on_host);
  CHECK(m.flash_attention);
}

TEST_CASE("llama-bench -o jsonl, -o csv and -o md are read alike", "[calibration][parse]") {
  const std::string jsonl =
      R"({"build_commit": "b3a995b4", "build_number": 2796, "cpu_info": "Apple M2 Max", )"
      R"("gpu_info": "Apple M2 Max", "backends": "Metal,BLAS", "model_type": "llama 7B mostly Q4_0", )"
      R"("model_n_params": 6738415616, "n_prompt": 512, "n_gen": 0, "avg_ts": 671.31})"
      "\n\n"
      R"({"build_commit": "b3a995b4", "build_number": 2796, "cpu_info": "Apple M2 Max", )"
      R"("gpu_info": "", "backends": "CPU", "model_type": "llama 7B Q8_0", "n_threads": 8, )"
      R"("no_kv_offload": 1, "n_prompt": 0, "n_gen": 64, "avg_ts": 16.2})"
      "\n";
  const auto a = parse_llama_bench(jsonl, "b.jsonl");
  REQUIRE(a.size() == 2);
  CHECK(a[0].origin == "b.jsonl:1");
  CHECK(a[0].quant == "Q4_0");  // "mostly" of older builds dropped
  CHECK(a[0].test == "pp512");
  CHECK(a[1].origin == "b.jsonl:3");
  CHECK(a[1].device == "Apple M2 Max");  // CPU backend: cpu_info names the device
  CHECK(a[1].kv_on_host);

  const std::string csv =
      "build_commit,build_number,cpu_info,gpu_info,backends,model_filename,model_type,model_size,"
      "model_n_params,n_threads,n_gpu_layers,n_prompt,n_gen,n_depth,avg_ts,stddev_ts\n"
      "\"8cf427ff\",\"5163\",\"AMD Ryzen 9 7950X 16-Core Processor\",\"\",\"CPU\","
      "\"m.gguf\",\"llama 8B Q4_K - Medium\",\"4920000000\",\"8030261248\",\"16\",\"0\","
      "\"512\",\"128\",\"0\",\"12.5\",\"0.1\"\n";
  const auto b = parse_llama_bench(csv, "b.csv");
  REQUIRE(b.size() == 1);
  CHECK(b[0].origin == "b.csv:2");
  CHECK(b[0].device == "AMD Ryzen 9 7950X 16-Core Processor");
  CHECK(b[0].test == "pp512+tg128");
  CHECK(b[0].threads == 16);
  CHECK(b[0].tokens_per_s == 12.5);

  const std::string md =
      "ggml_cuda_init: found 1 CUDA devices\n"
      "| model                          |       size |     params | backend    | ngl | test "
      "|                  t/s |\n"
      "| ------------------------------ | ---------: | ---------: | ---------- | --: | ---: "
      "| -------------------: |\n"
      "| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 | pp512 "
      "|      2368.80 ± 93.24 |\n"
      "| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 | tg 128 "
      "|        131.42 ± 0.59 |\n"
      "| qwen3 0.6B Q8_0                | 604.15 MiB |   596.05 M | CUDA       |  99 | "
      "pp512 @ d512 |  9000.00 ± 1.00 |\n"
      "\n"
      "build: 8cf427ff (5163)\n";
  const auto c = parse_llama_bench(md, "b.md");
  REQUIRE(c.size() == 3);
  CHECK(c[0].origin == "b.md:4");
  CHECK(c[0].device.empty());  // markdown names no device
  CHECK(c[0].engine == "llama.cpp 8cf427ff (5163)");
  CHECK(c[0].model_size_bytes == Approx(3.56 * 1024 * 1024 * 1024));
  CHECK(c[0].model_params == Approx(6.74e9));
  CHECK(c[0].tokens_per_s == 2368.80);
  CHECK(c[0].gpu_layers == 99);
  CHECK(c[1].generate_tokens == 128);
  CHECK(c[1].tokens_per_s == 131.42);
  CHECK(c[2].model_params == Approx(596.05e6));
  CHECK((c[2].prompt_tokens == 512 && c[2].depth_tokens == 512));
}

TEST_CASE("bad llama-bench results are reported with file and line", "[calibration][parse]") {
  const auto messages = data_errors([] {
    parse_llama_bench(test::read(test::test_data_dir() / "bad" / "llama-bench-bad.json"),
                      "llama-bench-bad.json");
  });
  CHECK(messages == std::vector<std::string>{
                        "llama-bench-bad.json:2: expected a positive avg_ts, got '-3'",
                        "llama-bench-bad.json:10: expected token counts n_prompt and n_gen, got "
                        "'x' and '128'"});
  CHECK(data_errors([] { parse_llama_bench("a,b\n1,2\n", "x.csv"); }) ==
        std::vector<std::string>{"x.csv:1: not llama-bench output: expected JSON, JSONL, CSV with "
                                 "an avg_ts column, or a markdown table"});
}

TEST_CASE("both layouts are told apart from the text", "[calibration][parse]") {
  const auto cal = parse_measurements(
      test::read(test::test_data_dir() / "good" / "calibration-sample.csv"), "sample.csv");
  CHECK(cal.size() == 9);
  const auto bench = parse_measurements(
      test::read(test::test_data_dir() / "good" / "llama-bench-m2-max.csv"), "m2.csv");
  REQUIRE(bench.size() == 4);
  CHECK(bench[0].backend == "Metal,BLAS");
}

TEST_CASE("quant names of every source map to llmroof quants", "[calibration][mapping]") {
  auto id = [](std::string_view text) {
    bool stated = true;
    auto q = quant_from_text(text, aliases(), stated);
    return q ? q->id + (stated ? "" : " (not stated)") : std::string("-");
  };
  CHECK(id("Q4_0") == "q4_0");
  CHECK(id("Q4_K_M") == "q4_k_m");
  CHECK(id("Q4_K - Medium") == "q4_k_m");
  CHECK(id("Q4_K - Small") == "q4_k_s");
  CHECK(id("Q2_K - Medium") == "q2_k");  // llama.cpp's plain Q2_K preset
  CHECK(id("IQ3_S mix - 3.66 bpw") == "iq3_m");
  CHECK(id("IQ2_XXS - 2.0625 bpw") == "iq2_xxs");
  CHECK(id("F16") == "f16");
  CHECK(id("MXFP4") == "mxfp4_moe");  // calibration-aliases.json
  CHECK(id("MXFP4 MoE") == "mxfp4_moe");
  CHECK(id("Q4_K_M (Ollama default tag; not stated)") == "q4_k_m (not stated)");
  CHECK(id("4-bit (MLX)") == "-");
  CHECK(id("fp16") == "-");  // a nominal precision, not a llama.cpp file
}

TEST_CASE("free-text device names find the database entry", "[calibration][mapping]") {
  auto id = [](std::string_view text) {
    const Device* d = find_device_by_description(test::devices(), text);
    return d != nullptr ? d->id : std::string("-");
  };
  CHECK(id("NVIDIA GeForce RTX 4090") == "rtx-4090");
  CHECK(id("AMD Ryzen 9 7950X 16-Core Processor") == "ryzen-9-7950x");
  CHECK(id("rtx-3090") == "rtx-3090");
  CHECK(id("Apple M2 Max") == "m2-max-38c");  // the family's default variant
  CHECK(id("Quantum Accelerator 9000") == "-");
}

TEST_CASE("mapping resolves rows or says why not", "[calibration][mapping]") {
  const auto measurements = parse_measurements(
      test::read(test::test_data_dir() / "good" / "calibration-sample.csv"), "sample.csv");
  const MappingResult r =
      map_measurements(measurements, test::devices(), test::catalog(), aliases());
  REQUIRE(r.mapped.size() + r.unmapped.size() == measurements.size());
  REQUIRE(r.unmapped.size() == 3);
  CHECK(r.unmapped[0].reason == "2 devices working together (llmroof estimates one device)");
  CHECK(r.unmapped[1].reason == "model 'Bitnet b1.58 3B' is not in the catalog");
  CHECK(r.unmapped[2].reason ==
        "test 'throughput_isl128_osl128' is not a llama-bench ppN/tgN test");
  REQUIRE(r.mapped.size() == 6);
  const MappedMeasurement& pp = r.mapped[0];
  CHECK(pp.device->id == "rtx-3090");
  CHECK(pp.model.spec.id == "llama-2-7b");
  CHECK(pp.model.quant_id == "q4_0");
  CHECK(pp.kind == TestKind::prefill);
  CHECK(pp.options.prompt_tokens == 512);
  CHECK(pp.backend == "cuda");
  CHECK(resolved_class(pp, test::efficiency()) == "nvidia-gpu");
  CHECK(pp.exclusion.empty());
  CHECK(r.mapped[1].kind == TestKind::decode);
  CHECK(r.mapped[1].options.generate_tokens == 128);
  // The M2 Max CPU rows: the host CPU of the family's default variant.
  CHECK(r.mapped[2].device->id == "m2-max-38c");
  CHECK(r.mapped[2].options.backend == "cpu");
  CHECK(resolved_class(r.mapped[2], test::efficiency()) == "cpu-arm");
  CHECK(r.mapped[2].exclusion ==
        "engine ik_llama.cpp (a fork with its own CPU kernels) is not "
        "llama.cpp");
  CHECK(r.mapped[3].exclusion.empty());
  CHECK(r.mapped[4].exclusion ==
        "4 threads on a 12-core CPU: below half its cores, per-core memory parallelism rather than "
        "the device's figures sets the speed");
  // Ollama's eval rate: read as tg128, quant assumed and the row left out of scope.
  CHECK(r.mapped[5].options.generate_tokens == 128);
  CHECK(r.mapped[5].exclusion == "quant not stated by the source (assumed q4_k_m)");
  CHECK(r.mapped[5].model.spec.id == "llama-3.2-3b");
}

TEST_CASE("thread sweeps keep only their top thread count", "[calibration][mapping]") {
  std::vector<Measurement> sweep;
  for (int threads : {4, 8, 16}) {
    Measurement m = row("ryzen-9-7950x", "CPU", "Llama 3 8B", "Q4_0", "tg128");
    m.threads = threads;
    sweep.push_back(m);
  }
  const auto r = map_measurements(sweep, test::devices(), test::catalog(), aliases());
  REQUIRE(r.mapped.size() == 3);
  CHECK(r.mapped[0].exclusion ==
        "4 threads on a 16-core CPU: below half its cores, per-core memory parallelism rather than "
        "the device's figures sets the speed");
  CHECK(r.mapped[1].exclusion == "thread sweep: 8 of the 16 threads tried");
  CHECK(r.mapped[2].exclusion.empty());
}

TEST_CASE("engine dates are read in full or not at all", "[calibration][mapping]") {
  CHECK(llama_cpp_date("llama.cpp master (2024-03-03)") == "2024-03-03");
  CHECK(llama_cpp_date("2025-08-07 build") == "2025-08-07");
  CHECK_FALSE(llama_cpp_date("llama.cpp (2025-05), -fa 1"));
  CHECK_FALSE(llama_cpp_date("llama.cpp 141a908a (5298)"));
  CHECK_FALSE(llama_cpp_date("12024-03-031"));
}

TEST_CASE("rows of earlier Vulkan kernels are out of scope", "[calibration][mapping]") {
  // The Vulkan backend before PR #5835 rewrote its kernels (March 2024).
  Measurement early = row("rx-6700-xt", "Vulkan", "Mistral 7B Instruct v0.2", "Q4_0", "tg128");
  early.engine = "llama.cpp master (2024-03-03)";
  Measurement later = early;
  later.engine = "llama.cpp master (2024-03-05)";
  Measurement rocm = early;
  rocm.backend = "ROCm";
  // Flash attention before PR #13324's scalar path: on the CPU without NVIDIA's coopmat2.
  Measurement fa = row("rtx-2070", "Vulkan", "Qwen3 4B", "Q4_K_M", "tg128");
  fa.engine = "llama.cpp 141a908a (5298)";
  fa.flash_attention = true;
  Measurement no_fa = fa;
  no_fa.flash_attention = false;
  Measurement fa_later = fa;
  fa_later.engine = "llama.cpp 3dc90d7b (5344)";
  Measurement fa_cuda = fa;
  fa_cuda.backend = "CUDA";
  const std::vector<Measurement> ms = {early, later, rocm, fa, no_fa, fa_later, fa_cuda};
  const auto r = map_measurements(ms, test::devices(), test::catalog(), aliases());
  REQUIRE(r.mapped.size() == ms.size());
  CHECK(r.mapped[0].exclusion ==
        "Vulkan of 2024-03-03: the backend's first kernels, before PR #5835 rewrote them (March "
        "2024)");
  CHECK(r.mapped[1].exclusion.empty());
  CHECK(r.mapped[2].exclusion.empty());
  CHECK(r.mapped[3].exclusion ==
        "flash attention on Vulkan at build 5298: before PR #13324 only NVIDIA's coopmat2 path "
        "had it, elsewhere the attention ran on the CPU");
  CHECK(r.mapped[4].exclusion.empty());
  CHECK(r.mapped[5].exclusion.empty());
  CHECK(r.mapped[6].exclusion.empty());
}

TEST_CASE("flash attention is read from llama-bench and from the scoreboards' notes",
          "[calibration][parse]") {
  const std::string csv =
      "device,backend,model,quant,test,tokens_per_s,note\n"
      "rtx-2070,Vulkan,Qwen3 4B,Q4_K_M,tg128,35.87,comment by nalf3in; fa=1\n"
      "rtx-3090,CUDA,LLaMA 2 7B,Q4_0,tg128,160,\"llama-bench -ngl 99 -fa 1; with flash "
      "attention\"\n"
      "rtx-3090,CUDA,LLaMA 2 7B,Q4_0,tg128,158,\"llama-bench -ngl 99 -fa 0; without flash "
      "attention\"\n";
  const auto rows = parse_calibration_csv(csv, "fa.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].flash_attention);
  CHECK(rows[1].flash_attention);
  CHECK_FALSE(rows[2].flash_attention);
}

TEST_CASE("mapping overrides and partial offload", "[calibration][mapping]") {
  Measurement m = row("", "CUDA", "llama 7B Q4_0", "Q4_0", "tg128");
  m.model_params = 6738415616;
  m.gpu_layers = 20;
  const auto none = map_measurements({&m, 1}, test::devices(), test::catalog(), aliases());
  REQUIRE(none.unmapped.size() == 1);
  CHECK(none.unmapped[0].reason ==
        "no device named (llama-bench markdown has none): give {device}");
  MappingOptions options;
  options.device = "rtx-4090";
  const auto forced =
      map_measurements({&m, 1}, test::devices(), test::catalog(), aliases(), options);
  REQUIRE(forced.mapped.size() == 1);
  CHECK(forced.mapped[0].device->id == "rtx-4090");
  CHECK(forced.mapped[0].model.spec.id == "llama-2-7b");  // by its parameter count
  CHECK(forced.mapped[0].exclusion == "partial offload: 20 of 32 layers on the GPU");
  options.device = "no-such-gpu";
  CHECK_THROWS_AS(map_measurements({&m, 1}, test::devices(), test::catalog(), aliases(), options),
                  UsageError);
}

TEST_CASE("quantiles and error statistics by hand", "[calibration][stats]") {
  CHECK(quantile({}, 0.5) == 0);
  CHECK(quantile({4, 1, 3, 2}, 0.5) == Approx(2.5));
  CHECK(quantile({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9) == Approx(9));
  CHECK(quantile({0, 10}, 0.8) == Approx(8));
  const std::vector<ScoredRow> rows = {
      {110, 100, true}, {90, 100, true}, {100, 100, false}, {150, 100, false}};
  const ErrorStats s = error_stats(rows);
  CHECK(s.rows == 4);
  CHECK(s.median_abs_error == Approx(0.1));
  CHECK(s.p90_abs_error == Approx(0.1 + 0.7 * 0.4));  // sorted 0, .1, .1, .5 at rank 2.7
  CHECK(s.bias == Approx(std::exp((0.0 + std::log(1.1)) / 2) - 1));
  CHECK(s.coverage == Approx(0.5));
}

namespace {

// Rows of several devices, models, quants and tests whose "measurements" are what `truth`
// predicts: a fit must find `truth` again.
std::vector<MappedMeasurement> synthetic_rows(const EfficiencyTable& truth) {
  std::vector<Measurement> ms;
  const std::vector<std::pair<std::string, std::string>> gpus = {
      {"rtx-3090", "CUDA"},    {"rtx-4080", "CUDA"},    {"a40", "CUDA"},
      {"rtx-2080-ti", "CUDA"}, {"m1-max-32c", "Metal"}, {"m2-ultra-76c", "Metal"},
      {"m3-pro-18c", "Metal"}, {"m1-pro-14c", "Metal"}};
  const std::vector<std::pair<std::string, std::string>> models = {
      {"TinyLlama 1.1B (1t-openorca)", "Q4_K_M"},
      {"LLaMA 2 7B", "Q4_0"},
      {"LLaMA 2 7B", "F16"},
      {"LLaMA 2 13B", "Q8_0"}};
  for (const auto& [device, backend] : gpus) {
    for (const auto& [model, quant] : models) {
      for (const char* test : {"tg128", "pp512"}) {
        ms.push_back(row(device, backend, model, quant, test));
      }
    }
  }
  MappingResult r = map_measurements(ms, test::devices(), test::catalog(), aliases());
  REQUIRE(r.unmapped.empty());
  for (auto& m : r.mapped) {
    m.measurement.tokens_per_s = predict(m, truth).tokens_per_s;
  }
  return r.mapped;
}

}  // namespace

TEST_CASE("the fitter recovers the parameters that generated the rows", "[calibration][fit]") {
  EfficiencyTable truth = test::efficiency();
  EfficiencyClass& nv = class_of(truth, "nvidia-gpu");
  nv.decode_bw_efficiency = 0.78;
  nv.decode_per_layer_s = 45e-6;
  nv.decode_flops_efficiency = 0.3;
  nv.prefill_flops_efficiency = 0.23;
  EfficiencyClass& apple = class_of(truth, "apple-gpu");
  apple.decode_bw_efficiency = 0.9;
  apple.decode_per_layer_s = 150e-6;
  apple.decode_flops_efficiency = 0.45;
  apple.prefill_flops_efficiency = 0.7;
  const auto rows = synthetic_rows(truth);

  // Start far away: every figure off by 25-50%.
  EfficiencyTable start = truth;
  for (auto* c : {&class_of(start, "nvidia-gpu"), &class_of(start, "apple-gpu")}) {
    c->decode_bw_efficiency *= 0.7;
    c->decode_per_layer_s *= 2.0;
    c->decode_flops_efficiency *= 0.5;
    c->prefill_flops_efficiency *= 1.4;
  }
  FitOptions options;
  options.classes = {"nvidia-gpu", "apple-gpu"};
  options.globals = false;
  options.prior_weight = 0;  // the rows alone
  EfficiencyTable fitted = fit_efficiency(rows, start, options);
  for (const char* id : {"nvidia-gpu", "apple-gpu"}) {
    INFO(id);
    const EfficiencyClass& want = class_of(truth, id);
    const EfficiencyClass& got = class_of(fitted, id);
    CHECK(got.decode_bw_efficiency == Approx(want.decode_bw_efficiency).epsilon(0.03));
    CHECK(got.decode_per_layer_s == Approx(want.decode_per_layer_s).epsilon(0.06));
    CHECK(got.decode_flops_efficiency == Approx(want.decode_flops_efficiency).epsilon(0.06));
    CHECK(got.prefill_flops_efficiency == Approx(want.prefill_flops_efficiency).epsilon(0.03));
    CHECK(got.decode_rows == 16);
    CHECK(got.prefill_rows == 16);
    CHECK(got.devices == 4);
  }
  // What was fitted is what estimate() gives: the fitted table reproduces the rows.
  for (const auto& r : rows) {
    CHECK(predict(r, fitted).tokens_per_s == Approx(r.measurement.tokens_per_s).epsilon(0.02));
  }
}

TEST_CASE("the prior holds figures the rows do not constrain", "[calibration][fit]") {
  EfficiencyTable truth = test::efficiency();
  class_of(truth, "nvidia-gpu").decode_bw_efficiency = 0.6;
  std::vector<MappedMeasurement> decode_only;
  for (const auto& r : synthetic_rows(truth)) {
    if (r.kind == TestKind::decode && r.device->vendor == "NVIDIA") {
      decode_only.push_back(r);
    }
  }
  FitOptions options;
  options.classes = {"nvidia-gpu"};
  options.globals = false;
  const EfficiencyTable fitted = fit_efficiency(decode_only, test::efficiency(), options);
  const EfficiencyClass& got = class_of(fitted, "nvidia-gpu");
  // No prefill rows: the prefill figure stays at the prior's.
  CHECK(got.prefill_flops_efficiency ==
        Approx(class_of(test::efficiency(), "nvidia-gpu").prefill_flops_efficiency).epsilon(0.01));
  // The decode rows move the bandwidth efficiency most of the way to the truth.
  CHECK(got.decode_bw_efficiency == Approx(0.6).epsilon(0.1));
  CHECK(got.prefill_rows == 0);
  CHECK(got.decode_rows == 16);
}

TEST_CASE("leave-one-device-out cross-validation of exact rows has no error",
          "[calibration][fit]") {
  const EfficiencyTable& truth = test::efficiency();
  const auto rows = synthetic_rows(truth);
  const auto held = cross_validate(rows, truth, truth);
  REQUIRE(held.size() == rows.size());
  for (std::size_t i = 0; i < held.size(); ++i) {
    CHECK(held[i].row == i);
    CHECK(std::fabs(held[i].log_residual) < 0.01);
  }
  // Spreads: the 80th percentile of |held-out residual| per class and kind (16 rows each here):
  // residuals -0.3 .. +0.3 in 0.04 steps give |r| sorted 0.02 .. 0.30 with rank 12 at 0.26.
  EfficiencyTable spread = truth;
  std::vector<HeldOut> shifted = held;
  std::map<std::string, int> seen;
  for (auto& h : shifted) {
    const auto& r = rows[h.row];
    const int k = seen[resolved_class(r, truth) + (r.kind == TestKind::prefill ? "p" : "d")]++;
    h.log_residual =
        (k % 2 == 0 ? 1 : -1) * (0.02 + 0.04 * (k / 2)) * (r.kind == TestKind::prefill ? 2.0 : 1.0);
  }
  set_spreads(spread, rows, shifted);
  std::vector<double> decode_abs;
  for (int k = 0; k < 16; ++k) {
    decode_abs.push_back(0.02 + 0.04 * (k / 2));
  }
  CHECK(quantile(decode_abs, 0.8) == Approx(0.26));
  CHECK(class_of(spread, "nvidia-gpu").decode_log_spread == Approx(0.26));
  CHECK(class_of(spread, "apple-gpu").decode_log_spread == Approx(0.26));
  CHECK(class_of(spread, "apple-gpu").prefill_log_spread == Approx(0.52));
}

TEST_CASE("a calibration profile fits one device and applies to it only", "[calibration][fit]") {
  // A device that runs 15% slower than its class says.
  std::vector<Measurement> ms;
  for (const auto& [model, quant] :
       std::vector<std::pair<std::string, std::string>>{{"LLaMA 2 7B", "Q4_0"},
                                                        {"LLaMA 2 7B", "F16"},
                                                        {"TinyLlama 1.1B (1t-openorca)", "Q4_K_M"},
                                                        {"LLaMA 2 13B", "Q8_0"}}) {
    for (const char* test : {"tg128", "pp512"}) {
      ms.push_back(row("rtx-4090", "CUDA", model, quant, test));
    }
  }
  MappingResult r = map_measurements(ms, test::devices(), test::catalog(), aliases());
  REQUIRE(r.mapped.size() == 8);
  for (auto& m : r.mapped) {
    m.measurement.tokens_per_s = 0.85 * predict(m, test::efficiency()).tokens_per_s;
  }
  const EfficiencyTable profile = calibration_profile(r.mapped, test::efficiency(), "bench.json");
  REQUIRE(profile.classes.size() == 1);
  const EfficiencyClass& c = profile.classes[0];
  CHECK(c.id == "rtx-4090-cuda");
  CHECK(c.device == "rtx-4090");
  CHECK(c.backend == "cuda");
  CHECK(c.decode_rows == 4);
  CHECK(c.prefill_rows == 4);
  EfficiencyTable merged = test::efficiency();
  merge_efficiency(merged, profile);
  for (const auto& m : r.mapped) {
    CHECK(predict(m, merged).tokens_per_s == Approx(m.measurement.tokens_per_s).epsilon(0.05));
  }
  // Other devices keep their class.
  Measurement other = row("rtx-3090", "CUDA", "LLaMA 2 7B", "Q4_0", "tg128");
  const auto o = map_measurements({&other, 1}, test::devices(), test::catalog(), aliases());
  CHECK(resolved_class(o.mapped[0], merged) == "nvidia-gpu");
  CHECK(resolved_class(r.mapped[0], merged) == "rtx-4090-cuda");
  // The profile is a table of the shipped schema.
  const EfficiencyTable again = parse_efficiency(efficiency_to_json(profile), "profile.json");
  REQUIRE(again.classes.size() == 1);
  CHECK(again.classes[0].device == "rtx-4090");
  CHECK(again.classes[0].decode_bw_efficiency == Approx(c.decode_bw_efficiency).epsilon(1e-3));
}

TEST_CASE("accuracy figures group by class and test", "[calibration][stats]") {
  const auto rows = synthetic_rows(test::efficiency());
  std::vector<Prediction> predictions;
  for (const auto& r : rows) {
    Prediction p = predict(r, test::efficiency());
    p.tokens_per_s *= r.kind == TestKind::decode ? 1.1 : 0.8;  // +10% decode, -20% prefill
    predictions.push_back(p);
  }
  const auto figures = accuracy_figures(rows, predictions, test::efficiency());
  auto find = [&](const std::string& cls, const std::string& test) {
    for (const auto& f : figures) {
      if (f.class_id == cls && f.test == test) {
        return f;
      }
    }
    FAIL("no figure " << cls << " " << test);
    return AccuracyFigure{};
  };
  CHECK(find("all", "tg128").rows == 32);
  CHECK(find("all", "tg128").median_abs_error == Approx(0.1));
  CHECK(find("all", "tg128").bias == Approx(0.1));
  CHECK(find("nvidia-gpu", "pp512").rows == 16);
  CHECK(find("nvidia-gpu", "pp512").p90_abs_error == Approx(0.2));
  CHECK(find("apple-gpu", "prefill").bias == Approx(-0.2));
  CHECK(figures.back().class_id == "all");
}

TEST_CASE("shipped calibration data: every row is accounted for and the goals hold",
          "[calibration][shared]") {
  const auto shared = shared_calibration();
  if (!shared) {
    return;  // ../shared absent: skipped
  }
  const std::vector<Measurement>& measurements = *shared;
  const MappingResult r =
      map_measurements(measurements, test::devices(), test::catalog(), aliases());
  CHECK(r.mapped.size() + r.unmapped.size() == measurements.size());
  // The shipped table records what it was fitted on.
  REQUIRE(test::efficiency().fitted_on.has_value());
  CHECK(test::efficiency().fitted_on->rows == static_cast<int>(measurements.size()));
  CHECK(test::efficiency().fitted_on->rows_unmapped == static_cast<int>(r.unmapped.size()));
  int used = 0;
  for (const auto& m : r.mapped) {
    used += m.exclusion.empty() ? 1 : 0;
  }
  CHECK(test::efficiency().fitted_on->rows_used == used);
  // Its recorded leave-one-generation-out accuracy holds the gate (see README, Accuracy).
  for (const auto& f : test::efficiency().accuracy) {
    if (f.class_id != "all") {
      continue;
    }
    if (f.test == "tg128") {
      CHECK(f.median_abs_error <= 0.09);
      CHECK(f.p90_abs_error <= 0.35);
    }
    if (f.test == "pp512") {
      CHECK(f.median_abs_error <= 0.15);
      CHECK(f.p90_abs_error <= 0.60);
    }
    if (f.test == "tg128" || f.test == "pp512") {
      CHECK(f.coverage >= 0.70);
      CHECK(f.coverage <= 0.90);
    }
  }
}

TEST_CASE("a class gets its own matmul_half_rows only where its rows tell it",
          "[calibration][shared][fit]") {
  const auto shared = shared_calibration();
  if (!shared) {
    return;  // ../shared absent: skipped
  }
  const MappingResult r = map_measurements(*shared, test::devices(), test::catalog(), aliases());
  const EfficiencyTable& prior = test::efficiency_prior();
  const EfficiencyTable fitted = fit_efficiency(r.mapped, prior);
  // NVIDIA and Apple GPUs have mixture-of-experts prefill rows (experts see k/E of the
  // ubatch) and NVIDIA batched rows past 8 sequences; CPU classes have only full ubatches.
  CHECK(class_of(fitted, "nvidia-gpu").matmul_half_rows > 0);
  CHECK(class_of(fitted, "apple-gpu").matmul_half_rows > 0);
  CHECK(class_of(fitted, "nvidia-gpu").matmul_half_rows >
        class_of(fitted, "apple-gpu").matmul_half_rows);
  CHECK(class_of(fitted, "cpu-x86").matmul_half_rows == 0);
  CHECK(class_of(fitted, "intel-gpu").matmul_half_rows == 0);
  // Ablated: every class keeps the table's figure.
  const EfficiencyTable ablated = fit_efficiency(r.mapped, ablate(prior, Term::class_rows));
  for (const auto& c : ablated.classes) {
    CHECK(c.matmul_half_rows == 0);
  }
}

TEST_CASE("a one-kernel CPU format's decode factor starts from its prefill factor",
          "[calibration][shared][fit]") {
  const auto shared = shared_calibration();
  if (!shared) {
    return;  // ../shared absent: skipped
  }
  const EfficiencyTable& prior = test::efficiency_prior();
  // Every CPU decode row of an IQ grid format dropped: only the prefill rows tell the family.
  std::vector<MappedMeasurement> rows;
  for (const auto& r :
       map_measurements(*shared, test::devices(), test::catalog(), aliases()).mapped) {
    const WeightFormat* f = weight_format(prior, r.model.weights);
    const bool cpu = r.device->kind == DeviceKind::cpu || r.options.backend == "cpu";
    if (!(f != nullptr && f->id == "iq_grid" && cpu && r.kind != TestKind::prefill)) {
      rows.push_back(r);
    }
  }
  const EfficiencyTable table = fit_efficiency(rows, prior);
  const WeightFormat* fitted = find_weight_format(table, "iq_grid");
  REQUIRE(fitted != nullptr);
  CHECK(fitted->cpu_factor < 0.4);  // the prefill rows move it from the prior's 0.4
  CHECK(fitted->cpu_decode_factor == Approx(fitted->cpu_factor));
  // Ablated, the decode factor has nothing to learn from and keeps the prior's.
  const EfficiencyTable plain = ablate(prior, Term::cpu_one_kernel);
  CHECK(parse_term("cpu-one-kernel") == Term::cpu_one_kernel);
  CHECK_FALSE(find_weight_format(plain, "iq_grid")->cpu_vec_dot_only);
  const EfficiencyTable plain_fit = fit_efficiency(rows, plain);
  const WeightFormat* kept = find_weight_format(plain_fit, "iq_grid");
  CHECK(kept->cpu_decode_factor == Approx(find_weight_format(prior, "iq_grid")->cpu_decode_factor));
}

TEST_CASE("llama-bench JSON and JSONL nested 50k deep are one data error",
          "[calibration][parse][limits]") {
  const std::string deep = std::string(50000, '[') + std::string(50000, ']');
  CHECK(data_errors([&] { parse_llama_bench(deep, "deep.json"); }) ==
        std::vector<std::string>{
            "deep.json:1:129: JSON nests deeper than 128 levels of arrays/objects"});
  const std::string row = "{\"a\":" + std::string(50000, '[') + std::string(50000, ']') + "}\n";
  const auto messages = data_errors([&] { parse_llama_bench(row + row, "deep.jsonl"); });
  REQUIRE_FALSE(messages.empty());
  CHECK(messages.front().find("JSON nests deeper than 128 levels") != std::string::npos);
}

TEST_CASE("token counts past 2^30 in a test name are a data error naming file and column",
          "[calibration][parse][limits]") {
  const std::string header = "device,backend,model,quant,test,tokens_per_s\n";
  // pp2147483647+tg2147483647 overflowed an int when the counts were added.
  CHECK(data_errors([&] {
          parse_calibration_csv(
              header + "rtx-3090,CUDA,LLaMA 2 7B,Q4_0,pp2147483647+tg2147483647,1\n", "c.csv");
        }) == std::vector<std::string>{"c.csv:2: column 'test': token count 2147483647 in test "
                                       "'pp2147483647+tg2147483647' is more than 1073741824"});
  CHECK(data_errors([&] {
          parse_calibration_csv(header + "rtx-3090,CUDA,LLaMA 2 7B,Q4_0,tg99999999999,1\n",
                                "c.csv");
        }) == std::vector<std::string>{"c.csv:2: column 'test': token count 99999999999 in test "
                                       "'tg99999999999' is more than 1073741824"});
  // At the bound the name reads; an unknown name stays an unmapped row, not an error.
  const auto rows = parse_calibration_csv(header +
                                              "rtx-3090,CUDA,LLaMA 2 7B,Q4_0,tg1073741824,1\n"
                                              "rtx-3090,CUDA,LLaMA 2 7B,Q4_0,perplexity,1\n",
                                          "c.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].generate_tokens == 1073741824);
  CHECK_FALSE(rows[1].test_understood);
  const std::string md =
      "| model | backend | threads | test | t/s |\n| --- | --- | ---: | ---: | ---: |\n"
      "| llama 7B Q4_0 | CPU | 8 | tg99999999999 | 1.00 ± 0.01 |\n";
  CHECK(data_errors([&] { parse_llama_bench(md, "b.md"); }) ==
        std::vector<std::string>{"b.md:3: column 'test': token count 99999999999 in test "
                                 "'tg99999999999' is more than 1073741824"});
}

TEST_CASE("1e400 in llama-bench JSON is a data error naming file and line",
          "[calibration][parse][limits]") {
  const std::string json =
      "[{\"model_type\": \"llama 7B Q4_0\", \"n_prompt\": 0, \"n_gen\": 128,\n"
      "  \"avg_ts\": 1e400}]";
  CHECK(data_errors([&] { parse_llama_bench(json, "b.json"); }) ==
        std::vector<std::string>{"b.json:2:13: invalid JSON: number overflow parsing '1e400' "
                                 "(not a finite number)"});
  // -o jsonl: one object per line, each parsed alone (a crash found by fuzz_llama_bench).
  const std::string jsonl =
      "{\"model_type\": \"llama 7B Q4_0\", \"n_prompt\": 0, \"n_gen\": 128, \"avg_ts\": 1}\n"
      "{\"model_type\": \"llama 7B Q4_0\", \"n_prompt\": 0, \"n_gen\": 128, \"avg_ts\": 1e400}\n";
  CHECK(data_errors([&] { parse_llama_bench(jsonl, "b.jsonl"); }) ==
        std::vector<std::string>{"b.jsonl:2: not a JSON object: number overflow parsing "
                                 "'1e400' (not a finite number)"});
}

TEST_CASE("measurement files that are not UTF-8 are a data error naming the line",
          "[calibration][parse][limits]") {
  // Latin-1 device names reached -f json, which cannot carry them (an internal error).
  const std::string csv =
      "device,backend,model,quant,test,tokens_per_s\n"
      "caf\xe9-rig,CPU,LLaMA 2 7B,Q4_0,tg128,1\n";
  CHECK(data_errors([&] { parse_measurements(csv, "c.csv"); }) ==
        std::vector<std::string>{"c.csv:2: not valid UTF-8 (save the file as UTF-8)"});
  CHECK(data_errors([&] { parse_llama_bench("| model | t/s |\n| \xff | 1 |\n", "b.md"); }) ==
        std::vector<std::string>{"b.md:2: not valid UTF-8 (save the file as UTF-8)"});
}
