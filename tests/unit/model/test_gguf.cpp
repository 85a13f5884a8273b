#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "gguf_writer.hpp"
#include "llmroof/model/gguf.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"
#include "llmroof/platform/file_source.hpp"
#include "llmroof/util/errors.hpp"
#include "reference_csv.hpp"

using namespace llmroof;
using llmroof_test::GgufWriter;
namespace gt = llmroof_test::gguf_type;

namespace {

GgufFile read_bytes(const std::string& bytes, const std::string& name = "test.gguf") {
  MemorySource source(bytes);
  return read_gguf(source, name);
}

/// The message of the FileFormatError reading `bytes` throws ("(no error)" if none).
std::string format_error_of(const std::string& bytes) {
  try {
    read_bytes(bytes);
  } catch (const FileFormatError& error) {
    return error.what();
  }
  return "(no error)";
}

/// A model file: the `{arch}.*` keys of `spec` and the tensors model_tensors gives it.
std::string model_file(const std::string& arch, const ModelSpec& spec,
                       const std::vector<TensorInfo>& tensors, std::uint32_t version = 3) {
  GgufWriter w(version);
  w.kv("general.architecture", w.str(arch));
  w.kv("general.name", w.str("test-" + arch));
  w.kv(arch + ".block_count", w.u32(static_cast<std::uint32_t>(spec.layers)));
  w.kv(arch + ".context_length", w.u32(static_cast<std::uint32_t>(spec.max_context)));
  w.kv(arch + ".embedding_length", w.u32(static_cast<std::uint32_t>(spec.hidden)));
  w.kv(arch + ".feed_forward_length", w.u32(static_cast<std::uint32_t>(spec.intermediate)));
  w.kv(arch + ".attention.head_count", w.u32(static_cast<std::uint32_t>(spec.heads)));
  if (spec.kv_heads_per_layer.empty()) {
    w.kv(arch + ".attention.head_count_kv", w.u32(static_cast<std::uint32_t>(spec.kv_heads)));
  } else {
    std::vector<std::uint32_t> kv(spec.kv_heads_per_layer.begin(), spec.kv_heads_per_layer.end());
    w.kv(arch + ".attention.head_count_kv", w.u32_array(kv));
  }
  w.kv(arch + ".attention.key_length", w.u32(static_cast<std::uint32_t>(spec.head_dim)));
  w.kv(arch + ".vocab_size", w.u32(static_cast<std::uint32_t>(spec.vocab)));
  if (spec.moe) {
    w.kv(arch + ".expert_count", w.u32(static_cast<std::uint32_t>(spec.moe->experts)));
    w.kv(arch + ".expert_used_count", w.u32(static_cast<std::uint32_t>(spec.moe->experts_used)));
    w.kv(arch + ".expert_feed_forward_length",
         w.u32(static_cast<std::uint32_t>(spec.moe->expert_intermediate)));
    if (spec.moe->shared_experts > 0) {
      w.kv(arch + ".expert_shared_count",
           w.u32(static_cast<std::uint32_t>(spec.moe->shared_experts)));
    }
    if (spec.moe->dense_layers_first > 0) {
      w.kv(arch + ".leading_dense_block_count",
           w.u32(static_cast<std::uint32_t>(spec.moe->dense_layers_first)));
    }
  }
  if (spec.mla) {
    w.kv(arch + ".attention.q_lora_rank", w.u32(static_cast<std::uint32_t>(spec.mla->q_lora_rank)));
    w.kv(arch + ".attention.kv_lora_rank",
         w.u32(static_cast<std::uint32_t>(spec.mla->kv_lora_rank)));
    w.kv(arch + ".rope.dimension_count",
         w.u32(static_cast<std::uint32_t>(spec.mla->qk_rope_head_dim)));
    w.kv(arch + ".attention.value_length", w.u32(static_cast<std::uint32_t>(spec.mla->v_head_dim)));
  }
  if (spec.sliding_window > 0) {
    w.kv(arch + ".attention.sliding_window",
         w.u32(static_cast<std::uint32_t>(spec.sliding_window)));
  }
  for (const TensorInfo& t : tensors) {
    w.tensor(t.name, t.dims, static_cast<std::uint32_t>(t.type));
  }
  return w.bytes();
}

ModelSpec small_spec(Architecture arch) {
  ModelSpec spec;
  spec.architecture = arch;
  spec.layers = 2;
  spec.hidden = 64;
  spec.heads = 4;
  spec.kv_heads = 2;
  spec.head_dim = 16;
  spec.intermediate = 96;
  spec.vocab = 100;
  spec.max_context = 512;
  return spec;
}

}  // namespace

