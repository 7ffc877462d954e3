#include "mail/compose.hpp"

#include <algorithm>

#include "mail/encoded_word.hpp"
#include "mail/header.hpp"
#include "mail/mail_date.hpp"
#include "mail/mime.hpp"
#include "mail/transfer_encoding.hpp"

namespace l7::mail {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

// RFC 5322 3.4.1: domain = dot-atom / domain-literal, the literal of dtext only.
bool is_domain(std::string_view d) {
    if (d.size() >= 2 && d.front() == '[' && d.back() == ']') {
        const std::string_view inner = d.substr(1, d.size() - 2);
        return std::all_of(inner.begin(), inner.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u >= 33 && u <= 126 && c != '[' && c != ']' && c != '\\';
        });
    }
    return is_dot_atom(d);
}

bool is_sendable(const Mailbox& m) {
    return !m.local_part.empty() && !has_control(m.local_part) && is_domain(m.domain);
}

bool is_sendable(const Address& a) {
    if (const auto* m = std::get_if<Mailbox>(&a)) {
        return is_sendable(*m);
    }
    const auto& members = std::get<Group>(a).members;
    return std::all_of(members.begin(), members.end(),
                       [](const Mailbox& m) { return is_sendable(m); });
}

// Text with every line end made CRLF (RFC 5322 2.3: CR and LF only together).
std::string to_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
        } else if (text[i] == '\n') {
            out += "\r\n";
        } else {
            out += text[i];
        }
    }
    return out;
}

// Whether CRLF text can go as 7bit: ASCII without controls but tab, lines short enough.
bool is_plain_text(std::string_view crlf_text) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < crlf_text.size(); ++i) {
        const auto u = static_cast<unsigned char>(crlf_text[i]);
        if (crlf_text[i] == '\r' && i + 1 < crlf_text.size() && crlf_text[i + 1] == '\n') {
            line = 0;
            ++i;
            continue;
        }
        if ((u < 0x20 && u != '\t') || u >= 0x7F || ++line > kMaxPlainTextLine) {
            return false;
        }
    }
    return true;
}

// message/* content may not be encoded (RFC 2045 6.4): it goes as 7bit or 8bit, which means
// CRLF lines of at most 998 bytes and no NUL (RFC 2045 2.7, 2.8). Nullopt when it is not so.
std::optional<TransferEncoding> identity_encoding(std::string_view data) {
    bool eight_bit = false;
    std::size_t line = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        const char c = data[i];
        if (c == '\r' || c == '\n') {
            if (c == '\n' || i + 1 >= data.size() || data[i + 1] != '\n') {
                return std::nullopt;  // a bare CR or LF
            }
            ++i;
            line = 0;
            continue;
        }
        if (c == '\0' || ++line > kMaxLineLength) {
            return std::nullopt;
        }
        eight_bit = eight_bit || static_cast<unsigned char>(c) >= 0x80;
    }
    return eight_bit ? TransferEncoding::eight_bit : TransferEncoding::seven_bit;
}

struct Part {
    Header header;
    std::string body;  // encoded, without a final line break (the delimiter's CRLF follows)
};

void add(Header& h, std::string_view name, std::string_view value) {
    // Only values built here go through this; they cannot hold CR, LF or NUL.
    (void)h.add(name, value);
}

Part text_part(std::string_view text) {
    Part p;
    const std::string crlf = to_crlf(text);
    add(p.header, "Content-Type", "text/plain; charset=utf-8");
    if (is_plain_text(crlf)) {
        add(p.header, "Content-Transfer-Encoding", "7bit");
        p.body = crlf;
    } else {
        add(p.header, "Content-Transfer-Encoding", "quoted-printable");
        p.body = quoted_printable_encode(crlf);
    }
    return p;
}

Result<Part, ComposeError> attachment_part(const Attachment& a) {
    auto ct = parse_content_type(a.content_type);
    if (!ct || ct->is_multipart()) {
        return ComposeError::invalid_content_type;
    }
    std::string type = ct->mime_type();
    for (const MimeParameter& param : ct->parameters) {
        if (param.name != "name") {
            type += "; " + format_parameter(param.name, param.value);
        }
    }
    std::string disposition = "attachment";
    if (!a.filename.empty()) {
        type += "; " + format_parameter("name", a.filename);
        disposition += "; " + format_parameter("filename", a.filename);
    }
    Part p;
    add(p.header, "Content-Type", type);
    add(p.header, "Content-Disposition", disposition);
    if (ct->type == "message") {
        const auto te = identity_encoding(a.data);
        if (!te) {
            return ComposeError::attachment_not_encodable;
        }
        add(p.header, "Content-Transfer-Encoding", transfer_encoding_name(*te));
        p.body = a.data;
        return p;
    }
    add(p.header, "Content-Transfer-Encoding", "base64");
    p.body = base64_encode_lines(a.data);
    if (p.body.ends_with("\r\n")) {
        p.body.resize(p.body.size() - 2);
    }
    return p;
}

}  // namespace

