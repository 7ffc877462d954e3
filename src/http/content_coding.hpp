#pragma once
// Content codings: which a client accepts (RFC 9110 section 12.5.3, Accept-Encoding), and
// which bodies are worth coding.

#include <optional>
#include <string_view>

namespace l7::http {

// Whether `accept_encoding` (the field's value, nullopt when absent) allows gzip: "gzip" or
// "x-gzip" or "*" with a q-value above 0, unless gzip itself is listed with q=0.
bool accepts_gzip(std::optional<std::string_view> accept_encoding);

// Whether a body of this Content-Type is worth compressing: text, and the textual formats of
// the web (JavaScript, JSON, XML, SVG, WebAssembly). Images, audio, video and archives are
// compressed already; gzip would only cost CPU time.
bool is_compressible(std::string_view content_type);

}  // namespace l7::http
