#pragma once

#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmroof {

/// What kind of part runs the model; decides defaults such as usable memory and the
/// realistic-efficiency class.
enum class DeviceKind { gpu, igpu, apple_soc, soc, cpu };

/// Arithmetic precision of the matrix multiplications (the compute roof).
enum class Precision { fp32, fp16, bf16, fp8, int8, int4 };
inline constexpr std::size_t k_precision_count = 6;

/// "gpu", "igpu", "apple-soc", "soc", "cpu".
std::string_view to_string(DeviceKind kind);
std::optional<DeviceKind> parse_device_kind(std::string_view text);
/// "fp32", "fp16", "bf16", "fp8", "int8", "int4".
std::string_view to_string(Precision precision);
std::optional<Precision> parse_precision(std::string_view text);

/// The host CPU of a SoC or GPU machine, for CPU-backend estimates.
struct CpuSpec {
  int cores = 0;
  std::string isa;                ///< e.g. "arm64-neon-i8mm", "x86-avx512"
  double fp32_flops_per_s = 0;    ///< peak FP32 of all cores
  double mem_bw_bytes_per_s = 0;  ///< what the CPU cluster can draw; 0 = the device's bandwidth
  std::string source;
  /// Performance cores of a hybrid CPU (Apple's P-cores), the cores llama.cpp's default thread
  /// count uses; 0 = every core is one kind. <= cores.
  int performance_cores = 0;
  std::string performance_cores_source;  ///< URL(s); empty when performance_cores is 0
  /// Field by field.
  bool operator==(const CpuSpec&) const = default;
};

/// What a device figure is: the vendor's peak, or a sustained rate measured on the machine.
enum class FigureKind { vendor_peak, measured_sustained };

/// Rates measured at one thread count (llmroof probe), base units.
struct ThreadRates {
  int threads = 0;              ///< >= 1
  double read_bytes_per_s = 0;  ///< sustained streaming read, > 0
  double fp32_flops_per_s = 0;  ///< FP32 FMA throughput, > 0
  /// Field by field.
  bool operator==(const ThreadRates&) const = default;
};

/// Where each group of numbers of a device comes from (URLs).
struct DeviceSources {
  std::string memory;
  std::string compute;
  std::string power_price;
  /// Field by field.
  bool operator==(const DeviceSources&) const = default;
};

/// A chip architecture: the generation cross-validation holds out as one, and the capability
/// flags llama.cpp's kernels choose their paths by (data/devices.json "architectures").
struct ChipArchitecture {
  std::string id;          ///< "nvidia-ampere-ga100"
  std::string generation;  ///< "nvidia-ampere": GA100 and GA10x are one generation
  std::string name;
  double compute_capability = 0;          ///< NVIDIA CUDA compute capability (8.6); 0 = not NVIDIA
  std::vector<std::string> capabilities;  ///< dp4a, fast_fp16, fp16_matrix, int8_matrix, ...
  std::string source;
  /// Share of the listed dense matrix peak that the warp-level mma.sync instructions reach,
  /// (0, 1]: llama.cpp's MMQ kernels issue mma.sync, while Hopper's peak needs wgmma (about
  /// 2/3 there). 1 = the listed peak is the kernels' peak.
  double mma_sync_fraction = 1;
  std::string mma_sync_source;  ///< URL(s) for mma_sync_fraction; empty when it is 1
  /// Lanes the vector engine executes natively (Intel Xe: 8, Xe2: 16), 0 = not stated. A GPU
  /// below 16 runs llama.cpp's matrix-vector shaders, written for 16- to 64-wide subgroups, at
  /// a share of the bandwidth its class reaches (EfficiencyTable::narrow_simd_exponent).
  int native_simd_width = 0;
  std::string native_simd_source;  ///< URL(s) for native_simd_width; empty when it is 0
  /// Board power per FP32 FLOP/s of the architecture's typical part (J/FLOP at the power
  /// limit): the median of tdp_w / FP32 peak over its desktop devices in the database that
  /// defines it (all its devices when none is a desktop part); 0 when none lists a TDP. Derived
  /// at load; a part far below it cannot hold its boost clock through a long matmul.
  double reference_joules_per_flop = 0;

  /// Whether the architecture has capability `flag` ("int8_matrix").
  [[nodiscard]] bool has(std::string_view flag) const;
  /// Field by field.
  bool operator==(const ChipArchitecture&) const = default;
};

