#include "dns/rdata.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

Result<Bytes> from_text(RRType type, std::string_view text) {
    const auto tokens = tokenize(text);
    return rdata_from_text(type, tokens, example_com());
}

RRType type_named(std::string_view text) {
    auto t = type_from_text(text);
    EXPECT_TRUE(t) << text;
    return t ? *t : RRType::A;
}

// Reads `rdata` as a whole message holding only RDATA.
Result<Bytes> read_alone(RRType type, const Bytes& rdata) {
    WireReader r(rdata);
    return read_rdata(r, type, static_cast<std::uint16_t>(rdata.size()));
}

struct RoundTrip {
    const char* type;
    const char* input;     // presentation text, possibly not canonical
    const char* expected;  // the text dig prints
    const char* wire;      // uncompressed RDATA, hex (dnspython's to_wire)
};

// Expected texts follow BIND's printing: lowercase compressed IPv6, numbers for SOA timers,
// uppercase hex for DS, SSHFP and NSEC3 salts, uppercase base32hex hashes, RRSIG times as
// YYYYMMDDHHmmSS, and quoted character-strings with \DDD for unprintable bytes.
const RoundTrip kRoundTrips[] = {
    {"A", "192.0.2.1", "192.0.2.1", "C0000201"},
    {"AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1", "20010DB8000000000000000000000001"},
    {"AAAA", "::ffff:192.0.2.1", "::ffff:192.0.2.1", "00000000000000000000FFFFC0000201"},
    {"NS", "ns1.example.com.", "ns1.example.com.", "036E7331076578616D706C6503636F6D00"},
    {"NS", "ns1", "ns1.example.com.", "036E7331076578616D706C6503636F6D00"},
    {"CNAME", "www.example.com.", "www.example.com.", "03777777076578616D706C6503636F6D00"},
    {"SOA", "ns1 hostmaster 2024010101 1h 15m 1w 1d",
     "ns1.example.com. hostmaster.example.com. 2024010101 3600 900 604800 86400",
     "036E7331076578616D706C6503636F6D000A686F73746D6173746572076578616D706C6503636F6D0078A3F175"
     "00000E100000038400093A8000015180"},
    {"MX", "10 mail.example.com.", "10 mail.example.com.",
     "000A046D61696C076578616D706C6503636F6D00"},
    {"TXT", "\"hello world\" \"second\"", "\"hello world\" \"second\"",
     "0B68656C6C6F20776F726C64067365636F6E64"},
    {"TXT", "\"a\\\"b\\\\c\\010d\"", "\"a\\\"b\\\\c\\010d\"", "076122625C630A64"},
    {"TXT", "\"\"", "\"\"", "00"},
    {"TXT", "unquoted \"\" \\195\\169", "\"unquoted\" \"\" \"\\195\\169\"",
     "08756E71756F7465640002C3A9"},
    {"PTR", "host.example.com.", "host.example.com.", "04686F7374076578616D706C6503636F6D00"},
    {"SRV", "0 5 5060 sip.example.com.", "0 5 5060 sip.example.com.",
     "0000000513C403736970076578616D706C6503636F6D00"},
    {"CAA", "0 issue \"letsencrypt.org\"", "0 issue \"letsencrypt.org\"",
     "000569737375656C657473656E63727970742E6F7267"},
    {"CAA", "128 iodef \"mailto:security@example.com\"",
     "128 iodef \"mailto:security@example.com\"",
     "8005696F6465666D61696C746F3A7365637572697479406578616D706C652E636F6D"},
    {"CAA", "0 issue \";\"", "0 issue \";\"", "000569737375653B"},
    {"SSHFP", "1 1 123456789abcdef67890123456789abcdef67890",
     "1 1 123456789ABCDEF67890123456789ABCDEF67890",
     "0101123456789ABCDEF67890123456789ABCDEF67890"},
    {"NAPTR", "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
     "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
     "0064000A0155074532552B7369701B215E2E2A24217369703A696E666F406578616D706C652E636F6D2100"},
    {"DNAME", "example.net.", "example.net.", "076578616D706C65036E657400"},
    {"HINFO", "\"INTEL-386\" \"Unix\"", "\"INTEL-386\" \"Unix\"", "09494E54454C2D33383604556E6978"},
    // RFC 4034 section 2.3, the key split over two tokens as zone files do.
    {"DNSKEY",
     "256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10h"
     "WqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==",
     "256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10h"
     "WqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==",
     "010003050103D22A6CA77F35B893206FD35E4C506D8378843709B97E041647E1BFF43D8D64C649AF1E371973C9E8"
     "91FCE3DF519A8C840A63EE42A6D2EBDDBB97035D215AA4E417B1FA45FA11A9741EA2098C1DFA5FB5FEB332FD4BC8"
     "152089AEF36BA644CCE2413B3B72BE18CBEF8DA253F4E93D2103866D9234A2E28DF529A67D5468DBEFE3"},
    // RFC 4034 section 5.4.
    {"DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
     "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
     "EC4505012BB183AF5F22588179A53B0A98631FAD1A292118"},
    {"DS", "60485 5 1 2bb183af5f22588179a5 3b0a98631fad1a292118",
     "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
     "EC4505012BB183AF5F22588179A53B0A98631FAD1A292118"},
    // RFC 4034 section 3.3.
    {"RRSIG",
     "A 5 3 86400 20030322173103 20030220173103 2642 example.com. "
     "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/"
     "M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=",
     "A 5 3 86400 20030322173103 20030220173103 2642 example.com. "
     "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/"
     "M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=",
     "00010503000151803E7C9DD73E5510D70A52076578616D706C6503636F6D00A090755BA58D1AFFA576F4375831"
     "B4310920E481218D18A9F164EB3D81AFD3B875D3C75428631E0CF2A28D50875F70C329D7DBFAFEA807DC1FBA1D"
     "C34C95D401F23F334CE63BFCF3F1B5B44739E5F0EDED18D6B33F040A911376D173D757A9F0C1FA1798941BB0B3"
     "6B2DF9062790FA7F0166F2737EEA907378341FB12DC0A77A"},
    // RFC 4034 section 4.3.
    {"NSEC", "host.example.com. A MX RRSIG NSEC TYPE1234",
     "host.example.com. A MX RRSIG NSEC TYPE1234",
     "04686F7374076578616D706C6503636F6D000006400100000003041B0000000000000000000000000000000000"
     "00000000000000000020"},
    {"NSEC", "host.example.com. NSEC A", "host.example.com. A NSEC",
     "04686F7374076578616D706C6503636F6D000006400000000001"},
    // RFC 5155 appendix A.
    {"NSEC3", "1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
     "1 1 12 AABBCCDD 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG",
     "0101000C04AABBCCDD1417F3DF17B2B2ADAEF615257DE4D2020B80AC6C7C0006400000000002"},
    {"NSEC3", "1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s",
     "1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S",
     "01000000001417F3DF17B2B2ADAEF615257DE4D2020B80AC6C7C"},
    {"NSEC3PARAM", "1 0 12 aabbccdd", "1 0 12 AABBCCDD", "0100000C04AABBCCDD"},
    {"NSEC3PARAM", "1 0 0 -", "1 0 0 -", "0100000000"},
    // Types from later RFCs that zone files carry (bytes from dnspython).
    {"RP", "hostmaster.example.test. txt.example.test.",
     "hostmaster.example.test. txt.example.test.",
     "0A686F73746D6173746572076578616D706C6504746573740003747874076578616D706C65047465737400"},
    {"TLSA", "3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
     "0301010123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"},
    {"SMIMEA", "3 1 1 0123456789abcdef", "3 1 1 0123456789ABCDEF", "0301010123456789ABCDEF"},
    {"CDS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
     "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
     "EC4505012BB183AF5F22588179A53B0A98631FAD1A292118"},
    {"CDNSKEY",
     "257 3 13 "
     "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
     "257 3 13 "
     "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
     "0101030D99DB2CC14CABDC33D6D77DA63A2F15F71112584F234E8D1DC428E39E8A4A97E1AA271A555DC90701E17E2"
     "A4C"
     "4B6F120B7C32D44F4AC02BD894CF2D4BE7778A19"},
    {"OPENPGPKEY", "mQENBFVHm5sBCADnXBcWZXf/", "mQENBFVHm5sBCADnXBcWZXf/",
     "99010D0455479B9B010800E75C17166577FF"},
    {"SPF", "\"v=spf1 -all\"", "\"v=spf1 -all\"", "0B763D73706631202D616C6C"},
    {"URI", "10 1 \"https://www.example.test/\"", "10 1 \"https://www.example.test/\"",
     "000A000168747470733A2F2F7777772E6578616D706C652E746573742F"},
    // RFC 3597: an unknown type, and the generic form of a known one.
    {"TYPE65534", "\\# 4 0A000001", "\\# 4 0A000001", "0A000001"},
    {"TYPE65534", "\\# 4 0a00 0001", "\\# 4 0A000001", "0A000001"},
    {"TYPE65534", "\\# 0", "\\# 0", ""},
    {"A", "\\# 4 C0000201", "192.0.2.1", "C0000201"},
    {"MX", "\\# 7 000A 0178 0178 00", "10 x.x.", "000A0178017800"},
};

