#include "llmroof/report/svg_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>

#include "llmroof/report/chart.hpp"
#include "llmroof/report/render.hpp"
#include "llmroof/util/errors.hpp"
#include "report/svg_canvas.hpp"

namespace llmroof {

namespace {

using detail::SvgAnchor;
using detail::SvgBox;
using detail::SvgCanvas;

constexpr const char* k_bar_fill = "#1f6fd1";    // palette blue
constexpr const char* k_ideal_tick = "#d1461f";  // palette vermilion: apart from the bars
constexpr double k_row_px = 28;
constexpr double k_bar_px = 16;

// --- reading report cells ---------------------------------------------------------------

std::optional<double> number_at(const Report& report, const std::vector<Cell>& row,
                                const std::string& id) {
  const int i = report.column_index(id);
  if (i < 0) {
    return std::nullopt;
  }
  const Cell& cell = row[static_cast<std::size_t>(i)];
  if (const auto* d = std::get_if<double>(&cell)) {
    return *d;
  }
  if (const auto* n = std::get_if<std::int64_t>(&cell)) {
    return static_cast<double>(*n);
  }
  return std::nullopt;
}

std::optional<std::string> text_at(const Report& report, const std::vector<Cell>& row,
                                   const std::string& id) {
  const int i = report.column_index(id);
  if (i < 0) {
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&row[static_cast<std::size_t>(i)])) {
    return *s;
  }
  return std::nullopt;
}

bool fits_at(const Report& report, const std::vector<Cell>& row) {
  const int i = report.column_index("fits");
  if (i < 0) {
    return true;
  }
  const auto* b = std::get_if<bool>(&row[static_cast<std::size_t>(i)]);
  return b == nullptr || *b;
}

void require_columns(const Report& report, std::initializer_list<const char*> ids,
                     std::string_view chart) {
  for (const char* id : ids) {
    if (report.column_index(id) < 0) {
      throw UsageError(fmt::format("the {} report has no '{}' column to draw a {} chart",
                                   report.command, id, chart));
    }
  }
}

bool finite_non_negative(double v) { return std::isfinite(v) && v >= 0; }

// Fewest decimals that print every multiple of `step` exactly (as the text chart's ticks).
int tick_decimals(double step) {
  for (int d = 0; d < 6; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::fabs(scaled - std::round(scaled)) < 1e-6 * scaled) {
      return d;
    }
  }
  return 6;
}

// Tick labels of a tokens/s axis: 1000 and up as "1k", "2.5k", "10k".
std::string rate_label(double value) {
  if (value >= 1000) {
    return fmt::format("{:g}k", value / 1000);
  }
  return fmt::format("{:g}", value);
}

}  // namespace

// --- comparison bars --------------------------------------------------------------------

