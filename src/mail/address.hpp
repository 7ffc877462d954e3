#pragma once
// Addresses in From, Sender, Reply-To, To, Cc, Bcc and their Resent- forms (RFC 5322 section
// 3.4), read and written.
//
//   Pete(A nice \) chap) <pete(his account)@silly.test(his host)>     a mailbox, comments skipped
//   "Joe Q. Public" <john.q.public@example.com>                        a quoted display name
//   =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>                           an encoded display name
//   A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;  a group
//   undisclosed-recipients:;                                           an empty group
//   <@route.test:user@example.com>                                     obs-route (ignored)
//   "john doe"@example.com   user@[192.0.2.1]                          quoted local part, literal
//
// Reading follows the grammar with the obsolete forms of section 4.4 that stored mail still
// has (obs-phrase with '.', obs-local-part, obs-domain, obs-route, empty list elements,
// CFWS between the dots), UTF-8 in atoms and quoted strings (RFC 6532), and some leniency
// seen in practice: dots next to each other or at either end of a local part, encoded words
// inside a quoted display name, and a group missing its final ';'. Errors are values; input
// and output are bounded.
//
// The SMTP envelope's <local@domain> paths (RFC 5321) are read by the SMTP module, not here.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace l7::mail {

// A field longer than this is not parsed (a header line is at most kMaxLineLength, but a
// folded field may span many).
inline constexpr std::size_t kMaxAddressFieldLength = 128 * 1024;
// Addresses in one list, group members included.
inline constexpr std::size_t kMaxAddresses = 4096;
// Comments nest (RFC 5322 3.2.2); deeper nesting is an attack.
inline constexpr int kMaxCommentDepth = 32;

struct Mailbox {
    // The display name decoded for people: quoting removed, runs of whitespace made one space,
    // encoded words (RFC 2047) decoded to UTF-8. Empty when there is none. The one field
    // format_mailbox() writes from.
    std::string display_name;
    // The same before decoding encoded words: what IMAP's ENVELOPE sends as the name.
    std::string phrase;
    std::string local_part;  // quoting and quoted-pairs removed ("john doe" for "john doe"@x)
    std::string domain;      // as written, "[192.0.2.1]" kept with its brackets

    // local@domain, the local part quoted when it is not a dot-atom.
    std::string addr_spec() const;

    friend bool operator==(const Mailbox&, const Mailbox&) = default;
};

struct Group {
    std::string display_name;  // as Mailbox::display_name
    std::string phrase;        // as Mailbox::phrase
    std::vector<Mailbox> members;

    friend bool operator==(const Group&, const Group&) = default;
};

// An address is a mailbox or a group of them (RFC 5322 3.4).
using Address = std::variant<Mailbox, Group>;

enum class AddressError {
    empty,                        // no address where one is required
    too_long,                     // longer than kMaxAddressFieldLength
    too_many_addresses,           // more than kMaxAddresses
    unterminated_quoted_string,   // '"' without its closing '"'
    unterminated_comment,         // '(' without its ')'
    comment_too_deep,             // comments nested deeper than kMaxCommentDepth
    unterminated_domain_literal,  // '[' without its ']'
    unterminated_angle_addr,      // '<' without its '>'
    missing_at,                   // an addr-spec without '@'
    missing_local_part,           // nothing before the '@'
    missing_domain,               // nothing, or no domain, after the '@'
    nested_group,                 // a group inside a group
    group_not_allowed,            // a group where only mailboxes may be (From, Sender)
    unexpected_character,         // anything else out of place (a missing ',', say)
};
std::string_view describe(AddressError e);

// One mailbox (Sender; a From with one author): name-addr or addr-spec.
Result<Mailbox, AddressError> parse_mailbox(std::string_view text);
// mailbox-list (From, Resent-From): at least one mailbox, no groups.
Result<std::vector<Mailbox>, AddressError> parse_mailbox_list(std::string_view text);
// address-list (To, Cc, Bcc, Reply-To ...): mailboxes and groups; empty input, or only
// commas and CFWS, is an empty list (an empty Bcc is allowed, RFC 5322 3.6.3).
Result<std::vector<Address>, AddressError> parse_address_list(std::string_view text);

// Every mailbox of `addresses`, group members in place of their group.
std::vector<Mailbox> flatten(std::span<const Address> addresses);

// Whether `text` is a dot-atom (RFC 5322 3.2.3; UTF-8 allowed as in RFC 6532), the form a
// local part or domain takes without quoting.
bool is_dot_atom(std::string_view text);

// local@domain with the local part quoted when it is not a dot-atom. The domain is written
// as given.
std::string format_addr_spec(std::string_view local_part, std::string_view domain);
// A display name as a phrase: as it is when it is atoms separated by single spaces, quoted
// when it is other printable ASCII, encoded words (RFC 2047) when it holds anything else.
std::string format_display_name(std::string_view display_name);
// "Name <local@domain>", or the bare addr-spec when there is no display name. A display name
// is written from display_name (phrase is ignored).
std::string format_mailbox(const Mailbox& mailbox);
// A mailbox, or "Name: member, member;" for a group.
std::string format_address(const Address& address);
// The addresses separated by ", " (where a header folds).
std::string format_address_list(std::span<const Address> addresses);
std::string format_mailbox_list(std::span<const Mailbox> mailboxes);

}  // namespace l7::mail
