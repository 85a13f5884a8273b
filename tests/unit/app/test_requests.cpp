// The request APIs of sweep, inspect, validate and calibrate, each through in-memory inputs.

#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "llmroof/app/calibrate_request.hpp"
#include "llmroof/app/chart_request.hpp"
#include "llmroof/app/estimate_request.hpp"
#include "llmroof/app/inspect_request.hpp"
#include "llmroof/app/sweep_request.hpp"
#include "llmroof/app/validate_request.hpp"
#include "llmroof/calibration/calibration.hpp"
#include "llmroof/platform/load_database.hpp"
#include "llmroof/platform/model_source.hpp"
#include "llmroof/util/errors.hpp"
#include "test_support.hpp"

using namespace llmroof;

namespace {

// The RequestError `run` throws, or nothing when it returns.
template <class Run>
std::optional<RequestError> request_error_of(Run&& run) {
  try {
    run();
  } catch (const RequestError& e) {
    return e;
  }
  return std::nullopt;
}

// The shipped data plus the round-number sweep devices of tests/data.
Database sweep_database() {
  DataLocation location;
  location.device_files = {(test::test_data_dir() / "good" / "sweep-devices.json").string()};
  return load_database(test::data_dir(), location);
}

const Cell& cell(const Report& report, std::size_t row, const std::string& column) {
  const int i = report.column_index(column);
  REQUIRE(i >= 0);
  REQUIRE(row < report.rows.size());
  return report.rows[row].at(static_cast<std::size_t>(i));
}

double number(const Report& report, std::size_t row, const std::string& column) {
  return std::get<double>(cell(report, row, column));
}

const Cell& field(const Report& report, const std::string& id) {
  for (const auto& f : report.fields) {
    if (f.id == id) {
      return f.value;
    }
  }
  FAIL("no field " << id);
  static const Cell none;
  return none;
}

bool has_note_starting(const Report& report, const std::string& start) {
  for (const auto& note : report.notes) {
    if (note.rfind(start, 0) == 0) {
      return true;
    }
  }
  return false;
}

SweepRequest sweep_request(const std::string& batch) {
  SweepRequest r;
  r.model = ModelArgument{"7b", {}};
  r.quant = "int4";
  r.device = "sweep-gpu-24g";
  r.batch = batch;
  r.options.ideal = true;
  return r;
}

// One result of llama-bench's markdown table (it names no device).
const std::string k_bench_md =
    "| model                          |       size |     params | backend    | ngl |          "
    "test |                  t/s |\n"
    "| ------------------------------ | ---------: | ---------: | ---------- | --: | "
    "------------: | -------------------: |\n"
    "| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | CUDA       |  99 |         "
    "tg128 |        158.40 ± 0.50 |\n";

NamedText aliases() {
  return {"calibration-aliases.json", test::read(test::data_dir() / "calibration-aliases.json")};
}

}  // namespace

TEST_CASE("run_sweep: an ideal grid point, by hand", "[app][sweep]") {
  const Database db = sweep_database();
  const SweepOutcome outcome = run_sweep(db, sweep_request("1,2"));
  const Report& report = outcome.report;
  REQUIRE(outcome.grid.has_value());
  CHECK_FALSE(outcome.parallel.has_value());
  REQUIRE(report.rows.size() == 2);
  // 7e9 weights at 0.5 bytes over 1000 GB/s, no KV cache at context 0: 1e12 / 3.5e9 tokens/s
  // per sequence. Batch 2 needs 2 * 2 * 7e9 FLOP per step, 0.14 ms at 200 TOPS (int8, the
  // device has no int4 rate), below the 3.5 ms of the weights: still memory-bound, so each
  // sequence keeps the speed and the aggregate doubles.
  CHECK(number(report, 0, "tokens_per_s") == Approx(1e12 / 3.5e9).epsilon(1e-9));
  CHECK(number(report, 1, "tokens_per_s") == Approx(1e12 / 3.5e9).epsilon(1e-9));
  CHECK(number(report, 1, "aggregate_tokens_per_s") == Approx(2e12 / 3.5e9).epsilon(1e-9));
  CHECK(has_note_starting(
      report, "sweep-gpu-24g has no int4 rate above its int8 peak, which is the compute"));
  // The grid's defaults: no prompt and nothing generated.
  CHECK(outcome.grid->points.front().estimate.time_to_first_token_s == 0);
}

