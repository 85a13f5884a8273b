#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "catch.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"
#include "reference_csv.hpp"

using namespace llmroof;

namespace {

std::int64_t int_or_zero(const std::string& text) { return text.empty() ? 0 : std::stoll(text); }

int int_after(const std::string& text, const std::string& pattern) {
  std::smatch match;
  REQUIRE(std::regex_search(text, match, std::regex(pattern)));
  return std::stoi(match[1].str());
}

/// A ModelSpec from one row of models.csv (architecture columns only).
ModelSpec spec_from_row(const llmroof_test::CsvRow& row) {
  ModelSpec spec;
  spec.name = row.at("model");
  const std::string type = row.at("model_type").substr(0, row.at("model_type").find(' '));
  const auto arch = parse_architecture(type);
  REQUIRE(arch.has_value());
  spec.architecture = *arch;
  spec.layers = static_cast<int>(int_or_zero(row.at("layers")));
  spec.hidden = int_or_zero(row.at("hidden"));
  spec.heads = static_cast<int>(int_or_zero(row.at("heads")));
  spec.kv_heads = static_cast<int>(int_or_zero(row.at("kv_heads")));
  spec.intermediate = int_or_zero(row.at("intermediate"));
  spec.vocab = int_or_zero(row.at("vocab"));
  spec.tied_embeddings = row.at("tied_embeddings") == "true";
  spec.max_context = int_or_zero(row.at("max_context"));
  const std::string& head_dim = row.at("head_dim");
  if (spec.architecture == Architecture::deepseek_v3 ||
      spec.architecture == Architecture::deepseek_v2) {
    // "qk 192 (128 nope + 64 rope) / v 128" and "MLA (q_lora_rank 1536, kv_lora_rank 512, ...)"
    MlaSpec mla;
    mla.qk_nope_head_dim = int_after(head_dim, R"((\d+) nope)");
    mla.qk_rope_head_dim = int_after(head_dim, R"((\d+) rope)");
    mla.v_head_dim = int_after(head_dim, R"(v (\d+))");
    mla.q_lora_rank = int_after(row.at("attention_kind"), R"(q_lora_rank (\d+))");
    mla.kv_lora_rank = int_after(row.at("attention_kind"), R"(kv_lora_rank (\d+))");
    spec.mla = mla;
    spec.head_dim = mla.qk_nope_head_dim + mla.qk_rope_head_dim;
    spec.attention = AttentionKind::mla;
  } else {
    spec.head_dim = static_cast<int>(int_or_zero(head_dim));
  }
  if (!row.at("n_experts").empty()) {
    MoeSpec moe;
    moe.experts = static_cast<int>(int_or_zero(row.at("n_experts")));
    moe.experts_used = static_cast<int>(int_or_zero(row.at("top_k")));
    moe.shared_experts = static_cast<int>(int_or_zero(row.at("shared_experts")));
    moe.expert_intermediate = int_or_zero(row.at("moe_intermediate"));
    moe.shared_expert_intermediate = moe.expert_intermediate;
    moe.dense_layers_first = static_cast<int>(int_or_zero(row.at("dense_layers_first")));
    moe.dense_intermediate = spec.intermediate;
    spec.moe = moe;
  }
  return spec;
}

double active_of(const std::vector<TensorInfo>& tensors, const ModelSpec& spec) {
  return spec.moe ? count_active_params(tensors, spec.moe->experts, spec.moe->experts_used)
                  : count_total_params(tensors);
}

}  // namespace

