#pragma once
// The little JSON that logs and traces need: string escaping (RFC 8259 section 7).

#include <string>
#include <string_view>

namespace l7::json {

// Appends `text` as a quoted JSON string. Bytes that are not valid UTF-8 are written as
// \u00XX of the byte, so the output is always valid JSON whatever the peer sent.
void append_string(std::string& out, std::string_view text);

std::string quote(std::string_view text);

}  // namespace l7::json
