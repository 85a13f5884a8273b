#include "llmroof/scenarios/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "llmroof/engine/engine_model.hpp"
#include "llmroof/physics/roofline.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/util/errors.hpp"
#include "llmroof/util/numbers.hpp"
#include "llmroof/util/units.hpp"

namespace llmroof {

// --- lists and ranges ---------------------------------------------------------------------

namespace {

// One item of a list: start, end, and either an additive step or a factor.
struct RangeItem {
  std::int64_t start = 0;
  std::int64_t end = 0;
  std::int64_t step = 1;    ///< arithmetic step (factor == 0)
  std::int64_t factor = 0;  ///< geometric factor; 0 = arithmetic
};

constexpr std::string_view k_syntax_hint =
    "expected a whole number, a list (1,2,4) or a range (1..256x2, 0..32768+4096)";

RangeItem parse_item(std::string_view item, std::string_view field) {
  auto bad = [&](std::string_view why) {
    return RequestError(std::string(field),
                        fmt::format("bad {{{}}} value '{}': {}", field, item, why));
  };
  const std::size_t dots = item.find("..");
  if (dots == std::string_view::npos) {
    const auto value = to_int64(item);
    if (!value) {
      throw bad(k_syntax_hint);
    }
    return {*value, *value, 1, 0};
  }
  RangeItem range;
  const auto start = to_int64(trim(item.substr(0, dots)));
  std::string_view rest = item.substr(dots + 2);
  const std::size_t op = rest.find_first_of("x+");
  const auto end = to_int64(trim(rest.substr(0, op)));
  if (!start || !end) {
    throw bad(k_syntax_hint);
  }
  range.start = *start;
  range.end = *end;
  if (op != std::string_view::npos) {
    const auto by = to_int64(trim(rest.substr(op + 1)));
    if (!by) {
      throw bad(k_syntax_hint);
    }
    if (rest[op] == '+') {
      if (*by < 1) {
        throw bad("the step after '+' must be at least 1");
      }
      range.step = *by;
    } else {
      if (*by < 2) {
        throw bad("the factor after 'x' must be at least 2");
      }
      range.factor = *by;
    }
  }
  if (range.start > range.end) {
    throw bad(fmt::format("the range runs backwards ({} > {})", range.start, range.end));
  }
  if (range.factor > 0 && range.start < 1) {
    throw bad("a geometric range must start at 1 or more");
  }
  return range;
}

// Values an item gives, counted without generating them.
std::int64_t item_count(const RangeItem& r) {
  if (r.factor == 0) {
    return (r.end - r.start) / r.step + 1;
  }
  std::int64_t count = 0;
  for (std::int64_t v = r.start; v <= r.end; ++count) {
    if (v > r.end / r.factor) {
      return count + 1;  // the next value would pass the end (or overflow)
    }
    v *= r.factor;
  }
  return count;
}

}  // namespace

std::vector<std::int64_t> parse_sweep_list(std::string_view text, std::string_view field,
                                           std::int64_t min_value, std::int64_t max_value) {
  if (trim(text).empty()) {
    throw RequestError(
        std::string(field),
        fmt::format("{{{}}} needs at least one value, e.g. 1,2,4 or 1..64x2", field));
  }
  std::vector<RangeItem> items;
  std::int64_t total = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item =
        trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) {
      throw RequestError(std::string(field),
                         fmt::format("bad {{{}}} list '{}': empty item", field, text));
    }
    const RangeItem range = parse_item(item, field);
    for (std::int64_t bound : {range.start, range.end}) {
      if (bound < min_value || bound > max_value) {
        throw RequestError(std::string(field),
                           fmt::format("{{{}}} value {} is out of range ({} to {})", field, bound,
                                       min_value, max_value));
      }
    }
    total += item_count(range);
    if (total > static_cast<std::int64_t>(k_max_sweep_points)) {
      throw RequestError(std::string(field),
                         fmt::format("{{{}}} '{}' gives more than {} values; use a larger step",
                                     field, text, k_max_sweep_points));
    }
    items.push_back(range);
  }
  std::vector<std::int64_t> values;
  values.reserve(static_cast<std::size_t>(total));
  for (const auto& r : items) {
    for (std::int64_t v = r.start; v <= r.end;) {
      values.push_back(v);
      if (r.factor > 0) {
        if (v > r.end / r.factor) {
          break;
        }
        v *= r.factor;
      } else {
        if (v > r.end - r.step) {
          break;
        }
        v += r.step;
      }
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// --- memory limits ------------------------------------------------------------------------

namespace {

bool fits_with(double weights_bytes, double kv_bytes, double available_bytes) {
  return memory_fit(weights_bytes, kv_bytes, available_bytes).fits;
}

// The analytic answer can be off by one where rounding meets the boundary: step to the largest
// value >= 0 that fits (a few steps at most; bounded so a flat curve cannot loop).
template <typename Fits>
std::int64_t settle(std::int64_t value, const Fits& fits) {
  value = std::max<std::int64_t>(0, value);
  for (int i = 0; i < 16 && value > 0 && !fits(value); ++i) {
    --value;
  }
  for (int i = 0; i < 16 && fits(value + 1); ++i) {
    ++value;
  }
  return value;
}

}  // namespace

FitLimit max_batch_that_fits(const ModelSpec& model, double weights_bytes, double available_bytes,
                             double tokens_per_sequence, double kv_bytes_per_element) {
  const MemoryFit empty = memory_fit(weights_bytes, 0, available_bytes);
  if (!empty.fits) {
    return {std::int64_t{0}, false};
  }
  const double per_sequence = kv_cache_bytes(model, tokens_per_sequence, kv_bytes_per_element);
  if (!(per_sequence > 0)) {
    return {std::nullopt, true};
  }
  auto fits = [&](std::int64_t batch) {
    return fits_with(weights_bytes, static_cast<double>(batch) * per_sequence, available_bytes);
  };
  // Linear in the batch: the quotient, settled against rounding.
  return {settle(static_cast<std::int64_t>(std::floor(empty.margin_bytes / per_sequence)), fits),
          false};
}

FitLimit max_tokens_that_fit(const ModelSpec& model, double weights_bytes, double available_bytes,
                             std::int64_t batch, double kv_bytes_per_element) {
  const double sequences = static_cast<double>(std::max<std::int64_t>(1, batch));
  auto fits = [&](std::int64_t tokens) {
    const double kv =
        sequences * kv_cache_bytes(model, static_cast<double>(tokens), kv_bytes_per_element);
    return fits_with(weights_bytes, kv, available_bytes);
  };
  if (!fits(0)) {
    return {};
  }
  // kv(t) = bytes * batch * (full * t + windowed * min(t, window)): invert the piece it lands in.
  const KvShape shape = kv_shape(model);
  const double scale = kv_bytes_per_element * sequences;
  const double full = shape.full_elements_per_token * scale;
  const double windowed = shape.window_tokens > 0 ? shape.window_elements_per_token * scale : 0.0;
  const double window = shape.window_tokens;
  const double budget = memory_fit(weights_bytes, 0, available_bytes).margin_bytes;
  if (!(full > 0) && budget >= windowed * window) {
    return {std::nullopt, true};  // nothing grows past the window, and full windows fit
  }
  const double tokens = windowed > 0 && budget <= (full + windowed) * window
                            ? budget / (full + windowed)
                            : (budget - windowed * window) / full;
  return {settle(static_cast<std::int64_t>(std::floor(tokens)), fits), false};
}

// --- sweeps -------------------------------------------------------------------------------

namespace {

// Tokens each sequence holds beyond its context: the prompt and the generated tokens
// (estimate's memory rule).
std::int64_t extra_tokens(const EstimateOptions& o) {
  return std::llround(o.prompt_tokens + o.generate_tokens);
}

// The three limits, from one estimate's memory figures.
SweepLimits solve_limits(const ModelInput& model, const EstimateOptions& base,
                         const EstimateResult& anchor, std::int64_t critical_context,
                         std::int64_t longest_context, std::int64_t largest_batch) {
  SweepLimits limits;
  limits.critical_batch = anchor.critical_batch;
  limits.critical_batch_context_tokens = critical_context;
  const double weights = anchor.fit.weights_bytes;
  const double available = anchor.fit.available_bytes;
  const std::int64_t extra = extra_tokens(base);
  limits.max_batch_context_tokens = longest_context;
  limits.max_batch =
      max_batch_that_fits(model.spec, weights, available,
                          static_cast<double>(longest_context + extra), base.kv_bytes_per_element);
  limits.max_context_batch = largest_batch;
  const FitLimit tokens =
      max_tokens_that_fit(model.spec, weights, available, largest_batch, base.kv_bytes_per_element);
  limits.max_context = tokens;
  if (tokens.value) {
    limits.max_context.value = *tokens.value - extra;
    if (*limits.max_context.value < 0) {
      limits.max_context.value.reset();  // the prompt and generated tokens alone do not fit
    }
  }
  return limits;
}

void check_list(const std::vector<std::int64_t>& values, std::string_view what) {
  if (values.empty()) {
    throw UsageError(fmt::format("a sweep needs at least one {}", what));
  }
  if (values.size() > k_max_sweep_points) {
    throw UsageError(fmt::format("a sweep takes at most {} {} values", k_max_sweep_points, what));
  }
}

}  // namespace

SweepResult sweep(const Device& device, const ModelInput& model, const SweepOptions& options,
                  const EfficiencyTable& efficiency) {
  check_list(options.batches, "batch");
  check_list(options.contexts, "context");
  const std::size_t count = options.batches.size() * options.contexts.size();
  if (count > k_max_sweep_points) {
    throw UsageError(fmt::format("the sweep has {} points ({} batches x {} contexts); at most {}",
                                 count, options.batches.size(), options.contexts.size(),
                                 k_max_sweep_points));
  }
  SweepResult result;
  result.points.reserve(count);
  for (std::int64_t context : options.contexts) {
    for (std::int64_t batch : options.batches) {
      EstimateOptions at = options.base;
      at.batch = static_cast<int>(batch);
      at.context_tokens = static_cast<double>(context);
      result.points.push_back({batch, context, estimate(device, model, at, efficiency)});
    }
  }
  // The first point sits at the smallest context, where the critical batch is read.
  result.limits =
      solve_limits(model, options.base, result.points.front().estimate, options.contexts.front(),
                   options.contexts.back(), options.batches.back());
  return result;
}

namespace {

// The bytes and FLOPs of prefilling `users` prompts in one batch, from one prompt's prefill:
// weights are read once for the whole batch, each sequence adds its FLOPs and its KV cache.
PrefillResult batched_prefill(const ModelInput& model, const Roofs& roofs,
                              const EstimateOptions& base, std::int64_t users) {
  const PrefillResult one = prefill(model.spec, model.weights, roofs, base.prompt_tokens,
                                    base.context_tokens, base.kv_bytes_per_element);
  const double n = static_cast<double>(users);
  PrefillResult all;
  all.flops = n * one.flops;
  all.bytes =
      one.bytes + (n - 1.0) * kv_cache_bytes(model.spec, base.context_tokens + base.prompt_tokens,
                                             base.kv_bytes_per_element);
  all.memory_seconds = all.bytes / roofs.mem_bw_bytes_per_s;
  all.compute_seconds = all.flops / roofs.peak_flops_per_s;
  all.compute_bound = all.compute_seconds >= all.memory_seconds;
  all.seconds = std::max(all.memory_seconds, all.compute_seconds);
  all.tokens_per_s = n * base.prompt_tokens / all.seconds;
  return all;
}

}  // namespace

ParallelResult parallel_sweep(const Device& device, const ModelInput& model,
                              const ParallelOptions& options, const EfficiencyTable& efficiency) {
  check_list(options.users, "user count");
  if (options.base.generate_tokens < 1) {
    throw RequestError("generate",
                       "the parallel view needs {generate} of at least 1 token per user");
  }
  const EstimateOptions& base = options.base;
  ParallelResult result;
  for (std::int64_t users : options.users) {
    // Decoding starts once every prompt is in the cache.
    EstimateOptions decode = base;
    decode.batch = static_cast<int>(users);
    decode.context_tokens = base.context_tokens + base.prompt_tokens;
    decode.prompt_tokens = 0;
    ParallelRun run;
    run.users = users;
    run.decode = estimate(device, model, decode, efficiency);
    if (base.prompt_tokens > 0) {
      run.prefill = batched_prefill(model, run.decode.roofs, base, users);
      if (base.ideal) {
        run.time_to_first_token_s = run.prefill->seconds;
      } else {
        // As estimate() models one prompt, with every user's tokens in the engine's passes.
        const EngineModel engine = engine_model(
            efficiency, device, base.backend, model.spec, model.weights, run.decode.roofs,
            run.decode.precision, static_cast<double>(users) * base.prompt_tokens);
        run.time_to_first_token_s = engine.prefill_seconds(*run.prefill);
      }
    }
    const double n = static_cast<double>(users);
    run.generate_seconds = run.decode.generate_seconds;
    run.tokens_per_s = base.generate_tokens / run.generate_seconds;
    run.aggregate_tokens_per_s = n * run.tokens_per_s;
    run.end_to_end_seconds = run.time_to_first_token_s + run.generate_seconds;
    run.total_tokens_per_s =
        n * (base.prompt_tokens + base.generate_tokens) / run.end_to_end_seconds;
    result.runs.push_back(std::move(run));
  }
  const auto context = std::llround(base.context_tokens);
  result.limits =
      solve_limits(model, base, result.runs.front().decode,
                   context + std::llround(base.prompt_tokens), context, options.users.back());
  return result;
}

// --- reports ------------------------------------------------------------------------------

namespace {

Cell real(double v) { return Cell{v}; }
Cell whole(std::int64_t v) { return Cell{v}; }
Cell limit_cell(const FitLimit& limit) { return limit.value ? Cell{*limit.value} : Cell{}; }

Column col(std::string id, std::string title, CellKind kind, HumanUnit unit, bool human,
           int precision = 2) {
  return Column{std::move(id), std::move(title), kind, unit, precision, human};
}

template <typename Row>
struct ColumnDef {
  Column column;
  Cell (*value)(const Row&, const EstimateOptions&);
};

bool is_moe(const ModelInput& model) { return model.weights.experts > 0; }

// Fields of the sweep grid. Rows of this table are the JSON/CSV schema; keep ids stable.
const std::vector<ColumnDef<SweepPoint>>& grid_columns() {
  using K = CellKind;
  using U = HumanUnit;
  using P = SweepPoint;
  using O = EstimateOptions;
  static const std::vector<ColumnDef<SweepPoint>> defs = {
      {col("batch", "batch", K::integer, U::none, true),
       [](const P& p, const O&) { return whole(p.batch); }},
      {col("context_tokens", "context", K::integer, U::none, true),
       [](const P& p, const O&) { return whole(p.context_tokens); }},
      {col("tokens_per_s", "per seq", K::real, U::tokens_per_s, true),
       [](const P& p, const O&) { return real(p.estimate.tokens_per_s); }},
      {col("tokens_per_s_low", "low", K::real, U::tokens_per_s, false),
       [](const P& p, const O&) { return real(p.estimate.tokens_per_s_low); }},
      {col("tokens_per_s_high", "high", K::real, U::tokens_per_s, false),
       [](const P& p, const O&) { return real(p.estimate.tokens_per_s_high); }},
      {col("aggregate_tokens_per_s", "total", K::real, U::tokens_per_s, true),
       [](const P& p, const O&) { return real(p.estimate.aggregate_tokens_per_s); }},
      {col("ideal_tokens_per_s", "ideal/seq", K::real, U::tokens_per_s, false),
       [](const P& p, const O&) { return real(p.estimate.step.tokens_per_s); }},
      {col("ideal_aggregate_tokens_per_s", "ideal total", K::real, U::tokens_per_s, false),
       [](const P& p, const O&) { return real(p.estimate.step.aggregate_tokens_per_s); }},
      {col("bound", "bound", K::text, U::none, true),
       [](const P& p, const O&) {
         return Cell{std::string(p.estimate.step.compute_bound ? "compute" : "memory")};
       }},
      {col("weights_read_bytes", "weights read", K::real, U::bytes_gib, true),
       [](const P& p, const O&) { return real(p.estimate.step.weights_read_bytes); }},
      {col("kv_read_bytes", "KV read", K::real, U::bytes_gib, true),
       [](const P& p, const O&) { return real(p.estimate.step.kv_read_bytes); }},
      {col("kv_read_share", "KV share", K::real, U::ratio_percent, false),
       [](const P& p, const O&) {
         const DecodeStep& s = p.estimate.step;
         return real(s.bytes > 0 ? s.kv_read_bytes / s.bytes : 0.0);
       }},
      {col("experts_touched", "experts", K::real, U::none, false, 1),
       [](const P& p, const O&) {
         return p.estimate.step.experts_touched > 0 ? real(p.estimate.step.experts_touched)
                                                    : Cell{};
       }},
      {col("memory_required_bytes", "needs", K::real, U::bytes_gib, true),
       [](const P& p, const O&) { return real(p.estimate.fit.required_bytes); }},
      {col("memory_margin_bytes", "margin", K::real, U::bytes_gib, false),
       [](const P& p, const O&) { return real(p.estimate.fit.margin_bytes); }},
      {col("fits", "fits", K::boolean, U::none, true),
       [](const P& p, const O&) { return Cell{p.estimate.fit.fits}; }},
      {col("prompt_tokens", "prompt", K::integer, U::none, false),
       [](const P&, const O& o) { return whole(std::llround(o.prompt_tokens)); }},
      {col("time_to_first_token_seconds", "TTFT", K::real, U::seconds_auto, false),
       [](const P& p, const O&) {
         return p.estimate.prefill ? real(p.estimate.time_to_first_token_s) : Cell{};
       }},
      {col("generate_tokens", "generate", K::integer, U::none, false),
       [](const P&, const O& o) { return whole(std::llround(o.generate_tokens)); }},
      {col("generate_tokens_per_s", "tg avg", K::real, U::tokens_per_s, false),
       [](const P& p, const O& o) {
         return o.generate_tokens > 0 ? real(p.estimate.generate_tokens_per_s) : Cell{};
       }},
      {col("end_to_end_seconds", "end to end", K::real, U::seconds_auto, false),
       [](const P& p, const O& o) {
         return o.generate_tokens > 0 ? real(p.estimate.end_to_end_seconds) : Cell{};
       }},
  };
  return defs;
}

// Fields of the parallel view (llama-batched-bench's columns). Keep ids stable.
const std::vector<ColumnDef<ParallelRun>>& parallel_columns() {
  using K = CellKind;
  using U = HumanUnit;
  using R = ParallelRun;
  using O = EstimateOptions;
  static const std::vector<ColumnDef<ParallelRun>> defs = {
      {col("users", "users", K::integer, U::none, true),
       [](const R& r, const O&) { return whole(r.users); }},
      {col("context_tokens", "context", K::integer, U::none, false),
       [](const R&, const O& o) { return whole(std::llround(o.context_tokens)); }},
      {col("prompt_tokens", "prompt", K::integer, U::none, false),
       [](const R&, const O& o) { return whole(std::llround(o.prompt_tokens)); }},
      {col("generate_tokens", "generate", K::integer, U::none, false),
       [](const R&, const O& o) { return whole(std::llround(o.generate_tokens)); }},
      {col("kv_tokens", "KV tokens", K::integer, U::none, false),
       [](const R& r, const O& o) {
         return whole(r.users *
                      std::llround(o.context_tokens + o.prompt_tokens + o.generate_tokens));
       }},
      {col("time_to_first_token_seconds", "TTFT", K::real, U::seconds_auto, true),
       [](const R& r, const O&) { return r.prefill ? real(r.time_to_first_token_s) : Cell{}; }},
      {col("prefill_tokens_per_s", "prefill", K::real, U::tokens_per_s, false),
       [](const R& r, const O& o) {
         return r.prefill
                    ? real(static_cast<double>(r.users) * o.prompt_tokens / r.time_to_first_token_s)
                    : Cell{};
       }},
      {col("generate_seconds", "generate time", K::real, U::seconds_auto, false),
       [](const R& r, const O&) { return real(r.generate_seconds); }},
      {col("tokens_per_s", "per user", K::real, U::tokens_per_s, true),
       [](const R& r, const O&) { return real(r.tokens_per_s); }},
      {col("aggregate_tokens_per_s", "total", K::real, U::tokens_per_s, true),
       [](const R& r, const O&) { return real(r.aggregate_tokens_per_s); }},
      {col("end_to_end_seconds", "end to end", K::real, U::seconds_auto, true),
       [](const R& r, const O&) { return real(r.end_to_end_seconds); }},
      {col("total_tokens_per_s", "overall", K::real, U::tokens_per_s, false),
       [](const R& r, const O&) { return real(r.total_tokens_per_s); }},
      {col("bound", "bound", K::text, U::none, true),
       [](const R& r, const O&) {
         return Cell{std::string(r.decode.step.compute_bound ? "compute" : "memory")};
       }},
      {col("weights_read_bytes", "weights read", K::real, U::bytes_gib, false),
       [](const R& r, const O&) { return real(r.decode.step.weights_read_bytes); }},
      {col("kv_read_bytes", "KV read", K::real, U::bytes_gib, false),
       [](const R& r, const O&) { return real(r.decode.step.kv_read_bytes); }},
      {col("experts_touched", "experts", K::real, U::none, false, 1),
       [](const R& r, const O&) {
         return r.decode.step.experts_touched > 0 ? real(r.decode.step.experts_touched) : Cell{};
       }},
      {col("memory_required_bytes", "needs", K::real, U::bytes_gib, true),
       [](const R& r, const O&) { return real(r.decode.fit.required_bytes); }},
      {col("fits", "fits", K::boolean, U::none, true),
       [](const R& r, const O&) { return Cell{r.decode.fit.fits}; }},
  };
  return defs;
}

template <typename Row>
void fill(Report& report, const std::vector<ColumnDef<Row>>& defs, const std::vector<Row>& rows,
          const EstimateOptions& options) {
  for (const auto& def : defs) {
    report.columns.push_back(def.column);
  }
  for (const auto& row : rows) {
    std::vector<Cell> cells;
    cells.reserve(defs.size());
    for (const auto& def : defs) {
      cells.push_back(def.value(row, options));
    }
    report.rows.push_back(std::move(cells));
  }
}

void show(Report& report, const std::string& id) {
  const int i = report.column_index(id);
  if (i >= 0) {
    report.columns[static_cast<std::size_t>(i)].human = true;
  }
}

// Document fields and the notes that define them; `users` names the batch axis "users".
void add_limits(Report& report, const SweepLimits& limits, const EstimateResult& anchor,
                const ModelInput& model, const EstimateOptions& base, bool users) {
  const std::string_view batch_word = users ? "users" : "batch";
  auto at_batch = [users](std::int64_t n) {
    return users ? fmt::format("{} users", n) : fmt::format("batch {}", n);
  };
  report.fields.push_back(
      {"critical_batch",
       fmt::format("critical batch (context {})", limits.critical_batch_context_tokens),
       limits.critical_batch ? Cell{*limits.critical_batch} : Cell{}, HumanUnit::none});
  report.fields.push_back(
      {"max_batch_that_fits",
       fmt::format("{} (context {})", users ? "max users that fit" : "max batch that fits",
                   limits.max_batch_context_tokens),
       limit_cell(limits.max_batch), HumanUnit::none});
  report.fields.push_back(
      {"max_context_that_fits",
       fmt::format("max context that fits ({})", at_batch(limits.max_context_batch)),
       limit_cell(limits.max_context), HumanUnit::none});
  report.fields.push_back({"memory_available_bytes", "usable memory",
                           Cell{anchor.fit.available_bytes}, HumanUnit::bytes_gib});
  report.fields.push_back({"quant", "quant", Cell{model.quant_id}, HumanUnit::none});
  report.fields.push_back(
      {"quant_origin", "quant from", Cell{model.quant_origin}, HumanUnit::none});

  auto& notes = report.notes;
  notes.push_back(fmt::format(
      "memory = weights + runtime overhead + {} x KV cache of context + {} prompt + {} generated "
      "tokens; the limits are solved exactly, not only among the rows",
      batch_word, std::llround(base.prompt_tokens), std::llround(base.generate_tokens)));
  if (!limits.critical_batch) {
    notes.push_back(fmt::format("decode stays memory-bound at any batch at context {}",
                                limits.critical_batch_context_tokens));
  }
  if (limits.max_batch.unbounded) {
    notes.push_back(fmt::format("{} fits at context {}: no KV cache is held",
                                users ? "any number of users" : "any batch",
                                limits.max_batch_context_tokens));
  } else if (limits.max_batch.value && *limits.max_batch.value == 0) {
    notes.push_back(
        fmt::format("nothing fits: weights and overhead need {:.2f} GiB of {:.2f} GiB",
                    (anchor.fit.weights_bytes + anchor.fit.overhead_bytes) / units::k_gib,
                    anchor.fit.available_bytes / units::k_gib));
  }
  if (limits.max_context.unbounded) {
    notes.push_back(
        fmt::format("no context limit at {}: every layer's KV cache stops growing at the window",
                    at_batch(limits.max_context_batch)));
  } else if (!limits.max_context.value) {
    notes.push_back(fmt::format("no context fits at {}", at_batch(limits.max_context_batch)));
  } else if (model.spec.max_context > 0 && *limits.max_context.value > model.spec.max_context) {
    notes.push_back(fmt::format("max context that fits is beyond {}'s trained context of {} tokens",
                                model.spec.id, model.spec.max_context));
  }
  if (is_moe(model)) {
    notes.push_back(fmt::format(
        "MoE: a step reads the expected distinct routed experts per layer, E*(1-(1-k/E)^B) at "
        "batch B under uniform routing (E={}, k={}); {{expert_skew}} S shrinks B to B^(1-S) "
        "(S={})",
        model.weights.experts, model.weights.experts_used, base.expert_skew));
  }
  if (base.ideal) {
    notes.push_back("{ideal}: pure roofline (efficiency 1, no overheads)");
  } else {
    notes.push_back(
        fmt::format("tokens/s are realistic ({} efficiency class); bound, critical "
                    "batch and the ideal_* fields are the pure roofline's",
                    anchor.efficiency_class));
  }
}

}  // namespace

Report sweep_report(const SweepResult& result, const ModelInput& model,
                    const SweepOptions& options) {
  Report report;
  report.command = "sweep";
  fill(report, grid_columns(), result.points, options.base);
  report.essential_columns = {"context_tokens", "tokens_per_s", "aggregate_tokens_per_s",
                              "bound",          "fits",         "memory_required_bytes",
                              "kv_read_bytes"};
  if (is_moe(model)) {
    show(report, "experts_touched");
  }
  if (options.base.prompt_tokens > 0) {
    show(report, "time_to_first_token_seconds");
  }
  if (options.base.generate_tokens > 0) {
    show(report, "generate_tokens_per_s");
    show(report, "end_to_end_seconds");
  }
  if (!result.points.empty()) {
    add_limits(report, result.limits, result.points.front().estimate, model, options.base, false);
  }
  if (model.spec.max_context > 0 && !options.contexts.empty() &&
      options.contexts.back() + extra_tokens(options.base) > model.spec.max_context) {
    report.notes.push_back(
        fmt::format("context + prompt + generated tokens past {} exceed {}'s "
                    "trained context",
                    model.spec.max_context, model.spec.id));
  }
  return report;
}

Report parallel_report(const ParallelResult& result, const ModelInput& model,
                       const ParallelOptions& options) {
  Report report;
  report.command = "sweep";
  fill(report, parallel_columns(), result.runs, options.base);
  report.essential_columns = {"tokens_per_s", "aggregate_tokens_per_s",
                              "time_to_first_token_seconds", "fits"};
  if (is_moe(model)) {
    show(report, "experts_touched");
  }
  if (!result.runs.empty()) {
    add_limits(report, result.limits, result.runs.front().decode, model, options.base, true);
  }
  report.notes.insert(
      report.notes.begin(),
      fmt::format("each run prefills users x {} prompt tokens in one batch (TTFT), then decodes "
                  "{} tokens for every user together; per user = generate / decode time, total = "
                  "users x per user",
                  std::llround(options.base.prompt_tokens),
                  std::llround(options.base.generate_tokens)));
  return report;
}

// --- charts -------------------------------------------------------------------------------

namespace {

std::string remarks(const EstimateResult& r) {
  std::string text;
  if (r.step.compute_bound) {
    text += "  compute-bound";
  }
  if (!r.fit.fits) {
    text += "  does not fit";
  }
  return text;
}

}  // namespace

BarChart sweep_chart(const SweepResult& result, const SweepOptions& options) {
  BarChart chart;
  chart.unit = "tok/s";
  if (options.batches.size() > 1) {
    chart.title = "total decode speed of all sequences, by batch";
    if (options.contexts.size() == 1) {
      chart.title += fmt::format(" (context {})", options.contexts.front());
    }
    chart.label_title = "batch";
    // One group per context, filled in one pass over the points (linear time): a context's
    // groups, in the order of options.contexts.
    std::unordered_map<std::int64_t, std::vector<std::size_t>> groups_of;
    for (const std::int64_t context : options.contexts) {
      BarGroup group;
      if (options.contexts.size() > 1) {
        group.heading = fmt::format("context {}", context);
      }
      groups_of[context].push_back(chart.groups.size());
      chart.groups.push_back(std::move(group));
    }
    for (const auto& p : result.points) {
      const auto it = groups_of.find(p.context_tokens);
      if (it == groups_of.end()) {
        continue;
      }
      for (const std::size_t g : it->second) {
        chart.groups[g].bars.push_back(
            {std::to_string(p.batch), p.estimate.aggregate_tokens_per_s,
             format_tokens_per_s(p.estimate.aggregate_tokens_per_s) + remarks(p.estimate)});
      }
    }
    return chart;
  }
  chart.title = fmt::format("decode speed per sequence, by context (batch {})",
                            options.batches.empty() ? 1 : options.batches.front());
  chart.label_title = "context";
  BarGroup group;
  for (const auto& p : result.points) {
    group.bars.push_back({std::to_string(p.context_tokens), p.estimate.tokens_per_s,
                          format_tokens_per_s(p.estimate.tokens_per_s) + remarks(p.estimate)});
  }
  chart.groups.push_back(std::move(group));
  return chart;
}

BarChart parallel_chart(const ParallelResult& result, const ParallelOptions& options) {
  BarChart chart;
  chart.unit = "tok/s";
  chart.title = fmt::format("total generation speed, by parallel users (prompt {}, generate {})",
                            std::llround(options.base.prompt_tokens),
                            std::llround(options.base.generate_tokens));
  chart.label_title = "users";
  BarGroup group;
  for (const auto& run : result.runs) {
    group.bars.push_back(
        {std::to_string(run.users), run.aggregate_tokens_per_s,
         fmt::format("{} ({}/user){}", format_tokens_per_s(run.aggregate_tokens_per_s),
                     format_tokens_per_s(run.tokens_per_s), remarks(run.decode))});
  }
  chart.groups.push_back(std::move(group));
  return chart;
}

}  // namespace llmroof
