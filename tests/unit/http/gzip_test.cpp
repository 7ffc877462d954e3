// The gzip content coding (RFC 1952) over zlib: round trips, streaming, corruption, bombs.

#include <gtest/gtest.h>

#include <string>

#include "http/gzip.hpp"

namespace l7::http {
namespace {

std::string sample(std::size_t n) {
    std::string s;
    std::uint32_t x = 12345;
    for (std::size_t i = 0; i < n; ++i) {
        x = x * 1103515245 + 12345;
        s.push_back(static_cast<char>('a' + (x >> 16) % 7));
    }
    return s;
}

TEST(Gzip, OneShotRoundTripWithTheGzipMagic) {
    const std::string text = sample(100000);
    const std::string z = gzip_compress(text);
    ASSERT_GE(z.size(), 18u);
    EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x1f);  // RFC 1952 2.3.1 ID1, ID2, CM=8
    EXPECT_EQ(static_cast<unsigned char>(z[1]), 0x8b);
    EXPECT_EQ(z[2], 8);
    EXPECT_LT(z.size(), text.size() / 2);
    auto back = gzip_decompress(z, text.size());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, text);
    EXPECT_EQ(*gzip_decompress(gzip_compress(""), 0), "");
    EXPECT_EQ(*gzip_decompress(gzip_compress(text, 0), text.size()), text);
    EXPECT_EQ(*gzip_decompress(gzip_compress(text, 42), text.size()), text);
}

TEST(Gzip, StreamingEncoderFlushesWhatItHas) {
    GzipEncoder enc;
    GzipDecoder dec(1 << 20);
    std::string got;
    for (int i = 0; i < 5; ++i) {
        const std::string piece = "piece " + std::to_string(i) + "\n";
        auto out = dec.decode(enc.flush(piece));
        ASSERT_TRUE(out);
        got += *out;
        EXPECT_EQ(got.size(), (i + 1) * piece.size()) << "a flush lets the receiver decode all";
    }
    auto tail = dec.decode(enc.finish());
    ASSERT_TRUE(tail);
    EXPECT_EQ(*tail, "");
    EXPECT_FALSE(dec.finish());
    EXPECT_TRUE(dec.at_member_end());
    EXPECT_EQ(enc.compress("more"), "");
}

TEST(Gzip, DecodesByteByByteAndConcatenatedMembers) {
    const std::string a = sample(3000), b = "second member";
    const std::string z = gzip_compress(a) + gzip_compress(b);
    GzipDecoder dec(1 << 20);
    std::string got;
    for (char c : z) {
        auto out = dec.decode(std::string_view(&c, 1));
        ASSERT_TRUE(out) << out.error().message;
        got += *out;
    }
    EXPECT_FALSE(dec.finish());
    EXPECT_EQ(got, a + b);
    EXPECT_EQ(dec.total_out(), got.size());
}

TEST(Gzip, RejectsCorruptAndTruncatedData) {
    const std::string text = sample(5000);
    std::string z = gzip_compress(text);
    EXPECT_FALSE(gzip_decompress("not gzip at all", 1000));
    EXPECT_FALSE(gzip_decompress(z.substr(0, z.size() - 4), 10000));  // no ISIZE
    EXPECT_FALSE(gzip_decompress("", 10));
    std::string bad_crc = z;
    bad_crc[bad_crc.size() - 6] ^= 0x55;
    EXPECT_FALSE(gzip_decompress(bad_crc, 10000));
    EXPECT_FALSE(gzip_decompress(z + "garbage", 10000));
    GzipDecoder dec(10000);
    EXPECT_FALSE(dec.decode("\x1f\x8b\x09junk"));  // CM 9 is no method
    EXPECT_FALSE(dec.decode(z)) << "a decoder that failed stays failed";
}

TEST(Gzip, StopsABomb) {
    const std::string zeros(10 << 20, '\0');
    const std::string z = gzip_compress(zeros, 9);
    EXPECT_LT(z.size(), 20000u);
    GzipDecoder dec(1 << 20);
    auto out = dec.decode(z);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("more than 1048576"), std::string::npos);
    EXPECT_LE(dec.total_out(), 1u << 20);
    EXPECT_TRUE(gzip_decompress(z, zeros.size()));
    EXPECT_FALSE(gzip_decompress(z, zeros.size() - 1));
}

}  // namespace
}  // namespace l7::http
