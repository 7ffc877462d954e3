#include "mail/mime.hpp"

#include <algorithm>
#include <map>

#include "core/hex.hpp"
#include "mail/cfws.hpp"
#include "mail/encoded_word.hpp"

namespace l7::mail {
namespace {

// A longer RFC 2231 section is split so that a header can fold between sections.
constexpr std::size_t kParameterSectionLength = 60;
// Comments nest; a Content-Type deeper than this is not worth reading.
constexpr int kMaxCommentNesting = 32;

// RFC 2045 5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials>.
bool is_token_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F &&
           std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0 &&
            hex_digit_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit_value(s[i + 1]) << 4 | hex_digit_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];  // a malformed escape is kept
        }
    }
    return out;
}

std::string_view trim(std::string_view s) {
    const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && ws(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && ws(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// Reads a structured MIME field value: tokens, quoted strings and CFWS.
class FieldReader {
  public:
    explicit FieldReader(std::string_view text) : s_(text) {}

    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }
    void advance() { ++pos_; }

    // Whitespace and comments; an unterminated comment runs to the end.
    void skip_cfws() { (void)mail::skip_cfws(s_, pos_, kMaxCommentNesting); }

    std::string_view token() {
        const std::size_t begin = pos_;
        while (!at_end() && is_token_char(s_[pos_])) {
            ++pos_;
        }
        return s_.substr(begin, pos_ - begin);
    }

    // At '"': the content; an unterminated quoted string runs to the end.
    std::string quoted_string() {
        std::string out;
        ++pos_;
        while (!at_end()) {
            const char c = s_[pos_++];
            if (c == '"') {
                break;
            }
            if (c == '\\' && !at_end()) {
                out += s_[pos_++];
            } else if (c != '\r' && c != '\n') {
                out += c;
            }
        }
        return out;
    }

    // An unquoted value, leniently: up to ';' or a comment, trimmed.
    std::string_view loose_value() {
        const std::size_t begin = pos_;
        while (!at_end() && s_[pos_] != ';' && s_[pos_] != '(') {
            ++pos_;
        }
        return trim(s_.substr(begin, pos_ - begin));
    }

    // Past the next ';' (or to the end), for recovering from a malformed parameter.
    void skip_past_semicolon() {
        while (!at_end() && s_[pos_] != ';') {
            if (s_[pos_] == '"') {
                quoted_string();
            } else if (s_[pos_] == '(') {
                skip_comment();
            } else {
                ++pos_;
            }
        }
        if (!at_end()) {
            ++pos_;
        }
    }

  private:
    void skip_comment() { (void)mail::skip_comment(s_, pos_, kMaxCommentNesting); }

    std::string_view s_;
    std::size_t pos_ = 0;
};

struct RawParameter {
    std::string name;  // lowercased, as written (with any '*' and section)
    std::string value;
};

// ";" parameter pairs up to the end, malformed ones skipped.
std::vector<RawParameter> read_parameters(FieldReader& r) {
    std::vector<RawParameter> out;
    r.skip_past_semicolon();  // whatever followed the type, up to the first ';'
    while (!r.at_end() && out.size() < kMaxParameters * 4) {
        r.skip_cfws();
        const std::string_view name = r.token();
        r.skip_cfws();
        if (name.empty() || r.peek() != '=') {
            r.skip_past_semicolon();
            continue;
        }
        r.advance();
        r.skip_cfws();
        RawParameter p{ascii_lowercase(name), {}};
        p.value = r.peek() == '"' ? r.quoted_string() : std::string(r.loose_value());
        out.push_back(std::move(p));
        r.skip_past_semicolon();
    }
    return out;
}

// RFC 2231 section 3: "name*N" or "name*N*" splits into name and N; "name*" is N = 0,
// extended. is_section stays false when the '*' part is not of that form (or N is too big):
// such a name is an ordinary one.
struct SectionName {
    std::string_view base;
    std::size_t section = 0;
    bool extended = false;  // "*" at the end: charset'language'%XX
    bool is_section = false;
};

SectionName split_section_name(std::string_view name) {
    SectionName out{name, 0, false, false};
    const std::size_t star = name.find('*');
    if (star == std::string_view::npos || star == 0) {
        return out;
    }
    std::string_view rest = name.substr(star + 1);
    SectionName s{name.substr(0, star), 0, false, true};
    if (rest.empty()) {
        s.extended = true;  // name*=: a single extended value
        return s;
    }
    if (rest.back() == '*') {
        s.extended = true;
        rest.remove_suffix(1);
    }
    if (rest.empty() || rest.size() > 3 || (rest.size() > 1 && rest.front() == '0') ||
        !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return out;  // not RFC 2231: keep the name as it is
    }
    for (char c : rest) {
        s.section = s.section * 10 + static_cast<std::size_t>(c - '0');
    }
    if (s.section >= kMaxParameterSections) {
        return out;
    }
    return s;
}

std::vector<MimeParameter> decode_parameters(const std::vector<RawParameter>& raw) {
    struct Sections {
        std::map<std::size_t, std::pair<bool, std::string>> parts;  // section: extended, value
    };
    std::vector<MimeParameter> out;
    std::vector<std::pair<std::string, Sections>> extended;  // in order of first appearance
    for (const RawParameter& p : raw) {
        const SectionName sn = split_section_name(p.name);
        if (!sn.is_section) {
            if (!find_parameter(out, p.name) && out.size() < kMaxParameters) {
                std::string value = p.value;
                if (p.name == "name" || p.name == "filename") {
                    value = decode_encoded_words(value);
                }
                out.push_back(MimeParameter{p.name, std::move(value), {}, {}});
            }
            continue;
        }
        auto it = std::find_if(extended.begin(), extended.end(),
                               [&](const auto& e) { return e.first == sn.base; });
        if (it == extended.end()) {
            if (extended.size() == kMaxParameters) {
                continue;
            }
            extended.emplace_back(std::string(sn.base), Sections{});
            it = std::prev(extended.end());
        }
        it->second.parts.emplace(sn.section, std::make_pair(sn.extended, p.value));
    }
    for (const auto& entry : extended) {
        // Not a structured binding: clang before 16 cannot capture one in a lambda.
        const std::string& name = entry.first;
        const Sections& sections = entry.second;
        MimeParameter param{name, {}, {}, {}};
        std::string bytes;
        for (std::size_t n = 0;; ++n) {
            auto part = sections.parts.find(n);
            if (part == sections.parts.end()) {
                break;  // section 3: the sections run from 0 without a gap
            }
            std::string_view value = part->second.second;
            if (part->second.first && n == 0) {
                // charset'language'encoded, both quotes required; without them, no charset.
                const std::size_t q1 = value.find('\'');
                const std::size_t q2 = q1 == std::string_view::npos ? q1 : value.find('\'', q1 + 1);
                if (q2 != std::string_view::npos) {
                    param.charset = value.substr(0, q1);
                    param.language = value.substr(q1 + 1, q2 - q1 - 1);
                    value.remove_prefix(q2 + 1);
                }
            }
            bytes += part->second.first ? percent_decode(value) : std::string(value);
        }
        if (sections.parts.find(0) == sections.parts.end()) {
            continue;
        }
        // No charset, or one we do not know: the bytes as they are (the charset tells).
        auto utf8 = param.charset.empty() ? std::nullopt : charset_to_utf8(param.charset, bytes);
        param.value = utf8 ? std::move(*utf8) : std::move(bytes);
        auto plain = std::find_if(out.begin(), out.end(),
                                  [&](const MimeParameter& p) { return p.name == name; });
        if (plain != out.end()) {
            *plain = std::move(param);  // RFC 2231's value is the better one
        } else if (out.size() < kMaxParameters) {
            out.push_back(std::move(param));
        }
    }
    return out;
}

MimeError from_header_error(HeaderError e) {
    switch (e) {
        case HeaderError::too_many_fields:
            return MimeError::too_many_header_fields;
        case HeaderError::line_too_long:
            return MimeError::header_line_too_long;
        default:
            return MimeError::header_section_too_large;
    }
}

std::size_t count_lines(std::string_view body) {
    const auto breaks = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
    return breaks + (!body.empty() && body.back() != '\n' ? 1 : 0);
}

ContentType digest_default() {
    ContentType ct;
    ct.type = "message";
    ct.subtype = "rfc822";
    ct.parameters.clear();
    return ct;
}

struct Range {
    std::size_t begin = 0, end = 0;
};

// The parts of a multipart body [begin, end) by RFC 2046 5.1.1: a delimiter line is
// "--boundary", "--" more for the last, then optional whitespace, at the start of a line; the
// line break before it belongs to it.
std::vector<Range> split_multipart(std::string_view message, Range body, std::string_view boundary,
                                   std::size_t max_parts) {
    std::vector<Range> parts;
    const std::string delimiter = "--" + std::string(boundary);
    std::optional<std::size_t> part_begin;  // set once the first delimiter was seen
    std::size_t from = body.begin;
    while (from < body.end) {
        const std::size_t at = message.find(delimiter, from);
        if (at == std::string_view::npos || at + delimiter.size() > body.end) {
            break;
        }
        from = at + 1;
        if (at != body.begin && message[at - 1] != '\n') {
            continue;  // not at the start of a line
        }
        std::size_t p = at + delimiter.size();
        const bool close = message.compare(p, 2, "--") == 0 && p + 2 <= body.end;
        if (close) {
            p += 2;
        }
        while (p < body.end && (message[p] == ' ' || message[p] == '\t')) {
            ++p;
        }
        std::size_t line_end = p;
        if (p == body.end) {
            line_end = p;
        } else if (message[p] == '\n') {
            line_end = p + 1;
        } else if (message[p] == '\r' && p + 1 < body.end && message[p + 1] == '\n') {
            line_end = p + 2;
        } else {
            continue;  // "--boundary" followed by other text: not a delimiter
        }
        if (part_begin) {
            std::size_t part_end = at;
            if (at > *part_begin && message[at - 1] == '\n') {
                --part_end;
                if (part_end > *part_begin && message[part_end - 1] == '\r') {
                    --part_end;
                }
            }
            parts.push_back(Range{*part_begin, part_end});
            if (parts.size() > max_parts) {
                return parts;  // the caller reports too_many_parts
            }
        }
        if (close) {
            return parts;  // the epilogue follows
        }
        part_begin = line_end;
        from = line_end;
    }
    if (part_begin) {
        parts.push_back(Range{*part_begin, body.end});  // no close delimiter
    }
    return parts;
}

class TreeParser {
  public:
    TreeParser(std::string_view message, const MimeLimits& limits) : m_(message), limits_(limits) {}

    Result<MimePart, MimeError> entity(Range range, std::size_t depth,
                                       const ContentType& fallback) {
        if (depth > limits_.max_depth) {
            return MimeError::too_deep;
        }
        if (++parts_ > limits_.max_parts) {
            return MimeError::too_many_parts;
        }
        auto parsed = parse_header(m_.substr(range.begin, range.end - range.begin), limits_.header);
        if (!parsed) {
            return from_header_error(parsed.error());
        }
        MimePart part;
        part.header = std::move(parsed->header);
        part.offset = range.begin;
        part.body_offset = range.begin + parsed->body_offset;
        part.body_size = range.end - part.body_offset;
        part.body_lines = count_lines(part.body(m_));
        part.content_type = fallback;
        if (auto value = part.header.get("Content-Type")) {
            auto ct = parse_content_type(*value);
            part.content_type = ct ? std::move(*ct) : ContentType{};
        }
        if (auto value = part.header.get("Content-Disposition")) {
            if (auto cd = parse_content_disposition(*value)) {
                part.disposition = std::move(*cd);
            }
        }
        if (auto value = part.header.get("Content-Transfer-Encoding")) {
            FieldReader r(*value);
            r.skip_cfws();
            const std::string_view token = r.token();
            if (!token.empty()) {
                part.transfer_encoding = ascii_lowercase(token);
            }
        }
        const Range body{part.body_offset, range.end};
        if (part.content_type.is_multipart()) {
            const auto boundary = part.content_type.parameter("boundary");
            if (boundary && !boundary->empty() && boundary->size() <= kMaxBoundaryLength) {
                const ContentType child_fallback =
                    part.content_type.subtype == "digest" ? digest_default() : ContentType{};
                for (Range r : split_multipart(m_, body, *boundary, limits_.max_parts)) {
                    auto child = entity(r, depth + 1, child_fallback);
                    if (!child) {
                        return child.error();
                    }
                    part.children.push_back(std::move(*child));
                }
            }
        } else if (part.content_type.is_encapsulated_message()) {
            const TransferEncoding te = parse_transfer_encoding(part.transfer_encoding);
            if (te != TransferEncoding::base64 && te != TransferEncoding::quoted_printable) {
                auto child = entity(body, depth + 1, ContentType{});
                if (!child) {
                    return child.error();
                }
                part.children.push_back(std::move(*child));
            }
        }
        return part;
    }

  private:
    std::string_view m_;
    const MimeLimits& limits_;
    std::size_t parts_ = 0;
};

bool is_multipart_node(const MimePart& p) {
    return p.content_type.is_multipart();
}

// The part `section` names below `part` (a part, not a message), or nullptr.
const MimePart* resolve_in_message(const MimePart& message, std::span<const unsigned> section);

const MimePart* resolve_in_part(const MimePart& part, std::span<const unsigned> section) {
    if (section.empty()) {
        return &part;
    }
    if (part.content_type.is_encapsulated_message()) {
        return part.children.empty() ? nullptr : resolve_in_message(part.children.front(), section);
    }
    if (is_multipart_node(part)) {
        const unsigned n = section.front();
        if (n == 0 || n > part.children.size()) {
            return nullptr;
        }
        return resolve_in_part(part.children[n - 1], section.subspan(1));
    }
    return nullptr;
}

const MimePart* resolve_in_message(const MimePart& message, std::span<const unsigned> section) {
    if (section.empty()) {
        return nullptr;
    }
    const unsigned n = section.front();
    if (is_multipart_node(message)) {
        if (n == 0 || n > message.children.size()) {
            return nullptr;
        }
        return resolve_in_part(message.children[n - 1], section.subspan(1));
    }
    // A message that is not multipart has one part: itself, seen as its body.
    return n == 1 ? resolve_in_part(message, section.subspan(1)) : nullptr;
}

void number_in_part(const MimePart& part, const std::string& number,
                    std::vector<NumberedPart>& out);

void number_in_message(const MimePart& message, const std::string& prefix,
                       std::vector<NumberedPart>& out) {
    if (is_multipart_node(message)) {
        for (std::size_t i = 0; i < message.children.size(); ++i) {
            number_in_part(message.children[i], prefix + std::to_string(i + 1), out);
        }
    } else {
        number_in_part(message, prefix + "1", out);
    }
}

void number_in_part(const MimePart& part, const std::string& number,
                    std::vector<NumberedPart>& out) {
    out.push_back(NumberedPart{number, &part});
    if (part.content_type.is_encapsulated_message()) {
        if (!part.children.empty()) {
            number_in_message(part.children.front(), number + ".", out);
        }
    } else if (is_multipart_node(part)) {
        for (std::size_t i = 0; i < part.children.size(); ++i) {
            number_in_part(part.children[i], number + "." + std::to_string(i + 1), out);
        }
    }
}

}  // namespace

std::optional<std::string_view> find_parameter(std::span<const MimeParameter> parameters,
                                               std::string_view name) {
    for (const MimeParameter& p : parameters) {
        if (iequals(p.name, name)) {
            return std::string_view(p.value);
        }
    }
    return std::nullopt;
}

std::string_view describe(MimeError e) {
    switch (e) {
        case MimeError::malformed_content_type:
            return "malformed Content-Type";
        case MimeError::malformed_content_disposition:
            return "malformed Content-Disposition";
        case MimeError::header_section_too_large:
            return "header section too large";
        case MimeError::too_many_header_fields:
            return "too many header fields";
        case MimeError::header_line_too_long:
            return "header line too long";
        case MimeError::too_deep:
            return "MIME parts nested too deeply";
        case MimeError::too_many_parts:
            return "too many MIME parts";
    }
    return "bad MIME structure";
}

Result<ContentType, MimeError> parse_content_type(std::string_view value) {
    FieldReader r(value);
    r.skip_cfws();
    const std::string_view type = r.token();
    r.skip_cfws();
    if (type.empty() || r.peek() != '/') {
        return MimeError::malformed_content_type;
    }
    r.advance();
    r.skip_cfws();
    const std::string_view subtype = r.token();
    if (subtype.empty()) {
        return MimeError::malformed_content_type;
    }
    ContentType ct;
    ct.type = ascii_lowercase(type);
    ct.subtype = ascii_lowercase(subtype);
    ct.parameters = decode_parameters(read_parameters(r));
    return ct;
}

Result<ContentDisposition, MimeError> parse_content_disposition(std::string_view value) {
    FieldReader r(value);
    r.skip_cfws();
    const std::string_view type = r.token();
    if (type.empty()) {
        return MimeError::malformed_content_disposition;
    }
    ContentDisposition cd;
    cd.type = ascii_lowercase(type);
    cd.parameters = decode_parameters(read_parameters(r));
    return cd;
}

std::string format_parameter(std::string_view name, std::string_view value) {
    // Printable ASCII, and nothing a reader would take for an encoded word (see above).
    const bool plain = std::all_of(value.begin(), value.end(),
                                   [](char c) {
                                       const auto u = static_cast<unsigned char>(c);
                                       return (u >= 0x20 && u < 0x7F) || c == '\t';
                                   }) &&
                       value.find("=?") == std::string_view::npos;
    if (plain && value.size() <= kParameterSectionLength * 2) {
        if (is_token(value)) {
            return std::string(name) + "=" + std::string(value);
        }
        std::string out = std::string(name) + "=\"";
        for (char c : value) {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += c;
        }
        return out + "\"";
    }
    // RFC 2231 sections 3 and 4: percent-encoded UTF-8, split anywhere but inside an escape
    // (the sections are joined before decoding). A value too long for kMaxParameterSections
    // sections of the usual length gets longer sections, since readers ignore any beyond.
    std::string encoded = "UTF-8''";
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (is_token_char(c) && c != '*' && c != '\'' && c != '%') {
            encoded += c;
        } else {
            encoded += '%';
            encoded += kUpperHexDigits[u >> 4];
            encoded += kUpperHexDigits[u & 15];
        }
    }
    const std::size_t length =
        std::max(kParameterSectionLength, encoded.size() / kMaxParameterSections + 3);
    std::vector<std::string_view> sections;
    for (std::size_t begin = 0; begin < encoded.size();) {
        std::size_t end = std::min(begin + length, encoded.size());
        if (end < encoded.size()) {
            // Back off to the start of an escape cut in two.
            for (std::size_t k = 1; k <= 2 && end - k > begin; ++k) {
                if (encoded[end - k] == '%') {
                    end -= k;
                    break;
                }
            }
        }
        sections.push_back(std::string_view(encoded).substr(begin, end - begin));
        begin = end;
    }
    if (sections.size() == 1) {
        return std::string(name) + "*=" + std::string(sections.front());
    }
    std::string out;
    for (std::size_t i = 0; i < sections.size(); ++i) {
        if (i > 0) {
            out += "; ";
        }
        out += std::string(name) + "*" + std::to_string(i) + "*=";
        out += sections[i];
    }
    return out;
}

