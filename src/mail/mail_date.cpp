#include "mail/mail_date.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "mail/cfws.hpp"
#include "mail/header.hpp"

namespace l7::mail {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// Comments nest (RFC 5322 3.2.2); deeper nesting than this in a date is an attack.
constexpr int kMaxDateCommentDepth = 16;

// Days since 1970-01-01 of a proleptic Gregorian date, counting in 400-year eras of 146097
// days that start on 1 March, so that the leap day is the last day of its year.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct Civil {
    std::int64_t year = 1970;
    unsigned month = 1, day = 1;
};

Civil civil_from_days(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto day_of_era = static_cast<unsigned>(days - era * 146097);
    const unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const unsigned day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned mp = (5 * day_of_year + 2) / 153;
    Civil c;
    c.day = day_of_year - (153 * mp + 2) / 5 + 1;
    c.month = mp < 10 ? mp + 3 : mp - 9;
    c.year = static_cast<std::int64_t>(year_of_era) + era * 400 + (c.month <= 2 ? 1 : 0);
    return c;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
    static constexpr std::array<unsigned, 12> kLengths = {31, 28, 31, 30, 31, 30,
                                                          31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kLengths[month - 1];
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0);
}

void append_two_digits(std::string& out, unsigned v) {
    out += static_cast<char>('0' + v / 10 % 10);
    out += static_cast<char>('0' + v % 10);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Reads the date-time left to right, skipping CFWS between its parts.
class DateReader {
  public:
    explicit DateReader(std::string_view text) : text_(text) {}

    // Whitespace, line breaks (folding) and comments; false for an unterminated or too
    // deeply nested comment.
    bool skip_cfws() {
        return mail::skip_cfws(text_, pos_, kMaxDateCommentDepth) == CfwsStatus::ok;
    }

    bool at_end() const { return pos_ == text_.size(); }
    bool take(char c) {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    std::string_view digits() { return run(is_digit); }
    std::string_view letters() { return run(is_alpha); }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  private:
    template <class Pred>
    std::string_view run(Pred pred) {
        const std::size_t begin = pos_;
        while (pos_ < text_.size() && pred(text_[pos_])) {
            ++pos_;
        }
        return text_.substr(begin, pos_ - begin);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

unsigned to_number(std::string_view digits) {
    unsigned v = 0;
    for (char c : digits) {
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

// 1-12 for a month name (its first three letters, any case), or nullopt.
std::optional<unsigned> month_of(std::string_view name) {
    if (name.size() < 3) {
        return std::nullopt;
    }
    for (unsigned m = 0; m < kMonths.size(); ++m) {
        if (iequals(name.substr(0, 3), kMonths[m])) {
            return m + 1;
        }
    }
    return std::nullopt;
}

bool is_day_name(std::string_view name) {
    return name.size() >= 3 && std::any_of(kDays.begin(), kDays.end(), [&](std::string_view d) {
               return iequals(name.substr(0, 3), d);
           });
}

// RFC 5322 4.3 obs-zone: the American zones; anything else alphabetic (military letters,
// which were defined with the wrong sign, and names we do not know) is -0000, no offset known.
int obsolete_zone_minutes(std::string_view name) {
    struct Zone {
        std::string_view name;
        int hours;
    };
    static constexpr std::array<Zone, 10> kZones = {{{"UT", 0},
                                                     {"GMT", 0},
                                                     {"EST", -5},
                                                     {"EDT", -4},
                                                     {"CST", -6},
                                                     {"CDT", -5},
                                                     {"MST", -7},
                                                     {"MDT", -6},
                                                     {"PST", -8},
                                                     {"PDT", -7}}};
    for (const Zone& z : kZones) {
        if (iequals(name, z.name)) {
            return z.hours * 60;
        }
    }
    return 0;
}

}  // namespace

std::string_view describe(DateError e) {
    switch (e) {
        case DateError::too_long:
            return "date too long";
        case DateError::malformed:
            return "not a date-time";
        case DateError::out_of_range:
            return "date-time out of range";
    }
    return "bad date";
}

std::string format_mail_date(std::int64_t unix_seconds, int utc_offset_minutes) {
    const int offset = std::clamp(utc_offset_minutes, -kMaxUtcOffsetMinutes, kMaxUtcOffsetMinutes);
    std::int64_t local = unix_seconds;
    // Saturating, so that the extremes of int64 clamp instead of overflowing.
    if (local > kMaxMailDate + 7 * 86400) {
        local = kMaxMailDate + 7 * 86400;
    } else if (local < kMinMailDate - 7 * 86400) {
        local = kMinMailDate - 7 * 86400;
    }
    local = std::clamp(local + std::int64_t{offset} * 60, kMinMailDate, kMaxMailDate);
    const std::int64_t days = floor_div(local, 86400);
    const auto seconds_of_day = static_cast<unsigned>(local - days * 86400);
    const Civil c = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    const auto weekday = static_cast<std::size_t>(((days % 7) + 11) % 7);

    std::string out;
    out.reserve(31);
    out += kDays[weekday];
    out += ", ";
    append_two_digits(out, c.day);
    out += ' ';
    out += kMonths[c.month - 1];
    out += ' ';
    append_two_digits(out, static_cast<unsigned>(c.year / 100));
    append_two_digits(out, static_cast<unsigned>(c.year % 100));
    out += ' ';
    append_two_digits(out, seconds_of_day / 3600);
    out += ':';
    append_two_digits(out, seconds_of_day / 60 % 60);
    out += ':';
    append_two_digits(out, seconds_of_day % 60);
    out += offset < 0 ? " -" : " +";
    const auto magnitude = static_cast<unsigned>(offset < 0 ? -offset : offset);
    append_two_digits(out, magnitude / 60);
    append_two_digits(out, magnitude % 60);
    return out;
}

Result<MailDate, DateError> parse_mail_date(std::string_view text) {
    if (text.size() > kMaxMailDateInput) {
        return DateError::too_long;
    }
    DateReader r(text);
    if (!r.skip_cfws()) {
        return DateError::malformed;
    }
    // [ day-of-week "," ]: the comma is optional too in what is found in the wild.
    if (is_alpha(r.peek())) {
        if (!is_day_name(r.letters()) || !r.skip_cfws()) {
            return DateError::malformed;
        }
        r.take(',');
        if (!r.skip_cfws()) {
            return DateError::malformed;
        }
    }
    const std::string_view day = r.digits();
    if (day.empty() || day.size() > 2 || !r.skip_cfws()) {
        return DateError::malformed;
    }
    const auto month = month_of(r.letters());
    if (!month || !r.skip_cfws()) {
        return DateError::malformed;
    }
    const std::string_view year_digits = r.digits();
    if (year_digits.size() < 2 || !r.skip_cfws()) {
        return DateError::malformed;
    }
    if (year_digits.size() > 4) {
        return DateError::out_of_range;
    }
    std::int64_t year = to_number(year_digits);
    if (year_digits.size() == 2) {
        year += year < 50 ? 2000 : 1900;  // RFC 5322 4.3
    } else if (year_digits.size() == 3) {
        year += 1900;
    }
    // time-of-day = hour ":" minute [ ":" second ], one digit tolerated for each.
    unsigned hms[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i) {
        if (i > 0) {
            if (!r.skip_cfws()) {
                return DateError::malformed;
            }
            if (!r.take(':')) {
                if (i == 2) {
                    break;  // seconds are optional
                }
                return DateError::malformed;
            }
            if (!r.skip_cfws()) {
                return DateError::malformed;
            }
        }
        const std::string_view part = r.digits();
        if (part.empty() || part.size() > 2) {
            return DateError::malformed;
        }
        hms[i] = to_number(part);
    }
    if (!r.skip_cfws()) {
        return DateError::malformed;
    }
    int offset = 0;
    if (r.peek() == '+' || r.peek() == '-') {
        const bool negative = r.take('-');
        if (!negative) {
            r.take('+');
        }
        const std::string_view zone = r.digits();
        if (zone.size() != 4) {
            return DateError::malformed;
        }
        const unsigned hours = to_number(zone.substr(0, 2));
        const unsigned minutes = to_number(zone.substr(2));
        if (minutes > 59) {
            return DateError::out_of_range;
        }
        offset = static_cast<int>(hours * 60 + minutes) * (negative ? -1 : 1);
        if (!r.skip_cfws()) {
            return DateError::malformed;
        }
        // "+0200 CEST": a zone name after the offset, which says nothing more.
        r.letters();
    } else if (is_alpha(r.peek())) {
        offset = obsolete_zone_minutes(r.letters());
    }
    if (!r.skip_cfws() || !r.at_end()) {
        return DateError::malformed;
    }
    const unsigned d = to_number(day);
    if (year < 1900 || d < 1 || d > days_in_month(year, *month) || hms[0] > 23 || hms[1] > 59 ||
        hms[2] > 60) {
        return DateError::out_of_range;
    }
    const std::int64_t local =
        days_from_civil(year, *month, d) * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    return MailDate{local - std::int64_t{offset} * 60, offset};
}

}  // namespace l7::mail
