#pragma once
// HTML form submissions, from a whole request body:
//
//   application/x-www-form-urlencoded  name=value&name2=a+b%21   (WHATWG URL standard,
//                                      section 5.1 "application/x-www-form-urlencoded parsing")
//   multipart/form-data                parts separated by a boundary, each with a
//                                      Content-Disposition naming the field (RFC 7578, whose
//                                      framing is RFC 2046 section 5.1.1's)
//
// Every size is bounded by the limits below, and an error says which status to answer with:
// 400 for a malformed body, 413 (Content Too Large) when a limit is exceeded, 415 when the
// Content-Type is not the one expected. Streaming is not supported: the driver collects the
// body (bounded by its own Content-Length limit) and calls these once.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/fields.hpp"

namespace l7::http {

struct FormError {
    int status = 400;     // 400, 413 or 415
    std::string message;  // one sentence, for logs and the error body
};

struct FormField {
    std::string name;
    std::string value;

    friend bool operator==(const FormField&, const FormField&) = default;
};

struct UrlencodedLimits {
    std::size_t max_body_bytes = 1024 * 1024;
    std::size_t max_pairs = 1000;
    std::size_t max_name_bytes = 1024;  // as sent, before decoding
    std::size_t max_value_bytes = 64 * 1024;
};

// Splits at '&' (empty pieces skipped), then at the first '=' (a piece without one is a name
// with an empty value), turns '+' into ' ' and decodes "%XX". As the WHATWG standard does, a
// '%' that does not start "%XX" is kept as it is, and decoded bytes are not checked (a value
// may hold any byte, NUL included). Fails with 413 beyond the limits.
Result<std::vector<FormField>, FormError> parse_urlencoded(std::string_view body,
                                                           const UrlencodedLimits& limits = {});

struct MultipartLimits {
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::size_t max_parts = 128;
    std::size_t max_part_headers = 16;         // header lines per part
    std::size_t max_part_header_bytes = 8192;  // the header block of one part
};

struct FormPart {
    std::string name;                     // Content-Disposition's name, as sent
    std::optional<std::string> filename;  // its filename, as sent: never a safe path as is
    std::string content_type;             // "text/plain" when the part has none (RFC 7578 4.4)
    std::string_view body;                // the part's bytes, a view into the parsed body
    Fields headers;                       // every header line of the part
};

// The boundary parameter of a Content-Type value "multipart/form-data; boundary=...": media
// type and parameter syntax of RFC 9110 8.3.1 and 5.6.6 (names case-insensitive, values a
// token or a quoted-string with quoted-pairs), the boundary itself 1 to 70 characters of
// RFC 2046's bchars, not ending in a space. Fails with 415 for another media type and 400
// for a missing, repeated or invalid boundary.
Result<std::string, FormError> multipart_boundary(std::string_view content_type);

// The parts of a multipart/form-data body (RFC 7578 section 4, RFC 2046 5.1.1): the preamble
// before the first boundary and the epilogue after the closing one are ignored; each part
// needs a Content-Disposition of type form-data with a name (4.2); "filename" is kept,
// "filename*" is ignored (4.2 forbids senders to use it). The body must end with the closing
// delimiter ("--boundary--"); a truncated body is an error. FormPart::body views point into
// `body`, which must outlive them.
Result<std::vector<FormPart>, FormError> parse_multipart(std::string_view body,
                                                         std::string_view boundary,
                                                         const MultipartLimits& limits = {});

}  // namespace l7::http