TEST_CASE("run_sweep: fields at fault", "[app][sweep]") {
  const Database db = sweep_database();
  auto field_of = [&](const SweepRequest& r) {
    const auto error = request_error_of([&] { run_sweep(db, r); });
    return error ? error->field() : std::string("no error");
  };
  CHECK(field_of(sweep_request("1,x")) == "batch");
  SweepRequest two_devices = sweep_request("1");
  two_devices.device = "sweep-gpu-24g,sweep-gpu-80g";
  CHECK(field_of(two_devices) == "device");
  SweepRequest parallel = sweep_request("1");
  parallel.parallel = "1,2";
  parallel.context = "0,512";
  CHECK(field_of(parallel) == "parallel");
  SweepRequest show = sweep_request("1");
  show.show = {"no_such_column"};
  CHECK(field_of(show) == "show");
}

TEST_CASE("run_sweep: the parallel view prefills 512 and generates 128 tokens by default",
          "[app][sweep]") {
  const Database db = sweep_database();
  SweepRequest r = sweep_request("1");
  r.parallel = "1,4";
  const SweepOutcome outcome = run_sweep(db, r);
  REQUIRE(outcome.parallel.has_value());
  REQUIRE(outcome.parallel->runs.size() == 2);
  const ParallelRun& one = outcome.parallel->runs.front();
  REQUIRE(one.prefill.has_value());
  // 128 tokens over the generation time, per user.
  CHECK(one.tokens_per_s == Approx(128.0 / one.generate_seconds).epsilon(1e-12));
  CHECK(one.decode.fit.kv_cache_bytes > 0);
  CHECK(outcome.report.rows.size() == 2);
}

TEST_CASE("run_sweep: the chart's bars and roofline, by hand, in the table format only",
          "[app][sweep][chart]") {
  const Database db = sweep_database();
  SweepRequest r = sweep_request("1,2");
  r.chart = true;
  const SweepOutcome outcome = run_sweep(db, r);
  CHECK(outcome.model_label == "7b int4");
  CHECK(outcome.device_id == "sweep-gpu-24g");
  CHECK(outcome.title == "7b int4 on sweep-gpu-24g");
  REQUIRE(outcome.chart.has_value());
  REQUIRE(outcome.chart->groups.size() == 1);
  CHECK(outcome.chart->groups.front().bars.size() == 2);
  REQUIRE(outcome.roofline.has_value());
  CHECK(outcome.roofline->title == "roofline of the sweep: 7b int4 on sweep-gpu-24g");
  REQUIRE(outcome.roofline->devices.size() == 1);
  const RooflineDevice& d = outcome.roofline->devices.front();
  CHECK(d.label == "sweep-gpu-24g");
  // 1000 GB/s, and the int8 peak of 200 TOPS (no int4 rate); ideal: no realistic roofs.
  CHECK(d.mem_bw_bytes_per_s == Approx(1e12));
  CHECK(d.peak_flops_per_s == Approx(200e12));
  CHECK(d.realistic_mem_bw_bytes_per_s == 0);
  REQUIRE(d.points.size() == 2);
  // A step of batch B: 2 * B * 7e9 FLOP over the 3.5e9 bytes of weights (context 0), at the
  // memory-bound 1e12 / 3.5e9 steps per second: B * 4 FLOP/byte, B * 4 TFLOP/s.
  CHECK(d.points[0].label == "b1");
  CHECK(d.points[0].intensity_flops_per_byte == Approx(4).epsilon(1e-9));
  CHECK(d.points[0].flops_per_s == Approx(4e12).epsilon(1e-9));
  CHECK(d.points[1].label == "b2");
  CHECK(d.points[1].intensity_flops_per_byte == Approx(8).epsilon(1e-9));
  CHECK(d.points[1].flops_per_s == Approx(8e12).epsilon(1e-9));
  // Another format: no charts, a warning naming both fields.
  r.format = OutputFormat::json;
  const SweepOutcome json = run_sweep(db, r);
  CHECK_FALSE(json.chart.has_value());
  CHECK_FALSE(json.roofline.has_value());
  REQUIRE_FALSE(json.report.warnings.empty());
  CHECK(json.report.warnings.back() ==
        "{chart} draws in the table format only; no chart with {format} json");
  CHECK(json.title == "7b int4 on sweep-gpu-24g");
}

