#pragma once
// An RGB raster and its PNG encoding (PNG specification, ISO/IEC 15948 / W3C PNG 2nd ed.):
// the charts of the experiments are drawn into an Image and saved as a PNG file that any
// viewer opens. Only what a chart needs: 8-bit truecolour, no alpha, no interlace, filter 0.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace l7::plot {

struct Rgb {
    std::uint8_t r = 0;
    std::uint8_t g = 0;
    std::uint8_t b = 0;
    friend bool operator==(const Rgb&, const Rgb&) = default;
};

// Row-major pixels, 3 bytes (R, G, B) each, top row first: the order of a PNG scanline.
struct Image {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::vector<std::uint8_t> rgb;

    // A width x height image filled with `fill`.
    static Image filled(std::uint32_t width, std::uint32_t height, Rgb fill);

    bool contains(long x, long y) const {
        return x >= 0 && y >= 0 && x < static_cast<long>(width) && y < static_cast<long>(height);
    }
    // Writes outside the image are dropped: drawing code clips by calling set() freely.
    void set(long x, long y, Rgb colour);
    // Black outside the image.
    Rgb get(long x, long y) const;
};

// The whole PNG file: signature, IHDR (8-bit RGB), one IDAT (zlib stream of the filter-0
// scanlines), IEND, each chunk with its CRC-32. Throws std::invalid_argument when the image
// is empty or `rgb` does not hold width*height*3 bytes (a caller's bug, not input).
std::string encode_png(const Image& image);

// Writes encode_png(image) to `path` through a temporary file beside it that is renamed over
// `path`, so a reader sees the old file or the whole new one.
Result<bool> write_png_file(const std::filesystem::path& path, const Image& image);

}  // namespace l7::plot
