#include "http/http_date.hpp"
#include "http/head_syntax.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>

namespace l7::http {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
// The Gregorian calendar repeats every 400 years, which are exactly 146097 days.
constexpr std::int64_t kDaysPer400Years = 146097;
constexpr std::int64_t kDaysPer100Years = 36524;  // a century whose last year is not leap
constexpr std::int64_t kDaysPer4Years = 1461;
// Days from 0000-03-01 (the start of our March-based years) to 1970-01-01.
constexpr std::int64_t kEpochFromMarch0000 = 719468;

// Counting years from March puts the leap day last, so a month's first day (as days into the
// March-based year) does not depend on the year.
constexpr std::array<unsigned, 12> kMonthStartFromMarch = {0,   31,  61,  92,  122, 153,
                                                           184, 214, 245, 275, 306, 337};

constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool is_leap(std::int64_t year) {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

unsigned days_in_month(std::int64_t year, unsigned month) {
    constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

unsigned weekday_of_days(std::int64_t days) {
    // 1970-01-01 was a Thursday (4).
    const std::int64_t w = (days + 4) % 7;
    return static_cast<unsigned>(w < 0 ? w + 7 : w);
}

// A cursor over the date text; every read checks what is left.
class Reader {
  public:
    explicit Reader(std::string_view s) : s_(s) {}

    bool done() const { return s_.empty(); }
    bool literal(std::string_view lit) {
        if (!s_.starts_with(lit)) {
            return false;
        }
        s_.remove_prefix(lit.size());
        return true;
    }
    // Exactly `n` decimal digits.
    std::optional<unsigned> digits(std::size_t n) {
        if (s_.size() < n) {
            return std::nullopt;
        }
        unsigned v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (s_[i] < '0' || s_[i] > '9') {
                return std::nullopt;
            }
            v = v * 10 + static_cast<unsigned>(s_[i] - '0');
        }
        s_.remove_prefix(n);
        return v;
    }
    // Index of the name in `names` that the text starts with (names are case-sensitive).
    template <std::size_t N>
    std::optional<unsigned> name(const std::array<std::string_view, N>& names) {
        for (std::size_t i = 0; i < N; ++i) {
            if (literal(names[i])) {
                return static_cast<unsigned>(i);
            }
        }
        return std::nullopt;
    }

  private:
    std::string_view s_;
};

struct Parsed {
    std::int64_t year = 0;
    unsigned month = 0;  // 1-12
    unsigned day = 0;
    unsigned hour = 0;
    unsigned minute = 0;
    unsigned second = 0;
    unsigned weekday = 0;
};

// time-of-day = hour ":" minute ":" second (RFC 9110 5.6.7).
bool read_time(Reader& r, Parsed& p) {
    const auto h = r.digits(2);
    if (!h || !r.literal(":")) {
        return false;
    }
    const auto m = r.digits(2);
    if (!m || !r.literal(":")) {
        return false;
    }
    const auto s = r.digits(2);
    if (!s) {
        return false;
    }
    p.hour = *h;
    p.minute = *m;
    p.second = *s;
    return true;
}

// IMF-fixdate after the day name: ", 06 Nov 1994 08:49:37 GMT".
bool read_fixdate(Reader& r, Parsed& p) {
    if (!r.literal(", ")) {
        return false;
    }
    const auto day = r.digits(2);
    if (!day || !r.literal(" ")) {
        return false;
    }
    const auto month = r.name(kMonthNames);
    if (!month || !r.literal(" ")) {
        return false;
    }
    const auto year = r.digits(4);
    if (!year || !r.literal(" ") || !read_time(r, p) || !r.literal(" GMT")) {
        return false;
    }
    p.day = *day;
    p.month = *month + 1;
    p.year = *year;
    return true;
}

// asctime-date after the day name: " Nov  6 08:49:37 1994" (the day is 2DIGIT or SP DIGIT).
bool read_asctime(Reader& r, Parsed& p) {
    if (!r.literal(" ")) {
        return false;
    }
    const auto month = r.name(kMonthNames);
    if (!month || !r.literal(" ")) {
        return false;
    }
    std::optional<unsigned> day = r.literal(" ") ? r.digits(1) : r.digits(2);
    if (!day || !r.literal(" ") || !read_time(r, p) || !r.literal(" ")) {
        return false;
    }
    const auto year = r.digits(4);
    if (!year) {
        return false;
    }
    p.day = *day;
    p.month = *month + 1;
    p.year = *year;
    return true;
}

// The rfc850 two-digit year (RFC 9110 5.6.7): of the years ending in `yy`, the latest one that
// does not put the timestamp more than 50 years after `now`.
std::int64_t place_two_digit_year(unsigned yy, const Parsed& p, std::int64_t now) {
    const CivilTime n = civil_from_unix(now);
    const auto limit = std::make_tuple(n.year + 50, n.month, n.day, n.hour, n.minute, n.second);
    const std::int64_t century = floor_div(n.year, 100) * 100;
    for (std::int64_t year : {century + 100 + yy, century + yy}) {
        if (std::make_tuple(year, p.month, p.day, p.hour, p.minute, p.second) <= limit) {
            return year;
        }
    }
    return century - 100 + yy;
}

// rfc850-date after the long day name: ", 06-Nov-94 08:49:37 GMT".
bool read_rfc850(Reader& r, Parsed& p, std::int64_t now) {
    if (!r.literal(", ")) {
        return false;
    }
    const auto day = r.digits(2);
    if (!day || !r.literal("-")) {
        return false;
    }
    const auto month = r.name(kMonthNames);
    if (!month || !r.literal("-")) {
        return false;
    }
    const auto yy = r.digits(2);
    if (!yy || !r.literal(" ") || !read_time(r, p) || !r.literal(" GMT")) {
        return false;
    }
    p.day = *day;
    p.month = *month + 1;
    p.year = place_two_digit_year(*yy, p, now);
    return true;
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    // Years start on 1 March here, so January and February belong to the previous year.
    const std::int64_t y = month <= 2 ? year - 1 : year;
    const std::int64_t era = floor_div(y, 400);
    const std::int64_t year_of_era = y - era * 400;  // 0-399
    const std::int64_t day_of_year = kMonthStartFromMarch[(month + 9) % 12] + day - 1;
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * kDaysPer400Years + day_of_era - kEpochFromMarch0000;
}

CivilTime civil_from_unix(std::int64_t unix_seconds) {
    const std::int64_t days = floor_div(unix_seconds, kSecondsPerDay);
    const std::int64_t secs = unix_seconds - days * kSecondsPerDay;
    CivilTime t;
    t.hour = static_cast<unsigned>(secs / 3600);
    t.minute = static_cast<unsigned>(secs / 60 % 60);
    t.second = static_cast<unsigned>(secs % 60);
    t.weekday = weekday_of_days(days);

    // Peel 400-year eras, then centuries (the last one of an era is a day longer, hence the
    // min), then 4-year groups, then years (the last of a group has the leap day).
    std::int64_t z = days + kEpochFromMarch0000;
    const std::int64_t era = floor_div(z, kDaysPer400Years);
    z -= era * kDaysPer400Years;
    const std::int64_t centuries = std::min<std::int64_t>(z / kDaysPer100Years, 3);
    z -= centuries * kDaysPer100Years;
    const std::int64_t quads = z / kDaysPer4Years;
    z -= quads * kDaysPer4Years;
    const std::int64_t years = std::min<std::int64_t>(z / 365, 3);
    z -= years * 365;  // now the day of the March-based year, 0-365

    unsigned m = 11;
    while (kMonthStartFromMarch[m] > z) {
        --m;
    }
    t.day = static_cast<unsigned>(z - kMonthStartFromMarch[m]) + 1;
    t.month = m < 10 ? m + 3 : m - 9;
    t.year = era * 400 + centuries * 100 + quads * 4 + years + (t.month <= 2 ? 1 : 0);
    return t;
}

std::string format_http_date(std::int64_t unix_seconds) {
    const CivilTime t = civil_from_unix(std::clamp(unix_seconds, kMinHttpDate, kMaxHttpDate));
    // "Sun, 06 Nov 1994 08:49:37 GMT": written into place, one allocation.
    std::string out(kHttpDateLength, ' ');
    const auto put = [&out](std::size_t at, std::int64_t value, int width) {
        for (int i = width - 1; i >= 0; --i) {
            out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
            value /= 10;
        }
    };
    std::memcpy(out.data(), kDayNames[t.weekday].data(), 3);
    out[3] = ',';
    put(5, t.day, 2);
    std::memcpy(out.data() + 8, kMonthNames[t.month - 1].data(), 3);
    put(12, t.year, 4);
    put(17, t.hour, 2);
    out[19] = ':';
    put(20, t.minute, 2);
    out[22] = ':';
    put(23, t.second, 2);
    std::memcpy(out.data() + 26, "GMT", 3);
    return out;
}

std::string format_http_date(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    return format_http_date(floor<seconds>(t).time_since_epoch().count());
}

std::optional<std::int64_t> parse_http_date(std::string_view text, std::int64_t now_unix_seconds) {
    if (text.size() > kMaxHttpDateInput) {
        return std::nullopt;
    }
    Reader r(trim_ows(text));
    Parsed p;
    bool ok = false;
    // The three forms differ from the fourth byte: ',' (fixdate), ' ' (asctime) or more
    // letters of a long day name (rfc850).
    if (const auto wd = r.name(kLongDayNames)) {
        p.weekday = *wd;
        ok = read_rfc850(r, p, now_unix_seconds);
    } else if (const auto wd3 = r.name(kDayNames)) {
        p.weekday = *wd3;
        Reader fork = r;
        ok = read_fixdate(fork, p);
        if (!ok) {
            ok = read_asctime(r, p);
        } else {
            r = fork;
        }
    }
    if (!ok || !r.done()) {
        return std::nullopt;
    }
    if (p.day < 1 || p.day > days_in_month(p.year, p.month) || p.hour > 23 || p.minute > 59 ||
        p.second > 60) {
        return std::nullopt;
    }
    const std::int64_t days = days_from_civil(p.year, p.month, p.day);
    if (weekday_of_days(days) != p.weekday) {
        return std::nullopt;
    }
    const std::int64_t t = days * kSecondsPerDay + p.hour * 3600 + p.minute * 60 + p.second;
    if (t < kMinHttpDate || t > kMaxHttpDate) {
        return std::nullopt;
    }
    return t;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text, std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    const auto secs = parse_http_date(text, floor<seconds>(now).time_since_epoch().count());
    if (!secs) {
        return std::nullopt;
    }
    // A valid date may lie outside the clock's range (years 1677-2262 for libstdc++'s
    // nanosecond clock): keep it at the nearest end rather than overflow.
    const std::int64_t lo =
        ceil<seconds>(system_clock::time_point::min()).time_since_epoch().count();
    const std::int64_t hi =
        floor<seconds>(system_clock::time_point::max()).time_since_epoch().count();
    const seconds clamped(std::clamp(*secs, lo, hi));
    return system_clock::time_point(duration_cast<system_clock::duration>(clamped));
}

}  // namespace l7::http
