#include "mail/address.hpp"

#include <algorithm>

#include "mail/cfws.hpp"
#include "mail/encoded_word.hpp"

namespace l7::mail {
namespace {

// RFC 5322 3.2.3 atext, and UTF8-non-ascii (RFC 6532 3.2).
bool is_atext(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_atom(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_atext);
}

// A word of a phrase or local part, or a '.' between them.
struct Token {
    enum class Kind { atom, quoted, dot } kind = Kind::atom;
    std::string text;           // a quoted string without its quotes and quoted-pairs
    bool space_before = false;  // CFWS separated it from the token before
};

class AddressParser {
  public:
    explicit AddressParser(std::string_view text) : s_(text) {}

    AddressError error() const { return error_; }

    bool at_end() const { return pos_ == s_.size(); }

    // [CFWS]: whitespace, line breaks and nested comments with quoted-pairs.
    bool skip_cfws() {
        switch (mail::skip_cfws(s_, pos_, kMaxCommentDepth)) {
            case CfwsStatus::ok:
                return true;
            case CfwsStatus::comment_too_deep:
                return fail(AddressError::comment_too_deep);
            case CfwsStatus::unterminated_comment:
                break;
        }
        return fail(AddressError::unterminated_comment);
    }

    // address-list / mailbox-list, or a group's members when `in_group`.
    bool list(std::vector<Address>& out, bool allow_groups, bool in_group) {
        for (;;) {
            if (!skip_cfws()) {
                return false;
            }
            if (at_end() || (in_group && peek() == ';')) {
                return true;
            }
            if (peek() == ',') {
                ++pos_;  // obs-addr-list: empty elements
                continue;
            }
            if (!address(out, allow_groups, in_group) || !skip_cfws()) {
                return false;
            }
            if (peek() == ',') {
                ++pos_;
            } else if (!at_end() && !(in_group && peek() == ';')) {
                return fail(AddressError::unexpected_character);
            }
        }
    }

    // A mailbox or (when allowed) a group, appended to `out`.
    bool address(std::vector<Address>& out, bool allow_groups, bool in_group) {
        std::vector<Token> tokens;
        if (!words(tokens)) {
            return false;
        }
        const char c = peek();
        if (c == ':') {
            if (in_group) {
                return fail(AddressError::nested_group);
            }
            if (!allow_groups) {
                return fail(AddressError::group_not_allowed);
            }
            return group(tokens, out);
        }
        Mailbox m;
        if (!mailbox_after_words(tokens, m)) {
            return false;
        }
        return push(out, std::move(m));
    }

    // The rest of a mailbox once the words before '<', '@' or the end have been read.
    bool mailbox_after_words(const std::vector<Token>& tokens, Mailbox& m) {
        const char c = peek();
        if (c == '<') {
            set_phrase(tokens, m.phrase, m.display_name);
            return angle_addr(m);
        }
        if (c == '@') {
            return local_part(tokens, m.local_part) && domain_after_at(m.domain);
        }
        const bool delimiter = at_end() || c == ',' || c == ';' || c == '>';
        if (!delimiter) {
            return fail(AddressError::unexpected_character);
        }
        return fail(tokens.empty() ? AddressError::empty : AddressError::missing_at);
    }

    bool single_mailbox(Mailbox& m) {
        std::vector<Token> tokens;
        if (!skip_cfws() || !words(tokens)) {
            return false;
        }
        if (tokens.empty() && at_end()) {
            return fail(AddressError::empty);
        }
        if (peek() == ':') {
            return fail(AddressError::group_not_allowed);
        }
        if (!mailbox_after_words(tokens, m) || !skip_cfws()) {
            return false;
        }
        return at_end() || fail(AddressError::unexpected_character);
    }

  private:
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

    bool fail(AddressError e) {
        error_ = e;
        return false;
    }

