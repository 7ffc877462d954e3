#pragma once
// Range requests (RFC 9110 section 14): the Range header's byte ranges, resolved against the
// representation's length into what the response does, and the framing of the response.
//
//   Range: bytes=0-499            first-last   (int-range)
//   Range: bytes=9500-            first-       (int-range without last-pos)
//   Range: bytes=-500             suffix       (suffix-range: the final 500 bytes)
//   Range: bytes=0-0,-1           several      (a multipart/byteranges 206)
//
// Outcomes (evaluate_range):
//   ignore         serve the whole representation with 200, as if there were no Range: the
//                  header is malformed, not in bytes, or asks for more ranges than we allow
//                  (RFC 9110 14.2: a server MAY ignore Range; it MUST ignore unknown units).
//   unsatisfiable  416 Range Not Satisfiable with "Content-Range: bytes */LENGTH" (14.1.1,
//                  15.5.17): no range starts inside the representation.
//   satisfiable    206 Partial Content: one range (Content-Range in the header) or several
//                  (a multipart/byteranges body, make_byteranges_body).
//
// Abuse (RFC 9110 14.2 and 15.3.7.2): the ranges are sorted and those that overlap, touch or
// leave at most `coalesce_gap` bytes between them are merged, so no byte is sent twice and a
// response is never much larger than the representation; more than `max_ranges` range-specs are
// ignored (200) before anything is resolved.
//
// The caller decides whether Range applies at all: only to GET (14.2), only when If-Range
// allows it (conditional.hpp), and only for a 200 the server would otherwise send.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace l7::http {

// Longer Range values are ignored (the 16 widest ranges fit in about 700 bytes).
inline constexpr std::size_t kMaxRangeHeaderLength = 4096;

struct RangeLimits {
    std::size_t max_ranges = 16;  // range-specs beyond this: ignore the header
    // Merge ranges with at most this many bytes between them (0: only overlapping or
    // adjacent ones); sending a gap of 80 bytes costs about what another part header would.
    std::uint64_t coalesce_gap = 80;
};

// One range-spec as written. An int-range has `first` (and `last` unless open-ended); a
// suffix-range has only `suffix_length`. Numbers too large for 64 bits are kept at the
// maximum, which resolves the same way (past any end).
struct RangeSpec {
    std::optional<std::uint64_t> first;
    std::optional<std::uint64_t> last;
    std::optional<std::uint64_t> suffix_length;

    friend bool operator==(const RangeSpec&, const RangeSpec&) = default;
};

// The range-specs of a "bytes=" ranges-specifier (RFC 9110 14.1.1; the unit is
// case-insensitive, list elements may be empty and have whitespace around commas). nullopt
// when the value does not parse, uses another unit, has an int-range whose last is below its
// first, has no range-spec, is longer than kMaxRangeHeaderLength or has more than
// `max_specs` range-specs: every one of these means "ignore the header".
std::optional<std::vector<RangeSpec>> parse_range(std::string_view value,
                                                  std::size_t max_specs = 16);

// A resolved range: bytes first..last inclusive, first <= last < representation length.
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;

    std::uint64_t size() const { return last - first + 1; }
    friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

enum class RangeOutcome { ignore, unsatisfiable, satisfiable };

struct RangeDecision {
    RangeOutcome outcome = RangeOutcome::ignore;
    // satisfiable: sorted, more than coalesce_gap bytes apart, each within the length; else
    // empty.
    std::vector<ByteRange> ranges;
};

// Resolves parsed specs against a representation of `length` bytes (RFC 9110 14.1.1):
// an int-range is satisfiable when first < length (last is cut to length - 1); a suffix-range
// when its length is non-zero (cut to the whole representation). With length 0 nothing can be
// sent in a 206 (Content-Range cannot name an empty range), so a suffix-range gives "ignore"
// (200 with the empty body) and anything else "unsatisfiable".
RangeDecision resolve_ranges(std::span<const RangeSpec> specs, std::uint64_t length,
                             const RangeLimits& limits = {});

// parse_range + resolve_ranges: what to do with a Range header value.
RangeDecision evaluate_range(std::string_view value, std::uint64_t length,
                             const RangeLimits& limits = {});

// "bytes 0-499/10000" (RFC 9110 14.4), for a 206 and for each part of a multipart one.
std::string content_range(ByteRange range, std::uint64_t length);
// "bytes */10000", for a 416.
std::string content_range_unsatisfied(std::uint64_t length);

// A multipart boundary from 16 random bytes the driver supplies (this module draws no
// randomness): "l7-" and 32 hex digits, valid per RFC 2046 5.1.1 and unlikely to occur in
// any body.
std::string make_boundary(std::span<const std::uint8_t, 16> random_bytes);

// The framing of a multipart/byteranges body (RFC 9110 14.6): the driver writes, for each
// part, `parts[i].header` and then the representation's bytes `parts[i].range`, and after the
// last part `trailer`. The body is exactly `content_length` bytes long.
struct ByterangesPart {
    std::string header;  // [CRLF] "--" boundary CRLF [Content-Type] Content-Range CRLF CRLF
    ByteRange range;
};

struct ByterangesBody {
    std::string content_type;  // "multipart/byteranges; boundary=..." for the response
    std::vector<ByterangesPart> parts;
    std::string trailer;  // CRLF "--" boundary "--" CRLF
    std::uint64_t content_length = 0;
};

// `ranges` as evaluate_range returned them; `part_type` is the representation's
// Content-Type, repeated in each part (omitted when empty); `boundary` as make_boundary made
// it. Precondition: the ranges lie within `length` (sums then fit in 64 bits as long as
// length stays below 2^63).
ByterangesBody make_byteranges_body(std::span<const ByteRange> ranges, std::uint64_t length,
                                    std::string_view part_type, std::string_view boundary);

}  // namespace l7::http
