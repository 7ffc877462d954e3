#pragma once
// The fields every response needs, decided from the request it answers (RFC 9110 sections 6.6
// and 15, RFC 9112 sections 6 and 9): Date and Server; how the body is framed (Content-Length
// when known; chunked for an HTTP/1.1 client when not; until close for HTTP/1.0); whether
// there is a body at all (none for HEAD, 1xx, 204 and 304); and whether the connection stays
// open afterwards, which the response then says in Connection.

#include <cstdint>
#include <optional>
#include <string_view>

#include "http/message.hpp"

namespace l7::http {

struct ResponsePlan {
    bool send_body = true;   // false: write the head only
    bool chunked = false;    // frame the body with chunks
    bool keep_alive = true;  // the connection stays open after this response
};

struct ResponseContext {
    std::string_view method;  // of the request answered ("GET", "HEAD", ...)
    Version version = Version::http11;
    bool request_keep_alive = true;  // what the request's framing and Connection allow
    std::string_view date;           // IMF-fixdate of now (RFC 9110 section 6.6.1)
    std::string_view server;         // the Server field, or empty for none
};

// Completes `response` (Date, Server, Content-Length or Transfer-Encoding, Connection) for a
// body of `body_length` bytes (nullopt: not known in advance) and says how to send it. A
// response that sets "Connection: close" itself closes the connection.
ResponsePlan finish_response(Response& response, const ResponseContext& context,
                             std::optional<std::uint64_t> body_length);

}  // namespace l7::http
