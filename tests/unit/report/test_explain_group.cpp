// --explain for device groups and partial offload: the explained parts (stages, link, GPU
// and host parts) are the numbers estimate_group and estimate_offload used, so they add up to
// the step each reports; one ideal group by hand.

#include <string>

#include "catch.hpp"
#include "llmroof/report/explain.hpp"
#include "llmroof/scenarios/explain_estimate.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

using test::device;

ModelInput input_of(const ModelSpec& model, const std::string& quant) {
  ModelInput input;
  input.spec = model;
  input.weights = model_weights(model, *find_quant(quant));
  input.quant_id = quant;
  return input;
}

const ExplainStep* find_step(const Explanation& e, const std::string& section,
                             const std::string& id) {
  for (const ExplainStep& s : e.steps) {
    if (s.section == section && s.id == id) {
      return &s;
    }
  }
  return nullptr;
}

double value(const Explanation& e, const std::string& section, const std::string& id) {
  const ExplainStep* s = find_step(e, section, id);
  REQUIRE(s != nullptr);
  REQUIRE(s->value.has_value());
  return *s->value;
}

// The engine terms of a part section sum to its time, and their shares to 1.
void check_terms(const Explanation& e, const std::string& section) {
  double sum = 0;
  double shares = 0;
  for (const char* id : {"memory_s", "compute_s", "per_layer_s", "moe_s"}) {
    if (const ExplainStep* s = find_step(e, section, id)) {
      sum += *s->value;
      shares += s->share.value_or(0);
    }
  }
  CHECK(sum == Approx(value(e, section, "seconds")).epsilon(1e-12));
  CHECK(shares == Approx(1.0).epsilon(1e-12));
}

Link test_link() {
  Link l;
  l.id = "test-link";
  l.name = "test link";
  l.bandwidth_bytes_per_s = 1e9;
  l.latency_s = 10e-6;
  return l;
}

}  // namespace

TEST_CASE("explain group: an ideal two-stage pipeline by hand", "[explain]") {
  // Generic 7B int4: 33 layers, hidden 4224, 3.5e9 bytes and 14e9 FLOPs a token at context 0.
  const ModelInput input = input_of(generic_model(7e9, "7b"), "int4");
  REQUIRE(input.spec.layers == 33);
  REQUIRE(input.spec.hidden == 4224);
  EstimateOptions options;
  options.ideal = true;
  options.prompt_tokens = 0;
  options.bandwidth_bytes_per_s = 1000e9;
  const Link link = test_link();
  GroupSpec g;
  g.devices = {&device("rtx-3090"), &device("rtx-3090")};
  g.link = &link;
  const GroupResult r = estimate_group(g, input, options, test::efficiency());
  const Explanation e = explain_group(r, input, options);
  CHECK(e.row == "2x rtx-3090");
  // Equal memory: layers 1-17 (round(16.5) = 17) and 18-33.
  CHECK(value(e, "stage 1 rtx-3090", "layers") == 17);
  CHECK(value(e, "stage 2 rtx-3090", "layers") == 16);
  CHECK(value(e, "stage 1 rtx-3090", "bytes") == Approx(3.5e9 * 17 / 33));
  CHECK(value(e, "stage 1 rtx-3090", "memory_seconds") == Approx(3.5e9 * 17 / 33 / 1000e9));
  CHECK(value(e, "stage 2 rtx-3090", "memory_seconds") == Approx(3.5e9 * 16 / 33 / 1000e9));
  CHECK(value(e, "stage 2 rtx-3090", "seconds") == Approx(3.5e9 * 16 / 33 / 1000e9));
  // One hop of 4224 f32 activations: 10 us + 16896 B / 1 GB/s = 26.896 us.
  CHECK(value(e, "link", "hops") == 1);
  CHECK(value(e, "link", "hop_bytes") == 16896);
  CHECK(value(e, "link", "hop_seconds") == Approx(26.896e-6));
  CHECK(value(e, "link", "link_seconds") == Approx(26.896e-6));
  // The step: 3.5 ms of stages in turn + the hop.
  CHECK(value(e, "group", "device_seconds") == Approx(3.5e-3));
  CHECK(value(e, "step", "step_seconds") == Approx(3.5e-3 + 26.896e-6));
  CHECK(value(e, "step", "step_seconds") == r.step_seconds);
  CHECK(value(e, "step", "tokens_per_s") == r.tokens_per_s);
  CHECK(find_step(e, "band", "decode_log_spread") == nullptr);
}

