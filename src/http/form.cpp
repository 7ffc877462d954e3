#include "http/form.hpp"

#include <utility>

#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

constexpr std::size_t kMaxParameters = 16;  // per Content-Type or Content-Disposition
constexpr std::size_t kMaxBoundary = 70;    // RFC 2046 5.1.1

FormError fail(int status, std::string message) {
    return FormError{status, std::move(message)};
}

// The WHATWG decoding of one name or value: '+' is a space, "%XX" a byte, anything else
// (including a lone '%') itself.
std::string form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0 &&
                   hex_digit_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::size_t token_length(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && is_tchar(s[n])) {
        ++n;
    }
    return n;
}

// quoted-string at the front of `s` (RFC 9110 5.6.4), consumed; its unescaped content.
std::optional<std::string> read_quoted_string(std::string_view& s) {
    if (!s.starts_with('"')) {
        return std::nullopt;
    }
    std::string out;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b == '"') {
            s.remove_prefix(i + 1);
            return out;
        }
        if (b == '\\') {
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            if (i + 1 == s.size()) {
                return std::nullopt;
            }
            const auto e = static_cast<unsigned char>(s[i + 1]);
            if (e != '\t' && (e < 0x20 || e == 0x7F)) {
                return std::nullopt;
            }
            out += s[++i];
        } else if (b == '\t' || (b >= 0x20 && b != 0x7F)) {  // qdtext
            out += s[i];
        } else {
            return std::nullopt;
        }
    }
    return std::nullopt;  // no closing quote
}

struct Parameter {
    std::string name;  // lowercase
    std::string value;
};

// parameters = *( OWS ";" OWS [ parameter ] ), parameter = token "=" ( token / quoted-string )
// (RFC 9110 5.6.6; Content-Disposition's disposition-parm has the same shape, RFC 6266 4.1).
std::optional<std::vector<Parameter>> read_parameters(std::string_view s) {
    std::vector<Parameter> out;
    while (true) {
        s = trim_ows(s);
        if (s.empty()) {
            return out;
        }
        if (!s.starts_with(';')) {
            return std::nullopt;
        }
        s = trim_ows(s.substr(1));
        if (s.empty() || s.starts_with(';')) {
            continue;  // an empty parameter
        }
        const std::size_t n = token_length(s);
        if (n == 0 || n == s.size() || s[n] != '=' || out.size() == kMaxParameters) {
            return std::nullopt;
        }
        Parameter p{ascii_lowercase(s.substr(0, n)), {}};
        s.remove_prefix(n + 1);
        if (s.starts_with('"')) {
            auto q = read_quoted_string(s);
            if (!q) {
                return std::nullopt;
            }
            p.value = std::move(*q);
        } else {
            const std::size_t v = token_length(s);
            if (v == 0) {
                return std::nullopt;
            }
            p.value = std::string(s.substr(0, v));
            s.remove_prefix(v);
        }
        out.push_back(std::move(p));
    }
}

// The value of parameter `name`; an error when it is given more than once, since two
// readers could then pick different ones.
Result<std::optional<std::string>, FormError> unique_parameter(const std::vector<Parameter>& ps,
                                                               std::string_view name) {
    std::optional<std::string> found;
    for (const Parameter& p : ps) {
        if (p.name == name) {
            if (found) {
                return fail(400, "parameter '" + std::string(name) + "' given twice");
            }
            found = p.value;
        }
    }
    return found;
}

// bchars (RFC 2046 5.1.1): DIGIT / ALPHA / "'()+_,-./:=?" / " ".
bool is_bchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

struct Delimiter {
    std::size_t start = 0;  // where the delimiter (its CRLF, if any) begins
    std::size_t after = 0;  // the first byte after its line
    bool closing = false;   // "--boundary--"
};

// Whether "--boundary" at `pos` ends a delimiter line: "--" (the closing one) or transport
// padding (spaces and tabs) then CRLF.
std::optional<Delimiter> delimiter_at(std::string_view body, std::size_t start, std::size_t pos) {
    if (body.substr(pos).starts_with("--")) {
        return Delimiter{start, pos + 2, true};
    }
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) {
        ++pos;
    }
    if (body.substr(pos).starts_with("\r\n")) {
        return Delimiter{start, pos + 2, false};
    }
    return std::nullopt;
}

