#pragma once
// Hexadecimal digits, for the codecs that write a byte as two of them: percent-encoding,
// quoted-printable, RFC 2047's Q encoding, DNS presentation format.

#include <string_view>

namespace l7 {

inline constexpr std::string_view kUpperHexDigits = "0123456789ABCDEF";

// 0-15 for 0-9, A-F and a-f; -1 for any other character.
constexpr int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

}  // namespace l7
