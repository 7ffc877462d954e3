#pragma once
// Content codings a client accepts (RFC 9110 section 12.5.3, Accept-Encoding).

#include <optional>
#include <string_view>

namespace l7::http {

// Whether `accept_encoding` (the field's value, nullopt when absent) allows gzip: "gzip" or
// "x-gzip" or "*" with a q-value above 0, unless gzip itself is listed with q=0.
bool accepts_gzip(std::optional<std::string_view> accept_encoding);

}  // namespace l7::http
