#include "plot/line_chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace l7::plot {
namespace {

// ---- The font ------------------------------------------------------------------------------
// Designed for this file on a 5x8 grid: capitals and digits use rows 0..6, lower case has its
// x-height at rows 2..6, and row 7 is for the tails of g, j, p, q, y, the comma and '_'.

struct Glyph {
    const char* rows[kGlyphHeight];
};

constexpr int kFirstChar = 32;
constexpr int kLastChar = 126;

// clang-format off
constexpr Glyph kGlyphs[kLastChar - kFirstChar + 1] = {
    {{".....", ".....", ".....", ".....", ".....", ".....", ".....", "....."}},  // ' '
    {{"..#..", "..#..", "..#..", "..#..", "..#..", ".....", "..#..", "....."}},  // !
    {{".#.#.", ".#.#.", ".....", ".....", ".....", ".....", ".....", "....."}},  // "
    {{".#.#.", ".#.#.", "#####", ".#.#.", "#####", ".#.#.", ".#.#.", "....."}},  // #
    {{"..#..", ".####", "#.#..", ".###.", "..#.#", "####.", "..#..", "....."}},  // $
    {{"##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##", "....."}},  // %
    {{".##..", "#..#.", "#.#..", ".#...", "#.#.#", "#..#.", ".##.#", "....."}},  // &
    {{"..#..", "..#..", ".#...", ".....", ".....", ".....", ".....", "....."}},  // '
    {{"...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#.", "....."}},  // (
    {{".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#...", "....."}},  // )
    {{".....", "..#..", "#.#.#", ".###.", "#.#.#", "..#..", ".....", "....."}},  // *
    {{".....", "..#..", "..#..", "#####", "..#..", "..#..", ".....", "....."}},  // +
    {{".....", ".....", ".....", ".....", ".....", "..##.", "...#.", "..#.."}},  // ,
    {{".....", ".....", ".....", "#####", ".....", ".....", ".....", "....."}},  // -
    {{".....", ".....", ".....", ".....", ".....", ".##..", ".##..", "....."}},  // .
    {{".....", "....#", "...#.", "..#..", ".#...", "#....", ".....", "....."}},  // /
    {{".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###.", "....."}},  // 0
    {{"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###.", "....."}},  // 1
    {{".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####", "....."}},  // 2
    {{"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###.", "....."}},  // 3
    {{"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#.", "....."}},  // 4
    {{"#####", "#....", "####.", "....#", "....#", "#...#", ".###.", "....."}},  // 5
    {{"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###.", "....."}},  // 6
    {{"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#...", "....."}},  // 7
    {{".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###.", "....."}},  // 8
    {{".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##..", "....."}},  // 9
    {{".....", ".##..", ".##..", ".....", ".##..", ".##..", ".....", "....."}},  // :
    {{".....", ".##..", ".##..", ".....", ".##..", "..#..", ".#...", "....."}},  // ;
    {{"...#.", "..#..", ".#...", "#....", ".#...", "..#..", "...#.", "....."}},  // <
    {{".....", ".....", "#####", ".....", "#####", ".....", ".....", "....."}},  // =
    {{".#...", "..#..", "...#.", "....#", "...#.", "..#..", ".#...", "....."}},  // >
    {{".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#..", "....."}},  // ?
    {{".###.", "#...#", "....#", ".##.#", "#.#.#", "#.#.#", ".###.", "....."}},  // @
    {{".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#", "....."}},  // A
    {{"####.", "#...#", "#...#", "####.", "#...#", "#...#", "####.", "....."}},  // B
    {{".###.", "#...#", "#....", "#....", "#....", "#...#", ".###.", "....."}},  // C
    {{"###..", "#..#.", "#...#", "#...#", "#...#", "#..#.", "###..", "....."}},  // D
    {{"#####", "#....", "#....", "####.", "#....", "#....", "#####", "....."}},  // E
    {{"#####", "#....", "#....", "####.", "#....", "#....", "#....", "....."}},  // F
    {{".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####", "....."}},  // G
    {{"#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#", "....."}},  // H
    {{".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###.", "....."}},  // I
    {{"..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##..", "....."}},  // J
    {{"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#", "....."}},  // K
    {{"#....", "#....", "#....", "#....", "#....", "#....", "#####", "....."}},  // L
    {{"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#", "....."}},  // M
    {{"#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "....."}},  // N
    {{".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.", "....."}},  // O
    {{"####.", "#...#", "#...#", "####.", "#....", "#....", "#....", "....."}},  // P
    {{".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#", "....."}},  // Q
    {{"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#", "....."}},  // R
    {{".####", "#....", "#....", ".###.", "....#", "....#", "####.", "....."}},  // S
    {{"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..", "....."}},  // T
    {{"#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.", "....."}},  // U
    {{"#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#..", "....."}},  // V
    {{"#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#.", "....."}},  // W
    {{"#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#", "....."}},  // X
    {{"#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#..", "....."}},  // Y
    {{"#####", "....#", "...#.", "..#..", ".#...", "#....", "#####", "....."}},  // Z
    {{".###.", ".#...", ".#...", ".#...", ".#...", ".#...", ".###.", "....."}},  // [
    {{".....", "#....", ".#...", "..#..", "...#.", "....#", ".....", "....."}},  // backslash
    {{".###.", "...#.", "...#.", "...#.", "...#.", "...#.", ".###.", "....."}},  // ]
    {{"..#..", ".#.#.", "#...#", ".....", ".....", ".....", ".....", "....."}},  // ^
    {{".....", ".....", ".....", ".....", ".....", ".....", ".....", "#####"}},  // _
    {{".#...", "..#..", "...#.", ".....", ".....", ".....", ".....", "....."}},  // `
    {{".....", ".....", ".###.", "....#", ".####", "#...#", ".####", "....."}},  // a
    {{"#....", "#....", "#.##.", "##..#", "#...#", "#...#", "####.", "....."}},  // b
    {{".....", ".....", ".###.", "#....", "#....", "#...#", ".###.", "....."}},  // c
    {{"....#", "....#", ".##.#", "#..##", "#...#", "#...#", ".####", "....."}},  // d
    {{".....", ".....", ".###.", "#...#", "#####", "#....", ".###.", "....."}},  // e
    {{"..##.", ".#..#", ".#...", "###..", ".#...", ".#...", ".#...", "....."}},  // f
    {{".....", ".....", ".####", "#...#", "#...#", ".####", "....#", ".###."}},  // g
    {{"#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#", "....."}},  // h
    {{"..#..", ".....", ".##..", "..#..", "..#..", "..#..", ".###.", "....."}},  // i
    {{"...#.", ".....", "..##.", "...#.", "...#.", "...#.", "#..#.", ".##.."}},  // j
    {{"#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "....."}},  // k
    {{".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###.", "....."}},  // l
    {{".....", ".....", "##.#.", "#.#.#", "#.#.#", "#...#", "#...#", "....."}},  // m
    {{".....", ".....", "#.##.", "##..#", "#...#", "#...#", "#...#", "....."}},  // n
    {{".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###.", "....."}},  // o
    {{".....", ".....", "####.", "#...#", "#...#", "####.", "#....", "#...."}},  // p
    {{".....", ".....", ".####", "#...#", "#...#", ".####", "....#", "....#"}},  // q
    {{".....", ".....", "#.##.", "##..#", "#....", "#....", "#....", "....."}},  // r
    {{".....", ".....", ".####", "#....", ".###.", "....#", "####.", "....."}},  // s
    {{".#...", ".#...", "###..", ".#...", ".#...", ".#..#", "..##.", "....."}},  // t
    {{".....", ".....", "#...#", "#...#", "#...#", "#..##", ".##.#", "....."}},  // u
    {{".....", ".....", "#...#", "#...#", "#...#", ".#.#.", "..#..", "....."}},  // v
    {{".....", ".....", "#...#", "#...#", "#.#.#", "#.#.#", ".#.#.", "....."}},  // w
    {{".....", ".....", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "....."}},  // x
    {{".....", ".....", "#...#", "#...#", "#...#", ".####", "....#", ".###."}},  // y
    {{".....", ".....", "#####", "...#.", "..#..", ".#...", "#####", "....."}},  // z
    {{"...##", "..#..", "..#..", "##...", "..#..", "..#..", "...##", "....."}},  // {
    {{"..#..", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."}},  // |
    {{"##...", "..#..", "..#..", "...##", "..#..", "..#..", "##...", "....."}},  // }
    {{".....", ".....", ".#...", "#.#.#", "...#.", ".....", ".....", "....."}},  // ~
};
// clang-format on

constexpr bool font_is_well_formed() {
    for (const Glyph& glyph : kGlyphs) {
        for (const char* row : glyph.rows) {
            int n = 0;
            for (; row[n] != '\0'; ++n) {
                if (row[n] != '.' && row[n] != '#') {
                    return false;
                }
            }
            if (n != kGlyphWidth) {
                return false;
            }
        }
    }
    return true;
}
static_assert(font_is_well_formed(), "every glyph row is 5 of '.' and '#'");

// ---- Colours -------------------------------------------------------------------------------

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kGrid{228, 228, 228};
constexpr Rgb kAxis{64, 64, 64};
constexpr Rgb kText{32, 32, 32};
constexpr Rgb kLegendBorder{170, 170, 170};

// ---- Raster primitives ---------------------------------------------------------------------

// Drawing confined to a rectangle (inclusive bounds): the plot area for series, so that data
// beyond a fixed axis range never covers the labels.
struct Canvas {
    Image& image;
    long x0, y0, x1, y1;

    void put(long x, long y, Rgb c) const {
        if (x >= x0 && x <= x1 && y >= y0 && y <= y1) {
            image.set(x, y, c);
        }
    }
    void fill(long left, long top, long right, long bottom, Rgb c) const {
        for (long y = std::max(top, y0); y <= std::min(bottom, y1); ++y) {
            for (long x = std::max(left, x0); x <= std::min(right, x1); ++x) {
                image.set(x, y, c);
            }
        }
    }
};

struct Pen {
    Rgb colour;
    int width = 1;
    bool dashed = false;
    double dash_on = 1;
    double dash_off = 1;
};

// Liang-Barsky: shrinks the segment to the part inside the canvas rectangle. False when none
// of it is inside. t0/t1 tell where the kept part starts and ends along the original segment.
bool clip_segment(const Canvas& canvas, double& ax, double& ay, double& bx, double& by, double& t0,
                  double& t1) {
    const double dx = bx - ax;
    const double dy = by - ay;
    t0 = 0;
    t1 = 1;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {ax - static_cast<double>(canvas.x0), static_cast<double>(canvas.x1) - ax,
                         ay - static_cast<double>(canvas.y0), static_cast<double>(canvas.y1) - ay};
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0) {
            if (q[i] < 0) {
                return false;
            }
            continue;
        }
        const double r = q[i] / p[i];
        if (p[i] < 0) {
            t0 = std::max(t0, r);
        } else {
            t1 = std::min(t1, r);
        }
    }
    if (t0 > t1) {
        return false;
    }
    const double sx = ax;
    const double sy = ay;
    ax = sx + t0 * dx;
    ay = sy + t0 * dy;
    bx = sx + t1 * dx;
    by = sy + t1 * dy;
    return true;
}

// Bresenham between the rounded end points, stamping a width x width square at each step.
// `travelled` is the pen's distance along the whole polyline so that a dash pattern runs on
// across corners; it is advanced by the segment's length.
void draw_segment(const Canvas& canvas, double ax, double ay, double bx, double by, const Pen& pen,
                  double& travelled) {
    const double length = std::hypot(bx - ax, by - ay);
    double t0 = 0;
    double t1 = 1;
    if (!std::isfinite(length) || !clip_segment(canvas, ax, ay, bx, by, t0, t1)) {
        travelled += std::isfinite(length) ? length : 0;
        return;
    }
    long x = std::lround(ax);
    long y = std::lround(ay);
    const long xe = std::lround(bx);
    const long ye = std::lround(by);
    const long dx = std::abs(xe - x);
    const long dy = -std::abs(ye - y);
    const long sx = x < xe ? 1 : -1;
    const long sy = y < ye ? 1 : -1;
    long err = dx + dy;
    double along = travelled + t0 * length;
    const long lo = -(pen.width - 1) / 2;
    const long hi = pen.width / 2;
    // The clipped segment lies in the canvas, so this takes at most its width + height steps.
    for (;;) {
        const double period = pen.dash_on + pen.dash_off;
        if (!pen.dashed || std::fmod(along, period) < pen.dash_on) {
            canvas.fill(x + lo, y + lo, x + hi, y + hi, pen.colour);
        }
        if (x == xe && y == ye) {
            break;
        }
        const long e2 = 2 * err;
        bool stepped_x = false;
        bool stepped_y = false;
        if (e2 >= dy) {
            err += dy;
            x += sx;
            stepped_x = true;
        }
        if (e2 <= dx) {
            err += dx;
            y += sy;
            stepped_y = true;
        }
        along += (stepped_x && stepped_y) ? std::sqrt(2.0) : 1.0;
    }
    travelled += length;
}

// ---- Axes ----------------------------------------------------------------------------------

// k * step without the rounding noise of 3 * 0.2 = 0.6000000000000001: a nice step below 1 is
// 1/n for an integer n (0.2 = 1/5, 0.05 = 1/20), and k / n is correctly rounded.
double multiple(double k, double step) {
    if (step < 1) {
        return k / std::round(1 / step);
    }
    return k * step;
}

struct Axis {
    double min = 0;
    double max = 1;
    double step = 1;
    std::vector<double> ticks;
};

Axis make_axis(double data_lo, double data_hi, std::optional<double> fixed_lo,
               std::optional<double> fixed_hi, bool integer) {
    if (fixed_lo && !std::isfinite(*fixed_lo)) {
        fixed_lo.reset();
    }
    if (fixed_hi && !std::isfinite(*fixed_hi)) {
        fixed_hi.reset();
    }
    double lo = fixed_lo.value_or(data_lo);
    double hi = fixed_hi.value_or(data_hi);
    if (!(hi > lo)) {
        // One value, no data, or bounds the wrong way round: a unit range next to the fixed
        // bound if there is one.
        if (fixed_hi && !fixed_lo) {
            lo = hi - 1;
        } else {
            hi = lo + 1;
        }
    }
    Axis axis;
    axis.step = nice_step(lo, hi);
    if (integer) {
        axis.step = std::max(axis.step, 1.0);
    }
    axis.min = fixed_lo ? lo : multiple(std::floor(lo / axis.step + 1e-9), axis.step);
    axis.max = fixed_hi ? hi : multiple(std::ceil(hi / axis.step - 1e-9), axis.step);
    const double first = std::ceil(axis.min / axis.step - 1e-9);
    const double last = std::floor(axis.max / axis.step + 1e-9);
    for (double k = first; k <= last && axis.ticks.size() < 100; ++k) {
        axis.ticks.push_back(multiple(k, axis.step));
    }
    return axis;
}

// Space around the plot area, in units of the text scale.
constexpr int kPad = 6;         // image border and gaps between blocks
constexpr int kTickLength = 3;  // tick marks outside the axes
constexpr int kTickGap = 2;     // tick mark to its label

long below_plot(const ChartOptions& options, int s) {
    long space = s + (kTickLength + kTickGap) * s + text_height(s) + kPad * s;
    if (!options.x_label.empty()) {
        space += text_height(s) + kPad * s;
    }
    return space;
}

int title_scale(const std::string& title, long width, int s) {
    return text_width(title, s + 1) <= width - 2 * kPad * s ? s + 1 : s;
}

}  // namespace

// ---- Text ----------------------------------------------------------------------------------

bool glyph_ink(char c, int col, int row) {
    if (col < 0 || col >= kGlyphWidth || row < 0 || row >= kGlyphHeight) {
        return false;
    }
    int code = static_cast<unsigned char>(c);
    if (code < kFirstChar || code > kLastChar) {
        code = '?';
    }
    return kGlyphs[code - kFirstChar].rows[row][col] == '#';
}

long text_width(std::string_view text, int scale) {
    if (text.empty()) {
        return 0;
    }
    return (static_cast<long>(text.size()) * kGlyphAdvance - 1) * scale;
}

void draw_text(Image& image, long x, long y, std::string_view text, Rgb colour, int scale) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const long cx = x + static_cast<long>(i) * kGlyphAdvance * scale;
        for (int row = 0; row < kGlyphHeight; ++row) {
            for (int col = 0; col < kGlyphWidth; ++col) {
                if (!glyph_ink(text[i], col, row)) {
                    continue;
                }
                for (int dy = 0; dy < scale; ++dy) {
                    for (int dx = 0; dx < scale; ++dx) {
                        image.set(cx + col * scale + dx, y + row * scale + dy, colour);
                    }
                }
            }
        }
    }
}

void draw_text_up(Image& image, long x, long y, std::string_view text, Rgb colour, int scale) {
    // The text's own (along, down) coordinates become (x + down, y - along).
    for (std::size_t i = 0; i < text.size(); ++i) {
        const long along0 = static_cast<long>(i) * kGlyphAdvance * scale;
        for (int row = 0; row < kGlyphHeight; ++row) {
            for (int col = 0; col < kGlyphWidth; ++col) {
                if (!glyph_ink(text[i], col, row)) {
                    continue;
                }
                for (int dy = 0; dy < scale; ++dy) {
                    for (int dx = 0; dx < scale; ++dx) {
                        image.set(x + row * scale + dy, y - (along0 + col * scale + dx), colour);
                    }
                }
            }
        }
    }
}

// ---- Axes ----------------------------------------------------------------------------------

double nice_step(double lo, double hi, int intervals) {
    const double span = hi - lo;
    if (!std::isfinite(span) || !(span > 0)) {
        return 1;
    }
    const double raw = span / std::max(1, intervals);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / magnitude;  // 1 <= norm < 10
    double factor = 10;
    if (norm <= 1 + 1e-9) {
        factor = 1;
    } else if (norm <= 2 + 1e-9) {
        factor = 2;
    } else if (norm <= 5 + 1e-9) {
        factor = 5;
    }
    // Below 1 the step is 1/n exactly representable as a quotient (see multiple()).
    return magnitude < 1 ? 1 / std::round(1 / (factor * magnitude)) : factor * magnitude;
}

std::vector<double> nice_ticks(double lo, double hi, int intervals) {
    std::vector<double> ticks;
    const double step = nice_step(lo, hi, intervals);
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        return ticks;
    }
    const double first = std::floor(lo / step + 1e-9);
    const double last = std::ceil(hi / step - 1e-9);
    for (double k = first; k <= last && ticks.size() < 1000; ++k) {
        ticks.push_back(multiple(k, step));
    }
    return ticks;
}

std::string tick_label(double value, double step) {
    int decimals = 0;
    if (step > 0 && step < 1) {
        decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 12);
    }
    if (std::abs(value) < std::abs(step) * 1e-6) {
        value = 0;  // no "-0"
    }
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// ---- Chart ---------------------------------------------------------------------------------

Rgb palette(std::size_t index) {
    static constexpr std::array<Rgb, 8> kColours = {{
        {31, 119, 180},   // blue
        {230, 120, 20},   // orange
        {44, 150, 44},    // green
        {200, 40, 40},    // red
        {140, 90, 190},   // purple
        {140, 86, 75},    // brown
        {220, 100, 180},  // pink
        {20, 170, 190},   // cyan
    }};
    return kColours[index % kColours.size()];
}

long ChartLayout::pixel_x(double x) const {
    const double at = static_cast<double>(left) +
                      (x - x_min) / (x_max - x_min) * static_cast<double>(right - left);
    return std::lround(std::clamp(at, -1e9, 1e9));
}

long ChartLayout::pixel_y(double y) const {
    const double at = static_cast<double>(bottom) -
                      (y - y_min) / (y_max - y_min) * static_cast<double>(bottom - top);
    return std::lround(std::clamp(at, -1e9, 1e9));
}

ChartLayout layout_line_chart(const std::vector<Series>& series, const ChartOptions& options) {
    const long width = std::clamp<long>(options.width, 200, 8000);
    const long height = std::clamp<long>(options.height, 200, 8000);
    ChartLayout layout;
    const int s = std::max(1, static_cast<int>(std::min(width, height) / 300));
    layout.scale = s;

    double x_lo = std::numeric_limits<double>::infinity();
    double x_hi = -x_lo;
    double y_lo = 0;  // y starts at 0 unless the data goes below it
    double y_hi = -x_lo;
    for (const Series& one : series) {
        for (const auto& [x, y] : one.points) {
            if (!std::isfinite(x) || !std::isfinite(y)) {
                continue;
            }
            x_lo = std::min(x_lo, x);
            x_hi = std::max(x_hi, x);
            y_lo = std::min(y_lo, y);
            y_hi = std::max(y_hi, y);
        }
    }
    if (x_lo > x_hi) {  // no data
        x_lo = 0;
        x_hi = 1;
        y_hi = 1;
    }
    const Axis x_axis =
        make_axis(x_lo, x_hi, options.x_min, options.x_max, options.integer_x_ticks);
    const Axis y_axis = make_axis(y_lo, y_hi, options.y_min, options.y_max, false);
    layout.x_min = x_axis.min;
    layout.x_max = x_axis.max;
    layout.x_step = x_axis.step;
    layout.x_ticks = x_axis.ticks;
    layout.y_min = y_axis.min;
    layout.y_max = y_axis.max;
    layout.y_step = y_axis.step;
    layout.y_ticks = y_axis.ticks;

    long y_label_width = 0;
    for (double tick : layout.y_ticks) {
        y_label_width = std::max(y_label_width, text_width(tick_label(tick, layout.y_step), s));
    }
    long last_x_label = 0;
    if (!layout.x_ticks.empty()) {
        last_x_label = text_width(tick_label(layout.x_ticks.back(), layout.x_step), s);
    }

    layout.top = 2 * kPad * s;
    if (!options.title.empty()) {
        layout.top = kPad * s + text_height(title_scale(options.title, width, s)) + 2 * kPad * s;
    }
    layout.left = kPad * s + y_label_width + (kTickGap + kTickLength + 1) * s;
    if (!options.y_label.empty()) {
        layout.left += text_height(s) + kPad * s;
    }
    layout.bottom = height - 1 - below_plot(options, s);
    layout.right = width - 1 - std::max<long>(2 * kPad * s, last_x_label / 2 + kPad * s);
    // Absurdly long labels must still leave a plot area to map onto.
    layout.right = std::max(layout.right, layout.left + 10);
    layout.bottom = std::max(layout.bottom, layout.top + 10);
    return layout;
}

namespace {

void draw_legend(Image& image, const ChartLayout& layout, const std::vector<Series>& series) {
    const int s = layout.scale;
    std::vector<const Series*> named;
    long name_width = 0;
    for (const Series& one : series) {
        if (!one.name.empty()) {
            named.push_back(&one);
            name_width = std::max(name_width, text_width(one.name, s));
        }
    }
    if (named.empty()) {
        return;
    }
    const long inner = 5 * s;
    const long swatch = 20 * s;
    const long row = 12 * s;
    const long box_w = inner + swatch + inner + name_width + inner;
    const long box_h = inner + static_cast<long>(named.size() - 1) * row + text_height(s) + inner;
    const long margin = 5 * s;

    // The corner where the series left the fewest pixels: top-left first, where rising
    // curves (times over N) leave room.
    const std::array<std::pair<long, long>, 4> corners = {{
        {layout.left + margin, layout.top + margin},
        {layout.right - margin - box_w, layout.top + margin},
        {layout.right - margin - box_w, layout.bottom - margin - box_h},
        {layout.left + margin, layout.bottom - margin - box_h},
    }};
    long best_x = corners[0].first;
    long best_y = corners[0].second;
    long best_ink = std::numeric_limits<long>::max();
    for (const auto& [cx, cy] : corners) {
        long ink = 0;
        for (long y = cy; y < cy + box_h; ++y) {
            for (long x = cx; x < cx + box_w; ++x) {
                const Rgb c = image.get(x, y);
                ink += (c == kWhite || c == kGrid) ? 0 : 1;
            }
        }
        if (ink < best_ink) {
            best_ink = ink;
            best_x = cx;
            best_y = cy;
        }
    }

    const Canvas box{image, best_x, best_y, best_x + box_w - 1, best_y + box_h - 1};
    box.fill(box.x0, box.y0, box.x1, box.y1, kLegendBorder);
    box.fill(box.x0 + 1, box.y0 + 1, box.x1 - 1, box.y1 - 1, kWhite);
    for (std::size_t i = 0; i < named.size(); ++i) {
        const Series& one = *named[i];
        const long text_y = best_y + inner + static_cast<long>(i) * row;
        const double mid_y = static_cast<double>(text_y) + kCapHeight * s / 2.0;
        const double x0 = static_cast<double>(best_x + inner);
        const Pen pen{one.colour, s, one.dashed, 5.0 * s, 3.0 * s};
        double travelled = 0;
        draw_segment(box, x0, mid_y, x0 + static_cast<double>(swatch), mid_y, pen, travelled);
        if (one.markers) {
            const long mx = best_x + inner + swatch / 2;
            const long my = std::lround(mid_y);
            box.fill(mx - (s + 1), my - (s + 1), mx + (s + 1), my + (s + 1), one.colour);
        }
        draw_text(image, best_x + inner + swatch + inner, text_y, one.name, kText, s);
    }
}

}  // namespace

Image draw_line_chart(const std::vector<Series>& series, const ChartOptions& options) {
    const ChartLayout layout = layout_line_chart(series, options);
    const long width = std::clamp<long>(options.width, 200, 8000);
    const long height = std::clamp<long>(options.height, 200, 8000);
    const int s = layout.scale;
    Image image = Image::filled(static_cast<std::uint32_t>(width),
                                static_cast<std::uint32_t>(height), kWhite);
    const Canvas plot{image, layout.left, layout.top, layout.right, layout.bottom};
    const Canvas whole{image, 0, 0, width - 1, height - 1};

    // Grid lines at the ticks, then the axes just outside the plot area (left and below), so
    // that a point on x_min or y_min stays visible beside them rather than under them.
    for (double tick : layout.x_ticks) {
        const long x = layout.pixel_x(tick);
        plot.fill(x, layout.top, x, layout.bottom, kGrid);
        whole.fill(x, layout.bottom + 1, x, layout.bottom + (1 + kTickLength) * s, kAxis);
        const std::string label = tick_label(tick, layout.x_step);
        draw_text(image, x - text_width(label, s) / 2,
                  layout.bottom + (1 + kTickLength + kTickGap) * s, label, kText, s);
    }
    for (double tick : layout.y_ticks) {
        const long y = layout.pixel_y(tick);
        plot.fill(layout.left, y, layout.right, y, kGrid);
        whole.fill(layout.left - (1 + kTickLength) * s, y, layout.left - 1, y, kAxis);
        const std::string label = tick_label(tick, layout.y_step);
        draw_text(image, layout.left - (1 + kTickLength + kTickGap) * s - text_width(label, s),
                  y - kCapHeight * s / 2, label, kText, s);
    }
    whole.fill(layout.left - s, layout.top, layout.left - 1, layout.bottom + s, kAxis);
    whole.fill(layout.left - s, layout.bottom + 1, layout.right, layout.bottom + s, kAxis);

    if (!options.title.empty()) {
        const int ts = title_scale(options.title, width, s);
        const long tw = text_width(options.title, ts);
        const long centre = (layout.left + layout.right) / 2;
        const long x =
            std::clamp(centre - tw / 2, kPad * s + 0L, std::max(0L, width - tw - kPad * s));
        draw_text(image, x, kPad * s, options.title, kText, ts);
    }
    if (!options.x_label.empty()) {
        const long tw = text_width(options.x_label, s);
        draw_text(image, (layout.left + layout.right) / 2 - tw / 2,
                  height - kPad * s - text_height(s), options.x_label, kText, s);
    }
    if (!options.y_label.empty()) {
        const long tw = text_width(options.y_label, s);
        draw_text_up(image, kPad * s, (layout.top + layout.bottom) / 2 + tw / 2, options.y_label,
                     kText, s);
    }

    for (const Series& one : series) {
        const Pen pen{one.colour, s, one.dashed, 6.0 * s, 4.0 * s};
        double travelled = 0;
        bool have_previous = false;
        double px = 0;
        double py = 0;
        for (const auto& [x, y] : one.points) {
            if (!std::isfinite(x) || !std::isfinite(y)) {
                have_previous = false;  // a gap in the line
                continue;
            }
            // Unrounded pixel positions, clamped so that far-away points cannot overflow.
            const double cx = std::clamp(static_cast<double>(layout.left) +
                                             (x - layout.x_min) / (layout.x_max - layout.x_min) *
                                                 static_cast<double>(layout.right - layout.left),
                                         -1e9, 1e9);
            const double cy = std::clamp(static_cast<double>(layout.bottom) -
                                             (y - layout.y_min) / (layout.y_max - layout.y_min) *
                                                 static_cast<double>(layout.bottom - layout.top),
                                         -1e9, 1e9);
            if (have_previous) {
                draw_segment(plot, px, py, cx, cy, pen, travelled);
            }
            px = cx;
            py = cy;
            have_previous = true;
        }
        if (one.points.size() == 1 && !one.markers && have_previous) {
            // A lone point without a marker would be invisible: draw it as a dot.
            draw_segment(plot, px, py, px, py, pen, travelled);
        }
        if (!one.markers) {
            continue;
        }
        const long half = s + 1;
        for (const auto& [x, y] : one.points) {
            if (!std::isfinite(x) || !std::isfinite(y)) {
                continue;
            }
            const long mx = layout.pixel_x(x);
            const long my = layout.pixel_y(y);
            if (mx >= layout.left && mx <= layout.right && my >= layout.top &&
                my <= layout.bottom) {
                plot.fill(mx - half, my - half, mx + half, my + half, one.colour);
            }
        }
    }

    draw_legend(image, layout, series);
    return image;
}

}  // namespace l7::plot
