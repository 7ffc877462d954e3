// HTTP-date (RFC 9110 section 5.6.7): the three forms of RFC 9110's own example, invalid
// dates, the two-digit-year rule, and the calendar against std::chrono's.

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "http/http_date.hpp"

namespace l7::http {
namespace {

// RFC 9110 5.6.7's example instant: Sun, 06 Nov 1994 08:49:37 GMT.
constexpr std::int64_t kExample = 784111777;
constexpr std::int64_t kNow2025 = 1748736000;  // 2025-06-01T00:00:00Z

TEST(HttpDate, ParsesRfc9110ExampleInAllThreeForms) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", kNow2025), kExample);
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow2025), kExample);
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994", kNow2025), kExample);
    // asctime's day may also be written with two digits (2DIGIT / SP DIGIT).
    EXPECT_EQ(parse_http_date("Sun Nov 06 08:49:37 1994", kNow2025), kExample);
    // The field value's surrounding whitespace is not part of the date.
    EXPECT_EQ(parse_http_date(" \tSun, 06 Nov 1994 08:49:37 GMT ", kNow2025), kExample);
}

TEST(HttpDate, FormatsImfFixdate) {
    EXPECT_EQ(format_http_date(kExample), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
    EXPECT_EQ(format_http_date(kExample).size(), kHttpDateLength);
    // Out of the four-digit range: clamped to its ends.
    EXPECT_EQ(format_http_date(std::numeric_limits<std::int64_t>::max()),
              "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format_http_date(std::numeric_limits<std::int64_t>::min()),
              "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(HttpDate, TimePointsDropTheirFractionOfASecond) {
    using namespace std::chrono;
    const system_clock::time_point t =
        system_clock::time_point(seconds(kExample)) + milliseconds(999);
    EXPECT_EQ(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    const system_clock::time_point before =
        system_clock::time_point(seconds(-1)) + milliseconds(500);  // 1969-12-31T23:59:59.5
    EXPECT_EQ(format_http_date(before), "Wed, 31 Dec 1969 23:59:59 GMT");

    const auto parsed =
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", system_clock::time_point(seconds(0)));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, system_clock::time_point(seconds(kExample)));
    // Beyond the clock's range: its last whole second, not an overflow.
    const auto far = parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT", system_clock::now());
    ASSERT_TRUE(far);
    EXPECT_EQ(*far, floor<seconds>(system_clock::time_point::max()));
}

TEST(HttpDate, RejectsInvalidDates) {
    const char* bad[] = {
        "",
        "Sun, 06 Nov 1994 08:49:37",       // no GMT
        "Sun, 06 Nov 1994 08:49:37 UTC",   // only GMT
        "Sun, 06 Nov 1994 08:49:37 gmt",   // case-sensitive
        "sun, 06 Nov 1994 08:49:37 GMT",   // case-sensitive day name
        "Sun, 06 nov 1994 08:49:37 GMT",   // case-sensitive month
        "Mon, 06 Nov 1994 08:49:37 GMT",   // 6 Nov 1994 was a Sunday
        "Sun, 6 Nov 1994 08:49:37 GMT",    // fixdate's day has two digits
        "Sun,  06 Nov 1994 08:49:37 GMT",  // one space only
        "Sun, 06 Nov 94 08:49:37 GMT",     // four-digit year
        "Sun, 06 Nov 1994 8:49:37 GMT",    // two-digit hour
        "Sun, 06 Nov 1994 24:00:00 GMT",   // hour out of range
        "Sun, 06 Nov 1994 08:60:00 GMT",   // minute out of range
        "Sun, 06 Nov 1994 08:49:61 GMT",   // second out of range
        "Sat, 31 Apr 1994 08:49:37 GMT",   // April has 30 days
        "Wed, 29 Feb 2023 00:00:00 GMT",   // 2023 is not a leap year
        "Mon, 29 Feb 2100 00:00:00 GMT",   // nor is 2100
        "Sun, 00 Nov 1994 08:49:37 GMT",   // no day 0
        "Sun, 06 Nov 1994 08:49:37 GMTx",  // trailing bytes
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",  // a list
        "Sun, 06-Nov-94 08:49:37 GMT",       // rfc850 needs the long day name
        "Sunday, 06 Nov 1994 08:49:37 GMT",  // and its own date syntax
        "Sunday, 06-Nov-1994 08:49:37 GMT",  // with two year digits
        "Sun Nov  6 08:49:37 1994 GMT",      // asctime has no zone
        "Sun Nov 6 08:49:37 1994",           // asctime pads the day with a space
        "Sun, 06 Nov 1994 08:49:37 +0000",   // RFC 5322 zones are not HTTP's
        "784111777",
    };
    for (const char* text : bad) {
        EXPECT_FALSE(parse_http_date(text, kNow2025)) << text;
    }
    // Longer than any date: not read at all.
    EXPECT_FALSE(
        parse_http_date(std::string(100, ' ') + "Sun, 06 Nov 1994 08:49:37 GMT", kNow2025));
}

TEST(HttpDate, ValidEdgeDates) {
    EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT", kNow2025), 1709164800);
    EXPECT_EQ(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT", kNow2025), 951782400);
    EXPECT_EQ(parse_http_date("Wed, 31 Dec 1969 00:00:00 GMT", kNow2025), -86400);
    EXPECT_EQ(parse_http_date("Mon, 01 Jan 0001 00:00:00 GMT", kNow2025), -62135596800);
    EXPECT_EQ(parse_http_date("Sat, 01 Jan 0000 00:00:00 GMT", kNow2025), kMinHttpDate);
    EXPECT_EQ(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT", kNow2025), kMaxHttpDate);
    // A leap second is the first second of the next minute in POSIX time.
    EXPECT_EQ(parse_http_date("Thu, 31 Dec 1998 23:59:60 GMT", kNow2025), 915148800);
    EXPECT_FALSE(parse_http_date("Fri, 31 Dec 9999 23:59:60 GMT", kNow2025));
}

TEST(HttpDate, Rfc850TwoDigitYearIsNotMoreThan50YearsAhead) {
    // Now is 2025-06-01: 1 Jan 2075 is less than 50 years ahead, 31 Dec 2075 more.
    EXPECT_EQ(parse_http_date("Tuesday, 01-Jan-75 00:00:00 GMT", kNow2025), 3313526400);
    EXPECT_EQ(parse_http_date("Wednesday, 31-Dec-75 00:00:00 GMT", kNow2025), 189216000);
    EXPECT_FALSE(parse_http_date("Tuesday, 31-Dec-75 00:00:00 GMT", kNow2025));  // 1975: Wed
    EXPECT_EQ(parse_http_date("Thursday, 15-Mar-74 00:00:00 GMT", kNow2025), 3288297600);
    EXPECT_EQ(parse_http_date("Monday, 15-Mar-76 00:00:00 GMT", kNow2025), 195696000);
    // Near the end of a century the next one's years come into reach.
    const std::int64_t now2099 = 4083955200;  // 2099-06-01
    EXPECT_EQ(parse_http_date("Friday, 01-Jan-00 00:00:00 GMT", now2099), 4102444800);
    EXPECT_EQ(parse_http_date("Thursday, 31-Dec-99 00:00:00 GMT", now2099), 4102358400);
    // The other forms do not depend on now.
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", now2099), kExample);
}

TEST(HttpDate, CalendarAgreesWithStdChrono) {
    using namespace std::chrono;
    for (int y = -400; y <= 2800; y += 7) {
        for (unsigned m = 1; m <= 12; ++m) {
            for (unsigned d : {1u, 15u, 28u}) {
                const year_month_day ymd{year{y}, month{m}, day{d}};
                const std::int64_t expected = sys_days(ymd).time_since_epoch().count();
                ASSERT_EQ(days_from_civil(y, m, d), expected) << y << "-" << m << "-" << d;
                const CivilTime t = civil_from_unix(expected * 86400 + 3723);
                ASSERT_EQ(t.year, y);
                ASSERT_EQ(t.month, m);
                ASSERT_EQ(t.day, d);
                ASSERT_EQ(t.hour, 1u);
                ASSERT_EQ(t.minute, 2u);
                ASSERT_EQ(t.second, 3u);
                ASSERT_EQ(t.weekday, weekday(sys_days(ymd)).c_encoding());
            }
        }
    }
    // Every day of a leap-year cycle's edges: the last days of centuries and leap days.
    for (std::int64_t day = days_from_civil(1899, 12, 1); day < days_from_civil(2001, 3, 2);
         ++day) {
        const year_month_day ymd{sys_days(days(day))};
        const CivilTime t = civil_from_unix(day * 86400);
        ASSERT_EQ(t.year, static_cast<int>(ymd.year()));
        ASSERT_EQ(t.month, static_cast<unsigned>(ymd.month()));
        ASSERT_EQ(t.day, static_cast<unsigned>(ymd.day()));
    }
}

TEST(HttpDate, EveryFormattedDateParsesBack) {
    // A spread over the whole range, with odd steps so every weekday, month and time is hit.
    for (std::int64_t t = kMinHttpDate; t <= kMaxHttpDate - 104729LL * 86400;
         t += 104729LL * 86400 + 3607) {
        const std::string text = format_http_date(t);
        ASSERT_EQ(text.size(), kHttpDateLength);
        ASSERT_EQ(parse_http_date(text, kNow2025), t) << text;
    }
    EXPECT_EQ(parse_http_date(format_http_date(kMaxHttpDate), kNow2025), kMaxHttpDate);
    EXPECT_EQ(parse_http_date(format_http_date(kMinHttpDate), kNow2025), kMinHttpDate);
}

}  // namespace
}  // namespace l7::http
