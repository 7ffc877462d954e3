// The identities of p2p/types.hpp: hex and raw forms of 20-byte hashes, and SHA-1 against
// the FIPS 180 / RFC 3174 test vectors, one-shot and incremental.

#include <gtest/gtest.h>

#include <string>

#include "p2p/types.hpp"

using namespace l7::p2p;
using namespace std::string_literals;

namespace {

TEST(P2pTypes, Sha1KnownVectors) {
    EXPECT_EQ(to_hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(to_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(to_hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    EXPECT_EQ(to_hex(sha1(std::string(1'000'000, 'a'))),
              "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    EXPECT_EQ(to_hex(sha1("The quick brown fox jumps over the lazy dog")),
              "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
    // Bytes, not C strings: a NUL inside counts.
    EXPECT_NE(sha1("a\0b"s), sha1("a"));
}

TEST(P2pTypes, Sha1Incremental) {
    const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    Sha1Hasher h;
    for (char c : text) {
        h.update(std::string_view(&c, 1));
    }
    EXPECT_EQ(to_hex(h.finish()), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    // finish() starts over: the next digest is of what follows alone.
    h.update("ab");
    h.update("");
    h.update("c");
    EXPECT_EQ(to_hex(h.finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(to_hex(h.finish()), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

TEST(P2pTypes, Hex) {
    Sha1 h{};
    ASSERT_TRUE(from_hex("0123456789abcdefABCDEF0123456789abcdef01", h));
    EXPECT_EQ(h[0], 0x01);
    EXPECT_EQ(h[7], 0xef);
    EXPECT_EQ(h[8], 0xAB);
    EXPECT_EQ(h[19], 0x01);
    EXPECT_EQ(to_hex(h), "0123456789abcdefabcdef0123456789abcdef01");  // lowercase out

    Sha1 untouched{};
    untouched[0] = 0x42;
    Sha1 copy = untouched;
    for (const char* bad :
         {"", "0123", "0123456789abcdef0123456789abcdef0123456",
          "0123456789abcdef0123456789abcdef012345678", "0123456789abcdef0123456789abcdef0123456g",
          " 123456789abcdef0123456789abcdef01234567", "0x23456789abcdef0123456789abcdef01234567"}) {
        EXPECT_FALSE(from_hex(bad, copy)) << bad;
        EXPECT_EQ(copy, untouched) << "a failed parse leaves the output alone: " << bad;
    }
    Sha1 zero{};
    EXPECT_EQ(to_hex(zero), std::string(40, '0'));
}

TEST(P2pTypes, Bytes) {
    const Sha1 h = sha1("abc");
    const std::string raw = to_bytes(h);
    ASSERT_EQ(raw.size(), 20u);
    EXPECT_EQ(static_cast<unsigned char>(raw[0]), 0xa9);
    EXPECT_EQ(static_cast<unsigned char>(raw[19]), 0x9d);
    Sha1 back{};
    ASSERT_TRUE(from_bytes(raw, back));
    EXPECT_EQ(back, h);
    EXPECT_FALSE(from_bytes(raw.substr(1), back));
    EXPECT_FALSE(from_bytes(raw + "x", back));
    EXPECT_FALSE(from_bytes("", back));
    // Every byte value survives, NUL and 0xff included.
    std::string all(20, '\0');
    for (int i = 0; i < 20; ++i) {
        all[i] = static_cast<char>(i * 13 + (i == 19 ? 0xff - 19 * 13 : 0));
    }
    ASSERT_TRUE(from_bytes(all, back));
    EXPECT_EQ(to_bytes(back), all);
}

TEST(P2pTypes, BlockSize) {
    EXPECT_EQ(kBlockSize, 16384u);
}

}  // namespace
