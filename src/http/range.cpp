#include "http/range.hpp"

#include <algorithm>
#include <limits>

#include "http/fields.hpp"

namespace l7::http {
namespace {

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// 1*DIGIT at the front of `s`, consumed; saturates at 2^64-1 instead of wrapping, since a
// position past every representation resolves the same whatever its exact value.
std::optional<std::uint64_t> read_number(std::string_view& s) {
    std::size_t n = 0;
    std::uint64_t v = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') {
        const auto d = static_cast<std::uint64_t>(s[n] - '0');
        v = v > (kMax64 - d) / 10 ? kMax64 : v * 10 + d;
        ++n;
    }
    if (n == 0) {
        return std::nullopt;
    }
    s.remove_prefix(n);
    return v;
}

// range-spec = int-range / suffix-range (RFC 9110 14.1.1; other-range is not for bytes).
std::optional<RangeSpec> parse_spec(std::string_view s) {
    RangeSpec spec;
    if (s.starts_with('-')) {
        s.remove_prefix(1);
        spec.suffix_length = read_number(s);
        if (!spec.suffix_length || !s.empty()) {
            return std::nullopt;
        }
        return spec;
    }
    spec.first = read_number(s);
    if (!spec.first || !s.starts_with('-')) {
        return std::nullopt;
    }
    s.remove_prefix(1);
    if (!s.empty()) {
        spec.last = read_number(s);
        // "An int-range is invalid if the last-pos value is present and less than the
        // first-pos" (14.1.1); one invalid range-spec makes the whole header invalid.
        if (!spec.last || !s.empty() || *spec.last < *spec.first) {
            return std::nullopt;
        }
    }
    return spec;
}

void append_number(std::string& out, std::uint64_t v) {
    out += std::to_string(v);
}

}  // namespace

std::optional<std::vector<RangeSpec>> parse_range(std::string_view value, std::size_t max_specs) {
    if (value.size() > kMaxRangeHeaderLength) {
        return std::nullopt;
    }
    value = trim_ows(value);
    const std::size_t eq = value.find('=');
    if (eq == std::string_view::npos || !iequals(value.substr(0, eq), "bytes")) {
        return std::nullopt;  // another unit, or none: ignore (14.2)
    }
    std::string_view set = value.substr(eq + 1);
    std::vector<RangeSpec> specs;
    // 1#range-spec: elements split at commas, OWS around them, empty ones allowed (5.6.1).
    while (true) {
        const std::size_t comma = set.find(',');
        const std::string_view element = trim_ows(set.substr(0, comma));
        if (!element.empty()) {
            const auto spec = parse_spec(element);
            if (!spec || specs.size() == max_specs) {
                return std::nullopt;
            }
            specs.push_back(*spec);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        set.remove_prefix(comma + 1);
    }
    if (specs.empty()) {
        return std::nullopt;
    }
    return specs;
}

RangeDecision resolve_ranges(std::span<const RangeSpec> specs, std::uint64_t length,
                             const RangeLimits& limits) {
    RangeDecision d;
    if (specs.empty() || specs.size() > limits.max_ranges) {
        return d;  // ignore
    }
    if (length == 0) {
        const bool any_suffix = std::any_of(specs.begin(), specs.end(), [](const RangeSpec& s) {
            return s.suffix_length.value_or(0) > 0;
        });
        d.outcome = any_suffix ? RangeOutcome::ignore : RangeOutcome::unsatisfiable;
        return d;
    }
    std::vector<ByteRange> ranges;
    ranges.reserve(specs.size());
    for (const RangeSpec& s : specs) {
        if (s.suffix_length) {
            if (*s.suffix_length > 0) {
                ranges.push_back({length - std::min(*s.suffix_length, length), length - 1});
            }
        } else if (s.first && *s.first < length) {
            ranges.push_back({*s.first, std::min(s.last.value_or(kMax64), length - 1)});
        }
    }
    if (ranges.empty()) {
        d.outcome = RangeOutcome::unsatisfiable;
        return d;
    }
    // Coalesce (15.3.7.2): sorted, and merged where they overlap, touch, or leave a gap no
    // larger than coalesce_gap (sending it costs about what another part header would).
    std::sort(ranges.begin(), ranges.end(),
              [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
    for (const ByteRange& r : ranges) {
        if (!d.ranges.empty()) {
            ByteRange& prev = d.ranges.back();
            const bool overlaps = r.first <= prev.last;
            if (overlaps || r.first - prev.last - 1 <= limits.coalesce_gap) {
                prev.last = std::max(prev.last, r.last);
                continue;
            }
        }
        d.ranges.push_back(r);
    }
    d.outcome = RangeOutcome::satisfiable;
    return d;
}

RangeDecision evaluate_range(std::string_view value, std::uint64_t length,
                             const RangeLimits& limits) {
    const auto specs = parse_range(value, limits.max_ranges);
    if (!specs) {
        return {};
    }
    return resolve_ranges(*specs, length, limits);
}

std::string content_range(ByteRange range, std::uint64_t length) {
    std::string out = "bytes ";
    append_number(out, range.first);
    out += '-';
    append_number(out, range.last);
    out += '/';
    append_number(out, length);
    return out;
}

std::string content_range_unsatisfied(std::uint64_t length) {
    std::string out = "bytes */";
    append_number(out, length);
    return out;
}

std::string make_boundary(std::span<const std::uint8_t, 16> random_bytes) {
    constexpr char kHex[] = "0123456789abcdef";
    std::string out = "l7-";
    for (std::uint8_t b : random_bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
    }
    return out;
}

ByterangesBody make_byteranges_body(std::span<const ByteRange> ranges, std::uint64_t length,
                                    std::string_view part_type, std::string_view boundary) {
    ByterangesBody body;
    body.content_type = "multipart/byteranges; boundary=";
    body.content_type += boundary;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        // RFC 2046 5.1.1: the CRLF before a boundary belongs to the delimiter, so every part
        // but the first starts with it, and the body's bytes end right before it.
        std::string header = i == 0 ? "--" : "\r\n--";
        header += boundary;
        header += "\r\n";
        if (!part_type.empty()) {
            header += "Content-Type: ";
            header += part_type;
            header += "\r\n";
        }
        header += "Content-Range: ";
        header += content_range(ranges[i], length);
        header += "\r\n\r\n";
        body.content_length += header.size() + ranges[i].size();
        body.parts.push_back({std::move(header), ranges[i]});
    }
    body.trailer = "\r\n--";
    body.trailer += boundary;
    body.trailer += "--\r\n";
    body.content_length += body.trailer.size();
    return body;
}

}  // namespace l7::http