TEST(DnsRdata, TextWireTextRoundTripsForEveryType) {
    for (const RoundTrip& c : kRoundTrips) {
        SCOPED_TRACE(std::string(c.type) + " " + c.input);
        const RRType type = type_named(c.type);
        auto wire = from_text(type, c.input);
        ASSERT_TRUE(wire) << wire.error().message;
        EXPECT_EQ(hex_encode(*wire), c.wire);
        EXPECT_EQ(rdata_to_text(type, *wire), c.expected);
        // The printed text parses back to the same bytes, and the bytes pass the wire checks.
        auto again = from_text(type, c.expected);
        ASSERT_TRUE(again) << again.error().message;
        EXPECT_EQ(*again, *wire);
        auto read = read_alone(type, *wire);
        ASSERT_TRUE(read) << read.error().message;
        EXPECT_EQ(*read, *wire);
        EXPECT_TRUE(rdata_equal(type, *read, *wire));
    }
}

TEST(DnsRdata, EveryDescribedTypeIsCovered) {
    std::vector<RRType> covered;
    for (const RoundTrip& c : kRoundTrips) {
        covered.push_back(type_named(c.type));
    }
    for (unsigned t = 0; t < 65536; ++t) {
        const auto type = static_cast<RRType>(t);
        if (has_rdata_fields(type)) {
            EXPECT_NE(std::find(covered.begin(), covered.end(), type), covered.end())
                << type_to_text(type);
        }
    }
    EXPECT_FALSE(has_rdata_fields(RRType::OPT));
    EXPECT_FALSE(has_rdata_fields(static_cast<RRType>(65534)));
    EXPECT_TRUE(rdata_fields(static_cast<RRType>(65534)).empty());
}

