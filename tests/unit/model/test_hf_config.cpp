#include <cmath>
#include <filesystem>
#include <string>

#include "catch.hpp"
#include "llmroof/model/hf_config.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/model/weights.hpp"
#include "llmroof/util/errors.hpp"
#include "reference_csv.hpp"

using namespace llmroof;

namespace {

std::string parse_error_of(const std::string& text) {
  try {
    parse_hf_config(text, "config.json");
  } catch (const ModelSpecError& error) {
    return error.what();
  }
  return "(no error)";
}

double csv_number(const std::string& text) { return std::stod(text); }

}  // namespace

TEST_CASE("hf config: a llama counted by hand", "[hf_config]") {
  // Llama-3.2-1B's shape with a 1-layer stack: embd 128256*2048, layer: norms 2*2048,
  // q 2048*2048, k/v 2*2048*512, o 2048*2048, MLP 3*2048*8192, final norm 2048, tied.
  const ModelSpec spec = parse_hf_config(R"({
    "model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 1,
    "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
    "intermediate_size": 8192, "vocab_size": 128256, "tie_word_embeddings": true,
    "max_position_embeddings": 131072, "torch_dtype": "bfloat16"})",
                                         "config.json");
  const double expected = 128256.0 * 2048 + 2 * 2048 + 2048.0 * 2048 + 2 * 2048.0 * 512 +
                          2048.0 * 2048 + 3 * 2048.0 * 8192 + 2048;
  CHECK(spec.architecture == Architecture::llama);
  CHECK(spec.total_params == expected);
  CHECK(spec.active_params == expected);
  CHECK(spec.attention == AttentionKind::gqa);
  CHECK(spec.kv_heads == 8);
  CHECK(spec.head_dim == 64);
  CHECK(spec.max_context == 131072);
  CHECK(spec.torch_dtype == "bfloat16");
  CHECK(spec.tied_embeddings);
  CHECK(spec.sliding_window == 0);
  CHECK(spec.assumed_fields.empty());
  CHECK(spec.name == "config.json");
  // 2 (K and V) * 1 layer * 8 heads * 64 * 2 bytes.
  CHECK(kv_cache_bytes(spec, 1, 2) == 2048);
}

