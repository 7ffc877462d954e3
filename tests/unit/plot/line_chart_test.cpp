// Line charts (plot/line_chart.hpp): the font's glyphs and text boxes, the 1-2-5 tick table,
// the exact value-to-pixel mapping, series drawn where their points are and nowhere outside
// the plot area, dashes, the legend, and an example chart written as PNG (to the file named
// by L7_PLOT_EXAMPLE when set, e.g. /tmp/l7-plot-example.png, else to a temporary one).

#include "plot/line_chart.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace l7::plot {
namespace {

constexpr Rgb kWhite{255, 255, 255};

struct Box {
    long left, top, right, bottom;  // inclusive
    bool contains(long x, long y) const {
        return x >= left && x <= right && y >= top && y <= bottom;
    }
};

// Pixels of `colour`: how many inside `box`, and how many outside it.
std::pair<long, long> count_colour(const Image& image, Rgb colour, const Box& box) {
    long inside = 0;
    long outside = 0;
    for (long y = 0; y < static_cast<long>(image.height); ++y) {
        for (long x = 0; x < static_cast<long>(image.width); ++x) {
            if (image.get(x, y) == colour) {
                (box.contains(x, y) ? inside : outside) += 1;
            }
        }
    }
    return {inside, outside};
}

// The smallest box around every pixel that is not `background`; left > right when none.
Box ink_box(const Image& image, Rgb background) {
    Box box{1L << 30, 1L << 30, -1, -1};
    for (long y = 0; y < static_cast<long>(image.height); ++y) {
        for (long x = 0; x < static_cast<long>(image.width); ++x) {
            if (!(image.get(x, y) == background)) {
                box = {std::min(box.left, x), std::min(box.top, y), std::max(box.right, x),
                       std::max(box.bottom, y)};
            }
        }
    }
    return box;
}

// ---- Font and text -----------------------------------------------------------------------

std::vector<bool> bitmap(char c) {
    std::vector<bool> bits;
    for (int row = 0; row < kGlyphHeight; ++row) {
        for (int col = 0; col < kGlyphWidth; ++col) {
            bits.push_back(glyph_ink(c, col, row));
        }
    }
    return bits;
}

TEST(Font, EveryPrintableCharacterHasItsOwnGlyph) {
    std::set<std::vector<bool>> seen;
    for (char c = 33; c <= 126; ++c) {
        const std::vector<bool> bits = bitmap(c);
        EXPECT_NE(std::count(bits.begin(), bits.end(), true), 0) << c;
        EXPECT_TRUE(seen.insert(bits).second) << "glyph of '" << c << "' is not unique";
    }
    const std::vector<bool> space = bitmap(' ');
    EXPECT_EQ(std::count(space.begin(), space.end(), true), 0);
    // Out-of-range bytes draw as '?'; out-of-range cells are blank.
    EXPECT_EQ(bitmap('\x01'), bitmap('?'));
    EXPECT_EQ(bitmap('\xe9'), bitmap('?'));
    EXPECT_FALSE(glyph_ink('H', 5, 0));
    EXPECT_FALSE(glyph_ink('H', 0, 8));
    EXPECT_FALSE(glyph_ink('H', -1, 0));
}

TEST(Font, OnlyDescendersUseTheBottomRow) {
    const std::string descenders = ",_gjpqy|";
    for (char c = 32; c <= 126; ++c) {
        bool bottom = false;
        for (int col = 0; col < kGlyphWidth; ++col) {
            bottom = bottom || glyph_ink(c, col, kGlyphHeight - 1);
        }
        EXPECT_EQ(bottom, descenders.find(c) != std::string::npos) << c;
    }
}

TEST(Text, InkStaysInsideTheBox) {
    for (int scale : {1, 2, 3}) {
        Image image = Image::filled(400, 100, kWhite);
        const std::string text = "Hg_H";  // touches the left, right, top and bottom edges
        const Rgb colour{200, 0, 50};
        draw_text(image, 17, 9, text, colour, scale);
        const Box box{17, 9, 17 + text_width(text, scale) - 1, 9 + text_height(scale) - 1};
        const auto [inside, outside] = count_colour(image, colour, box);
        EXPECT_GT(inside, 0) << scale;
        EXPECT_EQ(outside, 0) << scale;
        const Box ink = ink_box(image, kWhite);
        EXPECT_EQ(ink.left, box.left);
        EXPECT_EQ(ink.right, box.right);
        EXPECT_EQ(ink.top, box.top);
        EXPECT_EQ(ink.bottom, box.bottom);
        // Nothing but the colour is drawn.
        EXPECT_EQ(inside + count_colour(image, kWhite, box).first,
                  (box.right - box.left + 1) * (box.bottom - box.top + 1));
    }
    EXPECT_EQ(text_width("", 2), 0);
    EXPECT_EQ(text_width("ab", 1), 11);
    EXPECT_EQ(text_width("ab", 3), 33);
}

TEST(Text, ScaledGlyphIsTheGlyphMagnified) {
    Image image = Image::filled(20, 20, kWhite);
    draw_text(image, 1, 2, "A", {0, 0, 0}, 2);
    for (int row = 0; row < kGlyphHeight; ++row) {
        for (int col = 0; col < kGlyphWidth; ++col) {
            const bool ink = !(image.get(1 + 2 * col + 1, 2 + 2 * row + 1) == kWhite);
            EXPECT_EQ(ink, glyph_ink('A', col, row)) << col << "," << row;
        }
    }
}

TEST(Text, RotatedTextReadsUpwards) {
    Image image = Image::filled(100, 200, kWhite);
    const std::string text = "Hg_H";
    draw_text_up(image, 10, 150, text, {0, 0, 0}, 2);
    const Box ink = ink_box(image, kWhite);
    EXPECT_EQ(ink.left, 10);
    EXPECT_EQ(ink.right, 10 + text_height(2) - 1);
    EXPECT_EQ(ink.bottom, 150);
    EXPECT_EQ(ink.top, 150 - text_width(text, 2) + 1);
    // 'H' comes first, at the bottom: its left stem (glyph column 0, all of rows 0..6) is the
    // bottom row of pixels, from x = 10 to 10 + 7*2 - 1.
    for (long x = 10; x < 10 + kCapHeight * 2; ++x) {
        EXPECT_FALSE(image.get(x, 150) == kWhite) << x;
    }
    EXPECT_TRUE(image.get(10 + kCapHeight * 2, 150) == kWhite);  // H has no descender
}

// ---- Ticks -------------------------------------------------------------------------------

TEST(Ticks, NiceValues) {
    struct Case {
        double lo, hi;
        std::vector<double> ticks;
    };
    const std::vector<Case> cases = {
        {0, 97, {0, 20, 40, 60, 80, 100}},
        {0, 1, {0, 0.2, 0.4, 0.6, 0.8, 1}},
        {0, 10, {0, 2, 4, 6, 8, 10}},
        {3, 47, {0, 10, 20, 30, 40, 50}},
        {0, 0.5, {0, 0.1, 0.2, 0.3, 0.4, 0.5}},
        {0.013, 0.087, {0, 0.02, 0.04, 0.06, 0.08, 0.1}},
        {-35, 35, {-40, -20, 0, 20, 40}},
        {1000, 1e6, {0, 2e5, 4e5, 6e5, 8e5, 1e6}},
        {2, 40, {0, 10, 20, 30, 40}},
        {0, 7500, {0, 2000, 4000, 6000, 8000}},
        {0, 3, {0, 1, 2, 3}},
        {0, 2, {0, 0.5, 1, 1.5, 2}},
    };
    for (const Case& c : cases) {
        const std::vector<double> ticks = nice_ticks(c.lo, c.hi);
        ASSERT_EQ(ticks.size(), c.ticks.size()) << c.lo << ".." << c.hi;
        for (std::size_t i = 0; i < ticks.size(); ++i) {
            // Exact: 0.6 is the double nearest 0.6, not 3 * 0.2.
            EXPECT_EQ(ticks[i], c.ticks[i]) << c.lo << ".." << c.hi << " #" << i;
        }
    }
    EXPECT_EQ(nice_step(0, 97), 20);
    EXPECT_EQ(nice_step(5, 5), 1);  // degenerate ranges do not loop or divide by zero
    EXPECT_EQ(nice_step(0, NAN), 1);
    EXPECT_TRUE(nice_ticks(0, INFINITY).empty());
}

TEST(Ticks, Labels) {
    EXPECT_EQ(tick_label(0.6, 0.2), "0.6");
    EXPECT_EQ(tick_label(1, 0.2), "1.0");
    EXPECT_EQ(tick_label(0.05, 0.05), "0.05");
    EXPECT_EQ(tick_label(40, 20), "40");
    EXPECT_EQ(tick_label(-1e-17, 0.1), "0.0");  // never "-0.0"
    EXPECT_EQ(tick_label(1000000, 200000), "1000000");
}

// ---- Charts ------------------------------------------------------------------------------

const Rgb kBlue = palette(0);
const Rgb kOrange = palette(1);

TEST(Chart, PaletteColoursDiffer) {
    for (std::size_t i = 0; i < 8; ++i) {
        for (std::size_t j = i + 1; j < 8; ++j) {
            EXPECT_FALSE(palette(i) == palette(j)) << i << " " << j;
        }
    }
}

TEST(Chart, AxisRangesFromDataAndOptions) {
    const std::vector<Series> series = {{"a", {{2, 5}, {40, 97}}, kBlue}};
    ChartOptions options;
    ChartLayout layout = layout_line_chart(series, options);
    EXPECT_EQ(layout.x_min, 0);
    EXPECT_EQ(layout.x_max, 40);
    EXPECT_EQ(layout.y_min, 0);  // from 0, although the data starts at 5
    EXPECT_EQ(layout.y_max, 100);
    EXPECT_EQ(layout.y_ticks, (std::vector<double>{0, 20, 40, 60, 80, 100}));

    options.x_min = 1.5;
    options.x_max = 33;
    options.y_max = 90;
    layout = layout_line_chart(series, options);
    EXPECT_EQ(layout.x_min, 1.5);
    EXPECT_EQ(layout.x_max, 33);
    EXPECT_EQ(layout.y_max, 90);
    for (double t : layout.x_ticks) {
        EXPECT_GE(t, 1.5);
        EXPECT_LE(t, 33);
    }

    // Integer ticks for counts: 1..3 peers gets 1, 2, 3 rather than steps of 0.5.
    const std::vector<Series> few = {{"", {{1, 1}, {3, 2}}, kBlue}};
    ChartOptions counts;
    counts.integer_x_ticks = true;
    EXPECT_EQ(layout_line_chart(few, counts).x_ticks, (std::vector<double>{1, 2, 3}));
    EXPECT_EQ(layout_line_chart(few, {}).x_step, 0.5);

    // No data at all still gives a usable unit range.
    layout = layout_line_chart({}, {});
    EXPECT_LT(layout.x_min, layout.x_max);
    EXPECT_LT(layout.y_min, layout.y_max);
    EXPECT_LT(layout.left, layout.right);
    EXPECT_LT(layout.top, layout.bottom);
}

TEST(Chart, ValuesMapExactlyOntoThePlotArea) {
    const std::vector<Series> series = {{"a", {{0, 0}, {50, 10}}, kBlue}};
    ChartOptions options;
    options.title = "t";
    options.x_label = "x";
    options.y_label = "y";
    const ChartLayout layout = layout_line_chart(series, options);
    ASSERT_EQ(layout.x_max, 50);
    ASSERT_EQ(layout.y_max, 10);
    EXPECT_EQ(layout.pixel_x(0), layout.left);
    EXPECT_EQ(layout.pixel_x(50), layout.right);
    EXPECT_EQ(layout.pixel_y(0), layout.bottom);
    EXPECT_EQ(layout.pixel_y(10), layout.top);
    EXPECT_EQ(layout.pixel_x(25), std::lround((layout.left + layout.right) / 2.0));
    EXPECT_EQ(layout.pixel_y(2.5), std::lround(layout.bottom - (layout.bottom - layout.top) / 4.0));
    // The plot area sits inside the image with room for the labels on every side.
    EXPECT_GT(layout.left, 40);
    EXPECT_GT(layout.top, 20);
    EXPECT_LT(layout.right, 900 - 10);
    EXPECT_LT(layout.bottom, 600 - 40);

    // The drawn chart has the series' colour on exactly those corner pixels.
    const Image image = draw_line_chart({{"", {{0, 0}, {50, 10}}, kBlue}}, options);
    EXPECT_EQ(image.width, 900u);
    EXPECT_EQ(image.height, 600u);
    EXPECT_EQ(image.get(layout.left, layout.bottom), kBlue);
    EXPECT_EQ(image.get(layout.right, layout.top), kBlue);
    EXPECT_EQ(image.get(layout.left - 1, layout.bottom), image.get(layout.left - 1, 300));  // axis
    EXPECT_FALSE(image.get(layout.left - 1, layout.bottom) == kBlue);
}

TEST(Chart, SeriesAppearAtTheirPointsAndOnlyInsideThePlotArea) {
    // Two rising series; the orange one runs past the fixed x and y ranges and must be clipped.
    const std::vector<Series> series = {
        {"measured", {{2, 10}, {10, 30}, {20, 45}, {30, 70}}, kBlue, false, true},
        {"bound", {{2, 5}, {10, 20}, {20, 60}, {45, 140}}, kOrange, true, true},
    };
    ChartOptions options;
    options.title = "Distribution time";
    options.x_label = "N";
    options.y_label = "seconds";
    options.x_max = 35;
    options.y_max = 100;
    const ChartLayout layout = layout_line_chart(series, options);
    const Image image = draw_line_chart(series, options);
    const Box plot{layout.left, layout.top, layout.right, layout.bottom};
    for (const Series& one : series) {
        const auto [inside, outside] = count_colour(image, one.colour, plot);
        EXPECT_GT(inside, 100) << one.name;
        EXPECT_EQ(outside, 0) << one.name;
        for (const auto& [x, y] : one.points) {
            if (x > 35 || y > 100) {
                continue;
            }
            EXPECT_EQ(image.get(layout.pixel_x(x), layout.pixel_y(y)), one.colour)
                << one.name << " (" << x << ", " << y << ")";
            // The marker: a square around the point.
            EXPECT_EQ(image.get(layout.pixel_x(x) + 2, layout.pixel_y(y) - 2), one.colour);
        }
    }
    // The clipped orange line reaches the right edge of the plot area... it leaves at
    // y = 60 + (35-20)/(45-20) * 80 = 108 > 100, so through the top edge near x = 32.5.
    bool on_top_edge = false;
    for (long x = layout.pixel_x(31); x <= layout.pixel_x(34); ++x) {
        on_top_edge = on_top_edge || image.get(x, layout.top) == kOrange;
    }
    EXPECT_TRUE(on_top_edge);
}

TEST(Chart, LinesAreTwoPixelsWideAndDashedWhenAsked) {
    // Horizontal lines, solid and dashed, with no markers and no names (no legend).
    const std::vector<Series> series = {
        {"", {{0, 2}, {10, 2}}, kBlue, false, false},
        {"", {{0, 6}, {10, 6}}, kOrange, true, false},
    };
    ChartOptions options;
    options.y_max = 8;
    const ChartLayout layout = layout_line_chart(series, options);
    const Image image = draw_line_chart(series, options);
    ASSERT_EQ(layout.scale, 2);

    const long solid_y = layout.pixel_y(2);
    const long dashed_y = layout.pixel_y(6);
    long solid = 0;
    long dashed_on = 0;
    long dashed_off = 0;
    for (long x = layout.left; x <= layout.right; ++x) {
        solid += image.get(x, solid_y) == kBlue ? 1 : 0;
        (image.get(x, dashed_y) == kOrange ? dashed_on : dashed_off) += 1;
    }
    EXPECT_EQ(solid, layout.right - layout.left + 1);
    EXPECT_GT(dashed_on, (layout.right - layout.left) / 2);
    EXPECT_GT(dashed_off, (layout.right - layout.left) / 4);
    // Two pixels thick: the row below is the line too, the ones beyond are not.
    const long mid = (layout.left + layout.right) / 2;
    EXPECT_EQ(image.get(mid, solid_y + 1), kBlue);
    EXPECT_FALSE(image.get(mid, solid_y + 2) == kBlue);
    EXPECT_FALSE(image.get(mid, solid_y - 1) == kBlue);
}

TEST(Chart, LegendShowsEveryNamedSeries) {
    // A named series without points appears only in the legend, inside the plot area and
    // clear of the data (which rises to the top right, so the legend goes top left).
    const Rgb green = palette(2);
    const std::vector<Series> series = {
        {"data", {{0, 0}, {10, 10}}, kBlue},
        {"only in the legend", {}, green},
    };
    const ChartLayout layout = layout_line_chart(series, {});
    const Image image = draw_line_chart(series, {});
    const Box plot{layout.left, layout.top, layout.right, layout.bottom};
    const auto [inside, outside] = count_colour(image, green, plot);
    EXPECT_GT(inside, 20);
    EXPECT_EQ(outside, 0);
    const long mid_x = (layout.left + layout.right) / 2;
    const long mid_y = (layout.top + layout.bottom) / 2;
    for (long y = 0; y < static_cast<long>(image.height); ++y) {
        for (long x = 0; x < static_cast<long>(image.width); ++x) {
            if (image.get(x, y) == green) {
                ASSERT_LT(x, mid_x);
                ASSERT_LT(y, mid_y);
            }
        }
    }
    EXPECT_EQ(image.get(layout.pixel_x(5), layout.pixel_y(5)), kBlue);  // not hidden

    // A falling series leaves the top left busy: the legend moves to another corner.
    const std::vector<Series> falling = {
        {"data", {{0, 10}, {10, 0}}, kBlue},
        {"only in the legend", {}, green},
    };
    const Image other = draw_line_chart(falling, {});
    bool in_top_left = false;
    for (long y = layout.top; y < mid_y; ++y) {
        for (long x = layout.left; x < mid_x; ++x) {
            in_top_left = in_top_left || other.get(x, y) == green;
        }
    }
    EXPECT_FALSE(in_top_left);
    EXPECT_GT(count_colour(other, green, plot).first, 20);
}

TEST(Chart, SkipsNonFinitePointsAndHugeValues) {
    const std::vector<Series> series = {
        {"", {{0, 1}, {NAN, 3}, {1, INFINITY}, {2, 2}, {3, 1e300}}, kBlue},
    };
    ChartOptions options;
    options.y_max = 4;
    const ChartLayout layout = layout_line_chart(series, options);
    EXPECT_EQ(layout.x_max, 3);
    const Image image = draw_line_chart(series, options);
    EXPECT_EQ(image.get(layout.pixel_x(2), layout.pixel_y(2)), kBlue);
    const Box plot{layout.left, layout.top, layout.right, layout.bottom};
    EXPECT_EQ(count_colour(image, kBlue, plot).second, 0);
}

// The course's bounds for distributing a file of F bits to N peers (Kurose & Ross 2.5):
// client-server D_cs >= max{NF/u_s, F/d_min}, P2P D >= max{F/u_s, F/d_min, NF/(u_s + sum u_i)},
// with F = 15 Gbit, u_s = 30 Mbit/s, d_min = 2 Mbit/s, u_i = 700 kbit/s; and "measured" times
// a little above each bound, as a run of `l7 torrent experiment` would give.
TEST(Chart, ExampleTorrentChart) {
    const double f = 15e9;
    const double us = 30e6;
    const double dmin = 2e6;
    const double u = 0.7e6;
    Series cs_bound{"D_cs >= max{NF/u_s, F/d_min}", {}, kOrange, true, false};
    Series p2p_bound{"D_P2P >= max{F/u_s, F/d_min, NF/(u_s + sum u_i)}", {}, kBlue, true, false};
    Series cs_measured{"client-server (measured)", {}, kOrange, false, true};
    Series p2p_measured{"BitTorrent (measured)", {}, kBlue, false, true};
    for (int n = 1; n <= 40; ++n) {
        const double cs = std::max(n * f / us, f / dmin);
        const double p2p = std::max({f / us, f / dmin, n * f / (us + n * u)});
        cs_bound.points.emplace_back(n, cs);
        p2p_bound.points.emplace_back(n, p2p);
        if (n % 5 == 0 || n == 1) {
            cs_measured.points.emplace_back(n, cs * (1.04 + 0.01 * (n % 3)));
            p2p_measured.points.emplace_back(n, p2p * (1.12 + 0.02 * (n % 4)));
        }
    }
    ChartOptions options;
    options.title = "Time to distribute F = 15 Gbit to N peers";
    options.x_label = "N (peers)";
    options.y_label = "distribution time (s)";
    options.integer_x_ticks = true;
    const std::vector<Series> series = {cs_bound, p2p_bound, cs_measured, p2p_measured};
    const Image image = draw_line_chart(series, options);

    const char* env = std::getenv("L7_PLOT_EXAMPLE");
    const std::filesystem::path path =
        env != nullptr ? std::filesystem::path(env)
                       : std::filesystem::path(::testing::TempDir()) / "l7-plot-example.png";
    const Result<bool> written = write_png_file(path, image);
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(std::filesystem::file_size(path), encode_png(image).size());
    if (env == nullptr) {
        std::filesystem::remove(path);
    }
    // Both measured series sit on their markers.
    const ChartLayout layout = layout_line_chart(series, options);
    EXPECT_EQ(image.get(layout.pixel_x(40), layout.pixel_y(cs_measured.points.back().second)),
              kOrange);
}

}  // namespace
}  // namespace l7::plot
