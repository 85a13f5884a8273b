#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/tensors.hpp"

namespace llmroof {

/// A GGML tensor type: `block_bytes` bytes hold `block_elements` weights (ggml-common.h).
struct GgmlType {
  int id;
  std::string_view name;  ///< upper case as in ggml ("Q4_K")
  int block_elements;     ///< 0 for ids that were removed from the format
  int block_bytes;
  bool stored;  ///< false for runtime-only types (Q8_1, Q8_K)

  /// Exact bits per weight, block_bytes * 8 / block_elements.
  double bits_per_weight() const {
    return static_cast<double>(block_bytes) * 8.0 / static_cast<double>(block_elements);
  }
  bool removed() const { return block_elements == 0; }
};

/// Every GGML type id up to the newest known (removed ids included, with block_elements 0).
std::span<const GgmlType> ggml_types();
const GgmlType* find_ggml_type(int id);
const GgmlType* find_ggml_type(std::string_view name);

/// Named ggml type ids used in code.
namespace ggml {
inline constexpr int f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q2_k = 10,
                     q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, iq2_xxs = 16, iq2_xs = 17,
                     iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23,
                     iq1_m = 29, bf16 = 30, tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40;
}

/// Bytes of a tensor of `type` with `dims`; nullopt if the type is unknown or removed, or the
/// row length is not a multiple of the block size, or the byte count overflows 64 bits.
std::optional<std::uint64_t> ggml_tensor_bytes(int type, std::span<const std::uint64_t> dims);

/// Weight types a checkpoint can be published in that GGML has no id for; their ids lie above
/// every GGML id.
namespace published_type {
/// FP8 E4M3, one FP32 scale per 128x128 block of the matrix (DeepSeek-V3's
/// quantization_config: quant_method fp8, weight_block_size [128, 128]).
inline constexpr int fp8_e4m3_block128 = 1000;
}  // namespace published_type

/// Bytes of a tensor of `type` (a GGML or a published_type id) with `dims`. A block-scaled FP8
/// matrix of rows x cols (dims[1] x dims[0]) holds one byte per weight plus 4 bytes per
/// ceil(rows/128) x ceil(cols/128) block, per matrix of a 3-D stack; nullopt as for
/// ggml_tensor_bytes.
std::optional<std::uint64_t> weight_tensor_bytes(int type, std::span<const std::uint64_t> dims);
/// The name of a GGML or published_type id ("Q4_K", "F8_E4M3_B128"); "type N" if unknown.
std::string weight_type_name(int type);

/// How --quant names a weight format.
enum class QuantKind {
  nominal,    ///< the source articles' n_bytes: every weight at a flat size (fp16 = 2, int4 = 0.5)
  ggml_type,  ///< one GGML tensor type for every 2-D tensor (1-D tensors F32)
  preset,     ///< a llama.cpp ftype preset: llama-quantize's mix of types per tensor
  published,  ///< a checkpoint as published quantized: `type` for the tensors it covers, BF16 else
};

/// A weight format selectable with --quant.
struct Quant {
  std::string id;  ///< canonical lower-case name: "int4", "q4_k_m", "q4_k"
  QuantKind kind = QuantKind::nominal;
  double nominal_bytes_per_weight = 0;  ///< nominal only
  int type = -1;                        ///< ggml_type: the type; preset: its base type
  int ftype = -1;                       ///< preset: llama_ftype id (general.file_type)
  Precision compute = Precision::fp16;  ///< precision the matrix products run at by default
  /// published only: `type` covers every linear layer (not the embedding, head or router)
  /// rather than only the routed experts
  bool covers_linear_layers = false;
  std::string description;
};

/// Every --quant name: nominal precisions, llama.cpp presets, then bare GGML types.
const std::vector<Quant>& all_quants();
/// Looks a --quant name up (case-insensitive; "Q4_K_M", "q4-k-m" and "q4km" are one).
std::optional<Quant> find_quant(std::string_view name);
/// A --quant name resolved, and how a name that is no quant id was read.
struct QuantLookup {
  std::optional<Quant> quant;  ///< nullopt when nothing fits
  std::string note;            ///< "" for a quant id (find_quant); else how the name was read
};

/// find_quant, then the names people type: bit counts ("4bit", "8-bit": int4, int8), bare
/// llama.cpp sizes ("q4": q4_k_m, "q8": q8_0), llama.cpp's file-type names as llama-bench's
/// model_type prints them ("Q4_K - Medium": q4_k_m) and Unsloth Dynamic names ("UD-Q4_K_XL":
/// its base preset q4_k_m, with a note that the real file is somewhat larger).
QuantLookup lookup_quant(std::string_view name);

/// llama.cpp's file-type name (llama_model_ftype_name, llama-bench's model_type) as a preset
/// id: "Q4_K - Medium" -> "q4_k_m", "IQ3_S mix - 3.66 bpw" -> "iq3_m", "all F32" -> "f32";
/// other text comes back lowercased and trimmed.
std::string preset_of_ftype_name(std::string_view text);

/// Quant ids fit to suggest for a mistyped --quant: every weight format, without the
/// non-weight GGML types (I8..I64, F64) and the runtime-only ones (Q8_1, Q8_K).
std::vector<std::string> suggestable_quant_ids();

/// The preset with llama ftype `ftype` (GGUF general.file_type), if known.
std::optional<Quant> find_preset_by_ftype(int ftype);

/// The types llama-quantize gives `tensors` (in file order) of `model` under `preset`:
/// llama.cpp's llama_tensor_get_type, including the fallback for rows that are not a multiple
/// of the block size. An importance matrix is assumed for the IQ1/IQ2/IQ3_XXS presets (which
/// llama-quantize requires or strongly expects) and not for the others.
std::vector<int> preset_tensor_types(const Quant& preset, std::span<const TensorInfo> tensors,
                                     const ModelSpec& model);

/// Gives each tensor the type `quant` implies. Tensors llama-quantize never quantizes
/// (1-D tensors, norms, the MoE router, position embeddings) get F32, or F16 for 2-D tensors
/// the converter leaves in 16 bits. Nominal quants leave the types alone (see weights.hpp).
void assign_types(std::vector<TensorInfo>& tensors, const Quant& quant, const ModelSpec& model);

/// KV-cache element types for --kv-quant: f16, bf16, fp8, q8_0, q4_0, int4 (bytes per element;
/// int4 is a plain 4-bit element without block scales, 0.5 bytes).
std::optional<double> kv_bytes_per_element(std::string_view kv_type);
/// The --kv-quant names, in order.
std::span<const std::string_view> kv_quant_names();

}  // namespace llmroof