TEST(DnsRdata, RejectsBadText) {
    struct Bad {
        const char* type;
        const char* text;
    };
    const Bad cases[] = {
        {"A", ""},
        {"A", "192.0.2"},
        {"A", "192.0.2.256"},
        {"A", "192.0.2.1 extra"},
        {"A", "2001:db8::1"},
        {"AAAA", "192.0.2.1"},
        {"MX", "10"},
        {"MX", "x mail.example.com."},
        {"MX", "65536 mail.example.com."},
        {"MX", "-1 mail.example.com."},
        {"MX", "10 bad..name."},
        {"SOA", "ns1 hostmaster 1 2 3 4"},
        {"SOA", "ns1 hostmaster 1 2 3 4 1x"},
        {"TXT", ""},
        {"TXT", "\"bad \\1 escape\""},
        {"SRV", "0 5 5060"},
        {"CAA", "0 is-sue \"x\""},
        {"CAA", "0 issue \"a\" \"b\""},
        {"CAA", "0 issue"},
        {"CAA", "256 issue \"x\""},
        {"SSHFP", "1 1 ABC"},
        {"SSHFP", "1 1 XY"},
        {"SSHFP", "1 1"},
        {"DS", "60485 5 1 not-hex"},
        {"DNSKEY", "256 3 5 A"},
        {"RRSIG", "FOO 5 3 86400 20030322173103 20030220173103 2642 example.com. AAAA"},
        {"RRSIG", "A 5 3 86400 20031322173103 20030220173103 2642 example.com. AAAA"},
        {"RRSIG", "A 5 3 86400 19691231235959 20030220173103 2642 example.com. AAAA"},
        {"NSEC", "host.example.com. A BOGUS"},
        {"NSEC3", "1 0 0 XYZ 2vptu5timamqttgl4luu9kg21e0aor3s"},
        {"NSEC3", "1 0 0 - not*base32"},
        {"NSEC3", "1 0 0 - -"},
        {"NSEC3PARAM", "1 0 0"},
        {"TYPE65534", "0A000001"},        // unknown types need \#
        {"TYPE65534", "\\#"},             // no length
        {"TYPE65534", "\\# 5 0A000001"},  // length does not match
        {"TYPE65534", "\\# 4 0A00000"},   // odd hex
        {"TYPE65534", "\\# x 0A000001"},  // bad length
        {"TYPE65534", "\\# 65536"},       // length too large
        {"A", "\\# 3 C00002"},            // generic data checked against the type
        {"MX", "\\# 4 000A0178"},         // name without its root label
    };
    for (const Bad& c : cases) {
        auto r = from_text(type_named(c.type), c.text);
        EXPECT_FALSE(r) << c.type << " " << c.text << " parsed as " << hex_encode(*r);
    }
}