TEST_CASE("hf config: families without a fixture, against models.csv values", "[hf_config]") {
  // Hand-written configs with the published shapes (models.csv rows); totals are exact.
  SECTION("gpt2") {
    const ModelSpec spec = parse_hf_config(R"({"model_type": "gpt2", "n_layer": 12,
      "n_embd": 768, "n_head": 12, "n_positions": 1024, "n_ctx": 1024, "n_inner": null,
      "vocab_size": 50257})",
                                           "gpt2/config.json");
    CHECK(spec.total_params == 124439808.0);
    CHECK(spec.tied_embeddings);
    CHECK(spec.max_context == 1024);
    CHECK(kv_cache_bytes(spec, 1, 2) == 36864);
  }
  SECTION("opt") {
    const ModelSpec spec = parse_hf_config(R"({"model_type": "opt", "num_hidden_layers": 32,
      "hidden_size": 4096, "num_attention_heads": 32, "ffn_dim": 16384,
      "max_position_embeddings": 2048, "vocab_size": 50272, "word_embed_proj_dim": 4096,
      "torch_dtype": "float16"})",
                                           "opt/config.json");
    CHECK(spec.total_params == 6658473984.0);
    CHECK(spec.notes.empty());
    CHECK(kv_cache_bytes(spec, 1, 2) == 524288);
  }
  SECTION("mistral: every layer windowed") {
    const ModelSpec spec = parse_hf_config(R"({"model_type": "mistral", "hidden_size": 4096,
      "intermediate_size": 14336, "max_position_embeddings": 32768, "num_attention_heads": 32,
      "num_hidden_layers": 32, "num_key_value_heads": 8, "sliding_window": 4096,
      "tie_word_embeddings": false, "vocab_size": 32000})",
                                           "config.json");
    CHECK(spec.total_params == 7241732096.0);
    CHECK(spec.sliding_window == 4096);
    CHECK(spec.sliding_window_layers == 32);
    CHECK(kv_cache_bytes(spec, 1, 2) == 131072);
    // At 8192 tokens every layer holds only its 4096-token window.
    CHECK(kv_cache_bytes(spec, 8192, 2) == 131072.0 * 4096);
  }
  SECTION("gemma3 inside text_config, with the class defaults") {
    const ModelSpec spec = parse_hf_config(R"({"model_type": "gemma3", "torch_dtype": "bfloat16",
      "text_config": {"model_type": "gemma3_text", "hidden_size": 5376,
        "intermediate_size": 21504, "num_attention_heads": 32, "num_hidden_layers": 62,
        "num_key_value_heads": 16, "head_dim": 128, "sliding_window": 1024,
        "vocab_size": 262208, "max_position_embeddings": 131072}})",
                                           "config.json");
    CHECK(spec.architecture == Architecture::gemma3);
    CHECK(spec.total_params == 27009346304.0);
    CHECK(spec.tied_embeddings);
    CHECK(spec.torch_dtype == "bfloat16");
    CHECK(spec.sliding_window == 1024);
    CHECK(spec.sliding_window_layers == 62 - 10);
    CHECK(spec.assumed_fields == std::vector<std::string>{"sliding_window_pattern = 6"});
    CHECK(kv_cache_bytes(spec, 1, 2) == 507904);
  }
  SECTION("phi3 (fused projections, same counts)") {
    const ModelSpec spec = parse_hf_config(R"({"model_type": "phi3", "hidden_size": 3072,
      "intermediate_size": 8192, "max_position_embeddings": 4096, "num_attention_heads": 32,
      "num_hidden_layers": 32, "num_key_value_heads": 32, "sliding_window": 2047,
      "tie_word_embeddings": false, "vocab_size": 32064})",
                                           "config.json");
    CHECK(spec.total_params == 3821079552.0);
    CHECK(spec.attention == AttentionKind::mha);
    CHECK(spec.sliding_window == 2047);
  }
  SECTION("qwen2_moe with a shared expert and interleaved dense layers") {
    // 2 layers, hidden 8, 2 heads of 4, kv 1; layer 1 is dense (mlp_only_layers).
    const ModelSpec spec = parse_hf_config(R"({"model_type": "qwen2_moe", "hidden_size": 8,
      "intermediate_size": 16, "moe_intermediate_size": 4, "shared_expert_intermediate_size": 6,
      "num_experts": 4, "num_experts_per_tok": 2, "num_attention_heads": 2,
      "num_key_value_heads": 1, "num_hidden_layers": 2, "vocab_size": 10,
      "mlp_only_layers": [1], "decoder_sparse_step": 1, "max_position_embeddings": 64})",
                                           "config.json");
    REQUIRE(spec.moe);
    CHECK(spec.moe->dense_layers_first == 1);
    CHECK(spec.moe->shared_experts == 1);
    CHECK_FALSE(spec.notes.empty());  // the dense layer is not a leading one
    // embd 80 + output 80 + final norm 8; attention per layer: norms 16, q 64 + 8 bias,
    // k/v 2 * (32 + 4), o 64 = 224; dense FFN 3 * 8 * 16 = 384; MoE: router 32, experts
    // 4 * 3 * 8 * 4 = 384, shared 3 * 8 * 6 = 144, shared gate 8.
    CHECK(spec.total_params == 168 + 2 * 224 + 384 + 32 + 384 + 144 + 8);
    CHECK(spec.active_params == 168 + 2 * 224 + 384 + 32 + 192 + 144 + 8);
  }
}

TEST_CASE("hf config: unknown model_type reads the common fields", "[hf_config]") {
  const ModelSpec spec = parse_hf_config(R"({"model_type": "newarch", "hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100})",
                                         "x/config.json");
  CHECK(spec.architecture == Architecture::generic);
  CHECK_FALSE(spec.generic_size);
  CHECK(spec.intermediate == 256);
  CHECK(spec.kv_heads == 4);
  CHECK(spec.max_context == 4096);
  CHECK(spec.assumed_fields ==
        std::vector<std::string>{"layout: llama-style decoder (unknown model_type 'newarch')",
                                 "num_key_value_heads = 4 (num_attention_heads)",
                                 "intermediate_size = 256 (4 * hidden_size)",
                                 "max_position_embeddings = 4096", "tie_word_embeddings = false"});
  // embd 6400 + output 6400 + norm 64; layer: norms 128, attention 4 * 4096, MLP 3 * 64 * 256.
  CHECK(spec.total_params == 6400 + 6400 + 64 + 2 * (128 + 4 * 4096 + 3 * 64 * 256));
}

