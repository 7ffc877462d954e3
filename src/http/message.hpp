#pragma once
// HTTP/1.x messages as the codec reads and writes them (RFC 9112): a request or a response
// head, and what frames its body.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/fields.hpp"

namespace l7::http {

enum class Version { http10, http11 };

std::string_view version_text(Version v);  // "HTTP/1.1"

struct Request {
    std::string method;  // case-sensitive token (RFC 9110 section 9.1)
    std::string target;  // the request-target as sent
    Version version = Version::http11;
    Fields fields;
};

struct Response {
    int status = 200;
    std::string reason;  // empty: the standard phrase
    Version version = Version::http11;
    Fields fields;
};

// How a message's body is delimited (RFC 9112 section 6.3).
enum class Framing {
    none,     // no body
    length,   // Content-Length bytes
    chunked,  // Transfer-Encoding: chunked
    close,    // until the connection closes (responses only)
};

struct Body {
    Framing framing = Framing::none;
    std::uint64_t length = 0;  // for Framing::length
};

// The standard reason phrase of a status code (RFC 9110 section 15), or "Unknown".
std::string_view reason_phrase(int status);

// The methods RFC 9110 (and RFC 5789's PATCH) define; others get 501 from a server.
bool is_known_method(std::string_view method);

// Whether the connection stays open after this message (RFC 9112 section 9.3): HTTP/1.1
// unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
bool wants_keep_alive(Version version, const Fields& fields);

}  // namespace l7::http
