#include "mail/smtp/command.hpp"

#include <array>
#include <limits>
#include <utility>

namespace l7::mail {
namespace {

constexpr EnhancedStatus kSyntax{5, 5, 2};        // RFC 3463 5.5.2: syntax error
constexpr EnhancedStatus kBadArguments{5, 5, 4};  // 5.5.4: invalid command arguments
constexpr EnhancedStatus kBadSender{5, 1, 7};     // 5.1.7: bad sender's address syntax
constexpr EnhancedStatus kBadRecipient{5, 1, 3};  // 5.1.3: bad destination address syntax
constexpr EnhancedStatus kTooBig{5, 3, 4};        // 5.3.4: message too big for system

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string uppercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = upper(c);
    }
    return out;
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_let_dig(char c) {
    return is_alpha(c) || is_digit(c);
}

bool is_non_ascii(char c) {
    return static_cast<unsigned char>(c) >= 0x80;
}

// RFC 5322 3.2.3 atext, which RFC 5321 4.1.2 uses for the atoms of a Dot-string.
bool is_atext(char c) {
    static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
    return is_let_dig(c) || kSpecials.find(c) != std::string_view::npos;
}

// The length of the well-formed UTF-8 sequence (RFC 3629 section 4) that starts at s[i], a
// byte >= 0x80; 0 when it is none (a stray continuation byte, an overlong form, a
// surrogate, beyond U+10FFFF, or cut short).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        n = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        n = 3;
        lo = b0 == 0xe0 ? 0xa0 : 0x80;  // no overlong three-byte forms
        hi = b0 == 0xed ? 0x9f : 0xbf;  // no surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        n = 4;
        lo = b0 == 0xf0 ? 0x90 : 0x80;  // no overlong four-byte forms
        hi = b0 == 0xf4 ? 0x8f : 0xbf;  // nothing beyond U+10FFFF
    } else {
        return 0;
    }
    if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) {
        return 0;
    }
    for (std::size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) {
            return 0;
        }
    }
    return n;
}

// Reads the characters of one element of an address from s[pos]: ASCII ones that `accept`
// takes, and (when `utf8`) well-formed UTF-8 sequences, which set `non_ascii`.
template <class Accept>
std::size_t scan(std::string_view s, std::size_t pos, Accept accept, bool& non_ascii) {
    std::size_t i = pos;
    while (i < s.size()) {
        if (is_non_ascii(s[i])) {
            const std::size_t n = utf8_sequence(s, i);
            if (n == 0) {
                break;
            }
            non_ascii = true;
            i += n;
        } else if (accept(s[i])) {
            ++i;
        } else {
            break;
        }
    }
    return i - pos;
}

// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2), or a
// U-label (RFC 6531 3.3), read here as UTF-8 letters. Advances `pos`; false if malformed.
bool read_domain(std::string_view s, std::size_t& pos, bool& non_ascii) {
    const std::size_t start = pos;
    while (true) {
        const std::size_t label_start = pos;
        if (pos >= s.size() || !(is_let_dig(s[pos]) || is_non_ascii(s[pos]))) {
            return false;
        }
        pos += scan(
            s, pos, [](char c) { return is_let_dig(c) || c == '-'; }, non_ascii);
        if (pos == label_start || s[pos - 1] == '-' || pos - label_start > kSmtpMaxLabel) {
            return false;
        }
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            continue;
        }
        return pos - start <= kSmtpMaxDomain;
    }
}

// Snum 3("." Snum), Snum = 1*3DIGIT of value 0 to 255.
bool is_ipv4_literal(std::string_view a) {
    std::size_t parts = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t digits = 0;
        unsigned value = 0;
        while (i < a.size() && is_digit(a[i]) && digits < 4) {
            value = value * 10 + static_cast<unsigned>(a[i] - '0');
            ++digits;
            ++i;
        }
        if (digits == 0 || digits > 3 || value > 255) {
            return false;
        }
        if (++parts == 4) {
            return i == a.size();
        }
        if (i >= a.size() || a[i] != '.') {
            return false;
        }
        ++i;
    }
}

