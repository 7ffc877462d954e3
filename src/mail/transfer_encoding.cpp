#include "mail/transfer_encoding.hpp"

#include "core/base64.hpp"
#include "core/hex.hpp"
#include "mail/header.hpp"

namespace l7::mail {
namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

// Writes the bytes of one line (no line break in it) as quoted-printable, with soft line breaks
// keeping every output line within 76 characters, an =XX escape never split.
void encode_qp_line(std::string_view line, std::string& out) {
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto u = static_cast<unsigned char>(line[i]);
        const bool last = i + 1 == line.size();
        // 6.7 (2) and (3): printable ASCII but '=' as is; space and tab too, except at the
        // end of a line, where transport may strip them.
        const bool literal =
            (u >= 33 && u <= 126 && u != '=') || ((u == ' ' || u == '\t') && !last);
        const std::size_t width = literal ? 1 : 3;
        // The last character may take the 76th column; any other must leave room for '='.
        const std::size_t room = last ? kMaxEncodedLineLength : kMaxEncodedLineLength - 1;
        if (column + width > room) {
            out += "=\r\n";
            column = 0;
        }
        if (literal) {
            out += line[i];
        } else {
            out += '=';
            out += kUpperHexDigits[u >> 4];
            out += kUpperHexDigits[u & 15];
        }
        column += width;
    }
}

}  // namespace

TransferEncoding parse_transfer_encoding(std::string_view value) {
    std::size_t begin = 0;
    while (begin < value.size() && is_wsp(value[begin])) {
        ++begin;
    }
    std::size_t end = begin;
    while (end < value.size() && !is_wsp(value[end]) && value[end] != '(' && value[end] != ';') {
        ++end;
    }
    const std::string_view token = value.substr(begin, end - begin);
    if (token.empty() || iequals(token, "7bit")) {
        return TransferEncoding::seven_bit;
    }
    if (iequals(token, "8bit")) {
        return TransferEncoding::eight_bit;
    }
    if (iequals(token, "binary")) {
        return TransferEncoding::binary;
    }
    if (iequals(token, "quoted-printable")) {
        return TransferEncoding::quoted_printable;
    }
    if (iequals(token, "base64")) {
        return TransferEncoding::base64;
    }
    return TransferEncoding::unknown;
}

std::string_view transfer_encoding_name(TransferEncoding e) {
    switch (e) {
        case TransferEncoding::seven_bit:
            return "7bit";
        case TransferEncoding::eight_bit:
            return "8bit";
        case TransferEncoding::binary:
            return "binary";
        case TransferEncoding::quoted_printable:
            return "quoted-printable";
        case TransferEncoding::base64:
            return "base64";
        case TransferEncoding::unknown:
            break;
    }
    return "";
}

std::string quoted_printable_encode(std::string_view data, QuotedPrintableMode mode) {
    std::string out;
    out.reserve(data.size() + data.size() / 8);
    if (mode == QuotedPrintableMode::binary) {
        encode_qp_line(data, out);
        return out;
    }
    std::size_t pos = 0;
    while (pos <= data.size()) {
        const std::size_t lf = data.find('\n', pos);
        if (lf == std::string_view::npos) {
            encode_qp_line(data.substr(pos), out);
            break;
        }
        std::size_t end = lf;
        if (end > pos && data[end - 1] == '\r') {
            --end;
        }
        encode_qp_line(data.substr(pos, end - pos), out);
        out += "\r\n";  // 6.7 (4): a line break in text is a CRLF in the encoding
        pos = lf + 1;
    }
    return out;
}

std::string quoted_printable_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t lf = text.find('\n', pos);
        const bool has_break = lf != std::string_view::npos;
        std::size_t end = has_break ? lf : text.size();
        std::string_view line_break;
        if (has_break) {
            const bool crlf = end > pos && text[end - 1] == '\r';
            line_break = crlf ? "\r\n" : "\n";
            end -= crlf ? 1 : 0;
        }
        std::string_view line = text.substr(pos, end - pos);
        // 6.7 (3): trailing whitespace was added in transport and must be deleted.
        while (!line.empty() && is_wsp(line.back())) {
            line.remove_suffix(1);
        }
        const bool soft_break = !line.empty() && line.back() == '=';
        if (soft_break) {
            line.remove_suffix(1);
        }
        for (std::size_t i = 0; i < line.size(); ++i) {
            if (line[i] == '=') {
                const int hi = i + 1 < line.size() ? hex_digit_value(line[i + 1]) : -1;
                const int lo = i + 2 < line.size() ? hex_digit_value(line[i + 2]) : -1;
                if (hi >= 0 && lo >= 0) {
                    out += static_cast<char>(hi << 4 | lo);
                    i += 2;
                    continue;
                }
            }
            out += line[i];  // a malformed escape is kept literally
        }
        if (!soft_break) {
            out += line_break;
        }
        pos = has_break ? lf + 1 : text.size();
    }
    return out;
}

std::string base64_encode_lines(std::string_view data) {
    const std::string flat = base64_encode(data);
    std::string out;
    out.reserve(flat.size() + flat.size() / kMaxEncodedLineLength * 2 + 2);
    for (std::size_t i = 0; i < flat.size(); i += kMaxEncodedLineLength) {
        out += std::string_view(flat).substr(i, kMaxEncodedLineLength);
        out += "\r\n";
    }
    return out;
}

std::string base64_decode_lenient(std::string_view text) {
    std::string clean;
    clean.reserve(text.size());
    for (char c : text) {
        if (c == '=') {
            break;  // padding ends the data; what follows is not part of it
        }
        if (is_base64_char(c)) {
            clean += c;
        }
    }
    switch (clean.size() % 4) {
        case 1:
            clean.pop_back();  // six bits make no byte
            break;
        case 2:
            clean += "==";
            break;
        case 3:
            clean += '=';
            break;
        default:
            break;
    }
    // Clean and padded, the strict decoder cannot fail.
    return base64_decode_text(clean).value_or(std::string());
}

std::string_view describe(TransferError e) {
    switch (e) {
        case TransferError::unknown_encoding:
            return "unknown Content-Transfer-Encoding";
    }
    return "bad transfer encoding";
}

Result<std::string, TransferError> decode_transfer_encoding(std::string_view body,
                                                            std::string_view cte) {
    switch (parse_transfer_encoding(cte)) {
        case TransferEncoding::seven_bit:
        case TransferEncoding::eight_bit:
        case TransferEncoding::binary:
            return std::string(body);
        case TransferEncoding::quoted_printable:
            return quoted_printable_decode(body);
        case TransferEncoding::base64:
            return base64_decode_lenient(body);
        case TransferEncoding::unknown:
            break;
    }
    return TransferError::unknown_encoding;
}

}  // namespace l7::mail