TEST_CASE("gguf: tiny-random-llama.gguf, every number of its README", "[gguf][shared]") {
  const auto dir = llmroof_test::shared_dir();
  if (!dir) {
    WARN("skipped: LLMROOF_SHARED_DIR is not set or does not exist");
    return;
  }
  const auto path = *dir / "fixtures" / "gguf" / "tiny-random-llama.gguf";
  auto source = open_file_source(path);
  const GgufFile file = read_gguf(*source, "tiny-random-llama.gguf");
  CHECK(file.file_bytes == 122784);
  CHECK(file.version == 3);
  CHECK_FALSE(file.big_endian);
  CHECK(file.metadata.size() == 23);
  CHECK(file.find("general.alignment") == nullptr);
  CHECK(file.alignment == 32);
  CHECK(file.data_offset == 7904);
  REQUIRE(file.tensors.size() == 21);

  struct Row {
    const char* name;
    int type;
    std::vector<std::uint64_t> dims;
    std::uint64_t bytes;
    std::uint64_t offset;
  };
  const std::vector<Row> head = {
      {"output.weight", 8, {64, 259}, 17612, 0},
      {"output_norm.weight", 0, {64}, 256, 17632},
      {"token_embd.weight", 8, {64, 259}, 17612, 17888},
  };
  const std::vector<Row> block = {
      {"attn_k.weight", 8, {64, 32}, 2176, 35520},
      {"attn_norm.weight", 0, {64}, 256, 37696},
      {"attn_output.weight", 8, {64, 64}, 4352, 37952},
      {"attn_q.weight", 8, {64, 64}, 4352, 42304},
      {"attn_v.weight", 8, {64, 32}, 2176, 46656},
      {"ffn_down.weight", 8, {128, 64}, 8704, 48832},
      {"ffn_gate.weight", 8, {64, 128}, 8704, 57536},
      {"ffn_norm.weight", 0, {64}, 256, 66240},
      {"ffn_up.weight", 8, {64, 128}, 8704, 66496},
  };
  std::vector<Row> rows = head;
  for (int layer = 0; layer < 2; ++layer) {
    for (const Row& r : block) {
      rows.push_back(Row{nullptr, r.type, r.dims, r.bytes,
                         r.offset + static_cast<std::uint64_t>(layer) * (75200 - 35520)});
    }
  }
  std::uint64_t q8_bytes = 0;
  std::uint64_t f32_bytes = 0;
  double q8_params = 0;
  double f32_params = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const TensorInfo& t = file.tensors[i];
    const std::string expected_name =
        i < 3 ? rows[i].name : "blk." + std::to_string((i - 3) / 9) + "." + block[(i - 3) % 9].name;
    INFO(expected_name);
    CHECK(t.name == expected_name);
    CHECK(t.type == rows[i].type);
    CHECK(t.dims == rows[i].dims);
    CHECK(file.tensor_bytes[i] == rows[i].bytes);
    CHECK(t.offset == rows[i].offset);
    (t.type == 8 ? q8_bytes : f32_bytes) += file.tensor_bytes[i];
    (t.type == 8 ? q8_params : f32_params) += t.elements();
  }
  CHECK(q8_bytes == 113560);
  CHECK(q8_params == 106880);
  CHECK(f32_bytes == 1280);
  CHECK(f32_params == 320);

  const GgufModel model = gguf_model(std::span<const GgufFile>(&file, 1));
  CHECK(model.tensor_bytes == 114840);
  CHECK(model.file_type == 7);
  const ModelSpec& spec = model.spec;
  CHECK(spec.name == "tiny-random-llama");
  CHECK(spec.architecture == Architecture::llama);
  CHECK(spec.total_params == 107200);
  CHECK(spec.active_params == 107200);
  CHECK(spec.layers == 2);
  CHECK(spec.hidden == 64);
  CHECK(spec.heads == 4);
  CHECK(spec.kv_heads == 2);
  CHECK(spec.head_dim == 16);
  CHECK(spec.intermediate == 128);
  CHECK(spec.vocab == 259);
  CHECK(spec.max_context == 2048);
  CHECK(spec.attention == AttentionKind::gqa);
  CHECK_FALSE(spec.tied_embeddings);
  CHECK(spec.assumed_fields.empty());
  // The derived llama layout of the same shape has the same 107,200 parameters.
  CHECK(count_total_params(model_tensors(spec)) == 107200);

  const GgufValue* tokens = file.find("tokenizer.ggml.tokens");
  REQUIRE(tokens != nullptr);
  REQUIRE(tokens->as_array() != nullptr);
  CHECK(tokens->as_array()->element_type == GgufType::string);
  // The tokenizer's arrays are counted, not kept.
  CHECK(tokens->as_array()->count == 259);
  CHECK(tokens->as_array()->items.empty());
  CHECK(file.find("tokenizer.ggml.add_bos_token")->as_bool() == true);
  CHECK(file.find("tokenizer.ggml.add_eos_token")->as_bool() == false);
  CHECK(file.find("llama.rope.freq_base")->as_number() == 10000.0);
  CHECK(file.find("llama.attention.layer_norm_rms_epsilon")->as_number() == Approx(1e-5));
  CHECK(file.find("tokenizer.ggml.eos_token_id")->type == GgufType::uint32);
  CHECK(file.find("tokenizer.ggml.eos_token_id")->as_int() == 2);
}

