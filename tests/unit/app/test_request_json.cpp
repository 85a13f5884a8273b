// estimate_request_from_json: the request of the web page and the Python module.

#include <algorithm>
#include <memory>
#include <string>

#include "catch.hpp"
#include "llmroof/app/request_json.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/units.hpp"

using namespace llmroof;

namespace {

// The RequestError a request raises.
RequestError refused(const std::string& json) {
  try {
    estimate_request_from_json(json);
  } catch (const RequestError& e) {
    return e;
  }
  FAIL("no RequestError for " << json);
  return RequestError("", "");
}

}  // namespace

TEST_CASE("request JSON: fields in the CLI's units become an EstimateRequest", "[request_json]") {
  const EstimateRequest r = estimate_request_from_json(R"({
    "model": "llama-3.1-8b", "quant": "q4_k_m", "device": ["rtx-4090", "m4-pro"],
    "batch": 4, "context": 8192, "prompt": 0, "generate": 256, "bandwidth": 120,
    "tflops": 38.5, "memory": 16, "kv_quant": "Q8_0", "compute_precision": "int8",
    "backend": "CUDA", "ideal": true, "expert_skew": 0.5, "power": 300,
    "price_per_hour": 2.5, "sort": "device.id", "show": ["joules_per_token", "critical_batch"],
    "count": 2, "split": "tensor", "split_ratio": [3, 1.5], "link": "nvlink-4",
    "gpu_layers": 40, "host": "i9-13900k", "cpu_moe": true, "draft": "llama-3.2-1b",
    "draft_quant": "q8_0", "draft_tokens": 6, "acceptance": 0.7})");
  CHECK(r.model.text == "llama-3.1-8b");
  CHECK(r.model.files.empty());
  CHECK(r.quant == "q4_k_m");
  CHECK(r.devices == "rtx-4090,m4-pro");
  CHECK(r.options.batch == 4);
  CHECK(r.options.context_tokens == 8192);
  CHECK(r.options.prompt_tokens == 0);
  CHECK(r.options.generate_tokens == 256);
  CHECK(r.generate_given);
  CHECK(r.options.bandwidth_bytes_per_s == 120e9);
  CHECK(r.options.peak_flops_per_s == 38.5e12);
  CHECK(r.options.memory_bytes == 16 * units::k_gib);
  CHECK(!r.options.usable_memory_bytes);
  CHECK(r.options.kv_quant == "q8_0");
  CHECK(r.options.kv_bytes_per_element == Approx(34.0 / 32.0).epsilon(1e-12));  // q8_0 block
  CHECK(r.options.compute_precision == Precision::int8);
  CHECK(r.options.backend == "cuda");
  CHECK(r.options.ideal);
  CHECK(r.options.expert_skew == 0.5);
  CHECK(r.options.power_w == 300);
  CHECK(r.options.price_usd_per_hour == 2.5);
  CHECK(r.sort == "device.id");
  CHECK(r.show == std::vector<std::string>{"joules_per_token", "critical_batch"});
  CHECK(r.count == 2);
  CHECK(r.split == "tensor");
  CHECK(r.split_ratio == "3,1.5");
  CHECK(r.link == "nvlink-4");
  CHECK(r.gpu_layers == "40");
  CHECK(r.host == "i9-13900k");
  CHECK(r.cpu_moe);
  REQUIRE(r.draft);
  CHECK(r.draft->text == "llama-3.2-1b");
  CHECK(r.draft_quant == "q8_0");
  CHECK(r.draft_tokens == 6);
  CHECK(r.acceptance == 0.7);
}

TEST_CASE("request JSON: absent and null fields keep the CLI's defaults", "[request_json]") {
  const EstimateRequest r =
      estimate_request_from_json(R"({"model": "7b", "device": "apple", "quant": null})");
  const EstimateRequest d;
  CHECK(r.devices == "apple");
  CHECK_FALSE(r.quant);
  CHECK(r.options.batch == d.options.batch);
  CHECK(r.options.prompt_tokens == d.options.prompt_tokens);
  CHECK(r.options.generate_tokens == d.options.generate_tokens);
  CHECK_FALSE(r.generate_given);
  CHECK(r.options.kv_quant == "f16");
  CHECK(r.options.kv_bytes_per_element == 2.0);
  CHECK(r.sort == "tokens_per_s");
  CHECK(r.count == 1);
  CHECK_FALSE(r.draft);
  CHECK_FALSE(r.draft_tokens);
  CHECK(estimate_request_from_json(R"({"model": "7b", "device": "a", "usable_memory": 20})")
            .options.usable_memory_bytes == 20 * units::k_gib);
  CHECK(estimate_request_from_json(R"({"model": "7b", "device": "a", "gpu_layers": "auto"})")
            .gpu_layers == "auto");
  // 2.0 is a whole number (JavaScript has one number type).
  CHECK(
      estimate_request_from_json(R"({"model": "7b", "device": "a", "batch": 2.0})").options.batch ==
      2);
}

