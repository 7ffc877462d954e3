#include "mail/imap/mailbox_name.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace l7::mail::imap {

namespace {

// RFC 3501 5.1.3: RFC 2045's base64 alphabet with "," in place of "/".
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
    const std::size_t i = kAlphabet.find(c);
    return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

bool is_printable_ascii(char32_t c) {
    return c >= 0x20 && c <= 0x7e;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xe0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    }
}

// The code point of the well-formed UTF-8 sequence at s[i...], advancing i past it; nullopt
// (having advanced i by one) for anything else: overlong forms, surrogates, > U+10FFFF.
std::optional<char32_t> next_utf8(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i++]);
    if (b0 < 0x80) {
        return b0;
    }
    std::size_t extra = 0;
    char32_t c = 0;
    char32_t least = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        extra = 1;
        c = b0 & 0x1f;
        least = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        extra = 2;
        c = b0 & 0x0f;
        least = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        extra = 3;
        c = b0 & 0x07;
        least = 0x10000;
    } else {
        return std::nullopt;
    }
    if (s.size() - i < extra) {
        return std::nullopt;
    }
    for (std::size_t k = 0; k < extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xc0) != 0x80) {
            return std::nullopt;
        }
        c = (c << 6) | (b & 0x3f);
    }
    if (c < least || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return std::nullopt;
    }
    i += extra;
    return c;
}

// "&" base64(UTF-16BE of `run`) "-", the base64 unpadded.
void append_run(std::string& out, const std::vector<char16_t>& run) {
    out += '&';
    std::uint32_t bits = 0;
    int nbits = 0;
    for (const char16_t unit : run) {
        bits = (bits << 16) | unit;
        nbits += 16;
        while (nbits >= 6) {
            nbits -= 6;
            out += kAlphabet[(bits >> nbits) & 0x3f];
        }
        bits &= (1u << nbits) - 1;
    }
    if (nbits > 0) {
        out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
    }
    out += '-';
}

// The base64 of one run (between "&" and "-") -> UTF-8 appended to `out`; what is wrong
// with it, if anything.
std::optional<std::string_view> decode_run(std::string_view b64, std::string& out) {
    std::uint32_t bits = 0;
    int nbits = 0;
    char16_t high = 0;  // a high surrogate waiting for its low one
    for (const char ch : b64) {
        const int v = base64_value(ch);
        if (v < 0) {
            return "invalid base64 in a mailbox name";
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        nbits += 6;
        if (nbits < 16) {
            continue;
        }
        nbits -= 16;
        const auto unit = static_cast<char16_t>((bits >> nbits) & 0xffff);
        bits &= (1u << nbits) - 1;
        if (high != 0) {
            if (unit < 0xdc00 || unit > 0xdfff) {
                return "unpaired UTF-16 surrogate in a mailbox name";
            }
            append_utf8(out, 0x10000 + ((static_cast<char32_t>(high) - 0xd800) << 10) +
                                 (static_cast<char32_t>(unit) - 0xdc00));
            high = 0;
        } else if (unit >= 0xd800 && unit <= 0xdbff) {
            high = unit;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            return "unpaired UTF-16 surrogate in a mailbox name";
        } else if (is_printable_ascii(unit)) {
            return "printable ASCII encoded in a mailbox name";
        } else {
            append_utf8(out, unit);
        }
    }
    if (high != 0) {
        return "unpaired UTF-16 surrogate in a mailbox name";
    }
    // The shortest base64 ends within the last unit: fewer than 6 bits left, all zero.
    if (nbits >= 6 || bits != 0) {
        return "non-canonical base64 in a mailbox name";
    }
    return std::nullopt;
}

}  // namespace

Result<std::string> decode_mailbox_name(std::string_view mutf7) {
    std::string out;
    bool after_run = false;  // the last thing read was an encoded run
    std::size_t i = 0;
    while (i < mutf7.size()) {
        const char c = mutf7[i];
        if (!is_printable_ascii(static_cast<unsigned char>(c))) {
            return make_error("invalid character in a mailbox name");
        }
        if (c != '&') {
            out += c;
            after_run = false;
            ++i;
            continue;
        }
        const std::size_t dash = mutf7.find('-', i + 1);
        if (dash == std::string_view::npos) {
            return make_error("unterminated \"&\" in a mailbox name");
        }
        if (dash == i + 1) {
            out += '&';
            after_run = false;
        } else {
            if (after_run) {
                return make_error("two encoded runs in a row in a mailbox name");
            }
            if (const auto problem = decode_run(mutf7.substr(i + 1, dash - i - 1), out)) {
                return make_error(std::string(*problem));
            }
            after_run = true;
        }
        i = dash + 1;
    }
    return out;
}

std::string encode_mailbox_name(std::string_view utf8) {
    std::string out;
    std::vector<char16_t> run;
    const auto flush = [&] {
        if (!run.empty()) {
            append_run(out, run);
            run.clear();
        }
    };
    std::size_t i = 0;
    while (i < utf8.size()) {
        const char32_t c = next_utf8(utf8, i).value_or(0xfffd);
        if (is_printable_ascii(c)) {
            flush();
            out += static_cast<char>(c);
            if (c == '&') {
                out += '-';
            }
        } else if (c >= 0x10000) {
            run.push_back(static_cast<char16_t>(0xd800 + ((c - 0x10000) >> 10)));
            run.push_back(static_cast<char16_t>(0xdc00 + ((c - 0x10000) & 0x3ff)));
        } else {
            run.push_back(static_cast<char16_t>(c));
        }
    }
    flush();
    return out;
}

namespace {

// A run of wildcards matches what its widest member does: "*" if it holds one, else "%".
std::string collapse_wildcards(std::string_view pattern) {
    std::string out;
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern[i] != '*' && pattern[i] != '%') {
            out += pattern[i++];
            continue;
        }
        char widest = '%';
        for (; i < pattern.size() && (pattern[i] == '*' || pattern[i] == '%'); ++i) {
            widest = pattern[i] == '*' ? '*' : widest;
        }
        out += widest;
    }
    return out;
}

}  // namespace

bool list_pattern_matches(std::string_view written, std::string_view name, char delimiter) {
    const std::string pattern = collapse_wildcards(written);
    // live[j]: pattern[0, j) can match the name read so far. A wildcard at j may match
    // nothing, so a live j before it makes j + 1 live too (the closure, left to right).
    const std::size_t n = pattern.size();
    const auto wildcard = [&](std::size_t j) { return pattern[j] == '*' || pattern[j] == '%'; };
    const auto close = [&](std::vector<char>& live) {
        for (std::size_t j = 0; j < n; ++j) {
            if (live[j] && wildcard(j)) {
                live[j + 1] = 1;
            }
        }
    };
    std::vector<char> live(n + 1, 0);
    std::vector<char> next(n + 1, 0);
    live[0] = 1;
    close(live);
    for (const char c : name) {
        std::fill(next.begin(), next.end(), 0);
        bool any = false;
        for (std::size_t j = 0; j < n; ++j) {
            if (!live[j]) {
                continue;
            }
            const char p = pattern[j];
            if (p == '*' || (p == '%' && (delimiter == '\0' || c != delimiter))) {
                next[j] = 1;  // the wildcard takes c and may take more
                any = true;
            } else if (p == c && !wildcard(j)) {
                next[j + 1] = 1;
                any = true;
            }
        }
        if (!any) {
            return false;
        }
        close(next);
        live.swap(next);
    }
    return live[n] != 0;
}

}  // namespace l7::mail::imap
