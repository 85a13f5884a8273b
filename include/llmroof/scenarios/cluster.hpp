#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// How a group of devices shares one model.
enum class SplitMode {
  layer,   ///< pipeline parallel (llama.cpp -sm layer, exo): each device holds whole layers
  tensor,  ///< tensor parallel (llama.cpp -sm row): every weight matrix divided across devices
};
/// "layer", "tensor".
std::string_view to_string(SplitMode mode);
/// Also accepts llama.cpp's "row" for tensor and "pipeline"/"pp" and "tp".
std::optional<SplitMode> parse_split_mode(std::string_view text);

/// A device running `share` of a model's work (a slice of every matrix, some of its layers, or
/// some of its tensors). Steps and prefills are computed for the whole model (or part) on the
/// device's own roofs; the shard scales their bytes and FLOPs by the share before the
/// single-device realistic model prices them, so groups, offload and speculative decoding reuse
/// estimate()'s arithmetic unchanged.
struct Shard {
  double share = 1;                      ///< (0, 1]
  Roofs roofs;                           ///< the device's roofs, as estimate() set them
  const EfficiencyClass* cls = nullptr;  ///< nullptr: pure roofline (options.ideal)
  EngineRun run;                         ///< estimate()'s engine figures, `layers` per shard
};

/// The shard of `alone` (an estimate of `weights` on its device under `options`) doing
/// `share` (0, 1] of the work over `layers` layers (per-layer overheads). `weights` decides the
/// realistic format and rows factors.
Shard make_shard(const EstimateResult& alone, double share, int layers, const ModelSpec& model,
                 const Weights& weights, const EstimateOptions& options,
                 const EfficiencyTable& efficiency);

/// A shard's part of one decode step, as the scenarios price it.
struct ShardDecode {
  DecodeStep part;  ///< the step's bytes, FLOPs and roofline times, times the share
  /// The realistic terms of `part` (their sum is `seconds`); none for a pure roofline shard.
  std::optional<DecodeBreakdown> terms;
  double seconds = 0;  ///< terms->seconds(), or part.step_seconds without a class
};

/// The shard's part of `step` (a decode step computed on shard.roofs): realistic when the
/// shard has a class, else the roofline.
ShardDecode shard_decode(const Shard& shard, const DecodeStep& step);
/// shard_decode(shard, step).seconds.
double shard_decode_seconds(const Shard& shard, const DecodeStep& step);
/// Seconds of the shard's part of `prefill` (computed on shard.roofs).
double shard_prefill_seconds(const Shard& shard, const PrefillResult& prefill);

/// Bytes per activation element sent between devices (llama.cpp keeps activations in f32).
inline constexpr double k_activation_bytes = 4.0;

/// Several devices that run one model as one.
struct GroupSpec {
  std::vector<const Device*> devices;  ///< in pipeline order, repeats allowed; at least one
  SplitMode split = SplitMode::layer;
  const Link* link = nullptr;  ///< required for two or more devices
  /// Relative share of each device (any positive scale, one per device); empty = in proportion
  /// to each device's usable memory, as llama.cpp and exo split by default.
  std::vector<double> split_ratio;
};

/// Seconds to send `bytes` once over `link`: latency + bytes / per-direction bandwidth.
double link_hop_seconds(double bytes, const Link& link);

/// Seconds of a ring all-reduce of a `bytes`-byte buffer over `devices` devices joined by
/// `link`: 2 (n - 1) steps (reduce-scatter, then all-gather), each one latency plus bytes / n
/// over the link. 0 for a single device.
double ring_all_reduce_seconds(double bytes, int devices, const Link& link);

/// `ratio` scaled to sum 1. Throws UsageError unless every entry is a positive finite number.
std::vector<double> normalize_shares(const std::vector<double>& ratio);

/// Layers of a `layers`-layer model per device for `shares` (summing to 1), as llama.cpp turns
/// a tensor split into layer ranges: device i ends at layer round(layers * (s_0 + ... + s_i)).
/// A device may get 0 layers when shares are small or devices outnumber layers.
std::vector<int> layers_per_device(int layers, const std::vector<double>& shares);

