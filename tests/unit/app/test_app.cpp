// The core's application layer: the Database built from texts and the estimate request API.

#include <memory>
#include <string>

#include "catch.hpp"
#include "llmroof/app/chart_request.hpp"
#include "llmroof/app/database.hpp"
#include "llmroof/app/estimate_request.hpp"
#include "llmroof/model/model_files.hpp"
#include "llmroof/platform/load_database.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

Database shipped_database() { return load_database({test::data_dir().string(), {}, {}, {}}); }

const std::vector<Cell>& first_row(const Report& report) {
  REQUIRE(!report.rows.empty());
  return report.rows.front();
}

double number(const Report& report, const std::string& column) {
  const int i = report.column_index(column);
  REQUIRE(i >= 0);
  return std::get<double>(first_row(report).at(static_cast<std::size_t>(i)));
}

EstimateRequest request(std::string model, std::string quant, std::string devices) {
  EstimateRequest r;
  r.model.text = std::move(model);
  r.quant = std::move(quant);
  r.devices = std::move(devices);
  return r;
}

}  // namespace

TEST_CASE("RequestError names fields as placeholders each front end renders", "[app]") {
  const RequestError e("acceptance", "{draft} needs {acceptance}: e.g. 0.78 in {not a field}",
                       {"0.78"});
  CHECK(e.field() == "acceptance");
  CHECK(std::string(e.what()) == "draft needs acceptance: e.g. 0.78 in {not a field}");
  CHECK(e.render([](std::string_view f) { return "--" + std::string(f); }) ==
        "--draft needs --acceptance: e.g. 0.78 in {not a field}");
  CHECK(e.suggestions() == std::vector<std::string>{"0.78"});
}

TEST_CASE("run_estimate: the roofline of the source article, through the request API", "[app]") {
  const Database db = shipped_database();
  EstimateRequest r = request("7b", "int4", "a100-80gb-pcie");
  r.options.ideal = true;
  const Report report = run_estimate(db, r);
  // 7e9 parameters at 0.5 bytes over 1935 GB/s: 1935e9 / 3.5e9 = 552.857 tokens/s.
  CHECK(number(report, "tokens_per_s") == Approx(552.857142857).epsilon(1e-9));
  CHECK(report.notes.front().rfind("{ideal}: pure roofline", 0) == 0);
}

TEST_CASE("run_estimate normalizes the backend: CPU and cpu give one answer", "[app]") {
  const Database db = shipped_database();
  EstimateRequest upper = request("llama-2-7b", "q4_k_m", "m4-pro");
  upper.options.backend = "CPU";
  EstimateRequest lower = upper;
  lower.options.backend = "cpu";
  CHECK(number(run_estimate(db, upper), "tokens_per_s") ==
        number(run_estimate(db, lower), "tokens_per_s"));
}

TEST_CASE("run_estimate reports the field at fault, with suggestions", "[app]") {
  const Database db = shipped_database();
  try {
    run_estimate(db, request("llama-3.1-8b", "q4_k_n", "m4-pro"));
    FAIL("no error");
  } catch (const RequestError& e) {
    CHECK(e.field() == "quant");
    REQUIRE(!e.suggestions().empty());
    CHECK(e.suggestions().front() == "q4_k_m");
  }
  try {
    run_estimate(db, request("llama-3.1-8c", "q4_k_m", "m4-pro"));
    FAIL("no error");
  } catch (const RequestError& e) {
    CHECK(e.field() == "model");
    CHECK(e.suggestions().front() == "llama-3.1-8b");
  }
  EstimateRequest draft = request("llama-3.1-70b", "q4_k_m", "m4-max");
  draft.draft = ModelArgument{"llama-3.1-8b", {}};
  draft.draft_quant = "q9";
  draft.acceptance = 0.7;
  try {
    run_estimate(db, draft);
    FAIL("no error");
  } catch (const RequestError& e) {
    CHECK(e.field() == "draft_quant");
    CHECK(e.message_template().rfind("{draft}: unknown quant 'q9'", 0) == 0);
  }
  EstimateRequest no_draft = request("llama-3.1-70b", "q4_k_m", "m4-max");
  no_draft.acceptance = 0.7;
  CHECK_THROWS_AS(run_estimate(db, no_draft), RequestError);
}