TEST(DnsRdata, CharacterStringsUpTo255Bytes) {
    const std::string longest(255, 'x');
    auto ok = from_text(RRType::TXT, "\"" + longest + "\"");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->size(), 256u);
    EXPECT_EQ((*ok)[0], 255);
    EXPECT_FALSE(from_text(RRType::TXT, "\"" + longest + "x\""));
    // Escapes count as the byte they stand for.
    std::string escaped;
    for (int i = 0; i < 255; ++i) {
        escaped += "\\255";
    }
    EXPECT_TRUE(from_text(RRType::TXT, "\"" + escaped + "\""));
}

TEST(DnsRdata, QuotedAndUnquotedTextAreTheSame) {
    EXPECT_EQ(*from_text(RRType::TXT, "hello"), *from_text(RRType::TXT, "\"hello\""));
    EXPECT_EQ(*from_text(RRType::TXT, "a\\ b"), *from_text(RRType::TXT, "\"a b\""));
    EXPECT_EQ(*from_text(RRType::HINFO, "PC Linux"), *from_text(RRType::HINFO, "\"PC\" \"Linux\""));
}

TEST(DnsRdata, MalformedWireIsRejected) {
    struct Bad {
        const char* type;
        const char* hex;
        const char* why;
    };
    const Bad cases[] = {
        {"A", "C00002", "too short"},
        {"A", "C000020101", "too long"},
        {"AAAA", "20010DB8", "too short"},
        {"MX", "000A", "no exchange"},
        {"MX", "000A017800FF", "a byte after the name"},
        {"MX", "000A0178", "name without root label"},
        {"MX", "000A4178 00", "extended label type"},
        {"NS", "C000", "pointer to itself"},
        {"SOA", "0000 00000001", "timers missing"},
        {"TXT", "", "zero strings"},
        {"TXT", "0568656C6C", "string runs past the end"},
        {"TXT", "0161 05", "second string runs past the end"},
        {"HINFO", "0161", "one string of two"},
        {"SRV", "000000050050", "no target"},
        {"CAA", "0000", "empty tag"},
        {"CAA", "00036973", "tag runs past the end"},
        {"CAA", "0005697373752D", "tag with a dash"},
        {"NSEC", "00 0000", "empty window"},
        {"NSEC", "00 0001", "window runs past the end"},
        {"NSEC", "00 000340", "window runs past the end"},
        {"NSEC", "00 00", "half a window header"},
        {"NSEC", "00 000240 00", "trailing zero octet"},
        {"NSEC", "00 000100 010140", "window without types"},
        {"NSEC", "00 010140 000140", "windows not increasing"},
        {"NSEC", "00 000140 000140", "windows repeated"},
        {"NSEC3", "01000000 00 00", "empty hash"},
        {"NSEC3", "01000000 00 14 17F3DF17", "hash runs past the end"},
        {"NSEC3", "01000000 04AABB", "salt runs past the end"},
        {"NSEC3PARAM", "01000000", "no salt"},
        {"NSEC3PARAM", "0100000000 FF", "a byte after the salt"},
        {"DS", "EC4505", "no digest type"},
        {"RRSIG", "0001050300015180", "no times"},
    };
    for (const Bad& c : cases) {
        std::string hex;
        for (const char* p = c.hex; *p != 0; ++p) {
            if (*p != ' ') {
                hex += *p;
            }
        }
        auto r = read_alone(type_named(c.type), from_hex(hex));
        EXPECT_FALSE(r) << c.type << " " << c.why;
    }
    // A window holds at most 32 bytes (types 0 to 255).
    for (std::size_t len : {32, 33}) {
        Bytes nsec = {0, 0, static_cast<std::uint8_t>(len)};
        nsec.resize(3 + len, 0);
        nsec.back() = 0x01;
        EXPECT_EQ(static_cast<bool>(read_alone(RRType::NSEC, nsec)), len == 32) << len;
    }
}

