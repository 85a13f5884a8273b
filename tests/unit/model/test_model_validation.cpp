// One shared ModelSpec validation, run by every source: GGUF, config.json, the catalog and
// shorthand sizes (issue 16, "Impossible inputs accepted").

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "gguf_writer.hpp"
#include "llmroof/model/gguf.hpp"
#include "llmroof/model/hf_config.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;
using llmroof_test::GgufWriter;

namespace {

ModelSpec valid_spec() {
  ModelSpec spec;
  spec.layers = 2;
  spec.hidden = 64;
  spec.heads = 4;
  spec.kv_heads = 2;
  spec.head_dim = 16;
  spec.intermediate = 96;
  spec.vocab = 100;
  spec.max_context = 512;
  spec.total_params = 1000;
  spec.active_params = 1000;
  return spec;
}

/// "field: message" of the first problem, "" when none.
std::string first_problem(const ModelSpec& spec) {
  const auto problems = model_spec_problems(spec);
  return problems.empty() ? std::string()
                          : problems.front().field + ": " + problems.front().message;
}

/// A two-layer llama GGUF with one tensor; `extra` adds or overrides keys.
GgufFile llama_file(const std::function<void(GgufWriter&)>& extra,
                    const std::string& name = "m.gguf", bool keys = true) {
  GgufWriter w;
  if (keys) {
    w.kv("general.architecture", w.str("llama"));
    w.kv("llama.block_count", w.u32(2));
    w.kv("llama.embedding_length", w.u32(64));
    w.kv("llama.attention.head_count", w.u32(4));
    w.kv("llama.feed_forward_length", w.u32(96));
    w.kv("llama.context_length", w.u32(512));
  }
  extra(w);
  const std::string bytes = w.bytes();
  MemorySource source(bytes);
  return read_gguf(source, name);
}

std::string gguf_error(const std::vector<GgufFile>& parts) {
  try {
    (void)gguf_model(parts);
  } catch (const ModelSpecError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string config_error(const std::string& text) {
  try {
    (void)parse_hf_config(text, "config.json");
  } catch (const ModelSpecError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("model_spec_problems: a valid spec has none, each impossible value one", "[model]") {
  CHECK(first_problem(valid_spec()).empty());
  auto with = [](auto change) {
    ModelSpec spec = valid_spec();
    change(spec);
    return first_problem(spec);
  };
  CHECK(with([](ModelSpec& s) { s.kv_heads = 0; }) ==
        "kv_heads: expected 1 to 4 (the head count), got 0");
  CHECK(with([](ModelSpec& s) { s.kv_heads = 5; }) ==
        "kv_heads: expected 1 to 4 (the head count), got 5");
  CHECK(with([](ModelSpec& s) {
          s.kv_heads_per_layer = {2, 8};
        }) == "kv_heads_per_layer: expected 0 to 4 (the head count) on layer 1, got 8");
  CHECK(with([](ModelSpec& s) { s.hidden = 0; }) == "hidden: expected at least 1, got 0");
  CHECK(with([](ModelSpec& s) { s.layers = 0; }) == "layers: expected at least 1, got 0");
  CHECK(with([](ModelSpec& s) { s.heads = 0; }) == "heads: expected at least 1, got 0");
  CHECK(with([](ModelSpec& s) { s.head_dim = 0; }) == "head_dim: expected at least 1, got 0");
  CHECK(with([](ModelSpec& s) { s.sliding_window_layers = 3; }) ==
        "sliding_window_layers: expected 0 to 2 (the layer count), got 3");
  CHECK(with([](ModelSpec& s) { s.moe = MoeSpec{8, 2, 0, 32, 32, 3, 96}; }) ==
        "moe.dense_layers_first: expected 0 to 2 (the layer count), got 3");
  CHECK(with([](ModelSpec& s) { s.moe = MoeSpec{8, 9, 0, 32, 32, 0, 96}; }) ==
        "moe.experts_used: expected 1 to 8 (the expert count), got 9");
  CHECK(with([](ModelSpec& s) {
          s.attention = AttentionKind::mla;
          s.mla = MlaSpec{0, 512, 0, 0, 128};
        }) == "mla.key_length: expected at least 1, got 0");
  CHECK(with([](ModelSpec& s) { s.attention = AttentionKind::mla; }) ==
        "mla: attention is MLA but the latent's widths are missing");
  CHECK(with([](ModelSpec& s) { s.total_params = std::nan(""); }) ==
        "total_params: expected a finite non-negative count, got nan");
  CHECK(with([](ModelSpec& s) { s.active_params = 2000; }) ==
        "active_params: 2000 is more than total_params (1000)");
}

TEST_CASE("GGUF: impossible shapes are refused naming the metadata key", "[model][gguf]") {
  const auto tensor = [](GgufWriter& w) { w.tensor("token_embd.weight", {64, 100}, 0); };
  // KV heads 0: a KV cache of 0 bytes made a 1e8-token context "fit".
  CHECK(gguf_error({llama_file([&](GgufWriter& w) {
          w.kv("llama.attention.head_count_kv", w.u32(0));
          tensor(w);
        })}) ==
        "m.gguf: metadata key 'llama.attention.head_count_kv': expected 1 to 4 (the "
        "head count), got 0");
  CHECK(gguf_error({llama_file([&](GgufWriter& w) {
          w.kv("llama.attention.head_count_kv", w.u32(8));
          tensor(w);
        })}) ==
        "m.gguf: metadata key 'llama.attention.head_count_kv': expected 1 to 4 (the "
        "head count), got 8");
  // Hidden 0 with tensors (the head width then derives as 0 too).
  {
    GgufWriter w;
    w.kv("general.architecture", w.str("llama"));
    w.kv("llama.block_count", w.u32(2));
    w.kv("llama.embedding_length", w.u32(0));
    w.kv("llama.attention.head_count", w.u32(4));
    w.tensor("token_embd.weight", {64, 100}, 0);
    const std::string bytes = w.bytes();
    MemorySource source(bytes);
    CHECK(gguf_error({read_gguf(source, "m.gguf")}) ==
          "m.gguf: metadata key 'llama.embedding_length': expected at least 1, got 0");
  }
  // Dense-first layers beyond the layer count.
  CHECK(gguf_error({llama_file([&](GgufWriter& w) {
          w.kv("llama.expert_count", w.u32(8));
          w.kv("llama.expert_used_count", w.u32(2));
          w.kv("llama.leading_dense_block_count", w.u32(5));
          tensor(w);
        })}) ==
        "m.gguf: metadata key 'llama.leading_dense_block_count': expected 0 to 2 (the "
        "layer count), got 5");
}

TEST_CASE("GGUF: an MLA key length of 0 is refused", "[model][gguf]") {
  GgufWriter w;
  w.kv("general.architecture", w.str("deepseek2"));
  w.kv("deepseek2.block_count", w.u32(2));
  w.kv("deepseek2.embedding_length", w.u32(64));
  w.kv("deepseek2.attention.head_count", w.u32(4));
  w.kv("deepseek2.attention.kv_lora_rank", w.u32(32));
  w.kv("deepseek2.rope.dimension_count", w.u32(0));
  w.kv("deepseek2.attention.key_length", w.u32(0));
  w.kv("deepseek2.attention.value_length", w.u32(16));
  w.tensor("token_embd.weight", {64, 100}, 0);
  const std::string bytes = w.bytes();
  MemorySource source(bytes);
  CHECK(gguf_error({read_gguf(source, "ds.gguf")}) ==
        "ds.gguf: metadata key 'deepseek2.attention.key_length': expected at least 1, got 0");
}

TEST_CASE("GGUF: split parts must agree and hold each tensor once", "[model][gguf]") {
  const auto part = [](int no, int count, const std::string& tensor, bool keys,
                       const std::string& arch = "") {
    return llama_file(
        [&](GgufWriter& w) {
          if (!arch.empty()) {
            w.kv("general.architecture", w.str(arch));
          }
          w.kv("split.no", w.u16(static_cast<std::uint16_t>(no)));
          w.kv("split.count", w.u16(static_cast<std::uint16_t>(count)));
          w.tensor(tensor, {64, 100}, 0);
        },
        "m-0000" + std::to_string(no + 1) + "-of-00002.gguf", keys);
  };
  CHECK(gguf_error({part(0, 2, "token_embd.weight", true), part(1, 2, "output.weight", false)}) ==
        "(no error)");
  // The same tensor in two parts counted its parameters twice.
  CHECK(
      gguf_error({part(0, 2, "token_embd.weight", true), part(1, 2, "token_embd.weight", false)}) ==
      "m-00002-of-00002.gguf: tensor 'token_embd.weight' is also in m-00001-of-00002.gguf");
  CHECK(gguf_error({part(0, 2, "token_embd.weight", true), part(1, 3, "output.weight", false)}) ==
        "m-00002-of-00002.gguf: split.count should be 2 as in m-00001-of-00002.gguf, got 3");
  CHECK(gguf_error(
            {part(0, 2, "token_embd.weight", true), part(1, 2, "output.weight", false, "qwen3")}) ==
        "m-00002-of-00002.gguf: general.architecture is 'qwen3' but 'llama' in "
        "m-00001-of-00002.gguf");
}

TEST_CASE("config.json and the catalog run the same validation", "[model]") {
  // config.json: the reader's own bounds are stricter (dense-first layers are counted layer
  // by layer, so never past the layer count), and what it returns passes the validation.
  const ModelSpec deepseek = parse_hf_config(
      R"({"model_type": "deepseek_v3", "num_hidden_layers": 4, "hidden_size": 64,
      "num_attention_heads": 4, "intermediate_size": 96, "vocab_size": 100,
      "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
      "first_k_dense_replace": 9, "kv_lora_rank": 32, "q_lora_rank": 0,
      "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 16})",
      "config.json");
  REQUIRE(deepseek.moe);
  CHECK(deepseek.moe->dense_layers_first == 4);
  CHECK(model_spec_problems(deepseek).empty());
  CHECK(config_error(R"({"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64,
      "num_attention_heads": 4, "num_key_value_heads": 8})") ==
        "config.json: field 'num_key_value_heads': expected at most num_attention_heads (4), got "
        "8");
  const std::string catalog = R"({"schema_version": 1, "models": [{
      "id": "m", "name": "M", "architecture": "llama", "total_params": 1e9, "active_params": 1e9,
      "layers": 2, "hidden_size": 64, "attention_heads": 4, "kv_heads": 8, "head_dim": 16,
      "intermediate_size": 96, "vocab_size": 100, "tied_embeddings": false,
      "attention_kind": "gqa", "max_context": 512, "source": "test"}]})";
  try {
    (void)parse_models(catalog, "models.json");
    FAIL("no DataError");
  } catch (const DataError& e) {
    CHECK(e.messages() == std::vector<std::string>{"models.json:3: /models/0/kv_heads: expected "
                                                   "1 to 4 (the head count), got 8"});
  }
  // Counts past an int are refused, not truncated.
  std::string big = catalog;
  big.replace(big.find("\"layers\": 2"), 11, "\"layers\": 4294967298");
  CHECK_THROWS_WITH(parse_models(big, "models.json"),
                    "models.json:3: /models/0/layers: expected an integer up to 2147483647, got "
                    "4294967298");
}