// The next delimiter CRLF "--" boundary at or after `from`; a line that merely starts with
// the boundary ("--boundaryX") is part of the content.
std::optional<Delimiter> find_delimiter(std::string_view body, std::size_t from,
                                        std::string_view dash_boundary) {
    while (from < body.size()) {
        const std::size_t crlf = body.find("\r\n", from);
        if (crlf == std::string_view::npos) {
            return std::nullopt;
        }
        if (body.substr(crlf + 2).starts_with(dash_boundary)) {
            if (auto d = delimiter_at(body, crlf, crlf + 2 + dash_boundary.size())) {
                return d;
            }
        }
        from = crlf + 2;
    }
    return std::nullopt;
}

// One part: header lines up to an empty line, then the content (RFC 2046 5.1.1; RFC 7578 4).
Result<FormPart, FormError> parse_part(std::string_view part, const MultipartLimits& limits) {
    // body-part = MIME-part-headers [CRLF *OCTET]: each header line ends in CRLF, and the
    // content, when there is one, follows an empty line.
    FormPart out;
    std::size_t header_end = 0;  // the end of the last header line's CRLF
    if (!part.starts_with("\r\n")) {
        const std::size_t blank = part.find("\r\n\r\n");
        if (blank != std::string_view::npos) {
            header_end = blank + 2;
        } else if (part.ends_with("\r\n")) {
            header_end = part.size();  // headers and no content at all
        } else {
            return fail(400, "multipart part without an empty line after its headers");
        }
    }
    if (header_end > limits.max_part_header_bytes) {
        return fail(413, "multipart part headers larger than " +
                             std::to_string(limits.max_part_header_bytes) + " bytes");
    }
    std::string_view headers = part.substr(0, header_end);
    out.body = header_end + 2 <= part.size() ? part.substr(header_end + 2) : std::string_view();
    while (!headers.empty()) {
        const std::size_t eol = headers.find("\r\n");
        const std::string_view line = headers.substr(0, eol);
        headers.remove_prefix(eol + 2);
        const std::size_t colon = line.find(':');
        // field-name must be a token right before the colon; a line starting with whitespace
        // would be obs-fold, which RFC 7578 senders never produce.
        if (colon == std::string_view::npos || colon == 0 || token_length(line) != colon) {
            return fail(400, "malformed header line in a multipart part");
        }
        if (out.headers.size() == limits.max_part_headers) {
            return fail(413, "more than " + std::to_string(limits.max_part_headers) +
                                 " header lines in a multipart part");
        }
        const std::string_view value = trim_ows(line.substr(colon + 1));
        for (char c : value) {
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
                return fail(400, "control character in a multipart part header");
            }
        }
        out.headers.add(std::string(line.substr(0, colon)), std::string(value));
    }

    if (out.headers.count("Content-Disposition") != 1) {
        return fail(400, "multipart part needs exactly one Content-Disposition (RFC 7578 4.2)");
    }
    std::string_view disposition = *out.headers.get("Content-Disposition");
    const std::size_t type_len = token_length(disposition);
    if (ascii_lowercase(disposition.substr(0, type_len)) != "form-data") {
        return fail(400, "multipart part whose Content-Disposition is not form-data");
    }
    const auto params = read_parameters(disposition.substr(type_len));
    if (!params) {
        return fail(400, "malformed Content-Disposition parameters in a multipart part");
    }
    auto name = unique_parameter(*params, "name");
    if (!name) {
        return name.error();
    }
    if (!*name) {
        return fail(400, "multipart part without a name (RFC 7578 4.2)");
    }
    out.name = std::move(**name);
    auto filename = unique_parameter(*params, "filename");
    if (!filename) {
        return filename.error();
    }
    out.filename = std::move(*filename);

    if (out.headers.count("Content-Type") > 1) {
        return fail(400, "multipart part with more than one Content-Type");
    }
    out.content_type = std::string(out.headers.get("Content-Type").value_or("text/plain"));
    return out;
}

}  // namespace

