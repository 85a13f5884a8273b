#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/model/weights.hpp"
#include "llmroof/physics/roofline.hpp"

namespace llmroof {

/// Which device figure a class's prefill efficiency is relative to: the rate llama.cpp's
/// matrix kernels draw on for that kind of device.
enum class PeakBasis {
  /// max(INT8 dense tensor TOPS, 2 x FP16 tensor, 4 x FP32): CUDA runs quantized weights as
  /// int8 dot products (MMQ: int8 tensor cores, or dp4a = 4 int8 MACs per FP32 lane) and F16
  /// weights with FP16 accumulation, which GeForce cards run at the INT8 / 2 rate.
  int8_equivalent,
  fp16,  ///< FP16 peak (FP32 where the part lists none): Apple and AMD GPUs
  fp32,  ///< FP32 vector peak: CPUs, and GPUs whose backends do not use matrix units
  /// The rate of the path llama.cpp's CUDA/HIP kernels take on the device's architecture: the
  /// listed INT8 rate where it has INT8 matrix units or dot products (MMQ on tensor cores from
  /// sm_75, MFMA/WMMA, RDNA's dot4), else FP16 matrix units (cuBLAS on Volta's tensor cores),
  /// else 4 x FP32 (MMQ with dp4a: sm_61, RDNA 2), else FP16 (BLAS, fast FP16), else FP32. A
  /// device with no known architecture falls back to int8_equivalent.
  kernel_path,
  /// The int8 dot-product rate of llama.cpp's CUDA matrix-vector kernels: 4 x FP32 where the
  /// architecture has dp4a (sm_61 on), FP32 where it is emulated (sm_60); 4 x FP32 for a device
  /// of unknown architecture.
  dot_product,
  /// The FP16 rate of the matrix units where the device lists one beyond its vector figures
  /// (Apple M5/A19 GPU neural accelerators, which llama.cpp's Metal matmuls use through the
  /// Metal 4 tensor API), else the FP16 rate, else FP32: Apple GPUs.
  matrix_fp16,
};
std::string_view to_string(PeakBasis basis);
std::optional<PeakBasis> parse_peak_basis(std::string_view text);

/// Weight types whose matrix-vector kernels take a batch of sequences in one pass (reading each
/// weight once for all of them) from `from_batch` sequences on: llama.cpp Metal's mul_mv_ext.
struct BatchKernel {
  std::vector<std::string> types;  ///< ggml type names
  int from_batch = 2;              ///< smallest batch the kernel takes, >= 2
  /// Field by field.
  bool operator==(const BatchKernel&) const = default;
};

/// How far a llama.cpp-like engine stays below the roofline on one class of device and backend.
///   decode step = bytes / (decode_bw_efficiency * bandwidth)
///                 + flops / (decode_flops_efficiency * decode format factor * decode peak)
///                 + layers * decode_per_layer_s
///                 + moe layers * moe_layer_s
///   prefill     = max(flops / (format factor * rows factor * clock factor) *
///                       (1 / (prefill_flops_efficiency * prefill peak)
///                        + prefill_core_ops_per_flop / FP32 peak),
///                     bytes / (decode_bw_efficiency * bandwidth))
/// A decode step's matrix-vector products stream each weight once and dequantize it on the
/// vector units (dp4a, int8 or FP16 dot products) while waiting on memory, so the two times add;
/// with a batch every sequence's dot products are done again; prefill reuses each weight across
/// the ubatch on the matrix units. A batch takes the engine's kernels for its size (see
/// BatchKernel and vector_batch_max): up to vector_batch_max sequences the matrix-vector kernels
/// read the weights once for all of them where the weight type has a small-batch form, and once
/// per sequence where it has none (the memory term counts the re-reads); past
/// vector_batch_max the step's dense weight matmuls run on the prefill path at its rate for
/// `batch` rows (their FLOPs / (prefill rate x rows factor at batch) in place of their share of
/// the dot products' compute term; routed experts, batch x k/E rows each, stay on the
/// matrix-vector kernels; the memory term is unchanged: a short pass hides neither side). The peaks
/// are the class's PeakBasis figures; format and rows factors are the table's (see EngineRun). The
/// range is the estimate times exp(-/+ spread), see the spread fields.
struct EfficiencyClass {
  std::string id;  ///< "apple-gpu", "nvidia-gpu", "cpu-x86", or a profile's own id
  std::string description;
  PeakBasis prefill_peak = PeakBasis::fp16;  ///< the figure prefill matmuls scale with
  PeakBasis decode_peak = PeakBasis::fp32;   ///< the figure decode dequantization scales with
  double decode_bw_efficiency = 1;           ///< share of the bandwidth roof decode reaches, (0, 1]
  double decode_per_layer_s = 0;        ///< fixed cost per layer and step (launches, syncs), >= 0
  double decode_flops_efficiency = 1;   ///< share of the decode peak decode matmuls reach, (0, 1]
  double prefill_flops_efficiency = 1;  ///< share of the prefill peak its matmuls reach, (0, 1]
  /// Vector-core operations per matmul FLOP for the work around the matrix-unit products (tile
  /// loads, dequantization, int8 conversion of activations), done in series with them at the
  /// FP32 rate: llama.cpp's MMQ kernels on NVIDIA. >= 0; 0 = no such term.
  double prefill_core_ops_per_flop = 0;
  /// The class's own EfficiencyTable::matmul_half_rows, where its rows tell it apart (rows per
  /// pass below the ubatch: a routed expert's share, a batch decoded as a prefill); the tile
  /// shapes of its matmul kernels set how many rows they need. > 0; 0 = the table's.
  double matmul_half_rows = 0;
  /// The largest batch the engine decodes with matrix-vector kernels (llama.cpp: 8 on CUDA,
  /// HIP and Metal); a larger batch runs the weight matmuls as a prefill of that many rows.
  /// 0 = matrix-vector kernels at any batch. In [0, 64].
  int vector_batch_max = 0;
  /// Where the class lists any: the weight types whose matrix-vector kernels take a batch in one
  /// pass, and from what size; every other type (or a smaller batch) is read again for each
  /// sequence. Empty: every type takes a batch in one pass.
  std::vector<BatchKernel> batch_kernels;
  std::string batch_source;  ///< where vector_batch_max and batch_kernels come from (URLs)
  /// Band half-width in natural-log units: the 80th percentile of |ln(measured / predicted)|
  /// of held-out (leave-one-generation-out) predictions, so about 80% of measurements of new
  /// devices fall inside estimate x exp(-/+ spread); a calibration profile's class (`device`
  /// set) uses its own rows' residuals instead. >= 0.
  double decode_log_spread = 0;
  double prefill_log_spread = 0;
  int decode_rows = 0;   ///< measurements behind the decode figures (0: not fitted)
  int prefill_rows = 0;  ///< measurements behind the prefill figures
  int devices = 0;       ///< distinct devices among them
  std::string basis;     ///< why the figures are what they are (physics, sources)
  /// A calibration profile's class applies to this device id only ("" = any device of the class).
  std::string device;
  /// ...and to this backend only (cuda, metal, ...; "" = any).
  std::string backend;
  /// Field by field.
  bool operator==(const EfficiencyClass&) const = default;
};

/// A family of ggml weight types that llama.cpp's kernels treat alike.
struct WeightFormat {
  std::string id;                  ///< "float", "q8_0", "k_quant", ...
  std::vector<std::string> types;  ///< ggml type names ("Q4_K", "Q5_K")
  /// Prefill matmul speed of llama.cpp's CPU kernels for this format relative to the reference
  /// (K-quants = 1): dequantization work per weight differs, and Q4_0, Q8_0 and F16 have
  /// tiled GEMM paths (llamafile's tinyBLAS, repacking) that the others lack.
  double cpu_factor = 1;
  /// The same for the matrix-vector products of CPU decode (dot products only, no GEMM paths).
  double cpu_decode_factor = 1;
  /// Prefill and decode on GPUs (quantized formats share one int8 path, float weights use BLAS).
  double gpu_factor = 1;
  std::string basis;
  /// llama.cpp's CPU backend has no GEMM path for any of these types (no llamafile tinyBLAS
  /// case, no repacked layout, no two-row int8 matrix-multiply dot product): prefill and decode
  /// run the same one-row dot product, so the fit starts the decode factor from the prefill one
  /// (and keeps it where no decode row tells it).
  bool cpu_vec_dot_only = false;
  std::string cpu_vec_dot_source;  ///< URL(s) for cpu_vec_dot_only; empty when it is false
  /// Field by field.
  bool operator==(const WeightFormat&) const = default;
};

/// An earlier llama.cpp whose kernels differ from today's in a way the model prices, for the
/// calibration rows measured on it: runs of `backend` on builds before `before_build`.
struct EngineEra {
  std::string backend;   ///< normalized backend ("cuda")
  int before_build = 0;  ///< the first build of today's kernels (> 0)
  /// What the era did instead: "dequantize_fp16_blas" (quantized prefill dequantized every
  /// weight to FP16 and ran FP16 BLAS on GPUs with FP16 matrix units).
  std::string prefill_path;
  std::string source;  ///< the change that ended the era (URLs)
  /// Field by field.
  bool operator==(const EngineEra&) const = default;
};

/// Provenance of fitted figures.
struct FitRecord {
  std::string source;     ///< the measurements' file
  std::string data_date;  ///< date of the data (YYYY-MM-DD)
  std::string command;    ///< how to refit
  int rows = 0;           ///< rows read
  int rows_used = 0;      ///< rows in scope (fit and scored)
  int rows_excluded = 0;  ///< mapped but out of scope (other engines, unstated quants, ...)
  int rows_unmapped = 0;  ///< unknown device, model, quant or test
  int devices = 0;        ///< devices among the rows used
  /// Field by field.
  bool operator==(const FitRecord&) const = default;
};

/// One cross-validated accuracy figure (leave-one-generation-out), for the record.
struct AccuracyFigure {
  std::string class_id;  ///< "all" for every class together
  std::string test;      ///< "tg128", "pp512", "decode", "prefill"
  int rows = 0;
  double median_abs_error = 0;  ///< |pred / meas - 1|
  double p90_abs_error = 0;
  double bias = 0;      ///< exp(median ln(pred / meas)) - 1
  double coverage = 0;  ///< share of measurements inside the band
  /// Field by field.
  bool operator==(const AccuracyFigure&) const = default;
};

/// The realistic-efficiency table (data/efficiency.json, or a calibration profile).
struct EfficiencyTable {
  int schema_version = 0;
  std::string description;
  /// Rows one weight matrix multiplies per prefill pass (its share of the ubatch for routed
  /// experts) at which matmul efficiency halves: the rows factor is r / (r + half), >= 0. A
  /// class may carry its own (EfficiencyClass::matmul_half_rows).
  double matmul_half_rows = 0;
  /// Ablation only (validate --ablate class-rows), never in a file: whether the fit gives a
  /// class its own matmul_half_rows where its rows tell it apart.
  bool fit_class_half_rows = true;
  double ubatch_tokens = 512;  ///< llama.cpp's default n_ubatch: prompt tokens per pass, > 0
  /// Fixed cost of a mixture-of-experts layer per decode step beyond a dense layer's (router,
  /// top-k, gathers, the expert matmul launches), seconds, >= 0.
  double moe_layer_s = 0;
  /// Clocks under power limits: prefill matmuls on a part whose board power per FLOP/s is a
  /// share p < 1 of its architecture's reference run at p^power_limit_exponent of the rate
  /// (see ChipArchitecture::reference_joules_per_flop), >= 0; 0 = no such term.
  double power_limit_exponent = 0;
  /// A GPU whose native SIMD width w is below the k_kernel_simd_lanes its GPU kernels are
  /// written for (ChipArchitecture::native_simd_width: Intel Xe-LPG and Xe-HPG) reaches
  /// (w / k_kernel_simd_lanes)^narrow_simd_exponent of its class's decode bandwidth, >= 0;
  /// 0 = no such term (the share is 1), 1 = in proportion to its lanes.
  double narrow_simd_exponent = 0;
  std::vector<WeightFormat> formats;
  std::optional<FitRecord> fitted_on;
  std::vector<AccuracyFigure> accuracy;
  std::vector<EfficiencyClass> classes;
  /// Earlier engines the calibration rows ran on (estimates describe today's engine).
  std::vector<EngineEra> eras;
  /// Field by field.
  bool operator==(const EfficiencyTable&) const = default;
};

/// Parses and validates an efficiency table or profile; throws DataError.
EfficiencyTable parse_efficiency(std::string_view text, const std::string& display_name);

/// The table as JSON text in the schema of data/schema/efficiency.schema.json (figures rounded
/// to 4 significant digits), ending with a newline.
std::string efficiency_to_json(const EfficiencyTable& table);

/// Adds a profile's classes to `table`, replacing classes with the same id; the profile's
/// formats and global figures are ignored (they come from the shipped table).
void merge_efficiency(EfficiencyTable& table, const EfficiencyTable& profile);

/// Lookup key for `device` running `backend` ("" = the device's usual backend): the class id
/// (apple-gpu, nvidia-gpu, amd-gpu, intel-gpu, other-gpu, cpu-x86, cpu-arm, cpu-other), with
/// "-<backend>" for GPUs (apple-gpu-vulkan), then "@<device id>/<backend>" so that
/// find_efficiency_class can prefer a calibration profile.
std::string efficiency_class_id(const Device& device, std::string_view backend);

/// The class for a lookup key or class id: a profile matching its device and backend, else
/// the class id itself, else the id with trailing "-part"s removed (apple-gpu-vulkan ->
/// apple-gpu), else "default"; nullptr when none exists.
const EfficiencyClass* find_efficiency_class(const EfficiencyTable& table, std::string_view id);

/// What the realistic model reads of a run besides the ideal step or prefill.
struct EngineRun {
  double mem_bw_bytes_per_s = 0;       ///< the roof's bandwidth, > 0
  double matmul_peak_flops_per_s = 0;  ///< the class's prefill PeakBasis figure, > 0
  double decode_peak_flops_per_s = 0;  ///< the class's decode PeakBasis figure, > 0
  int layers = 0;
  /// Layers with routed experts (0 for a dense model); a device-group stage holds its share.
  double moe_layers = 0;
  double moe_layer_s = 0;            ///< the table's, seconds, see EfficiencyTable
  double core_peak_flops_per_s = 0;  ///< FP32 rate of the vector cores (prefill core term), > 0
  /// Board power per FLOP/s against the architecture's reference, capped at 1 (1 = unknown).
  double power_ratio = 1;
  double power_limit_exponent = 0;  ///< the table's
  /// Native SIMD width / k_kernel_simd_lanes for a GPU narrower than that, else 1; in (0, 1].
  double simd_lane_ratio = 1;
  /// The share of the class's decode bandwidth reached: simd_lane_ratio^narrow_simd_exponent
  /// (the table's), 1 for a part as wide as the kernels; in (0, 1].
  double decode_bw_factor = 1;
  /// Sets power_ratio and power_limit_exponent, and the clock factor they give (computed once
  /// here: the decode span and the fitter ask for it many times).
  void set_power_limit(double ratio, double exponent);
  /// The sustained share of the clock through a long matmul: power_ratio^power_limit_exponent,
  /// as set_power_limit() computed it (1 until it is called).
  [[nodiscard]] double clock_factor() const { return m_clock_factor; }
  double format_factor = 1;         ///< the weights' WeightFormat factor for prefill, > 0
  double decode_format_factor = 1;  ///< ... and for decode, > 0
  double rows_factor = 1;           ///< prefill rows factor r / (r + matmul_half_rows), (0, 1]
  /// What a batched decode step needs to run its dense matmuls as a prefill of `batch` rows:
  /// the table's matmul_half_rows and the model's matmul parameters per token, dense and
  /// routed (k/E of the experts'), whose ratio splits the step's matmul FLOPs.
  double matmul_half_rows = 0;
  double dense_matmul_params = 0;
  double expert_matmul_params = 0;
  /// The class's vector_batch_max (0 = matrix-vector kernels at any batch).
  int vector_batch_max = 0;
  /// A calibration row of an earlier engine (EngineEra "dequantize_fp16_blas"): prefill runs
  /// the GEMM F16 weights take (the float weight format's factor) after a pass that dequantizes
  /// every weight to FP16: blas_dequant_bytes (quantized weights read, FP16 copy written and
  /// read back, per ubatch) at the decode bandwidth efficiency, in series.
  bool blas_prefill = false;
  double blas_dequant_bytes = 0;
  /// reread_share[b]: share of the weights' bytes whose type has no one-pass kernel for a
  /// batch of b sequences (b in [2, vector_batch_max]), so that each sequence reads it again.
  std::vector<double> reread_share;
  /// The dense matmuls' share of a step's matmul FLOPs, in [0, 1] (1 for a dense model).
  [[nodiscard]] double dense_matmul_share() const;
  /// The rows factor of a dense matmul pass over `rows` rows: r / (r + matmul_half_rows).
  [[nodiscard]] double dense_rows_factor_at(double rows) const;

