// Writes the GGUF seed corpus (tests/fuzz/corpus/gguf) with the unit tests' GGUF writer:
// small files of several architectures, every value type, both byte orders.
// Usage: fuzz_make_seeds OUTPUT_DIR

#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gguf_writer.hpp"

namespace {

using llmroof_test::GgufWriter;
namespace gt = llmroof_test::gguf_type;

void save(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out << bytes;
}

/// A two-layer model of `arch` with llama-style tensor names. Shapes are kept tiny (a few rows)
/// so that the seeds stay small; the reader does not check them against the metadata.
GgufWriter model(const std::string& arch, std::uint32_t version, bool big_endian, bool moe,
                 const std::map<std::string, GgufWriter::Value>& overrides = {}) {
  GgufWriter w(version, big_endian);
  // Each key once: an override replaces the value the seed would have.
  const auto put = [&](const std::string& key, GgufWriter::Value value) {
    const auto it = overrides.find(key);
    w.kv(key, it == overrides.end() ? std::move(value) : it->second);
  };
  put("general.architecture", w.str(arch));
  put("general.name", w.str("seed-" + arch));
  put("general.file_type", w.u32(1));
  put(arch + ".block_count", w.u32(2));
  put(arch + ".context_length", w.u32(256));
  put(arch + ".embedding_length", w.u32(32));
  put(arch + ".feed_forward_length", w.u32_array({64, 64}));
  put(arch + ".attention.head_count", w.u32(4));
  put(arch + ".attention.head_count_kv", w.u32_array({2, 1}));
  put(arch + ".attention.sliding_window", w.u32(64));
  put("tokenizer.ggml.tokens", w.str_array({"<s>", "</s>", "a", "b"}));
  put("tokenizer.ggml.scores", w.array(gt::f32, {w.f32(0), w.f32(-1), w.f32(-2), w.f32(-3)}));
  if (moe) {
    put(arch + ".expert_count", w.u32(4));
    put(arch + ".expert_used_count", w.u32(2));
    put(arch + ".expert_feed_forward_length", w.u32(32));
  }
  w.alignment(8);
  w.tensor("token_embd.weight", {32, 4}, 8);
  w.tensor("output_norm.weight", {4}, 0);
  for (int layer = 0; layer < 2; ++layer) {
    const std::string blk = "blk." + std::to_string(layer) + ".";
    w.tensor(blk + "attn_norm.weight", {4}, 0);
    w.tensor(blk + "attn_q.weight", {8, 2}, 1);
    w.tensor(blk + "attn_k.weight", {8, 1}, 30);
    w.tensor(blk + "attn_v.weight", {32, 1}, 2);
    w.tensor(blk + "attn_output.weight", {32, 1}, 39);
    if (moe) {
      w.tensor(blk + "ffn_gate_inp.weight", {4, 4}, 0);
      w.tensor(blk + "ffn_up_exps.weight", {32, 1, 4}, 8);
      w.tensor(blk + "ffn_down_exps.weight", {32, 1, 4}, 20);
    } else {
      w.tensor(blk + "ffn_up.weight", {32, 2}, 6);
      w.tensor(blk + "ffn_down.weight", {256, 1}, 12);
    }
  }
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds OUTPUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  save(dir, "llama-v3.gguf", model("llama", 3, false, false).bytes());
  save(dir, "llama-v2.gguf", model("llama", 2, false, false).bytes());
  save(dir, "llama-v3-big-endian.gguf", model("llama", 3, true, false).bytes());
  save(dir, "qwen3moe.gguf", model("qwen3moe", 3, false, true).bytes());
  {
    GgufWriter w = model("deepseek2", 3, false, true);
    w.kv("deepseek2.attention.q_lora_rank", w.u32(16));
    w.kv("deepseek2.attention.kv_lora_rank", w.u32(16));
    w.kv("deepseek2.rope.dimension_count", w.u32(4));
    w.kv("deepseek2.attention.key_length", w.u32(12));
    w.kv("deepseek2.attention.value_length", w.u32(8));
    w.kv("deepseek2.leading_dense_block_count", w.u32(1));
    w.kv("deepseek2.expert_shared_count", w.u32(1));
    save(dir, "deepseek2.gguf", w.bytes());
  }
  {
    GgufWriter w(3);
    w.kv("general.architecture", w.str("gemma3"));
    w.kv("gemma3.block_count", w.u32(6));
    w.kv("gemma3.embedding_length", w.u32(16));
    w.kv("gemma3.attention.head_count", w.u32(2));
    w.kv("gemma3.attention.sliding_window", w.u32(8));
    w.kv("gemma3.attention.sliding_window_pattern",
         w.array(gt::boolean, {w.boolean(true), w.boolean(true), w.boolean(false)}));
    w.kv("t.all", w.array(gt::array, {w.array(gt::i64, {w.i64(-1)}), w.array(gt::u8, {})}));
    w.kv("t.u16", w.u16(7));
    w.kv("t.i16", w.i16(-7));
    w.kv("t.i8", w.i8(-1));
    w.kv("t.u8", w.u8(1));
    w.kv("t.i32", w.i32(-5));
    w.kv("t.u64", w.u64(5));
    w.kv("t.f64", w.f64(0.25));
    w.kv("t.bool", w.boolean(true));
    save(dir, "vocab-only-gemma3.gguf", w.bytes());
  }
  // Regression inputs (issue 16): shapes and sizes the reader once accepted.
  {
    GgufWriter w = model("llama", 3, false, false,
                         {{"llama.attention.head_count_kv", GgufWriter().u32(0)}});  // KV cache 0 B
    save(dir, "kv-heads-zero.gguf", w.bytes());
  }
  {
    // Not UTF-8: JSON output failed.
    GgufWriter w =
        model("llama", 3, false, false, {{"general.name", GgufWriter().str("bad \xff name")}});
    save(dir, "name-not-utf8.gguf", w.bytes());
  }
  {
    GgufWriter w = model("llama", 3, false, false,
                         {{"llama.embedding_length", GgufWriter().u32(0)}});  // hidden 0, tensors
    save(dir, "hidden-zero.gguf", w.bytes());
  }
  {
    GgufWriter w;
    w.kv("general.architecture", w.str("llama"));
    w.tensor("w", {std::uint64_t{1} << 62}, 0);  // 2^62 F32 elements: 2^64 bytes wrapped to 0
    w.write_data = false;
    save(dir, "f32-bytes-wrap.gguf", w.bytes());
  }
  {
    GgufWriter w = model("qwen3moe", 3, false, true);
    w.kv("qwen3moe.leading_dense_block_count", w.u32(9));  // dense-first layers past the 2
    save(dir, "dense-first-past-layers.gguf", w.bytes());
  }
  return 0;
}