TEST(DnsRdata, EmptyBitMapsAndDigestsAreAllowed) {
    // An NSEC3 with no types (an empty non-terminal) and a DS-like hex field with no bytes.
    EXPECT_TRUE(read_alone(RRType::NSEC3, from_hex("010000000001AB")));
    EXPECT_TRUE(read_alone(RRType::NSEC, from_hex("00")));
    EXPECT_EQ(rdata_to_text(RRType::NSEC, from_hex("00")), ".");
}

TEST(DnsRdata, RdlengthPastTheMessageFailsTheReader) {
    const Bytes msg = from_hex("C0000201");
    WireReader r(msg);
    EXPECT_FALSE(read_rdata(r, RRType::A, 5));
    EXPECT_FALSE(r.ok());
    WireReader opaque(msg);
    EXPECT_FALSE(read_rdata(opaque, static_cast<RRType>(65534), 5));
    EXPECT_FALSE(opaque.ok());
}

TEST(DnsRdata, ReadExpandsCompressedNames) {
    // "example.com." at 0, then MX RDATA at 13: 10, "mail" + pointer to 0.
    Bytes msg = from_hex(
        "076578616D706C6503636F6D00"
        "000A046D61696CC000"
        "FF");
    WireReader r(msg, 13);
    auto rdata = read_rdata(r, RRType::MX, 9);
    ASSERT_TRUE(rdata) << rdata.error().message;
    EXPECT_EQ(rdata_to_text(RRType::MX, *rdata), "10 mail.example.com.");
    EXPECT_EQ(hex_encode(*rdata), "000A046D61696C076578616D706C6503636F6D00");
    EXPECT_EQ(r.pos(), 22u);
    // The same pointer with RDLENGTH cutting the name short.
    WireReader short_r(msg, 13);
    EXPECT_FALSE(read_rdata(short_r, RRType::MX, 8));
}

TEST(DnsRdata, UnknownTypesAreOpaqueEvenWithPointerLikeBytes) {
    Bytes msg = from_hex("C000");
    WireReader r(msg);
    auto rdata = read_rdata(r, static_cast<RRType>(65534), 2);
    ASSERT_TRUE(rdata);
    EXPECT_EQ(rdata_to_text(static_cast<RRType>(65534), *rdata), "\\# 2 C000");
}

// The RDATA as write_rdata puts it after `example.com.` has been written at offset 0.
std::string written_after_example(RRType type, std::string_view text, bool compress = true) {
    Bytes buf(512);
    WireWriter w(buf, buf.size());
    w.name(Name::parse("example.com.")->wire(), true);
    auto rdata = from_text(type, text);
    EXPECT_TRUE(rdata) << text;
    write_rdata(w, type, *rdata, compress);
    EXPECT_FALSE(w.overflow());
    return hex_encode(w.data().subspan(13));
}

