// The text encodings used inside RDATA (encoding.hpp), TTL text (ttl.hpp) and the mnemonics of
// types, classes and rcodes (types.hpp).

#include "dns/encoding.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dns/ttl.hpp"
#include "dns/types.hpp"
#include "dns_test_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

struct Vector {
    const char* plain;
    const char* base64;
    const char* base32hex;
    const char* hex;
};

// RFC 4648 section 10, base32hex without padding as NSEC3 writes it (RFC 5155 section 3.3).
constexpr Vector kRfc4648[] = {
    {"", "", "", ""},
    {"f", "Zg==", "CO", "66"},
    {"fo", "Zm8=", "CPNG", "666F"},
    {"foo", "Zm9v", "CPNMU", "666F6F"},
    {"foob", "Zm9vYg==", "CPNMUOG", "666F6F62"},
    {"fooba", "Zm9vYmE=", "CPNMUOJ1", "666F6F6261"},
    {"foobar", "Zm9vYmFy", "CPNMUOJ1E8", "666F6F626172"},
};

TEST(DnsEncoding, Rfc4648VectorsBothWays) {
    for (const Vector& v : kRfc4648) {
        const Bytes plain = bytes_of(v.plain);
        EXPECT_EQ(base64_encode(plain), v.base64) << v.plain;
        EXPECT_EQ(base32hex_encode(plain), v.base32hex) << v.plain;
        EXPECT_EQ(hex_encode(plain), v.hex) << v.plain;
        EXPECT_EQ(base64_decode(v.base64), plain) << v.base64;
        EXPECT_EQ(base32hex_decode(v.base32hex), plain) << v.base32hex;
        EXPECT_EQ(hex_decode(v.hex), plain) << v.hex;
    }
}

TEST(DnsEncoding, AllByteValuesRoundTrip) {
    Bytes all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<std::uint8_t>(i));
    }
    for (std::size_t n = 0; n <= all.size(); n += 37) {
        const Bytes part(all.begin(), all.begin() + static_cast<long>(n));
        EXPECT_EQ(base64_decode(base64_encode(part)), part);
        EXPECT_EQ(base32hex_decode(base32hex_encode(part)), part);
        EXPECT_EQ(hex_decode(hex_encode(part)), part);
    }
    EXPECT_EQ(base64_encode(Bytes{0xFB, 0xFF}), "+/8=");
}

TEST(DnsEncoding, DecodersAcceptEitherCaseWhereTheAlphabetAllows) {
    EXPECT_EQ(hex_decode("abcdef"), (Bytes{0xAB, 0xCD, 0xEF}));
    EXPECT_EQ(hex_decode("AbCdEf"), (Bytes{0xAB, 0xCD, 0xEF}));
    EXPECT_EQ(base32hex_decode("cpnmuoj1e8"), bytes_of("foobar"));
    // RFC 5155's example hash, lowercase as it appears in the RFC.
    EXPECT_EQ(base32hex_decode("2vptu5timamqttgl4luu9kg21e0aor3s"),
              hex_decode("17F3DF17B2B2ADAEF615257DE4D2020B80AC6C7C"));
    // base32hex with the padding RFC 4648 writes.
    EXPECT_EQ(base32hex_decode("CPNMUOG="), bytes_of("foob"));
}

TEST(DnsEncoding, DecodersRejectCharactersOutsideTheAlphabet) {
    EXPECT_FALSE(hex_decode("0G"));
    EXPECT_FALSE(hex_decode("ABC"));  // odd length
    EXPECT_FALSE(hex_decode("AB CD"));
    EXPECT_FALSE(base32hex_decode("CPNW"));  // W is past V
    EXPECT_FALSE(base32hex_decode("CP-N"));
    EXPECT_FALSE(base64_decode("Zm9"));  // not a multiple of 4
    EXPECT_FALSE(base64_decode("Zm9v!A=="));
    EXPECT_FALSE(base64_decode("Z==="));      // padding too early
    EXPECT_FALSE(base64_decode("Zg==Zg=="));  // data after padding
    EXPECT_FALSE(base64_decode("Z=g="));
    EXPECT_FALSE(base64_decode("Zm 9v"));
}