TEST_CASE("model resolution: files first, then sizes, then the catalog", "[app]") {
  const Database db = shipped_database();
  // A config.json whose file is named like a catalog id: the file's architecture is used.
  const std::string config =
      R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 1024, "intermediate_size": 4096,
          "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 8,
          "vocab_size": 1000, "torch_dtype": "bfloat16"})";
  auto bytes = std::make_shared<std::string>(config);
  ModelArgument file{"llama-3.1-8b",
                     {ModelFile{"tiny/config.json", std::make_shared<MemorySource>(*bytes)}}};
  const ModelChoice from_file = resolve_model(db, file, std::nullopt);
  CHECK(from_file.input.spec.layers == 4);
  CHECK(from_file.input.spec.name == "tiny");  // named after its folder
  CHECK(from_file.input.quant_id == "bf16");   // the config's torch_dtype
  const ModelChoice from_catalog = resolve_model(db, ModelArgument{"llama-3.1-8b", {}}, "q8_0");
  CHECK(from_catalog.input.spec.layers == 32);
  const ModelChoice from_size = resolve_model(db, ModelArgument{"7b", {}}, std::nullopt);
  CHECK(from_size.input.quant_id == "fp16");
}

TEST_CASE("Database parses each table on first use only", "[app]") {
  DataTexts texts;
  texts.devices = {"devices.json", test::read(test::data_dir() / "devices.json")};
  texts.efficiency = {"efficiency.json", test::read(test::data_dir() / "efficiency.json")};
  texts.models = {"models.json", "{ not json"};
  texts.links = {"links.json", "[]"};
  const Database db(std::move(texts));
  // A shorthand size needs no model catalog, and a single device no links.
  EstimateRequest r = request("7b", "int4", "m4-pro");
  CHECK(number(run_estimate(db, r), "tokens_per_s") > 0);
  CHECK_THROWS_AS(db.models(), DataError);
}

TEST_CASE("read_model_files tells a GGUF from a config by name or magic", "[app]") {
  CHECK(has_gguf_name("dir/Model-Q4_K_M.GGUF"));
  CHECK_FALSE(has_gguf_name("dir.gguf/config.json"));
  MemorySource magic(std::string_view("GGUF\x03\x00\x00\x00", 8));
  CHECK(is_gguf(magic));
  MemorySource json(std::string_view("{}"));
  CHECK_FALSE(is_gguf(json));
  CHECK_THROWS_AS(read_model_files({}), Error);
}

TEST_CASE("roofline points: intensity and attained FLOP/s of a step and a prefill", "[app]") {
  EstimateResult r;
  r.step.flops = 2e10;  // one step: 2e10 FLOPs over 1e10 bytes, 50 steps per second
  r.step.bytes = 1e10;
  r.tokens_per_s = 50;
  const RooflinePoint decode = decode_point("b1", r);
  CHECK(decode.intensity_flops_per_byte == 2);
  CHECK(decode.flops_per_s == Approx(1e12));
  CHECK_FALSE(prefill_point("p", r));
  r.prefill = PrefillResult{};
  r.prefill->flops = 1e13;
  r.prefill->bytes = 1e10;
  r.time_to_first_token_s = 0.5;
  const auto prefill = prefill_point("p", r);
  REQUIRE(prefill);
  CHECK(prefill->intensity_flops_per_byte == 1000);
  CHECK(prefill->flops_per_s == Approx(2e13));
}

