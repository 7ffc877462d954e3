#pragma once
// HTTP cookies (RFC 6265), sans-I/O: reading a Set-Cookie field the way a user agent must
// (section 5.2, which is lenient: servers send much that the section 4.1 grammar forbids),
// writing one in the strict syntax servers should use (section 4.1.1), and reading the
// name=value pairs of a Cookie field (section 5.4's output, section 4.2.1's syntax).
//
// What happens to a parsed cookie (domain and path matching, expiry, which cookies go back in
// a request) is the cookie jar's business: http/cookie_jar.hpp.
//
// Bounds from RFC 6265bis (section 5.6): a name and value longer than 4096 bytes together,
// or any control character in them, and the cookie is ignored; an attribute value longer than
// 1024 bytes, and the attribute is ignored.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace l7::http {

inline constexpr std::size_t kMaxCookieNameValue = 4096;
inline constexpr std::size_t kMaxCookieAttributeValue = 1024;
// parse_cookie_header reads at most this many pairs, from at most this many bytes.
inline constexpr std::size_t kMaxCookiePairs = 256;
inline constexpr std::size_t kMaxCookieHeader = 65536;

struct SetCookie {
    std::string name, value;
    std::optional<std::int64_t> expires;  // Unix seconds (Expires, parsed with the RFC 6265
                                          // 5.1.1 cookie-date algorithm)
    std::optional<std::int64_t> max_age;  // seconds; may be <= 0
    std::string domain;                   // lowercased, leading '.' removed; empty: host-only
    std::string path;                     // empty when absent or not starting with '/'
    bool secure = false, http_only = false;
    std::string same_site;  // "Strict", "Lax", "None" or empty

    friend bool operator==(const SetCookie&, const SetCookie&) = default;
};

// RFC 6265 5.2: the cookie a Set-Cookie field value sets; nullopt: ignore the field (no '=' in
// the name-value pair, an empty name, a control character, or too long). Attributes are
// matched case-insensitively and the last of each kind wins; one whose value is malformed
// (an Expires that is no cookie-date, a Max-Age that is not an integer, an empty Domain) is
// ignored, as 5.2.1 to 5.2.3 say. A Max-Age beyond 64 bits is kept at the extreme.
std::optional<SetCookie> parse_set_cookie(std::string_view field_value);

// Whether a name and value may make a cookie: a non-empty name, kMaxCookieNameValue bytes
// at most together, and no control character (RFC 6265bis 5.6; nor HTAB, which separates
// the fields of a cookie file). parse_set_cookie applies it after trimming.
bool is_valid_cookie_pair(std::string_view name, std::string_view value);

// RFC 6265 4.1.1 syntax: "name=value; Expires=<IMF-fixdate>; Max-Age=N; Domain=d; Path=/p;
// Secure; HttpOnly; SameSite=Lax", each attribute only when set. Field values are written as
// given: the caller keeps them within the grammar (the serializer still blanks CR and LF).
std::string format_set_cookie(const SetCookie& cookie);

// The name=value pairs of a Cookie field value ("a=b; c=d"), in order, names and values
// trimmed of whitespace and kept otherwise as sent (quotes included). Lenient: the separator
// may be ';' with or without a space, and pieces without '=' or with an empty name are
// skipped. Bounded: the first kMaxCookieHeader bytes, the first kMaxCookiePairs pairs.
std::vector<std::pair<std::string, std::string>> parse_cookie_header(std::string_view value);

// RFC 6265 5.1.1: the cookie-date algorithm, which finds a time, a day of the month, a month
// and a year among the tokens of `text` in any order (so "Wed, 09 Jun 2021 10:18:14 GMT",
// "Wednesday, 09-Jun-21 10:18:14 GMT" and "Wed Jun  9 10:18:14 2021" all parse). Unix seconds,
// or nullopt when a part is missing or out of range, the year is before 1601, or the day does
// not exist in that month, or when `text` is longer than kMaxCookieAttributeValue.
std::optional<std::int64_t> parse_cookie_date(std::string_view text);

}  // namespace l7::http
