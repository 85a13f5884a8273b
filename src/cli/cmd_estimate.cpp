// llmroof estimate: tokens/s of one model on one or more devices, on a group of devices working
// as one, split between a GPU and the host, or with a draft model (speculative decoding).

#include <fmt/format.h>

#include "cli.hpp"
#include "engine_options.hpp"
#include "estimate_options.hpp"
#include "finite_number.hpp"
#include "llmroof/app/estimate_request.hpp"
#include "llmroof/util/errors.hpp"
#include "model_args.hpp"

namespace llmroof::cli {

void setup_estimate_options(CLI::App& sub, EstimateCliOptions& o) {
  sub.add_option("--model,-m", o.model,
                 "Model: a catalog id or alias (llmroof models), a size such as 7b/70b/500m "
                 "(generic dense model), or a config.json / .gguf path")
      ->required()
      ->type_name("MODEL");
  sub.add_option("--quant,-q", o.quant,
                 "Weight format (llmroof quants): fp32 fp16 bf16 fp8 int8 int4 (flat bytes per "
                 "weight), llama.cpp presets such as q4_k_m, or GGML types. Default: the file's "
                 "types, else the published dtype, else fp16")
      ->type_name("QUANT");
  sub.add_option("--device,-d", o.devices,
                 "Devices: ids or aliases separated by commas (a100,rtx-4090,m4-pro), 'all', or "
                 "a vendor/kind/segment filter (apple, nvidia, gpu, cpu, laptop); one row each. "
                 "A list that repeats an id (rtx-3090,rtx-3090), or any list with --split, "
                 "--split-ratio or --link, is ONE group of devices working as one (one row); "
                 "--count N makes a group of N of each listed device")
      ->required()
      ->type_name("DEVICES");
  add_engine_options(sub, o.engine);
  sub.add_option("--batch,-b", o.batch, "Sequences decoded together (>= 1)")
      ->check(CLI::Range(1, 1 << 20))
      ->type_name("N")
      ->default_str("1");
  sub.add_option("--context,-c", o.context, "Tokens already in the KV cache of each sequence")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("0");
  sub.add_option("--prompt,-p", o.prompt,
                 "Prompt length for prefill speed and time to first token (0: skip prefill)")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("512");
  sub.add_option("--generate,-n", o.generate,
                 "Tokens generated per sequence: memory fit, and (when given) the average decode "
                 "speed over them from --context and the end-to-end time, as llama-bench tgN")
      ->check(CLI::Range(0LL, 100000000LL))
      ->type_name("TOKENS")
      ->default_str("128");
  sub.add_option("--sort", o.sort,
                 "Sort rows by this output column (numbers descending), e.g. tokens_per_s, "
                 "prefill_tokens_per_s, memory_margin_bytes, tokens_per_s_per_kusd, "
                 "joules_per_token, device.id")
      ->type_name("COLUMN")
      ->default_str("tokens_per_s");
  add_positive_option(sub, "--power", o.power_w,
                      "Power draw of each device for joules_per_token, in W (default: its TDP; a "
                      "group sums its devices; under offload it sets the GPU's)",
                      "W");
  add_positive_option(
      sub, "--price-per-hour", o.price_per_hour,
      "Rental price of one device (one machine under offload), in USD per hour, for "
      "usd_per_million_tokens; a group pays it per device",
      "USD");
  sub.add_option("--show", o.show,
                 "Also show these output columns in the table (ids as in JSON, e.g. "
                 "joules_per_token,critical_batch)")
      ->delimiter(',')
      ->type_name("COLUMNS");

  auto* group = "Device groups (several devices as one)";
  sub.add_option("--count", o.count,
                 "Group N of each listed device: one row per device, each a group of N "
                 "(--device rtx-3090,rtx-4090 --count 2 compares 2x 3090 with 2x 4090)")
      ->check(CLI::Range(1, 4096))
      ->type_name("N")
      ->default_str("1")
      ->group(group);
  sub.add_option("--split", o.split,
                 "How a group shares the model: layer (llama.cpp -sm layer, pipeline parallel: "
                 "each device holds whole layers; default) or tensor (llama.cpp -sm row, tensor "
                 "parallel: every matrix divided, two all-reduces per layer over the link)")
      ->check(CLI::IsMember({"layer", "tensor", "row"}, CLI::ignore_case))
      ->type_name("MODE")
      ->group(group);
  sub.add_option("--split-ratio", o.split_ratio,
                 "Share of each device of the group, positive numbers separated by commas "
                 "(3,1 as llama.cpp --tensor-split; default: in proportion to usable memory)")
      ->type_name("R,R,...")
      ->group(group);
  sub.add_option("--link", o.link,
                 "Interconnect of the group (data/links.json): nvlink-4, pcie-4-x16 (pcie4), "
                 "thunderbolt-5 (tb5), 10gbe, infiniband-ndr... Default: pcie-4-x16 for GPUs, "
                 "thunderbolt-5 for Macs, else 10gbe")
      ->type_name("LINK")
      ->group(group);
  auto* offload = "Partial offload (one GPU plus host memory)";
  sub.add_option("--gpu-layers", o.gpu_layers,
                 "Layers on the GPU, the rest served from host memory by the CPU (llama.cpp "
                 "-ngl); 'auto' = as many as fit")
      ->type_name("N|auto")
      ->group(offload);
  sub.add_option(
         "--host", o.host,
         fmt::format("Host CPU of the offload, a cpu entry of the device list (default: {}, "
                     "a dual-channel DDR5 desktop)",
                     k_default_offload_host))
      ->type_name("DEVICE")
      ->group(offload);
  sub.add_flag("--cpu-moe", o.cpu_moe,
               "Keep the routed experts of a MoE model on the host and everything else, KV "
               "cache included, on the GPU (llama.cpp --cpu-moe)")
      ->group(offload);
  auto* speculative = "Speculative decoding";
  sub.add_option("--draft", o.draft,
                 "Draft model (same forms as --model) proposing tokens for the target to check")
      ->type_name("MODEL")
      ->group(speculative);
  sub.add_option("--draft-quant", o.draft_quant, "Weight format of the draft (default: --quant)")
      ->type_name("QUANT")
      ->group(speculative);
  sub.add_option("--draft-tokens", o.draft_tokens, "Tokens drafted per target pass (K)")
      ->check(CLI::Range(1, 256))
      ->type_name("K")
      ->default_str("8")
      ->group(speculative);
  sub.add_option("--acceptance", o.acceptance,
                 "Chance that the target accepts each drafted token, in [0, 1] (required with "
                 "--draft)")
      ->check(finite_number)
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("A")
      ->group(speculative);
  sub.footer(
      "Examples:\n"
      "  llmroof estimate --model 70b --quant int4 --device m4pro\n"
      "  llmroof estimate -m llama-3.1-8b -q q4_k_m -d a100,rtx-4090,m4-pro --format json\n"
      "  llmroof estimate -m 7b -q int4 -d m4-10c --bandwidth 120 --tflops 38 --ideal\n"
      "  llmroof estimate -m deepseek-v3 -q int4 -d m4-pro --count 8 --link tb5\n"
      "  llmroof estimate -m llama-3.1-70b -q q4_k_m -d rtx-3090,rtx-3090 --split tensor\n"
      "  llmroof estimate -m llama-3.1-70b -q q4_k_m -d rtx-4090 --gpu-layers auto\n"
      "  llmroof estimate -m llama-3.1-70b -q q4_0 -d w7900 --draft llama-3.1-8b \\\n"
      "      --draft-tokens 8 --acceptance 0.78 --kv-quant q8_0\n"
      "JSON/CSV carry base units (bytes, seconds, tokens/s); tokens/s is per sequence.");
}

EstimateRequest make_estimate_request(const EstimateCliOptions& o, const CLI::App& sub) {
  EstimateRequest r;
  r.model = model_argument(o.model);
  r.quant = o.quant;
  r.devices = o.devices;
  r.options.batch = o.batch;
  r.options.context_tokens = static_cast<double>(o.context);
  r.options.prompt_tokens = static_cast<double>(o.prompt);
  r.options.generate_tokens = static_cast<double>(o.generate);
  apply_engine_options(o.engine, r.options);
  r.options.power_w = o.power_w;
  r.options.price_usd_per_hour = o.price_per_hour;
  r.generate_given = sub.count("--generate") > 0;
  r.sort = o.sort;
  r.show = o.show;
  r.count = o.count;
  r.split = o.split;
  r.split_ratio = o.split_ratio;
  r.link = o.link;
  r.gpu_layers = o.gpu_layers;
  r.host = o.host;
  r.cpu_moe = o.cpu_moe;
  if (o.draft) {
    r.draft = model_argument(*o.draft);
  }
  r.draft_quant = o.draft_quant;
  if (sub.count("--draft-tokens") > 0) {
    r.draft_tokens = o.draft_tokens;
  }
  r.acceptance = o.acceptance;
  return r;
}

Command add_estimate(CLI::App& parent, CommonOptions& common) {
  auto options = std::make_shared<EstimateCliOptions>();
  CLI::App* sub = parent.add_subcommand(
      "estimate", "Estimate decode and prefill speed of a model on one or more devices");
  setup_estimate_options(*sub, *options);
  sub->add_option("--explain", options->explain,
                  "Print the calculation of one row instead of the rows: the roofline (bytes, "
                  "bandwidth, FLOPs, peak, bound), each engine-model term and its share of the "
                  "step, prefill, and the band's source; a group per stage and its link, an "
                  "offload per part. Row: a device id or group (default: the first)")
      ->expected(0, 1)
      ->type_name("[DEVICE]");
  add_common_options(*sub, common, true, true);
  return {sub, [options, sub, &common](Context& context) {
            common.svg_by_extension = true;
            const std::string host_note = use_host_device({options->devices}, common);
            EstimateRequest request = make_estimate_request(*options, *sub);
            if (sub->count("--explain") > 0) {
              request.explain = options->explain;
            }
            Report report = run_estimate(context.database(), request);
            if (!host_note.empty()) {
              report.notes.insert(report.notes.begin(), host_note);
            }
            context.emit(report);
            return static_cast<int>(ExitCode::ok);
          }};
}

}  // namespace llmroof::cli