TEST_CASE("run_sweep_chart: one sweep per device, several in the svg format only",
          "[app][sweep][chart]") {
  const Database db = sweep_database();
  SweepRequest r = sweep_request("1,2,4");
  r.device = "sweep-gpu-24g,sweep-gpu-80g";
  r.format = OutputFormat::svg;
  const SweepChartOutcome both = run_sweep_chart(db, r);
  REQUIRE(both.sweeps.size() == 2);
  CHECK(both.sweeps[0].device_id == "sweep-gpu-24g");
  CHECK(both.sweeps[1].device_id == "sweep-gpu-80g");
  // Two devices: the model titles the chart, the legend names the devices.
  CHECK(both.chart.title == "7b int4");
  // Each device: its tokens/s per sequence (solid, labelled) and its total (dashed).
  REQUIRE(both.chart.series.size() == 4);
  CHECK(both.chart.series[0].label == "sweep-gpu-24g");
  CHECK(both.chart.series[2].label == "sweep-gpu-80g");
  CHECK(both.chart.series[1].dashed);
  CHECK(both.chart.series[0].colour != both.chart.series[2].colour);
  CHECK(both.chart.x_log == false);  // 1 to 4: less than the 8x of a log axis
  // The 80 GiB device reads the same weights at 2000 GB/s: twice the speed at batch 1.
  CHECK(both.sweeps[1].grid->points.front().estimate.tokens_per_s ==
        Approx(2 * both.sweeps[0].grid->points.front().estimate.tokens_per_s).epsilon(1e-9));

  r.format = OutputFormat::table;
  const auto table = request_error_of([&] { run_sweep_chart(db, r); });
  REQUIRE(table.has_value());  // a table prints one sweep
  CHECK(table->field() == "device");
  CHECK(table->message_template().rfind("{format} table prints one sweep; ", 0) == 0);
  r.device = "sweep-gpu-80g";
  const SweepChartOutcome one = run_sweep_chart(db, r);
  REQUIRE(one.sweeps.size() == 1);
  CHECK(one.chart.title == "7b int4 on sweep-gpu-80g");
}

TEST_CASE("run_inspect: the shared tiny GGUF, by hand", "[app][inspect][shared]") {
  const auto dir = test::shared_dir();
  if (!dir) {
    SUCCEED("../shared is absent");
    return;
  }
  const std::string path = (*dir / "fixtures" / "gguf" / "tiny-random-llama.gguf").string();
  auto files = open_model_files(path);
  REQUIRE(files.has_value());
  const Report report = run_inspect(InspectRequest{ModelArgument{path, *files}});
  REQUIRE(report.rows.size() == 2);  // Q8_0 and F32
  CHECK(std::get<std::string>(cell(report, 0, "type")) == "Q8_0");
  CHECK(std::get<std::int64_t>(field(report, "total_params")) == 107200);
  // 106880 Q8_0 weights in blocks of 32 at 34 bytes, and 320 F32 weights at 4 bytes.
  CHECK(std::get<std::int64_t>(field(report, "weights_bytes")) == 106880 / 32 * 34 + 320 * 4);
  // K and V, 2 layers, 2 KV heads of 16, 2 bytes (f16).
  CHECK(std::get<std::int64_t>(field(report, "kv_cache_bytes_per_token")) == 2 * 2 * 2 * 16 * 2);
}

TEST_CASE("run_inspect: no file is an error naming the argument", "[app][inspect]") {
  CHECK_THROWS_WITH(run_inspect(InspectRequest{ModelArgument{"gone.gguf", {}}}),
                    "gone.gguf: no such file or directory");
}

