#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/model/model_spec.hpp"
#include "llmroof/report/report.hpp"
#include "llmroof/scenarios/estimate.hpp"

namespace llmroof {

// --- Measurements as their sources state them ------------------------------------------------

/// One measured speed: a row of the calibration CSV layout (../shared/calibration) or one result
/// of llama-bench (-o json, jsonl, csv or md). Text fields keep the source's spelling; the
/// mapping to devices, models and quants happens in map_measurements.
struct Measurement {
  std::string origin;             ///< "file:line" of the row (JSON: of its object)
  std::string device;             ///< calibration device id ("2x-rtx-3090"), or gpu_info/cpu_info
  std::string device_detail;      ///< the source's own description of the machine
  std::string backend;            ///< as stated: "CUDA", "Metal,BLAS", "CPU", "Vulkan (RADV)"
  std::string engine;             ///< "llama.cpp 9c35706", "ik_llama.cpp ...", "MLX ..."
  std::string model;              ///< as stated: "LLaMA 2 7B", or llama-bench's model_type
  std::string model_file;         ///< llama-bench model_filename; may be empty
  double model_params = 0;        ///< parameter count when stated, else 0
  double model_size_bytes = 0;    ///< file size when stated, else 0
  std::string quant;              ///< as stated: "Q4_0", "Q4_K - Medium"; "" when absent
  std::string test;               ///< as stated: "tg128", "pp512", "pp512+tg128", "tg32-batched"
  int prompt_tokens = 0;          ///< tokens of the timed prompt (n_prompt); 0 for tg tests
  int generate_tokens = 0;        ///< tokens generated (n_gen); 0 for pp tests
  int depth_tokens = 0;           ///< tokens already in the KV cache when timing starts (n_depth)
  int sequences = 1;              ///< sequences decoded in parallel (llama-batched-bench), >= 1
  bool test_understood = true;    ///< false when the test name gives no token counts
  double tokens_per_s = 0;        ///< > 0; for batched tests the aggregate over all sequences
  int threads = 0;                ///< CPU threads; 0 = not stated
  std::optional<int> gpu_layers;  ///< layers offloaded; nullopt = not stated, 999 = "all"
  bool kv_on_host = false;        ///< KV cache kept in host memory (llama-bench -nkvo 1)
  bool flash_attention = false;   ///< run with flash attention (llama-bench -fa 1)
  std::string source;             ///< URL of the source, when known
  std::string note;
};

/// The llama.cpp build number an engine string names: "llama.cpp build d46dbc76 (2833)" and
/// llama-bench's "llama.cpp <commit> (<build_number>)" give 2833, a release tag "b4426" gives
/// 4426; nullopt when it names none (a bare commit, a date).
std::optional<int> llama_cpp_build(std::string_view engine);

/// The date an engine string names in full: "llama.cpp master (2024-03-03)" gives "2024-03-03"
/// (ISO order, so dates compare as strings); nullopt when it names none or only a month.
std::optional<std::string> llama_cpp_date(std::string_view engine);

/// Parses the calibration CSV layout (header: device, backend, model, quant, test,
/// tokens_per_s required; device_detail, engine_version, model_params_b, batch,
/// context_depth, threads, gpu_layers, source_url, note optional; other columns ignored).
/// Throws DataError with one "file:line: message" per bad row.
std::vector<Measurement> parse_calibration_csv(std::string_view text,
                                               const std::string& display_name);

/// Parses llama-bench output in any of its formats (-o json, jsonl, csv, md), told apart by the
/// text. Markdown tables carry no gpu_info, so their rows have an empty device. Throws
/// DataError naming the file and line of each bad result.
std::vector<Measurement> parse_llama_bench(std::string_view text, const std::string& display_name);

/// Either layout: the calibration CSV when a CSV header names a `device` column and no
/// `avg_ts`, else llama-bench output.
std::vector<Measurement> parse_measurements(std::string_view text, const std::string& display_name);

/// Splits a test name into token counts: "tg128", "pp512", "pp512+tg128", "pp 512",
/// "tg128 @ d4096", "tg32-batched". Returns false (counts untouched) for other names.
bool parse_test_name(std::string_view test, Measurement& m);

// --- Names the sources use --------------------------------------------------------------------

/// A source's name for a catalog model or a quant preset (data/calibration-aliases.json).
struct NameAlias {
  std::string name;    ///< as the sources write it ("Phi-4 14B")
  std::string target;  ///< catalog model id or quant id
  std::string note;
};

/// Name mapping from scoreboard spellings to llmroof ids; lookups ignore case and punctuation.
struct CalibrationAliases {
  int schema_version = 0;
  std::string description;
  std::vector<NameAlias> models;
  std::vector<NameAlias> quants;
};

/// Parses and validates a calibration-aliases file; throws DataError.
CalibrationAliases parse_calibration_aliases(std::string_view text,
                                             const std::string& display_name);

// --- Mapping measurements to estimates --------------------------------------------------------

/// What a test times.
enum class TestKind {
  decode,          ///< tgN: average decode speed over N tokens (per sequence x sequences)
  prefill,         ///< ppN: prompt processing speed
  prefill_decode,  ///< ppN+tgM: (N + M) tokens over the time of both
};

/// Overrides for sources that leave something out (llama-bench's markdown names no device).
struct MappingOptions {
  std::string device;  ///< every row ran on this device ("" = read it from the row)
  std::string model;   ///< every row ran this catalog model ("" = read it from the row)
  std::string quant;   ///< every row used this quant ("" = read it from the row)
};

/// A measurement resolved to the databases: the device, model and quant it ran, and the
/// estimate inputs that reproduce its test.
struct MappedMeasurement {
  Measurement measurement;
  const Device* device = nullptr;
  std::string backend;  ///< normalized: cuda rocm metal vulkan sycl opencl cpu
  ModelInput model;     ///< catalog model, weights typed by the quant
  TestKind kind = TestKind::decode;
  EstimateOptions options;           ///< prompt, generate, context, batch and backend of the test
  std::string class_key;             ///< efficiency_class_id of the run (see resolved_class)
  std::string label;                 ///< normalized test label: "tg128", "pp512", "tg32 @ d4096"
  std::vector<std::string> caveats;  ///< assumptions made while mapping
  /// Why the row is left out of fits and error statistics ("" = in scope): another engine,
  /// a quant the source did not state, partial offload, a thread count below the sweep's top.
  std::string exclusion;
};

/// A measurement that could not be mapped, with the reason (unknown device, model, quant...).
struct UnmappedMeasurement {
  Measurement measurement;
  std::string reason;
};

struct MappingResult {
  std::vector<MappedMeasurement> mapped;
  std::vector<UnmappedMeasurement> unmapped;
};

/// Resolves every measurement. Nothing is dropped: each row ends in `mapped` or `unmapped`.
/// Throws UsageError when an override names an unknown device, model or quant.
MappingResult map_measurements(std::span<const Measurement> measurements, const DeviceDb& devices,
                               const ModelCatalog& models, const CalibrationAliases& aliases,
                               const MappingOptions& options = {});

/// The device a free-text name refers to (llama-bench's gpu_info "NVIDIA GeForce RTX 4090",
/// cpu_info "AMD Ryzen 9 7950X 16-Core Processor", or a calibration id); nullptr if unknown.
const Device* find_device_by_description(const DeviceDb& devices, std::string_view text);

/// llmroof's quant for a source's quant text ("Q4_K - Medium", "Q4_K_M (Ollama default tag;
/// not stated)", "MXFP4"); `stated` is false when the source says it did not state it.
std::optional<Quant> quant_from_text(std::string_view text, const CalibrationAliases& aliases,
                                     bool& stated);

/// A prediction of a measured test, in the test's own unit (tokens/s).
struct Prediction {
  double tokens_per_s = 0;
  double tokens_per_s_low = 0;  ///< the class's band (see EfficiencyClass)
  double tokens_per_s_high = 0;
};

/// Predicts `row` through estimate(), exactly as `llmroof estimate` would for the same inputs.
Prediction predict(const MappedMeasurement& row, const EfficiencyTable& table);

// --- Error statistics ---------------------------------------------------------------------

/// Error statistics of predictions against measurements, on log ratios r = ln(pred / meas).
struct ErrorStats {
  int rows = 0;
  double median_abs_error = 0;  ///< median of |pred / meas - 1|
  double p90_abs_error = 0;     ///< 90th percentile of |pred / meas - 1|
  double bias = 0;              ///< exp(median r) - 1: > 0 means predictions run high
  double coverage = 0;          ///< share of measurements inside [low, high]
};

/// The `p`-quantile (0..1) of `values`, linear between order statistics; 0 when empty.
double quantile(std::vector<double> values, double p);

/// Statistics of rows given as (predicted, measured, inside band) triples.
struct ScoredRow {
  double predicted = 0;
  double measured = 0;
  bool inside_band = false;
};
ErrorStats error_stats(std::span<const ScoredRow> rows);

// --- Fitting ----------------------------------------------------------------------------------

/// Options of fit_efficiency.
struct FitOptions {
  /// Only fit these classes (ids of the table; empty = every class with in-scope rows).
  std::vector<std::string> classes;
  /// Also fit the table-wide figures (weight-format factors, matmul_half_rows).
  bool globals = true;
  int rounds = 6;  ///< rounds of block coordinate descent (classes, then table-wide figures)
  /// Weight of the pull towards the prior, per unit of unconstrained parameter (logit of an
  /// efficiency, log of a cost or factor) squared, against the weighted Huber loss of the rows.
  /// 0.02 keeps the shipped fit near its physical starting figures where the rows are few (its
  /// cross-validated accuracy beat 0.001's: tg128 90th percentile 24.5% against 28.2%); 0 fits
  /// the rows alone.
  double prior_weight = 0.02;
};

/// Fits the realistic model to the in-scope rows, starting from `prior` (whose values also act
/// as a prior, see FitOptions::prior_weight). Minimizes a robust (Huber, 0.15)
/// loss of log residuals ln(measured / predicted); each row weighs 1 / sqrt(rows of its device
/// and test kind), so heavily sampled devices do not dominate. Per class: decode bandwidth
/// efficiency, per-layer cost and matmul efficiency (Nelder-Mead); table-wide: weight-format
/// factors and matmul_half_rows. Deterministic. Fills decode_rows, prefill_rows and devices;
/// spreads are left as in `prior` (see set_spreads).
EfficiencyTable fit_efficiency(std::span<const MappedMeasurement> rows,
                               const EfficiencyTable& prior, const FitOptions& options = {});

/// One held-out prediction of cross-validation.
struct HeldOut {
  std::size_t row = 0;      ///< index into the rows given
  Prediction prediction;    ///< through predict(), with the fold's table
  double log_residual = 0;  ///< ln(measured / predicted)
};

/// What cross-validation holds out at once.
enum class HoldOut {
  device,        ///< one device's rows (its siblings stay in the fit)
  generation,    ///< every device of one architecture generation (Apple M2, NVIDIA Ampere, ...)
  model_family,  ///< every row of one model family (Llama 2, Qwen3, gpt-oss, ...)
};
/// "device", "generation", "model-family".
std::string_view to_string(HoldOut by);
/// Every name parse_hold_out() accepts, in HoldOut order.
std::vector<std::string> hold_out_names();
std::optional<HoldOut> parse_hold_out(std::string_view text);

/// The family of a catalog model: its id up to the size ("llama-3.1-8b" -> "llama-3",
/// "qwen3-30b-a3b" -> "qwen3", "gpt-oss-20b" -> "gpt-oss"); minor versions are one family.
std::string model_family(std::string_view model_id);

/// The group `row` belongs to when holding out `by`.
std::string hold_out_group(const MappedMeasurement& row, HoldOut by);

/// Cross-validation: for every group of `by` (a device, a generation, a model family), refits
/// the table without the group's rows (the classes they use and the table-wide figures,
/// starting from `fitted`, pulled towards `prior`; a class left without rows takes the prior's
/// figures) and predicts them. Returns one entry per in-scope row, in row order.
std::vector<HeldOut> cross_validate(std::span<const MappedMeasurement> rows,
                                    const EfficiencyTable& prior, const EfficiencyTable& fitted,
                                    HoldOut by = HoldOut::generation);

/// A physical term of the realistic model that `ablate` can switch off, for the ablation
/// table: what each term buys under cross-validation.
enum class Term {
  kernel_path,   ///< NVIDIA prefill rate from the architecture's kernel path (else int8-equivalent)
  prefill_core,  ///< the vector-core work in series with NVIDIA's matrix-unit products
  moe_layer,     ///< the fixed cost of a mixture-of-experts layer
  power_limit,   ///< clocks under power limits (TDP per FLOP/s against the architecture's)
  dot_product,   ///< NVIDIA decode rate from dp4a (else the FP32 rate for every part)
  engine_era,    ///< earlier engines' kernels for rows of earlier builds (EngineEra)
  format_split,  ///< weight families split by work per weight (k_quant_high_bits, iq2_packed)
  class_rows,    ///< each class's own matmul_half_rows where its rows tell it apart
  narrow_simd,   ///< the decode bandwidth share of GPUs natively narrower than 16 lanes
  cpu_one_kernel,  ///< CPU decode factors started from prefill's for one-kernel formats
};
/// "kernel-path", "prefill-core", "moe-layer", "power-limit", "dot-product", "engine-era",
/// "format-split", "class-rows", "narrow-simd", "cpu-one-kernel".
std::string_view to_string(Term term);
/// Every Term's name, in declaration order.
std::vector<std::string> term_names();
std::optional<Term> parse_term(std::string_view text);

/// `prior` with `term` switched off (the form the model had before the term).
EfficiencyTable ablate(EfficiencyTable prior, Term term);

/// Sets each class's decode and prefill spreads to the 80th percentile of |log residual| of
/// its held-out rows (classes with fewer than 8 use the larger of theirs and all classes'), so
/// that about 80% of new measurements fall in the band.
void set_spreads(EfficiencyTable& table, std::span<const MappedMeasurement> rows,
                 std::span<const HeldOut> held_out);

/// The class a row's estimate uses under `table` (a profile, a class, or "default").
std::string resolved_class(const MappedMeasurement& row, const EfficiencyTable& table);

// --- Reports, refits and profiles ---------------------------------------------------------

/// Accuracy of `predictions` (parallel to `rows`; out-of-scope rows are skipped), for every
/// class and for "all": per test kind ("decode", "prefill", "pp+tg") and for the reference
/// tests "tg128" and "pp512" where present. Classes in table order, "all" last.
std::vector<AccuracyFigure> accuracy_figures(std::span<const MappedMeasurement> rows,
                                             std::span<const Prediction> predictions,
                                             const EfficiencyTable& table);

/// How a validation report presents its summary.
struct ValidationOptions {
  /// true: the accuracy figures and the unmapped rows are structured document fields
  /// ("accuracy", "unmapped"; JSON); false: they are notes, one line each (tables).
  bool structured = false;
  std::string method;  ///< a note on how the predictions were made
};

/// The validation report: one row per mapped measurement (device, class, model, quant, test,
/// measured, predicted, band, error, whether it is in scope and why not), then the accuracy
/// per class and test, the exclusions by reason, and every unmapped row with its reason.
Report validation_report(std::span<const MappedMeasurement> rows,
                         std::span<const Prediction> predictions,
                         std::span<const UnmappedMeasurement> unmapped,
                         const EfficiencyTable& table, const ValidationOptions& options);

/// Cross-validation of the whole procedure: fits the table to the rows from `prior`,
/// cross-validates it holding out `by`, and sets the band spreads from the held-out residuals
/// (leave-one-generation-out by default, so that the band holds on hardware of a new generation).
struct CrossValidation {
  EfficiencyTable table;                ///< fitted to every in-scope row, with spreads
  std::vector<Prediction> predictions;  ///< parallel to the rows: held-out predictions (bands
                                        ///< from `table`) for in-scope rows, `table`'s for others
};
CrossValidation cross_validation(std::span<const MappedMeasurement> rows,
                                 const EfficiencyTable& prior, HoldOut by = HoldOut::generation);

/// What refit_table records about its data.
struct RefitOptions {
  std::string source;     ///< the measurements' file, as it should be recorded
  std::string data_date;  ///< date of the data, YYYY-MM-DD
  std::string command;    ///< the command that reproduces the refit
};

/// Refits the whole table (the shipped data/efficiency.json) from `prior`: fit_efficiency,
/// leave-one-generation-out cross-validation, band spreads from the held-out residuals, and the
/// cross-validated accuracy and provenance recorded in the table.
EfficiencyTable refit_table(const MappingResult& mapped, const EfficiencyTable& prior,
                            const RefitOptions& options);

/// A calibration profile: one class per (device, backend) of the in-scope rows, starting from
/// the class `table` gives that device and fitted to its rows (table-wide figures fixed, a
/// tenth of the shipped fit's pull towards the starting class). Band
/// spreads are the 80th percentile of the in-sample |log residuals|, at least 0.05. Throws
/// Error when no row is in scope.
EfficiencyTable calibration_profile(std::span<const MappedMeasurement> rows,
                                    const EfficiencyTable& table, const std::string& source);

}  // namespace llmroof