// Groups of 1*4HEXDIG separated by ':', the last possibly an IPv4 address (counted as two
// groups) when `may_end_in_ipv4`. Adds the count to `groups`; false if malformed.
bool count_ipv6_groups(std::string_view part, bool may_end_in_ipv4, std::size_t& groups) {
    if (part.empty()) {
        return true;
    }
    while (true) {
        const std::size_t colon = part.find(':');
        const std::string_view piece = part.substr(0, colon);
        if (colon == std::string_view::npos && may_end_in_ipv4 &&
            piece.find('.') != std::string_view::npos) {
            groups += 2;
            return is_ipv4_literal(piece);
        }
        if (piece.empty() || piece.size() > 4) {
            return false;
        }
        for (char c : piece) {
            if (!is_hex(c)) {
                return false;
            }
        }
        ++groups;
        if (colon == std::string_view::npos) {
            return true;
        }
        part.remove_prefix(colon + 1);
    }
}

// RFC 5321 4.1.3 IPv6-addr: eight groups, or fewer around one "::" that stands for at least
// two, and either form ending in an IPv4 address.
bool is_ipv6_address(std::string_view a) {
    const std::size_t gap = a.find("::");
    std::size_t groups = 0;
    if (gap == std::string_view::npos) {
        return count_ipv6_groups(a, true, groups) && groups == 8;
    }
    if (a.find("::", gap + 1) != std::string_view::npos) {
        return false;
    }
    return count_ipv6_groups(a.substr(0, gap), false, groups) &&
           count_ipv6_groups(a.substr(gap + 2), true, groups) && groups <= 6;
}

// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]". The General-
// address-literal of 4.1.3 needs a tag registered with IANA, and none other than IPv6 is.
bool read_address_literal(std::string_view s, std::size_t& pos) {
    if (pos >= s.size() || s[pos] != '[') {
        return false;
    }
    const std::size_t close = s.find(']', pos);
    if (close == std::string_view::npos) {
        return false;
    }
    const std::string_view inside = s.substr(pos + 1, close - pos - 1);
    const bool ok = is_ipv4_literal(inside) ||
                    (istarts_with(inside, "IPv6:") && is_ipv6_address(inside.substr(5)));
    pos = close + 1;
    return ok;
}

// Local-part = Dot-string / Quoted-string (RFC 5321 4.1.2, with RFC 6531's UTF-8).
bool read_local_part(std::string_view s, std::size_t& pos, bool& non_ascii) {
    if (pos < s.size() && s[pos] == '"') {
        ++pos;
        while (pos < s.size()) {
            const char c = s[pos];
            if (c == '"') {
                ++pos;
                return true;
            }
            if (c == '\\') {
                // quoted-pairSMTP = %d92 %d32-126
                if (pos + 1 >= s.size() || s[pos + 1] < 32 || s[pos + 1] > 126) {
                    return false;
                }
                pos += 2;
            } else if (is_non_ascii(c)) {
                const std::size_t n = utf8_sequence(s, pos);
                if (n == 0) {
                    return false;
                }
                non_ascii = true;
                pos += n;
            } else if (c >= 32 && c <= 126) {  // qtextSMTP: printable but '"' and '\'
                ++pos;
            } else {
                return false;
            }
        }
        return false;
    }
    while (true) {
        const std::size_t n = scan(s, pos, is_atext, non_ascii);
        if (n == 0) {
            return false;
        }
        pos += n;
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            continue;
        }
        return true;
    }
}

enum class PathKind { reverse, forward };

struct ParsedPath {
    SmtpPath path;
    std::string_view rest;  // after the '>'
};