    bool push(std::vector<Address>& out, Address a) {
        if (++count_ > kMaxAddresses) {
            return fail(AddressError::too_many_addresses);
        }
        out.push_back(std::move(a));
        return true;
    }

    // quoted-string at '"': its content with quoted-pairs resolved and folding removed.
    bool quoted_string(std::string& out) {
        ++pos_;
        while (pos_ < s_.size()) {
            const char c = s_[pos_++];
            if (c == '"') {
                return true;
            }
            if (c == '\\') {
                if (pos_ == s_.size()) {
                    break;
                }
                out += s_[pos_++];
            } else if (c != '\r' && c != '\n') {
                out += c;
            }
        }
        return fail(AddressError::unterminated_quoted_string);
    }

    // Atoms, quoted strings and dots with CFWS between them, up to the first other character.
    bool words(std::vector<Token>& tokens) {
        for (;;) {
            const std::size_t before = pos_;
            if (!skip_cfws()) {
                return false;
            }
            Token t;
            t.space_before = pos_ > before;
            const char c = peek();
            if (c == '"') {
                t.kind = Token::Kind::quoted;
                if (!quoted_string(t.text)) {
                    return false;
                }
            } else if (c == '.') {
                t.kind = Token::Kind::dot;
                t.text = ".";
                ++pos_;
            } else if (!at_end() && is_atext(c)) {
                t.kind = Token::Kind::atom;
                const std::size_t begin = pos_;
                while (pos_ < s_.size() && is_atext(s_[pos_])) {
                    ++pos_;
                }
                t.text = s_.substr(begin, pos_ - begin);
            } else {
                return true;
            }
            tokens.push_back(std::move(t));
        }
    }

    // obs-phrase: words and dots, one space wherever CFWS separated them.
    static void set_phrase(const std::vector<Token>& tokens, std::string& phrase,
                           std::string& display) {
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            if (i > 0 && tokens[i].space_before) {
                phrase += ' ';
            }
            phrase += tokens[i].text;
        }
        display = decode_encoded_words(phrase);
    }

    // obs-local-part: words joined by dots (CFWS around the dots allowed, runs of dots and
    // dots at the ends tolerated), but never two words without a dot between them.
    bool local_part(const std::vector<Token>& tokens, std::string& out) {
        bool have_word = false;
        Token::Kind last = Token::Kind::dot;
        for (const Token& t : tokens) {
            if (t.kind != Token::Kind::dot && last != Token::Kind::dot) {
                return fail(AddressError::unexpected_character);
            }
            have_word = have_word || t.kind != Token::Kind::dot;
            last = t.kind;
            out += t.text;
        }
        return have_word || fail(AddressError::missing_local_part);
    }

    // '@' domain: dot-atom (obs-domain: CFWS around the dots) or domain-literal.
    bool domain_after_at(std::string& out) {
        ++pos_;  // '@'
        if (!skip_cfws()) {
            return false;
        }
        if (peek() == '[') {
            return domain_literal(out);
        }
        for (;;) {
            const std::size_t begin = pos_;
            while (pos_ < s_.size() && is_atext(s_[pos_])) {
                ++pos_;
            }
            if (pos_ == begin) {
                return fail(AddressError::missing_domain);
            }
            out += s_.substr(begin, pos_ - begin);
            const std::size_t after_atom = pos_;
            if (!skip_cfws()) {
                return false;
            }
            if (peek() != '.') {
                pos_ = after_atom;  // leave the CFWS to the caller
                return true;
            }
            ++pos_;
            out += '.';
            if (!skip_cfws()) {
                return false;
            }
        }
    }

    // "[" *([FWS] dtext) [FWS] "]", folding whitespace removed; obs-dtext's quoted-pairs kept.
    bool domain_literal(std::string& out) {
        out += '[';
        ++pos_;
        while (pos_ < s_.size()) {
            const char c = s_[pos_++];
            if (c == ']') {
                out += ']';
                return true;
            }
            if (c == '[') {
                return fail(AddressError::unexpected_character);
            }
            if (c == '\\' && pos_ < s_.size()) {
                out += c;
                out += s_[pos_++];
            } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                out += c;
            }
        }
        return fail(AddressError::unterminated_domain_literal);
    }