TEST_CASE("shorthand sizes give valid shapes across their whole range", "[model]") {
  for (const double params : {1e6, 3.3e6, 7e9, 70e9, 671e9, 1e12, 1e14}) {
    CHECK(first_problem(generic_model(params, "x")).empty());
  }
  CHECK_THROWS_AS(generic_model(std::nan(""), "nan"), ModelSpecError);
}

TEST_CASE("GGUF: tensor sizes summed over split parts are checked for a wrap", "[model][gguf]") {
  // Two parts that each claim 2^64 - 1 bytes and hold one F16 tensor of 2^63 bytes: each lies
  // inside its part, and their sum is 2^64, which wrapped to 0.
  class HugeSource final : public ByteSource {
   public:
    explicit HugeSource(std::string header) : m_header(std::move(header)) {}
    std::uint64_t size() const override { return std::numeric_limits<std::uint64_t>::max(); }
    void read(std::uint64_t offset, std::span<std::byte> out) override {
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = offset + i < m_header.size() ? static_cast<std::byte>(m_header[offset + i])
                                              : std::byte{0};
      }
    }

   private:
    std::string m_header;
  };
  std::vector<GgufFile> parts;
  for (int no = 0; no < 2; ++no) {
    GgufWriter w;
    w.kv("general.architecture", w.str("llama"));
    w.kv("split.no", w.u16(static_cast<std::uint16_t>(no)));
    w.kv("split.count", w.u16(2));
    w.tensor(no == 0 ? "a.weight" : "b.weight", {std::uint64_t{1} << 62}, 1);  // F16
    w.write_data = false;
    HugeSource source(w.bytes());
    parts.push_back(read_gguf(source, "m-0000" + std::to_string(no + 1) + "-of-00002.gguf"));
    REQUIRE(parts.back().tensor_bytes[0] == std::uint64_t{1} << 63);
  }
  CHECK(gguf_error(parts) ==
        "m-00002-of-00002.gguf: the tensor sizes of the 2 parts overflow 64 bits");
}

TEST_CASE("GGUF: a general.name that is not UTF-8 is refused naming the key", "[model][gguf]") {
  // -f json ended in an internal error (JSON cannot carry the bytes).
  CHECK(gguf_error({llama_file([](GgufWriter& w) {
          w.kv("general.name", w.str("bad\xff name"));
          w.tensor("token_embd.weight", {64, 100}, 0);
        })}) == "m.gguf: metadata key 'general.name': not valid UTF-8 (\"bad\\xff name\")");
}

TEST_CASE("GGUF: a u64 past the int64 range prints as written, never as -1", "[model][gguf]") {
  CHECK(gguf_error({llama_file([](GgufWriter& w) {
          w.kv("split.count", w.u64(std::numeric_limits<std::uint64_t>::max()));
          w.tensor("token_embd.weight", {64, 100}, 0);
        })}) == "m.gguf: split.count is 18446744073709551615 but 1 part(s) were read");
}