TEST_CASE("hf config: errors name the file and the field", "[hf_config]") {
  CHECK(parse_error_of(R"({"model_type": "llama", "hidden_size": 4096})") ==
        "config.json: field 'num_hidden_layers': required but missing");
  CHECK(parse_error_of(R"({"model_type": "llama", "num_hidden_layers": "32"})") ==
        "config.json: field 'num_hidden_layers': expected an integer, got string");
  CHECK(parse_error_of(R"({"model_type": "llama", "num_hidden_layers": 32.5})") ==
        "config.json: field 'num_hidden_layers': expected an integer from 1 to 4096, got 32.5");
  CHECK(parse_error_of(R"({"model_type": "llama", "num_hidden_layers": 0})") ==
        "config.json: field 'num_hidden_layers': expected an integer from 1 to 4096, got 0");
  CHECK(parse_error_of(R"({"model_type": "llama", "num_hidden_layers": 18446744073709551615})") ==
        "config.json: field 'num_hidden_layers': expected an integer from 1 to 4096, got "
        "18446744073709551615");
  CHECK(parse_error_of(R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 8,
    "num_attention_heads": 2, "num_key_value_heads": 4})") ==
        "config.json: field 'num_key_value_heads': expected at most num_attention_heads (2), "
        "got 4");
  CHECK(parse_error_of(R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 8,
    "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 10,
    "tie_word_embeddings": "yes"})") ==
        "config.json: field 'tie_word_embeddings': expected a boolean, got string");
  CHECK(parse_error_of(R"({"model_type": 7})") ==
        "config.json: field 'model_type': expected a string, got integer");
  CHECK(parse_error_of(R"({"model_type": "falcon", "hidden_size": 64})") ==
        "config.json: field 'num_hidden_layers' (or 'n_layer'): required but missing");
  CHECK(parse_error_of(R"({"architectures": ["X"]})") ==
        "config.json: field 'num_hidden_layers' (or 'n_layer', 'num_layers'): required but "
        "missing");
  CHECK(parse_error_of(R"({"model_type": "gemma3", "text_config": {"hidden_size": 64}})") ==
        "config.json: field 'text_config.num_hidden_layers': required but missing");
  CHECK(parse_error_of(R"({"model_type": "mixtral", "num_hidden_layers": 2, "hidden_size": 8,
    "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 10,
    "num_local_experts": 2, "num_experts_per_tok": 3})") ==
        "config.json: field 'num_experts_per_tok': expected at most the number of experts (2), "
        "got 3");
  CHECK(parse_error_of("[1, 2]") ==
        "config.json: expected a JSON object at the top level, got array");
  CHECK(parse_error_of("{\n  \"model_type\": \"llama\",\n}") ==
        "config.json:3:1: malformed JSON: syntax error while parsing object key - unexpected "
        "'}'; expected string literal");
  CHECK(parse_error_of(R"({"hidden_size": 1e400})") ==
        "config.json: malformed JSON: number overflow parsing '1e400'");
  CHECK(parse_error_of("") ==
        "config.json:1:1: malformed JSON: syntax error while parsing value - unexpected "
        "end of input; expected '[', '{', or a literal");
}

