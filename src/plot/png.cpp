#include "plot/png.hpp"

#include <zlib.h>

#include <array>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace l7::plot {
namespace {

// PNG section 5.2: the 8 bytes every PNG file starts with.
constexpr std::array<std::uint8_t, 8> kSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

void put_u32(std::string& out, std::uint32_t v) {
    out += static_cast<char>((v >> 24) & 0xFF);
    out += static_cast<char>((v >> 16) & 0xFF);
    out += static_cast<char>((v >> 8) & 0xFF);
    out += static_cast<char>(v & 0xFF);
}

// PNG section 5.3: length, type, data, then a CRC-32 over type and data (not the length).
void put_chunk(std::string& out, const char (&type)[5], const std::string& data) {
    put_u32(out, static_cast<std::uint32_t>(data.size()));
    const std::size_t type_at = out.size();
    out.append(type, 4);
    out += data;
    const auto* crc_from = reinterpret_cast<const Bytef*>(out.data() + type_at);
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), crc_from, static_cast<uInt>(4 + data.size()));
    put_u32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

Image Image::filled(std::uint32_t w, std::uint32_t h, Rgb fill) {
    Image image{w, h, {}};
    image.rgb.resize(static_cast<std::size_t>(w) * h * 3);
    for (std::size_t i = 0; i < image.rgb.size(); i += 3) {
        image.rgb[i] = fill.r;
        image.rgb[i + 1] = fill.g;
        image.rgb[i + 2] = fill.b;
    }
    return image;
}

void Image::set(long x, long y, Rgb colour) {
    if (!contains(x, y)) {
        return;
    }
    const std::size_t at = (static_cast<std::size_t>(y) * width + static_cast<std::size_t>(x)) * 3;
    rgb[at] = colour.r;
    rgb[at + 1] = colour.g;
    rgb[at + 2] = colour.b;
}

Rgb Image::get(long x, long y) const {
    if (!contains(x, y)) {
        return {};
    }
    const std::size_t at = (static_cast<std::size_t>(y) * width + static_cast<std::size_t>(x)) * 3;
    return {rgb[at], rgb[at + 1], rgb[at + 2]};
}

std::string encode_png(const Image& image) {
    const std::size_t row_bytes = static_cast<std::size_t>(image.width) * 3;
    // PNG section 11.2.2: width and height are 1 .. 2^31-1.
    if (image.width == 0 || image.height == 0 || image.width > 0x7FFFFFFFu ||
        image.height > 0x7FFFFFFFu || image.rgb.size() != row_bytes * image.height) {
        throw std::invalid_argument("encode_png: image size does not match its pixel buffer");
    }

    std::string out(kSignature.begin(), kSignature.end());

    // PNG section 11.2.2: bit depth 8, colour type 2 (truecolour), compression 0 (deflate),
    // filter method 0, interlace 0.
    std::string ihdr;
    put_u32(ihdr, image.width);
    put_u32(ihdr, image.height);
    ihdr += {'\x08', '\x02', '\x00', '\x00', '\x00'};
    put_chunk(out, "IHDR", ihdr);

    // PNG section 7.2/9: every scanline is preceded by its filter type; 0 (None) keeps the
    // encoder trivial, and a chart's long runs of one colour deflate well without filtering.
    std::string raw;
    raw.reserve((row_bytes + 1) * image.height);
    for (std::uint32_t y = 0; y < image.height; ++y) {
        raw += '\0';
        raw.append(reinterpret_cast<const char*>(image.rgb.data() + y * row_bytes), row_bytes);
    }
    uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
    std::string idat(packed_size, '\0');
    const int rc = compress2(reinterpret_cast<Bytef*>(idat.data()), &packed_size,
                             reinterpret_cast<const Bytef*>(raw.data()),
                             static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
    if (rc != Z_OK) {
        // Only Z_MEM_ERROR is possible with a compressBound-sized buffer.
        throw std::bad_alloc();
    }
    idat.resize(packed_size);
    put_chunk(out, "IDAT", idat);
    put_chunk(out, "IEND", {});
    return out;
}

Result<bool> write_png_file(const std::filesystem::path& path, const Image& image) {
    if (image.width == 0 || image.height == 0 ||
        image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
        return make_error("cannot write " + path.string() + ": the image is empty or malformed");
    }
    const std::string bytes = encode_png(image);
    // The temporary sits in the target's directory so that the rename stays on one file system.
    std::filesystem::path temporary = path;
    temporary += ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) {
            return make_error("cannot create " + temporary.string());
        }
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            return make_error("cannot write " + temporary.string());
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        return make_error("cannot rename " + temporary.string() + " to " + path.string() + ": " +
                          ec.message());
    }
    return true;
}

}  // namespace l7::plot