TEST_CASE("gguf: the vocab-only fixtures parse to EOF", "[gguf][shared]") {
  const auto dir = llmroof_test::shared_dir();
  if (!dir) {
    WARN("skipped: LLMROOF_SHARED_DIR is not set or does not exist");
    return;
  }
  struct Case {
    const char* file;
    std::size_t kv;
    Architecture arch;
    int layers;
    std::int64_t hidden;
    std::int64_t vocab;
    double derived_total;  // models.csv total_params_computed of the same shape
  };
  const std::vector<Case> cases = {
      {"ggml-vocab-llama-spm.gguf", 22, Architecture::llama, 32, 4096, 32000, 6738415616.0},
      {"ggml-vocab-gpt-2.gguf", 16, Architecture::gpt2, 12, 768, 50257, 124439808.0},
      {"ggml-vocab-phi-3.gguf", 26, Architecture::phi3, 32, 3072, 32064, 3821079552.0},
  };
  for (const Case& c : cases) {
    INFO(c.file);
    auto source = open_file_source(*dir / "fixtures" / "gguf" / c.file);
    const GgufFile file = read_gguf(*source, c.file);
    CHECK(file.version == 3);
    CHECK(file.tensors.empty());
    CHECK(file.metadata.size() == c.kv);
    CHECK(file.header_bytes == file.file_bytes);
    const GgufModel model = gguf_model(std::span<const GgufFile>(&file, 1));
    CHECK(model.spec.architecture == c.arch);
    CHECK(model.spec.layers == c.layers);
    CHECK(model.spec.hidden == c.hidden);
    CHECK(model.spec.vocab == c.vocab);
    CHECK(model.spec.total_params == c.derived_total);
    CHECK_FALSE(model.spec.assumed_fields.empty());
  }
}

