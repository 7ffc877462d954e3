#pragma once
// Writing IMAP4rev1 response data (RFC 3501 4.1 to 4.5, 9): atoms, strings (quoted or literal),
// NIL, flag lists and date-times, as the FETCH renderer and the session put them into
// untagged responses.
//
//   atom      Seen  INBOX              ATOM-CHARs only: no SP, CTL, ( ) { % * " \ ]
//   quoted    "Joe \"Q\" Public"       7-bit TEXT-CHARs (no NUL, CR, LF), '"' and '\' escaped
//   literal   {11}\r\nhello\r\nyou     anything else: 8-bit octets, CR, LF, long text
//   NIL       a missing nstring
//
// A string is quoted when it can be and is at most kMaxQuotedLength octets (a client's
// quoted-string reader need not cope with a megabyte in one line), else sent as a literal.
// A literal may carry any octet; NUL is not a CHAR8, yet stored mail holds it now and then,
// and a literal at least frames it safely (there is no other way to send it in IMAP4rev1).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mail/imap/types.hpp"

namespace l7::mail::imap {

// Longer strings are literals even when they could be quoted.
inline constexpr std::size_t kMaxQuotedLength = 1024;

// RFC 3501 9: ATOM-CHAR is any CHAR (0x01-0x7F) but atom-specials ("(" ")" "{" SP CTL "%"
// "*" '"' "\" "]"). ASTRING-CHAR adds "]".
bool is_atom_char(char c);
bool is_atom(std::string_view s);
bool is_astring_atom(std::string_view s);
// Whether `s` may be sent as a quoted string: TEXT-CHARs only (0x01-0x7F but CR and LF), no
// longer than kMaxQuotedLength.
bool can_quote(std::string_view s);

// "s" with '"' and '\' escaped; the caller checked can_quote() (other octets are written as
// they are).
void append_quoted(std::string& out, std::string_view s);
// {N}\r\n and the octets.
void append_literal(std::string& out, std::string_view s);
// string: quoted when can_quote(), else a literal.
void append_string(std::string& out, std::string_view s);
// nstring: NIL for nullopt, else append_string().
void append_nstring(std::string& out, std::optional<std::string_view> s);
// astring: an atom when `s` is one (and not "NIL", which a reader of an nstring would take
// for NIL), else append_string().
void append_astring(std::string& out, std::string_view s);

// RFC 3501 2.3.2, 9: flag = "\" atom (system flags and extensions) or atom (a keyword).
bool is_flag(std::string_view flag);
// "(\Seen \Answered $Forwarded)": the flags as written, separated by spaces; a flag that is
// not one (a space or CR in a keyword from a damaged store) is left out rather than let it
// break the response's syntax.
void append_flag_list(std::string& out, std::span<const Flag> flags);

// RFC 3501 9: date-time without its quotes, "17-Jul-1996 02:44:25 -0700": the instant as seen
// in its own zone, the day always two digits. The zone is clamped to +-99:59 and the local
// time to the years 1900-9999 (date-year is 4DIGIT).
std::string format_date_time(const ImapDateTime& t);

}  // namespace l7::mail::imap
