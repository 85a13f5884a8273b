// GGML types, --quant names and llama-quantize's preset mixes.

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "catch.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/model/weights.hpp"
#include "llmroof/util/units.hpp"
#include "test_support.hpp"
#include "util/checked.hpp"

using namespace llmroof;

namespace {

// Minimal CSV reader for the reference files (quoted fields with commas).
std::vector<std::map<std::string, std::string>> read_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.push_back(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.push_back(field);
        field.clear();
      } else {
        field.push_back(c);
      }
    }
    fields.push_back(field);
    rows.push_back(fields);
  }
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < rows[0].size() && i < rows[r].size(); ++i) {
      row[rows[0][i]] = rows[r][i];
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace

TEST_CASE("ggml type table matches ggml-quant-types.csv", "[quant][shared]") {
  const auto shared = test::shared_dir();
  if (!shared) {
    WARN("skipped: shared folder absent");
    return;
  }
  int checked = 0;
  for (const auto& row : read_csv(*shared / "reference" / "ggml-quant-types.csv")) {
    const int id = std::stoi(row.at("gguf_type_id"));
    const GgmlType* t = find_ggml_type(id);
    INFO(row.at("type"));
    REQUIRE(t != nullptr);
    CHECK(t->name == row.at("type"));
    if (row.at("block_size_elements").empty()) {
      CHECK(t->removed());
      continue;
    }
    CHECK(t->block_elements == std::stoi(row.at("block_size_elements")));
    CHECK(t->block_bytes == std::stoi(row.at("bytes_per_block")));
    CHECK(t->bits_per_weight() == Approx(std::stod(row.at("bits_per_weight"))));
    ++checked;
  }
  CHECK(checked >= 35);
}

TEST_CASE("tensor bytes from the type table", "[quant]") {
  const std::vector<std::uint64_t> dims = {64, 259};
  CHECK(ggml_tensor_bytes(ggml::q8_0, dims).value() == 17612);  // 259 rows x 2 blocks x 34 B
  CHECK(ggml_tensor_bytes(ggml::f32, std::vector<std::uint64_t>{64}).value() == 256);
  CHECK_FALSE(ggml_tensor_bytes(ggml::q4_k, dims).has_value());  // 64 is not a multiple of 256
  CHECK_FALSE(ggml_tensor_bytes(4, dims).has_value());           // removed type
  CHECK_FALSE(ggml_tensor_bytes(99, dims).has_value());
  const std::vector<std::uint64_t> huge = {1ull << 40, 1ull << 40, 1ull << 40};
  CHECK_FALSE(ggml_tensor_bytes(ggml::f32, huge).has_value());  // overflow
  // One 2^62-long F32 row is 2^64 bytes: it wrapped to 0 and "fit" inside a 1.5 KB file.
  CHECK_FALSE(ggml_tensor_bytes(ggml::f32, std::vector<std::uint64_t>{1ULL << 62U}).has_value());
  CHECK(ggml_tensor_bytes(ggml::f32, std::vector<std::uint64_t>{1ULL << 61U}).value() ==
        1ULL << 63U);
}

TEST_CASE("checked arithmetic reports every wrap", "[quant][util]") {
  constexpr std::uint64_t k_max = ~std::uint64_t{0};
  CHECK(checked_mul(1ULL << 32U, 1ULL << 31U).value() == 1ULL << 63U);
  CHECK_FALSE(checked_mul(1ULL << 32U, 1ULL << 32U).has_value());
  CHECK(checked_mul(k_max, 1).value() == k_max);
  CHECK(checked_mul(k_max, 0).value() == 0);
  CHECK(checked_add(k_max - 1, 1).value() == k_max);
  CHECK_FALSE(checked_add(k_max, 1).has_value());
  CHECK(checked_product({}).value() == 1);
  CHECK(checked_product({2, 3, 7}).value() == 42);
  CHECK_FALSE(checked_product({1ULL << 40U, 1ULL << 40U, 0}).has_value());  // partial product
}

TEST_CASE("quant names given to --quant", "[quant]") {
  CHECK(find_quant("int4")->nominal_bytes_per_weight == 0.5);
  CHECK(find_quant("fp16")->kind == QuantKind::nominal);
  CHECK(find_quant("Q4_K_M")->kind == QuantKind::preset);
  CHECK(find_quant("q4-k-m")->id == "q4_k_m");
  CHECK(find_quant("q4_k")->kind == QuantKind::ggml_type);
  CHECK(find_quant("mxfp4")->kind == QuantKind::ggml_type);
  CHECK(find_quant("mxfp4_moe")->kind == QuantKind::preset);
  CHECK(find_quant("type:q4_0")->kind == QuantKind::ggml_type);
  CHECK(find_quant("q4_0")->kind == QuantKind::preset);
  CHECK(find_quant("int4")->compute == Precision::int4);
  CHECK(find_quant("q4_k_m")->compute == Precision::fp16);
  CHECK_FALSE(find_quant("q4_k_x").has_value());
  for (const char* name : {"f16",    "q8_0",   "q6_k",  "q5_k_m", "q5_k_s", "q5_0",   "q4_k_m",
                           "q4_k_s", "q4_0",   "q4_1",  "iq4_xs", "iq4_nl", "q3_k_m", "q3_k_s",
                           "q2_k",   "iq2_xs", "mxfp4", "bf16",   "fp8",    "int8",   "fp32"}) {
    INFO(name);
    CHECK(find_quant(name).has_value());
  }
  CHECK(kv_bytes_per_element("q8_0").value() == Approx(1.0625));
  CHECK(kv_bytes_per_element("q4_0").value() == Approx(0.5625));
  CHECK(kv_bytes_per_element("fp8").value() == 1.0);
  CHECK_FALSE(kv_bytes_per_element("q3_k").has_value());
  CHECK(kv_bytes_per_element("int4").value() == 0.5);
}

TEST_CASE("a plain 4-bit KV cache reproduces the source article's 1.34 GB for LLaMA-65B",
          "[quant][kv]") {
  // 2 (K and V) * 0.5 bytes * 80 layers * 8192 (64 heads * 128) * 2048 tokens
  // = 1,342,177,280 bytes: the article's "1.33 GB" (seed-notes.md).
  const ModelSpec& m = *find_model(test::catalog(), "llama-1-65b");
  CHECK(m.layers == 80);
  CHECK(m.max_context == 2048);
  CHECK(kv_cache_bytes(m, 2048, *kv_bytes_per_element("int4")) == 1342177280.0);
  // q4_0's block scale makes the same cache 18/16 times larger.
  CHECK(kv_cache_bytes(m, 2048, *kv_bytes_per_element("q4_0")) ==
        Approx(1342177280.0 * 18.0 / 16.0));
  // LLaMA-1 counts from the configs (LLaMA paper's 6.7B, 13.0B, 32.5B, 65.2B).
  CHECK(find_model(test::catalog(), "llama-1-7b")->total_params == 6738415616.0);
  CHECK(find_model(test::catalog(), "llama-1-13b")->total_params == 13015864320.0);
  CHECK(find_model(test::catalog(), "llama-1-33b")->total_params == 32528943616.0);
  CHECK(m.total_params == 65285660672.0);
}

TEST_CASE("presets reproduce llama.cpp's published bits per weight for Llama-3.1-8B",
          "[quant][preset][shared]") {
  const auto shared = test::shared_dir();
  if (!shared) {
    WARN("skipped: shared folder absent");
    return;
  }
  const ModelSpec& m = *find_model(test::catalog(), "llama-3.1-8b");
  int checked = 0;
  for (const auto& row : read_csv(*shared / "reference" / "llama-ftype-presets.csv")) {
    const std::string& readme = row.at("readme_bpw_llama31_8b");
    if (readme.empty()) {
      continue;
    }
    std::string id;
    for (char c : row.at("preset")) {
      id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    const auto quant = find_preset_by_ftype(std::stoi(row.at("llama_ftype_id")));
    INFO(id);
    REQUIRE(quant.has_value());
    const Weights w = model_weights(m, *quant);
    CHECK(w.bits_per_weight() == Approx(std::stod(readme)).margin(0.0006));
    // File sizes as quantize prints them (GiB) agree within 2%.
    CHECK(w.total_bytes / units::k_gib ==
          Approx(std::stod(row.at("readme_size_gib_llama31_8b"))).epsilon(0.02));
    ++checked;
  }
  CHECK(checked >= 20);
}

TEST_CASE("preset sizes match llama-bench's sizes of LLaMA 2 7B files", "[quant][preset]") {
  // llama.cpp's scoreboards print F16 12.55 GiB, Q8_0 6.67 GiB, Q4_0 3.56 GiB for Llama-2-7B.
  const ModelSpec& m = *find_model(test::catalog(), "llama-2-7b");
  CHECK(model_weights(m, *find_quant("f16")).total_bytes / units::k_gib ==
        Approx(12.55).epsilon(0.02));
  CHECK(model_weights(m, *find_quant("q8_0")).total_bytes / units::k_gib ==
        Approx(6.67).epsilon(0.02));
  CHECK(model_weights(m, *find_quant("q4_0")).total_bytes / units::k_gib ==
        Approx(3.56).epsilon(0.02));
}

TEST_CASE("preset rules per tensor", "[quant][preset]") {
  const ModelSpec& m = *find_model(test::catalog(), "llama-3.1-8b");
  auto tensors = model_tensors(m);
  assign_types(tensors, *find_quant("q4_k_m"), m);
  std::map<std::string, int> type_of;
  for (const auto& t : tensors) {
    type_of[t.name] = t.type;
  }
  CHECK(type_of.at("output.weight") == ggml::q6_k);
  CHECK(type_of.at("token_embd.weight") == ggml::q4_k);
  CHECK(type_of.at("blk.0.attn_v.weight") == ggml::q6_k);     // first eighth: more bits
  CHECK(type_of.at("blk.4.attn_v.weight") == ggml::q4_k);     // (4 - 4) % 3 != 2
  CHECK(type_of.at("blk.6.attn_v.weight") == ggml::q6_k);     // (6 - 4) % 3 == 2
  CHECK(type_of.at("blk.31.ffn_down.weight") == ggml::q6_k);  // last eighth
  CHECK(type_of.at("blk.0.attn_q.weight") == ggml::q4_k);
  CHECK(type_of.at("blk.0.attn_norm.weight") == ggml::f32);

  // Mixtral (8 experts): attn_v and attn_k go to Q8_0.
  const ModelSpec& mixtral = *find_model(test::catalog(), "mixtral-8x7b");
  auto mt = model_tensors(mixtral);
  assign_types(mt, *find_quant("q4_k_m"), mixtral);
  for (const auto& t : mt) {
    if (t.name == "blk.3.attn_k.weight" || t.name == "blk.3.attn_v.weight") {
      CHECK(t.type == ggml::q8_0);
    }
    if (t.name == "blk.3.ffn_gate_inp.weight") {
      CHECK(t.type == ggml::f32);  // routers are never quantized
    }
  }

  // Rows that are not a multiple of 256 fall back (Qwen2.5-0.5B, hidden 896).
  const ModelSpec& qwen = *find_model(test::catalog(), "qwen2.5-0.5b");
  auto qt = model_tensors(qwen);
  assign_types(qt, *find_quant("q4_k_m"), qwen);
  for (const auto& t : qt) {
    if (t.name == "blk.3.attn_q.weight") {
      CHECK(t.type == ggml::q5_0);  // Q4_K -> Q5_0 fallback
    }
  }
}

TEST_CASE("nominal quants weigh P * n_bytes", "[quant]") {
  const ModelSpec& m = *find_model(test::catalog(), "llama-3.1-70b");
  CHECK(model_weights(m, *find_quant("int4")).total_bytes == Approx(70553706496.0 * 0.5));
  CHECK(model_weights(m, *find_quant("fp32")).total_bytes == Approx(70553706496.0 * 4));
  CHECK(model_weights(m, *find_quant("int4")).bits_per_weight() == Approx(4.0));
}

TEST_CASE("lookup_quant: the names people type, with a note saying how they were read", "[quant]") {
  auto id_of = [](std::string_view name) {
    const auto found = lookup_quant(name);
    return found.quant ? found.quant->id : std::string("(none)");
  };
  CHECK(lookup_quant("q4_k_m").note.empty());  // an id needs no note
  CHECK(id_of("4bit") == "int4");
  CHECK(id_of("4-bit") == "int4");
  CHECK(id_of("8bit") == "int8");
  CHECK(id_of("16 bits") == "fp16");
  CHECK(id_of("int4") == "int4");
  CHECK(id_of("q4") == "q4_k_m");
  CHECK(id_of("Q8") == "q8_0");
  CHECK(id_of("q6") == "q6_k");
  CHECK_FALSE(lookup_quant("q4").note.empty());
  // llama-bench's model_type quant part (llama_model_ftype_name).
  CHECK(id_of("Q4_K - Medium") == "q4_k_m");
  CHECK(id_of("Q2_K - Medium") == "q2_k");
  CHECK(id_of("Q3_K - Large") == "q3_k_l");
  CHECK(id_of("IQ3_S mix - 3.66 bpw") == "iq3_m");
  CHECK(id_of("IQ2_XXS - 2.0625 bpw") == "iq2_xxs");
  // Unsloth Dynamic: the base preset, and the note says so.
  CHECK(id_of("UD-Q4_K_XL") == "q4_k_m");
  CHECK(id_of("UD-Q8_K_XL") == "q8_0");
  CHECK(id_of("UD-Q6_K_XL") == "q6_k");
  CHECK(id_of("UD-IQ2_XXS") == "iq2_xxs");
  CHECK(lookup_quant("UD-Q4_K_XL").note.find("Unsloth Dynamic") != std::string::npos);
  CHECK(id_of("q9") == "(none)");
  CHECK(id_of("Q4_K - Huge") == "(none)");
}

TEST_CASE("nf4, awq and gptq: 4-bit with block or group scales, exact bits per weight", "[quant]") {
  // NF4: 4 bits + one FP32 absmax per 64 weights = 4 + 32/64 bits.
  CHECK(find_quant("nf4")->nominal_bytes_per_weight * 8 == Approx(4.5));
  // AWQ/GPTQ group 128: 4 bits + (FP16 scale + 4-bit zero) / 128 = 4.15625 bits.
  CHECK(find_quant("awq")->nominal_bytes_per_weight * 8 == Approx(4.15625));
  CHECK(find_quant("GPTQ")->nominal_bytes_per_weight * 8 == Approx(4.15625));
  CHECK(find_quant("awq")->compute == Precision::fp16);
}

TEST_CASE("suggestable_quant_ids: weight formats only", "[quant]") {
  const auto ids = suggestable_quant_ids();
  auto has = [&ids](std::string_view id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  CHECK(has("q4_k_m"));
  CHECK(has("int4"));
  CHECK(has("mxfp4"));
  CHECK(has("type:iq4_nl"));
  for (const char* other : {"i8", "i16", "i32", "i64", "f64", "q8_1", "q8_k"}) {
    INFO(other);
    CHECK_FALSE(has(other));
  }
}
