#pragma once
// Line charts for the experiments (first user: `l7 torrent experiment`, which plots measured
// distribution times over the number of peers N beside the course's lower bounds). Everything
// is drawn here, pixel by pixel, into a plot::Image: a built-in 5x7 bitmap font (ASCII 32..126,
// glyphs designed for this file, one extra row for descenders), "nice" 1-2-5 axis ticks,
// 2-px Bresenham lines, square markers and a legend. No dependency beyond zlib for the PNG.
//
//   plot::Series measured{"BitTorrent", {{2, 1.9}, {4, 2.3}}, plot::palette(0)};
//   plot::ChartOptions options{.title = "Distribution time", .x_label = "N", .y_label = "s"};
//   auto written = plot::write_png_file("chart.png", plot::draw_line_chart({measured}, options));

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plot/png.hpp"

namespace l7::plot {

// ---- Text --------------------------------------------------------------------------------

// A glyph is 5 pixels wide and 8 high (7 above the baseline, 1 for descenders); characters
// advance by 6 and lines by 10, all times the integer scale. Bytes outside 32..126 draw as '?'.
inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 8;
inline constexpr int kGlyphAdvance = 6;
inline constexpr int kCapHeight = 7;

// The ink of `c`'s glyph at column `col` (0..4) and row `row` (0..7).
bool glyph_ink(char c, int col, int row);

// The box draw_text fills: width (chars*6 - 1)*scale (0 for empty text), height 8*scale.
long text_width(std::string_view text, int scale);
inline long text_height(int scale) {
    return static_cast<long>(kGlyphHeight) * scale;
}

// Draws `text` with its box's top-left corner at (x, y). Pixels outside the image are dropped.
void draw_text(Image& image, long x, long y, std::string_view text, Rgb colour, int scale);

// The same, turned a quarter counter-clockwise (reads bottom to top, as a y-axis label): the
// box is text_height wide and text_width high, its bottom-left corner at (x, y).
void draw_text_up(Image& image, long x, long y, std::string_view text, Rgb colour, int scale);

// ---- Axes --------------------------------------------------------------------------------

// The 1-2-5 step (1, 2, 5, 10, 20, ...) that cuts [lo, hi] into about `intervals` pieces.
double nice_step(double lo, double hi, int intervals = 5);

// Ticks at multiples of nice_step(lo, hi) from the one at or below lo to the one at or above
// hi: 0..97 gives 0, 20, ..., 100; 0..1 gives 0, 0.2, ..., 1.
std::vector<double> nice_ticks(double lo, double hi, int intervals = 5);

// A tick's label with as many decimals as `step` needs: (0.6, 0.2) -> "0.6", (40, 20) -> "40".
std::string tick_label(double value, double step);

// ---- Chart -------------------------------------------------------------------------------

struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
    Rgb colour;
    bool dashed = false;
    bool markers = true;
};

struct ChartOptions {
    std::string title;
    std::string x_label;
    std::string y_label;
    std::uint32_t width = 900;
    std::uint32_t height = 600;
    // Unset bounds come from the data, widened to the next tick; y starts at 0 unless the data
    // goes below it. A set bound is kept exactly.
    std::optional<double> x_min;
    std::optional<double> x_max;
    std::optional<double> y_min;
    std::optional<double> y_max;
    bool integer_x_ticks = false;  // x counts things (peers): no tick between integers
};

// Distinguishable on white, also in grey print: blue, orange, green, red, purple, brown, ...
Rgb palette(std::size_t index);

// Where draw_line_chart puts things. The plot area spans columns left..right and rows
// top..bottom (inclusive): x_min maps to column `left`, x_max to `right`, y_min to row
// `bottom`, y_max to row `top`, linearly and rounded to the nearest pixel. Series are clipped
// to this rectangle.
struct ChartLayout {
    long left = 0;
    long top = 0;
    long right = 0;
    long bottom = 0;
    double x_min = 0;
    double x_max = 1;
    double y_min = 0;
    double y_max = 1;
    double x_step = 1;
    double y_step = 1;
    std::vector<double> x_ticks;
    std::vector<double> y_ticks;
    int scale = 1;  // text scale and line width

    long pixel_x(double x) const;
    long pixel_y(double y) const;
};

ChartLayout layout_line_chart(const std::vector<Series>& series, const ChartOptions& options);

// White background, light grey grid at the ticks, axes with tick labels, the series (2-px
// lines, dashed if asked, square markers at the points), a legend in the emptiest corner of the
// plot area, the title above and the axis labels beside the axes. Non-finite points are skipped.
// The sizes are clamped to 200..8000 pixels.
Image draw_line_chart(const std::vector<Series>& series, const ChartOptions& options);

}  // namespace l7::plot