std::string MimePart::filename() const {
    if (disposition) {
        if (auto name = disposition->parameter("filename")) {
            return std::string(*name);
        }
    }
    return std::string(content_type.parameter("name").value_or(""));
}

Result<MimePart, MimeError> parse_message(std::string_view message, const MimeLimits& limits) {
    TreeParser parser(message, limits);
    return parser.entity(Range{0, message.size()}, 0, ContentType{});
}

Result<std::string, TransferError> decode_body(const MimePart& part, std::string_view message) {
    return decode_transfer_encoding(part.body(message), part.transfer_encoding);
}

const MimePart* find_part(const MimePart& message, std::span<const unsigned> section) {
    return resolve_in_message(message, section);
}

const MimePart* find_part(const MimePart& message, std::string_view section) {
    std::vector<unsigned> numbers;
    std::size_t begin = 0;
    for (;;) {
        const std::size_t dot = section.find('.', begin);
        const std::string_view digits = section.substr(begin, dot - begin);
        // nz-number: no leading zero, and short enough not to overflow.
        if (digits.empty() || digits.size() > 9 || digits.front() == '0' ||
            !std::all_of(digits.begin(), digits.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
            return nullptr;
        }
        unsigned n = 0;
        for (char c : digits) {
            n = n * 10 + static_cast<unsigned>(c - '0');
        }
        numbers.push_back(n);
        if (dot == std::string_view::npos) {
            break;
        }
        begin = dot + 1;
    }
    return find_part(message, numbers);
}

std::vector<NumberedPart> number_parts(const MimePart& message) {
    std::vector<NumberedPart> out;
    number_in_message(message, "", out);
    return out;
}

}  // namespace l7::mail
