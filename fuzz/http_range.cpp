// l7::http::evaluate_range on arbitrary Range values against representation lengths taken
// from the input. Invariants: satisfiable ranges are non-empty, at most max_ranges, sorted,
// disjoint with more than coalesce_gap bytes between them, and inside the length; other
// outcomes carry no ranges; the multipart framing adds up to its announced length.
//
// Input: the first 8 bytes are the length (used as is, and reduced to a small one so that
// ranges often fall inside it), the rest is the header value.

#include <cstring>
#include <string>

#include "fuzz_check.hpp"
#include "http/range.hpp"

namespace {

using namespace l7::http;

void check(std::string_view value, std::uint64_t length, const RangeLimits& limits) {
    const RangeDecision d = evaluate_range(value, length, limits);
    const auto specs = parse_range(value, limits.max_ranges);
    L7_FUZZ_CHECK(!specs || (!specs->empty() && specs->size() <= limits.max_ranges));
    if (specs) {
        for (const RangeSpec& s : *specs) {
            L7_FUZZ_CHECK(s.suffix_length.has_value() != s.first.has_value());
            L7_FUZZ_CHECK(!s.last || (s.first && *s.last >= *s.first));
        }
    } else {
        L7_FUZZ_CHECK(d.outcome == RangeOutcome::ignore);
    }
    if (d.outcome != RangeOutcome::satisfiable) {
        L7_FUZZ_CHECK(d.ranges.empty());
        L7_FUZZ_CHECK(content_range_unsatisfied(length).starts_with("bytes */"));
        return;
    }
    L7_FUZZ_CHECK(!d.ranges.empty() && d.ranges.size() <= limits.max_ranges);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < d.ranges.size(); ++i) {
        const ByteRange& r = d.ranges[i];
        L7_FUZZ_CHECK(r.first <= r.last && r.last < length);
        if (i > 0) {
            const ByteRange& prev = d.ranges[i - 1];
            L7_FUZZ_CHECK(prev.last < r.first && r.first - prev.last - 1 > limits.coalesce_gap);
        }
        total += r.size();
        L7_FUZZ_CHECK(content_range(r, length).starts_with("bytes "));
    }
    L7_FUZZ_CHECK(total <= length);

    const ByterangesBody body = make_byteranges_body(d.ranges, length, "text/plain", "fuzz");
    L7_FUZZ_CHECK(body.parts.size() == d.ranges.size());
    std::uint64_t framed = body.trailer.size();
    for (const ByterangesPart& p : body.parts) {
        framed += p.header.size() + p.range.size();
    }
    L7_FUZZ_CHECK(framed == body.content_length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint64_t length = 0;
    std::string_view value = l7::fuzz::as_text(data, size);
    if (size >= 8) {
        std::memcpy(&length, data, sizeof length);
        value.remove_prefix(8);
    }
    RangeLimits tight;
    tight.max_ranges = 3;
    tight.coalesce_gap = 0;
    // Large lengths stay below 2^62 so that framing sums cannot wrap (a documented
    // precondition of make_byteranges_body).
    for (std::uint64_t len : {length % 20000, length >> 2, std::uint64_t{0}, std::uint64_t{1}}) {
        check(value, len, RangeLimits{});
        check(value, len, tight);
    }
    return 0;
}
