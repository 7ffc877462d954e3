#pragma once
// Building a message to send (RFC 5322 and MIME), as `l7 mail send` does: the usual header
// fields, a UTF-8 text body and attachments.
//
//   Date: Mon, 30 Nov 2026 16:15:21 +0000
//   From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>
//   To: ann@example.org
//   Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=
//   Message-ID: <4f1c9a@example.com>
//   MIME-Version: 1.0
//   Content-Type: multipart/mixed; boundary="=_l7_0123abcd"
//
//   --=_l7_0123abcd
//   Content-Type: text/plain; charset=utf-8
//   Content-Transfer-Encoding: quoted-printable
//   ...
//   --=_l7_0123abcd
//   Content-Type: application/pdf; name=report.pdf
//   Content-Disposition: attachment; filename=report.pdf
//   Content-Transfer-Encoding: base64
//   ...
//   --=_l7_0123abcd--
//
// Deterministic: the caller passes the time and the random parts (Message-ID, boundary), so
// the same input gives the same bytes. Output uses CRLF throughout and keeps every line
// within 998 characters; header fields are folded at 78.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "mail/address.hpp"

namespace l7::mail {

// Text lines longer than this (RFC 5322 2.1.1's SHOULD) make the body quoted-printable.
inline constexpr std::size_t kMaxPlainTextLine = 78;
// Random bytes used for a boundary; more are ignored.
inline constexpr std::size_t kMaxBoundaryRandomBytes = 24;

struct Attachment {
    std::string filename;      // UTF-8; RFC 2231-encoded when it is not printable ASCII
    std::string content_type;  // "application/pdf", parameters allowed ("text/csv; charset=utf-8")
    std::string data;          // the bytes; base64 in the message (message/rfc822: as they are)
};

struct NewMessage {
    Mailbox from;
    std::vector<Address> to, cc, reply_to;  // Bcc is the envelope's business, never written
    std::string subject;                    // UTF-8; encoded words when it needs them
    std::int64_t date = 0;                  // Unix seconds
    int utc_offset_minutes = 0;             // the zone the Date field is written in
    // Message-ID: <message_id_left@message_id_domain>; the left part is the caller's random
    // (or unique) string, a dot-atom such as hex digits.
    std::string message_id_left;
    std::string message_id_domain;
    // More fields, written after the others (In-Reply-To, References, User-Agent ...), their
    // values as they are to appear: the caller encodes and formats them.
    std::vector<std::pair<std::string, std::string>> extra_fields;
    std::string text;  // UTF-8; any line ends (LF, CRLF, CR) become CRLF
    std::vector<Attachment> attachments;
    // Random bytes for the multipart boundary (used only with attachments).
    std::string boundary_random;
};

enum class ComposeError {
    invalid_from,              // no From address, or one with an empty or malformed part
    invalid_address,           // a To, Cc or Reply-To address with an empty or malformed part
    invalid_message_id,        // the Message-ID parts are not a dot-atom and a domain
    invalid_field,             // an extra field with a bad name or a value holding CR, LF or NUL
    invalid_content_type,      // an attachment's type does not parse, or is multipart/*
    attachment_not_encodable,  // a message/* attachment that is not 8-bit-clean text lines
};
std::string_view describe(ComposeError e);

// The whole message, header and body, CRLF line ends.
Result<std::string, ComposeError> compose_message(const NewMessage& message);

// A boundary made from `random` (hex, prefixed with "=_l7_", which no quoted-printable or
// base64 text can contain) that occurs in none of `parts` (a counter is appended until it
// does not). Exposed for tests.
std::string choose_boundary(std::string_view random, std::span<const std::string> parts);

}  // namespace l7::mail
