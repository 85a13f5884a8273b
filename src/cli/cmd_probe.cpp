// llmroof probe: measure this machine (bandwidth per thread count, FP32 FMA, ISA, caches).

#include <fmt/format.h>
#include <unistd.h>

#include <ostream>

#include "cli.hpp"
#include "llmroof/platform/output_file.hpp"
#include "llmroof/platform/probe.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/util/errors.hpp"

namespace llmroof::cli {

namespace {

struct ProbeCliOptions {
  bool quick = false;
  int threads = 0;
  std::string device_output;
};

Report probe_report(const ProbeResult& r) {
  Report report;
  report.command = "probe";
  report.columns = {
      {"threads", "Threads", CellKind::integer},
      {"read_bytes_per_s", "Read", CellKind::real, HumanUnit::bytes_per_s_gb},
      {"fp32_flops_per_s", "FP32", CellKind::real, HumanUnit::flops_tera, 3},
      {"int8_ops_per_s", "INT8", CellKind::real, HumanUnit::flops_tera, 3},
      {"bf16_flops_per_s", "BF16", CellKind::real, HumanUnit::flops_tera, 3},
      {"amx_int8_ops_per_s", "AMX INT8", CellKind::real, HumanUnit::flops_tera, 3},
  };
  for (const auto& f : r.per_thread) {
    report.rows.push_back({std::int64_t{f.threads}, f.read_bytes_per_s, f.fp32_flops_per_s,
                           f.int8_ops_per_s, f.bf16_flops_per_s, f.amx_int8_ops_per_s});
  }
  report.fields = {
      {"cpu", "CPU", r.cpu_name},
      {"isa", "ISA", r.isa.names()},
      {"cpu_isa", "cpu_isa", r.isa.cpu_isa()},
      {"fp32_kernel", "FP32 kernel", r.fp32_kernel},
      {"int8_kernel", "INT8 kernel", r.int8_kernel},
      {"bf16_kernel", "BF16 kernel", r.bf16_kernel},
      {"amx_kernel", "AMX kernel", r.amx_kernel},
      {"hardware_threads", "Hardware threads", std::int64_t{r.hardware_threads}},
      {"physical_cores", "Physical cores", std::int64_t{r.physical_cores}},
      {"memory_bytes", "Memory", r.memory_bytes, HumanUnit::bytes_gib},
      {"l1d_bytes", "L1d", static_cast<double>(r.l1d_bytes), HumanUnit::bytes_kib},
      {"l2_bytes", "L2", static_cast<double>(r.l2_bytes), HumanUnit::bytes_kib},
      {"l3_bytes", "L3", static_cast<double>(r.l3_bytes), HumanUnit::bytes_kib},
      {"working_set_bytes", "Working set", r.working_set_bytes, HumanUnit::bytes_gib},
      {"passes", "Passes (best kept)", std::int64_t{r.passes}},
      {"date", "Date (UTC)", r.date},
  };
  // Every column is shown: probe has no --wide, and its table is what it measured.
  for (const auto& c : report.columns) {
    report.pinned_columns.push_back(c.id);
  }
  report.notes.push_back(
      "Measured sustained figures, not vendor peaks: Read is a streaming read of a working set "
      "far beyond the last-level cache; FP32 is FMA throughput; INT8 and BF16 are the vector "
      "dot products', AMX INT8 the tile products' throughput (2 operations per multiply-add; "
      "INT8 in TOPS; 0 = no such kernel for this ISA).");
  return report;
}

int run(const ProbeCliOptions& o, Context& context) {
  ProbeOptions options;
  options.quick = o.quick;
  options.max_threads = o.threads;
  std::ostream& err = context.io().err;
  if (isatty(STDERR_FILENO) != 0) {
    options.progress = [&err](double fraction) {
      const int filled = static_cast<int>(fraction * 40 + 0.5);
      err << fmt::format("\rprobing [{:<40}] {:3.0f}%", std::string(filled, '#'), fraction * 100)
          << (fraction >= 1 ? "\n" : "") << std::flush;
    };
  }
  const ProbeResult result = run_probe(options);
  if (!o.device_output.empty()) {
    write_file_atomically(o.device_output, probe_device_json(result));
  }
  context.emit(probe_report(result));
  return static_cast<int>(ExitCode::ok);
}

}  // namespace

Command add_probe(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<ProbeCliOptions>();
  CLI::App* sub = parent.add_subcommand(
      "probe", "Measure this machine: memory read bandwidth per thread count, FP32 FLOP/s");
  sub->add_flag("--quick", options->quick, "Measure in about 1 s (default: thorough, < 15 s)");
  sub->add_option("--threads", options->threads,
                  "Measure thread counts 1..N only (default: every hardware thread)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  sub->add_option("--output,-o", options->device_output,
                  "Also write a device file (data/devices.json schema, device id 'host') to "
                  "FILE, for --device-file")
      ->type_name("FILE");
  sub->add_option("--format,-f", common.format_name, "Report format: table, md, csv, json or jsonl")
      ->check(CLI::IsMember({"table", "md", "markdown", "csv", "json", "jsonl"}, CLI::ignore_case))
      ->type_name("FORMAT")
      ->default_str("table");
  sub->footer(
      "Examples:\n"
      "  llmroof probe --quick\n"
      "  llmroof probe --output host.json\n"
      "  llmroof estimate -m llama-3.1-8b -q q4_k_m -d host --device-file host.json");
  return {sub, [options](Context& context) { return run(*options, context); }};
}

}  // namespace llmroof::cli
