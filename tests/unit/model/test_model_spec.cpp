// Model catalog loading, shorthand sizes, KV cache and attention arithmetic.

#include "catch.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

TEST_CASE("shorthand sizes", "[model]") {
  CHECK(parse_size("7b").value() == 7e9);
  CHECK(parse_size("70B").value() == 70e9);
  CHECK(parse_size("671b").value() == 671e9);
  CHECK(parse_size("500m").value() == 500e6);
  CHECK(parse_size("1.5b").value() == 1.5e9);
  CHECK(parse_size("1t").value() == 1e12);
  CHECK_FALSE(parse_size("b").has_value());
  CHECK_FALSE(parse_size("7x").has_value());
  CHECK_FALSE(parse_size("llama-7b").has_value());
  CHECK_FALSE(parse_size("-7b").has_value());
  CHECK_FALSE(parse_size("1.2.3b").has_value());
}

TEST_CASE("shorthand sizes are bounded to 1M..100T parameters", "[model]") {
  CHECK(parse_size("1m").value() == 1e6);
  CHECK(parse_size("100t").value() == 1e14);
  CHECK_THROWS_AS(parse_size("999k"), UsageError);
  CHECK_THROWS_AS(parse_size("100.1t"), UsageError);
  // Was 1.84 GB and 6.5 s of work on a 1e18-parameter generic model.
  CHECK_THROWS_WITH(parse_size("1000000000000000b"),
                    "model size '1000000000000000b' is out of range: shorthand sizes go from 1M "
                    "to 100T parameters");
  // 300 digits: std::stod threw out_of_range ("internal error"); now the same one-line error.
  CHECK_THROWS_AS(parse_size("1" + std::string(300, '0') + "b"), UsageError);
}

TEST_CASE("a generic model follows P ~= 12 * layers * hidden^2", "[model]") {
  for (double p : {5e8, 7e9, 13e9, 70e9, 671e9}) {
    const ModelSpec m = generic_model(p, "x");
    const double rule = 12.0 * m.layers * static_cast<double>(m.hidden) * m.hidden;
    CHECK(rule == Approx(p).epsilon(0.08));  // whole 128-wide heads: up to ~7% at 0.5B
    CHECK(m.heads * m.head_dim == m.hidden);
    CHECK(m.total_params == p);
  }
  const ModelSpec m7 = generic_model(7e9, "7b");
  CHECK(m7.layers == 33);  // LLaMA-7B has 32 layers of 4096
  CHECK(m7.hidden == 4224);
}

TEST_CASE("the shipped catalog loads and every entry is consistent", "[model][data]") {
  const ModelCatalog& c = test::catalog();
  CHECK(c.schema_version == 1);
  CHECK(c.models.size() >= 28);
  for (const char* id :
       {"llama-2-7b",      "llama-2-13b",   "llama-2-70b",    "llama-3-8b",   "llama-3-70b",
        "llama-3.1-8b",    "llama-3.1-70b", "llama-3.1-405b", "llama-3.2-1b", "llama-3.2-3b",
        "mistral-7b",      "mixtral-8x7b",  "mixtral-8x22b",  "qwen2.5-0.5b", "qwen2.5-7b",
        "qwen2.5-14b",     "qwen2.5-32b",   "qwen2.5-72b",    "qwen3-8b",     "qwen3-30b-a3b",
        "qwen3-235b-a22b", "deepseek-v3",   "deepseek-r1",    "gpt-oss-20b",  "gpt-oss-120b",
        "gemma-2-9b",      "phi-4",         "falcon-7b"}) {
    INFO(id);
    CHECK(find_model(c, id) != nullptr);
  }
  // Aliases: case, dots, dashes, slashes and colons are ignored.
  CHECK(find_model(c, "Llama-3.1-70B")->id == "llama-3.1-70b");
  CHECK(find_model(c, "llama3-70b")->id == "llama-3-70b");
  CHECK(find_model(c, "meta-llama/Llama-3.1-70B")->id == "llama-3.1-70b");
  CHECK(find_model(c, "no-such-model") == nullptr);
}

TEST_CASE("KV cache by attention kind", "[model][kv]") {
  const ModelCatalog& c = test::catalog();
  // GQA: 2 * layers * kv_heads * head_dim * bytes.
  CHECK(kv_cache_bytes(*find_model(c, "llama-3.1-8b"), 1, 2) == 2.0 * 32 * 8 * 128 * 2);
  // MLA: the compressed latent, layers * (kv_lora_rank + rope) * bytes = 70,272 B at bf16.
  CHECK(kv_cache_bytes(*find_model(c, "deepseek-v3"), 1, 2) == 61.0 * (512 + 64) * 2);
  // MQA: one KV head.
  CHECK(kv_cache_bytes(*find_model(c, "falcon-7b"), 1, 2) == 2.0 * 32 * 1 * 64 * 2);
  // Sliding window: gemma-2-9b's local layers stop at 4096 tokens.
  const ModelSpec& gemma = *find_model(c, "gemma-2-9b");
  REQUIRE(gemma.sliding_window == 4096);
  const double per_layer = 2.0 * gemma.kv_heads * gemma.head_dim * 2;
  const int local = gemma.sliding_window_layers;
  CHECK(kv_cache_bytes(gemma, 1000, 2) == Approx(per_layer * 42 * 1000));
  CHECK(kv_cache_bytes(gemma, 8192, 2) ==
        Approx(per_layer * ((42 - local) * 8192.0 + local * 4096.0)));
}

