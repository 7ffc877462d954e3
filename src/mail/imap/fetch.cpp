#include "mail/imap/fetch.hpp"

#include <algorithm>
#include <vector>

#include "core/hex.hpp"
#include "mail/address.hpp"
#include "mail/encoded_word.hpp"
#include "mail/imap/quote.hpp"

namespace l7::mail::imap {
namespace {

std::string uppercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string_view trim_wsp(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::size_t count_lines(std::string_view body) {
    const auto breaks = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
    return breaks + (!body.empty() && body.back() != '\n' ? 1 : 0);
}

// Where the body starts when the header section cannot be parsed: after the first empty
// line, or nowhere (all header).
std::size_t blank_line_end(std::string_view bytes) {
    if (bytes.starts_with("\r\n")) {
        return 2;
    }
    if (bytes.starts_with("\n")) {
        return 1;
    }
    for (std::size_t at = bytes.find('\n'); at != std::string_view::npos;
         at = bytes.find('\n', at + 1)) {
        const std::string_view rest = bytes.substr(at + 1);
        if (rest.starts_with("\r\n")) {
            return at + 3;
        }
        if (rest.starts_with("\n")) {
            return at + 2;
        }
    }
    return bytes.size();
}

// The whole message as one text/plain part, for when parse_message() refuses it. Counting the
// body's lines reads every byte, so only BODYSTRUCTURE's fallback asks for it.
MimePart single_part(std::string_view bytes, const MimeLimits& limits, bool count_body_lines) {
    MimePart part;
    if (auto parsed = parse_header(bytes, limits.header)) {
        part.header = std::move(parsed->header);
        part.body_offset = parsed->body_offset;
    } else {
        part.body_offset = blank_line_end(bytes);
    }
    part.body_size = bytes.size() - part.body_offset;
    if (count_body_lines) {
        part.body_lines = count_lines(part.body(bytes));
    }
    return part;
}

// ---- ENVELOPE ------------------------------------------------------------------------------

// Splits at commas outside quoted strings, comments and angle brackets.
std::vector<std::string_view> split_addresses(std::string_view value) {
    std::vector<std::string_view> pieces;
    std::size_t begin = 0;
    int comment = 0;
    bool quoted = false;
    bool angle = false;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (c == '\\' && (quoted || comment > 0)) {
            ++i;
        } else if (quoted) {
            quoted = c != '"';
        } else if (c == '(') {
            ++comment;
        } else if (c == ')' && comment > 0) {
            --comment;
        } else if (comment > 0) {
            continue;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '<') {
            angle = true;
        } else if (c == '>') {
            angle = false;
        } else if (c == ',' && !angle) {
            pieces.push_back(value.substr(begin, i - begin));
            begin = i + 1;
        }
    }
    pieces.push_back(value.substr(begin));
    return pieces;
}

// The addresses of a field: the whole list when it parses, else what parses of its pieces.
std::vector<Address> read_addresses(std::string_view value) {
    if (auto all = parse_address_list(value)) {
        return std::move(*all);
    }
    std::vector<Address> out;
    if (value.size() > kMaxAddressFieldLength) {
        return out;
    }
    for (std::string_view piece : split_addresses(value)) {
        auto some = parse_address_list(piece);
        if (!some) {
            continue;
        }
        for (Address& a : *some) {
            if (out.size() == kMaxAddresses) {
                return out;
            }
            out.push_back(std::move(a));
        }
    }
    return out;
}

std::optional<std::string_view> non_empty(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    return s;
}

void append_mailbox(std::string& out, const Mailbox& m) {
    out += '(';
    append_nstring(out, non_empty(m.phrase));
    out += " NIL ";
    append_string(out, m.local_part);
    out += ' ';
    append_nstring(out, non_empty(m.domain));
    out += ')';
}

// RFC 3501 7.4.2: a list of addresses, a group as (NIL NIL "name" NIL) members (NIL NIL NIL
// NIL); false (and nothing written) when there are none.
bool append_address_list(std::string& out, std::string_view value) {
    const std::vector<Address> addresses = read_addresses(value);
    if (addresses.empty()) {
        return false;
    }
    out += '(';
    for (const Address& a : addresses) {
        if (const auto* m = std::get_if<Mailbox>(&a)) {
            append_mailbox(out, *m);
            continue;
        }
        const auto& g = std::get<Group>(a);
        out += "(NIL NIL ";
        append_string(out, g.phrase);
        out += " NIL)";
        for (const Mailbox& m : g.members) {
            append_mailbox(out, m);
        }
        out += "(NIL NIL NIL NIL)";
    }
    out += ')';
    return true;
}

void append_address_field(std::string& out, const Header& header, std::string_view name) {
    const auto value = header.get(name);
    if (!value || !append_address_list(out, *value)) {
        out += "NIL";
    }
}

// ---- BODY and BODYSTRUCTURE --------------------------------------------------------------

bool is_printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u >= 0x20 && u < 0x7F) || c == '\t';
    });
}