TEST_CASE("run_validate: a small in-memory llama-bench table", "[app][validate]") {
  const Database db = sweep_database();
  ValidateRequest r;
  r.measurements = {{"bench.md", k_bench_md}};
  r.aliases = aliases();
  r.device = "rtx-4090";
  r.model = "llama-2-7b";
  r.quant = "q4_0";
  r.max_median_error = {"tg128=0.001", "pp512=0.5"};
  const ValidateOutcome outcome = run_validate(db, r);
  const Report& report = outcome.report;
  REQUIRE(report.rows.size() == 1);
  CHECK(std::get<std::string>(cell(report, 0, "device.id")) == "rtx-4090");
  CHECK(number(report, 0, "measured_tokens_per_s") == 158.4);
  // The prediction is the estimate of the same test: tg128 from an empty cache.
  EstimateRequest same;
  same.model = ModelArgument{"llama-2-7b", {}};
  same.quant = "q4_0";
  same.devices = "rtx-4090";
  same.options.prompt_tokens = 0;
  same.options.generate_tokens = 128;
  const Report estimate = run_estimate(db, same);
  const double predicted = number(estimate, 0, "generate_tokens_per_s");
  CHECK(number(report, 0, "predicted_tokens_per_s") == Approx(predicted).epsilon(1e-12));
  CHECK(number(report, 0, "error_ratio") == Approx(predicted / 158.4 - 1).epsilon(1e-12));
  // A gate of 0.1% fails; a test the rows lack cannot be checked.
  REQUIRE(outcome.failures.size() == 2);
  CHECK(outcome.failures[0].rfind("tg128 median error ", 0) == 0);
  CHECK(outcome.failures[1] == "no pp512 rows in scope to check");
}

TEST_CASE("run_validate: bad gates and unmapped rows", "[app][validate]") {
  const Database db = sweep_database();
  ValidateRequest r;
  r.measurements = {{"bench.md", k_bench_md}};
  r.aliases = aliases();
  r.max_p90_error = {"tg128"};
  const auto gate = request_error_of([&] { run_validate(db, r); });
  REQUIRE(gate.has_value());
  CHECK(gate->field() == "max_p90_error");
  CHECK(gate->message_template() ==
        "{max_p90_error} expects TEST=FRACTION (e.g. tg128=0.10), got 'tg128'");
  r.max_p90_error.clear();
  // An unknown term is refused with every term named (class-rows was missing from the list).
  r.ablate = {"launch-cost"};
  const auto term = request_error_of([&] { run_validate(db, r); });
  REQUIRE(term.has_value());
  CHECK(term->field() == "ablate");
  CHECK(term->message_template() ==
        "{ablate} expects one of kernel-path, prefill-core, moe-layer, power-limit, "
        "dot-product, engine-era, format-split, class-rows, narrow-simd, cpu-one-kernel, got "
        "'launch-cost'");
  r.ablate.clear();
  // So is an unknown hold-out, with every group named, from the same table as the CLI's help.
  r.hold_out = "chip";
  const auto group = request_error_of([&] { run_validate(db, r); });
  REQUIRE(group.has_value());
  CHECK(group->field() == "hold_out");
  CHECK(group->message_template() ==
        "{hold_out} expects one of device, generation, model-family, got 'chip'");
  CHECK(group->suggestions() == hold_out_names());
  r.hold_out = "generation";
  // Markdown names no device: nothing maps, and the reason names the field to give.
  const ValidateOutcome outcome = run_validate(db, r);
  CHECK(outcome.report.rows.empty());
  REQUIRE(outcome.failures.size() == 1);
  CHECK(outcome.failures.front().rfind("no measurement could be mapped", 0) == 0);
  CHECK(has_note_starting(outcome.report,
                          "unmapped (1): no device named (llama-bench markdown has none): give "
                          "{device}"));
}

TEST_CASE("run_calibrate: a profile takes one device's rows", "[app][calibrate]") {
  const Database db = sweep_database();
  CalibrateRequest r;
  r.measurements = {
      {"a.json", test::read(test::test_data_dir() / "good" / "llama-bench-rtx4090.json")},
      {"b.csv", test::read(test::test_data_dir() / "good" / "llama-bench-m2-max.csv")}};
  r.aliases = aliases();
  r.profile = "p.json";
  const auto many = request_error_of([&] { run_calibrate(db, r); });
  REQUIRE(many.has_value());
  CHECK(many->field() == "device");
  CHECK(many->message_template().find("or give {device}") != std::string::npos);
  r.measurements.pop_back();
  const CalibrateOutcome outcome = run_calibrate(db, r);
  CHECK(outcome.profile_json.find("\"classes\"") != std::string::npos);
  REQUIRE(outcome.report.rows.size() == 1);  // one class: the device with its backend
  CHECK(outcome.report.notes.back() ==
        "in-sample errors: the profile was fitted to these rows; apply it with {calibration} "
        "p.json");
  // The profile's source defaults to the measurement names.
  CHECK(outcome.profile_json.find("from a.json") != std::string::npos);
}
