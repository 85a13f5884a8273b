// Device groups: tensor and layer split over real links, hand-computed; memory per device;
// cost of a group; the source article's DeepSeek-V3 on eight Mac minis.

#include <cmath>
#include <memory>
#include <sstream>

#include "catch.hpp"
#include "llmroof/engine/efficiency.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/scenarios/cluster.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/units.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

// Datasheet figures typed in by hand, so that the expectations below stay hand calculations.
Device rtx_3090() {
  Device d;
  d.id = "rtx-3090";
  d.vendor = "NVIDIA";
  d.kind = DeviceKind::gpu;
  d.backend = "cuda";
  d.memory_sizes_bytes = {24 * units::k_gib};
  d.mem_bw_bytes_per_s = 936e9;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp32)] = 35.6e12;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp16)] = 71e12;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::int4)] = 568e12;
  d.tdp_w = 350;
  d.launch_price_usd = 1499;
  return d;
}

// Mac mini M4 Pro (20-core GPU), 64 GB: 273 GB/s, 7.53 TFLOPS FP16 = FP32, no TDP published.
Device m4_pro_64() {
  Device d;
  d.id = "m4-pro-20c";
  d.vendor = "Apple";
  d.kind = DeviceKind::apple_soc;
  d.backend = "metal";
  d.memory_sizes_bytes = {24 * units::k_gib, 48 * units::k_gib, 64 * units::k_gib};
  d.mem_bw_bytes_per_s = 273e9;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp32)] = 7.53e12;
  d.peak_flops_per_s[static_cast<std::size_t>(Precision::fp16)] = 7.53e12;
  d.launch_price_usd = 1599;
  return d;
}

Link link(std::string id, double gb_per_s, double latency_us) {
  Link l;
  l.id = std::move(id);
  l.bandwidth_bytes_per_s = gb_per_s * 1e9;
  l.latency_s = latency_us * 1e-6;
  return l;
}

// The shipped figures (test_links checks that data/links.json holds them).
const Link k_pcie4 = link("pcie-4-x16", 31.5, 2);
const Link k_10gbe = link("10gbe", 1.25, 25);
const Link k_tb5 = link("thunderbolt-5", 10, 50);

// The shipped realistic-efficiency table: realistic results are checked against estimate()
// itself, so these tests hold whatever figures the table carries.
// Generic 70B at int4: 35e9 bytes read and 1.4e11 FLOPs per token at context 0;
// 71 layers, hidden 9088 (P ~= 12 * layers * hidden^2).
ModelInput generic_70b_int4() {
  ModelInput m;
  m.spec = generic_model(70e9, "70b");
  const Quant q = *find_quant("int4");
  m.weights = model_weights(m.spec, q);
  m.quant_id = q.id;
  m.compute = q.compute;
  return m;
}

EstimateOptions ideal_options() {
  EstimateOptions o;
  o.ideal = true;
  o.prompt_tokens = 0;
  return o;
}

GroupResult group_of(std::vector<const Device*> devices, SplitMode split, const Link* l,
                     const ModelInput& m, const EstimateOptions& o,
                     std::vector<double> ratio = {}) {
  GroupSpec g;
  g.devices = std::move(devices);
  g.split = split;
  g.link = l;
  g.split_ratio = std::move(ratio);
  return estimate_group(g, m, o, EfficiencyTable{});
}

constexpr double k_t1 = 35e9 / 936e9;  // one RTX 3090 reading the whole generic 70B int4

}  // namespace

TEST_CASE("ring all-reduce and hop over a link", "[cluster]") {
  // 2 devices: 2 (n - 1) = 2 steps of 2 us + 16384 B / 31.5 GB/s.
  CHECK(ring_all_reduce_seconds(32768, 2, k_pcie4) ==
        Approx(2 * (2e-6 + 16384 / 31.5e9)).epsilon(1e-12));
  // 8 devices over Thunderbolt 5: 14 steps of 50 us + 28672/8 B / 10 GB/s.
  CHECK(ring_all_reduce_seconds(28672, 8, k_tb5) ==
        Approx(14 * (50e-6 + 3584 / 10e9)).epsilon(1e-12));
  CHECK(ring_all_reduce_seconds(1e6, 1, k_tb5) == 0);
  CHECK(link_hop_seconds(36352, k_pcie4) == Approx(2e-6 + 36352 / 31.5e9).epsilon(1e-12));
}