// RFC 2231 ext-value: charset'language'%XX (the value's bytes in that charset).
std::string rfc2231_value(const MimeParameter& p) {
    // mime.hpp converted the value to UTF-8 when it knows the charset.
    std::string out = charset_to_utf8(p.charset, "") ? std::string("UTF-8") : p.charset;
    out += '\'';
    out += p.language;
    out += '\'';
    for (char c : p.value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
            std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos) {
            out += c;
        } else {
            out += '%';
            out += kUpperHexDigits[u >> 4];
            out += kUpperHexDigits[u & 15];
        }
    }
    return out;
}

void append_parameters(std::string& out, std::span<const MimeParameter> parameters) {
    if (parameters.empty()) {
        out += "NIL";
        return;
    }
    out += '(';
    bool first = true;
    for (const MimeParameter& p : parameters) {
        if (!first) {
            out += ' ';
        }
        first = false;
        if (!p.charset.empty()) {
            append_string(out, uppercase(p.name) + "*");
            out += ' ';
            append_string(out, rfc2231_value(p));
        } else {
            append_string(out, uppercase(p.name));
            out += ' ';
            if (!is_printable_ascii(p.value) && is_valid_utf8(p.value)) {
                append_string(out, encode_encoded_words(p.value, WordEncoding::b));
            } else {
                append_string(out, p.value);
            }
        }
    }
    out += ')';
}

void append_field(std::string& out, const Header& header, std::string_view name) {
    append_nstring(out, header.get(name));
}

// body-fld-dsp: ("ATTACHMENT" ("FILENAME" "a.pdf")) or NIL.
void append_disposition(std::string& out, const MimePart& part) {
    if (!part.disposition) {
        out += "NIL";
        return;
    }
    out += '(';
    append_string(out, uppercase(part.disposition->type));
    out += ' ';
    append_parameters(out, part.disposition->parameters);
    out += ')';
}

// body-fld-lang: NIL, "en", or ("en" "de") from Content-Language's comma-separated tags.
void append_language(std::string& out, const Header& header) {
    std::vector<std::string_view> tags;
    if (const auto value = header.get("Content-Language")) {
        for (std::string_view tag : split_addresses(*value)) {
            tag = trim_wsp(tag);
            if (!tag.empty()) {
                tags.push_back(tag);
            }
        }
    }
    if (tags.empty()) {
        out += "NIL";
    } else if (tags.size() == 1) {
        append_string(out, tags.front());
    } else {
        out += '(';
        for (std::size_t i = 0; i < tags.size(); ++i) {
            if (i > 0) {
                out += ' ';
            }
            append_string(out, tags[i]);
        }
        out += ')';
    }
}

// Disposition, language and location: the extension data every body ends with.
void append_common_extensions(std::string& out, const MimePart& part) {
    out += ' ';
    append_disposition(out, part);
    out += ' ';
    append_language(out, part.header);
    out += ' ';
    append_field(out, part.header, "Content-Location");
}

void append_body(std::string& out, const MimePart& part, std::string_view bytes, bool extended);

// What a multipart without parts shows: an empty text/plain part.
void append_empty_text_part(std::string& out, bool extended) {
    out += R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0)";
    out += extended ? " NIL NIL NIL NIL)" : ")";
}