TEST_CASE("run_roofline: decode points at fixed batches and the critical batch", "[app]") {
  const Database db = shipped_database();
  EstimateRequest r = request("llama-3.1-8b", "q4_k_m", "rtx-4090");
  r.options.ideal = true;
  const RooflineOutcome outcome = run_roofline(db, r);
  const Report& report = outcome.report;
  CHECK(report.command == "roofline");
  CHECK(outcome.chart.title == "llama-3.1-8b q4_k_m: roofline (context 0)");
  REQUIRE(outcome.chart.devices.size() == 1);
  CHECK(outcome.chart.devices[0].points.size() == report.rows.size());
  std::vector<std::string> points;
  for (const auto& row : report.rows) {
    points.push_back(std::get<std::string>(row[1]));
  }
  // Q4_K_M blocks multiply with int8 activations: the roof is the 660.6 TOPS INT8 tensor rate,
  // which puts the ridge past batch 64.
  CHECK(points == std::vector<std::string>{"b1", "b8", "b64", "b202 (critical)", "prefill 512"});
  // --ideal: every point sits on the roofs, min(peak, bandwidth x intensity).
  for (const auto& row : report.rows) {
    const double intensity = std::get<double>(row[2]);
    const double attained = std::get<double>(row[3]);
    const double bw = std::get<double>(row[4]);
    const double peak = std::get<double>(row[5]);
    CAPTURE(std::get<std::string>(row[1]));
    CHECK(attained == Approx(std::min(peak, bw * intensity)).epsilon(1e-9));
    CHECK(std::holds_alternative<std::monostate>(row[6]));  // no realistic roofs
  }
  // The critical batch is where decode meets the ridge: intensity ~ peak / bandwidth.
  const auto& critical = report.rows[3];
  CHECK(std::get<double>(critical[2]) ==
        Approx(std::get<double>(critical[5]) / std::get<double>(critical[4])).epsilon(0.02));
}

TEST_CASE("run_roofline: realistic roofs below the ideal ones; single devices only", "[app]") {
  const Database db = shipped_database();
  const Report report =
      run_roofline(db, request("llama-3.1-8b", "q4_k_m", "rtx-4090,m4-pro")).report;
  // rtx-4090: b1, b8, b50 (critical), b64, prefill; m4-pro-20c's critical batch is 8.
  REQUIRE(report.rows.size() == 9);
  for (const auto& row : report.rows) {
    CHECK(std::get<double>(row[6]) < std::get<double>(row[4]));
    CHECK(std::get<double>(row[6]) > 0.5 * std::get<double>(row[4]));
    // Realistic decode points stay under the realistic bandwidth roof.
    if (std::get<std::string>(row[1]).rfind("b", 0) == 0) {
      CHECK(std::get<double>(row[3]) < std::get<double>(row[6]) * std::get<double>(row[2]));
    }
  }
  EstimateRequest group = request("llama-3.1-8b", "q4_k_m", "rtx-4090,rtx-4090");
  CHECK_THROWS_AS(run_roofline(db, group), RequestError);
  group = request("llama-3.1-8b", "q4_k_m", "rtx-4090");
  group.count = 2;
  CHECK_THROWS_AS(run_roofline(db, group), RequestError);
}

TEST_CASE(
    "Database notices: a replaced shipped device is a note, a profile for an unknown "
    "device a warning",
    "[app]") {
  DataTexts texts;
  texts.devices = {"devices.json", test::read(test::data_dir() / "devices.json")};
  texts.efficiency = {"efficiency.json", test::read(test::data_dir() / "efficiency.json")};
  CHECK(Database(texts).notices().notes.empty());  // no user files: nothing loaded, nothing said
  const std::string mine = test::read(std::filesystem::path(LLMROOF_TEST_DATA_DIR) / "good" /
                                      "devices-replace-shipped.json");
  texts.extra_devices = {{"a.json", mine}, {"b.json", mine}};
  std::string profile = test::read(std::filesystem::path(LLMROOF_TEST_DATA_DIR) / "good" /
                                   "llama-bench-rtx4090-profile.json");
  profile.replace(profile.find("\"device\": \"rtx-4090\""), 20, "\"device\": \"rtx-9999\"");
  texts.calibrations = {{"p.json", profile}};
  const DataNotices notices = Database(texts).notices();
  CHECK(notices.notes == std::vector<std::string>{
                             "a.json: device 'rtx-4090' replaces the one of that id in "
                             "devices.json",
                             "b.json: device 'rtx-4090' replaces the one of that id in a.json"});
  CHECK(notices.warnings ==
        std::vector<std::string>{"p.json: class 'rtx-4090-cuda' is for device 'rtx-9999', which "
                                 "is not in the device database: it never applies"});
}

