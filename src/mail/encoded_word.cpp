#include "mail/encoded_word.hpp"

#include <algorithm>
#include <array>

#include "core/base64.hpp"
#include "core/hex.hpp"
#include "core/utf8.hpp"
#include "mail/header.hpp"
#include "mail/transfer_encoding.hpp"

namespace l7::mail {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
// A run this long without whitespace cannot be folded into a 998-character line once a field
// name of up to 96 characters and ": " stand before it.
constexpr std::size_t kMaxUnencodedRun = 900;

enum class Charset { utf8, us_ascii, latin1, unknown };

Charset charset_of(std::string_view name) {
    static constexpr std::array<std::string_view, 2> kUtf8 = {"utf-8", "utf8"};
    static constexpr std::array<std::string_view, 11> kAscii = {
        "us-ascii", "ascii",  "us",      "ansi_x3.4-1968",   "ansi_x3.4-1986", "iso646-us",
        "cp367",    "ibm367", "csascii", "iso_646.irv:1991", "iso-ir-6"};
    static constexpr std::array<std::string_view, 11> kLatin1 = {
        "iso-8859-1", "iso8859-1",   "iso_8859-1", "iso_8859-1:1987", "latin1",    "latin-1",
        "l1",         "csisolatin1", "ibm819",     "cp819",           "iso-ir-100"};
    for (std::string_view n : kUtf8) {
        if (iequals(name, n)) {
            return Charset::utf8;
        }
    }
    for (std::string_view n : kAscii) {
        if (iequals(name, n)) {
            return Charset::us_ascii;
        }
    }
    for (std::string_view n : kLatin1) {
        if (iequals(name, n)) {
            return Charset::latin1;
        }
    }
    return Charset::unknown;
}

void append_sanitized_utf8(std::string_view bytes, std::string& out) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        const std::size_t n = utf8_sequence_length(bytes, i);
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out += bytes.substr(i, n);
            i += n;
        }
    }
}

void append_latin1(std::string_view bytes, std::string& out) {
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80) {
            out += c;
        } else {
            // ISO-8859-1 is the first 256 code points: two bytes of UTF-8 each.
            out += static_cast<char>(0xC0 | u >> 6);
            out += static_cast<char>(0x80 | (u & 0x3F));
        }
    }
}

bool is_q_literal(char c) {
    // RFC 2047 5(3): what may appear as itself in a Q word that stands in a phrase.
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
           c == '*' || c == '+' || c == '-' || c == '/';
}

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

