// Range requests (RFC 9110 section 14): RFC 9110 14.1.2's examples for a 10000-byte
// representation, what is ignored, what is unsatisfiable, coalescing, and the
// multipart/byteranges framing of 14.6.

#include <gtest/gtest.h>

#include <array>
#include <ostream>
#include <string>
#include <vector>

#include "http/range.hpp"

namespace l7::http {

// Readable failures: "[500, 999]" rather than bytes.
void PrintTo(const ByteRange& r, std::ostream* os) {
    *os << "[" << r.first << ", " << r.last << "]";
}

namespace {

using Ranges = std::vector<ByteRange>;

Ranges satisfiable(std::string_view value, std::uint64_t length, const RangeLimits& limits = {}) {
    const RangeDecision d = evaluate_range(value, length, limits);
    EXPECT_EQ(d.outcome, RangeOutcome::satisfiable) << value;
    return d.ranges;
}

RangeOutcome outcome(std::string_view value, std::uint64_t length) {
    const RangeDecision d = evaluate_range(value, length);
    if (d.outcome != RangeOutcome::satisfiable) {
        EXPECT_TRUE(d.ranges.empty()) << value;
    }
    return d.outcome;
}

TEST(Range, Rfc9110Section14_1_2Examples) {
    // A representation of length 10000.
    EXPECT_EQ(satisfiable("bytes=0-499", 10000), (Ranges{{0, 499}}));               // first 500
    EXPECT_EQ(satisfiable("bytes=500-999", 10000), (Ranges{{500, 999}}));           // second 500
    EXPECT_EQ(satisfiable("bytes=-500", 10000), (Ranges{{9500, 9999}}));            // final 500
    EXPECT_EQ(satisfiable("bytes=9500-", 10000), (Ranges{{9500, 9999}}));           // final 500
    EXPECT_EQ(satisfiable("bytes=0-0,-1", 10000), (Ranges{{0, 0}, {9999, 9999}}));  // ends
    // Other valid (but not canonical) specifications of the second 500 bytes: adjacent and
    // overlapping ranges are coalesced into the one range they cover.
    EXPECT_EQ(satisfiable("bytes=500-600,601-999", 10000), (Ranges{{500, 999}}));
    EXPECT_EQ(satisfiable("bytes=500-700,601-999", 10000), (Ranges{{500, 999}}));
}

TEST(Range, ParsesSpecsAsWritten) {
    const auto specs = parse_range(" BYTES=0-499, 9500- ,,-500");
    ASSERT_TRUE(specs);
    ASSERT_EQ(specs->size(), 3u);
    EXPECT_EQ((*specs)[0], (RangeSpec{0, 499, std::nullopt}));
    EXPECT_EQ((*specs)[1], (RangeSpec{9500, std::nullopt, std::nullopt}));
    EXPECT_EQ((*specs)[2], (RangeSpec{std::nullopt, std::nullopt, 500}));
    // Numbers beyond 64 bits saturate: such a first-pos is past any end.
    const auto huge = parse_range("bytes=99999999999999999999999-");
    ASSERT_TRUE(huge);
    EXPECT_EQ((*huge)[0].first, std::numeric_limits<std::uint64_t>::max());
}

TEST(Range, MalformedOrForeignRangesAreIgnored) {
    const char* ignored[] = {
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=abc",
        "bytes=500-400",      // last before first: the whole header is invalid
        "bytes=0-1,500-400",  // one invalid range-spec spoils the header
        "bytes=-",
        "bytes=--5",
        "bytes=1-2-3",
        "bytes=0 -1",
        "bytes=+1-2",
        "bytes=0x10-20",
        "bytes = 0-1",
        "items=0-1",  // unknown unit: MUST ignore (14.2)
        "none",
    };
    for (const char* value : ignored) {
        EXPECT_FALSE(parse_range(value)) << value;
        EXPECT_EQ(outcome(value, 10000), RangeOutcome::ignore) << value;
    }
    EXPECT_EQ(outcome("bytes=0-1" + std::string(kMaxRangeHeaderLength, ' '), 10000),
              RangeOutcome::ignore);
}

TEST(Range, UnsatisfiableRanges) {
    EXPECT_EQ(outcome("bytes=10000-", 10000), RangeOutcome::unsatisfiable);
    EXPECT_EQ(outcome("bytes=10000-20000", 10000), RangeOutcome::unsatisfiable);
    EXPECT_EQ(outcome("bytes=-0", 10000), RangeOutcome::unsatisfiable);
    EXPECT_EQ(outcome("bytes=20000-,-0", 10000), RangeOutcome::unsatisfiable);
    EXPECT_EQ(outcome("bytes=99999999999999999999-", 10000), RangeOutcome::unsatisfiable);
    // One satisfiable range-spec makes the set satisfiable; the others are dropped.
    EXPECT_EQ(satisfiable("bytes=20000-,5-9", 10000), (Ranges{{5, 9}}));
    // Nothing can be cut from an empty representation: 416, or 200 for a suffix-range.
    EXPECT_EQ(outcome("bytes=0-", 0), RangeOutcome::unsatisfiable);
    EXPECT_EQ(outcome("bytes=-5", 0), RangeOutcome::ignore);
}

TEST(Range, LastPositionsAndSuffixesAreCutToTheRepresentation) {
    EXPECT_EQ(satisfiable("bytes=9000-20000", 10000), (Ranges{{9000, 9999}}));
    EXPECT_EQ(satisfiable("bytes=-20000", 10000), (Ranges{{0, 9999}}));
    EXPECT_EQ(satisfiable("bytes=0-18446744073709551615", 10000), (Ranges{{0, 9999}}));
    EXPECT_EQ(satisfiable("bytes=0-0", 1), (Ranges{{0, 0}}));
    EXPECT_EQ(satisfiable("bytes=-1", 1), (Ranges{{0, 0}}));
}

TEST(Range, CoalescesOverlappingAndCloseRanges) {
    // Overlap abuse: the same bytes many times over become one range.
    EXPECT_EQ(satisfiable("bytes=0-,0-,0-,0-,0-,0-,0-,0-", 10000), (Ranges{{0, 9999}}));
    EXPECT_EQ(satisfiable("bytes=0-10,5-20,-9990", 10000), (Ranges{{0, 9999}}));
    // Sorted; ranges less than coalesce_gap (80) bytes apart are merged.
    EXPECT_EQ(satisfiable("bytes=5000-5099,0-99,150-199", 10000), (Ranges{{0, 199}, {5000, 5099}}));
    EXPECT_EQ(satisfiable("bytes=0-99,181-199", 10000), (Ranges{{0, 99}, {181, 199}}));
    EXPECT_EQ(satisfiable("bytes=0-99,180-199", 10000), (Ranges{{0, 199}}));  // 80 between
    RangeLimits exact;
    exact.coalesce_gap = 0;
    EXPECT_EQ(satisfiable("bytes=0-99,101-199,100-100", 10000, exact), (Ranges{{0, 199}}));
    EXPECT_EQ(satisfiable("bytes=0-99,101-199", 10000, exact), (Ranges{{0, 99}, {101, 199}}));
}

TEST(Range, TooManyRangesAreIgnored) {
    std::string sixteen = "bytes=0-0";
    for (int i = 1; i < 16; ++i) {
        sixteen += "," + std::to_string(i * 1000) + "-" + std::to_string(i * 1000);
    }
    EXPECT_EQ(satisfiable(sixteen, 20000).size(), 16u);
    EXPECT_EQ(outcome(sixteen + ",19000-19000", 20000), RangeOutcome::ignore);
    RangeLimits two;
    two.max_ranges = 2;
    EXPECT_EQ(evaluate_range("bytes=0-0,5-5,9-9", 100, two).outcome, RangeOutcome::ignore);
    const std::vector<RangeSpec> three(3, RangeSpec{0, 0, std::nullopt});
    EXPECT_EQ(resolve_ranges(three, 100, two).outcome, RangeOutcome::ignore);
    EXPECT_EQ(resolve_ranges({}, 100).outcome, RangeOutcome::ignore);
}

TEST(Range, ContentRange) {
    EXPECT_EQ(content_range({0, 499}, 10000), "bytes 0-499/10000");
    EXPECT_EQ(content_range({9999, 9999}, 10000), "bytes 9999-9999/10000");
    EXPECT_EQ(content_range_unsatisfied(10000), "bytes */10000");
    EXPECT_EQ(content_range_unsatisfied(0), "bytes */0");
    EXPECT_EQ((ByteRange{500, 999}.size()), 500u);
}

TEST(Range, BoundaryFromRandomBytes) {
    std::array<std::uint8_t, 16> random{};
    for (std::size_t i = 0; i < random.size(); ++i) {
        random[i] = static_cast<std::uint8_t>(i * 17);
    }
    EXPECT_EQ(make_boundary(random), "l7-00112233445566778899aabbccddeeff");
}

TEST(Range, MultipartByterangesFraming) {
    // RFC 9110 14.6's example: two ranges of an 8000-byte PDF.
    const Ranges ranges = {{500, 999}, {7000, 7999}};
    const ByterangesBody body =
        make_byteranges_body(ranges, 8000, "application/pdf", "THIS_STRING_SEPARATES");
    EXPECT_EQ(body.content_type, "multipart/byteranges; boundary=THIS_STRING_SEPARATES");
    ASSERT_EQ(body.parts.size(), 2u);
    EXPECT_EQ(body.parts[0].header,
              "--THIS_STRING_SEPARATES\r\n"
              "Content-Type: application/pdf\r\n"
              "Content-Range: bytes 500-999/8000\r\n\r\n");
    EXPECT_EQ(body.parts[1].header,
              "\r\n--THIS_STRING_SEPARATES\r\n"
              "Content-Type: application/pdf\r\n"
              "Content-Range: bytes 7000-7999/8000\r\n\r\n");
    EXPECT_EQ(body.parts[0].range, (ByteRange{500, 999}));
    EXPECT_EQ(body.parts[1].range, (ByteRange{7000, 7999}));
    EXPECT_EQ(body.trailer, "\r\n--THIS_STRING_SEPARATES--\r\n");

    // Assemble the body as a driver would and check the length it announced.
    std::string representation(8000, 'x');
    for (std::size_t i = 0; i < representation.size(); ++i) {
        representation[i] = static_cast<char>('a' + i % 26);
    }
    std::string assembled;
    for (const ByterangesPart& p : body.parts) {
        assembled += p.header;
        assembled += representation.substr(p.range.first, p.range.size());
    }
    assembled += body.trailer;
    EXPECT_EQ(assembled.size(), body.content_length);
    EXPECT_EQ(assembled.substr(body.parts[0].header.size(), 500), representation.substr(500, 500));
    EXPECT_EQ(assembled.substr(assembled.size() - body.trailer.size() - 1000, 1000),
              representation.substr(7000));

    // Without a representation type the parts carry only Content-Range.
    const ByterangesBody plain = make_byteranges_body(ranges, 8000, "", "b");
    EXPECT_EQ(plain.parts[0].header, "--b\r\nContent-Range: bytes 500-999/8000\r\n\r\n");
    EXPECT_EQ(plain.content_length, plain.parts[0].header.size() + 500 +
                                        plain.parts[1].header.size() + 1000 + plain.trailer.size());
}

}  // namespace
}  // namespace l7::http