TEST_CASE("layers are split as llama.cpp cuts a tensor split", "[cluster]") {
  CHECK(layers_per_device(61, std::vector<double>(8, 0.125)) ==
        std::vector<int>{8, 7, 8, 8, 7, 8, 7, 8});  // round(61 k / 8): 8 15 23 31 38 46 53 61
  CHECK(layers_per_device(80, normalize_shares({3, 1})) == std::vector<int>{60, 20});
  CHECK(layers_per_device(71, normalize_shares({1, 1})) == std::vector<int>{36, 35});
  CHECK(layers_per_device(2, normalize_shares({1, 1, 1})) == std::vector<int>{1, 0, 1});
  CHECK_THROWS_AS(normalize_shares({1, 0}), UsageError);
  CHECK_THROWS_AS(normalize_shares({1, -2}), UsageError);
}

TEST_CASE("tensor split of 2x RTX 3090 over PCIe 4 and 10 GbE, by hand", "[cluster]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  REQUIRE(m.spec.layers == 71);
  REQUIRE(m.spec.hidden == 9088);
  const EstimateOptions o = ideal_options();
  // Each card reads half the weights: 17.5e9 B / 936 GB/s = 18.697 ms (memory-bound).
  // Two all-reduces per layer of 9088 * 4 B of activations, ring over 2 devices:
  // PCIe 4: 142 * 2 * (2 us + 18176 B / 31.5 GB/s) = 0.7319 ms.
  const GroupResult pcie = group_of({&gpu, &gpu}, SplitMode::tensor, &k_pcie4, m, o);
  CHECK(pcie.device_seconds == Approx(k_t1 / 2).epsilon(1e-9));
  CHECK(pcie.link_seconds == Approx(142 * 2 * (2e-6 + 18176 / 31.5e9)).epsilon(1e-9));
  CHECK(pcie.step_seconds == Approx(0.019428453704517703).epsilon(1e-9));
  CHECK(pcie.tokens_per_s == Approx(51.470900114272595).epsilon(1e-9));
  // 10 GbE: 142 * 2 * (25 us + 18176 B / 1.25 GB/s) = 11.23 ms of link per token.
  const GroupResult gbe = group_of({&gpu, &gpu}, SplitMode::tensor, &k_10gbe, m, o);
  CHECK(gbe.link_seconds == Approx(142 * 2 * (25e-6 + 18176 / 1.25e9)).epsilon(1e-9));
  CHECK(gbe.tokens_per_s == Approx(33.41557083914028).epsilon(1e-9));
  // Each card holds half the weights and half the KV cache.
  REQUIRE(pcie.members.size() == 2);
  CHECK(pcie.members[0].share == 0.5);
  CHECK(pcie.members[0].layers == 71);
  CHECK(pcie.members[0].fit.weights_bytes == Approx(17.5e9).epsilon(1e-12));
  CHECK(pcie.members[0].fit.kv_cache_bytes == Approx(pcie.kv_cache_bytes / 2).epsilon(1e-12));
  CHECK(pcie.label == "2x rtx-3090");
  CHECK(pcie.split == SplitMode::tensor);
}