    // "<" [obs-route] addr-spec ">" with the route read and dropped.
    bool angle_addr(Mailbox& m) {
        ++pos_;  // '<'
        if (!skip_cfws()) {
            return false;
        }
        if (peek() == '@') {
            // obs-route = obs-domain-list ":"; obs-domain-list = *(CFWS / ",") "@" domain
            // *("," [CFWS] ["@" domain])
            for (;;) {
                std::string ignored;
                if (!domain_after_at(ignored) || !skip_cfws()) {
                    return false;
                }
                while (peek() == ',') {
                    ++pos_;
                    if (!skip_cfws()) {
                        return false;
                    }
                }
                if (peek() != '@') {
                    break;
                }
            }
            if (peek() != ':') {
                return fail(at_end() ? AddressError::unterminated_angle_addr
                                     : AddressError::unexpected_character);
            }
            ++pos_;
        }
        std::vector<Token> tokens;
        if (!words(tokens)) {
            return false;
        }
        if (peek() == '>' && tokens.empty()) {
            return fail(AddressError::empty);  // "<>": a null reverse-path, not a mailbox
        }
        if (peek() != '@') {
            return fail(at_end() ? AddressError::unterminated_angle_addr
                                 : AddressError::missing_at);
        }
        if (!local_part(tokens, m.local_part) || !domain_after_at(m.domain) || !skip_cfws()) {
            return false;
        }
        if (peek() != '>') {
            return fail(at_end() ? AddressError::unterminated_angle_addr
                                 : AddressError::unexpected_character);
        }
        ++pos_;
        return true;
    }

    // display-name ":" [group-list] ";" [CFWS], at the ':'.
    bool group(const std::vector<Token>& tokens, std::vector<Address>& out) {
        Group g;
        set_phrase(tokens, g.phrase, g.display_name);
        if (tokens.empty()) {
            return fail(AddressError::unexpected_character);  // a group needs a name
        }
        ++pos_;  // ':'
        std::vector<Address> members;
        if (!list(members, false, true)) {
            return false;
        }
        if (peek() == ';') {
            ++pos_;
        }  // else the input ended: a missing ';' is tolerated
        for (Address& a : members) {
            g.members.push_back(std::get<Mailbox>(std::move(a)));
        }
        out.push_back(std::move(g));  // the members were counted, the group is not
        return true;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    std::size_t count_ = 0;
    AddressError error_ = AddressError::unexpected_character;
};

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
    return out;
}

// Whether `name` is atoms separated by single spaces, and can be written as it is.
bool is_plain_phrase(std::string_view name) {
    std::size_t begin = 0;
    for (;;) {
        const std::size_t space = name.find(' ', begin);
        if (!is_atom(name.substr(begin, space - begin))) {
            return false;
        }
        if (space == std::string_view::npos) {
            return true;
        }
        begin = space + 1;
    }
}

}  // namespace

std::string_view describe(AddressError e) {
    switch (e) {
        case AddressError::empty:
            return "no address";
        case AddressError::too_long:
            return "address field too long";
        case AddressError::too_many_addresses:
            return "too many addresses";
        case AddressError::unterminated_quoted_string:
            return "unterminated quoted string";
        case AddressError::unterminated_comment:
            return "unterminated comment";
        case AddressError::comment_too_deep:
            return "comments nested too deeply";
        case AddressError::unterminated_domain_literal:
            return "unterminated domain literal";
        case AddressError::unterminated_angle_addr:
            return "'<' without '>'";
        case AddressError::missing_at:
            return "no '@' in the address";
        case AddressError::missing_local_part:
            return "nothing before the '@'";
        case AddressError::missing_domain:
            return "no domain after the '@'";
        case AddressError::nested_group:
            return "a group inside a group";
        case AddressError::group_not_allowed:
            return "a group where only mailboxes may be";
        case AddressError::unexpected_character:
            return "unexpected character in the address";
    }
    return "bad address";
}

