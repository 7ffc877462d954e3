#pragma once
// One POP3 command line as a server reads it (RFC 1939 section 3, RFC 2449 section 4),
// sans-I/O: the line without its CRLF in, a Pop3Command or the text of the -ERR that refuses
// it out. Which commands are allowed in which state is the session's business, not this.
//
// A keyword is case-insensitive; arguments are separated by spaces (runs of them, and
// trailing ones, are tolerated: clients stray there harmlessly). PASS takes the rest of the
// line as one argument, because RFC 1939 7 lets a password contain spaces. Arguments are
// printable: a control character (NUL, TAB, a bare CR) in a command is refused; octets
// above 0x7F pass (UTF-8 user names and passwords). The length limits of RFC 2449 4 are the
// session's (a line is framed before it is parsed): 255 octets for the whole command line
// including CRLF, which also keeps every argument within RFC 2449's 255 octets.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace l7::mail {

// RFC 2449 section 4: a command line, including its CRLF.
inline constexpr std::size_t kPop3MaxCommandLine = 255;
// A client's SASL response line (RFC 5034 section 4 exempts it from the 255 octets). PLAIN
// needs base64 of two names and a password: 2 KiB is generous.
inline constexpr std::size_t kPop3MaxSaslLine = 2048;

enum class Pop3Verb {
    user,
    pass,
    apop,
    auth,
    stls,
    capa,
    quit,
    stat,
    list,
    retr,
    dele,
    noop,
    rset,
    top,
    uidl,
};

struct Pop3Command {
    Pop3Verb verb = Pop3Verb::noop;
    std::vector<std::string> arguments;

    friend bool operator==(const Pop3Command&, const Pop3Command&) = default;
};

// The verb a line starts with, without checking its arguments; nullopt for none we know.
// For the trace, which must hide PASS and AUTH arguments even when the line is refused.
std::optional<Pop3Verb> pop3_verb_of(std::string_view line);

// The error's message is the text after "-ERR ".
Result<Pop3Command> parse_pop3_command(std::string_view line);

// A message number (RFC 1939 "msg"): decimal digits, 1 or more; nullopt for anything else,
// including numbers too large to be one (more than 9 digits).
std::optional<std::size_t> parse_pop3_message_number(std::string_view text);

// TOP's line count: decimal digits, 0 or more; very large counts saturate.
std::optional<std::size_t> parse_pop3_line_count(std::string_view text);

}  // namespace l7::mail
