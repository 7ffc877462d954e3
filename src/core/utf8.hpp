#pragma once
// Reading UTF-8 (RFC 3629), for the codecs that must tell valid text from stray bytes: mail
// headers and encoded words, IMAP quoted strings, queue files.

#include <cstddef>
#include <string_view>

namespace l7 {

// The length of the well-formed UTF-8 sequence at s[i]: 1 for ASCII, 2 to 4 for the rest,
// 0 when none starts there (RFC 3629 section 4's table: no overlong forms, no surrogates,
// nothing past U+10FFFF, no sequence cut short by the end of `s`). `i` must be < s.size().
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i = 0) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = at(i);
    if (b < 0x80) {
        return 1;
    }
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        lo = b == 0xE0 ? 0xA0 : 0x80;
        hi = b == 0xED ? 0x9F : 0xBF;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        lo = b == 0xF0 ? 0x90 : 0x80;
        hi = b == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + n > s.size() || at(i + 1) < lo || at(i + 1) > hi) {
        return 0;
    }
    for (std::size_t k = 2; k < n; ++k) {
        if ((at(i + k) & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

}  // namespace l7
