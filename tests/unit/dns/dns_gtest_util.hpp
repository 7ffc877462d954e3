// The DNS unit tests' helpers that check their input through gtest: each one fails the test
// that calls it (and returns an empty value) when the text it is given does not parse, so a
// typo in a test shows as a failure where it is, not as a crash further on.

#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dns/encoding.hpp"
#include "dns_test_util.hpp"

namespace l7::dns::test {

inline Name name(std::string_view text) {
    auto n = Name::parse(text);
    EXPECT_TRUE(n) << text << ": " << (n ? "" : n.error().message);
    return n ? *n : Name();
}

// The uncompressed wire form of a name, as Zone::find takes it.
inline std::string wire_of(std::string_view text) {
    return std::string(name(text).wire());
}

inline Bytes from_hex(std::string_view hex) {
    auto b = hex_decode(hex);
    EXPECT_TRUE(b) << hex;
    return b ? *b : Bytes();
}

// RDATA from its presentation text, relative names completed with `origin`.
inline Bytes rdata(RRType type, std::string_view text, const Name& origin = example_com()) {
    auto r = rdata_from_text(type, tokenize(text), origin);
    EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
    return r ? *r : Bytes();
}

// A record of class IN, or of the class given (an UPDATE's ANY or NONE) with the RDATA given
// (there often none).
inline ResourceRecord rr(std::string_view owner, RRType type, std::string_view text,
                         std::uint32_t ttl = 300, RRClass klass = RRClass::IN) {
    return ResourceRecord{name(owner), type, klass, ttl,
                          text.empty() ? Bytes() : rdata(type, text)};
}

// A zone built from text that must load cleanly: any problem, even a warning, fails the test.
inline std::shared_ptr<Zone> make_zone(std::string_view text, const Name& origin = example_com()) {
    ParsedZone p = parse_zone(text, origin);
    for (const MasterProblem& problem : p.file.problems) {
        ADD_FAILURE() << p.file.describe(problem);
    }
    EXPECT_NE(p.zone, nullptr) << origin.to_text();
    return p.zone;
}

// The SOA record of a test zone (see soa_rdata), TTL 300.
inline ResourceRecord soa_record(std::uint32_t serial, const Name& owner = example_com()) {
    return {owner, RRType::SOA, RRClass::IN, 300, soa_rdata(serial)};
}

// An A record for 192.0.2.`last`.
inline ResourceRecord a_record(std::string_view owner, std::uint8_t last, std::uint32_t ttl = 300) {
    return {name(owner), RRType::A, RRClass::IN, ttl, {192, 0, 2, last}};
}

}  // namespace l7::dns::test