// Path = "<" [ A-d-l ":" ] Mailbox ">", plus "<>" (reverse) and "<postmaster>" (forward).
std::optional<ParsedPath> read_path(std::string_view s, PathKind kind) {
    if (s.empty() || s[0] != '<') {
        return std::nullopt;
    }
    if (kind == PathKind::reverse && s.substr(0, 2) == "<>") {
        return ParsedPath{SmtpPath{}, s.substr(2)};
    }
    bool non_ascii = false;
    std::size_t pos = 1;
    if (pos < s.size() && s[pos] == '@') {
        // A-d-l = At-domain *( "," At-domain ) ":", which 4.1.1.3 says to accept and ignore.
        while (true) {
            ++pos;  // '@'
            if (!read_domain(s, pos, non_ascii)) {
                return std::nullopt;
            }
            if (pos < s.size() && s[pos] == ',') {
                ++pos;
                if (pos >= s.size() || s[pos] != '@') {
                    return std::nullopt;
                }
                continue;
            }
            if (pos >= s.size() || s[pos] != ':') {
                return std::nullopt;
            }
            ++pos;
            break;
        }
        non_ascii = false;  // the route is dropped, and with it what it held
    }
    const std::size_t mailbox_start = pos;
    constexpr std::string_view kPostmaster = "postmaster";
    if (kind == PathKind::forward && istarts_with(s.substr(pos), kPostmaster) &&
        s.substr(pos + kPostmaster.size(), 1) == ">") {
        pos += kPostmaster.size();  // RFC 5321 4.5.1: "<Postmaster>", any case, no domain
    } else {
        if (!read_local_part(s, pos, non_ascii) || pos >= s.size() || s[pos] != '@') {
            return std::nullopt;
        }
        ++pos;
        const bool domain_ok = pos < s.size() && s[pos] == '[' ? read_address_literal(s, pos)
                                                               : read_domain(s, pos, non_ascii);
        if (!domain_ok) {
            return std::nullopt;
        }
    }
    if (pos >= s.size() || s[pos] != '>' || pos + 1 > kSmtpMaxPath) {
        return std::nullopt;
    }
    SmtpPath path{std::string(s.substr(mailbox_start, pos - mailbox_start)), non_ascii};
    return ParsedPath{std::move(path), s.substr(pos + 1)};
}