TEST(DnsRdata, WriteCompressesOnlyRfc1035Names) {
    // RDLENGTH first, then the RDATA with "example.com." as a pointer to 0.
    EXPECT_EQ(written_after_example(RRType::MX, "10 mail.example.com."), "0009000A046D61696CC000");
    EXPECT_EQ(written_after_example(RRType::NS, "example.com."), "0002C000");
    EXPECT_EQ(written_after_example(RRType::SOA, "ns1 hostmaster 1 2 3 4 5"),
              "0027036E7331C000"
              "0A686F73746D6173746572C000"
              "0000000100000002000000030000000400000005");
    EXPECT_EQ(written_after_example(RRType::MX, "10 mail.example.com.", false),
              "0014000A046D61696C076578616D706C6503636F6D00");
    // RFC 2782, RFC 6672, RFC 4034: SRV targets, DNAME and DNSSEC names stay whole.
    EXPECT_EQ(written_after_example(RRType::SRV, "0 5 5060 example.com."),
              "00130000000513C4076578616D706C6503636F6D00");
    EXPECT_EQ(written_after_example(RRType::DNAME, "example.com."),
              "000D076578616D706C6503636F6D00");
    EXPECT_EQ(written_after_example(RRType::NSEC, "example.com. A"),
              "0010076578616D706C6503636F6D00000140");
    // Opaque RDATA is copied.
    EXPECT_EQ(written_after_example(static_cast<RRType>(65534), "\\# 2 C000"), "0002C000");
}

TEST(DnsRdata, WriteOverTheLimitOverflows) {
    Bytes buf(8);
    WireWriter w(buf, buf.size());
    const Bytes rdata = *from_text(RRType::MX, "10 mail.example.com.");
    write_rdata(w, RRType::MX, rdata);
    EXPECT_TRUE(w.overflow());
}

TEST(DnsRdata, EqualityIgnoresCaseInNamesOnly) {
    EXPECT_TRUE(rdata_equal(RRType::MX, *from_text(RRType::MX, "10 MAIL.Example.COM."),
                            *from_text(RRType::MX, "10 mail.example.com.")));
    EXPECT_FALSE(rdata_equal(RRType::MX, *from_text(RRType::MX, "20 mail.example.com."),
                             *from_text(RRType::MX, "10 mail.example.com.")));
    EXPECT_TRUE(rdata_equal(RRType::RRSIG,
                            *from_text(RRType::RRSIG, "A 5 3 60 1 0 1 EXAMPLE.com. AAAA"),
                            *from_text(RRType::RRSIG, "A 5 3 60 1 0 1 example.com. AAAA")));
    EXPECT_FALSE(
        rdata_equal(RRType::TXT, *from_text(RRType::TXT, "ABC"), *from_text(RRType::TXT, "abc")));
    EXPECT_FALSE(rdata_equal(RRType::MX, *from_text(RRType::MX, "10 ab.c."),
                             *from_text(RRType::MX, "10 a.bc.")));
    const auto unknown = static_cast<RRType>(65534);
    EXPECT_FALSE(
        rdata_equal(unknown, *from_text(unknown, "\\# 1 41"), *from_text(unknown, "\\# 1 61")));
    EXPECT_FALSE(
        rdata_equal(unknown, *from_text(unknown, "\\# 1 41"), *from_text(unknown, "\\# 0")));
}

