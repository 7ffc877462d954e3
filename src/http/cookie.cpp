#include "http/cookie.hpp"

#include <array>
#include <limits>

#include "http/fields.hpp"
#include "http/head_syntax.hpp"
#include "http/http_date.hpp"

namespace l7::http {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// RFC 6265bis 5.6 step 3: a CTL other than HTAB makes the whole cookie invalid. HTAB too,
// here: the Netscape cookie file that jars are saved in separates its fields with tabs.
// RFC 6265 5.1.1 delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E
bool is_date_delimiter(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x09 || (u >= 0x20 && u <= 0x2f) || (u >= 0x3b && u <= 0x40) ||
           (u >= 0x5b && u <= 0x60) || (u >= 0x7b && u <= 0x7e);
}

// 1*max_digits DIGIT at the start of `token`, followed by the end or a non-digit (the
// "( non-digit *OCTET )" tail of the 5.1.1 productions). Advances `pos` past the digits.
std::optional<unsigned> leading_number(std::string_view token, std::size_t& pos,
                                       std::size_t min_digits, std::size_t max_digits) {
    std::size_t n = 0;
    unsigned value = 0;
    while (pos + n < token.size() && is_digit(token[pos + n])) {
        if (n == max_digits) {
            return std::nullopt;  // one digit too many
        }
        value = value * 10 + static_cast<unsigned>(token[pos + n] - '0');
        ++n;
    }
    if (n < min_digits) {
        return std::nullopt;
    }
    pos += n;
    return value;
}

struct TimeOfDay {
    unsigned hour = 0, minute = 0, second = 0;
};

// time = hms-time ( non-digit *OCTET ); hms-time = time-field ":" time-field ":" time-field
std::optional<TimeOfDay> match_time(std::string_view token) {
    std::size_t pos = 0;
    std::array<unsigned, 3> parts{};
    for (std::size_t i = 0; i < 3; ++i) {
        if (i > 0) {
            if (pos >= token.size() || token[pos] != ':') {
                return std::nullopt;
            }
            ++pos;
        }
        auto v = leading_number(token, pos, 1, 2);
        if (!v) {
            return std::nullopt;
        }
        parts[i] = *v;
    }
    return TimeOfDay{parts[0], parts[1], parts[2]};
}

std::optional<unsigned> match_number(std::string_view token, std::size_t min_digits,
                                     std::size_t max_digits) {
    std::size_t pos = 0;
    return leading_number(token, pos, min_digits, max_digits);
}

// month = ( "jan" / ... / "dec" ) *OCTET, case-insensitive.
std::optional<unsigned> match_month(std::string_view token) {
    static constexpr std::array<std::string_view, 12> kMonths = {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
    if (token.size() < 3) {
        return std::nullopt;
    }
    for (unsigned m = 0; m < kMonths.size(); ++m) {
        if (iequals(token.substr(0, 3), kMonths[m])) {
            return m + 1;
        }
    }
    return std::nullopt;
}

// Max-Age (5.2.2): an optional '-' then digits only; saturates instead of overflowing.
std::optional<std::int64_t> parse_max_age(std::string_view v) {
    if (v.empty() || !(is_digit(v[0]) || v[0] == '-')) {
        return std::nullopt;
    }
    const bool negative = v[0] == '-';
    std::string_view digits = negative ? v.substr(1) : v;
    if (digits.empty()) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    for (char c : digits) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        const int d = c - '0';
        value = value > (kMax - d) / 10 ? kMax : value * 10 + d;
    }
    return negative ? -value : value;
}

void apply_attribute(SetCookie& cookie, std::string_view name, std::string_view value) {
    if (value.size() > kMaxCookieAttributeValue) {
        return;  // RFC 6265bis 5.6 step 7
    }
    if (iequals(name, "Expires")) {
        if (auto t = parse_cookie_date(value)) {
            cookie.expires = *t;
        }
    } else if (iequals(name, "Max-Age")) {
        if (auto s = parse_max_age(value)) {
            cookie.max_age = *s;
        }
    } else if (iequals(name, "Domain")) {
        if (value.empty()) {
            return;  // 5.2.3: undefined; the SHOULD is to ignore the attribute
        }
        if (value.front() == '.') {
            value.remove_prefix(1);
        }
        cookie.domain = ascii_lowercase(value);
    } else if (iequals(name, "Path")) {
        // 5.2.4: otherwise the default-path, which only the jar knows (the request's URI).
        cookie.path = !value.empty() && value.front() == '/' ? std::string(value) : std::string();
    } else if (iequals(name, "Secure")) {
        cookie.secure = true;
    } else if (iequals(name, "HttpOnly")) {
        cookie.http_only = true;
    } else if (iequals(name, "SameSite")) {
        // RFC 6265bis 5.6.7: other values mean the default enforcement, which we write as "".
        cookie.same_site = iequals(value, "Strict") ? "Strict"
                           : iequals(value, "Lax")  ? "Lax"
                           : iequals(value, "None") ? "None"
                                                    : "";
    }
}

}  // namespace