std::string_view describe(ComposeError e) {
    switch (e) {
        case ComposeError::invalid_from:
            return "no valid From address";
        case ComposeError::invalid_address:
            return "an invalid recipient or Reply-To address";
        case ComposeError::invalid_message_id:
            return "an invalid Message-ID";
        case ComposeError::invalid_field:
            return "an invalid header field";
        case ComposeError::invalid_content_type:
            return "an invalid attachment content type";
        case ComposeError::attachment_not_encodable:
            return "a message attachment that is not text lines";
    }
    return "cannot compose the message";
}

std::string choose_boundary(std::string_view random, std::span<const std::string> parts) {
    std::string base = "=_l7_";
    for (std::size_t i = 0; i < random.size() && i < kMaxBoundaryRandomBytes; ++i) {
        const auto u = static_cast<unsigned char>(random[i]);
        base += kHexDigits[u >> 4];
        base += kHexDigits[u & 15];
    }
    std::string boundary = base;
    for (std::size_t attempt = 1;; ++attempt) {
        const std::string delimiter = "--" + boundary;
        if (std::none_of(parts.begin(), parts.end(), [&](const std::string& p) {
                return p.find(delimiter) != std::string::npos;
            })) {
            return boundary;
        }
        boundary = base + "_" + std::to_string(attempt);
    }
}

Result<std::string, ComposeError> compose_message(const NewMessage& message) {
    if (!is_sendable(message.from)) {
        return ComposeError::invalid_from;
    }
    for (const auto* list : {&message.to, &message.cc, &message.reply_to}) {
        if (!std::all_of(list->begin(), list->end(),
                         [](const Address& a) { return is_sendable(a); })) {
            return ComposeError::invalid_address;
        }
    }
    if (!is_dot_atom(message.message_id_left) || has_control(message.message_id_left) ||
        !is_domain(message.message_id_domain) ||
        std::any_of(message.message_id_left.begin(), message.message_id_left.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        return ComposeError::invalid_message_id;
    }

    Header header;
    add(header, "Date", format_mail_date(message.date, message.utc_offset_minutes));
    add(header, "From", format_mailbox(message.from));
    if (!message.reply_to.empty()) {
        add(header, "Reply-To", format_address_list(message.reply_to));
    }
    if (!message.to.empty()) {
        add(header, "To", format_address_list(message.to));
    }
    if (!message.cc.empty()) {
        add(header, "Cc", format_address_list(message.cc));
    }
    if (!message.subject.empty()) {
        add(header, "Subject", encode_header_text(message.subject));
    }
    add(header, "Message-ID",
        "<" + message.message_id_left + "@" + message.message_id_domain + ">");
    for (const auto& [name, value] : message.extra_fields) {
        if (!header.add(name, value)) {
            return ComposeError::invalid_field;
        }
    }
    add(header, "MIME-Version", "1.0");

    Part text = text_part(message.text);
    if (message.attachments.empty()) {
        for (const HeaderField& f : text.header.fields()) {
            header.append_parsed(f);
        }
        return header.to_string() + "\r\n" + text.body;
    }

    std::vector<Part> parts;
    parts.push_back(std::move(text));
    for (const Attachment& a : message.attachments) {
        auto part = attachment_part(a);
        if (!part) {
            return part.error();
        }
        parts.push_back(std::move(*part));
    }
    std::vector<std::string> rendered;
    rendered.reserve(parts.size());
    for (const Part& p : parts) {
        rendered.push_back(p.header.to_string() + "\r\n" + p.body);
    }
    const std::string boundary = choose_boundary(message.boundary_random, rendered);
    add(header, "Content-Type", "multipart/mixed; " + format_parameter("boundary", boundary));

    std::string out = header.to_string();
    out += "\r\n";
    for (const std::string& r : rendered) {
        out += "--" + boundary + "\r\n";  // RFC 2046 5.1.1: no preamble
        out += r;
        out += "\r\n";  // the line break before the next delimiter belongs to it
    }
    out += "--" + boundary + "--\r\n";
    return out;
}

}  // namespace l7::mail
