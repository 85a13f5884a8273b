#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "catch.hpp"
#include "gguf_writer.hpp"
#include "llmroof/model/gguf.hpp"
#include "llmroof/model/hf_config.hpp"
#include "llmroof/model/inspect.hpp"
#include "llmroof/model/tensors.hpp"
#include "llmroof/platform/model_source.hpp"
#include "llmroof/util/errors.hpp"
#include "reference_csv.hpp"

using namespace llmroof;

namespace {

const Cell& field_of(const Report& report, const std::string& id) {
  for (const DocField& f : report.fields) {
    if (f.id == id) {
      return f.value;
    }
  }
  FAIL("no field " << id);
  static const Cell none;
  return none;
}

std::int64_t int_field(const Report& report, const std::string& id) {
  return std::get<std::int64_t>(field_of(report, id));
}

}  // namespace

TEST_CASE("param_breakdown sorts every tensor into one group", "[inspect]") {
  ModelSpec spec;
  spec.architecture = Architecture::qwen2_moe;
  spec.layers = 1;
  spec.hidden = 4;
  spec.heads = 2;
  spec.kv_heads = 1;
  spec.head_dim = 2;
  spec.vocab = 5;
  spec.moe = MoeSpec{4, 2, 1, 6, 3, 0, 0};
  const auto tensors = model_tensors(spec);
  const ParamBreakdown b = param_breakdown(tensors);
  CHECK(b.embeddings == 20);
  CHECK(b.output_head == 20);
  CHECK(b.norms == 4 + 4 + 4);  // attn_norm, ffn_norm, output_norm
  // q 4*4 + 4, k and v 4*2 + 2 each, o 4*4.
  CHECK(b.attention == 20 + 10 + 10 + 16);
  CHECK(b.router == 16);
  CHECK(b.routed_experts == 3 * 4 * 6 * 4);
  CHECK(b.shared_experts == 3 * 4 * 3 + 4);  // three matrices and the shared-expert gate
  CHECK(b.dense_mlp == 0);
  CHECK(b.other == 0);
  CHECK(b.total() == count_total_params(tensors));

  const std::vector<TensorInfo> odd = {{"rope_freqs.weight", {8}, 0, 0},
                                       {"blk.0.ffn_up.weight", {4, 8}, 1, 0},
                                       {"blk.0.ffn_up.bias", {8}, 0, 0}};
  const ParamBreakdown o = param_breakdown(odd);
  CHECK(o.other == 8);
  CHECK(o.dense_mlp == 40);
}

TEST_CASE("inspect prints parameter counts past 2^63 as numbers, not -2^63", "[inspect]") {
  LoadedModel model;
  // Within every documented config.json bound (layers <= 4096, widths <= 2^24, experts <=
  // 2^16), a MoE reaches past 2^63 parameters.
  model.spec = parse_hf_config(R"({"model_type": "mixtral", "hidden_size": 1048576,
    "num_hidden_layers": 4096, "num_attention_heads": 8192, "num_key_value_heads": 8192,
    "intermediate_size": 4194304, "num_local_experts": 256, "num_experts_per_tok": 2,
    "vocab_size": 32000, "max_position_embeddings": 2048})",
                               "config.json");
  model.files = {"config.json"};
  const Report report = inspect_report(model);
  // Per layer: q, k, v, o 4 * 2^40, 256 experts of gate, up, down 256 * 3 * 2^42, the router
  // 256 * 2^20 and 2 * 2^20 norms; then embeddings, output and the final norm.
  const double per_layer =
      4.0 * 1099511627776.0 + 256.0 * 3.0 * 4398046511104.0 + 256.0 * 1048576.0 + 2.0 * 1048576.0;
  const double expected = 4096.0 * per_layer + 2.0 * 32000.0 * 1048576.0 + 1048576.0;
  REQUIRE(std::holds_alternative<double>(field_of(report, "total_params")));
  CHECK(std::get<double>(field_of(report, "total_params")) == Approx(expected));
  CHECK(std::get<double>(field_of(report, "total_params")) > 9.3e18);
}