/// One device of a group and its part of the work.
struct GroupMember {
  EstimateResult alone;     ///< the device by itself: roofs, precision, class, usable memory
  double share = 0;         ///< fraction of the weights, KV cache and work it holds, (0, 1]
  int layers = 0;           ///< layers it runs (tensor split: every layer)
  double step_seconds = 0;  ///< its busy time in one step (layer split: per micro-batch)
  Shard shard;              ///< the realistic (ideal with options.ideal) shard it runs
  ShardDecode decode;       ///< its part of the step at the context (step_seconds = seconds)
  MemoryFit fit;            ///< its share of weights and KV cache against its usable memory
};

/// A group's estimate, in base units. Tokens/s are per sequence unless named aggregate.
struct GroupResult {
  std::string label;  ///< "8x m4-pro-20c", or ids joined by '+' for a mixed group
  SplitMode split = SplitMode::layer;
  const Link* link = nullptr;  ///< nullptr for a group of one
  std::vector<GroupMember> members;
  /// Layer split: the batch is cut into min(batch, devices) micro-batches that fill the
  /// pipeline; 1 for tensor split.
  int micro_batches = 1;
  double device_seconds = 0;  ///< per step: slowest member (tensor) or sum of stages (layer)
  double link_seconds = 0;    ///< per step: all-reduces (tensor) or stage-to-stage hops (layer)
  /// Per step: sends over the link (layer: devices - 1 hops of a micro-batch's activations;
  /// tensor: 2 all-reduces per layer of 2 (devices - 1) sends); link_seconds = link_hops x
  /// link_hop_seconds(link_hop_bytes).
  int link_hops = 0;
  double link_hop_bytes = 0;  ///< bytes of one send
  /// Time between two tokens of one sequence: device + link seconds, or, with a full
  /// pipeline, micro_batches times the slowest stage when that is longer.
  double step_seconds = 0;
  double tokens_per_s = 0;      ///< realistic (ideal when options.ideal)
  double tokens_per_s_low = 0;  ///< range: the widest spread of the members' classes
  double tokens_per_s_high = 0;
  double aggregate_tokens_per_s = 0;
  double ideal_tokens_per_s = 0;               ///< pure roofline of the same group
  std::optional<double> prefill_tokens_per_s;  ///< none when prompt_tokens is 0
  double time_to_first_token_s = 0;
  double generate_tokens_per_s = 0;  ///< average over generate_tokens from the context
  double end_to_end_seconds = 0;
  double weights_bytes = 0;           ///< the whole model
  double kv_cache_bytes = 0;          ///< the whole KV cache (every sequence)
  double memory_required_bytes = 0;   ///< sum over members
  double memory_available_bytes = 0;  ///< sum over members
  double max_member_required_bytes = 0;
  bool fits = false;                ///< every member fits
  double power_w = 0;               ///< sum of the members' power (0: one is unknown)
  std::optional<double> price_usd;  ///< sum of launch prices (none: one is unknown)
  std::optional<double> tokens_per_s_per_kusd;
  std::optional<double> joules_per_token;
  std::optional<double> usd_per_million_tokens;  ///< price per hour is per device, summed
};

/// Estimates `model` on the group. options.power_w and options.price_usd_per_hour apply to
/// each device; options.memory_bytes is each device's memory. Throws UsageError when the group
/// is empty, lacks a link, the ratio does not match, or a device would get no layer.
GroupResult estimate_group(const GroupSpec& group, const ModelInput& model,
                           const EstimateOptions& options, const EfficiencyTable& efficiency);

/// The group report: one row per group with a `devices` records column (id, layers, share,
/// memory_required_bytes, memory_available_bytes, fits, step_seconds), `split`, `link.*`,
/// `link_seconds` and the usual speed, fit and cost columns. Sorted by `sort_key`.
Report group_report(const std::vector<GroupResult>& results, const ModelInput& model,
                    const EstimateOptions& options, const std::string& sort_key);

}  // namespace llmroof