// esmtp-param *(SP esmtp-param), after the path. esmtp-keyword = (ALPHA / DIGIT)
// *(ALPHA / DIGIT / "-"); esmtp-value = 1*(%d33-60 / %d62-126), and UTF-8 (RFC 6531 3.3).
// Runs of spaces are taken as one.
std::optional<std::vector<SmtpParameter>> read_parameters(std::string_view s) {
    std::vector<SmtpParameter> out;
    if (s.empty()) {
        return out;
    }
    if (s[0] != ' ') {
        return std::nullopt;  // the path must be followed by a space or the end
    }
    while (!s.empty()) {
        if (s[0] == ' ') {
            s.remove_prefix(1);
            continue;
        }
        const std::size_t end = std::min(s.find(' '), s.size());
        const std::string_view token = s.substr(0, end);
        s.remove_prefix(end);
        const std::size_t eq = token.find('=');
        const std::string_view keyword = token.substr(0, eq);
        if (keyword.empty() || !is_let_dig(keyword[0])) {
            return std::nullopt;
        }
        for (char c : keyword) {
            if (!is_let_dig(c) && c != '-') {
                return std::nullopt;
            }
        }
        SmtpParameter p{uppercase(keyword), std::nullopt};
        if (eq != std::string_view::npos) {
            const std::string_view value = token.substr(eq + 1);
            bool non_ascii = false;
            const auto is_value_char = [](char c) { return c >= 33 && c <= 126 && c != '='; };
            if (value.empty() || scan(value, 0, is_value_char, non_ascii) != value.size()) {
                return std::nullopt;
            }
            p.value = std::string(value);
        }
        for (const auto& seen : out) {
            if (seen.keyword == p.keyword) {
                return std::nullopt;  // a repeated parameter: which one would count?
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

// HELO/EHLO take a Domain or an address-literal (4.1.1.1). Held less strictly than paths:
// the name is the client's description of itself, recorded in the Received field and never
// used to route mail, and clients send what their host is called (underscores, bare IP
// addresses). What gets through is one token of letters, digits, '-', '.' and '_', or a
// bracketed literal of dcontent (%d33-90 / %d94-126), either at most 255 octets.
bool is_client_name(std::string_view name) {
    if (name.empty() || name.size() > kSmtpMaxDomain) {
        return false;
    }
    if (name.front() == '[') {
        if (name.size() < 3 || name.back() != ']') {
            return false;
        }
        for (char c : name.substr(1, name.size() - 2)) {
            if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') {
                return false;
            }
        }
        return true;
    }
    for (char c : name) {
        if (!is_let_dig(c) && c != '-' && c != '.' && c != '_') {
            return false;
        }
    }
    return true;
}

// RFC 4422 3.1: sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / "-" / "_"
// (matched case-insensitively, as RFC 4954 section 4 says).
bool is_sasl_mechanism_name(std::string_view name) {
    if (name.empty() || name.size() > 20) {
        return false;
    }
    for (char c : name) {
        if (!is_let_dig(c) && c != '-' && c != '_') {
            return false;
        }
    }
    return true;
}

struct VerbName {
    std::string_view name;
    SmtpVerb verb;
};

constexpr std::array<VerbName, 25> kVerbs = {{
    {"EHLO", SmtpVerb::ehlo},
    {"HELO", SmtpVerb::helo},
    {"MAIL", SmtpVerb::mail},
    {"RCPT", SmtpVerb::rcpt},
    {"DATA", SmtpVerb::data},
    {"RSET", SmtpVerb::rset},
    {"NOOP", SmtpVerb::noop},
    {"QUIT", SmtpVerb::quit},
    {"VRFY", SmtpVerb::vrfy},
    {"EXPN", SmtpVerb::expn},
    {"HELP", SmtpVerb::help},
    {"AUTH", SmtpVerb::auth},
    {"STARTTLS", SmtpVerb::starttls},
    {"BDAT", SmtpVerb::bdat},
    {"TURN", SmtpVerb::not_implemented},
    {"ETRN", SmtpVerb::not_implemented},
    {"ATRN", SmtpVerb::not_implemented},
    {"SEND", SmtpVerb::not_implemented},
    {"SOML", SmtpVerb::not_implemented},
    {"SAML", SmtpVerb::not_implemented},
    {"GET", SmtpVerb::http},
    {"HEAD", SmtpVerb::http},
    {"POST", SmtpVerb::http},
    {"PUT", SmtpVerb::http},
    {"CONNECT", SmtpVerb::http},
}};

std::string_view verb_word(std::string_view line) {
    return line.substr(0, line.find(' '));
}

SmtpReply bad_arguments(std::string text) {
    return smtp_reply(501, kBadArguments, std::move(text));
}

}  // namespace

std::optional<SmtpVerb> smtp_verb_of(std::string_view line) {
    const std::string_view word = verb_word(line);
    for (const auto& v : kVerbs) {
        if (iequals(word, v.name)) {
            return v.verb;
        }
    }
    return std::nullopt;
}

std::size_t smtp_line_limit(SmtpVerb verb) {
    switch (verb) {
        case SmtpVerb::mail:
        case SmtpVerb::rcpt:
            return kSmtpMaxMailCommandLine;
        case SmtpVerb::auth:
            return kSmtpMaxAuthLine;
        default:
            return kSmtpMaxCommandLine;
    }
}

Result<SmtpCommand, SmtpReply> parse_smtp_command(std::string_view line) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);  // trailing blanks: harmless, and some clients send them
    }
    const auto verb = smtp_verb_of(line);
    if (!verb) {
        return smtp_reply(500, kSyntax, "Command not recognized");
    }
    const std::string_view word = verb_word(line);
    const std::string_view rest =
        word.size() < line.size() ? line.substr(word.size() + 1) : std::string_view();
    SmtpCommand cmd;
    cmd.verb = *verb;
    switch (*verb) {
        case SmtpVerb::ehlo:
        case SmtpVerb::helo:
            if (!is_client_name(rest)) {
                return bad_arguments("Syntax: " + uppercase(word) + " hostname");
            }
            cmd.argument = rest;
            break;
        case SmtpVerb::mail:
        case SmtpVerb::rcpt: {
            const bool mail = *verb == SmtpVerb::mail;
            const std::string_view keyword = mail ? "FROM:" : "TO:";
            const SmtpReply bad_path =
                mail ? smtp_reply(501, kBadSender, "Bad sender address syntax")
                     : smtp_reply(501, kBadRecipient, "Bad recipient address syntax");
            if (!istarts_with(rest, keyword)) {
                return bad_arguments(mail ? "Syntax: MAIL FROM:<address>"
                                          : "Syntax: RCPT TO:<address>");
            }
            std::string_view arg = rest.substr(keyword.size());
            while (!arg.empty() && arg.front() == ' ') {
                arg.remove_prefix(1);  // "MAIL FROM: <a@b>": common, and unambiguous
            }
            auto path = read_path(arg, mail ? PathKind::reverse : PathKind::forward);
            if (!path || (!path->rest.empty() && path->rest.front() != ' ')) {
                return bad_path;
            }
            auto params = read_parameters(path->rest);
            if (!params) {
                return bad_arguments("Bad parameter syntax");
            }
            cmd.path = std::move(path->path);
            cmd.parameters = std::move(*params);
            break;
        }
        case SmtpVerb::data:
        case SmtpVerb::rset:
        case SmtpVerb::quit:
        case SmtpVerb::starttls:
            if (word.size() < line.size()) {
                return bad_arguments("Syntax: " + uppercase(word) + " (no arguments)");
            }
            break;
        case SmtpVerb::vrfy:
        case SmtpVerb::expn:
            if (rest.empty()) {
                return bad_arguments("Syntax: " + uppercase(word) + " string");
            }
            cmd.argument = rest;
            break;
        case SmtpVerb::noop:
        case SmtpVerb::help:
        case SmtpVerb::bdat:
            cmd.argument = rest;
            break;
        case SmtpVerb::auth: {
            const std::size_t space = rest.find(' ');
            const std::string_view mechanism = rest.substr(0, space);
            const std::string_view response =
                space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
            if (!is_sasl_mechanism_name(mechanism) ||
                (space != std::string_view::npos &&
                 (response.empty() || response.find(' ') != std::string_view::npos))) {
                return bad_arguments("Syntax: AUTH mechanism [initial-response]");
            }
            cmd.argument = uppercase(mechanism);
            if (space != std::string_view::npos) {
                cmd.initial_response = std::string(response);
            }
            break;
        }
        case SmtpVerb::not_implemented:
        case SmtpVerb::http:
            cmd.argument = word;
            break;
    }
    return cmd;
}