TEST_CASE("gguf: every metadata value type reads back, v2, v3 and big-endian", "[gguf]") {
  struct Variant {
    std::uint32_t version;
    bool big_endian;
  };
  for (const Variant v : {Variant{2, false}, Variant{3, false}, Variant{3, true}}) {
    INFO("version " << v.version << (v.big_endian ? " big-endian" : ""));
    GgufWriter w(v.version, v.big_endian);
    w.kv("general.architecture", w.str("llama"));
    w.kv("t.u8", w.u8(250));
    w.kv("t.i8", w.i8(-100));
    w.kv("t.u16", w.u16(65000));
    w.kv("t.i16", w.i16(-32000));
    w.kv("t.u32", w.u32(4000000000u));
    w.kv("t.i32", w.i32(-2000000000));
    w.kv("t.f32", w.f32(0.5f));
    w.kv("t.bool", w.boolean(true));
    w.kv("t.string", w.str("h\xc3\xa9llo"));
    w.kv("t.u64", w.u64(std::numeric_limits<std::uint64_t>::max()));
    w.kv("t.i64", w.i64(std::numeric_limits<std::int64_t>::min()));
    w.kv("t.f64", w.f64(-1.25e300));
    w.kv("t.empty", w.str(""));
    w.kv("t.array.i16", w.array(gt::i16, {w.i16(-1), w.i16(2), w.i16(-3)}));
    w.kv("t.array.string", w.str_array({"a", "", "ccc"}));
    w.kv("t.array.empty", w.array(gt::f32, {}));
    w.kv("t.array.nested",
         w.array(gt::array, {w.u32_array({1, 2}), w.u32_array({}), w.u32_array({3})}));
    w.kv("t.array.bool", w.array(gt::boolean, {w.boolean(false), w.boolean(true)}));
    w.tensor("token_embd.weight", {32, 4}, 1);
    const GgufFile file = read_bytes(w.bytes());
    CHECK(file.version == v.version);
    CHECK(file.big_endian == v.big_endian);
    REQUIRE(file.metadata.size() == 19);
    CHECK(file.metadata[1].first == "t.u8");
    CHECK(file.find("t.u8")->type == GgufType::uint8);
    CHECK(file.find("t.u8")->as_int() == 250);
    CHECK(file.find("t.i8")->as_int() == -100);
    CHECK(file.find("t.u16")->as_int() == 65000);
    CHECK(file.find("t.i16")->as_int() == -32000);
    CHECK(file.find("t.u32")->as_int() == 4000000000);
    CHECK(file.find("t.i32")->as_int() == -2000000000);
    CHECK(file.find("t.f32")->type == GgufType::float32);
    CHECK(file.find("t.f32")->as_number() == 0.5);
    CHECK(file.find("t.bool")->as_bool() == true);
    CHECK(*file.find("t.string")->as_string() == "h\xc3\xa9llo");
    CHECK(std::get<std::uint64_t>(file.find("t.u64")->data) ==
          std::numeric_limits<std::uint64_t>::max());
    CHECK_FALSE(file.find("t.u64")->as_int().has_value());
    CHECK(file.find("t.i64")->as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK(file.find("t.f64")->as_number() == -1.25e300);
    CHECK(file.find("t.empty")->as_string()->empty());
    const GgufArray* i16 = file.find("t.array.i16")->as_array();
    REQUIRE(i16 != nullptr);
    CHECK(i16->element_type == GgufType::int16);
    REQUIRE(i16->items.size() == 3);
    CHECK(i16->items[2].as_int() == -3);
    const GgufArray* strings = file.find("t.array.string")->as_array();
    REQUIRE(strings->items.size() == 3);
    CHECK(*strings->items[2].as_string() == "ccc");
    CHECK(file.find("t.array.empty")->as_array()->items.empty());
    CHECK(file.find("t.array.empty")->as_array()->element_type == GgufType::float32);
    const GgufArray* nested = file.find("t.array.nested")->as_array();
    REQUIRE(nested->items.size() == 3);
    CHECK(nested->element_type == GgufType::array);
    CHECK(nested->items[0].as_array()->items[1].as_int() == 2);
    CHECK(nested->items[1].as_array()->items.empty());
    CHECK(nested->items[2].as_array()->items[0].as_int() == 3);
    CHECK(file.find("t.array.bool")->as_array()->items[1].as_bool() == true);
    REQUIRE(file.tensors.size() == 1);
    CHECK(file.tensors[0].dims == std::vector<std::uint64_t>{32, 4});
    CHECK(file.tensor_bytes[0] == 256);
    CHECK(file.find("missing") == nullptr);
  }
}

TEST_CASE("gguf: every tensor type has its exact size", "[gguf]") {
  GgufWriter w;
  w.kv("general.architecture", w.str("llama"));
  w.alignment(64);
  for (const auto& [type, block] : llmroof_test::ggml_blocks()) {
    w.tensor("t" + std::to_string(type), {256, 3}, type);
  }
  const GgufFile file = read_bytes(w.bytes());
  CHECK(file.alignment == 64);
  REQUIRE(file.tensors.size() == llmroof_test::ggml_blocks().size());
  std::size_t i = 0;
  for (const auto& [type, block] : llmroof_test::ggml_blocks()) {
    INFO("type " << type);
    CHECK(file.tensors[i].type == static_cast<int>(type));
    // 256 / block_elements blocks per row, 3 rows.
    CHECK(file.tensor_bytes[i] == 256 / block.first * block.second * 3);
    CHECK(file.tensors[i].offset == w.offset_of(i));
    CHECK(file.tensors[i].offset % 64 == 0);
    ++i;
  }
}

TEST_CASE("gguf: model files of several architectures read back", "[gguf]") {
  SECTION("llama with per-layer KV heads, v2") {
    ModelSpec spec = small_spec(Architecture::llama);
    spec.kv_heads_per_layer = {2, 1};
    const auto tensors = model_tensors(spec);
    const GgufFile file = read_bytes(model_file("llama", spec, tensors, 2));
    const GgufModel model = gguf_model(std::span<const GgufFile>(&file, 1));
    CHECK(model.spec.architecture == Architecture::llama);
    CHECK(model.spec.kv_heads == 2);
    CHECK(model.spec.kv_heads_per_layer == std::vector<int>{2, 1});
    CHECK(model.spec.total_params == count_total_params(tensors));
    CHECK(model.tensors.size() == tensors.size());
    // Two bytes per weight (F16), four for the five 64-wide norms (F32).
    CHECK(model.tensor_bytes ==
          static_cast<std::uint64_t>(2 * count_total_params(tensors)) + 2 * (64 * 5));
  }
  SECTION("mixtral is llama with experts") {
    ModelSpec spec = small_spec(Architecture::mixtral);
    spec.moe = MoeSpec{8, 2, 0, 32, 0, 0, 0};
    const auto tensors = model_tensors(spec);
    const GgufFile file = read_bytes(model_file("llama", spec, tensors));
    const GgufModel model = gguf_model(std::span<const GgufFile>(&file, 1));
    CHECK(model.spec.architecture == Architecture::mixtral);
    REQUIRE(model.spec.moe);
    CHECK(model.spec.moe->experts == 8);
    CHECK(model.spec.moe->experts_used == 2);
    CHECK(model.spec.total_params == count_total_params(tensors));
    // Routed experts: 2 layers * 3 * 64 * 32 * 8; 6 of 8 are not active.
    CHECK(model.spec.active_params == count_total_params(tensors) - 2.0 * 3 * 64 * 32 * 6);
  }
  SECTION("qwen3moe") {
    ModelSpec spec = small_spec(Architecture::qwen3_moe);
    spec.moe = MoeSpec{16, 4, 0, 32, 0, 0, 0};
    const auto tensors = model_tensors(spec);
    const GgufModel model =
        gguf_model(std::vector<GgufFile>{read_bytes(model_file("qwen3moe", spec, tensors))});
    CHECK(model.spec.architecture == Architecture::qwen3_moe);
    CHECK(model.spec.active_params == count_active_params(tensors, 16, 4));
  }
  SECTION("deepseek2 with the score bias is DeepSeek-V3, MLA") {
    ModelSpec spec = small_spec(Architecture::deepseek_v3);
    spec.kv_heads = spec.heads;
    spec.mla = MlaSpec{32, 16, 8, 16, 16};
    spec.head_dim = 24;
    spec.attention = AttentionKind::mla;
    spec.moe = MoeSpec{8, 2, 1, 32, 32, 1, 96};
    const auto tensors = model_tensors(spec);
    const GgufModel model =
        gguf_model(std::vector<GgufFile>{read_bytes(model_file("deepseek2", spec, tensors))});
    CHECK(model.spec.architecture == Architecture::deepseek_v3);
    CHECK(model.spec.attention == AttentionKind::mla);
    REQUIRE(model.spec.mla);
    CHECK(model.spec.mla->qk_nope_head_dim == 16);
    CHECK(model.spec.mla->qk_rope_head_dim == 8);
    CHECK(model.spec.mla->kv_lora_rank == 16);
    CHECK(model.spec.mla->v_head_dim == 16);
    CHECK(model.spec.moe->dense_layers_first == 1);
    CHECK(model.spec.moe->shared_experts == 1);
    CHECK(model.spec.total_params == count_total_params(tensors));
    // The MLA cache per token: layers * (kv_lora_rank + rope) elements.
    CHECK(kv_cache_bytes(model.spec, 1, 2) == 2 * (16 + 8) * 2);
  }
  SECTION("gpt-oss with a sliding window on every other layer") {
    ModelSpec spec = small_spec(Architecture::gpt_oss);
    spec.moe = MoeSpec{4, 2, 0, 96, 0, 0, 0};
    spec.sliding_window = 128;
    const auto tensors = model_tensors(spec);
    const GgufModel model =
        gguf_model(std::vector<GgufFile>{read_bytes(model_file("gpt-oss", spec, tensors))});
    CHECK(model.spec.architecture == Architecture::gpt_oss);
    CHECK(model.spec.sliding_window == 128);
    CHECK(model.spec.sliding_window_layers == 1);
    CHECK(model.spec.total_params == count_total_params(tensors));
  }
  SECTION("gemma2 tied, no output.weight") {
    ModelSpec spec = small_spec(Architecture::gemma2);
    spec.tied_embeddings = true;
    const auto tensors = model_tensors(spec);
    const GgufModel model =
        gguf_model(std::vector<GgufFile>{read_bytes(model_file("gemma2", spec, tensors))});
    CHECK(model.spec.tied_embeddings);
    CHECK(model.spec.total_params == count_total_params(tensors));
  }
  SECTION("an unknown architecture is read as generic") {
    ModelSpec spec = small_spec(Architecture::llama);
    const auto tensors = model_tensors(spec);
    const GgufModel model =
        gguf_model(std::vector<GgufFile>{read_bytes(model_file("mamba9", spec, tensors))});
    CHECK(model.spec.architecture == Architecture::generic);
    CHECK(model.spec.assumed_fields ==
          std::vector<std::string>{"architecture 'mamba9' has no known layout: read as generic"});
    CHECK(model.spec.total_params == count_total_params(tensors));
  }
}

TEST_CASE("gguf: a missing architecture key names the file and the key", "[gguf]") {
  GgufWriter w;
  w.kv("general.architecture", w.str("llama"));
  w.kv("llama.embedding_length", w.u32(64));
  const GgufFile file = read_bytes(w.bytes(), "m.gguf");
  try {
    gguf_model(std::span<const GgufFile>(&file, 1));
    FAIL("no error");
  } catch (const ModelSpecError& error) {
    CHECK(std::string(error.what()) ==
          "m.gguf: metadata key 'llama.block_count': required but missing");
  }
  GgufWriter v;
  v.kv("general.architecture", v.str("llama"));
  v.kv("llama.block_count", v.str("two"));
  const GgufFile other = read_bytes(v.bytes(), "m.gguf");
  try {
    gguf_model(std::span<const GgufFile>(&other, 1));
    FAIL("no error");
  } catch (const ModelSpecError& error) {
    CHECK(std::string(error.what()) ==
          "m.gguf: metadata key 'llama.block_count': expected an integer from 0 to 4096, got "
          "string \"two\"");
  }
}

TEST_CASE("gguf: every truncation is a FileFormatError", "[gguf]") {
  // Small tensors (a few rows) keep the file at about 1 KB, so every prefix can be tried.
  GgufWriter w;
  w.kv("general.architecture", w.str("qwen3moe"));
  w.kv("qwen3moe.expert_count", w.u32(4));
  w.kv("t.nested", w.array(gt::array, {w.str_array({"x", "yy"})}));
  w.kv("t.f64", w.f64(1.5));
  w.kv("t.bool", w.boolean(false));
  w.tensor("token_embd.weight", {32, 2}, 8);
  w.tensor("blk.0.attn_norm.weight", {8}, 0);
  w.tensor("blk.0.ffn_gate_inp.weight", {8, 4}, 0);
  w.tensor("blk.0.ffn_up_exps.weight", {32, 1, 4}, 2);
  w.tensor("blk.0.ffn_down_exps.weight", {256, 1, 4}, 12);
  const std::string bytes = w.bytes();
  REQUIRE(bytes.size() < 2048);
  REQUIRE_NOTHROW(read_bytes(bytes));
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    MemorySource prefix(std::string_view(bytes).substr(0, length));
    try {
      read_gguf(prefix, "cut.gguf");
      FAIL("a prefix of " << length << " bytes was accepted");
    } catch (const FileFormatError& error) {
      CHECK(error.offset() <= length);
    }
  }
}

