#pragma once
// IMAP mailbox names (RFC 3501 5.1): the modified UTF-7 clients send them in (5.1.3), and the
// wildcards of LIST and LSUB patterns (6.3.8). Pure functions, no I/O.
//
// Modified UTF-7 (RFC 3501 5.1.3, after RFC 2152): printable US-ASCII (0x20-0x7E) stands for
// itself, except "&", written "&-"; every other character is in a run "&" base64 "-" of its
// UTF-16BE code units, base64 with "," for "/" and no "=" padding. A name has exactly one
// spelling, so the decoder refuses every other one: characters outside 0x20-0x7E, an "&"
// without its "-", characters outside the alphabet, left-over bits that are not zero or
// make up a whole base64 character, printable ASCII inside a run, a run right after
// another (one run would do), and UTF-16 surrogates that do not pair. Hence
// encode(decode(name)) == name whenever decode succeeds, and decode(encode(text)) == text
// for all well-formed UTF-8 text. Any other code point may be named, controls included:
// what a store allows in a name is the session's and the store's business.
//
// LIST patterns (RFC 3501 6.3.8): "*" matches any run of characters, "%" any run without
// the hierarchy delimiter; other characters match themselves, case-sensitively (a session
// matching INBOX in any case compares "INBOX" itself). The matcher simulates the pattern's
// automaton over the name, a run of wildcards counting as one: time O(pattern x name),
// memory O(pattern), whatever the wildcards ("*%*%*%..." cannot make it backtrack); a
// session bounds both lengths (the framer's max_line bounds a pattern).

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::mail::imap {

// A name as a client sends it -> UTF-8 text. The error says what is wrong with it.
Result<std::string> decode_mailbox_name(std::string_view mutf7);

// UTF-8 text -> the name a client expects. Octets that are not well-formed UTF-8 (which a
// caller should not pass) become U+FFFD.
std::string encode_mailbox_name(std::string_view utf8);

// Whether `name` matches a LIST pattern. `delimiter` is the hierarchy delimiter; '\0' for a
// flat namespace (NIL delimiter), where "%" is as good as "*".
bool list_pattern_matches(std::string_view pattern, std::string_view name, char delimiter);

}  // namespace l7::mail::imap
