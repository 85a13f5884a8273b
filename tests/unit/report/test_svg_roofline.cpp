// SVG roofline chart: text extents, escaping, labels inside the canvas, determinism.

#include <regex>
#include <string>

#include "catch.hpp"
#include "llmroof/report/svg_roofline.hpp"
#include "llmroof/util/errors.hpp"

using namespace llmroof;

namespace {

RooflineSvg sample_chart() {
  RooflineSvg chart;
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
  const RooflineSvg chart = sample_chart();
  const std::string svg = render_roofline_svg(chart);
  CHECK(svg == render_roofline_svg(chart));
  CHECK(svg.find("<title>llama &lt;8b&gt; &amp; q4</title>") != std::string::npos);
  CHECK(svg.find("width=\"760\" height=\"480\"") != std::string::npos);
  CHECK(svg.find("stroke-dasharray") != std::string::npos);
  const std::regex text_re(
      R"re(<text x="([0-9.]+)" y="([0-9.]+)" font-family="sans-serif" font-size="([0-9.]+)"[^>]*>([^<]*)</text>)re");
  int labels = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text_re);
       it != std::sregex_iterator(); ++it) {
    const double x = std::stod((*it)[1]);
    const double y = std::stod((*it)[2]);
    const double font = std::stod((*it)[3]);
    std::string content = (*it)[4];
    // Unescape for width: entities count as one character each.
    content = std::regex_replace(content, std::regex("&[a-z]+;"), "_");
    CAPTURE(content);
    CHECK(x >= 0);
    CHECK(x + svg_text_width_px(content, font) <= 760);
    CHECK(y - font >= 0);
    CHECK(y + 0.3 * font <= 480);
    ++labels;
  }
  CHECK(labels > 10);
}

TEST_CASE("svg roofline: non-positive roofs are rejected", "[svg]") {
  RooflineSvg chart = sample_chart();
  chart.devices[0].mem_bw_bytes_per_s = 0;
  CHECK_THROWS_AS(render_roofline_svg(chart), Error);
  CHECK_THROWS_AS(render_roofline_svg(RooflineSvg{}), Error);
}