/// One device of the hardware database, in base units (converted from datasheet units at load).
struct Device {
  std::string id;
  std::vector<std::string> aliases;
  std::string vendor;
  std::string name;
  DeviceKind kind = DeviceKind::gpu;
  std::string segment;  ///< datacenter, workstation, desktop, laptop, edge, phone, sbc, server
  /// Id of its chip architecture ("" = not stated: a user's device); `arch` is that entry,
  /// resolved when the database is built (empty id when unknown or unstated).
  std::string architecture;
  ChipArchitecture arch;
  std::string backend;  ///< usual llama.cpp backend: cuda, rocm, metal, vulkan, sycl, cpu, opencl
  std::vector<double> memory_sizes_bytes;  ///< every configuration sold, ascending
  std::string memory_type;
  int bus_width_bits = 0;
  double mem_bw_bytes_per_s = 0;  ///< vendor peak memory bandwidth, > 0
  /// Dense peak per Precision (FLOP/s or OP/s); 0 where the part has no native support.
  std::array<double, k_precision_count> peak_flops_per_s{};
  /// Dense FP16 rate of matrix units that the vector figures above leave out (Apple M5/A19
  /// GPU neural accelerators), FLOP/s, FP32 accumulate; 0 = none beyond peak(fp16).
  double matrix_fp16_flops_per_s = 0;
  double npu_ops_per_s = 0;  ///< vendor NPU figure, informational only (never a roof)
  int gpu_cores = 0;
  std::string cpu_isa;  ///< for kind cpu
  int cpu_cores = 0;
  int cpu_threads = 0;
  /// For kind cpu: performance cores of a hybrid CPU (Intel's P-cores), the cores llama.cpp's
  /// default thread count uses; 0 = every core is one kind. <= cpu_cores.
  int cpu_performance_cores = 0;
  std::string cpu_performance_cores_source;  ///< URL(s); empty when cpu_performance_cores is 0
  std::optional<CpuSpec> cpu;
  double tdp_w = 0;  ///< 0 = not published
  int launch_year = 0;
  std::optional<double> launch_price_usd;
  /// The launch price with the smallest of memory_sizes_bytes, for an Apple SoC in several sizes
  /// that no product configuration prices: Apple lists a chip with its base machine's memory,
  /// so that price is the smallest size's, and launch_price_usd (the row is sized at the
  /// largest) is none. nullopt elsewhere. Set when configurations are applied.
  std::optional<double> smallest_memory_price_usd;
  std::string price_note;
  DeviceSources sources;
  std::string verification;  ///< V (read in a source), K (vendor page, known value), D (derived)
  std::string notes;
  std::string origin;  ///< file the entry was loaded from
  /// For a memory configuration (products.json): the chip's device id; "" for a chip.
  /// Configurations are selected by name only, never by a filter or "all".
  std::string configuration_of;
  FigureKind mem_bw_kind = FigureKind::vendor_peak;  ///< what mem_bw_bytes_per_s is
  FigureKind fp32_kind = FigureKind::vendor_peak;    ///< what the FP32 peak is
  std::string measured_date;                         ///< YYYY-MM-DD when measured, else ""
  std::string measured_method;
  std::vector<ThreadRates> measured_per_thread;  ///< ascending threads; empty = not measured

  /// Largest memory configuration in bytes (0 if none is listed).
  double max_memory_bytes() const;
  /// Peak at `precision`, 0 when unsupported.
  double peak(Precision precision) const {
    return peak_flops_per_s[static_cast<std::size_t>(precision)];
  }
  /// The compute roof at `precision`: peak(), raised to the FP16 matrix rate for FP16 and
  /// BF16 where the matrix units are faster than the vector figures; for INT8 on a part that
  /// lists none but has dp4a (Pascal GP10x, RDNA 2, Xe-LPG), the dot products' 4 x FP32
  /// (NVIDIA's Tesla P40: 47 TOPS at 11.76 FP32 TFLOPS), FLOP/s.
  double roof_peak(Precision precision) const {
    const double p = peak(precision);
    if (precision == Precision::int8 && !(p > 0) && arch.has("dp4a")) {
      return 4.0 * peak(Precision::fp32);
    }
    return (precision == Precision::fp16 || precision == Precision::bf16) && p > 0
               ? std::max(p, matrix_fp16_flops_per_s)
               : p;
  }
  /// Field by field.
  bool operator==(const Device&) const = default;
};

/// A name that covers several variants (bins, memory sizes) and resolves to a documented default.
struct FamilyAlias {
  std::string alias;
  std::string device;               ///< the default variant's id
  std::vector<std::string> covers;  ///< every variant's id
  std::string note;
  /// Field by field.
  bool operator==(const FamilyAlias&) const = default;
};

