// PNG encoding (plot/png.hpp): the bytes of a 2x2 image taken apart chunk by chunk (signature,
// IHDR fields, every CRC recomputed, IDAT inflated back to the filtered scanlines), the pixel
// accessors, and the file writer's rename-into-place and its errors.

#include "plot/png.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace l7::plot {
namespace {

struct Chunk {
    std::string type;
    std::string data;
    std::uint32_t crc = 0;
};

std::uint32_t read_u32(const std::string& bytes, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

// Splits everything after the 8-byte signature into chunks; fails the test on a torn chunk.
std::vector<Chunk> split_chunks(const std::string& png) {
    std::vector<Chunk> chunks;
    std::size_t at = 8;
    while (at < png.size()) {
        EXPECT_LE(at + 12, png.size()) << "torn chunk header";
        if (at + 12 > png.size()) {
            break;
        }
        const std::uint32_t length = read_u32(png, at);
        EXPECT_LE(at + 12 + length, png.size()) << "torn chunk data";
        if (at + 12 + length > png.size()) {
            break;
        }
        chunks.push_back(
            {png.substr(at + 4, 4), png.substr(at + 8, length), read_u32(png, at + 8 + length)});
        at += 12 + length;
    }
    return chunks;
}

std::uint32_t crc_of(const Chunk& chunk) {
    const std::string covered = chunk.type + chunk.data;
    return static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0),
                                            reinterpret_cast<const Bytef*>(covered.data()),
                                            static_cast<uInt>(covered.size())));
}

std::string inflate_all(const std::string& packed, std::size_t expected_size) {
    std::string out(expected_size + 16, '\0');
    uLongf size = static_cast<uLongf>(out.size());
    const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                              reinterpret_cast<const Bytef*>(packed.data()),
                              static_cast<uLong>(packed.size()));
    EXPECT_EQ(rc, Z_OK);
    out.resize(size);
    return out;
}

Image two_by_two() {
    Image image = Image::filled(2, 2, {0, 0, 0});
    image.set(0, 0, {255, 0, 0});
    image.set(1, 0, {0, 255, 0});
    image.set(0, 1, {0, 0, 255});
    image.set(1, 1, {10, 20, 30});
    return image;
}

TEST(Png, TwoByTwoImageBytes) {
    const std::string png = encode_png(two_by_two());
    ASSERT_GE(png.size(), 8u);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

    const std::vector<Chunk> chunks = split_chunks(png);
    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(chunks[0].type, "IHDR");
    EXPECT_EQ(chunks[1].type, "IDAT");
    EXPECT_EQ(chunks[2].type, "IEND");
    for (const Chunk& chunk : chunks) {
        EXPECT_EQ(chunk.crc, crc_of(chunk)) << chunk.type;
    }
    // Known values (Python's zlib.crc32): the CRC must cover the type, not only the data.
    EXPECT_EQ(chunks[0].crc, 0xFDD49A73u);
    EXPECT_EQ(chunks[2].crc, 0xAE426082u);

    // IHDR: width, height, bit depth 8, colour type 2 (RGB), compression, filter, interlace 0.
    const std::string& ihdr = chunks[0].data;
    ASSERT_EQ(ihdr.size(), 13u);
    EXPECT_EQ(read_u32(ihdr, 0), 2u);
    EXPECT_EQ(read_u32(ihdr, 4), 2u);
    EXPECT_EQ(ihdr.substr(8), std::string("\x08\x02\x00\x00\x00", 5));
    EXPECT_TRUE(chunks[2].data.empty());

    // Each scanline: filter type 0, then R G B per pixel, top row first.
    const std::string expected(
        "\x00\xff\x00\x00\x00\xff\x00"
        "\x00\x00\x00\xff\x0a\x14\x1e",
        14);
    EXPECT_EQ(inflate_all(chunks[1].data, expected.size()), expected);
}

TEST(Png, LargerImageRoundTrips) {
    Image image = Image::filled(37, 11, {1, 2, 3});
    for (std::uint32_t i = 0; i < 37; ++i) {
        image.set(i, i % 11, {static_cast<std::uint8_t>(i * 7), 200, static_cast<std::uint8_t>(i)});
    }
    const std::vector<Chunk> chunks = split_chunks(encode_png(image));
    ASSERT_EQ(chunks.size(), 3u);
    const std::string raw = inflate_all(chunks[1].data, (37 * 3 + 1) * 11);
    ASSERT_EQ(raw.size(), (37u * 3 + 1) * 11);
    for (std::uint32_t y = 0; y < 11; ++y) {
        const std::size_t row = y * (37 * 3 + 1);
        EXPECT_EQ(raw[row], '\0');
        EXPECT_EQ(
            raw.substr(row + 1, 37 * 3),
            std::string(reinterpret_cast<const char*>(image.rgb.data() + y * 37 * 3), 37 * 3));
    }
}

TEST(Png, RejectsMalformedImages) {
    EXPECT_THROW(encode_png(Image{}), std::invalid_argument);
    Image short_buffer = Image::filled(3, 3, {});
    short_buffer.rgb.pop_back();
    EXPECT_THROW(encode_png(short_buffer), std::invalid_argument);
}

TEST(Png, PixelAccessorsClipAndReadBack) {
    Image image = Image::filled(4, 3, {9, 9, 9});
    EXPECT_EQ(image.rgb.size(), 36u);
    image.set(3, 2, {1, 2, 3});
    EXPECT_EQ(image.get(3, 2), (Rgb{1, 2, 3}));
    EXPECT_EQ(image.rgb[(2 * 4 + 3) * 3 + 2], 3);  // row-major, 3 bytes a pixel
    const std::vector<std::uint8_t> before = image.rgb;
    image.set(-1, 0, {7, 7, 7});
    image.set(4, 0, {7, 7, 7});
    image.set(0, 3, {7, 7, 7});
    EXPECT_EQ(image.rgb, before);
    EXPECT_EQ(image.get(4, 0), (Rgb{0, 0, 0}));
    EXPECT_TRUE(image.contains(0, 0));
    EXPECT_FALSE(image.contains(0, -1));
}

class PngFile : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(::testing::TempDir()) /
               ("l7-png-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    static std::string slurp(const std::filesystem::path& path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

    std::filesystem::path dir_;
};

TEST_F(PngFile, WritesAndReplaces) {
    const std::filesystem::path path = dir_ / "chart.png";
    {
        std::ofstream old(path);
        old << "an older, longer file that must be replaced completely";
    }
    const Result<bool> written = write_png_file(path, two_by_two());
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(slurp(path), encode_png(two_by_two()));
    // Nothing but the target is left in the directory (the temporary was renamed).
    std::size_t entries = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        EXPECT_EQ(entry.path().filename(), "chart.png");
        ++entries;
    }
    EXPECT_EQ(entries, 1u);
}

TEST_F(PngFile, ReportsFailures) {
    const std::filesystem::path missing = dir_ / "no-such-dir" / "chart.png";
    const Result<bool> written = write_png_file(missing, two_by_two());
    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find("no-such-dir"), std::string::npos)
        << written.error().message;
    EXPECT_FALSE(std::filesystem::exists(missing));

    // The target is a directory: the rename fails and the temporary is removed again.
    std::filesystem::create_directories(dir_ / "taken" / "inner");
    const Result<bool> over_dir = write_png_file(dir_ / "taken", two_by_two());
    ASSERT_FALSE(over_dir);
    EXPECT_NE(over_dir.error().message.find("taken"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "taken.tmp"));

    EXPECT_FALSE(write_png_file(dir_ / "empty.png", Image{}));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "empty.png"));
}

}  // namespace
}  // namespace l7::plot
