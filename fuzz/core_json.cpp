// l7::json::quote on arbitrary bytes. The output must be one JSON string (RFC 8259): quoted,
// no raw control byte, valid UTF-8 (no overlong forms, no surrogates), only the escapes JSON
// defines. Decoding it gives back the input when the input was valid UTF-8.

#include <optional>
#include <string>

#include "core/json.hpp"
#include "fuzz_check.hpp"

namespace {

// Length of the valid UTF-8 sequence at s[i] (1 for ASCII), or 0; written independently of
// src/core/json.cpp on purpose.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        return 1;
    }
    std::size_t n = 0;
    if ((b0 & 0xE0u) == 0xC0u) {
        n = 2;
    } else if ((b0 & 0xF0u) == 0xE0u) {
        n = 3;
    } else if ((b0 & 0xF8u) == 0xF0u) {
        n = 4;
    } else {
        return 0;
    }
    if (s.size() - i < n) {
        return 0;
    }
    std::uint32_t cp = b0 & (0x7Fu >> n);
    for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0u) != 0x80u) {
            return 0;
        }
        cp = (cp << 6) | (b & 0x3Fu);
    }
    static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_length(s, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Decodes one JSON string literal; nothing if it is not a well-formed one. quote() never
// writes surrogate escapes, so \uD800-\uDFFF is treated as malformed.
std::optional<std::string> decode(std::string_view json) {
    if (json.size() < 2 || json.front() != '"' || json.back() != '"') {
        return std::nullopt;
    }
    json = json.substr(1, json.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (c == '"') {
            return std::nullopt;  // an unescaped quote ends the string early
        }
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i == json.size()) {
            return std::nullopt;
        }
        switch (json[i]) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                if (json.size() - i < 5) {
                    return std::nullopt;
                }
                std::uint32_t cp = 0;
                for (std::size_t k = 1; k <= 4; ++k) {
                    const int v = hex_value(json[i + k]);
                    if (v < 0) {
                        return std::nullopt;
                    }
                    cp = cp * 16 + static_cast<std::uint32_t>(v);
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    return std::nullopt;
                }
                append_utf8(out, cp);
                i += 4;
                break;
            }
            default:
                return std::nullopt;
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    const std::string quoted = l7::json::quote(text);

    for (char c : quoted) {
        const auto b = static_cast<unsigned char>(c);
        L7_FUZZ_CHECK(b >= 0x20 && b != 0x7F);
    }
    L7_FUZZ_CHECK(valid_utf8(quoted));
    const auto decoded = decode(quoted);
    L7_FUZZ_CHECK(decoded.has_value());
    if (valid_utf8(text)) {
        L7_FUZZ_CHECK(*decoded == text);
    }

    // append_string appends: what was there before stays.
    std::string out = "prefix";
    l7::json::append_string(out, text);
    L7_FUZZ_CHECK(out == "prefix" + quoted);
    return 0;
}
