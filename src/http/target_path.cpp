#include "http/target_path.hpp"
#include "http/head_syntax.hpp"

#include <array>

namespace l7::http {
namespace {

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// '%' HEXDIG HEXDIG at s[i] (RFC 3986 2.1).
bool is_pct_encoded_at(std::string_view s, std::size_t i) {
    return i + 2 < s.size() && s[i] == '%' && hex_digit_value(s[i + 1]) >= 0 &&
           hex_digit_value(s[i + 2]) >= 0;
}

// The query is handed on still encoded, so only what could break the message or the URI is
// refused: controls, space, non-ASCII and '#'. Browsers send '[', ']', '{', '}', '|' and a
// lone '%' unencoded in queries (the WHATWG URL standard's query percent-encode set leaves
// them), and decoding the query (form.hpp) is lenient about them.
bool is_valid_query(std::string_view s) {
    for (char c : s) {
        if (c <= 0x20 || c >= 0x7F || c == '#') {
            return false;
        }
    }
    return true;
}

// authority = host [ ":" port ] without userinfo (RFC 9110 4.2.1 and 4.2.4: http(s) URIs
// have a non-empty host, and userinfo must be treated as an error).
bool is_valid_authority(std::string_view a) {
    std::string_view port;
    if (a.starts_with('[')) {
        const std::size_t close = a.find(']');
        if (close == std::string_view::npos || close < 2) {
            return false;
        }
        for (char c : a.substr(1, close - 1)) {
            if (!is_unreserved(c) && !is_sub_delim(c) && c != ':') {
                return false;
            }
        }
        const std::string_view rest = a.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return false;
        }
        port = rest.empty() ? rest : rest.substr(1);
    } else {
        std::string_view host = a;
        const std::size_t colon = a.rfind(':');
        if (colon != std::string_view::npos) {
            host = a.substr(0, colon);
            port = a.substr(colon + 1);
        }
        if (host.empty()) {
            return false;
        }
        for (std::size_t i = 0; i < host.size(); ++i) {
            if (host[i] == '%' && is_pct_encoded_at(host, i)) {
                i += 2;
            } else if (!is_unreserved(host[i]) && !is_sub_delim(host[i])) {
                return false;  // ':' (twice), '@' (userinfo), '[' ...
            }
        }
    }
    if (port.size() > 5) {
        return false;
    }
    for (char c : port) {
        if (!is_digit(c)) {
            return false;
        }
    }
    return true;
}

// Step 3: decode once, refusing NUL always and '/', '\' as the options say. The check is on
// the decoded byte, so "%2f" and "%2F" are the same.
Result<std::string, TargetError> decode_path(std::string_view raw, const TargetOptions& options) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            out += raw[i];
            continue;
        }
        const char c =
            static_cast<char>(hex_digit_value(raw[i + 1]) * 16 + hex_digit_value(raw[i + 2]));
        i += 2;
        if (c == '\0') {
            return TargetError::decoded_nul;
        }
        if (c == '/' && !options.allow_encoded_slash) {
            return TargetError::encoded_slash;
        }
        if (c == '\\' && !options.allow_encoded_backslash) {
            return TargetError::encoded_backslash;
        }
        out += c;
    }
    return out;
}

// "//" names the same directory as "/" on the file system, so empty segments are merged
// before dot segments are removed: "/a//../b" then means "/b", as the file system reads it.
std::string merge_slashes(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '/' && !out.empty() && out.back() == '/') {
            continue;
        }
        out += c;
    }
    return out;
}

bool has_dot_segment_start(std::string_view path) {
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '.' && (i == 0 || path[i - 1] == '/')) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool is_unreserved(char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool is_sub_delim(char c) {
    switch (c) {
        case '!':
        case '$':
        case '&':
        case '\'':
        case '(':
        case ')':
        case '*':
        case '+':
        case ',':
        case ';':
        case '=':
            return true;
        default:
            return false;
    }
}

bool is_pchar(char c) {
    return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@';
}

// is_pchar(c) || c == '/', as a table: checked for every byte of every request's path.
const std::array<bool, 256> kPathChars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) {
        t[static_cast<std::size_t>(c)] = is_pchar(static_cast<char>(c)) || c == '/';
    }
    return t;
}();

bool is_valid_target(std::string_view target) {
    for (std::size_t i = 0; i < target.size(); ++i) {
        const char c = target[i];
        if (c == '%') {
            if (!is_pct_encoded_at(target, i)) {
                return false;
            }
            i += 2;
        } else if (!is_pchar(c) && c != '/' && c != '?' && c != '[' && c != ']') {
            return false;
        }
    }
    return true;
}

std::string_view describe(TargetError e) {
    switch (e) {
        case TargetError::empty:
            return "empty request-target";
        case TargetError::too_long:
            return "request-target too long";
        case TargetError::bad_character:
            return "character not allowed in a request-target";
        case TargetError::bad_percent_encoding:
            return "'%' not followed by two hexadecimal digits";
        case TargetError::decoded_nul:
            return "percent-encoded NUL (%00) in the path";
        case TargetError::encoded_slash:
            return "percent-encoded '/' (%2F) in the path";
        case TargetError::encoded_backslash:
            return "percent-encoded '\\' (%5C) in the path";
        case TargetError::unsupported_form:
            return "request-target is neither a path nor an absolute http(s) URI";
        case TargetError::unsupported_scheme:
            return "absolute URI whose scheme is not http or https";
        case TargetError::bad_authority:
            return "bad host in the absolute URI";
    }
    return "bad request-target";
}