/// The hardware database: shipped devices plus any user --device-file entries.
struct DeviceDb {
  int schema_version = 0;
  std::vector<Device> devices;
  std::vector<FamilyAlias> families;
  std::vector<ChipArchitecture> architectures;
  /// The one-size copies "CHIP@SIZE" names for a chip in several sizes that no configuration
  /// covers (sized_part), made when first named; a deque, so that matches stay valid.
  mutable std::deque<Device> sized_parts;
  /// Field by field, but for sized_parts (a cache of what the fields imply).
  bool operator==(const DeviceDb& other) const {
    return schema_version == other.schema_version && devices == other.devices &&
           families == other.families && architectures == other.architectures;
  }
};

/// For `chip`, listed in several memory sizes and sold as no configuration in `db`: its copy
/// with the one size `memory_bytes` (to within a byte), id "<chip>@<N>gb", `configuration_of`
/// the chip's id, priced as that size (an Apple SoC: its smallest_memory_price_usd at the
/// smallest size, else none; another part: its own price, memory bought apart). nullptr for
/// any other device or size. Made once per size and kept in db.sized_parts.
const Device* sized_part(const DeviceDb& db, const Device& chip, double memory_bytes);

/// The architecture with id `id`, nullptr when `db` has none.
const ChipArchitecture* find_architecture(const DeviceDb& db, std::string_view id);

/// The cross-validation generation of `device`: its architecture's generation, else its
/// architecture id, else "<vendor>-<kind>" for a device that names none.
std::string device_generation(const Device& device);

/// Provenance of one device's figures (data/device-sources.json, or inline in a user's file).
struct DeviceProvenance {
  DeviceSources sources;
  std::string verification;
  std::string notes;
  std::string price_note;
  /// Field by field.
  bool operator==(const DeviceProvenance&) const = default;
};

/// Parses and validates a provenance file: device id -> provenance, in file order.
std::vector<std::pair<std::string, DeviceProvenance>> parse_device_sources(
    std::string_view text, const std::string& display_name);

/// Fills in the provenance of `db`'s devices from `provenance`. Returns the problems: a shipped
/// device (one without inline sources) that has no entry, or an entry for an unknown device.
std::vector<std::string> attach_device_sources(
    DeviceDb& db, const std::vector<std::pair<std::string, DeviceProvenance>>& provenance);

/// Parses and validates a devices file (the schema of data/schema/devices.schema.json).
/// `display_name` is used in messages. Throws DataError listing every problem with its line.
DeviceDb parse_devices(std::string_view text, const std::string& display_name);

/// Adds `extra` to `db` in time linear in their sizes; an entry whose id already exists replaces
/// the earlier one. Returns the ids of devices already in `db` that `extra` replaced, in order.
/// Throws DataError when an id or alias of `extra` collides with a different device.
std::vector<std::string> merge_devices(DeviceDb& db, DeviceDb extra);

/// Cross-entry checks of a whole database: unique ids and aliases after normalization,
/// family aliases pointing at existing devices. Returns the problems, empty when valid.
std::vector<std::string> check_device_db(const DeviceDb& db);

/// A device found by name; `family` is set when a family alias chose a default variant.
struct DeviceMatch {
  const Device* device = nullptr;
  const FamilyAlias* family = nullptr;
};

/// Finds a device by id or alias (case, spaces, dashes, dots ignored); nullopt when unknown.
std::optional<DeviceMatch> find_device(const DeviceDb& db, std::string_view name);

/// Resolves a device request (the CLI's --device): comma-separated names, "all", or a filter by
/// vendor
/// ("apple", "nvidia"), kind ("gpu", "cpu", "apple-soc") or segment ("laptop", "datacenter").
/// Throws RequestError on `field` (the request field the spec came from) naming the unknown part,
/// with the closest ids as suggestions, or an empty name.
std::vector<DeviceMatch> select_devices(const DeviceDb& db, std::string_view spec,
                                        std::string_view field = "device");

/// The llama.cpp backends `device` can run: its usual backend, Vulkan on a GPU or SoC whose
/// usual backend is cuda, rocm, sycl, vulkan or opencl (llama.cpp's Vulkan backend covers
/// NVIDIA, AMD, Intel and Adreno GPUs; Apple GPUs run Metal), and cpu where the data names the
/// CPU (a CPU device, or a machine with a host CPU entry).
std::vector<std::string> runnable_backends(const Device& device);

/// Throws RequestError on "backend" when `backend` (non-empty) is not one `device` can run,
/// listing the ones it can. An empty backend means the device's usual one and always passes.
/// `hosts` (optional): the database whose CPU devices are suggested as --host when a device
/// without a host CPU in the data is asked for the cpu backend (looked at only then).
void require_backend(const Device& device, std::string_view backend,
                     const DeviceDb* hosts = nullptr);

/// Up to four CPU devices of `db` (desktop, workstation and server parts) to name as examples
/// of a --host.
std::vector<std::string> cpu_host_examples(const DeviceDb& db);

}  // namespace llmroof