TEST_CASE("classify_tensor parses GGUF names", "[tensors]") {
  const TensorName q = classify_tensor("blk.12.attn_q.weight");
  CHECK(q.role == TensorRole::attn_q);
  CHECK(q.layer == 12);
  CHECK_FALSE(q.bias);

  const TensorName qb = classify_tensor("blk.0.attn_q.bias");
  CHECK(qb.role == TensorRole::attn_q);
  CHECK(qb.bias);

  CHECK(classify_tensor("token_embd.weight").role == TensorRole::token_embd);
  CHECK(classify_tensor("token_embd.weight").layer == -1);
  CHECK(classify_tensor("position_embd.weight").role == TensorRole::position_embd);
  CHECK(classify_tensor("output.weight").role == TensorRole::output);
  CHECK(classify_tensor("output_norm.weight").role == TensorRole::norm);
  CHECK(classify_tensor("output_norm.bias").bias);
  CHECK(classify_tensor("blk.3.attn_norm.weight").role == TensorRole::norm);
  CHECK(classify_tensor("blk.3.attn_q_norm.weight").role == TensorRole::norm);
  CHECK(classify_tensor("blk.3.post_ffw_norm.weight").role == TensorRole::norm);
  CHECK(classify_tensor("blk.3.attn_q_a_norm.weight").role == TensorRole::norm);
  CHECK(classify_tensor("blk.3.attn_qkv.weight").role == TensorRole::attn_qkv);
  CHECK(classify_tensor("blk.3.attn_q_a.weight").role == TensorRole::attn_q_a);
  CHECK(classify_tensor("blk.3.attn_q_b.weight").role == TensorRole::attn_q_b);
  CHECK(classify_tensor("blk.3.attn_kv_a_mqa.weight").role == TensorRole::attn_kv_a);
  CHECK(classify_tensor("blk.3.attn_kv_b.weight").role == TensorRole::attn_kv_b);
  CHECK(classify_tensor("blk.3.attn_k_b.weight").role == TensorRole::attn_k_b);
  CHECK(classify_tensor("blk.3.attn_v_b.weight").role == TensorRole::attn_v_b);
  CHECK(classify_tensor("blk.3.attn_sinks.weight").role == TensorRole::attn_sinks);
  CHECK(classify_tensor("blk.3.ffn_gate_inp.weight").role == TensorRole::ffn_gate_inp);
  CHECK(classify_tensor("blk.3.exp_probs_b.bias").role == TensorRole::ffn_gate_inp);
  CHECK(classify_tensor("blk.3.ffn_down_exps.weight").role == TensorRole::ffn_down_exps);
  CHECK(classify_tensor("blk.3.ffn_up_exps.bias").role == TensorRole::ffn_up_exps);
  CHECK(classify_tensor("blk.3.ffn_gate_shexp.weight").role == TensorRole::ffn_gate_shexp);
  CHECK(classify_tensor("blk.3.ffn_down.weight").role == TensorRole::ffn_down);
  CHECK(classify_tensor("rope_freqs.weight").role == TensorRole::other);
  CHECK(classify_tensor("blk.x.attn_q.weight").layer == -1);
  CHECK(classify_tensor("").role == TensorRole::other);

  CHECK(is_routed_expert(TensorRole::ffn_gate_exps));
  CHECK_FALSE(is_routed_expert(TensorRole::ffn_gate_shexp));
  CHECK_FALSE(is_routed_expert(TensorRole::ffn_gate_inp));
}

TEST_CASE("model_tensors: a tiny llama counted by hand", "[tensors]") {
  ModelSpec spec;
  spec.architecture = Architecture::llama;
  spec.layers = 2;
  spec.hidden = 8;
  spec.heads = 2;
  spec.kv_heads = 1;
  spec.head_dim = 4;
  spec.intermediate = 16;
  spec.vocab = 10;
  const std::vector<TensorInfo> tensors = model_tensors(spec);
  // token_embd 80, per layer: attn_norm 8, q 8*8=64, k 8*4=32, v 32, o 64, ffn_norm 8,
  // gate 128, up 128, down 128 = 592; output_norm 8, output 80.
  CHECK(tensors.size() == 2 + 2 * 9 + 1);
  CHECK(count_total_params(tensors) == 80 + 2 * 592 + 8 + 80);
  CHECK(tensors.front().name == "token_embd.weight");
  CHECK(tensors.front().dims == std::vector<std::uint64_t>{8, 10});
  CHECK(tensors.front().type == 1);
  CHECK(tensors.back().name == "output.weight");
  CHECK(tensors[1].name == "blk.0.attn_norm.weight");
  CHECK(tensors[1].type == 0);
  CHECK(tensors[3].name == "blk.0.attn_k.weight");
  CHECK(tensors[3].dims == std::vector<std::uint64_t>{8, 4});
  CHECK(tensors[9].name == "blk.0.ffn_down.weight");
  CHECK(tensors[9].dims == std::vector<std::uint64_t>{16, 8});

  spec.tied_embeddings = true;
  CHECK(count_total_params(model_tensors(spec)) == 80 + 2 * 592 + 8);
}

