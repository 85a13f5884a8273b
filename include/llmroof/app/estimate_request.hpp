#pragma once

#include <optional>
#include <string>
#include <vector>

#include "llmroof/app/database.hpp"
#include "llmroof/app/model_choice.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

/// Which host a partial offload uses when the request names none: a desktop with dual-channel
/// DDR5.
inline constexpr std::string_view k_default_offload_host = "i9-13900k-ddr5";

/// One estimate as a front end asks for it (the CLI's `estimate`, the web page, Python). Field
/// names are the ids RequestError reports; the CLI's flag for a field is "--" + the id with '_'
/// as '-'.
struct EstimateRequest {
  ModelArgument model;                ///< model: catalog id, size, or files
  std::optional<std::string> quant;   ///< quant: weight format; default from the model
  std::string devices;                ///< device: ids/aliases separated by commas, or a filter
  EstimateOptions options;            ///< batch, context, prompt, generate, engine, power, price
  bool generate_given = false;        ///< generate was asked for (shows average decode columns)
  std::string sort = "tokens_per_s";  ///< sort: output column id
  std::vector<std::string> show;      ///< show: extra table columns
  /// explain: print the calculation of one row instead of the rows; "" = the first row, else
  /// the row's device id or group label (see explain_estimate, explain_group, explain_offload).
  std::optional<std::string> explain;
  // Device groups.
  int count = 1;                           ///< count: a group of N of each listed device
  std::optional<std::string> split;        ///< split: layer | tensor | row
  std::optional<std::string> split_ratio;  ///< split_ratio: "3,1" or "3/1"
  std::optional<std::string> link;         ///< link: links.json id or alias
  // Partial offload.
  std::optional<std::string> gpu_layers;  ///< gpu_layers: a count or "auto"
  std::optional<std::string> host;        ///< host: a cpu device
  bool cpu_moe = false;                   ///< cpu_moe: routed experts on the host
  // Speculative decoding.
  std::optional<ModelArgument> draft;      ///< draft: the draft model
  std::optional<std::string> draft_quant;  ///< draft_quant: default quant
  std::optional<int> draft_tokens;         ///< draft_tokens: K, default 8
  std::optional<double> acceptance;        ///< acceptance: in [0, 1]
};

/// Runs one estimate: resolves the model and devices, picks the mode (single devices, a device
/// group, partial offload or speculative decoding), checks conflicts, and returns the report
/// with its notes and warnings, ready to render. Throws RequestError naming the field at fault,
/// and the data and model readers' errors.
Report run_estimate(const Database& db, const EstimateRequest& request);

}  // namespace llmroof