 private:
  double m_clock_factor = 1;
};

/// The SIMD width, in lanes, that llama.cpp's GPU kernels are written for: its Vulkan backend
/// compiles shaders for subgroups of at least 16 lanes ("some shaders have a minimum subgroup
/// size", ggml_vk_load_shaders in ggml/src/ggml-vulkan/ggml-vulkan.cpp).
inline constexpr int k_kernel_simd_lanes = 16;

/// EngineRun::decode_bw_factor: lane_ratio^narrow_simd_exponent (the table's) for a part
/// narrower than the kernels (lane_ratio < 1), else 1.
double narrow_simd_factor(const EfficiencyTable& table, double lane_ratio);

/// The rows at which the class's matmuls reach half their rate: its own figure, else the table's.
double matmul_half_rows(const EfficiencyTable& table, const EfficiencyClass& cls);

/// The EngineRun of `model` (`weights`) on `device` under `roofs` as estimate() sets them
/// (`precision` is the precision whose peak the roofs hold; `host_cpu` is the CPU backend of
/// a GPU machine). A user's peak override scales the basis figure by the same ratio.
EngineRun engine_run(const EfficiencyTable& table, const EfficiencyClass& cls, const Device& device,
                     bool host_cpu, const ModelSpec& model, const Weights& weights,
                     const Roofs& roofs, Precision precision, double prompt_tokens,
                     const EngineEra* era = nullptr);

/// The era of `table` a run of normalized `backend` on llama.cpp build `engine_build` belongs
/// to; nullptr for today's engine (engine_build 0, or at or past every era's end).
const EngineEra* engine_era(const EfficiencyTable& table, std::string_view backend,
                            int engine_build);

/// Whether a prefill of `weights` on GPU `device` in `era` takes the era's dequantize + FP16
/// BLAS path: quantized weights on a part with FP16 matrix units (false for a null era, CPUs).
bool takes_era_blas_prefill(const EfficiencyTable& table, const EngineEra* era,
                            const Device& device, bool cpu, const Weights& weights);

/// EngineRun::reread_share of `weights` under `cls`: for each batch b in [2, vector_batch_max],
/// the share of the weights' bytes whose type no BatchKernel takes at b (empty when the class
/// lists no batch kernels: every type takes a batch in one pass).
std::vector<double> reread_shares(const EfficiencyClass& cls, const Weights& weights);

/// The id of the weight family of unquantized weights (F32, F16, BF16), which run BLAS.
inline constexpr std::string_view k_float_format = "float";

/// The WeightFormat of `table` with id `id`; nullptr if none.
const WeightFormat* find_weight_format(const EfficiencyTable& table, std::string_view id);

/// The WeightFormat of `weights` (the family of their largest type by bytes); nullptr if none.
const WeightFormat* weight_format(const EfficiencyTable& table, const Weights& weights);

/// The kernels a decode step of a batch runs on.
enum class DecodeKernel {
  vector,         ///< matrix-vector products reading each weight once for the batch
  vector_reread,  ///< ... reading some weight types once per sequence
  matrix,         ///< weight matmuls as a prefill of `batch` rows (past vector_batch_max)
};

/// The terms of one realistic decode step, seconds each (all >= 0); they add up to the step.
struct DecodeBreakdown {
  DecodeKernel kernel = DecodeKernel::vector;
  /// bytes / (decode_bw_efficiency * bandwidth), with each re-read weight counted once per
  /// sequence (vector_reread).
  double memory_s = 0;
  /// flops / (decode_flops_efficiency * format factor * decode peak); matrix: the dense weight
  /// matmuls at the prefill rate for `batch` rows, the rest (experts, attention) as before.
  double compute_s = 0;
  double reread_share = 0;  ///< vector_reread: the share of weight bytes read per sequence
  double per_layer_s = 0;   ///< layers * decode_per_layer_s
  double moe_s = 0;         ///< moe layers * moe_layer_s
  /// The step: memory_s + compute_s + per_layer_s + moe_s.
  [[nodiscard]] double seconds() const { return memory_s + compute_s + per_layer_s + moe_s; }
};

/// The terms of a realistic decode step of an ideal `step` (realistic_decode_seconds is their sum).
DecodeBreakdown realistic_decode_breakdown(const EfficiencyClass& cls, const DecodeStep& step,
                                           const EngineRun& run);

/// Realistic seconds of one decode step of an ideal `step`.
double realistic_decode_seconds(const EfficiencyClass& cls, const DecodeStep& step,
                                const EngineRun& run);

/// The matmul rate prefill reaches, FLOP/s: the prefill peak and the core term in series,
/// times the format, rows and clock factors (the compute side of realistic_prefill_seconds).
double realistic_prefill_flops_per_s(const EfficiencyClass& cls, const EngineRun& run);

/// The matmul rate of the prefill path at a given rows factor, FLOP/s: the prefill peak and the
/// core term in series, times the format, clock and `rows_factor` factors.
double realistic_matmul_flops_per_s(const EfficiencyClass& cls, const EngineRun& run,
                                    double rows_factor);

/// The two sides of a realistic prefill, seconds each; the prefill takes the larger.
struct PrefillBreakdown {
  double compute_s = 0;  ///< flops / realistic_prefill_flops_per_s
  double memory_s = 0;   ///< bytes / (decode_bw_efficiency * bandwidth)
  /// The prefill: max(compute_s, memory_s).
  [[nodiscard]] double seconds() const { return compute_s > memory_s ? compute_s : memory_s; }
};

/// The sides of a realistic `prefill` (realistic_prefill_seconds is their maximum).
PrefillBreakdown realistic_prefill_breakdown(const EfficiencyClass& cls,
                                             const PrefillResult& prefill, const EngineRun& run);

/// Realistic seconds of an ideal `prefill`.
double realistic_prefill_seconds(const EfficiencyClass& cls, const PrefillResult& prefill,
                                 const EngineRun& run);

}  // namespace llmroof