TEST(DnsTtl, PlainSecondsAndBindUnits) {
    EXPECT_EQ(parse_ttl("0"), 0u);
    EXPECT_EQ(parse_ttl("3600"), 3600u);
    EXPECT_EQ(parse_ttl("1h"), 3600u);
    EXPECT_EQ(parse_ttl("1h30m"), 5400u);
    EXPECT_EQ(parse_ttl("1H30M"), 5400u);
    EXPECT_EQ(parse_ttl("2W"), 2u * 604800);
    EXPECT_EQ(parse_ttl("1d"), 86400u);
    EXPECT_EQ(parse_ttl("1w2d3h4m5s"), 604800u + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
    EXPECT_EQ(parse_ttl("1h30"), 3630u);  // a trailing number counts as seconds
    EXPECT_EQ(parse_ttl("4294967295"), 4294967295u);
    EXPECT_EQ(kMaxTtl, 2147483647u);
}

TEST(DnsTtl, RejectsBadText) {
    for (const char* bad :
         {"", "h", "1x", "1hh", "-1", "1 h", "4294967296", "99999999999", "7102w", "1.5h"}) {
        EXPECT_FALSE(parse_ttl(bad)) << bad;
    }
}

TEST(DnsTypes, MnemonicsAndGenericForms) {
    EXPECT_EQ(type_to_text(RRType::A), "A");
    EXPECT_EQ(type_to_text(RRType::NSEC3PARAM), "NSEC3PARAM");
    EXPECT_EQ(type_to_text(static_cast<RRType>(65534)), "TYPE65534");
    EXPECT_EQ(type_from_text("aaaa"), RRType::AAAA);
    EXPECT_EQ(type_from_text("Caa"), RRType::CAA);
    EXPECT_EQ(type_from_text("TYPE1"), RRType::A);
    EXPECT_EQ(type_from_text("type65534"), static_cast<RRType>(65534));
    for (const char* bad : {"", "TYPE", "TYPE65536", "TYPE-1", "TYPEx", "A1", "NOPE"}) {
        EXPECT_FALSE(type_from_text(bad)) << bad;
    }
    EXPECT_EQ(class_to_text(RRClass::IN), "IN");
    EXPECT_EQ(class_to_text(static_cast<RRClass>(4096)), "CLASS4096");
    EXPECT_EQ(class_from_text("ch"), RRClass::CH);
    EXPECT_EQ(class_from_text("CHAOS"), RRClass::CH);
    EXPECT_EQ(class_from_text("CLASS1"), RRClass::IN);
    EXPECT_FALSE(class_from_text("INTERNET"));
    EXPECT_EQ(opcode_to_text(Opcode::NOTIFY), "NOTIFY");
    EXPECT_EQ(rcode_to_text(Rcode::NXDOMAIN), "NXDOMAIN");
    EXPECT_EQ(rcode_to_text(Rcode::BADVERS), "BADVERS");
    EXPECT_EQ(rcode_to_text(static_cast<Rcode>(12)), "RESERVED12");
    EXPECT_EQ(rcode_from_text("servfail"), Rcode::SERVFAIL);
}

TEST(DnsTypes, MetaTypes) {
    EXPECT_TRUE(is_meta_type(RRType::OPT));
    EXPECT_TRUE(is_meta_type(RRType::AXFR));
    EXPECT_TRUE(is_meta_type(RRType::ANY));
    EXPECT_TRUE(is_meta_type(RRType::TSIG));
    EXPECT_FALSE(is_meta_type(RRType::A));
    EXPECT_FALSE(is_meta_type(RRType::CAA));
    EXPECT_FALSE(is_meta_type(RRType::NSEC3PARAM));
}

}  // namespace
}  // namespace l7::dns
