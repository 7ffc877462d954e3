#pragma once
// From a request-target to a path the server can map onto its document root, safely
// (RFC 9112 section 3.2, RFC 3986 sections 2, 3.3 and 5.2.4).
//
//   origin-form     /docs/a%20b.txt?x=1          path "/docs/a b.txt", query "x=1"
//   absolute-form   http://example.com/docs/?x   the same, plus scheme and authority
//
// The steps, in this order (each one's reason next to it in target_path.cpp):
//   1. check every character (is_valid_target) and the length;
//   2. split off the query at the first '?' before decoding, so "%3F" stays part of the path;
//   3. percent-decode the path exactly once ("%252e" becomes "%2e", never "."), refusing a
//      decoded NUL and, by default, decoded '/' (%2F) and '\' (%5C), which would otherwise
//      create or hide separators after the request was checked;
//   4. remove dot segments on the decoded path, so "%2e%2e" is treated as the ".." it names
//      (RFC 3986 6.2.2.2 makes them equivalent); ".." at the root is dropped and reported;
//   5. report segments that start with '.' (".git", ".env", ".htpasswd") for the server to
//      refuse unless configured otherwise.
//
// The result never leaves the root: it starts with '/', has no "." or ".." segment, and no
// empty segment except a final one (a trailing '/'). Nothing here touches the file system:
// symlinks and the like are the driver's to check.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::http {

// Longer request-targets are refused (414 URI Too Long, RFC 9112 3); the HTTP/1.1 parser
// has its own limit, this one holds for any caller.
inline constexpr std::size_t kMaxTargetLength = 8192;

struct TargetOptions {
    // %2F in the path: refused by default, since "a%2Fb" would name "a/b" on disk although it
    // is one segment in the URI; allowing it decodes it to '/' (a separator for step 4 too).
    bool allow_encoded_slash = false;
    // %5C in the path: refused by default (a separator for some file systems and tools).
    bool allow_encoded_backslash = false;
};

enum class TargetForm {
    origin,    // "/path?query"
    absolute,  // "http://host/path?query"
};

enum class TargetError {
    empty,                 // no request-target at all
    too_long,              // longer than kMaxTargetLength: 414
    bad_character,         // a byte outside RFC 3986's URI characters, or '#'
    bad_percent_encoding,  // '%' not followed by two hex digits
    decoded_nul,           // %00
    encoded_slash,         // %2F, unless allowed
    encoded_backslash,     // %5C, unless allowed
    unsupported_form,      // authority-form (CONNECT), asterisk-form ("*"), a relative path
    unsupported_scheme,    // absolute-form with a scheme other than http or https
    bad_authority,         // absolute-form with userinfo, an empty host, or bad characters
};

// A short English description ("percent-encoded '/' (%2F) in the path"), for logs and 400
// bodies. Every error is a 400 Bad Request except too_long (414).
std::string_view describe(TargetError e);
int status_for(TargetError e);

struct TargetPath {
    TargetForm form = TargetForm::origin;
    std::string scheme;      // absolute-form: "http" or "https", lowercase; else empty
    std::string authority;   // absolute-form: host[:port] as written; else empty
    std::string path;        // decoded, dot segments removed; always starts with '/'
    std::string query;       // still percent-encoded, without the '?'
    bool has_query = false;  // a '?' was present (even with an empty query)
    // ".." segments tried to go above the root and were dropped ("/../etc/passwd" became
    // "/etc/passwd"). A server should answer 400 or 404, not serve the shortened path.
    bool climbed_above_root = false;
    // Some segment of `path` starts with '.' (".well-known", ".git"): refuse by default.
    bool has_dotfile_segment = false;
};

// Parses and normalises `target` (origin-form or absolute-form) as described above.
Result<TargetPath, TargetError> parse_target(std::string_view target,
                                             const TargetOptions& options = {});

// RFC 3986 section 5.2.4's remove_dot_segments on `path`, as written (no decoding). Sets
// `climbed` when a ".." had no segment left to remove. Exposed for tests and for clients
// that resolve references.
std::string remove_dot_segments(std::string_view path, bool* climbed = nullptr);

// Character classes of RFC 3986 section 2 and 3.3.
bool is_unreserved(char c);  // ALPHA / DIGIT / "-" / "." / "_" / "~"
bool is_sub_delim(char c);   // "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
bool is_pchar(char c);       // unreserved / sub-delims / ":" / "@" (pct-encoded apart)

// Whether every byte of `target` may appear in an origin-form or absolute-form
// request-target: pchar, "/", "?", the "[" "]" of an IP-literal authority, and '%' only as
// the start of "%" HEXDIG HEXDIG. No control bytes, spaces, '#', '\' or bytes above 0x7E.
bool is_valid_target(std::string_view target);

// Which bytes percent_encode leaves alone.
enum class EncodeSet {
    component,  // only unreserved: for a query value or one path segment
    path,       // unreserved and '/': for a path whose '/' are separators. ':' is encoded, so
                // a relative link "a:b" cannot be read as a scheme.
};

// Percent-encodes every other byte as "%XX" with uppercase hex (RFC 3986 2.1).
std::string percent_encode(std::string_view s, EncodeSet set = EncodeSet::component);

// Decodes "%XX" sequences once; with `plus_as_space`, '+' becomes ' ' (form encoding). An
// invalid sequence ('%' without two hex digits) fails with bad_percent_encoding. Decoded
// bytes are not checked: NUL and '/' are the caller's to judge.
Result<std::string, TargetError> percent_decode(std::string_view s, bool plus_as_space = false);

}  // namespace l7::http
