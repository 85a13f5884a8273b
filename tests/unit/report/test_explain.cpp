// --explain: the worked calculation of one estimate. The roof part against hand-computed
// numbers (the source article 000's 7B int4 on an A100 at 1935 GB/s and 1248 TOPS), and the
// engine terms against the step time the estimate reports.

#include <string>

#include "catch.hpp"
#include "llmroof/report/explain.hpp"
#include "llmroof/scenarios/explain_estimate.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

using test::device;

ModelInput int4_7b() {
  const ModelSpec model = generic_model(7e9, "7b");
  ModelInput input;
  input.spec = model;
  input.weights = model_weights(model, *find_quant("int4"));
  input.quant_id = "int4";
  return input;
}

const ExplainStep& step(const Explanation& e, const std::string& section, const std::string& id) {
  for (const ExplainStep& s : e.steps) {
    if (s.section == section && s.id == id) {
      return s;
    }
  }
  FAIL("no step " << section << "/" << id);
  throw;
}

double value(const Explanation& e, const std::string& section, const std::string& id) {
  const ExplainStep& s = step(e, section, id);
  REQUIRE(s.value.has_value());
  return *s.value;
}

}  // namespace

TEST_CASE("explain: the roof part is the source article's arithmetic", "[explain]") {
  EstimateOptions options;
  options.ideal = true;
  options.bandwidth_bytes_per_s = 1935e9;
  options.peak_flops_per_s = 1248e12;
  const ModelInput input = int4_7b();
  const EstimateResult r = estimate(device("a100-80gb-pcie"), input, options, test::efficiency());
  const Explanation e = explain_estimate(r, input, options, test::efficiency());
  CHECK(e.row == "a100-80gb-pcie");
  // P * n_bytes = 7e9 * 0.5 bytes, no KV at context 0.
  CHECK(value(e, "decode roof", "weights_read_bytes") == Approx(3.5e9));
  CHECK(value(e, "decode roof", "kv_read_bytes") == 0);
  CHECK(value(e, "decode roof", "bytes") == Approx(3.5e9));
  CHECK(value(e, "decode roof", "mem_bw_bytes_per_s") == 1935e9);
  CHECK(value(e, "decode roof", "memory_seconds") == Approx(3.5e9 / 1935e9));
  // 2P FLOPs per token.
  CHECK(value(e, "decode roof", "flops") == Approx(14e9));
  CHECK(value(e, "decode roof", "compute_seconds") == Approx(14e9 / 1248e12));
  CHECK(step(e, "decode roof", "bound").text == "memory-bound");
  // The article's 552 tokens/s (552.857 truncated).
  CHECK(value(e, "decode roof", "tokens_per_s") == Approx(552.857).epsilon(1e-5));
  // --ideal explains the roof only.
  for (const ExplainStep& s : e.steps) {
    CHECK((s.section == "decode roof" || s.section == "prefill roof"));
  }
  CHECK(explain_value_text(1935e9, "bytes_per_s") == "1.935 TB/s");
  CHECK(explain_value_text(3.5e9, "bytes") == "3.5 GB");
}

TEST_CASE("explain: the engine terms sum to the step the estimate reports", "[explain]") {
  const ModelInput input = int4_7b();
  for (const char* id : {"a100-80gb-pcie", "m4-10c", "rtx-3090", "ryzen-9-7950x"}) {
    EstimateOptions options;
    options.context_tokens = 4096;
    const EstimateResult r = estimate(device(id), input, options, test::efficiency());
    const Explanation e = explain_estimate(r, input, options, test::efficiency());
    double sum = 0;
    double shares = 0;
    for (const ExplainStep& s : e.steps) {
      if (s.section == "decode engine" && s.share && s.id != "step_seconds") {
        sum += *s.value;
        shares += *s.share;
      }
    }
    INFO(id);
    CHECK(sum == Approx(1.0 / r.tokens_per_s));
    CHECK(value(e, "decode engine", "step_seconds") == Approx(1.0 / r.tokens_per_s));
    CHECK(shares == Approx(1.0));
    CHECK(value(e, "prefill engine", "seconds") == Approx(r.time_to_first_token_s));
    CHECK(value(e, "band", "tokens_per_s_low") == r.tokens_per_s_low);
    // The KV term: batch x context x KV bytes per token.
    CHECK(value(e, "decode roof", "kv_read_bytes") ==
          Approx(4096 * kv_cache_bytes(input.spec, 1, 2.0)));
  }
}

TEST_CASE("explain: the report carries every step with its unit", "[explain]") {
  Explanation e;
  e.row = "x";
  ExplainStep s;
  s.section = "decode roof";
  s.id = "bytes";
  s.label = "bytes per step";
  s.formula = "1 GB + 0 B";
  s.value = 1e9;
  s.unit = "bytes";
  e.steps.push_back(s);
  const Report report = explanation_report(e);
  REQUIRE(report.rows.size() == 1);
  const auto shown = static_cast<std::size_t>(report.column_index("shown"));
  CHECK(std::get<std::string>(report.rows[0][shown]) == "1 GB");
  const auto unit = static_cast<std::size_t>(report.column_index("unit"));
  CHECK(std::get<std::string>(report.rows[0][unit]) == "bytes");
}

TEST_CASE("explain: speculative decoding's pass is draft plus verification", "[explain]") {
  const ModelInput target = int4_7b();
  ModelInput draft;
  draft.spec = generic_model(1e9, "1b");
  draft.weights = model_weights(draft.spec, *find_quant("int4"));
  draft.quant_id = "int4";
  SpeculativeSpec spec;
  spec.draft = draft;
  spec.draft_tokens = 4;
  spec.acceptance = 0.5;
  EstimateOptions options;
  const SpeculativeResult r =
      estimate_speculative(device("rtx-3090"), target, spec, options, test::efficiency());
  const Explanation e = explain_speculative(r, target, draft, options, test::efficiency());
  const double pass = value(e, "speculative", "pass_seconds");
  CHECK(pass == Approx(value(e, "speculative", "draft_seconds") +
                       value(e, "speculative", "verify_seconds")));
  // (1 - A^(K+1)) / (1 - A) = (1 - 1/32) / 0.5 = 1.9375 tokens per pass.
  CHECK(value(e, "speculative", "accepted_tokens_per_step") == Approx(1.9375));
  CHECK(value(e, "speculative", "tokens_per_s") == Approx(1.9375 / pass));
  // The target's and the draft's own calculations come first.
  CHECK(value(e, "target decode roof", "weights_read_bytes") == Approx(3.5e9));
  CHECK(value(e, "draft decode roof", "weights_read_bytes") == Approx(0.5e9));
  CHECK(value(e, "target decode engine", "tokens_per_s") == Approx(r.plain_tokens_per_s));
}