void append_multipart(std::string& out, const MimePart& part, std::string_view bytes,
                      bool extended) {
    out += '(';
    for (const MimePart& child : part.children) {
        append_body(out, child, bytes, extended);
    }
    if (part.children.empty()) {
        append_empty_text_part(out, extended);
    }
    out += ' ';
    append_string(out, uppercase(part.content_type.subtype));
    if (extended) {
        out += ' ';
        append_parameters(out, part.content_type.parameters);
        append_common_extensions(out, part);
    }
    out += ')';
}

void append_single_part(std::string& out, const MimePart& part, std::string_view bytes,
                        bool extended) {
    const ContentType& ct = part.content_type;
    out += '(';
    append_string(out, uppercase(ct.type));
    out += ' ';
    append_string(out, uppercase(ct.subtype));
    out += ' ';
    append_parameters(out, ct.parameters);
    out += ' ';
    append_field(out, part.header, "Content-ID");
    out += ' ';
    append_field(out, part.header, "Content-Description");
    out += ' ';
    append_string(out, uppercase(part.transfer_encoding));
    out += ' ';
    out += std::to_string(part.body_size);
    if (ct.is_encapsulated_message() && !part.children.empty()) {
        // body-type-msg: the encapsulated message's envelope and structure, then lines.
        const MimePart& inner = part.children.front();
        out += ' ';
        out += render_envelope(inner.header);
        out += ' ';
        append_body(out, inner, bytes, extended);
        out += ' ';
        out += std::to_string(part.body_lines);
    } else if (ct.type == "text") {
        out += ' ';
        out += std::to_string(part.body_lines);
    }
    if (extended) {
        out += ' ';
        append_field(out, part.header, "Content-MD5");
        append_common_extensions(out, part);
    }
    out += ')';
}

void append_body(std::string& out, const MimePart& part, std::string_view bytes, bool extended) {
    if (part.content_type.is_multipart()) {
        append_multipart(out, part, bytes, extended);
    } else {
        append_single_part(out, part, bytes, extended);
    }
}

// ---- BODY[section] -------------------------------------------------------------------------

// A section's octets: a slice of the message, or built (HEADER.FIELDS).
struct SectionData {
    std::string_view view;
    std::string built;
    bool is_built = false;

    std::string_view bytes() const { return is_built ? std::string_view(built) : view; }
};

bool names_field(const Section& section, std::string_view name) {
    return std::any_of(section.fields.begin(), section.fields.end(),
                       [&](const std::string& f) { return iequals(f, name); });
}

// HEADER.FIELDS / HEADER.FIELDS.NOT: the chosen fields' lines as stored, then the empty line.
std::string filter_fields(const Header& header, const Section& section) {
    const bool wanted = section.text == Section::Text::header_fields;
    std::string out;
    for (const HeaderField& f : header.fields()) {
        if (names_field(section, f.name) != wanted) {
            continue;
        }
        out += f.raw;
        if (!f.raw.empty() && f.raw.back() != '\n') {
            out += "\r\n";  // the last field of a message without a body
        }
    }
    out += "\r\n";
    return out;
}

SectionData slice(std::string_view view) {
    return SectionData{view, {}, false};
}

SectionData built(std::string text) {
    return SectionData{{}, std::move(text), true};
}

SectionData compute_section(ParsedMessage& message, const Section& section) {
    const std::string_view bytes = message.bytes();
    using Text = Section::Text;
    if (section.part.empty()) {
        switch (section.text) {
            case Text::all:
                return slice(bytes);
            case Text::header:
                return slice(message.header_bytes());
            case Text::header_fields:
            case Text::header_fields_not:
                return built(filter_fields(message.header(), section));
            case Text::text:
                return slice(message.text());
            case Text::mime:
                return {};  // MIME needs a part number
        }
        return {};
    }
    const MimePart* part = find_part(message.tree(), std::span<const unsigned>(section.part));
    if (part == nullptr) {
        return {};
    }
    if (section.text == Text::all) {
        return slice(part->body(bytes));
    }
    if (section.text == Text::mime) {
        return slice(part->header_bytes(bytes));
    }
    // HEADER, HEADER.FIELDS and TEXT of a part are those of the message it encapsulates.
    if (!part->content_type.is_encapsulated_message() || part->children.empty()) {
        return {};
    }
    const MimePart& inner = part->children.front();
    switch (section.text) {
        case Text::header:
            return slice(inner.header_bytes(bytes));
        case Text::header_fields:
        case Text::header_fields_not:
            return built(filter_fields(inner.header, section));
        default:
            return slice(inner.body(bytes));
    }
}

