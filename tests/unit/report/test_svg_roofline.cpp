// SVG roofline chart: text extents, escaping, labels inside the canvas, determinism.

#include <string>

#include "catch.hpp"
#include "llmroof/report/svg_roofline.hpp"
#include "llmroof/util/errors.hpp"
#include "svg_support.hpp"

using namespace llmroof;

namespace {

RooflineChart sample_chart() {
  RooflineChart chart;
  chart.title = "llama <8b> & q4";
  RooflineDevice d;
  d.label = "device-a";
  d.mem_bw_bytes_per_s = 1e12;  // 1 TB/s
  d.peak_flops_per_s = 100e12;  // 100 TFLOP/s: ridge at 100 FLOPs/byte
  d.realistic_mem_bw_bytes_per_s = 0.8e12;
  d.realistic_peak_flops_per_s = 60e12;
  d.points = {{"decode b1", 2, 2e12},
              {"a very long label placed at the far right edge of the plot", 1e3, 100e12}};
  chart.devices.push_back(d);
  return chart;
}

}  // namespace

TEST_CASE("svg text width: 0.62 em per code point", "[svg]") {
  CHECK(svg_text_width_px("abcd", 10) == Approx(24.8));
  CHECK(svg_text_width_px("µs", 10) == Approx(12.4));  // two code points, three bytes
  CHECK(svg_text_width_px("", 12) == 0);
}

TEST_CASE("svg escaping of text and attributes", "[svg]") {
  CHECK(xml_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
}

TEST_CASE("svg roofline: every label inside the canvas, deterministic", "[svg]") {
  const RooflineChart chart = sample_chart();
  const std::string svg = render_roofline_svg(chart);
  CHECK(svg == render_roofline_svg(chart));
  CHECK(svg.find("<title>llama &lt;8b&gt; &amp; q4</title>") != std::string::npos);
  CHECK(svg.find("width=\"760\" height=\"480\"") != std::string::npos);
  CHECK(svg.find("stroke-dasharray") != std::string::npos);
  const int labels = test::check_labels_inside(svg, 760, 480);
  CHECK(labels > 10);
}

TEST_CASE("svg roofline: non-positive roofs are rejected", "[svg]") {
  RooflineChart chart = sample_chart();
  chart.devices[0].mem_bw_bytes_per_s = 0;
  CHECK_THROWS_AS(render_roofline_svg(chart), Error);
  CHECK_THROWS_AS(render_roofline_svg(RooflineChart{}), Error);
}

TEST_CASE("svg roofline: a label that would cover another is left out", "[svg]") {
  RooflineChart chart = sample_chart();
  // Four points at one spot: four label positions, so a fifth label finds no room.
  chart.devices[0].points = {
      {"p1", 10, 1e12}, {"p2", 10, 1e12}, {"p3", 10, 1e12}, {"p4", 10, 1e12}, {"p5", 10, 1e12}};
  const std::string svg = render_roofline_svg(chart);
  for (const char* shown : {">p1<", ">p2<", ">p3<", ">p4<"}) {
    CHECK(svg.find(shown) != std::string::npos);
  }
  CHECK(svg.find(">p5<") == std::string::npos);
}

TEST_CASE("roofline report: one row per point, and back to the same chart", "[svg]") {
  const RooflineChart chart = sample_chart();
  const Report report = roofline_report(chart);
  CHECK(report.command == "roofline");
  REQUIRE(report.rows.size() == 2);
  CHECK(std::get<std::string>(report.rows[0][1]) == "decode b1");
  CHECK(std::get<double>(report.rows[0][2]) == 2);
  CHECK(std::get<double>(report.rows[1][3]) == 100e12);
  RooflineChart back = roofline_from_report(report);
  CHECK(back.title.empty());  // the report holds the numbers, not the title
  back.title = chart.title;
  REQUIRE(back.devices.size() == 1);
  CHECK(back.devices[0].realistic_peak_flops_per_s == 60e12);
  CHECK(back.devices[0].points.size() == 2);
  CHECK(render_roofline_svg(back) == render_roofline_svg(chart));
}
