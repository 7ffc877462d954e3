// Base64 (core/base64.hpp): RFC 4648 section 10's vectors, every byte value, the text
// overloads, and the strictness of the decoder.

#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace l7 {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(Base64, Rfc4648Section10Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded) << plain;
        EXPECT_EQ(base64_decode_text(encoded), std::string(plain)) << encoded;
        const Bytes bytes(plain.begin(), plain.end());
        EXPECT_EQ(base64_encode(bytes), encoded) << plain;
        EXPECT_EQ(base64_decode(encoded), bytes) << encoded;
    }
}

TEST(Base64, EveryByteValueRoundTrips) {
    Bytes all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<std::uint8_t>(i));
    }
    for (std::size_t n = 0; n <= all.size(); n += 17) {
        const Bytes part(all.begin(), all.begin() + static_cast<long>(n));
        EXPECT_EQ(base64_decode(base64_encode(part)), part) << n;
    }
    EXPECT_EQ(base64_encode(Bytes{0xFB, 0xFF}), "+/8=");  // the last two letters of the alphabet
    EXPECT_EQ(base64_decode_text("AGE6Yg=="), std::string("\0a:b", 4));  // NUL kept
}

TEST(Base64, Rfc7617Example) {
    // RFC 7617 section 2: user "Aladdin", password "open sesame".
    EXPECT_EQ(base64_encode("Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    // Section 2.1's UTF-8 example: "test" and "123£" (U+00A3 as C2 A3).
    EXPECT_EQ(base64_encode("test:123\xC2\xA3"), "dGVzdDoxMjPCow==");
}

TEST(Base64, DecoderIsStrict) {
    for (std::string_view bad : {"Zm9", "Zm9v!A==", "Z===", "Zg==Zg==", "Z=g=", "Zm 9v", "Zm9v\n",
                                 "Zg=", "=Zg=", "Zm9-", "Zm9_"}) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
        EXPECT_FALSE(base64_decode_text(bad)) << bad;
    }
}

}  // namespace
}  // namespace l7