std::string render_compare_svg(const CompareChart& chart) {
  if (chart.bars.empty()) {
    throw Error("comparison chart: no bar to draw");
  }
  double max_value = 0;
  for (const auto& b : chart.bars) {
    for (double v : {b.value, b.low, b.high, b.ideal}) {
      if (!std::isfinite(v)) {
        throw Error(fmt::format("comparison chart: '{}' has a value that is not finite", b.label));
      }
    }
    if (!finite_non_negative(b.value)) {
      throw Error(fmt::format("comparison chart: '{}' has a negative value", b.label));
    }
    max_value = std::max({max_value, b.value, b.high, b.ideal});
  }
  const double width = std::max(chart.width_px, 560);
  const double f = detail::k_svg_font_px;
  const double fs = detail::k_svg_small_font_px;
  std::vector<std::string> texts;
  double label_px = 0;
  double text_px = 0;
  for (const auto& b : chart.bars) {
    // The value is printed past the ideal tick, so the text names both.
    texts.push_back(format_tokens_per_s(b.value) +
                    (b.ideal > 0 ? " (ideal " + format_tokens_per_s(b.ideal) + ")" : "") +
                    (b.fits ? "" : ", does not fit"));
    label_px = std::max(label_px, svg_text_width_px(b.label, f));
    text_px = std::max(text_px, svg_text_width_px(texts.back(), fs));
  }
  const double plot_left = std::min(10 + label_px + 10, width * 0.4);
  const double plot_right = width - text_px - 16;
  const double plot_top = 48;
  const double plot_bottom = plot_top + k_row_px * static_cast<double>(chart.bars.size());
  const double height = plot_bottom + 100;
  const ChartAxis axis = nice_axis(max_value, 6);
  auto px = [&](double v) { return plot_left + v / axis.max * (plot_right - plot_left); };

  SvgCanvas canvas(width, height);
  canvas.text(width / 2, 22, chart.title, detail::k_svg_title_font_px, detail::k_svg_ink,
              SvgAnchor::middle);
  const int decimals = tick_decimals(axis.step);
  for (int i = 0; i <= axis.intervals; ++i) {
    const double v = axis.step * i;
    canvas.line(px(v), plot_top - 4, px(v), plot_bottom, detail::k_svg_grid, 1);
    canvas.text(px(v), plot_bottom + 16, fmt::format("{:.{}f}", v, decimals), fs,
                detail::k_svg_muted, SvgAnchor::middle);
  }
  canvas.line(plot_left, plot_top - 4, plot_left, plot_bottom, detail::k_svg_muted, 1);
  canvas.line(plot_left, plot_bottom, plot_right, plot_bottom, detail::k_svg_muted, 1);
  canvas.text((plot_left + plot_right) / 2, plot_bottom + 36, chart.axis_title, f,
              detail::k_svg_ink, SvgAnchor::middle);
  for (std::size_t i = 0; i < chart.bars.size(); ++i) {
    const CompareBar& b = chart.bars[i];
    const double mid = plot_top + k_row_px * (static_cast<double>(i) + 0.5);
    const double top = mid - k_bar_px / 2;
    canvas.text(plot_left - 8, mid + f * 0.35, b.label, f, detail::k_svg_ink, SvgAnchor::end);
    if (b.fits) {
      canvas.rect(plot_left, top, px(b.value) - plot_left, k_bar_px, k_bar_fill);
    } else {
      canvas.rect(plot_left, top, px(b.value) - plot_left, k_bar_px, detail::k_svg_background,
                  k_bar_fill, 1.5, true);
    }
    if (b.low > 0 && b.high >= b.low) {
      canvas.line(px(b.low), mid, px(b.high), mid, detail::k_svg_ink, 1.5);
      canvas.line(px(b.low), mid - 5, px(b.low), mid + 5, detail::k_svg_ink, 1.5);
      canvas.line(px(b.high), mid - 5, px(b.high), mid + 5, detail::k_svg_ink, 1.5);
    }
    if (b.ideal > 0) {
      canvas.line(px(b.ideal), top - 4, px(b.ideal), top + k_bar_px + 4, k_ideal_tick, 2.5);
    }
    const double end = px(std::max({b.value, b.high, b.ideal}));
    canvas.text(end + 6, mid + fs * 0.35, texts[i], fs, detail::k_svg_ink);
  }
  // Legend under the axis title, two entries a row: what is drawn, nothing else.
  const bool any_band = std::any_of(chart.bars.begin(), chart.bars.end(), [](const CompareBar& b) {
    return b.low > 0 && b.high > b.low;
  });
  const bool any_ideal = std::any_of(chart.bars.begin(), chart.bars.end(),
                                     [](const CompareBar& b) { return b.ideal > 0; });
  const bool any_unfit = std::any_of(chart.bars.begin(), chart.bars.end(),
                                     [](const CompareBar& b) { return !b.fits; });
  int entry = 0;
  auto slot = [&]() {
    const double x = entry % 2 == 0 ? plot_left : plot_left + (width - plot_left) / 2;
    const double y = plot_bottom + 60 + 18 * (entry / 2);
    ++entry;
    return std::pair<double, double>{x, y};
  };
  {
    const auto [x, y] = slot();
    canvas.rect(x, y - 8, 22, 10, k_bar_fill);
    canvas.text(x + 28, y + 1, "realistic estimate", fs, detail::k_svg_ink);
  }
  if (any_band) {
    const auto [x, y] = slot();
    canvas.line(x, y - 3, x + 22, y - 3, detail::k_svg_ink, 1.5);
    canvas.line(x, y - 8, x, y + 2, detail::k_svg_ink, 1.5);
    canvas.line(x + 22, y - 8, x + 22, y + 2, detail::k_svg_ink, 1.5);
    canvas.text(x + 28, y + 1, "low-high band (about 80% of measured devices)", fs,
                detail::k_svg_ink);
  }
  if (any_ideal) {
    const auto [x, y] = slot();
    canvas.line(x + 11, y - 10, x + 11, y + 4, k_ideal_tick, 2.5);
    canvas.text(x + 28, y + 1, "ideal roofline", fs, detail::k_svg_ink);
  }
  if (any_unfit) {
    const auto [x, y] = slot();
    canvas.rect(x, y - 8, 22, 10, detail::k_svg_background, k_bar_fill, 1.5, true);
    canvas.text(x + 28, y + 1, "hollow: does not fit in memory", fs, detail::k_svg_ink);
  }
  return canvas.document(chart.title, "Horizontal bars: realistic tokens/s per device");
}

