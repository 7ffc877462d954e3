#pragma once
// The date-time of Date, Resent-Date and Received fields (RFC 5322 section 3.3):
//
//   Mon, 30 Nov 2026 16:15:21 +0000
//
// Writing is exact. Reading is lenient, as section 4.3's obsolete syntax asks of readers and
// stored mail needs: the day of the week may be missing (and is not checked against the date),
// a one-digit day, seconds left out, a two-digit year (00-49 is 2000-2049, 50-99 is 1950-1999)
// or three-digit one (+1900), an obsolete zone name (UT, GMT, EST/EDT, CST/CDT, MST/MDT,
// PST/PDT; military letters and unknown names mean -0000, an unknown offset), a missing zone
// (taken as UTC), comments anywhere ("+0200 (CEST)") and a zone name after the offset.
// Names of days and months are case-insensitive.
//
// Times are whole seconds since 1970-01-01T00:00:00Z without leap seconds; the calendar is
// computed here (proleptic Gregorian), never through the process's TZ or locale. A second of
// 60 (a leap second) is read as the first second of the next minute.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::mail {

// The instants a date-time can show: years 1900 (RFC 5322 3.3's lower bound) to 9999.
inline constexpr std::int64_t kMinMailDate = -2208988800;   // 1900-01-01T00:00:00Z
inline constexpr std::int64_t kMaxMailDate = 253402300799;  // 9999-12-31T23:59:59Z
// A zone is +hhmm/-hhmm: at most 99 hours 59 minutes.
inline constexpr int kMaxUtcOffsetMinutes = 99 * 60 + 59;
// Longer text is not a date, even with comments; parsing gives up before reading it.
inline constexpr std::size_t kMaxMailDateInput = 256;

struct MailDate {
    std::int64_t unix_seconds = 0;
    int utc_offset_minutes = 0;  // the zone the date was written in (east of UTC positive)

    friend bool operator==(const MailDate&, const MailDate&) = default;
};

enum class DateError {
    too_long,      // longer than kMaxMailDateInput
    malformed,     // not a date-time, even leniently read
    out_of_range,  // a day the month does not have, hour 24, minute 60, zone minutes 60 ...
};
std::string_view describe(DateError e);

// "Mon, 30 Nov 2026 16:15:21 +0000": `unix_seconds` as seen in the zone `utc_offset_minutes`
// east of UTC. The offset is clamped to +-kMaxUtcOffsetMinutes and the local time to years
// 1900-9999.
std::string format_mail_date(std::int64_t unix_seconds, int utc_offset_minutes);

Result<MailDate, DateError> parse_mail_date(std::string_view text);

}  // namespace l7::mail
