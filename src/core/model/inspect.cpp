#include "llmroof/model/inspect.hpp"

#include <fmt/format.h>

#include <map>
#include <string>
#include <vector>

#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/quant.hpp"
#include "llmroof/model/weights.hpp"

namespace llmroof {

ParamBreakdown param_breakdown(std::span<const TensorInfo> tensors) {
  ParamBreakdown b;
  for (const TensorInfo& tensor : tensors) {
    const double n = tensor.elements();
    const std::string_view name = tensor.name;
    switch (classify_tensor(name).role) {
      case TensorRole::token_embd:
      case TensorRole::position_embd:
        b.embeddings += n;
        break;
      case TensorRole::output:
        b.output_head += n;
        break;
      case TensorRole::norm:
        b.norms += n;
        break;
      case TensorRole::attn_q:
      case TensorRole::attn_k:
      case TensorRole::attn_v:
      case TensorRole::attn_qkv:
      case TensorRole::attn_output:
      case TensorRole::attn_q_a:
      case TensorRole::attn_q_b:
      case TensorRole::attn_kv_a:
      case TensorRole::attn_kv_b:
      case TensorRole::attn_k_b:
      case TensorRole::attn_v_b:
      case TensorRole::attn_sinks:
        b.attention += n;
        break;
      case TensorRole::ffn_gate:
      case TensorRole::ffn_up:
      case TensorRole::ffn_down:
        b.dense_mlp += n;
        break;
      case TensorRole::ffn_gate_inp:
        // The shared expert's scalar gate belongs to the shared expert.
        (name.find("ffn_gate_inp_shexp") != std::string_view::npos ? b.shared_experts : b.router) +=
            n;
        break;
      case TensorRole::ffn_gate_exps:
      case TensorRole::ffn_up_exps:
      case TensorRole::ffn_down_exps:
        b.routed_experts += n;
        break;
      case TensorRole::ffn_gate_shexp:
      case TensorRole::ffn_up_shexp:
      case TensorRole::ffn_down_shexp:
        b.shared_experts += n;
        break;
      case TensorRole::other:
        b.other += n;
        break;
    }
  }
  return b;
}

namespace {

Column column(std::string id, std::string title, CellKind kind, HumanUnit unit = HumanUnit::none,
              int precision = 2) {
  return Column{std::move(id), std::move(title), kind, unit, precision, true};
}

/// A whole count as an integer cell; a count past the int64 range (a parameter count above 2^63
/// cast to int64 is undefined and printed -9223372036854775808) stays a real number.
Cell integer(double value) {
  constexpr double k_int64_limit = 9223372036854775808.0;  // 2^63
  if (!(value >= -k_int64_limit && value < k_int64_limit)) {
    return Cell{value};
  }
  return Cell{static_cast<std::int64_t>(value)};
}

/// The ggml type a published checkpoint's torch_dtype stores its weights in.
int dtype_type(const std::string& dtype) {
  if (dtype == "bfloat16") {
    return ggml::bf16;
  }
  if (dtype == "float32") {
    return ggml::f32;
  }
  return ggml::f16;
}

std::string type_name(int type) { return weight_type_name(type); }

}  // namespace

Report inspect_report(const LoadedModel& model) {
  const ModelSpec& spec = model.spec;
  Report report;
  report.command = "inspect";

  std::vector<TensorInfo> tensors = model.tensors;
  if (model.from_gguf && tensors.empty()) {
    // A vocab-only GGUF read without load_model_file: the layout its metadata implies, at F16.
    tensors = model_tensors(spec);
  }
  // A config.json published quantized is sized in its quantization_config's format.
  const std::optional<Quant> published = model.from_gguf || spec.published_quant.empty()
                                             ? std::nullopt
                                             : find_quant(spec.published_quant);
  if (!model.from_gguf) {
    // A config.json: the converter's layout, every tensor in the checkpoint's dtype.
    tensors = model_tensors(spec);
    const int type = dtype_type(spec.torch_dtype);
    for (TensorInfo& t : tensors) {
      t.type = type;
    }
    if (published) {
      assign_types(tensors, *published, spec);
      report.notes.push_back(
          fmt::format("weights counted as published: {} ({}; quantization_config)", published->id,
                      published->description));
    } else {
      report.notes.push_back(
          spec.torch_dtype.empty()
              ? std::string("weights counted as F16: the config has no torch_dtype")
              : fmt::format("weights counted as {} (torch_dtype {})", type_name(type),
                            spec.torch_dtype));
    }
  }
  const Weights weights = summarize_weights(tensors, spec, published ? &*published : nullptr);

  report.columns = {
      column("type", "type", CellKind::text),
      column("tensors", "tensors", CellKind::integer),
      column("params", "params", CellKind::integer),
      column("bytes", "size", CellKind::integer, HumanUnit::bytes_gib),
      column("bits_per_weight", "bits/weight", CellKind::real, HumanUnit::none, 4),
      column("bytes_share", "share", CellKind::real, HumanUnit::ratio_percent),
  };
  std::map<int, int> counts;
  for (const TensorInfo& t : tensors) {
    ++counts[t.type];
  }
  for (const TypeShare& share : weights.by_type) {
    report.rows.push_back({
        Cell{type_name(share.type)},
        Cell{static_cast<std::int64_t>(counts[share.type])},
        integer(share.params),
        integer(share.bytes),
        Cell{share.params > 0 ? share.bytes * 8.0 / share.params : 0.0},
        Cell{weights.total_bytes > 0 ? share.bytes / weights.total_bytes : 0.0},
    });
  }

  const double routed_share =
      weights.experts > 0 ? static_cast<double>(weights.experts_used) / weights.experts : 0.0;
  const ParamBreakdown params = param_breakdown(tensors);
  auto field = [&](std::string id, std::string title, Cell value,
                   HumanUnit unit = HumanUnit::none) {
    report.fields.push_back(DocField{std::move(id), std::move(title), std::move(value), unit});
  };
  std::string files;
  for (const std::string& file : model.files) {
    files += (files.empty() ? "" : ", ") + file;
  }
  field("file", "file", Cell{files});
  field("name", "name", Cell{spec.name});
  field("format", "format", Cell{std::string(model.from_gguf ? "gguf" : "hf-config")});
  field("architecture", "architecture", Cell{std::string(to_string(spec.architecture))});
  field("total_params", "total params", integer(spec.total_params));
  field("active_params", "active params", integer(spec.active_params));
  field("weights_bytes", "weights", integer(weights.total_bytes), HumanUnit::bytes_gib);
  field("bits_per_weight", "bits per weight", Cell{weights.bits_per_weight()});
  field("decode_weights_bytes", "weights read per token",
        integer(weights.dense_read_bytes + weights.routed_expert_bytes * routed_share),
        HumanUnit::bytes_gib);
  field("kv_cache_bytes_per_token", "KV cache per token (f16) [bytes]",
        integer(kv_cache_bytes(spec, 1, 2)));
  field("context_length", "context length", Cell{static_cast<std::int64_t>(spec.max_context)});
  field("layers", "layers", Cell{static_cast<std::int64_t>(spec.layers)});
  field("hidden", "hidden", Cell{static_cast<std::int64_t>(spec.hidden)});
  field("heads", "heads", Cell{static_cast<std::int64_t>(spec.heads)});
  field("kv_heads", "KV heads", Cell{static_cast<std::int64_t>(spec.kv_heads)});
  field("head_dim", "head dim", Cell{static_cast<std::int64_t>(spec.head_dim)});
  field("attention", "attention", Cell{std::string(to_string(spec.attention))});
  field("vocab", "vocab", Cell{static_cast<std::int64_t>(spec.vocab)});
  field("tied_embeddings", "tied embeddings", Cell{spec.tied_embeddings});
  field("experts", "experts",
        spec.moe ? Cell{static_cast<std::int64_t>(spec.moe->experts)} : Cell{});
  field("experts_used", "experts used",
        spec.moe ? Cell{static_cast<std::int64_t>(spec.moe->experts_used)} : Cell{});
  field("sliding_window", "sliding window",
        spec.sliding_window > 0 ? Cell{static_cast<std::int64_t>(spec.sliding_window)} : Cell{});
  field("sliding_window_layers", "sliding-window layers",
        spec.sliding_window > 0 ? Cell{static_cast<std::int64_t>(spec.sliding_window_layers)}
                                : Cell{});
  field("torch_dtype", "torch dtype", spec.torch_dtype.empty() ? Cell{} : Cell{spec.torch_dtype});
  std::optional<Quant> preset;
  if (model.file_type >= 0) {
    preset = find_preset_by_ftype(model.file_type);
  }
  field("file_type", "file type",
        model.file_type < 0 ? Cell{}
        : preset            ? Cell{preset->id}
                            : Cell{fmt::format("ftype {}", model.file_type)});
  field("embedding_params", "embedding params", integer(params.embeddings));
  field("attention_params", "attention params", integer(params.attention));
  field("dense_mlp_params", "dense MLP params", integer(params.dense_mlp));
  field("router_params", "router params", integer(params.router));
  field("routed_expert_params", "routed expert params", integer(params.routed_experts));
  field("shared_expert_params", "shared expert params", integer(params.shared_experts));
  field("norm_params", "norm params", integer(params.norms));
  field("output_head_params", "output head params", integer(params.output_head));
  field("other_params", "other params", integer(params.other));

  for (const std::string& assumed : spec.assumed_fields) {
    report.notes.push_back("assumed: " + assumed);
  }
  if (!spec.notes.empty()) {
    report.notes.push_back(spec.notes);
  }
  return report;
}

}  // namespace llmroof