CompareChart compare_chart(const Report& estimate) {
  require_columns(estimate, {"tokens_per_s", "fits"}, "comparison");
  CompareChart chart;
  std::vector<CompareBar> fitting;
  std::vector<CompareBar> not_fitting;
  for (const auto& row : estimate.rows) {
    CompareBar b;
    b.label = text_at(estimate, row, "device.id")
                  .value_or(text_at(estimate, row, "group").value_or("device"));
    if (const auto host = text_at(estimate, row, "host.id")) {
      b.label += " + " + *host;
    }
    b.value = number_at(estimate, row, "tokens_per_s").value_or(0);
    b.low = number_at(estimate, row, "tokens_per_s_low").value_or(0);
    b.high = number_at(estimate, row, "tokens_per_s_high").value_or(0);
    b.ideal = number_at(estimate, row, "ideal_tokens_per_s").value_or(0);
    b.fits = fits_at(estimate, row);
    (b.fits ? fitting : not_fitting).push_back(std::move(b));
  }
  auto faster = [](const CompareBar& a, const CompareBar& b) { return a.value > b.value; };
  std::stable_sort(fitting.begin(), fitting.end(), faster);
  std::stable_sort(not_fitting.begin(), not_fitting.end(), faster);
  chart.bars = std::move(fitting);
  chart.bars.insert(chart.bars.end(), not_fitting.begin(), not_fitting.end());
  if (!estimate.rows.empty()) {
    const auto& row = estimate.rows.front();
    const std::string model = text_at(estimate, row, "model.id").value_or("model");
    const std::string quant = text_at(estimate, row, "quant").value_or("");
    chart.title = fmt::format("{}{}{}: decode speed", model, quant.empty() ? "" : " ", quant);
    const auto batch = number_at(estimate, row, "batch");
    const auto context = number_at(estimate, row, "context_tokens");
    if (batch && context) {
      chart.title += fmt::format(" (batch {:g}, context {:g})", *batch, *context);
    }
  }
  chart.axis_title = "decode tokens/s per sequence";
  return chart;
}

// --- sweep lines --------------------------------------------------------------------------

