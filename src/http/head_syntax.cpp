#include "http/head_syntax.hpp"

#include <limits>

namespace l7::http {
namespace {

// Field values: visible characters, SP, HTAB and obs-text (RFC 9110 section 5.5).
bool is_field_value_char(unsigned char c) {
    return c == '\t' || (c >= 0x20 && c != 0x7F);
}

}  // namespace

bool is_tchar(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

bool is_token(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (!is_tchar(c)) {
            return false;
        }
    }
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string ascii_lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c + ('a' - 'A'));
        }
    }
    return out;
}

LineError next_line(std::string_view input, std::size_t max_length, Line& line) {
    const std::size_t lf = input.find('\n');
    if (lf == std::string_view::npos) {
        return input.size() > max_length ? LineError::too_long : LineError::incomplete;
    }
    std::size_t end = lf;
    if (end > 0 && input[end - 1] == '\r') {
        --end;
    }
    if (end > max_length) {
        return LineError::too_long;
    }
    const std::string_view text = input.substr(0, end);
    if (text.find('\r') != std::string_view::npos) {
        return LineError::bare_cr;  // RFC 9112 section 2.2: CR only before LF
    }
    line.text = text;
    line.consumed = lf + 1;
    return LineError::none;
}

std::optional<std::string> parse_field_line(std::string_view line, Field& field) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        return "obsolete line folding";  // RFC 9112 section 5.2: reject with 400
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        return "a field line without a colon";
    }
    const std::string_view name = line.substr(0, colon);
    if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
        return "whitespace between the field name and the colon";  // RFC 9112 section 5.1
    }
    if (!is_token(name)) {
        return "an invalid field name";
    }
    const std::string_view value = trim_ows(line.substr(colon + 1));
    for (char c : value) {
        if (!is_field_value_char(static_cast<unsigned char>(c))) {
            return "a control character in the value of " + std::string(name);
        }
    }
    field.name.assign(name);
    field.value.assign(value);
    return std::nullopt;
}

bool parse_http_version(std::string_view text, int& major, int& minor) {
    if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || text[6] != '.' || text[5] < '0' ||
        text[5] > '9' || text[7] < '0' || text[7] > '9') {
        return false;
    }
    major = text[5] - '0';
    minor = text[7] - '0';
    return true;
}

std::optional<std::uint64_t> content_length(const Fields& fields, std::string& why) {
    std::optional<std::uint64_t> length;
    for (const Field& f : fields.all()) {
        if (!iequals(f.name, "Content-Length")) {
            continue;
        }
        const auto elements = split_list(f.value);
        if (elements.empty()) {
            why = "an empty Content-Length";
            return std::nullopt;
        }
        for (std::string_view e : elements) {
            std::uint64_t v = 0;
            if (e.size() > 19) {
                why = "a Content-Length too large";
                return std::nullopt;
            }
            for (char c : e) {
                if (c < '0' || c > '9') {
                    why = "a Content-Length that is not a number";
                    return std::nullopt;
                }
                v = v * 10 + static_cast<std::uint64_t>(c - '0');
            }
            if (length && *length != v) {
                why = "differing Content-Length values";
                return std::nullopt;
            }
            length = v;
        }
    }
    if (!length) {
        why.clear();
    }
    return length;
}

bool has_control_character(std::string_view s) {
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7F) {
            return true;
        }
    }
    return false;
}

}  // namespace l7::http
