// l7::http::parse_http_date on arbitrary text, and format_http_date on arbitrary instants.
// Invariants: a parsed date lies in the four-digit-year range and its IMF-fixdate parses back
// to the same second; any int64 formats to 29 bytes that parse back to the clamped instant;
// the calendar functions agree with each other.

#include <algorithm>
#include <cstring>
#include <string>

#include "fuzz_check.hpp"
#include "http/http_date.hpp"

namespace {

using namespace l7::http;

constexpr std::int64_t kNows[] = {0, 1748736000, 4083955200, -2203891200};

void check_instant(std::int64_t t) {
    const std::int64_t clamped = std::clamp(t, kMinHttpDate, kMaxHttpDate);
    const std::string text = format_http_date(t);
    L7_FUZZ_CHECK(text.size() == kHttpDateLength);
    L7_FUZZ_CHECK(text.ends_with(" GMT"));
    for (std::int64_t now : kNows) {
        L7_FUZZ_CHECK(parse_http_date(text, now) == clamped);
    }
    const CivilTime c = civil_from_unix(clamped);
    L7_FUZZ_CHECK(c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31);
    L7_FUZZ_CHECK(c.hour < 24 && c.minute < 60 && c.second < 60 && c.weekday < 7);
    L7_FUZZ_CHECK(days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 +
                      c.second ==
                  clamped);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    for (std::int64_t now : kNows) {
        const auto t = parse_http_date(text, now);
        if (!t) {
            continue;
        }
        L7_FUZZ_CHECK(*t >= kMinHttpDate && *t <= kMaxHttpDate);
        L7_FUZZ_CHECK(text.size() <= kMaxHttpDateInput);
        check_instant(*t);
        // rfc850's year moves with now; the others must not.
        if (text.find('-') == std::string_view::npos) {
            L7_FUZZ_CHECK(parse_http_date(text, kNows[0]) == t);
        }
    }
    if (size >= 8) {
        std::int64_t t = 0;
        std::memcpy(&t, data, sizeof t);
        check_instant(t);
        check_instant(t % (kMaxHttpDate + 1));  // mostly inside the range as well
    }
    return 0;
}