TEST_CASE("gguf: malformed files give one-line errors with the byte offset", "[gguf]") {
  SECTION("wrong magic") {
    CHECK(format_error_of("{\n  \"model_type\": 1}") ==
          "test.gguf: at byte 0: not a GGUF file: magic bytes 7b 0a 20 20 (expected 47 47 55 46, "
          "\"GGUF\")");
  }
  SECTION("empty and tiny files") {
    CHECK(format_error_of("") ==
          "test.gguf: at byte 0: truncated file: magic needs 4 bytes, 0 left");
    CHECK(format_error_of("GGUF\x03") ==
          "test.gguf: at byte 4: truncated file: version needs 4 bytes, 1 left");
  }
  SECTION("versions") {
    GgufWriter v1(1);
    CHECK(format_error_of(v1.bytes()) ==
          "test.gguf: at byte 4: GGUF version 1 is not supported (versions 2 and 3 are)");
    GgufWriter v4(4);
    CHECK(format_error_of(v4.bytes()) ==
          "test.gguf: at byte 4: unsupported GGUF version 4 (versions 2 and 3 are supported)");
    GgufWriter be2(2, true);
    CHECK(format_error_of(be2.bytes()) ==
          "test.gguf: at byte 4: big-endian GGUF version 2: byte order marks need version 3");
  }
  SECTION("absurd counts") {
    GgufWriter tensors;
    tensors.tensor_count_override = std::uint64_t{1} << 40;
    CHECK(format_error_of(tensors.bytes()) ==
          "test.gguf: at byte 8: tensor count 1099511627776 cannot fit in the 0 bytes left");
    GgufWriter keys;
    keys.kv("a", keys.u8(1));
    keys.kv_count_override = std::uint64_t{1} << 40;
    CHECK(format_error_of(keys.bytes()) ==
          "test.gguf: at byte 16: metadata key count 1099511627776 cannot fit in the 14 bytes "
          "left");
    GgufWriter array;
    array.kv("a", array.array(gt::u64, {array.u64(1)}));
    std::string bytes = array.bytes();
    // The array length field sits after the magic, version, counts, key and types.
    const std::size_t count_at = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 4;
    const std::uint64_t huge = std::uint64_t{1} << 61;
    std::memcpy(bytes.data() + count_at, &huge, 8);
    CHECK(format_error_of(bytes) ==
          "test.gguf: at byte 41: value of 'a': array of 2305843009213693952 u64 elements cannot "
          "fit in the 8 bytes left");
  }
  SECTION("a string longer than the file") {
    GgufWriter w;
    w.kv("general.name", w.str("abc"));
    std::string bytes = w.bytes();
    const std::size_t length_at = 24 + 8 + 12 + 4;
    const std::uint64_t huge = 1000;
    std::memcpy(bytes.data() + length_at, &huge, 8);
    CHECK(format_error_of(bytes) ==
          "test.gguf: at byte 48: value of 'general.name': string of 1000 bytes runs past the end "
          "of the file (3 bytes left)");
  }
  SECTION("unknown value types, bad bools, deep nesting, duplicate keys") {
    GgufWriter type;
    type.kv("k", GgufWriter::Value{13, "x"});
    CHECK(format_error_of(type.bytes()) ==
          "test.gguf: at byte 33: value of 'k': unknown metadata value type 13");
    GgufWriter b;
    b.kv("k", GgufWriter::Value{gt::boolean, "\x02"});
    CHECK(format_error_of(b.bytes()) ==
          "test.gguf: at byte 37: value of 'k': invalid bool value 2");
    GgufWriter deep;
    GgufWriter::Value v = deep.u8(1);
    for (int i = 0; i < 9; ++i) {
      v = deep.array(v.type, {v});
    }
    deep.kv("k", v);
    CHECK(format_error_of(deep.bytes()) ==
          "test.gguf: at byte 133: value of 'k': arrays nested more than 8 deep");
    GgufWriter dup;
    dup.kv("k", dup.u8(1));
    dup.kv("k", dup.u8(2));
    CHECK(format_error_of(dup.bytes()) == "test.gguf: at byte 38: duplicate metadata key 'k'");
  }
  SECTION("alignment") {
    GgufWriter w;
    w.kv("general.alignment", w.u32(24));
    CHECK(format_error_of(w.bytes()) ==
          "test.gguf: at byte 53: general.alignment must be a u32 power of two");
  }
  SECTION("tensor infos") {
    GgufWriter type;
    type.tensor("w", {32, 2}, 4);  // Q4_2, removed from the format
    type.write_data = false;
    CHECK(format_error_of(type.bytes()) ==
          "test.gguf: at byte 53: tensor 'w': unknown tensor type 4");
    GgufWriter unknown;
    unknown.tensor("w", {32, 2}, 99);
    unknown.write_data = false;
    CHECK(format_error_of(unknown.bytes()) ==
          "test.gguf: at byte 53: tensor 'w': unknown tensor type 99");
    GgufWriter overflow;
    overflow.tensor("w", {std::uint64_t{1} << 32, std::uint64_t{1} << 32}, 0);
    overflow.write_data = false;
    CHECK(format_error_of(overflow.bytes()) ==
          "test.gguf: at byte 33: tensor 'w': the product of its dimensions overflows");
    GgufWriter bytes_overflow;
    bytes_overflow.tensor("w", {std::uint64_t{1} << 31, std::uint64_t{1} << 31}, 0);
    bytes_overflow.write_data = false;
    CHECK(format_error_of(bytes_overflow.bytes()) ==
          "test.gguf: at byte 33: tensor 'w': its size in bytes overflows");
    GgufWriter dims;
    dims.tensor("w", {1, 1, 1, 1, 1}, 0);
    dims.write_data = false;
    CHECK(format_error_of(dims.bytes()) ==
          "test.gguf: at byte 33: tensor 'w': 5 dimensions (at most 4)");
    GgufWriter block;
    block.tensor("w", {48, 2}, 12);
    block.write_data = false;
    CHECK(format_error_of(block.bytes()) ==
          "test.gguf: at byte 33: tensor 'w': row length 48 is not a multiple of the Q4_K block "
          "size 256");
    GgufWriter dup;
    dup.tensor("w", {4}, 0);
    dup.tensor("w", {4}, 0);
    // The second info starts after the 24-byte header and the first 33-byte info.
    CHECK(format_error_of(dup.bytes()) == "test.gguf: at byte 57: duplicate tensor name 'w'");
    GgufWriter misaligned;
    misaligned.tensor("w", {4}, 0, 8);
    CHECK(format_error_of(misaligned.bytes()) ==
          "test.gguf: at byte 49: tensor 'w': data offset 8 is not a multiple of the alignment 32");
    GgufWriter past;
    past.tensor("a", {4}, 0);
    past.tensor("b", {4}, 0, 1024);
    past.write_data = false;
    CHECK(format_error_of(past.bytes()) ==
          "test.gguf: at byte 49: tensor 'a': 16 bytes at data offset 0 run past the end of the "
          "file (90 bytes, data section at 96)");
    GgufWriter far;
    far.tensor("a", {4}, 0, std::uint64_t{1} << 63);
    far.write_data = false;
    CHECK(format_error_of(far.bytes()) ==
          "test.gguf: at byte 49: tensor 'a': 16 bytes at data offset 9223372036854775808 run "
          "past the end of the file (57 bytes, data section at 64)");
    GgufWriter overlap;
    overlap.tensor("a", {8}, 0);     // 32 bytes at data offset 0
    overlap.tensor("b", {4}, 0, 0);  // 16 bytes at data offset 0: inside 'a'
    // 'b' info follows the info of 'a' (at byte 49, as above), which is 33 bytes: name length 8,
    // "a" 1, n_dims 4, one dim 8, type 4, offset 8.
    CHECK(format_error_of(overlap.bytes()) ==
          "test.gguf: at byte 82: tensor 'b' at data offset 0 overlaps tensor 'a' (32 bytes at "
          "data offset 0)");
    GgufWriter adjacent;
    adjacent.tensor("a", {8}, 0);
    adjacent.tensor("b", {4}, 0, 32);  // starts where 'a' ends: fine
    CHECK(format_error_of(adjacent.bytes()) == "(no error)");
  }
}