TEST_CASE("request JSON: model files come with the request", "[request_json]") {
  std::vector<ModelFile> files{{"config.json", std::make_shared<MemorySource>("{}")}};
  const EstimateRequest r = estimate_request_from_json(R"({"device": "a100"})", files);
  CHECK(r.model.text == "config.json");
  CHECK(r.model.files.size() == 1);
}

TEST_CASE("request JSON: each bad value names its field", "[request_json]") {
  struct Case {
    const char* json;
    const char* field;
    const char* message;
  };
  const Case cases[] = {
      {R"({"device": "a"})", "model", "{model} is required"},
      {R"({"model": "7b"})", "device", "{device} is required"},
      {R"({"model": "7b", "device": []})", "device", "{device} is required"},
      {R"({"model": "7b", "device": [1]})", "device",
       "{device} must be a string or a list of strings, got [1]"},
      {R"({"model": "7b", "device": "a", "batch": 0})", "batch",
       "{batch} must be a whole number from 1 to 1048576, got 0"},
      {R"({"model": "7b", "device": "a", "batch": -3})", "batch",
       "{batch} must be a whole number from 1 to 1048576, got -3"},
      {R"({"model": "7b", "device": "a", "context": 1.5})", "context",
       "{context} must be a whole number from 0 to 100000000, got 1.5"},
      {R"({"model": "7b", "device": "a", "count": 18446744073709551615})", "count",
       "{count} must be a whole number from 1 to 4096, got 18446744073709551615"},
      {R"({"model": "7b", "device": "a", "acceptance": 2})", "acceptance",
       "{acceptance} must be a number from 0 to 1, got 2"},
      {R"({"model": "7b", "device": "a", "bandwidth": 0})", "bandwidth",
       "{bandwidth} must be a positive number, got 0"},
      {R"({"model": "7b", "device": "a", "ideal": 1})", "ideal",
       "{ideal} must be true or false, got 1"},
      {R"({"model": "7b", "device": "a", "split": "rows"})", "split",
       "{split} must be one of layer, tensor, row, got 'rows'"},
      {R"({"model": "7b", "device": "a", "split_ratio": []})", "split_ratio",
       "{split_ratio} must be a string such as \"3,1\" or a list of numbers, got []"},
      {R"({"model": "7b", "device": "a", "memory": 16, "usable_memory": 12})", "usable_memory",
       "{usable_memory} sets usable memory directly; give it or {memory} (installed), not both"},
      {R"({"model": 7, "device": "a"})", "model", "{model} must be a string, got 7"},
      {"[1]", "request", "the request must be a JSON object"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    const RequestError e = refused(c.json);
    CHECK(e.field() == c.field);
    CHECK(e.message_template() == c.message);
  }
}

TEST_CASE("request JSON: unknown names get suggestions", "[request_json]") {
  RequestError e = refused(R"({"model": "7b", "device": "a", "bach": 2})");
  CHECK(e.field() == "bach");
  REQUIRE(!e.suggestions().empty());
  CHECK(e.suggestions().front() == "batch");
  e = refused(R"({"model": "7b", "device": "a", "kv_quant": "q8"})");
  CHECK(e.field() == "kv_quant");
  REQUIRE(!e.suggestions().empty());
  CHECK(e.suggestions().front() == "q8_0");
  CHECK(refused("{").field() == "request");
}

TEST_CASE("request JSON: the field list is the request's", "[request_json]") {
  const auto fields = estimate_request_fields();
  CHECK(fields.size() == 31);
  CHECK(fields.front() == "model");
  CHECK(std::find(fields.begin(), fields.end(), "price_per_hour") != fields.end());
}