Result<std::vector<FormField>, FormError> parse_urlencoded(std::string_view body,
                                                           const UrlencodedLimits& limits) {
    if (body.size() > limits.max_body_bytes) {
        return fail(413,
                    "form body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    std::vector<FormField> out;
    while (!body.empty()) {
        const std::size_t amp = body.find('&');
        const std::string_view piece = body.substr(0, amp);
        body.remove_prefix(amp == std::string_view::npos ? body.size() : amp + 1);
        if (piece.empty()) {
            continue;
        }
        if (out.size() == limits.max_pairs) {
            return fail(413, "more than " + std::to_string(limits.max_pairs) + " form fields");
        }
        const std::size_t eq = piece.find('=');
        const std::string_view name = piece.substr(0, eq);
        const std::string_view value =
            eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
        if (name.size() > limits.max_name_bytes) {
            return fail(413, "form field name longer than " +
                                 std::to_string(limits.max_name_bytes) + " bytes");
        }
        if (value.size() > limits.max_value_bytes) {
            return fail(413, "form field value longer than " +
                                 std::to_string(limits.max_value_bytes) + " bytes");
        }
        out.push_back({form_decode(name), form_decode(value)});
    }
    return out;
}

Result<std::string, FormError> multipart_boundary(std::string_view content_type) {
    content_type = trim_ows(content_type);
    const std::size_t type_end = content_type.find(';');
    const std::string_view type = trim_ows(content_type.substr(0, type_end));
    if (ascii_lowercase(type) != "multipart/form-data") {
        return fail(415, "Content-Type is not multipart/form-data");
    }
    const auto params = read_parameters(
        type_end == std::string_view::npos ? std::string_view() : content_type.substr(type_end));
    if (!params) {
        return fail(400, "malformed Content-Type parameters");
    }
    auto boundary = unique_parameter(*params, "boundary");
    if (!boundary) {
        return boundary.error();
    }
    if (!*boundary) {
        return fail(400, "multipart/form-data without a boundary parameter");
    }
    const std::string& b = **boundary;
    if (b.empty() || b.size() > kMaxBoundary || b.back() == ' ' ||
        b.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "'()+_,-./:=? ") != std::string::npos) {
        return fail(400, "invalid multipart boundary (RFC 2046 5.1.1)");
    }
    return b;
}

Result<std::vector<FormPart>, FormError> parse_multipart(std::string_view body,
                                                         std::string_view boundary,
                                                         const MultipartLimits& limits) {
    if (body.size() > limits.max_body_bytes) {
        return fail(
            413, "multipart body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
    }
    if (boundary.empty() || boundary.size() > kMaxBoundary) {
        return fail(400, "invalid multipart boundary (RFC 2046 5.1.1)");
    }
    for (char c : boundary) {
        if (!is_bchar(c)) {
            return fail(400, "invalid multipart boundary (RFC 2046 5.1.1)");
        }
    }
    const std::string dash_boundary = "--" + std::string(boundary);

    // The first delimiter may open the body without the CRLF that precedes the others.
    std::optional<Delimiter> d;
    if (body.starts_with(dash_boundary)) {
        d = delimiter_at(body, 0, dash_boundary.size());
    }
    if (!d) {
        d = find_delimiter(body, 0, dash_boundary);
    }
    std::vector<FormPart> parts;
    while (d && !d->closing) {
        const std::optional<Delimiter> next = find_delimiter(body, d->after, dash_boundary);
        if (!next) {
            break;
        }
        if (parts.size() == limits.max_parts) {
            return fail(413, "more than " + std::to_string(limits.max_parts) +
                                 " parts in a multipart body");
        }
        auto part = parse_part(body.substr(d->after, next->start - d->after), limits);
        if (!part) {
            return part.error();
        }
        parts.push_back(std::move(*part));
        d = next;
    }
    if (!d || !d->closing) {
        return fail(400, "multipart body without its closing boundary");
    }
    return parts;
}

}  // namespace l7::http