TEST_CASE("layer split of 2x RTX 3090 over PCIe 4 and 10 GbE, by hand", "[cluster]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  const EstimateOptions o = ideal_options();
  // 71 layers: 36 on the first card, 35 on the second; a token passes both (36/71 + 35/71 of
  // the weights read, 37.393 ms in all) plus one hop of 9088 * 4 B.
  const GroupResult pcie = group_of({&gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o);
  REQUIRE(pcie.members.size() == 2);
  CHECK(pcie.members[0].layers == 36);
  CHECK(pcie.members[1].layers == 35);
  CHECK(pcie.members[0].step_seconds == Approx(k_t1 * 36 / 71).epsilon(1e-9));
  CHECK(pcie.device_seconds == Approx(k_t1).epsilon(1e-9));
  CHECK(pcie.link_seconds == Approx(2e-6 + 36352 / 31.5e9).epsilon(1e-9));
  CHECK(pcie.tokens_per_s == Approx(26.74060163139313).epsilon(1e-9));
  const GroupResult gbe = group_of({&gpu, &gpu}, SplitMode::layer, &k_10gbe, m, o);
  CHECK(gbe.link_seconds == Approx(25e-6 + 36352 / 1.25e9).epsilon(1e-9));
  CHECK(gbe.tokens_per_s == Approx(26.704234901307906).epsilon(1e-9));
  // Memory per card: its layers' share of the weights and KV cache, plus the runtime overhead.
  const double weights0 = 35e9 * 36 / 71;
  CHECK(pcie.members[0].fit.weights_bytes == Approx(weights0).epsilon(1e-12));
  CHECK(pcie.members[0].fit.required_bytes ==
        Approx(weights0 + pcie.kv_cache_bytes * 36 / 71 + 512 * units::k_mib + 0.02 * weights0)
            .epsilon(1e-12));
  CHECK(pcie.members[0].fit.available_bytes == Approx(24 * units::k_gib));
  CHECK(pcie.fits);
  CHECK(pcie.max_member_required_bytes == Approx(pcie.members[0].fit.required_bytes));
  // The whole model does not fit one card; the pair holds it.
  const GroupResult one = group_of({&gpu}, SplitMode::layer, nullptr, m, o);
  CHECK_FALSE(one.fits);
}

TEST_CASE("with a batch the layer pipeline fills and hides the hops", "[cluster]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  EstimateOptions o = ideal_options();
  o.batch = 2;
  // Two micro-batches of one sequence: each stage serves both per token, so a sequence waits
  // max(2 * slowest stage, stage + stage + hop) = 2 * 36/71 * T1 (the hop is hidden).
  const GroupResult even = group_of({&gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o);
  CHECK(even.micro_batches == 2);
  CHECK(even.step_seconds == Approx(k_t1 * 72 / 71).epsilon(1e-9));
  CHECK(even.aggregate_tokens_per_s == Approx(52.74285714285715).epsilon(1e-9));
  // A 3:1 split makes the first stage (53 of 71 layers) the bottleneck: 2 * 53/71 * T1.
  const GroupResult uneven = group_of({&gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o, {3, 1});
  CHECK(uneven.members[0].layers == 53);
  CHECK(uneven.step_seconds == Approx(k_t1 * 106 / 71).epsilon(1e-9));
  CHECK(uneven.aggregate_tokens_per_s == Approx(35.825336927223724).epsilon(1e-9));
  CHECK(uneven.members[0].share == Approx(53.0 / 71));
}

TEST_CASE("more devices over a slow link can be slower", "[cluster][invariant]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  const EstimateOptions o = ideal_options();
  const double two = group_of({&gpu, &gpu}, SplitMode::tensor, &k_10gbe, m, o).tokens_per_s;
  const double four =
      group_of({&gpu, &gpu, &gpu, &gpu}, SplitMode::tensor, &k_10gbe, m, o).tokens_per_s;
  // 4 cards: 9.35 ms of reading, but 142 * 6 * (25 us + 2272 * 4 B / 1.25 GB/s) = 27.5 ms of link.
  CHECK(four == Approx(27.1424400578726).epsilon(1e-9));
  CHECK(four < two);
  // Over PCIe the same four cards are faster than two.
  CHECK(group_of({&gpu, &gpu, &gpu, &gpu}, SplitMode::tensor, &k_pcie4, m, o).tokens_per_s >
        group_of({&gpu, &gpu}, SplitMode::tensor, &k_pcie4, m, o).tokens_per_s);
  // At batch 1 a layer split never beats one device that holds the model: same bytes, plus hops.
  const double alone = group_of({&gpu}, SplitMode::layer, nullptr, m, o).tokens_per_s;
  CHECK(alone == Approx(1.0 / k_t1).epsilon(1e-9));
  CHECK(group_of({&gpu, &gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o).tokens_per_s < alone);
}

TEST_CASE("a group of one is the single-device estimate", "[cluster][invariant]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  const EfficiencyTable& table = test::efficiency();
  EstimateOptions o;
  o.context_tokens = 1000;
  for (SplitMode split : {SplitMode::layer, SplitMode::tensor}) {
    GroupSpec g;
    g.devices = {&gpu};
    g.split = split;
    const GroupResult r = estimate_group(g, m, o, table);
    const EstimateResult e = estimate(gpu, m, o, table);
    CHECK(r.tokens_per_s == Approx(e.tokens_per_s).epsilon(1e-12));
    CHECK(r.tokens_per_s_low == Approx(e.tokens_per_s_low).epsilon(1e-12));
    CHECK(r.ideal_tokens_per_s == Approx(e.step.tokens_per_s).epsilon(1e-12));
    CHECK(r.time_to_first_token_s == Approx(e.time_to_first_token_s).epsilon(1e-12));
    CHECK(r.generate_tokens_per_s == Approx(e.generate_tokens_per_s).epsilon(1e-9));
    CHECK(r.members[0].fit.required_bytes == Approx(e.fit.required_bytes).epsilon(1e-12));
    CHECK(r.link_seconds == 0);
  }
}

TEST_CASE("a group row has every field of a device row, and the device object of a group",
          "[cluster][report]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  const EstimateOptions o = ideal_options();
  const GroupResult r = group_of({&gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o);
  const Report group = group_report({r}, m, o, "tokens_per_s");
  const Report single =
      estimate_report({estimate(gpu, m, o, test::efficiency())}, m, o, "tokens_per_s");
  for (const auto& c : single.columns) {
    const int at = group.column_index(c.id);
    INFO(c.id);
    REQUIRE(at >= 0);
    CHECK(group.columns[static_cast<std::size_t>(at)].kind == c.kind);
  }
  auto cell = [&](const Report& report, const char* id) {
    return report.rows[0][static_cast<std::size_t>(report.column_index(id))];
  };
  CHECK(std::get<std::string>(cell(group, "device.id")) == "2x " + gpu.id);
  CHECK(std::get<std::string>(cell(group, "device.kind")) == "group");
  CHECK(std::get<std::string>(cell(group, "device.name")) == "2x " + gpu.name);
  CHECK(std::get<std::string>(cell(group, "device.vendor")) == gpu.vendor);
  CHECK(std::get<std::string>(cell(group, "mode")) == "group");
  CHECK(std::get<std::string>(cell(single, "mode")) == "device");
  // A field a group does not have (one roofline's bound) is null, and hidden in tables.
  CHECK(std::holds_alternative<std::monostate>(cell(group, "bound")));
  CHECK_FALSE(group.columns[static_cast<std::size_t>(group.column_index("bound"))].human);
}

TEST_CASE("cost and energy of a group add up its devices", "[cluster][cost]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  EstimateOptions o = ideal_options();
  o.price_usd_per_hour = 0.5;  // per card
  const GroupResult r = group_of({&gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o);
  REQUIRE(r.price_usd.has_value());
  CHECK(*r.price_usd == 2998);
  CHECK(r.power_w == 700);
  // 26.7406 tok/s over 2.998 k$; 700 W / 26.7406 tok/s; 1 $/h / 3600 / 26.7406 tok/s * 1e6.
  CHECK(*r.tokens_per_s_per_kusd == Approx(8.919480197262551).epsilon(1e-9));
  CHECK(*r.joules_per_token == Approx(26.177421497435898).epsilon(1e-9));
  CHECK(*r.usd_per_million_tokens == Approx(10.387865673585674).epsilon(1e-9));
  // --power applies to each device.
  o.power_w = 300;
  CHECK(group_of({&gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o).power_w == 600);
  // A device without a published TDP leaves the group's energy unknown.
  const Device mac = m4_pro_64();
  const GroupResult mixed = group_of({&gpu, &mac}, SplitMode::layer, &k_10gbe, m, ideal_options());
  CHECK(mixed.power_w == 0);
  CHECK_FALSE(mixed.joules_per_token.has_value());
  CHECK(*mixed.price_usd == 1499 + 1599);
  CHECK(mixed.label == "rtx-3090+m4-pro-20c");
}

TEST_CASE("a mixed group splits in proportion to usable memory", "[cluster]") {
  const Device gpu = rtx_3090();   // 24 GiB usable
  const Device mac = m4_pro_64();  // 64 GiB, 48 GiB usable (macOS wired limit)
  const ModelInput m = generic_70b_int4();
  const GroupResult r = group_of({&gpu, &mac}, SplitMode::tensor, &k_10gbe, m, ideal_options());
  CHECK(r.members[0].share == Approx(24.0 / 72));
  CHECK(r.members[1].share == Approx(48.0 / 72));
  // The slower member bounds a tensor-split step: 2/3 * 35e9 / 273 GB/s.
  CHECK(r.device_seconds == Approx(35e9 * 2 / 3 / 273e9).epsilon(1e-9));
  // Layer split: 24 and 47 of 71 layers (round(71 / 3) = 24).
  const GroupResult l = group_of({&gpu, &mac}, SplitMode::layer, &k_10gbe, m, ideal_options());
  CHECK(l.members[0].layers == 24);
  CHECK(l.members[1].layers == 47);
  CHECK(l.device_seconds == Approx(35e9 * 24 / 71 / 936e9 + 35e9 * 47 / 71 / 273e9).epsilon(1e-9));
}

TEST_CASE("group errors", "[cluster][errors]") {
  const Device gpu = rtx_3090();
  const ModelInput m = generic_70b_int4();
  const EstimateOptions o = ideal_options();
  CHECK_THROWS_AS(group_of({}, SplitMode::layer, &k_pcie4, m, o), UsageError);
  CHECK_THROWS_WITH(group_of({&gpu, &gpu}, SplitMode::layer, nullptr, m, o),
                    "a group of 2 devices needs a link (link)");
  CHECK_THROWS_WITH(group_of({&gpu, &gpu}, SplitMode::layer, &k_pcie4, m, o, {1, 2, 3}),
                    "split_ratio has 3 numbers for a group of 2 devices");
  // 200 devices for 71 layers: some get none.
  const std::vector<const Device*> many(200, &gpu);
  CHECK_THROWS_AS(group_of(many, SplitMode::layer, &k_pcie4, m, o), UsageError);
}

TEST_CASE("source article: DeepSeek-V3 at 4 bits on 8 Mac mini M4 Pro 64 GB over TB5",
          "[cluster][seed]") {
  const ModelCatalog& catalog = test::catalog();
  const ModelSpec* spec = find_model(catalog, "deepseek-v3");
  REQUIRE(spec != nullptr);
  ModelInput m;
  m.spec = *spec;
  const Quant q = *find_quant("int4");
  m.weights = model_weights(m.spec, q);
  m.quant_id = q.id;
  m.compute = q.compute;
  // Parameters by hand (hidden 7168, 61 layers, vocab 129280, MLA, 3 dense + 58 MoE layers):
  //   embedding and output head: 2 * 129280 * 7168                     =   1,853,358,080
  //   attention per layer: q_a 7168*1536 + q_b 1536*128*192 + kv_a 7168*576
  //     + kv_b 512*128*256 + o 128*128*7168 + norms 16,384 = 187,121,664; * 61 = 11,414,421,504
  //   dense FFN: 3 * 3 * 7168 * 18432                                   =   1,189,085,184
  //   MoE layer: 256 routed + 1 shared expert of 3 * 7168 * 2048, router 7168*256 + 256 bias
  //     = 11,320,164,608; * 58                                          = 656,569,547,264
  //   output norm 7168; total                                           = 671,026,419,200
  CHECK(m.weights.total_params == 671026419200.0);
  // At 0.5 bytes per weight: 335,513,209,600 bytes; a token reads everything but the input
  // embedding and 248 of 256 routed experts: (16,190,969,344 + 653,908,770,816 / 32) * 0.5.
  CHECK(m.weights.total_bytes == 335513209600.0);
  const double read = (16190969344.0 + 653908770816.0 / 32) * 0.5;  // 18,312,809,216 bytes

  const Device mac = m4_pro_64();
  GroupSpec g;
  g.devices.assign(8, &mac);
  g.split = SplitMode::layer;  // exo's pipeline of the article's cluster
  g.link = &k_tb5;
  EstimateOptions o = ideal_options();
  o.prompt_tokens = 512;
  const GroupResult ideal = estimate_group(g, m, o, EfficiencyTable{});
  // Memory-bound on every Mac (compute 73.3 GFLOP / 7.53 TFLOPS = 9.7 ms < 67.1 ms of reading):
  // the stages together read the 18.31 GB once, 67.08 ms at 273 GB/s, plus 7 hops of
  // 50 us + 7168 * 4 B / 10 GB/s.
  const double step = read / 273e9 + 7 * (50e-6 + 7168 * 4 / 10e9);
  CHECK(ideal.link_seconds == Approx(7 * (50e-6 + 28672 / 10e9)).epsilon(1e-9));
  CHECK(ideal.step_seconds == Approx(step).epsilon(1e-9));
  CHECK(ideal.tokens_per_s == Approx(14.825806197915345).epsilon(1e-9));
  // It fits: the largest share is 8 of 61 layers, 44.0 GB of weights plus its KV cache
  // (MLA latent: 576 elements * 61 layers * 2 B * 640 tokens * 8/61) and the runtime overhead
  // (512 MiB + 2%), 42.30 GiB of the 48 GiB macOS lets the GPU wire on a 64 GB Mac.
  std::vector<int> layers;
  for (const auto& member : ideal.members) {
    layers.push_back(member.layers);
  }
  CHECK(layers == std::vector<int>{8, 7, 8, 8, 7, 8, 7, 8});
  const double weights8 = 335513209600.0 * 8 / 61;
  const double kv8 = 576.0 * 61 * 2 * 640 * 8 / 61;
  CHECK(ideal.max_member_required_bytes ==
        Approx(weights8 + kv8 + 512 * units::k_mib + 0.02 * weights8).epsilon(1e-12));
  CHECK(ideal.max_member_required_bytes / units::k_gib == Approx(42.304896010727184));
  CHECK(ideal.members[0].fit.available_bytes == 48 * units::k_gib);
  CHECK(ideal.fits);
  // Realistic: at batch 1 the stages add up to one Mac's realistic step over the whole model
  // (as if it had the memory), plus the same 7 hops.
  EstimateOptions realistic = o;
  realistic.ideal = false;
  const GroupResult r = estimate_group(g, m, realistic, test::efficiency());
  const EstimateResult one_mac = estimate(mac, m, realistic, test::efficiency());
  CHECK(1.0 / r.tokens_per_s ==
        Approx(1.0 / one_mac.tokens_per_s + 7 * (50e-6 + 28672 / 10e9)).epsilon(1e-9));
  CHECK(r.tokens_per_s < ideal.tokens_per_s);
  // Tensor split over the same cables: 8x less reading per Mac, but 122 all-reduces of
  // 14 steps * ~50 us each cost 86 ms per token.
  g.split = SplitMode::tensor;
  const GroupResult tensor = estimate_group(g, m, o, EfficiencyTable{});
  CHECK(tensor.link_seconds == Approx(122 * 14 * (50e-6 + 3584 / 10e9)).epsilon(1e-9));
  CHECK(tensor.tokens_per_s < ideal.tokens_per_s);
}

// --- the records cell that carries a group's devices -------------------------------------

namespace {

Report records_report() {
  auto devices = std::make_shared<RecordList>();
  devices->columns = {
      {"id", "id", CellKind::text, HumanUnit::none, 2, true},
      {"layers", "layers", CellKind::integer, HumanUnit::none, 2, false},
      {"memory.required_bytes", "needs", CellKind::real, HumanUnit::bytes_gib, 2, true},
      {"fits", "fit", CellKind::boolean, HumanUnit::none, 2, true},
  };
  const Cell gib20{20.0 * units::k_gib};
  devices->records = {
      {Cell{std::string("a")}, Cell{std::int64_t{8}}, gib20, Cell{true}},
      {Cell{std::string("a")}, Cell{std::int64_t{8}}, gib20, Cell{true}},
      {Cell{std::string("b,\"c\"")}, Cell{std::int64_t{7}}, Cell{30.0 * units::k_gib}, Cell{false}},
  };
  Report r;
  r.command = "test";
  r.columns = {
      {"group", "group", CellKind::text, HumanUnit::none, 2, true},
      {"devices", "devices", CellKind::records, HumanUnit::none, 2, true},
      {"tokens_per_s", "speed", CellKind::real, HumanUnit::tokens_per_s, 2, true},
  };
  r.rows = {{Cell{std::string("g1")}, Cell{std::shared_ptr<const RecordList>(devices)}, Cell{12.5}},
            {Cell{std::string("g2")}, Cell{}, Cell{3.0}}};
  return r;
}

std::string rendered(const Report& r, OutputFormat f) {
  std::ostringstream out;
  render(r, f, RenderOptions{false, "9.9.9"}, out);
  return out.str();
}

}  // namespace

TEST_CASE("render: a records cell in every format", "[render][cluster]") {
  const Report r = records_report();
  // Tables: each record's human fields with units, identical neighbours counted.
  CHECK(rendered(r, OutputFormat::table) ==
        "group  devices                                     speed [tok/s]\n"
        "g1     2x a 20.00 GiB fit, b,\"c\" 30.00 GiB no fit           12.5\n"
        "g2     -                                                    3.00\n");
  CHECK(rendered(r, OutputFormat::markdown) ==
        "| group | devices                                    | speed [tok/s] |\n"
        "| ----- | ------------------------------------------ | ------------: |\n"
        "| g1    | 2x a 20.00 GiB fit, b,\"c\" 30.00 GiB no fit |          12.5 |\n"
        "| g2    | -                                          |          3.00 |\n");
  // CSV: the array as compact JSON, quoted per RFC 4180.
  CHECK(rendered(r, OutputFormat::csv) ==
        "schema_version,group,devices,tokens_per_s\n"
        "1,g1,\"[{\"\"fits\"\":true,\"\"id\"\":\"\"a\"\",\"\"layers\"\":8,\"\"memory\"\":{"
        "\"\"required_bytes\"\":21474836480.0}},{\"\"fits\"\":true,\"\"id\"\":\"\"a\"\","
        "\"\"layers\"\":8,"
        "\"\"memory\"\":{\"\"required_bytes\"\":21474836480.0}},{\"\"fits\"\":false,\"\"id\"\":"
        "\"\"b,\\\"\"c\\\"\"\"\",\"\"layers\"\":7,\"\"memory\"\":{\"\"required_bytes\"\":"
        "32212254720.0}}]\",12.5\n"
        "1,g2,,3\n");
  // JSON and JSONL: an array of objects, dotted ids nested, every field whatever `human` says.
  CHECK(rendered(r, OutputFormat::jsonl) ==
        "{\"devices\":[{\"fits\":true,\"id\":\"a\",\"layers\":8,\"memory\":{\"required_bytes\":"
        "21474836480.0}},{\"fits\":true,\"id\":\"a\",\"layers\":8,\"memory\":{\"required_bytes\":"
        "21474836480.0}},{\"fits\":false,\"id\":\"b,\\\"c\\\"\",\"layers\":7,\"memory\":{"
        "\"required_bytes\":32212254720.0}}],\"group\":\"g1\",\"schema_version\":1,"
        "\"tokens_per_s\":12.5}\n"
        "{\"devices\":null,\"group\":\"g2\",\"schema_version\":1,\"tokens_per_s\":3.0}\n");
  const std::string json = rendered(r, OutputFormat::json);
  CHECK(json.find("      \"devices\": [\n        {\n          \"fits\": true,\n") !=
        std::string::npos);
  CHECK(json.find("\"devices\": null") != std::string::npos);
}

TEST_CASE("memory override: installed memory gets the usable share, usable memory is as given",
          "[memory]") {
  const EfficiencyTable table{};  // ideal: the table plays no part
  const ModelInput m = generic_70b_int4();
  const Device mac = m4_pro_64();
  EstimateOptions o = ideal_options();
  // The largest configuration, 64 GiB installed: macOS wires 3/4 above 36 GiB, 48 GiB.
  CHECK(estimate(mac, m, o, table).fit.available_bytes == 48 * units::k_gib);
  // 24 GiB installed: 2/3 up to 36 GiB, 16 GiB usable.
  o.memory_bytes = 24 * units::k_gib;
  CHECK(estimate(mac, m, o, table).fit.available_bytes == Approx(16 * units::k_gib));
  // 24 GiB usable (the wired limit raised): taken as is, whatever the installed memory.
  o.usable_memory_bytes = 24 * units::k_gib;
  CHECK(estimate(mac, m, o, table).fit.available_bytes == 24 * units::k_gib);
  // A discrete GPU's memory is all usable: 24 GiB installed, 24 GiB usable.
  const Device gpu = rtx_3090();
  o.usable_memory_bytes.reset();
  CHECK(estimate(gpu, m, o, table).fit.available_bytes == 24 * units::k_gib);
}
