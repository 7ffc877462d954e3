#pragma once
// MIME (RFC 2045, 2046, 2231): the Content-Type and Content-Disposition fields, and a message
// parsed into its tree of parts, as the IMAP server's BODYSTRUCTURE, BODY[section] and
// ENVELOPE need it and the mail client's reader shows it.
//
//   message                       offset 0: header, body
//   ├─ 1   text/plain             (multipart/mixed: children found by the boundary)
//   ├─ 2   message/rfc822         its child is the encapsulated message, parsed the same way
//   │  └─ (message)  ── 2.1 ...
//   └─ 3   image/png
//
// Every part records where its header and body are in the original bytes, so nothing is
// copied but the header fields: callers slice the message they parsed (keep it alive and
// unchanged while using the offsets).
//
// Lenient where stored mail differs from the RFCs, and bounded against hostile input:
//  * A missing or malformed Content-Type is text/plain; charset=us-ascii (RFC 2045 5.2), or
//    message/rfc822 for the parts of a multipart/digest (RFC 2046 5.1.5).
//  * Parameters: quoted-string or token values (unquoted values are read up to the ';'), a
//    malformed parameter is skipped, names are lowercased; RFC 2231 continuations
//    (name*0*=, name*1=) are joined and charset'language' values decoded to UTF-8 when the
//    charset is one charset_to_utf8() knows. A plain value as well as an RFC 2231 one: the
//    RFC 2231 one wins. Encoded words in name= and filename= (not allowed, yet common) are
//    decoded.
//  * Multipart (RFC 2046 5.1.1): preamble and epilogue are ignored, a boundary line may have
//    trailing whitespace, a missing close delimiter ends the last part at the end of the
//    body, a multipart whose boundary never occurs (or that has none) has no children.
//  * message/rfc822 and message/global parts are parsed as messages unless they were given
//    a base64 or quoted-printable encoding (RFC 2046 5.2.1 forbids it; they stay leaves).
//  * Limits: header section per part (HeaderLimits), nesting depth, number of parts.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "mail/header.hpp"
#include "mail/transfer_encoding.hpp"

namespace l7::mail {

// Parameters read from one field; later ones are ignored.
inline constexpr std::size_t kMaxParameters = 64;
// RFC 2231 sections of one parameter: name*0 to name*63.
inline constexpr std::size_t kMaxParameterSections = 64;
// RFC 2046 5.1.1 allows 70 characters; longer boundaries exist in the wild, up to this.
inline constexpr std::size_t kMaxBoundaryLength = 200;

struct MimeParameter {
    std::string name;      // lowercased, without RFC 2231's '*' and section number
    std::string value;     // quoting removed, RFC 2231 sections joined and decoded
    std::string charset;   // the RFC 2231 charset as written ("UTF-8"), empty for plain values
    std::string language;  // the RFC 2231 language, empty when none

    friend bool operator==(const MimeParameter&, const MimeParameter&) = default;
};

// The value of the first parameter called `name` (case-insensitive), or nullopt.
std::optional<std::string_view> find_parameter(std::span<const MimeParameter> parameters,
                                               std::string_view name);

struct ContentType {
    std::string type = "text";  // lowercased
    std::string subtype = "plain";
    std::vector<MimeParameter> parameters = {{"charset", "us-ascii", {}, {}}};

    std::optional<std::string_view> parameter(std::string_view name) const {
        return find_parameter(parameters, name);
    }
    std::string mime_type() const { return type + "/" + subtype; }
    bool is(std::string_view t, std::string_view s) const { return type == t && subtype == s; }
    bool is_multipart() const { return type == "multipart"; }
    // message/rfc822 and message/global (RFC 6532): a message inside.
    bool is_encapsulated_message() const {
        return type == "message" && (subtype == "rfc822" || subtype == "global");
    }

    friend bool operator==(const ContentType&, const ContentType&) = default;
};

struct ContentDisposition {
    std::string type;  // "inline", "attachment" ... lowercased
    std::vector<MimeParameter> parameters;

    std::optional<std::string_view> parameter(std::string_view name) const {
        return find_parameter(parameters, name);
    }