std::string render_line_svg(const LineChart& chart) {
  double x_lo = 1e300;
  double x_hi = -1e300;
  double y_lo = 1e300;
  double y_hi = 0;
  std::size_t points = 0;
  for (const auto& s : chart.series) {
    for (const auto& p : s.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y) || !(p.y > 0) || (chart.x_log && !(p.x > 0)) ||
          !std::isfinite(p.low) || !std::isfinite(p.high)) {
        throw Error(fmt::format("line chart: a point of '{}' is not positive", s.label));
      }
      ++points;
      x_lo = std::min(x_lo, p.x);
      x_hi = std::max(x_hi, p.x);
      y_lo = std::min(y_lo, p.low > 0 ? std::min(p.low, p.y) : p.y);
      y_hi = std::max(y_hi, std::max(p.high, p.y));
    }
  }
  if (points == 0) {
    throw Error("line chart: no point to draw");
  }
  const double width = std::max(chart.width_px, 560);
  const double height = std::max(chart.height_px, 300);
  const double fs = detail::k_svg_small_font_px;
  // Legend: one row per colour (first series of each colour names it), then the notes.
  std::vector<std::pair<std::size_t, std::string>> entries;
  for (const auto& s : chart.series) {
    const bool seen = std::any_of(entries.begin(), entries.end(),
                                  [&](const auto& e) { return e.first == s.colour; });
    if (!seen && !s.label.empty()) {
      entries.emplace_back(s.colour, s.label);
    }
  }
  const double legend_rows = static_cast<double>(entries.size() + chart.legend_notes.size());
  const double plot_left = 64;
  const double plot_right = width - 20;
  const double plot_top = 40 + 16 * legend_rows + 24;
  const double plot_bottom = height - 50;
  // Axes: y in decades (with 2 and 5 between when the span is short), x linear or log.
  const double y_lo_log = std::floor(std::log10(y_lo));
  double y_hi_log = std::ceil(std::log10(y_hi));
  if (y_hi_log <= y_lo_log) {
    y_hi_log = y_lo_log + 1;
  }
  auto fx = [&](double x) { return chart.x_log ? std::log2(x) : x; };
  double x0 = fx(x_lo);
  double x1 = fx(x_hi);
  if (x1 <= x0) {
    x0 -= 1;
    x1 += 1;
  }
  auto px = [&](double x) {
    return plot_left + (fx(x) - x0) / (x1 - x0) * (plot_right - plot_left);
  };
  auto py = [&](double y) {
    return plot_bottom -
           (std::log10(y) - y_lo_log) / (y_hi_log - y_lo_log) * (plot_bottom - plot_top);
  };
  SvgCanvas canvas(width, height);
  canvas.text(width / 2, 22, chart.title, detail::k_svg_title_font_px, detail::k_svg_ink,
              SvgAnchor::middle);
  const bool minor = y_hi_log - y_lo_log <= 2;
  for (double e = y_lo_log; e <= y_hi_log; e += 1) {
    for (double m : {1.0, 2.0, 5.0}) {
      if ((m > 1 && (!minor || e == y_hi_log))) {
        continue;
      }
      const double v = m * std::pow(10.0, e);
      canvas.line(plot_left, py(v), plot_right, py(v), detail::k_svg_grid, 1);
      canvas.text(plot_left - 4, py(v) + 4, rate_label(v), fs, detail::k_svg_muted, SvgAnchor::end);
    }
  }
  // x ticks: the data's own values when there are few, else even steps.
  std::vector<double> ticks;
  for (const auto& s : chart.series) {
    for (const auto& p : s.points) {
      ticks.push_back(p.x);
    }
  }
  std::sort(ticks.begin(), ticks.end());
  ticks.erase(std::unique(ticks.begin(), ticks.end()), ticks.end());
  if (ticks.size() > 12) {
    ticks.clear();
    if (chart.x_log) {
      for (double e = std::ceil(x0); e <= x1; e += 1) {
        ticks.push_back(std::pow(2.0, e));
      }
    } else {
      const ChartAxis a = nice_axis(x_hi - x_lo, 8);
      for (double v = std::ceil(x_lo / a.step) * a.step; v <= x_hi + 1e-9; v += a.step) {
        ticks.push_back(v);
      }
    }
  }
  double used_right = -1e300;
  for (double t : ticks) {
    canvas.line(px(t), plot_top, px(t), plot_bottom, detail::k_svg_grid, 1);
    const std::string label = fmt::format("{:g}", t);
    const SvgBox box = SvgCanvas::text_box(px(t), plot_bottom + 16, label, fs, SvgAnchor::middle);
    if (box.left > used_right + 4) {
      used_right =
          canvas.text(px(t), plot_bottom + 16, label, fs, detail::k_svg_muted, SvgAnchor::middle)
              .right;
    }
  }
  canvas.line(plot_left, plot_bottom, plot_right, plot_bottom, detail::k_svg_muted, 1);
  canvas.line(plot_left, plot_top, plot_left, plot_bottom, detail::k_svg_muted, 1);
  canvas.text((plot_left + plot_right) / 2, height - 10, chart.x_title, detail::k_svg_font_px,
              detail::k_svg_ink, SvgAnchor::middle);
  canvas.text(plot_left - 56, plot_top - 10, chart.y_title, fs, detail::k_svg_ink);
  // Bands under every line, then lines, then markers.
  for (const auto& s : chart.series) {
    std::vector<std::pair<double, double>> band;
    for (const auto& p : s.points) {
      if (p.low > 0) {
        band.emplace_back(px(p.x), py(p.high));
      }
    }
    for (auto it = s.points.rbegin(); it != s.points.rend(); ++it) {
      if (it->low > 0) {
        band.emplace_back(px(it->x), py(it->low));
      }
    }
    canvas.polygon(band, detail::svg_palette(s.colour), 0.15);
  }
  for (const auto& s : chart.series) {
    std::vector<std::pair<double, double>> line;
    for (const auto& p : s.points) {
      line.emplace_back(px(p.x), py(p.y));
    }
    canvas.polyline(line, detail::svg_palette(s.colour), 2, s.dashed);
  }
  for (const auto& s : chart.series) {
    for (const auto& p : s.points) {
      canvas.circle(px(p.x), py(p.y), 3,
                    p.fits ? detail::svg_palette(s.colour) : detail::k_svg_background,
                    detail::svg_palette(s.colour));
    }
  }
  double ly = 44;
  for (const auto& [colour, label] : entries) {
    canvas.line(plot_left, ly - 4, plot_left + 22, ly - 4, detail::svg_palette(colour), 2);
    canvas.text(plot_left + 28, ly, label, fs, detail::k_svg_ink);
    ly += 16;
  }
  for (const auto& note : chart.legend_notes) {
    canvas.text(plot_left, ly, note, fs, detail::k_svg_muted);
    ly += 16;
  }
  return canvas.document(chart.title, "Lines: tokens/s of a sweep, log scale");
}

