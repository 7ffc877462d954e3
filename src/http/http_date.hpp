#pragma once
// HTTP-date (RFC 9110 section 5.6.7): the timestamps of Date, Last-Modified, Expires,
// If-Modified-Since, If-Unmodified-Since and If-Range.
//
//   IMF-fixdate   Sun, 06 Nov 1994 08:49:37 GMT     what we send, and what senders must send
//   rfc850-date   Sunday, 06-Nov-94 08:49:37 GMT    obsolete, two-digit year
//   asctime-date  Sun Nov  6 08:49:37 1994          obsolete, C's asctime() without newline
//
// Times are whole seconds since 1970-01-01T00:00:00Z (POSIX time: no leap seconds). The civil
// calendar is computed here (proleptic Gregorian), never through gmtime/strftime/locale, so the
// result does not depend on the process's TZ or locale. Names of days and months are
// case-sensitive, as RFC 9110's grammar writes them (%s"Sun"), and so is "GMT".
//
// Sans-I/O: the rfc850 form needs the current time to place its two-digit year, so parsing
// takes `now` as an argument; nothing here reads a clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l7::http {

// The instants an IMF-fixdate can write: 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
inline constexpr std::int64_t kMinHttpDate = -62167219200;
inline constexpr std::int64_t kMaxHttpDate = 253402300799;
// An IMF-fixdate is always this long ("Sun, 06 Nov 1994 08:49:37 GMT").
inline constexpr std::size_t kHttpDateLength = 29;
// Longer input is not an HTTP-date (the longest form, rfc850 with "Wednesday", is 33 bytes);
// parsing gives up before looking at it.
inline constexpr std::size_t kMaxHttpDateInput = 64;

// IMF-fixdate of `unix_seconds`, clamped to [kMinHttpDate, kMaxHttpDate].
std::string format_http_date(std::int64_t unix_seconds);
// The same for a time point; sub-second parts are dropped (rounded towards the past), so a
// file modified at 10.7 s is written as 10 s, as Last-Modified must be (RFC 9110 8.8.2.1).
std::string format_http_date(std::chrono::system_clock::time_point t);

// Parses any of the three forms, with optional spaces or tabs around it (a field value's OWS).
// Returns the seconds since the epoch, or nullopt when `text` is not a valid HTTP-date: wrong
// syntax, a day that the month does not have (31 Apr, 29 Feb 2023), an hour, minute or second
// out of range, or a day name that does not match the date (RFC 5322 section 3.3, which
// IMF-fixdate comes from). A second of 60 (a leap second, RFC 5322 3.3) is read as the first
// second of the next minute, since POSIX time has no place for it.
//
// `now_unix_seconds` places an rfc850-date's two-digit year: the year with those last two
// digits that is not more than 50 years after now (RFC 9110 5.6.7). The other forms ignore it.
std::optional<std::int64_t> parse_http_date(std::string_view text, std::int64_t now_unix_seconds);
// The time-point form clamps dates beyond the clock's range (years 1677 to 2262 with
// libstdc++'s nanosecond system_clock) to its ends.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text, std::chrono::system_clock::time_point now);

// Calendar arithmetic, exposed for tests and for other date formats of the module.
// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31, not checked).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

struct CivilTime {
    std::int64_t year = 1970;
    unsigned month = 1;    // 1-12
    unsigned day = 1;      // 1-31
    unsigned hour = 0;     // 0-23
    unsigned minute = 0;   // 0-59
    unsigned second = 0;   // 0-59
    unsigned weekday = 4;  // 0 = Sunday ... 6 = Saturday

    friend bool operator==(const CivilTime&, const CivilTime&) = default;
};

// The UTC calendar date and time of `unix_seconds` (any int64 whose year fits in int64).
CivilTime civil_from_unix(std::int64_t unix_seconds);

}  // namespace l7::http