TEST_CASE("hf config: every shared fixture matches models.csv", "[hf_config][shared]") {
  const auto dir = llmroof_test::shared_dir();
  if (!dir) {
    WARN("skipped: LLMROOF_SHARED_DIR is not set or does not exist");
    return;
  }
  const auto rows = llmroof_test::read_csv(*dir / "reference" / "models.csv");
  int checked = 0;
  for (const auto& row : rows) {
    const std::string& fixture = row.at("config_fixture");
    const std::string prefix = "shared/fixtures/hf-configs/";
    if (fixture.rfind(prefix, 0) != 0) {
      continue;
    }
    const std::string file =
        fixture.substr(prefix.size(), fixture.find(".json") + 5 - prefix.size());
    const std::filesystem::path path = *dir / "fixtures" / "hf-configs" / file;
    INFO(file);
    const ModelSpec spec = parse_hf_config(llmroof_test::slurp(path), file);
    ++checked;
    if (spec.architecture == Architecture::falcon) {
      // The RW-format falcon-7b config has no max_position_embeddings.
      CHECK(spec.assumed_fields == std::vector<std::string>{"max_position_embeddings = 2048"});
    } else {
      CHECK(spec.assumed_fields.empty());
    }
    CHECK(spec.layers == std::stoi(row.at("layers")));
    CHECK(spec.hidden == std::stoll(row.at("hidden")));
    CHECK(spec.vocab == std::stoll(row.at("vocab")));
    CHECK(spec.tied_embeddings == (row.at("tied_embeddings") == "true"));
    CHECK(spec.max_context == std::stoll(row.at("max_context")));

    // Within 0.5% of the official count where the csv itself is; exact against the computed
    // column where the official count is rounded (Llama-2-7b "7B", phi-4 "14B").
    const double total_diff = std::fabs(csv_number(row.at("total_diff_pct_vs_official")));
    if (total_diff <= 0.5) {
      CHECK(spec.total_params ==
            Approx(csv_number(row.at("official_total_numeric"))).epsilon(0.005));
    }
    CHECK(spec.total_params == csv_number(row.at("total_params_computed")));
    if (!row.at("active_params_computed").empty()) {
      const double active_diff = std::fabs(csv_number(row.at("active_diff_pct_vs_official")));
      if (active_diff <= 0.5) {
        // OpenAI's gpt-oss "active" leaves out the input embedding (models-notes.md).
        const double active = spec.architecture == Architecture::gpt_oss
                                  ? spec.active_params - csv_number(row.at("embedding_params"))
                                  : spec.active_params;
        CHECK(active == Approx(csv_number(row.at("official_active_numeric"))).epsilon(0.005));
      }
      CHECK(spec.active_params ==
            Approx(csv_number(row.at("active_params_computed"))).epsilon(0.001));
    } else {
      CHECK(spec.active_params == spec.total_params);
    }
    CHECK(kv_cache_bytes(spec, 1, 2) == csv_number(row.at("kv_cache_bytes_per_token_bf16")));
    if (spec.architecture == Architecture::gpt_oss) {
      CHECK(spec.notes == "published quantized: quantization_config.quant_method is 'mxfp4'");
      CHECK(spec.torch_dtype.empty());
    }
    if (!row.at("sliding_window").empty()) {
      CHECK(spec.sliding_window == std::stoi(row.at("sliding_window")));
      CHECK(spec.sliding_window_layers > 0);
    }
  }
  CHECK(checked == 19);

  // And every config in the folder parses.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(*dir / "fixtures" / "hf-configs")) {
    if (entry.path().extension() == ".json") {
      INFO(entry.path().string());
      CHECK_NOTHROW(parse_hf_config(llmroof_test::slurp(entry.path()), entry.path().filename()));
      ++files;
    }
  }
  CHECK(files >= 19);
}

TEST_CASE("hf config: 50k nested arrays are refused by the depth bound, not the stack",
          "[hf_config][limits]") {
  const std::string deep = "{\"a\":" + std::string(50000, '[') + std::string(50000, ']') + "}";
  CHECK(parse_error_of(deep) ==
        "config.json:1:133: JSON nests deeper than 128 levels of arrays/objects");
  // Brackets inside strings do not count.
  CHECK(parse_error_of("{\"a\":\"" + std::string(500, '[') + "\"}").find("nests deeper") ==
        std::string::npos);
}

