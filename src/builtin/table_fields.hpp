#pragma once

// Every field of the tables compiled into the program, in declaration order: one list that
// llmroof_datagen writes the tables with (TableWriter) and the program reads them back with
// (TableReader, table_stream.hpp), so that writer and reader cannot disagree on the layout.
//
// A field added to one of these structs must be added here too; the unit test
// "builtin tables equal the data files" (tests/unit/builtin/test_builtin_tables.cpp) compares
// the compiled-in tables with the data files parsed at run time and fails on a field left out.

#include <concepts>
#include <type_traits>

#include "llmroof/engine/efficiency.hpp"
#include "llmroof/hardware/hardware.hpp"
#include "llmroof/hardware/links.hpp"
#include "llmroof/hardware/products.hpp"
#include "llmroof/model/model_spec.hpp"

namespace llmroof::table_fields {

/// `T` is `U` or `const U`: each list below serves the writer (const) and the reader.
template <class T, class U>
concept Of = std::same_as<std::remove_const_t<T>, U>;

template <class V, Of<CpuSpec> T>
void fields(V& v, T& c) {
  v(c.cores), v(c.isa), v(c.fp32_flops_per_s), v(c.mem_bw_bytes_per_s), v(c.source);
  v(c.performance_cores), v(c.performance_cores_source);
}

template <class V, Of<ThreadRates> T>
void fields(V& v, T& r) {
  v(r.threads), v(r.read_bytes_per_s), v(r.fp32_flops_per_s);
}

template <class V, Of<DeviceSources> T>
void fields(V& v, T& s) {
  v(s.memory), v(s.compute), v(s.power_price);
}

template <class V, Of<ChipArchitecture> T>
void fields(V& v, T& a) {
  v(a.id), v(a.generation), v(a.name), v(a.compute_capability), v(a.capabilities), v(a.source);
  v(a.mma_sync_fraction), v(a.mma_sync_source), v(a.native_simd_width), v(a.native_simd_source);
  v(a.reference_joules_per_flop);
}

template <class V, Of<Device> T>
void fields(V& v, T& d) {
  v(d.id), v(d.aliases), v(d.vendor), v(d.name), v(d.kind), v(d.segment), v(d.architecture);
  v(d.arch), v(d.backend), v(d.memory_sizes_bytes), v(d.memory_type), v(d.bus_width_bits);
  v(d.mem_bw_bytes_per_s), v(d.peak_flops_per_s), v(d.matrix_fp16_flops_per_s);
  v(d.npu_ops_per_s), v(d.gpu_cores), v(d.cpu_isa), v(d.cpu_cores), v(d.cpu_threads);
  v(d.cpu_performance_cores), v(d.cpu_performance_cores_source), v(d.cpu), v(d.tdp_w);
  v(d.launch_year), v(d.launch_price_usd), v(d.smallest_memory_price_usd), v(d.price_note),
      v(d.sources), v(d.verification);
  v(d.notes), v(d.origin), v(d.configuration_of), v(d.mem_bw_kind), v(d.fp32_kind);
  v(d.measured_date), v(d.measured_method), v(d.measured_per_thread);
}

template <class V, Of<FamilyAlias> T>
void fields(V& v, T& f) {
  v(f.alias), v(f.device), v(f.covers), v(f.note);
}

template <class V, Of<DeviceDb> T>
void fields(V& v, T& db) {
  v(db.schema_version), v(db.devices), v(db.families), v(db.architectures);
}

template <class V, Of<DeviceProvenance> T>
void fields(V& v, T& p) {
  v(p.sources), v(p.verification), v(p.notes), v(p.price_note);
}

template <class V, Of<MemoryConfiguration> T>
void fields(V& v, T& c) {
  v(c.device), v(c.memory_bytes), v(c.launch_price_usd), v(c.source), v(c.is_default);
}

template <class V, Of<Product> T>
void fields(V& v, T& p) {
  v(p.id), v(p.name), v(p.aliases), v(p.configurations);
}

template <class V, Of<ProductDb> T>
void fields(V& v, T& db) {
  v(db.schema_version), v(db.products);
}

template <class V, Of<MoeSpec> T>
void fields(V& v, T& m) {
  v(m.experts), v(m.experts_used), v(m.shared_experts), v(m.expert_intermediate);
  v(m.shared_expert_intermediate), v(m.dense_layers_first), v(m.dense_intermediate);
}

template <class V, Of<MlaSpec> T>
void fields(V& v, T& m) {
  v(m.q_lora_rank), v(m.kv_lora_rank), v(m.qk_rope_head_dim), v(m.qk_nope_head_dim);
  v(m.v_head_dim);
}

template <class V, Of<ModelSpec> T>
void fields(V& v, T& m) {
  v(m.id), v(m.name), v(m.aliases), v(m.architecture), v(m.total_params), v(m.active_params);
  v(m.official_params), v(m.layers), v(m.hidden), v(m.heads), v(m.kv_heads), v(m.head_dim);
  v(m.intermediate), v(m.vocab), v(m.tied_embeddings), v(m.attention), v(m.sliding_window);
  v(m.sliding_window_layers), v(m.max_context), v(m.torch_dtype), v(m.published_quant);
  v(m.moe), v(m.mla), v(m.kv_heads_per_layer), v(m.source), v(m.params_source), v(m.notes);
  v(m.assumed_fields), v(m.generic_size);
}

template <class V, Of<OllamaTag> T>
void fields(V& v, T& t) {
  v(t.tag), v(t.model), v(t.quant), v(t.source), v(t.checked);
}

template <class V, Of<ModelCatalog> T>
void fields(V& v, T& c) {
  v(c.schema_version), v(c.models), v(c.ollama_tags);
}

template <class V, Of<EfficiencyClass> T>
void fields(V& v, T& c) {
  v(c.id), v(c.description), v(c.prefill_peak), v(c.decode_peak), v(c.decode_bw_efficiency);
  v(c.decode_per_layer_s), v(c.decode_flops_efficiency), v(c.prefill_flops_efficiency);
  v(c.prefill_core_ops_per_flop), v(c.matmul_half_rows), v(c.vector_batch_max), v(c.batch_kernels);
  v(c.batch_source), v(c.decode_log_spread), v(c.prefill_log_spread), v(c.decode_rows);
  v(c.prefill_rows), v(c.devices), v(c.basis), v(c.device), v(c.backend);
}

template <class V, Of<BatchKernel> T>
void fields(V& v, T& k) {
  v(k.types), v(k.from_batch);
}

template <class V, Of<WeightFormat> T>
void fields(V& v, T& f) {
  v(f.id), v(f.types), v(f.cpu_factor), v(f.cpu_decode_factor), v(f.gpu_factor), v(f.basis),
      v(f.cpu_vec_dot_only), v(f.cpu_vec_dot_source);
}

template <class V, Of<FitRecord> T>
void fields(V& v, T& r) {
  v(r.source), v(r.data_date), v(r.command), v(r.rows), v(r.rows_used), v(r.rows_excluded);
  v(r.rows_unmapped), v(r.devices);
}

template <class V, Of<AccuracyFigure> T>
void fields(V& v, T& a) {
  v(a.class_id), v(a.test), v(a.rows), v(a.median_abs_error), v(a.p90_abs_error), v(a.bias);
  v(a.coverage);
}

template <class V, Of<EfficiencyTable> T>
void fields(V& v, T& t) {
  v(t.schema_version), v(t.description), v(t.matmul_half_rows), v(t.ubatch_tokens);
  v(t.moe_layer_s), v(t.power_limit_exponent), v(t.narrow_simd_exponent), v(t.formats);
  v(t.fitted_on), v(t.accuracy);
  v(t.classes), v(t.eras);
}

template <class V, Of<EngineEra> T>
void fields(V& v, T& e) {
  v(e.backend), v(e.before_build), v(e.prefill_path), v(e.source);
}

template <class V, Of<Link> T>
void fields(V& v, T& l) {
  v(l.id), v(l.aliases), v(l.name), v(l.bandwidth_bytes_per_s), v(l.latency_s);
  v(l.bandwidth_source), v(l.latency_source), v(l.notes);
}

template <class V, Of<LinkDb> T>
void fields(V& v, T& db) {
  v(db.schema_version), v(db.description), v(db.links);
}

}  // namespace llmroof::table_fields