LineChart sweep_line_chart(const std::vector<SweepSeries>& series, const std::string& title) {
  enum class XAxis { batch, context, users };
  LineChart chart;
  chart.title = title;
  chart.y_title = "tokens/s (log scale)";
  std::optional<XAxis> kind;
  std::size_t colour = 0;
  bool any_total = false;
  bool any_band = false;
  bool any_unfit = false;
  double x_min = 1e300;
  double x_max = 0;
  for (const auto& s : series) {
    if (s.report == nullptr || s.report->command != "sweep") {
      throw UsageError("a sweep chart draws sweep reports only");
    }
    const Report& r = *s.report;
    const bool parallel = r.column_index("users") >= 0;  // a --parallel sweep
    require_columns(r, {"tokens_per_s", "aggregate_tokens_per_s"}, "sweep");
    require_columns(r, {parallel ? "users" : "batch"}, "sweep");
    std::vector<double> batches;
    std::vector<double> contexts;
    for (const auto& row : r.rows) {
      if (!parallel) {
        batches.push_back(number_at(r, row, "batch").value_or(1));
        contexts.push_back(number_at(r, row, "context_tokens").value_or(0));
      }
    }
    std::sort(batches.begin(), batches.end());
    batches.erase(std::unique(batches.begin(), batches.end()), batches.end());
    std::sort(contexts.begin(), contexts.end());
    contexts.erase(std::unique(contexts.begin(), contexts.end()), contexts.end());
    const XAxis here = parallel ? XAxis::users : batches.size() > 1 ? XAxis::batch : XAxis::context;
    if (kind && *kind != here) {
      throw UsageError("the sweeps of one chart must vary the same axis");
    }
    kind = here;
    // Lines: one per context when the batch is on x, else one.
    std::vector<std::optional<double>> groups;
    if (here == XAxis::batch && contexts.size() > 1) {
      groups.assign(contexts.begin(), contexts.end());
    } else {
      groups.emplace_back();
    }
    for (const auto& group : groups) {
      LineSeries per_seq;
      LineSeries total;
      std::string label = s.label;
      if (group) {
        label += fmt::format("{}context {:g}", label.empty() ? "" : ", ", *group);
      }
      per_seq.label = label;
      per_seq.colour = colour;
      total.colour = colour;
      total.dashed = true;
      ++colour;
      for (const auto& row : r.rows) {
        if (group && number_at(r, row, "context_tokens").value_or(0) != *group) {
          continue;
        }
        LinePoint p;
        const double batch = number_at(r, row, parallel ? "users" : "batch").value_or(1);
        p.x = here == XAxis::context ? number_at(r, row, "context_tokens").value_or(0) : batch;
        p.y = number_at(r, row, "tokens_per_s").value_or(0);
        p.low = number_at(r, row, "tokens_per_s_low").value_or(0);
        p.high = number_at(r, row, "tokens_per_s_high").value_or(0);
        p.fits = fits_at(r, row);
        any_band = any_band || p.low > 0;
        any_unfit = any_unfit || !p.fits;
        x_min = std::min(x_min, p.x);
        x_max = std::max(x_max, p.x);
        per_seq.points.push_back(p);
        LinePoint t = p;
        t.y = number_at(r, row, "aggregate_tokens_per_s").value_or(0);
        t.low = p.low * batch;
        t.high = p.high * batch;
        total.points.push_back(t);
      }
      auto by_x = [](const LinePoint& a, const LinePoint& b) { return a.x < b.x; };
      std::stable_sort(per_seq.points.begin(), per_seq.points.end(), by_x);
      std::stable_sort(total.points.begin(), total.points.end(), by_x);
      chart.series.push_back(std::move(per_seq));
      if (here != XAxis::context) {
        any_total = true;
        chart.series.push_back(std::move(total));
      }
    }
  }
  if (!kind) {
    throw UsageError("a sweep chart needs at least one sweep");
  }
  switch (*kind) {
    case XAxis::batch:
      chart.x_title = "batch (sequences decoded together)";
      break;
    case XAxis::context:
      chart.x_title = "context (tokens already in each KV cache)";
      break;
    case XAxis::users:
      chart.x_title = "parallel users";
      break;
  }
  chart.x_log = *kind != XAxis::context && x_min >= 1 && x_max / x_min >= 8;
  if (chart.x_log) {
    chart.x_title += ", log scale";
  }
  chart.legend_notes.push_back(any_band ? "solid: tokens/s per sequence; shaded: the low-high band"
                                        : "solid: tokens/s per sequence (per user)");
  if (any_total) {
    chart.legend_notes.emplace_back("dashed: total tokens/s of all sequences");
  }
  if (any_unfit) {
    chart.legend_notes.emplace_back("hollow marker: does not fit in memory");
  }
  return chart;
}

// --- --format svg -------------------------------------------------------------------------

std::string render_svg(const Report& report, std::string_view title) {
  if (report.command == "estimate") {
    CompareChart chart = compare_chart(report);
    if (!title.empty()) {
      chart.title = std::string(title);
    }
    return render_compare_svg(chart);
  }
  if (report.command == "sweep") {
    return render_line_svg(
        sweep_line_chart({{"", &report}}, title.empty() ? "sweep" : std::string(title)));
  }
  if (report.command == "roofline") {
    RooflineChart chart = roofline_from_report(report);
    chart.title = title.empty() ? "roofline" : std::string(title);
    return render_roofline_svg(chart);
  }
  throw RequestError("format", fmt::format("{{format}} svg draws estimate, sweep and chart "
                                           "results; '{}' has no chart",
                                           report.command));
}

}  // namespace llmroof
