#pragma once
// The grammar shared by request and response heads and chunked trailers (RFC 9110 section 5,
// RFC 9112 sections 2 and 5): lines, tokens, field lines. Strict where laxness lets two
// parsers disagree about where a message ends (request smuggling): no whitespace before the
// colon, no obs-fold, no bare CR, no control characters in values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/hex.hpp"
#include "http/fields.hpp"

namespace l7::http {

bool is_tchar(char c);
bool is_token(std::string_view s);

// Whether `s` holds an ASCII control character (below 0x20, or DEL; TAB included).
bool has_control_character(std::string_view s);

// Optional whitespace (SP, HTAB) off both ends (RFC 9110 section 5.6.3).
std::string_view trim_ows(std::string_view s);
std::string ascii_lowercase(std::string_view s);

// The next line of `input`: its text without CRLF (a lone LF also ends a line, RFC 9112
// section 2.2) and how many bytes it took with its ending.
struct Line {
    std::string_view text;
    std::size_t consumed = 0;
};
enum class LineError { none, incomplete, too_long, bare_cr };
LineError next_line(std::string_view input, std::size_t max_length, Line& line);

// Parses "name: value" into `field` (value trimmed of OWS). Returns the reason it is not a
// valid field line, or nullopt.
std::optional<std::string> parse_field_line(std::string_view line, Field& field);

// "HTTP/1.1" -> 1 and 1; the grammar is exact (RFC 9112 section 2.3: case-sensitive, one
// digit each).
bool parse_http_version(std::string_view text, int& major, int& minor);

// Content-Length (RFC 9110 section 8.6): every line and list element must be the same run of
// digits. Returns the length, or nullopt with `why` set when malformed or conflicting.
std::optional<std::uint64_t> content_length(const Fields& fields, std::string& why);

}  // namespace l7::http