TEST_CASE("gguf: a 100 GB file is read from its header alone", "[gguf]") {
  // A source that claims 100 GB and serves only the header, counting what is read.
  class HugeSource final : public ByteSource {
   public:
    explicit HugeSource(std::string header) : m_header(std::move(header)) {}
    std::uint64_t size() const override { return 100'000'000'000ULL; }
    void read(std::uint64_t offset, std::span<std::byte> out) override {
      bytes_read += out.size();
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = offset + i < m_header.size() ? static_cast<std::byte>(m_header[offset + i])
                                              : std::byte{0};
      }
    }
    std::uint64_t bytes_read = 0;

   private:
    std::string m_header;
  };
  GgufWriter w;
  w.kv("general.architecture", w.str("llama"));
  // 64 expert tensors of 1.5 GB each (Q4_K).
  for (int i = 0; i < 64; ++i) {
    w.tensor("blk." + std::to_string(i) + ".ffn_up_exps.weight", {8192, 2048, 128}, 12);
  }
  w.write_data = false;
  const std::string header = w.bytes();
  HugeSource source(header);
  const GgufFile file = read_gguf(source, "huge.gguf");
  CHECK(file.tensors.size() == 64);
  CHECK(file.tensor_bytes[0] == 8192ULL / 256 * 144 * 2048 * 128);
  CHECK(source.bytes_read <= 64 * 1024);
}