    friend bool operator==(const ContentDisposition&, const ContentDisposition&) = default;
};

enum class MimeError {
    malformed_content_type,         // not type "/" subtype
    malformed_content_disposition,  // no disposition type
    header_section_too_large,       // a part's header beyond HeaderLimits::max_section_bytes
    too_many_header_fields,         // ... beyond HeaderLimits::max_fields
    header_line_too_long,           // ... a line beyond HeaderLimits::max_line_bytes
    too_deep,                       // parts nested deeper than MimeLimits::max_depth
    too_many_parts,                 // more than MimeLimits::max_parts
};
std::string_view describe(MimeError e);

// A Content-Type value: "text/plain; charset=utf-8". Parameters are as described above; the
// default charset is not added (a ContentType built by hand starts with it).
Result<ContentType, MimeError> parse_content_type(std::string_view value);
// A Content-Disposition value (RFC 2183): "attachment; filename=report.pdf".
Result<ContentDisposition, MimeError> parse_content_disposition(std::string_view value);

// A parameter to write after "; ": name="value" (a token when it is one), or RFC 2231's
// name*=UTF-8''%E2%82%AC when the value is not printable ASCII or holds "=?" (which readers
// would decode as an encoded word), split into name*0*=...; name*1*=... sections (joined by
// "; ", where a header may fold) when it is long.
std::string format_parameter(std::string_view name, std::string_view value);

struct MimeLimits {
    HeaderLimits header;
    std::size_t max_depth = 20;    // the message is depth 0, its parts 1, theirs 2 ...
    std::size_t max_parts = 1000;  // every node of the tree, the message included
};

struct MimePart {
    Header header;
    ContentType content_type;  // parsed, or the default
    std::optional<ContentDisposition> disposition;
    std::string transfer_encoding = "7bit";  // the Content-Transfer-Encoding token, lowercased
    std::size_t offset = 0;                  // the part's first byte (its header) in the message
    std::size_t body_offset = 0;             // the body's first byte, after the empty line
    std::size_t body_size = 0;
    // Line breaks in the body, plus one when it ends in a partial line (IMAP's body lines).
    std::size_t body_lines = 0;
    // multipart/*: the parts, in order; message/rfc822: one, the encapsulated message.
    std::vector<MimePart> children;

    std::size_t end_offset() const { return body_offset + body_size; }
    // Header and body as slices of the message this part was parsed from.
    std::string_view header_bytes(std::string_view message) const {
        return message.substr(offset, body_offset - offset);
    }
    std::string_view body(std::string_view message) const {
        return message.substr(body_offset, body_size);
    }
    // The attachment's name: Content-Disposition's filename, else Content-Type's name, else
    // empty.
    std::string filename() const;
};

// Parses `message` (a whole RFC 5322 message) into its tree of parts. Errors: the header
// limits (of any part), too_deep, too_many_parts. A malformed Content-Type or
// Content-Disposition is no error (the defaults apply, and disposition stays empty).
Result<MimePart, MimeError> parse_message(std::string_view message, const MimeLimits& limits = {});

// A part's body with its Content-Transfer-Encoding undone.
Result<std::string, TransferError> decode_body(const MimePart& part, std::string_view message);

// IMAP section numbers (RFC 3501 6.4.5): the parts of a multipart are numbered 1, 2, ... in
// order; a message (the top one, or one inside a message/rfc822 part) that is not multipart
// has one part, 1, its body; the parts of a message/rfc822 part's message are numbered under
// it (3.1, 3.2 ...). `message` is a tree from parse_message(). nullptr when there is no such
// part (0, past the end, or a number below a part that has no parts).
const MimePart* find_part(const MimePart& message, std::span<const unsigned> section);
// The same for "1.2.3" (nz-numbers joined by '.'); nullptr for malformed text too.
const MimePart* find_part(const MimePart& message, std::string_view section);

struct NumberedPart {
    std::string section;  // "1", "2.1", "3.2.1" ...
    const MimePart* part = nullptr;
};
// Every part with its section number, depth-first in message order: the order BODYSTRUCTURE
// walks. Encapsulated messages and the top message are not parts (their header is
// "N.HEADER"); a non-multipart one appears as its part "N.1".
std::vector<NumberedPart> number_parts(const MimePart& message);

}  // namespace l7::mail