std::string q_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '_') {
            out += ' ';  // RFC 2047 4.2 (2)
        } else if (text[i] == '=' && i + 2 < text.size() && hex_digit_value(text[i + 1]) >= 0 &&
                   hex_digit_value(text[i + 2]) >= 0) {
            out +=
                static_cast<char>(hex_digit_value(text[i + 1]) << 4 | hex_digit_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

struct DecodedWord {
    Charset charset = Charset::unknown;
    std::string bytes;
    std::size_t end = 0;  // just past the "?="
};

// The encoded word at text[i], decoded to bytes, if one starts there in a known charset.
// Scans at most to the first '?' of the encoded text, so that trying every position of a
// text stays linear: a stretch without '?' is only ever scanned by the one word before it.
std::optional<DecodedWord> word_at(std::string_view text, std::size_t i) {
    if (text.compare(i, 2, "=?") != 0) {
        return std::nullopt;
    }
    std::size_t k = i + 2;
    const std::size_t charset_begin = k;
    while (k < text.size() && k - charset_begin <= kMaxCharsetName && text[k] != '?' &&
           static_cast<unsigned char>(text[k]) > 0x20 &&
           static_cast<unsigned char>(text[k]) < 0x7F) {
        ++k;
    }
    if (k == charset_begin || k + 3 > text.size() || text[k] != '?' || text[k + 2] != '?') {
        return std::nullopt;
    }
    std::string_view charset = text.substr(charset_begin, k - charset_begin);
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 section 5: "*language"
    const char encoding = text[k + 1];
    const std::size_t text_begin = k + 3;
    std::size_t end = text_begin;
    while (end < text.size() && text[end] != '?' && static_cast<unsigned char>(text[end]) > 0x20 &&
           static_cast<unsigned char>(text[end]) < 0x7F) {
        ++end;
    }
    if (end + 1 >= text.size() || text[end] != '?' || text[end + 1] != '=') {
        return std::nullopt;
    }
    const std::string_view encoded = text.substr(text_begin, end - text_begin);
    DecodedWord word;
    word.charset = charset_of(charset);
    word.end = end + 2;
    if (word.charset == Charset::unknown) {
        return std::nullopt;
    }
    if (encoding == 'B' || encoding == 'b') {
        for (char c : encoded) {
            if (!is_base64_char(c)) {
                return std::nullopt;
            }
        }
        word.bytes = base64_decode_lenient(encoded);
    } else if (encoding == 'Q' || encoding == 'q') {
        word.bytes = q_decode(encoded);
    } else {
        return std::nullopt;
    }
    return word;
}

bool is_wsp_only(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

void append_converted(Charset charset, std::string_view bytes, std::string& out) {
    switch (charset) {
        case Charset::utf8:
            append_sanitized_utf8(bytes, out);
            break;
        case Charset::us_ascii:
            for (char c : bytes) {
                if (static_cast<unsigned char>(c) < 0x80) {
                    out += c;
                } else {
                    out += kReplacement;
                }
            }
            break;
        case Charset::latin1:
            append_latin1(bytes, out);
            break;
        case Charset::unknown:
            out += bytes;
            break;
    }
}

// How one character (a valid UTF-8 sequence or a stray byte) of `text` at i is long.
std::size_t char_length(std::string_view text, std::size_t i) {
    const std::size_t n = utf8_sequence_length(text, i);
    return n == 0 ? 1 : n;
}

std::size_t q_length(std::string_view bytes) {
    std::size_t n = 0;
    for (char c : bytes) {
        n += is_q_literal(c) || c == ' ' ? 1 : 3;
    }
    return n;
}

void append_q(std::string_view bytes, std::string& out) {
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (c == ' ') {
            out += '_';
        } else if (is_q_literal(c)) {
            out += c;
        } else {
            out += '=';
            out += kUpperHexDigits[u >> 4];
            out += kUpperHexDigits[u & 15];
        }
    }
}

std::size_t b_length(std::size_t bytes) {
    return (bytes + 2) / 3 * 4;
}

}  // namespace

std::optional<std::string> charset_to_utf8(std::string_view charset, std::string_view bytes) {
    const Charset c = charset_of(charset);
    if (c == Charset::unknown) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(bytes.size());
    append_converted(c, bytes, out);
    return out;
}

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_sequence_length(text, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string decode_encoded_words(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    // The words decoded but not yet converted: adjacent ones in one charset are joined first.
    Charset pending_charset = Charset::unknown;
    std::string pending;
    bool have_pending = false;
    std::size_t plain_begin = 0;  // the text since the last word, not yet written
    auto flush = [&] {
        if (have_pending) {
            append_converted(pending_charset, pending, out);
            pending.clear();
            have_pending = false;
        }
    };
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t next = text.find("=?", i);
        if (next == std::string_view::npos) {
            break;
        }
        auto word = word_at(text, next);
        if (!word) {
            i = next + 1;
            continue;
        }
        const std::string_view between = text.substr(plain_begin, next - plain_begin);
        // RFC 2047 6.2: whitespace between two encoded words is not displayed.
        if (!(have_pending && is_wsp_only(between))) {
            flush();
            out += between;
        }
        if (have_pending && pending_charset != word->charset) {
            flush();
        }
        pending_charset = word->charset;
        pending += word->bytes;
        have_pending = true;
        plain_begin = i = word->end;
    }
    flush();
    out += text.substr(plain_begin);
    return out;
}

std::string encode_encoded_words(std::string_view utf8, WordEncoding encoding) {
    const std::string_view prefix = encoding == WordEncoding::b ? "=?UTF-8?B?" : "=?UTF-8?Q?";
    const std::size_t room = kMaxEncodedWordLength - prefix.size() - 2;  // "?=" ends a word
    std::string out;
    std::size_t begin = 0;  // the first byte of the word being filled
    std::size_t length = 0;
    auto emit = [&](std::size_t end) {
        if (!out.empty()) {
            out += ' ';
        }
        out += prefix;
        const std::string_view bytes = utf8.substr(begin, end - begin);
        if (encoding == WordEncoding::b) {
            out += base64_encode(bytes);
        } else {
            append_q(bytes, out);
        }
        out += "?=";
        begin = end;
    };
    std::size_t i = 0;
    while (i < utf8.size()) {
        const std::size_t n = char_length(utf8, i);
        const std::string_view ch = utf8.substr(i, n);
        const std::size_t grown =
            encoding == WordEncoding::b ? b_length(i + n - begin) : length + q_length(ch);
        if (grown > room && i > begin) {
            emit(i);
            length = 0;
            continue;  // the character goes into the next word
        }
        length = grown;
        i += n;
    }
    if (i > begin) {
        emit(i);
    }
    return out;
}

bool needs_encoding(std::string_view text) {
    std::size_t run = 0;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u >= 0x7F) {
            return true;
        }
        run = c == ' ' || c == '\t' ? 0 : run + 1;
        if (run > kMaxUnencodedRun) {
            return true;
        }
    }
    return text.find("=?") != std::string_view::npos;
}

std::string encode_header_text(std::string_view text) {
    if (!needs_encoding(text)) {
        return std::string(text);
    }
    const auto escaped = static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](char c) { return !is_q_literal(c) && c != ' '; }));
    return encode_encoded_words(text,
                                escaped * 3 <= text.size() ? WordEncoding::q : WordEncoding::b);
}

}  // namespace l7::mail