Result<SmtpMailParameters, SmtpReply> parse_mail_parameters(
    std::span<const SmtpParameter> parameters, const SmtpOfferedParameters& offered) {
    SmtpMailParameters out;
    for (const auto& p : parameters) {
        if (p.keyword == "SIZE" && offered.size) {
            // RFC 1870 section 3: size-value = 1*20DIGIT
            if (!p.value || p.value->size() > 20) {
                return bad_arguments("Syntax: SIZE=<number>");
            }
            std::uint64_t size = 0;
            constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
            for (char c : *p.value) {
                if (!is_digit(c)) {
                    return bad_arguments("Syntax: SIZE=<number>");
                }
                const auto d = static_cast<std::uint64_t>(c - '0');
                size = size > (kMax - d) / 10 ? kMax : size * 10 + d;
            }
            if (size > offered.max_size) {
                return smtp_reply(552, kTooBig, "Message size exceeds fixed maximum message size");
            }
            out.size = size;
        } else if (p.keyword == "BODY" && offered.eight_bit_mime) {
            if (!p.value) {
                return bad_arguments("Syntax: BODY=7BIT or BODY=8BITMIME");
            }
            if (iequals(*p.value, "7BIT")) {
                out.body = SmtpBody::seven_bit;
            } else if (iequals(*p.value, "8BITMIME")) {
                out.body = SmtpBody::eight_bit_mime;
            } else {
                // BINARYMIME (RFC 3030) needs CHUNKING, which is not offered.
                return smtp_reply(555, kBadArguments, "Unsupported BODY type");
            }
        } else if (p.keyword == "SMTPUTF8" && offered.smtputf8) {
            if (p.value) {
                return bad_arguments("Syntax: SMTPUTF8 (no value)");
            }
            out.smtputf8 = true;
        } else if (p.keyword == "AUTH" && offered.auth) {
            // RFC 4954 section 5: the identity a relay vouches for; we trust no relay's word.
            if (!p.value) {
                return bad_arguments("Syntax: AUTH=<> or AUTH=xtext");
            }
            out.auth = *p.value;
        } else {
            return smtp_reply(555, kBadArguments, "Unsupported parameter " + p.keyword);
        }
    }
    return out;
}

}  // namespace l7::mail
