#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "llmroof/report/report.hpp"

namespace llmroof {

/// One operating point of a model on a device: where it sits under the roofs.
struct RooflinePoint {
  std::string label;                    ///< e.g. "decode b1", "prefill 512"
  double intensity_flops_per_byte = 0;  ///< arithmetic intensity, > 0
  double flops_per_s = 0;               ///< attained rate, > 0
};

/// One device's roofs and the model's operating points on it.
struct RooflineDevice {
  std::string label;
  double mem_bw_bytes_per_s = 0;            ///< ideal bandwidth roof, > 0
  double peak_flops_per_s = 0;              ///< ideal compute roof, > 0
  double realistic_mem_bw_bytes_per_s = 0;  ///< dashed realistic roof; <= 0: none drawn
  double realistic_peak_flops_per_s = 0;    ///< dashed realistic roof; <= 0: none drawn
  std::vector<RooflinePoint> points;
};

/// A log-log roofline chart: intensity (FLOPs/byte) on x, FLOP/s on y. Drawn as SVG by
/// render_roofline_svg and as text by render_text_roofline (report/chart.hpp).
struct RooflineChart {
  std::string title;
  std::vector<RooflineDevice> devices;
  int width_px = 760;   ///< canvas width, >= 560
  int height_px = 480;  ///< canvas height, >= 300
};

/// Conservative width in pixels of `text` set in a generic sans-serif face at `font_px`:
/// every UTF-8 code point counts 0.62 em (wider than the average of common sans faces).
double svg_text_width_px(std::string_view text, double font_px);

/// Escapes &, <, >, " and ' for XML text and attribute values.
std::string xml_escape(std::string_view text);

/// Draws `chart` as a standalone SVG 1.1 document: a solid background (readable in dark and
/// light viewers), one colour per device, ideal roofs solid and realistic roofs dashed,
/// operating points as labelled markers (a label that would cover another is left out), a
/// legend and axis units. Every text label is placed so that its box (svg_text_width_px wide,
/// font_px high) lies inside the canvas. Deterministic: the same chart gives the same bytes.
/// Throws Error when there is no device, or a roof or point is not positive.
std::string render_roofline_svg(const RooflineChart& chart);

/// The chart's numbers as a report (command "roofline", JSON key "points"): one row per
/// operating point with its device, roofs, intensity and attained FLOP/s (not the title).
Report roofline_report(const RooflineChart& chart);

/// The chart a roofline report holds (the inverse of roofline_report, with an empty title).
/// Throws UsageError when a column is missing.
RooflineChart roofline_from_report(const Report& report);

}  // namespace llmroof