TEST_CASE("explain group: stages and link sum to the step the estimate reports", "[explain]") {
  const ModelInput input = input_of(generic_model(70e9, "70b"), "int4");
  const Link link = test_link();
  for (const SplitMode split : {SplitMode::layer, SplitMode::tensor}) {
    for (const int batch : {1, 4}) {
      EstimateOptions options;
      options.batch = batch;
      options.context_tokens = 2048;
      GroupSpec g;
      g.devices = {&device("rtx-3090"), &device("rtx-4090"), &device("rtx-3090")};
      g.link = &link;
      g.split = split;
      const GroupResult r = estimate_group(g, input, options, test::efficiency());
      const Explanation e = explain_group(r, input, options);
      double stages = 0;
      double slowest = 0;
      for (std::size_t i = 0; i < r.members.size(); ++i) {
        const std::string section =
            "stage " + std::to_string(i + 1) + " " + r.members[i].alone.device->id;
        check_terms(e, section);
        const double t = value(e, section, "seconds");
        CHECK(t == r.members[i].step_seconds);
        stages = split == SplitMode::layer ? stages + t : std::max(stages, t);
        slowest = std::max(slowest, t);
      }
      CHECK(value(e, "group", "device_seconds") == Approx(stages).epsilon(1e-12));
      CHECK(value(e, "link", "link_seconds") == Approx(r.link_seconds).epsilon(1e-12));
      CHECK(value(e, "link", "hops") * value(e, "link", "hop_seconds") ==
            Approx(r.link_seconds).epsilon(1e-12));
      const double expected = split == SplitMode::layer
                                  ? std::max(stages + r.link_seconds, r.micro_batches * slowest)
                                  : stages + r.link_seconds;
      CHECK(value(e, "step", "step_seconds") == Approx(expected).epsilon(1e-12));
      CHECK(1.0 / value(e, "step", "step_seconds") == Approx(r.tokens_per_s).epsilon(1e-12));
      CHECK(value(e, "band", "tokens_per_s_low") == r.tokens_per_s_low);
      CHECK(value(e, "band", "tokens_per_s_high") == r.tokens_per_s_high);
    }
  }
}

TEST_CASE("explain offload: GPU and host parts sum to the step the estimate reports", "[explain]") {
  const ModelInput dense = input_of(generic_model(70e9, "70b"), "int4");
  const ModelSpec* moe = find_model(test::catalog(), "qwen3-30b-a3b");
  REQUIRE(moe != nullptr);
  const ModelInput sparse = input_of(*moe, "int4");
  struct Case {
    const ModelInput* input;
    bool cpu_moe;
    std::optional<int> layers;
  };
  for (const Case& c : {Case{&dense, false, std::nullopt}, Case{&dense, false, 40},
                        Case{&sparse, true, std::nullopt}}) {
    EstimateOptions options;
    options.context_tokens = 1024;
    OffloadSpec spec;
    spec.gpu = &device("rtx-4090");
    spec.host = &device("ryzen-9-7950x");
    spec.cpu_moe = c.cpu_moe;
    spec.gpu_layers = c.layers;
    const OffloadResult r = estimate_offload(spec, *c.input, options, test::efficiency());
    const Explanation e = explain_offload(r, *c.input, options);
    const std::string gpu = "gpu rtx-4090";
    const std::string host = "host ryzen-9-7950x";
    check_terms(e, gpu);
    check_terms(e, host);
    CHECK(value(e, gpu, "seconds") == r.gpu_seconds);
    CHECK(value(e, host, "seconds") == r.host_seconds);
    CHECK(value(e, gpu, "seconds") + value(e, host, "seconds") ==
          Approx(value(e, "step", "step_seconds")).epsilon(1e-12));
    CHECK(value(e, "step", "step_seconds") == r.step_seconds);
    CHECK(1.0 / value(e, "step", "step_seconds") == Approx(r.tokens_per_s).epsilon(1e-12));
    CHECK(value(e, "split", "gpu_weights_bytes") + value(e, "split", "host_weights_bytes") ==
          Approx(c.input->weights.total_bytes));
    CHECK(value(e, "band", "tokens_per_s_low") == r.tokens_per_s_low);
  }
}
