#pragma once
// Writing HTTP/1.1 heads and chunked bodies (RFC 9112 sections 3, 4 and 7). A field value
// never carries CR, LF or NUL onto the wire: they become spaces, so a value that came from
// outside (a file name, a redirect target) cannot split the head (response splitting).

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace l7::http {

// Status line (the standard reason phrase when `reason` is empty), fields, empty line.
std::string serialize(const Response& response);
// Request line, fields, empty line.
std::string serialize(const Request& request);

// The lines of a head as serialize() wrote it, without CRLF, up to the empty line (for
// --trace and -v).
std::vector<std::string_view> head_lines(std::string_view head);

// One chunk: size in hex, CRLF, the data, CRLF. Empty data writes nothing (it would end the
// body).
std::string chunk(std::string_view data);
// The last chunk, the trailer fields, and the empty line that ends the message.
std::string last_chunk(const Fields& trailers = {});

}  // namespace l7::http