void append_section_data(std::string& out, std::string_view data) {
    if (data.empty()) {
        out += "\"\"";
    } else {
        append_literal(out, data);
    }
}

bool needs_tree(const FetchAttribute& a) {
    using Kind = FetchAttribute::Kind;
    return a.kind == Kind::body || a.kind == Kind::body_structure ||
           (a.kind == Kind::body_section && !a.section.part.empty());
}

void append_item(std::string& out, const FetchAttribute& a, const FetchMessage& m,
                 ParsedMessage& message) {
    using Kind = FetchAttribute::Kind;
    switch (a.kind) {
        case Kind::flags:
            out += "FLAGS ";
            append_flag_list(out, m.flags);
            return;
        case Kind::uid:
            out += "UID " + std::to_string(m.uid);
            return;
        case Kind::internal_date:
            out += "INTERNALDATE ";
            append_quoted(out, format_date_time(m.internal_date));
            return;
        case Kind::rfc822_size:
            out += "RFC822.SIZE " + std::to_string(m.size.value_or(m.bytes.size()));
            return;
        case Kind::envelope:
            out += "ENVELOPE " + render_envelope(message.header());
            return;
        case Kind::body:
            out += "BODY " + render_body_structure(message.tree(), message.bytes(), false);
            return;
        case Kind::body_structure:
            out += "BODYSTRUCTURE " + render_body_structure(message.tree(), message.bytes(), true);
            return;
        case Kind::rfc822:
            out += "RFC822 ";
            append_section_data(out, message.bytes());
            return;
        case Kind::rfc822_header:
            out += "RFC822.HEADER ";
            append_section_data(out, message.header_bytes());
            return;
        case Kind::rfc822_text:
            out += "RFC822.TEXT ";
            append_section_data(out, message.text());
            return;
        case Kind::body_section:
            break;
    }
    const SectionData data = compute_section(message, a.section);
    std::string_view octets = data.bytes();
    out += "BODY[" + section_name(a.section) + "]";
    if (a.partial) {
        out += "<" + std::to_string(a.partial->offset) + ">";
        octets = a.partial->offset >= octets.size()
                     ? std::string_view()
                     : octets.substr(a.partial->offset, a.partial->length);
    }
    out += ' ';
    append_section_data(out, octets);
}

}  // namespace

// ---- ParsedMessage -------------------------------------------------------------------------

ParsedMessage::ParsedMessage(std::string_view bytes, MimeLimits limits)
    : bytes_(bytes), limits_(limits) {}

const MimePart& ParsedMessage::tree() {
    if (!tree_) {
        if (auto parsed = parse_message(bytes_, limits_)) {
            tree_ = std::move(*parsed);
        } else {
            tree_ = single_part(bytes_, limits_, true);
            fell_back_ = true;
        }
    }
    return *tree_;
}

const MimePart& ParsedMessage::top() {
    if (tree_) {
        return *tree_;
    }
    if (!top_) {
        top_ = single_part(bytes_, limits_, false);
    }
    return *top_;
}

// ---- The public pieces ---------------------------------------------------------------------

std::string render_envelope(const Header& header) {
    std::string out = "(";
    append_field(out, header, "Date");
    out += ' ';
    append_field(out, header, "Subject");
    out += ' ';
    std::string from;
    append_address_field(from, header, "From");
    out += from;
    // RFC 3501 7.4.2: Sender and Reply-To absent or empty (or, here, unreadable) are From.
    for (std::string_view name : {"Sender", "Reply-To"}) {
        out += ' ';
        const auto value = header.get(name);
        if (!value || !append_address_list(out, *value)) {
            out += from;
        }
    }
    for (std::string_view name : {"To", "Cc", "Bcc"}) {
        out += ' ';
        append_address_field(out, header, name);
    }
    out += ' ';
    append_field(out, header, "In-Reply-To");
    out += ' ';
    append_field(out, header, "Message-ID");
    out += ')';
    return out;
}