TEST_CASE("run_estimate: a row that does not fit has no speed, a reason, and ranks last", "[app]") {
  const Database db = shipped_database();
  EstimateRequest r = request("70b", "int4", "rtx-4090,m4-max");
  r.options.ideal = true;
  r.sort = "memory_bound_tokens_per_s";  // the RTX 4090's roof (28.8) is above the M4 Max's
  const Report report = run_estimate(db, r);
  REQUIRE(report.rows.size() == 2);
  const auto cell = [&](std::size_t row, const char* id) {
    return report.rows[row].at(static_cast<std::size_t>(report.column_index(id)));
  };
  // The M4 Max fits: 546 GB/s / (70e9 * 0.5 B) = 15.6 tokens/s, and comes first.
  CHECK(std::get<std::string>(cell(0, "device.id")) == "m4-max-40c");
  CHECK(std::get<double>(cell(0, "tokens_per_s")) == Approx(546e9 / 35e9));
  CHECK(std::holds_alternative<std::monostate>(cell(0, "fit_reason")));
  // The RTX 4090 does not: 35e9 B of weights + KV 2 * 71 layers * 9088 * 2 B * 640 tokens
  // (1,651,916,800 B) + runtime 512 MiB + 2% of the weights = 37,888,787,712 B = 35.3 GiB,
  // against 24 GiB. Its roof stays (1008 GB/s / 35e9 B = 28.8); its speeds are null.
  CHECK(std::get<std::string>(cell(1, "device.id")) == "rtx-4090");
  CHECK_FALSE(std::get<bool>(cell(1, "fits")));
  CHECK(std::get<double>(cell(1, "memory_required_bytes")) == Approx(37888787712.0));
  CHECK(std::get<double>(cell(1, "memory_bound_tokens_per_s")) == Approx(1008e9 / 35e9));
  for (const char* id :
       {"tokens_per_s", "tokens_per_s_low", "tokens_per_s_high", "aggregate_tokens_per_s",
        "prefill_tokens_per_s", "time_to_first_token_seconds", "generate_tokens_per_s",
        "end_to_end_seconds"}) {
    CHECK(std::holds_alternative<std::monostate>(cell(1, id)));
  }
  CHECK(std::get<std::string>(cell(1, "fit_reason")) == "needs 35.3 GiB of 24.0 GiB usable");
  CHECK(report.columns[static_cast<std::size_t>(report.column_index("fit_reason"))].human);
}

TEST_CASE("Ollama tags: the model and quant Ollama ships, a tag's own quant, the origin", "[app]") {
  const Database db = shipped_database();
  const ModelCatalog& catalog = db.models();
  const auto tag = [&](std::string_view name) {
    const auto found = find_ollama_tag(catalog, name);
    REQUIRE(found);
    return std::pair<std::string, std::string>(
        found->entry->model, found->tag_quant.empty() ? found->entry->quant : found->tag_quant);
  };
  CHECK(tag("qwen3:30b") == std::pair<std::string, std::string>("qwen3-30b-a3b", "q4_k_m"));
  CHECK(tag("qwen3") == std::pair<std::string, std::string>("qwen3-8b", "q4_k_m"));  // latest
  CHECK(tag("gpt-oss:20b") == std::pair<std::string, std::string>("gpt-oss-20b", "mxfp4_bf16"));
  CHECK(tag("qwen3:30b-a3b-q8_0") == std::pair<std::string, std::string>("qwen3-30b-a3b", "q8_0"));
  CHECK(tag("llama3.1:8b-instruct-q4_K_M") ==
        std::pair<std::string, std::string>("llama-3.1-8b", "q4_k_m"));
  CHECK_FALSE(find_ollama_tag(catalog, "qwen3:31b"));
  CHECK_FALSE(find_ollama_tag(catalog, "qwen3:30b-a3b-turbo"));
  CHECK_FALSE(find_ollama_tag(catalog, "llama-3.1-8b"));  // a catalog id, no library name

  const auto origin = [&](const Report& report) {
    return std::get<std::string>(
        first_row(report).at(static_cast<std::size_t>(report.column_index("quant_origin"))));
  };
  EstimateRequest r = request("qwen3:30b", "", "rtx-4090");
  r.quant.reset();
  CHECK(origin(run_estimate(db, r)) == "tag");
  r.quant = "q8_0";
  CHECK(origin(run_estimate(db, r)) == "flag");
  r.model.text = "llama-3.1-8b";
  r.quant.reset();
  CHECK(origin(run_estimate(db, r)) == "published dtype");
  r.model.text = "7b";
  CHECK(origin(run_estimate(db, r)) == "default");
}
