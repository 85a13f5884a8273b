#pragma once

// Checks shared by the SVG chart tests: every <text> element's box inside the canvas.

#include <regex>
#include <string>

#include "catch.hpp"
#include "llmroof/report/svg_roofline.hpp"
#include "llmroof/util/numbers.hpp"

namespace llmroof::test {

/// Checks that every text label of `svg` lies inside `width` x `height` (box from x, the
/// text-anchor and svg_text_width_px; 1 em above the baseline to 0.3 em below). Returns the
/// number of labels.
inline int check_labels_inside(const std::string& svg, double width, double height) {
  const std::regex text_re(
      R"re(<text x="([0-9.]+)" y="([0-9.]+)" font-family="sans-serif" font-size="([0-9.]+)" fill="[^"]*"( text-anchor="(middle|end)")?>([^<]*)</text>)re");
  int labels = 0;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text_re);
       it != std::sregex_iterator(); ++it) {
    const double font = to_double((*it)[3].str()).value();
    // Entities count as one character each.
    const std::string content =
        std::regex_replace(std::string((*it)[6]), std::regex("&[a-z]+;"), "_");
    const double w = svg_text_width_px(content, font);
    const std::string anchor = (*it)[5];
    const double x = to_double((*it)[1].str()).value() - (anchor == "middle" ? w / 2
                                                          : anchor == "end"  ? w
                                                                             : 0);
    const double y = to_double((*it)[2].str()).value();
    CAPTURE(content);
    CHECK(x >= 0);
    CHECK(x + w <= width);
    CHECK(y - font >= 0);
    CHECK(y + 0.3 * font <= height);
    ++labels;
  }
  // Every <text> matched the pattern (none escaped the check).
  std::size_t elements = 0;
  for (std::size_t at = svg.find("<text "); at != std::string::npos;
       at = svg.find("<text ", at + 1)) {
    ++elements;
  }
  CHECK(static_cast<std::size_t>(labels) == elements);
  return labels;
}

}  // namespace llmroof::test