TEST_CASE("gguf: a huge file's header cannot demand a huge allocation", "[gguf]") {
  // 100 GB of source: the counts fit in the bytes left, so only the reader's limits stop them.
  class ZeroTail final : public ByteSource {
   public:
    explicit ZeroTail(std::string header) : m_header(std::move(header)) {}
    std::uint64_t size() const override { return 100'000'000'000ULL; }
    void read(std::uint64_t offset, std::span<std::byte> out) override {
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = offset + i < m_header.size() ? static_cast<std::byte>(m_header[offset + i])
                                              : std::byte{0};
      }
    }

   private:
    std::string m_header;
  };
  auto error_of = [](const std::string& header) {
    ZeroTail source(header);
    try {
      read_gguf(source, "huge.gguf");
    } catch (const FileFormatError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };
  GgufWriter tensors;
  tensors.tensor_count_override = std::uint64_t{1} << 30;
  CHECK(error_of(tensors.bytes()) ==
        "huge.gguf: at byte 8: tensor count 1073741824 is more than the 1048576 llmroof reads");
  GgufWriter keys;
  keys.kv_count_override = std::uint64_t{1} << 30;
  CHECK(error_of(keys.bytes()) ==
        "huge.gguf: at byte 16: metadata key count 1073741824 is more than the 1048576 llmroof "
        "reads");
  GgufWriter array;
  array.kv("a", array.array(gt::u8, {}));
  std::string bytes = array.bytes();
  const std::uint64_t count = std::uint64_t{1} << 24;
  std::memcpy(bytes.data() + 4 + 4 + 8 + 8 + 8 + 1 + 4 + 4, &count, 8);
  CHECK(error_of(bytes) ==
        "huge.gguf: at byte 41: value of 'a': the arrays of this file hold more than the 8388608 "
        "elements llmroof reads");
  GgufWriter text;
  text.kv("s", text.str(""));
  bytes = text.bytes();
  const std::uint64_t length = std::uint64_t{1} << 27;
  std::memcpy(bytes.data() + 4 + 4 + 8 + 8 + 8 + 1 + 4, &length, 8);
  CHECK(error_of(bytes) ==
        "huge.gguf: at byte 37: value of 's': string of 134217728 bytes is longer than the "
        "67108864 llmroof reads");
}

TEST_CASE("gguf: the tokenizer's arrays are counted and skipped, not kept", "[gguf]") {
  // A 152,064-token vocabulary with its merges and token types, as Qwen2 ships it.
  const std::size_t vocab = 152064;
  GgufWriter w;
  w.kv("general.architecture", w.str("llama"));
  w.kv("llama.block_count", w.u32(2));
  std::vector<std::string> tokens;
  tokens.reserve(vocab);
  for (std::size_t i = 0; i < vocab; ++i) {
    tokens.push_back("t" + std::to_string(i));
  }
  w.kv("tokenizer.ggml.tokens", w.str_array(tokens));
  w.kv("tokenizer.ggml.merges", w.str_array({"a b", "c d", "e f"}));
  w.kv("tokenizer.ggml.token_type", w.array(gt::i32, {w.i32(1), w.i32(1), w.i32(3)}));
  w.kv("tokenizer.ggml.nested", w.array(gt::array, {w.str_array({"x", "y"}), w.str_array({})}));
  w.kv("other.list", w.u32_array({4, 5}));
  w.kv("general.name", w.str("after the arrays"));
  const GgufFile file = read_bytes(w.bytes());
  const GgufArray* t = file.find("tokenizer.ggml.tokens")->as_array();
  REQUIRE(t != nullptr);
  CHECK(t->element_type == GgufType::string);
  CHECK(t->count == vocab);
  CHECK(t->items.empty());
  CHECK(file.find("tokenizer.ggml.merges")->as_array()->count == 3);
  CHECK(file.find("tokenizer.ggml.token_type")->as_array()->count == 3);
  CHECK(file.find("tokenizer.ggml.nested")->as_array()->count == 2);
  // Every other array keeps its elements, and the reader is in step after the skipped ones.
  const GgufArray* other = file.find("other.list")->as_array();
  CHECK(other->count == 2);
  REQUIRE(other->items.size() == 2);
  CHECK(other->items[1].as_int() == 5);
  CHECK(*file.find("general.name")->as_string() == "after the arrays");
  // A skipped array is still bounds-checked: a string past the end is an error.
  std::string cut = w.bytes();
  cut.resize(cut.size() / 2);
  CHECK_THROWS_AS(read_bytes(cut), FileFormatError);
}

TEST_CASE("gguf: split model names and parts", "[gguf]") {
  const auto split = parse_split_name("dir/Model-Q4_K_M-00002-of-00003.gguf");
  REQUIRE(split);
  CHECK(split->prefix == "dir/Model-Q4_K_M");
  CHECK(split->part == 2);
  CHECK(split->count == 3);
  CHECK(split_part_name(*split, 1) == "dir/Model-Q4_K_M-00001-of-00003.gguf");
  CHECK_FALSE(parse_split_name("model.gguf"));
  CHECK_FALSE(parse_split_name("model-00004-of-00003.gguf"));
  CHECK_FALSE(parse_split_name("model-0000a-of-00003.gguf"));
  CHECK_FALSE(parse_split_name("-00001-of-00003.gguf"));

  const ModelSpec spec = small_spec(Architecture::llama);
  const auto tensors = model_tensors(spec);
  const std::size_t half = tensors.size() / 2;
  std::vector<GgufFile> parts;
  for (int part = 0; part < 2; ++part) {
    GgufWriter w;
    if (part == 0) {
      w.kv("general.architecture", w.str("llama"));
      w.kv("llama.block_count", w.u32(2));
      w.kv("llama.embedding_length", w.u32(64));
      w.kv("llama.attention.head_count", w.u32(4));
      w.kv("llama.attention.head_count_kv", w.u32(2));
      w.kv("llama.attention.key_length", w.u32(16));
      w.kv("llama.feed_forward_length", w.u32(96));
      w.kv("llama.context_length", w.u32(512));
    }
    w.kv("split.no", w.u16(static_cast<std::uint16_t>(part)));
    w.kv("split.count", w.u16(2));
    w.kv("split.tensors.count", w.i32(static_cast<std::int32_t>(tensors.size())));
    for (std::size_t i = part == 0 ? 0 : half; i < (part == 0 ? half : tensors.size()); ++i) {
      w.tensor(tensors[i].name, tensors[i].dims, static_cast<std::uint32_t>(tensors[i].type));
    }
    parts.push_back(read_bytes(w.bytes(), "m-0000" + std::to_string(part + 1) + "-of-00002.gguf"));
  }
  const GgufModel model = gguf_model(parts);
  CHECK(model.files.size() == 2);
  CHECK(model.tensors.size() == tensors.size());
  CHECK(model.spec.total_params == count_total_params(tensors));
  CHECK(model.spec.vocab == 100);  // from token_embd: no vocab key, no token list

  const std::vector<GgufFile> one(parts.begin(), parts.begin() + 1);
  CHECK_THROWS_WITH(gguf_model(one),
                    "m-00001-of-00002.gguf: split.count is 2 but 1 part(s) were read");
  const std::vector<GgufFile> swapped = {parts[1], parts[0]};
  CHECK_THROWS_AS(gguf_model(swapped), ModelSpecError);
}