TEST_CASE("model_tensors: a tiny MoE counted by hand", "[tensors]") {
  ModelSpec spec;
  spec.architecture = Architecture::mixtral;
  spec.layers = 1;
  spec.hidden = 4;
  spec.heads = 2;
  spec.kv_heads = 2;
  spec.head_dim = 2;
  spec.intermediate = 6;
  spec.vocab = 5;
  spec.moe = MoeSpec{4, 2, 0, 6, 0, 0, 0};
  const std::vector<TensorInfo> tensors = model_tensors(spec);
  // embd 20; layer: norms 8, q/k/v/o 4*16 = 64, router 4*4 = 16, experts 3*4*6*4 = 288;
  // output_norm 4, output 20.
  CHECK(count_total_params(tensors) == 20 + 8 + 64 + 16 + 288 + 4 + 20);
  // Active: everything but 2 of the 4 experts' 72 parameters each.
  CHECK(count_active_params(tensors, 4, 2) == 20 + 8 + 64 + 16 + 144 + 4 + 20);
  bool found = false;
  for (const TensorInfo& t : tensors) {
    if (t.name == "blk.0.ffn_down_exps.weight") {
      found = true;
      CHECK(t.dims == std::vector<std::uint64_t>{6, 4, 4});
    }
  }
  CHECK(found);

  // One shared expert of width 3 adds 3 * 4 * 3 = 36 always-active parameters, and qwen2_moe
  // adds its shared-expert gate (4) and q/k/v biases (4 + 4 + 4).
  spec.architecture = Architecture::qwen2_moe;
  spec.moe->shared_experts = 1;
  spec.moe->shared_expert_intermediate = 3;
  const std::vector<TensorInfo> qwen = model_tensors(spec);
  CHECK(count_total_params(qwen) == 20 + 8 + 64 + 12 + 16 + 288 + 36 + 4 + 4 + 20);
  CHECK(count_active_params(qwen, 4, 2) == 20 + 8 + 64 + 12 + 16 + 144 + 36 + 4 + 4 + 20);
}

TEST_CASE("model_tensors: generic size is the 12 * L * H^2 stack", "[tensors]") {
  ModelSpec spec;
  spec.architecture = Architecture::generic;
  spec.generic_size = true;
  spec.layers = 3;
  spec.hidden = 16;
  const std::vector<TensorInfo> tensors = model_tensors(spec);
  CHECK(tensors.size() == 18);
  CHECK(count_total_params(tensors) == 12.0 * 3 * 16 * 16);
}

TEST_CASE("model_tensors reproduces models.csv exactly", "[tensors][shared]") {
  const auto dir = llmroof_test::shared_dir();
  if (!dir) {
    WARN("skipped: LLMROOF_SHARED_DIR is not set or does not exist");
    return;
  }
  const auto rows = llmroof_test::read_csv(*dir / "reference" / "models.csv");
  REQUIRE(rows.size() >= 25);
  for (const auto& row : rows) {
    const ModelSpec spec = spec_from_row(row);
    INFO(spec.name);
    const std::vector<TensorInfo> tensors = model_tensors(spec);
    CHECK(count_total_params(tensors) ==
          static_cast<double>(std::stoll(row.at("total_params_computed"))));
    if (!row.at("active_params_computed").empty()) {
      const double expected = static_cast<double>(std::stoll(row.at("active_params_computed")));
      CHECK(active_of(tensors, spec) == Approx(expected).epsilon(0.001));
    }
    double embedding = 0;
    double head = 0;
    for (const TensorInfo& t : tensors) {
      const TensorRole role = classify_tensor(t.name).role;
      if (role == TensorRole::token_embd || role == TensorRole::position_embd) {
        embedding += t.elements();
      } else if (role == TensorRole::output) {
        head += t.elements();
      }
    }
    CHECK(embedding == static_cast<double>(std::stoll(row.at("embedding_params"))));
    CHECK(head == static_cast<double>(std::stoll(row.at("lm_head_params"))));
  }
}
