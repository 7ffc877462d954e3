#pragma once
// The message side of IMAP4rev1's FETCH (RFC 3501 6.4.5, 7.4.2), sans-I/O: a stored message
// and the attributes a client asked for in, the parenthesised data items that follow
// "* N FETCH " out.
//
//   render_fetch({UID, FLAGS, BODY.PEEK[HEADER.FIELDS (From)]}, message)
//     -> (UID 5 FLAGS (\Seen) BODY[HEADER.FIELDS (From)] {23}\r\nFrom: a@example.org\r\n\r\n)
//
// Theory of operation
//
// Items are written in the order asked for. FLAGS, UID, INTERNALDATE and RFC822.SIZE come
// from FetchMessage alone; the rest reads the message's bytes, which ParsedMessage parses on
// demand and at most once each way: ENVELOPE and the top-level HEADER/TEXT sections need only
// the header section; BODY, BODYSTRUCTURE and numbered sections the MIME tree (mime.hpp),
// which render_fetch() parses first when any attribute needs it, so the header is read once.
//
// Stored mail is not always well-formed, and FETCH must serve it all the same:
//  * A message parse_message() refuses (its limits) is served as one text/plain part: the
//    header as far as it parses (or none), the body after the first empty line.
//  * A section that does not exist ("BODY[9]", "BODY[1.HEADER]" of a text part) is the empty
//    string "", as Dovecot sends it, not an error; so is a partial that starts past the end.
//  * ENVELOPE: an address list that does not parse is read piece by comma-separated piece,
//    keeping what parses; a list of which nothing parses is NIL (and a Sender or Reply-To
//    like that is From, as an empty one is).
//  * A multipart whose boundary never occurs gets one empty text/plain part in BODY and
//    BODYSTRUCTURE (the grammar needs at least one), as Dovecot does.
//
// Conventions of the structures (RFC 3501 7.4.2), matching Cyrus and Dovecot so that mutt,
// Thunderbird and Python's imaplib read them: type, subtype, parameter names, disposition
// types and encodings upper-cased ("TEXT" "PLAIN" ("CHARSET" "us-ascii") ... "7BIT"),
// parameter values as written; an RFC 2231 value (already joined and decoded by mime.hpp) is
// sent RFC 2231-encoded again under "NAME*" ("UTF-8''%E2%82%AC.pdf"), as Dovecot and Cyrus
// pass it on; any other non-ASCII value as encoded words (RFC 2047). ENVELOPE strings are the
// unfolded raw field values, not decoded; 8-bit ones go as literals.
//
// Bounds: the work and the response are proportional to the message and its parts, which
// MimeLimits bounds (header sections, depth, number of parts) as do address.hpp's limits
// (kMaxAddresses, kMaxAddressFieldLength); nothing here recurses deeper than the MIME tree.
//
// Every body section's data goes as a literal (as Dovecot and Cyrus send it), the empty one
// as "". The item name is the section as asked, BODY.PEEK written as BODY, a partial as its
// origin octet only: "BODY[1.2]<0>" (RFC 3501 7.4.2).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mail/header.hpp"
#include "mail/imap/types.hpp"
#include "mail/mime.hpp"

namespace l7::mail::imap {

// A message as the session hands it over.
struct FetchMessage {
    // The stored message, CRLF line ends (to_crlf() for stores that keep LF files). May be
    // empty when fetch_needs_message() says the attributes do not read it.
    std::string_view bytes;
    std::uint32_t uid = 0;
    std::span<const Flag> flags;
    ImapDateTime internal_date;
    // RFC822.SIZE when the store knows it without reading the message; else bytes.size().
    std::optional<std::uint64_t> size;
};

struct FetchOptions {
    // UID FETCH: the response carries "UID n" (first) even when not asked for (RFC 3501
    // 6.4.8).
    bool include_uid = false;
    MimeLimits limits;
};

// The parenthesised list after "* N FETCH ": "(FLAGS (\Seen) UID 5)". Never fails.
std::string render_fetch(std::span<const FetchAttribute> attributes, const FetchMessage& m,
                         const FetchOptions& options = {});

// Whether an attribute makes the server set \Seen (RFC 3501 6.4.5): BODY[...] without PEEK,
// RFC822, RFC822.TEXT.
bool fetch_sets_seen(std::span<const FetchAttribute> attributes);
// Whether the attributes read the message's bytes: anything but FLAGS, UID, INTERNALDATE and
// RFC822.SIZE (which needs FetchMessage::size then).
bool fetch_needs_message(std::span<const FetchAttribute> attributes);

// LF line ends made CRLF; CRLF and bare CR are kept.
std::string to_crlf(std::string_view text);
// Whether to_crlf() would change the text: an LF without a CR before it.
bool has_bare_lf(std::string_view text);

// A message's bytes, parsed on demand and at most once each way (see above). `bytes` must
// outlive it.
class ParsedMessage {
  public:
    explicit ParsedMessage(std::string_view bytes, MimeLimits limits = {});

    std::string_view bytes() const { return bytes_; }
    // The MIME tree: parse_message(), or when it refuses, the message as one text/plain part.
    const MimePart& tree();
    // Whether tree() had to fall back (after tree()).
    bool fell_back() const { return fell_back_; }
    // The top-level header: the tree's when parsed, else the header section alone (whose
    // body_lines stays 0).
    const Header& header() { return top().header; }
    // BODY[HEADER] (with its empty line) and BODY[TEXT] of the message.
    std::string_view header_bytes() { return top().header_bytes(bytes_); }
    std::string_view text() { return top().body(bytes_); }

  private:
    const MimePart& top();

    std::string_view bytes_;
    MimeLimits limits_;
    std::optional<MimePart> tree_;
    // The header and offsets alone, when asked for before the tree (kept: references to it
    // stay valid).
    std::optional<MimePart> top_;
    bool fell_back_ = false;
};

// The pieces of render_fetch(), for callers and tests.
// ENVELOPE's value: "(date subject from sender reply-to to cc bcc in-reply-to message-id)".
std::string render_envelope(const Header& header);
// BODY's value (extension_data false) or BODYSTRUCTURE's (true) for the message `tree`
// parsed from `bytes`.
std::string render_body_structure(const MimePart& tree, std::string_view bytes,
                                  bool extension_data);
// The octets of BODY[section] (before any partial); empty when there is no such section.
std::string section_data(ParsedMessage& message, const Section& section);
// "HEADER.FIELDS (From To)", "1.2.MIME", "" ...: what goes between BODY's brackets.
std::string section_name(const Section& section);

}  // namespace l7::mail::imap