TEST_CASE("inspect report of a config.json", "[inspect]") {
  LoadedModel model;
  model.spec = parse_hf_config(R"({"model_type": "llama", "hidden_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "intermediate_size": 128, "vocab_size": 259, "max_position_embeddings": 2048,
    "torch_dtype": "bfloat16"})",
                               "config.json");
  model.files = {"config.json"};
  const Report report = inspect_report(model);
  CHECK(report.command == "inspect");
  // The tiny-random-llama shape: 107,200 parameters, all BF16 (2 bytes each).
  CHECK(int_field(report, "total_params") == 107200);
  CHECK(int_field(report, "active_params") == 107200);
  CHECK(int_field(report, "weights_bytes") == 214400);
  CHECK(std::get<double>(field_of(report, "bits_per_weight")) == 16.0);
  // Not read per token: the 64 x 259 embedding (one row is).
  CHECK(int_field(report, "decode_weights_bytes") == 214400 - 2 * 64 * 259);
  // 2 (K, V) * 2 layers * 2 KV heads * 16 * 2 bytes.
  CHECK(int_field(report, "kv_cache_bytes_per_token") == 256);
  CHECK(int_field(report, "context_length") == 2048);
  CHECK(int_field(report, "layers") == 2);
  CHECK(std::get<std::string>(field_of(report, "architecture")) == "llama");
  CHECK(std::get<std::string>(field_of(report, "format")) == "hf-config");
  CHECK(std::holds_alternative<std::monostate>(field_of(report, "experts")));
  CHECK(int_field(report, "embedding_params") == 64 * 259);
  CHECK(int_field(report, "output_head_params") == 64 * 259);
  REQUIRE(report.rows.size() == 1);
  CHECK(std::get<std::string>(report.rows[0][0]) == "BF16");
  CHECK(std::get<std::int64_t>(report.rows[0][1]) == 21);
  CHECK(std::get<std::int64_t>(report.rows[0][2]) == 107200);
  CHECK(std::get<std::int64_t>(report.rows[0][3]) == 214400);
  CHECK(report.notes == std::vector<std::string>{"weights counted as BF16 (torch_dtype bfloat16)"});
  for (const auto& row : report.rows) {
    CHECK(row.size() == report.columns.size());
  }
}

TEST_CASE("inspect report of a GGUF file with experts", "[inspect]") {
  using llmroof_test::GgufWriter;
  GgufWriter w;
  w.kv("general.architecture", w.str("qwen3moe"));
  w.kv("general.file_type", w.u32(7));
  w.kv("qwen3moe.block_count", w.u32(1));
  w.kv("qwen3moe.embedding_length", w.u32(64));
  w.kv("qwen3moe.attention.head_count", w.u32(4));
  w.kv("qwen3moe.attention.head_count_kv", w.u32(1));
  w.kv("qwen3moe.context_length", w.u32(4096));
  w.kv("qwen3moe.expert_count", w.u32(8));
  w.kv("qwen3moe.expert_used_count", w.u32(2));
  w.tensor("token_embd.weight", {64, 10}, 8);            // Q8_0: 2 blocks * 34 * 10 = 680
  w.tensor("blk.0.ffn_up_exps.weight", {64, 32, 8}, 8);  // 2 * 34 * 32 * 8 = 17408
  w.tensor("blk.0.attn_q.weight", {64, 64}, 1);          // F16: 8192
  w.tensor("blk.0.attn_norm.weight", {64}, 0);           // F32: 256
  const std::string bytes = w.bytes();
  MemorySource source(bytes);
  const GgufFile file = read_gguf(source, "moe.gguf");
  GgufModel gguf = gguf_model(std::span<const GgufFile>(&file, 1));
  LoadedModel model{gguf.spec, gguf.tensors, true, gguf.files, gguf.file_type};
  const Report report = inspect_report(model);
  CHECK(int_field(report, "total_params") == 640 + 16384 + 4096 + 64);
  CHECK(int_field(report, "active_params") == 640 + 16384 / 4 + 4096 + 64);
  CHECK(int_field(report, "weights_bytes") == 680 + 17408 + 8192 + 256);
  // Tied (no output.weight): the embedding is the head and is read in full, plus 2 of 8 experts.
  CHECK(int_field(report, "decode_weights_bytes") == 680 + 17408 / 4 + 8192 + 256);
  CHECK(std::get<std::string>(field_of(report, "file_type")) == "q8_0");
  CHECK(std::get<bool>(field_of(report, "tied_embeddings")));
  CHECK(int_field(report, "experts") == 8);
  CHECK(int_field(report, "routed_expert_params") == 16384);
  CHECK(std::get<std::string>(field_of(report, "attention")) == "mqa");  // one KV head
  REQUIRE(report.rows.size() == 3);
  CHECK(std::get<std::string>(report.rows[0][0]) == "Q8_0");  // largest first
  CHECK(std::get<std::int64_t>(report.rows[0][1]) == 2);
  CHECK(std::get<double>(report.rows[0][4]) == Approx(8.5));
  CHECK(std::get<std::string>(report.rows[1][0]) == "F16");
  CHECK(std::get<std::string>(report.rows[2][0]) == "F32");
}