int status_for(TargetError e) {
    return e == TargetError::too_long ? 414 : 400;
}

std::string remove_dot_segments(std::string_view in, bool* climbed) {
    // RFC 3986 5.2.4, rules A to E, with the input as a shrinking view.
    std::string out;
    out.reserve(in.size());
    bool up = false;
    const auto pop_segment = [&] {
        if (out.empty()) {
            up = true;
            return;
        }
        const std::size_t slash = out.rfind('/');
        out.erase(slash == std::string::npos ? 0 : slash);
    };
    while (!in.empty()) {
        if (in.starts_with("../")) {  // A
            in.remove_prefix(3);
            up = true;
        } else if (in.starts_with("./")) {  // A
            in.remove_prefix(2);
        } else if (in.starts_with("/./")) {  // B
            in.remove_prefix(2);
        } else if (in == "/.") {  // B
            in = "/";
        } else if (in.starts_with("/../")) {  // C
            in.remove_prefix(3);
            pop_segment();
        } else if (in == "/..") {  // C
            in = "/";
            pop_segment();
        } else if (in == "." || in == "..") {  // D
            up = up || in == "..";
            in = {};
        } else {  // E: move "/segment" or "segment" to the output
            const std::size_t next = in.find('/', in.starts_with('/') ? 1 : 0);
            const std::size_t n = next == std::string_view::npos ? in.size() : next;
            out.append(in.substr(0, n));
            in.remove_prefix(n);
        }
    }
    if (climbed != nullptr) {
        *climbed = up;
    }
    return out;
}

Result<TargetPath, TargetError> parse_target(std::string_view target,
                                             const TargetOptions& options) {
    if (target.empty()) {
        return TargetError::empty;
    }
    if (target.size() > kMaxTargetLength) {
        return TargetError::too_long;
    }
    TargetPath result;
    std::string_view rest = target;
    if (!rest.starts_with('/')) {
        // absolute-form: scheme "://" authority path-abempty [ "?" query ] (RFC 9112 3.2.2).
        std::size_t n = 0;
        while (n < rest.size() &&
               (is_alpha(rest[n]) || (n > 0 && (is_digit(rest[n]) || rest[n] == '+' ||
                                                rest[n] == '-' || rest[n] == '.')))) {
            ++n;
        }
        if (n == 0 || !rest.substr(n).starts_with("://")) {
            return TargetError::unsupported_form;
        }
        result.scheme = ascii_lowercase(rest.substr(0, n));
        if (result.scheme != "http" && result.scheme != "https") {
            return TargetError::unsupported_scheme;
        }
        rest.remove_prefix(n + 3);
        const std::size_t end = rest.find_first_of("/?#");
        const std::string_view authority = rest.substr(0, end);
        if (!is_valid_authority(authority)) {
            return TargetError::bad_authority;
        }
        result.authority = std::string(authority);
        result.form = TargetForm::absolute;
        rest.remove_prefix(authority.size());
    }

    // Step 2: the query is split off before anything is decoded.
    const std::size_t question = rest.find('?');
    std::string_view raw_path = rest.substr(0, question);
    if (question != std::string_view::npos) {
        result.has_query = true;
        const std::string_view query = rest.substr(question + 1);
        if (!is_valid_query(query)) {
            return TargetError::bad_character;
        }
        result.query = std::string(query);
    }

    // Step 1 for the path: RFC 3986 characters only; a '%' must start a valid triplet.
    bool percent = false;
    for (std::size_t i = 0; i < raw_path.size(); ++i) {
        if (raw_path[i] == '%') {
            if (!is_pct_encoded_at(raw_path, i)) {
                return TargetError::bad_percent_encoding;
            }
            percent = true;
            i += 2;
        } else if (!kPathChars[static_cast<unsigned char>(raw_path[i])]) {
            return TargetError::bad_character;
        }
    }
    if (raw_path.empty()) {
        raw_path = "/";  // absolute-form "http://host" or "http://host?q" (RFC 9112 3.2.1)
    }
    if (!percent && raw_path.starts_with('/') && raw_path.find("//") == std::string_view::npos &&
        !has_dot_segment_start(raw_path)) {
        // The usual path: nothing to decode, merge or remove; steps 3 to 5 would copy it as is.
        result.path = std::string(raw_path);
        return result;
    }

    auto decoded = decode_path(raw_path, options);  // step 3
    if (!decoded) {
        return decoded.error();
    }
    std::string path = remove_dot_segments(merge_slashes(*decoded), &result.climbed_above_root);
    if (path.empty() || path.front() != '/') {
        path.insert(path.begin(), '/');  // cannot happen for a path that began with '/'
    }
    result.has_dotfile_segment = has_dot_segment_start(path);  // step 5
    result.path = std::move(path);
    return result;
}

std::string percent_encode(std::string_view s, EncodeSet set) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (is_unreserved(c) || (set == EncodeSet::path && c == '/')) {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 0xF];
        }
    }
    return out;
}

Result<std::string, TargetError> percent_decode(std::string_view s, bool plus_as_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (!is_pct_encoded_at(s, i)) {
                return TargetError::bad_percent_encoding;
            }
            out += static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2]));
            i += 2;
        } else if (plus_as_space && s[i] == '+') {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace l7::http