TEST_CASE("quantization_config: checkpoints published quantized are sized as stored", "[hf]") {
  const auto dir = llmroof_test::shared_dir();
  if (!dir) {
    return;  // ../shared absent: skipped
  }
  const auto config = [&](const char* file) {
    return parse_hf_config(llmroof_test::slurp(*dir / "fixtures" / "hf-configs" / file), file);
  };
  CHECK(config("DeepSeek-V3.json").published_quant == "fp8_b128");
  CHECK(config("Llama-2-7b-hf.json").published_quant.empty());
  const ModelSpec oss = config("gpt-oss-20b.json");
  REQUIRE(oss.published_quant == "mxfp4_bf16");
  const Weights w = model_weights(oss, *find_quant("mxfp4_bf16"));
  // Routed experts: 24 layers x 32 experts x 3 matrices of 2880 x 2880 = 19,110,297,600
  // weights, in MXFP4 blocks of 32 weights in 17 bytes: 10,152,345,600 bytes.
  CHECK(w.routed_expert_params >= 19110297600.0);
  CHECK(w.routed_expert_bytes == Approx(w.routed_expert_params * 17.0 / 32.0));
  CHECK(w.routed_expert_bytes >= 10152345600.0);
  // Every other 2-D weight BF16 (2 bytes), 1-D tensors F32.
  for (const TypeShare& share : w.by_type) {
    const bool allowed =
        share.type == ggml::mxfp4 || share.type == ggml::bf16 || share.type == ggml::f32;
    CHECK(allowed);
  }
  const double rest_params = w.total_params - w.routed_expert_params;
  const double rest_bytes = w.total_bytes - w.routed_expert_bytes;
  CHECK(rest_bytes / rest_params == Approx(2.0).epsilon(0.01));
}

TEST_CASE("FP8 with 128x128 block scales: one byte a weight plus an FP32 per block", "[hf]") {
  const std::uint64_t kv_a[] = {7168, 576};  // DeepSeek-V3 attn_kv_a_mqa: 576 rows of 7168
  // 7168 * 576 = 4,128,768 FP8 bytes; ceil(7168/128) * ceil(576/128) = 56 * 5 = 280 blocks of
  // 4 bytes = 1,120 bytes of scales: 4,129,888.
  CHECK(weight_tensor_bytes(published_type::fp8_e4m3_block128, kv_a) == 4129888u);
  const std::uint64_t experts[] = {7168, 2048, 256};  // ffn_up_exps: 256 experts of 2048 x 7168
  // 7168 * 2048 * 256 = 3,758,096,384 bytes + 56 * 16 * 256 = 229,376 blocks * 4 = 917,504:
  // 3,759,013,888, i.e. 8 + 32/16384 = 8.001953125 bits per weight.
  CHECK(weight_tensor_bytes(published_type::fp8_e4m3_block128, experts) == 3759013888u);
  CHECK(weight_type_name(published_type::fp8_e4m3_block128) == "F8_E4M3_B128");

  // Without weight_block_size the scales are per tensor: the nominal 1 byte a weight.
  const ModelSpec plain = parse_hf_config(R"({"model_type": "llama", "hidden_size": 64,
      "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
      "vocab_size": 256, "quantization_config": {"quant_method": "fp8"}})",
                                          "config.json");
  CHECK(plain.published_quant == "fp8");

  const auto dir = llmroof_test::shared_dir();
  if (!dir) {
    return;  // ../shared absent: the whole-model check is skipped
  }
  const ModelSpec v3 = parse_hf_config(
      llmroof_test::slurp(*dir / "fixtures" / "hf-configs" / "DeepSeek-V3.json"), "config.json");
  REQUIRE(v3.published_quant == "fp8_b128");
  const Weights w = model_weights(v3, *find_quant("fp8_b128"));
  // Covered (every linear layer): 671,026,419,200 params less the embedding and head
  // (2 x 129,280 x 7,168 = 1,853,358,080), the 58 routers (58 x 256 x 7,168 = 106,430,464) and
  // the 1-D norms and biases (1,021,440): 669,065,609,216 weights. All their dimensions are
  // multiples of 128 except kv_a_mqa's 576 rows, whose fifth block row is half empty: it has
  // 280 blocks where params/16,384 counts 4,128,768/16,384 = 252, so 61 x 28 = 1,708 more.
  // Scales: (669,065,609,216 / 16,384 + 1,708) x 4 = 40,838,232 x 4 = 163,352,928 bytes.
  // Total: 669,065,609,216 + 163,352,928 + 1,959,788,544 x 2 (BF16) + 1,021,440 x 4 (F32)
  //      = 673,152,624,992 bytes (626.92 GiB; bf16 would be 1,342,052,838,400).
  CHECK(w.total_params == 671026419200.0);
  CHECK(w.total_bytes == 673152624992.0);
  double fp8_params = 0;
  for (const TypeShare& share : w.by_type) {
    if (share.type == published_type::fp8_e4m3_block128) {
      fp8_params = share.params;
      CHECK(share.bytes == 669228962144.0);
    }
  }
  CHECK(fp8_params == 669065609216.0);
}