TEST_CASE("load_model_file on the shared fixtures", "[inspect][shared]") {
  CHECK_FALSE(load_model_file("/nonexistent/path/model.gguf").has_value());
  CHECK_FALSE(load_model_file("").has_value());
  const auto dir = llmroof_test::shared_dir();
  if (!dir) {
    WARN("skipped: LLMROOF_SHARED_DIR is not set or does not exist");
    return;
  }
  const auto gguf =
      load_model_file((*dir / "fixtures" / "gguf" / "tiny-random-llama.gguf").string());
  REQUIRE(gguf);
  CHECK(gguf->from_gguf);
  CHECK(gguf->tensors.size() == 21);
  CHECK(gguf->file_type == 7);
  const Report report = inspect_report(*gguf);
  CHECK(int_field(report, "weights_bytes") == 114840);
  CHECK(int_field(report, "total_params") == 107200);
  CHECK(std::get<double>(field_of(report, "bits_per_weight")) == Approx(114840.0 * 8 / 107200));
  CHECK(int_field(report, "decode_weights_bytes") == 114840 - 17612);

  // A vocab-only file gets the layout its metadata implies, so callers always have weights.
  const auto vocab =
      load_model_file((*dir / "fixtures" / "gguf" / "ggml-vocab-gpt-2.gguf").string());
  REQUIRE(vocab);
  CHECK(count_total_params(vocab->tensors) == 124439808.0);
  CHECK(vocab->spec.total_params == 124439808.0);
  CHECK_FALSE(vocab->spec.assumed_fields.empty());

  const auto config =
      load_model_file((*dir / "fixtures" / "hf-configs" / "Qwen3-30B-A3B.json").string());
  REQUIRE(config);
  CHECK_FALSE(config->from_gguf);
  CHECK(config->spec.total_params == 30532122624.0);
  CHECK(config->tensors.empty());
}

TEST_CASE("load_model_file: directories, split parts and names", "[inspect]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("llmroof-h3-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir / "cfg" / "Tiny-Llama");
  fs::create_directories(dir / "one");
  fs::create_directories(dir / "two");
  auto write = [](const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  };
  write(dir / "cfg" / "Tiny-Llama" / "config.json",
        R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
            "vocab_size": 259})");

  // A two-part split model: metadata in part 1, tensors in both.
  using llmroof_test::GgufWriter;
  std::vector<std::string> parts;
  for (int part = 0; part < 2; ++part) {
    GgufWriter w;
    if (part == 0) {
      w.kv("general.architecture", w.str("llama"));
      w.kv("llama.block_count", w.u32(1));
      w.kv("llama.embedding_length", w.u32(32));
      w.kv("llama.attention.head_count", w.u32(2));
    }
    w.kv("split.no", w.u16(static_cast<std::uint16_t>(part)));
    w.kv("split.count", w.u16(2));
    w.tensor(part == 0 ? "token_embd.weight" : "output.weight", {32, 8}, 8);  // 272 bytes
    parts.push_back(w.bytes());
  }
  write(dir / "one" / "m-00001-of-00002.gguf", parts[0]);
  write(dir / "one" / "m-00002-of-00002.gguf", parts[1]);
  GgufWriter single;
  single.kv("general.architecture", single.str("llama"));
  single.kv("llama.block_count", single.u32(1));
  single.kv("llama.embedding_length", single.u32(32));
  single.kv("llama.attention.head_count", single.u32(2));
  single.tensor("token_embd.weight", {32, 8}, 8);
  write(dir / "two" / "a.gguf", single.bytes());
  write(dir / "two" / "b.gguf", single.bytes());
  write(dir / "two" / "renamed.bin", single.bytes());

  const auto config = load_model_file((dir / "cfg" / "Tiny-Llama").string());
  REQUIRE(config);
  CHECK(config->spec.name == "Tiny-Llama");  // no _name_or_path: the folder's name
  CHECK(config->spec.total_params == 107200);

  // Naming any part reads them all; so does naming the folder.
  for (const fs::path& path : {dir / "one" / "m-00002-of-00002.gguf", dir / "one"}) {
    INFO(path.string());
    const auto split = load_model_file(path.string());
    REQUIRE(split);
    CHECK(split->files.size() == 2);
    CHECK(split->tensors.size() == 2);
    CHECK(split->spec.total_params == 512);
    CHECK_FALSE(split->spec.tied_embeddings);
  }
  fs::remove(dir / "one" / "m-00002-of-00002.gguf");
  CHECK_THROWS_AS(load_model_file((dir / "one" / "m-00001-of-00002.gguf").string()), Error);

  CHECK_THROWS_WITH(
      load_model_file((dir / "two").string()),
      (dir / "two").string() + ": 2 GGUF models in this directory; name one of the files");
  // The magic bytes decide, not the extension.
  const auto renamed = load_model_file((dir / "two" / "renamed.bin").string());
  REQUIRE(renamed);
  CHECK(renamed->from_gguf);
  CHECK(renamed->spec.tied_embeddings);
  fs::remove_all(dir);
}