std::string Mailbox::addr_spec() const {
    return format_addr_spec(local_part, domain);
}

Result<Mailbox, AddressError> parse_mailbox(std::string_view text) {
    if (text.size() > kMaxAddressFieldLength) {
        return AddressError::too_long;
    }
    AddressParser p(text);
    Mailbox m;
    if (!p.single_mailbox(m)) {
        return p.error();
    }
    return m;
}

Result<std::vector<Mailbox>, AddressError> parse_mailbox_list(std::string_view text) {
    if (text.size() > kMaxAddressFieldLength) {
        return AddressError::too_long;
    }
    AddressParser p(text);
    std::vector<Address> list;
    if (!p.list(list, false, false)) {
        return p.error();
    }
    if (list.empty()) {
        return AddressError::empty;
    }
    return flatten(list);
}

Result<std::vector<Address>, AddressError> parse_address_list(std::string_view text) {
    if (text.size() > kMaxAddressFieldLength) {
        return AddressError::too_long;
    }
    AddressParser p(text);
    std::vector<Address> list;
    if (!p.list(list, true, false)) {
        return p.error();
    }
    return list;
}

std::vector<Mailbox> flatten(std::span<const Address> addresses) {
    std::vector<Mailbox> out;
    for (const Address& a : addresses) {
        if (const auto* m = std::get_if<Mailbox>(&a)) {
            out.push_back(*m);
        } else {
            const auto& members = std::get<Group>(a).members;
            out.insert(out.end(), members.begin(), members.end());
        }
    }
    return out;
}

bool is_dot_atom(std::string_view text) {
    std::size_t begin = 0;
    for (;;) {
        const std::size_t dot = text.find('.', begin);
        if (!is_atom(text.substr(begin, dot - begin))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        begin = dot + 1;
    }
}

std::string format_addr_spec(std::string_view local_part, std::string_view domain) {
    std::string out = is_dot_atom(local_part) ? std::string(local_part) : quote(local_part);
    out += '@';
    out += domain;
    return out;
}

std::string format_display_name(std::string_view display_name) {
    if (needs_encoding(display_name)) {
        return encode_header_text(display_name);
    }
    if (is_plain_phrase(display_name)) {
        return std::string(display_name);
    }
    return quote(display_name);
}

std::string format_mailbox(const Mailbox& mailbox) {
    if (mailbox.display_name.empty()) {
        return mailbox.addr_spec();
    }
    return format_display_name(mailbox.display_name) + " <" + mailbox.addr_spec() + ">";
}

std::string format_address(const Address& address) {
    if (const auto* m = std::get_if<Mailbox>(&address)) {
        return format_mailbox(*m);
    }
    const Group& g = std::get<Group>(address);
    // A group must have a name: an empty one is written as an empty quoted string.
    std::string out = g.display_name.empty() ? "\"\"" : format_display_name(g.display_name);
    out += ':';
    for (std::size_t i = 0; i < g.members.size(); ++i) {
        out += i == 0 ? " " : ", ";
        out += format_mailbox(g.members[i]);
    }
    out += ';';
    return out;
}

std::string format_address_list(std::span<const Address> addresses) {
    std::string out;
    for (const Address& a : addresses) {
        if (!out.empty()) {
            out += ", ";
        }
        out += format_address(a);
    }
    return out;
}

std::string format_mailbox_list(std::span<const Mailbox> mailboxes) {
    std::string out;
    for (const Mailbox& m : mailboxes) {
        if (!out.empty()) {
            out += ", ";
        }
        out += format_mailbox(m);
    }
    return out;
}

}  // namespace l7::mail