TEST_CASE("attention FLOPs summed over a prompt equal the per-token sum", "[model][attention]") {
  const ModelCatalog& c = test::catalog();
  for (const char* id : {"llama-3.1-8b", "gemma-2-9b", "gpt-oss-20b", "deepseek-v3"}) {
    const ModelSpec& m = *find_model(c, id);
    for (double context : {0.0, 100.0, 4000.0, 10000.0}) {
      for (double n : {1.0, 7.0, 512.0, 5000.0}) {
        double brute = 0;
        for (double i = 0; i < n; ++i) {
          brute += attention_flops_per_token(m, context + i);
        }
        INFO(id << " context " << context << " n " << n);
        CHECK(attention_flops_sum(m, context, n) == Approx(brute).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("malformed catalogs name the file, line and field", "[model][errors]") {
  const std::string text = R"({
  "schema_version": 1,
  "models": [
    {"id": "x", "name": "X", "architecture": "llama", "total_params": 10,
     "active_params": 20, "layers": "32"}
  ]
})";
  try {
    parse_models(text, "bad.json");
    FAIL("no error");
  } catch (const DataError& e) {
    const auto& m = e.messages();
    CHECK(std::find(m.begin(), m.end(),
                    "bad.json:5: /models/0/layers: expected an integer, got \"32\"") != m.end());
    CHECK(std::find(m.begin(), m.end(),
                    "bad.json:4: /models/0: missing required field 'hidden_size'") != m.end());
  }
  CHECK_THROWS_AS(parse_models("{\"schema_version\": 1, \"models\": [", "cut.json"), DataError);
}

TEST_CASE("catalog parameter counts agree with the architecture's tensors", "[model][data]") {
  // The declared total and active counts of every catalog entry are what its tensor layout
  // sums to (the same code reads config.json and GGUF files).
  const ModelCatalog& c = test::catalog();
  for (const auto& m : c.models) {
    INFO(m.id);
    const auto tensors = model_tensors(m);
    CHECK(count_total_params(tensors) == Approx(m.total_params).epsilon(0.001));
    const int experts = m.moe ? m.moe->experts : 0;
    const int used = m.moe ? m.moe->experts_used : 0;
    CHECK(count_active_params(tensors, experts, used) == Approx(m.active_params).epsilon(0.01));
  }
}

TEST_CASE("lookup_model: repo ids, release suffixes and families without a size", "[models]") {
  const auto& c = test::catalog();
  auto id_of = [&c](std::string_view name) {
    const auto found = lookup_model(c, name);
    return found.model ? found.model->id : std::string("(none)");
  };
  // Ids and aliases: no note.
  CHECK(lookup_model(c, "meta-llama/Llama-3.1-70B-Instruct").model->id == "llama-3.1-70b");
  CHECK(lookup_model(c, "meta-llama/Llama-3.1-70B-Instruct").note.empty());
  CHECK(id_of("Qwen/Qwen3-30B-A3B-Instruct-2507") == "qwen3-30b-a3b");
  // Another organisation and release words.
  CHECK(id_of("unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF") == "qwen3-30b-a3b");
  CHECK(id_of("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF") == "llama-3.1-8b");
  CHECK(id_of("google/gemma-3-27b-it-qat-q4_0-gguf") == "gemma-3-27b");
  CHECK(id_of("Qwen2.5-7B-Instruct-GGUF") == "qwen2.5-7b");
  CHECK_FALSE(lookup_model(c, "unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF").note.empty());
  // A family without its size: the smallest, and the note names the others.
  CHECK(id_of("llama2") == "llama-2-7b");
  CHECK(id_of("mistral") == "mistral-7b");
  CHECK(id_of("mixtral") == "mixtral-8x7b");
  CHECK(id_of("qwen3") == "qwen3-0.6b");
  CHECK(lookup_model(c, "mixtral").note.find("mixtral-8x22b") != std::string::npos);
  // "llama" continues with a version, not a size: no family.
  CHECK(id_of("llama") == "(none)");
  CHECK(id_of("lama3") == "(none)");
}

TEST_CASE("closest_model_ids: ids, each once, for aliases close to the name", "[models]") {
  const auto& c = test::catalog();
  const auto ids = closest_model_ids(c, "lama3");
  REQUIRE_FALSE(ids.empty());
  CHECK(ids.size() <= 3);
  for (const auto& id : ids) {
    CHECK(find_model(c, id)->id == id);
  }
  CHECK(closest_model_ids(c, "meta-llama/Llama-3.1-8X-Instruct").front() == "llama-3.1-8b");
}
