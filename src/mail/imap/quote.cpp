#include "mail/imap/quote.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

namespace l7::mail::imap {
namespace {

// The local times format_date_time() can show: 1900-01-01T00:00:00 to 9999-12-31T23:59:59.
constexpr std::int64_t kMinLocalSeconds = -2208988800;
constexpr std::int64_t kMaxLocalSeconds = 253402300799;
constexpr int kMaxZoneMinutes = 99 * 60 + 59;
constexpr std::int64_t kSecondsPerDay = 86400;

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_digits(std::string& out, unsigned value, int width) {
    std::string digits = std::to_string(value);
    if (digits.size() < static_cast<std::size_t>(width)) {
        out.append(static_cast<std::size_t>(width) - digits.size(), '0');
    }
    out += digits;
}

}  // namespace

bool is_atom_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x1F || u >= 0x7F) {
        return false;  // CTL, and not a CHAR
    }
    return std::string_view("(){ %*\"\\]").find(c) == std::string_view::npos;
}

bool is_atom(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_atom_char);
}

bool is_astring_atom(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c == ']' || is_atom_char(c); });
}

bool can_quote(std::string_view s) {
    return s.size() <= kMaxQuotedLength && std::all_of(s.begin(), s.end(), [](char c) {
               const auto u = static_cast<unsigned char>(c);
               return u >= 0x01 && u <= 0x7F && c != '\r' && c != '\n';
           });
}

void append_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
}

void append_literal(std::string& out, std::string_view s) {
    out += '{';
    out += std::to_string(s.size());
    out += "}\r\n";
    out += s;
}

void append_string(std::string& out, std::string_view s) {
    if (can_quote(s)) {
        append_quoted(out, s);
    } else {
        append_literal(out, s);
    }
}

void append_nstring(std::string& out, std::optional<std::string_view> s) {
    if (s) {
        append_string(out, *s);
    } else {
        out += "NIL";
    }
}

void append_astring(std::string& out, std::string_view s) {
    const bool nil = s.size() == 3 && (s[0] == 'N' || s[0] == 'n') &&
                     (s[1] == 'I' || s[1] == 'i') && (s[2] == 'L' || s[2] == 'l');
    if (is_astring_atom(s) && !nil) {
        out += s;
    } else {
        append_string(out, s);
    }
}

bool is_flag(std::string_view flag) {
    if (!flag.empty() && flag.front() == '\\') {
        flag.remove_prefix(1);
    }
    return is_atom(flag);
}

void append_flag_list(std::string& out, std::span<const Flag> flags) {
    out += '(';
    bool first = true;
    for (const Flag& f : flags) {
        if (!is_flag(f)) {
            continue;
        }
        if (!first) {
            out += ' ';
        }
        out += f;
        first = false;
    }
    out += ')';
}

std::string format_date_time(const ImapDateTime& t) {
    const int zone = std::clamp(t.zone_minutes, -kMaxZoneMinutes, kMaxZoneMinutes);
    // Clamp the instant before adding the zone, so that extreme values cannot overflow.
    const std::int64_t instant = std::clamp(t.unix_seconds, kMinLocalSeconds - kMaxZoneMinutes * 60,
                                            kMaxLocalSeconds + kMaxZoneMinutes * 60);
    const std::int64_t local =
        std::clamp(instant + std::int64_t{zone} * 60, kMinLocalSeconds, kMaxLocalSeconds);
    std::int64_t days = local / kSecondsPerDay;
    std::int64_t seconds = local % kSecondsPerDay;
    if (seconds < 0) {
        seconds += kSecondsPerDay;
        --days;
    }
    const std::chrono::year_month_day ymd{
        std::chrono::sys_days{std::chrono::days{static_cast<int>(days)}}};
    std::string out;
    append_digits(out, static_cast<unsigned>(ymd.day()), 2);
    out += '-';
    out += kMonths[static_cast<unsigned>(ymd.month()) - 1];
    out += '-';
    append_digits(out, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
    out += ' ';
    append_digits(out, static_cast<unsigned>(seconds / 3600), 2);
    out += ':';
    append_digits(out, static_cast<unsigned>(seconds / 60 % 60), 2);
    out += ':';
    append_digits(out, static_cast<unsigned>(seconds % 60), 2);
    out += ' ';
    out += zone < 0 ? '-' : '+';
    const auto abs_zone = static_cast<unsigned>(zone < 0 ? -zone : zone);
    append_digits(out, abs_zone / 60, 2);
    append_digits(out, abs_zone % 60, 2);
    return out;
}

}  // namespace l7::mail::imap