TEST(DnsRdata, NamesForAdditionalProcessingAndZoneChecks) {
    auto wire = [](const char* text) { return std::string(Name::parse(text)->wire()); };
    const Bytes ns = *from_text(RRType::NS, "ns1.example.com.");
    const Bytes mx = *from_text(RRType::MX, "10 mail.example.com.");
    const Bytes srv = *from_text(RRType::SRV, "0 5 5060 sip.example.com.");
    const Bytes a = *from_text(RRType::A, "192.0.2.1");
    EXPECT_EQ(additional_name(RRType::NS, ns), wire("ns1.example.com."));
    EXPECT_EQ(additional_name(RRType::MX, mx), wire("mail.example.com."));
    EXPECT_EQ(additional_name(RRType::SRV, srv), wire("sip.example.com."));
    EXPECT_EQ(additional_name(RRType::A, a), "");
    EXPECT_EQ(additional_name(RRType::CNAME, ns), "");

    const Bytes soa = *from_text(RRType::SOA, "ns1 hostmaster 1 2 3 4 5");
    EXPECT_EQ(
        rdata_names(RRType::SOA, soa),
        (std::vector<std::string_view>{wire("ns1.example.com."), wire("hostmaster.example.com.")}));
    const Bytes naptr = *from_text(RRType::NAPTR, "1 2 \"\" \"\" \"\" sip.example.com.");
    EXPECT_EQ(rdata_names(RRType::NAPTR, naptr),
              (std::vector<std::string_view>{wire("sip.example.com.")}));
    EXPECT_TRUE(rdata_names(RRType::A, a).empty());
    EXPECT_TRUE(rdata_names(RRType::TXT, *from_text(RRType::TXT, "example.com.")).empty());
}

TEST(DnsRdata, SoaDecodeAndEncode) {
    const Bytes rdata = *from_text(RRType::SOA, "ns1 hostmaster 2024010101 3600 900 604800 86400");
    auto soa = decode_soa(rdata);
    ASSERT_TRUE(soa);
    EXPECT_EQ(soa->mname.to_text(), "ns1.example.com.");
    EXPECT_EQ(soa->rname.to_text(), "hostmaster.example.com.");
    EXPECT_EQ(soa->serial, 2024010101u);
    EXPECT_EQ(soa->refresh, 3600u);
    EXPECT_EQ(soa->retry, 900u);
    EXPECT_EQ(soa->expire, 604800u);
    EXPECT_EQ(soa->minimum, 86400u);
    EXPECT_EQ(encode_soa(*soa), rdata);
    EXPECT_FALSE(decode_soa(Bytes(rdata.begin(), rdata.end() - 1)));
    EXPECT_FALSE(decode_soa(Bytes{}));
}

TEST(DnsRdata, QuoteAndUnescape) {
    const Bytes raw = {'a', '"', 'b', '\\', ' ', 0x00, 0x0A, 0x7F, 0xFF};
    EXPECT_EQ(quote_string(raw), "\"a\\\"b\\\\ \\000\\010\\127\\255\"");
    EXPECT_EQ(quote_string(Bytes{}), "\"\"");
    auto back = unescape("a\\\"b\\\\ \\000\\010\\127\\255");
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, std::string(raw.begin(), raw.end()));
    EXPECT_EQ(*unescape("\\x\\;"), "x;");
    EXPECT_FALSE(unescape("\\"));
    EXPECT_FALSE(unescape("\\25"));
    EXPECT_FALSE(unescape("\\2a5"));
    EXPECT_FALSE(unescape("\\256"));
}

TEST(DnsRdata, SignatureTimes) {
    // RFC 4034 section 3.3's example: 20030322173103 is 0x3E7C9DD7.
    EXPECT_EQ(time_to_text(0x3E7C9DD7), "20030322173103");
    EXPECT_EQ(time_from_text("20030322173103"), 0x3E7C9DD7u);
    EXPECT_EQ(time_to_text(0), "19700101000000");
    EXPECT_EQ(time_from_text("19700101000000"), 0u);
    EXPECT_EQ(time_to_text(0xFFFFFFFF), "21060207062815");
    EXPECT_EQ(time_from_text("21060207062815"), 0xFFFFFFFFu);
    EXPECT_EQ(time_to_text(951782400), "20000229000000");  // a leap day
    EXPECT_EQ(time_from_text("20000229000000"), 951782400u);
    EXPECT_EQ(time_from_text("1048354263"), 0x3E7C9DD7u);  // plain seconds
    for (const char* bad :
         {"", "2003032217310", "2003032217310x", "20031322173103", "20030300173103",
          "20030322243103", "20030322176003", "19691231235959", "-1", "4294967296"}) {
        EXPECT_FALSE(time_from_text(bad)) << bad;
    }
}

}  // namespace
}  // namespace l7::dns