bool is_valid_cookie_pair(std::string_view name, std::string_view value) {
    return !name.empty() && name.size() + value.size() <= kMaxCookieNameValue &&
           !has_control_character(name) && !has_control_character(value);
}

std::optional<std::int64_t> parse_cookie_date(std::string_view text) {
    if (text.size() > kMaxCookieAttributeValue) {
        return std::nullopt;
    }
    std::optional<TimeOfDay> time;
    std::optional<unsigned> day, month, year;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_date_delimiter(text[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() && !is_date_delimiter(text[i])) {
            ++i;
        }
        const std::string_view token = text.substr(start, i - start);
        if (token.empty()) {
            continue;
        }
        // 5.1.1 step 2: each token fills the first of these that it matches and is still open.
        if (!time && (time = match_time(token))) {
            continue;
        }
        if (!day && (day = match_number(token, 1, 2))) {
            continue;
        }
        if (!month && (month = match_month(token))) {
            continue;
        }
        if (!year) {
            year = match_number(token, 2, 4);
        }
    }
    if (!time || !day || !month || !year) {
        return std::nullopt;
    }
    unsigned y = *year;
    if (y >= 70 && y <= 99) {
        y += 1900;  // steps 3 and 4: two-digit years
    } else if (y <= 69) {
        y += 2000;
    }
    if (*day < 1 || *day > 31 || y < 1601 || time->hour > 23 || time->minute > 59 ||
        time->second > 59) {
        return std::nullopt;
    }
    const std::int64_t days = days_from_civil(y, *month, *day);
    // Step 6: "if no such date exists" (31 Apr, 29 Feb 2023): the day would spill over.
    const CivilTime check = civil_from_unix(days * 86400);
    if (check.month != *month || check.day != *day) {
        return std::nullopt;
    }
    return days * 86400 + time->hour * 3600 + time->minute * 60 + time->second;
}

std::optional<SetCookie> parse_set_cookie(std::string_view field_value) {
    // 5.2 steps 1-6: the name-value pair is everything before the first ';'. RFC 6265's
    // "whitespace" to trim is WSP (SP, HTAB): what trim_ows() removes.
    const std::size_t semi = field_value.find(';');
    const std::string_view pair = field_value.substr(0, semi);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view name = trim_ows(pair.substr(0, eq));
    const std::string_view value = trim_ows(pair.substr(eq + 1));
    if (!is_valid_cookie_pair(name, value)) {
        return std::nullopt;
    }
    SetCookie cookie;
    cookie.name = name;
    cookie.value = value;
    std::string_view rest =
        semi == std::string_view::npos ? std::string_view() : field_value.substr(semi + 1);
    // 5.2, the unparsed-attributes loop: each ';'-separated cookie-av in turn.
    while (!rest.empty()) {
        const std::size_t next = rest.find(';');
        const std::string_view av = rest.substr(0, next);
        rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
        const std::size_t av_eq = av.find('=');
        const std::string_view av_name = trim_ows(av.substr(0, av_eq));
        const std::string_view av_value =
            av_eq == std::string_view::npos ? std::string_view() : trim_ows(av.substr(av_eq + 1));
        apply_attribute(cookie, av_name, av_value);
    }
    return cookie;
}

std::string format_set_cookie(const SetCookie& cookie) {
    std::string out = cookie.name + "=" + cookie.value;
    if (cookie.expires) {
        out += "; Expires=" + format_http_date(*cookie.expires);
    }
    if (cookie.max_age) {
        out += "; Max-Age=" + std::to_string(*cookie.max_age);
    }
    if (!cookie.domain.empty()) {
        out += "; Domain=" + cookie.domain;
    }
    if (!cookie.path.empty()) {
        out += "; Path=" + cookie.path;
    }
    if (cookie.secure) {
        out += "; Secure";
    }
    if (cookie.http_only) {
        out += "; HttpOnly";
    }
    if (!cookie.same_site.empty()) {
        out += "; SameSite=" + cookie.same_site;
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parse_cookie_header(std::string_view value) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::string_view rest = value.substr(0, kMaxCookieHeader);
    while (!rest.empty() && pairs.size() < kMaxCookiePairs) {
        const std::size_t semi = rest.find(';');
        const std::string_view piece = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        const std::size_t eq = piece.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const std::string_view name = trim_ows(piece.substr(0, eq));
        if (name.empty()) {
            continue;
        }
        pairs.emplace_back(std::string(name), std::string(trim_ows(piece.substr(eq + 1))));
    }
    return pairs;
}

}  // namespace l7::http