std::string render_body_structure(const MimePart& tree, std::string_view bytes,
                                  bool extension_data) {
    std::string out;
    append_body(out, tree, bytes, extension_data);
    return out;
}

std::string section_data(ParsedMessage& message, const Section& section) {
    return std::string(compute_section(message, section).bytes());
}

std::string section_name(const Section& section) {
    std::string out;
    for (std::uint32_t n : section.part) {
        if (!out.empty()) {
            out += '.';
        }
        out += std::to_string(n);
    }
    const auto text = [&](std::string_view word) {
        if (!out.empty()) {
            out += '.';
        }
        out += word;
    };
    switch (section.text) {
        case Section::Text::all:
            break;
        case Section::Text::header:
            text("HEADER");
            break;
        case Section::Text::header_fields:
        case Section::Text::header_fields_not:
            text(section.text == Section::Text::header_fields ? "HEADER.FIELDS"
                                                              : "HEADER.FIELDS.NOT");
            out += " (";
            for (std::size_t i = 0; i < section.fields.size(); ++i) {
                if (i > 0) {
                    out += ' ';
                }
                append_astring(out, section.fields[i]);
            }
            out += ')';
            break;
        case Section::Text::text:
            text("TEXT");
            break;
        case Section::Text::mime:
            text("MIME");
            break;
    }
    return out;
}

std::string render_fetch(std::span<const FetchAttribute> attributes, const FetchMessage& m,
                         const FetchOptions& options) {
    ParsedMessage message(m.bytes, options.limits);
    if (std::any_of(attributes.begin(), attributes.end(), needs_tree)) {
        (void)message.tree();  // before anything reads the header alone
    }
    std::string out = "(";
    const bool asked_uid =
        std::any_of(attributes.begin(), attributes.end(),
                    [](const FetchAttribute& a) { return a.kind == FetchAttribute::Kind::uid; });
    if (options.include_uid && !asked_uid) {
        out += "UID " + std::to_string(m.uid);
    }
    for (const FetchAttribute& a : attributes) {
        if (out.size() > 1) {
            out += ' ';
        }
        append_item(out, a, m, message);
    }
    out += ')';
    return out;
}

bool fetch_sets_seen(std::span<const FetchAttribute> attributes) {
    using Kind = FetchAttribute::Kind;
    return std::any_of(attributes.begin(), attributes.end(), [](const FetchAttribute& a) {
        return a.kind == Kind::rfc822 || a.kind == Kind::rfc822_text ||
               (a.kind == Kind::body_section && !a.peek);
    });
}

bool fetch_needs_message(std::span<const FetchAttribute> attributes) {
    using Kind = FetchAttribute::Kind;
    return std::any_of(attributes.begin(), attributes.end(), [](const FetchAttribute& a) {
        return a.kind != Kind::flags && a.kind != Kind::uid && a.kind != Kind::internal_date &&
               a.kind != Kind::rfc822_size;
    });
}

bool has_bare_lf(std::string_view text) {
    for (std::size_t lf = text.find('\n'); lf != std::string_view::npos;
         lf = text.find('\n', lf + 1)) {
        if (lf == 0 || text[lf - 1] != '\r') {
            return true;
        }
    }
    return false;
}

// Copies the runs between bare LFs whole: messages are mostly CRLF already, and a byte-wise
// copy was a third of a FETCH's time.
std::string to_crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32);
    std::size_t from = 0;
    for (std::size_t lf = text.find('\n'); lf != std::string_view::npos;
         lf = text.find('\n', lf + 1)) {
        if (lf > 0 && text[lf - 1] == '\r') {
            continue;
        }
        out.append(text.substr(from, lf - from));
        out += "\r\n";
        from = lf + 1;
    }
    out.append(text.substr(from));
    return out;
}

}  // namespace l7::mail::imap
