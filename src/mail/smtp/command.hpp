#pragma once
// One SMTP command line as a server reads it (RFC 5321 section 4.1.1), sans-I/O: the line
// without its CRLF in, an SmtpCommand or the reply that refuses it out.
//
// Verbs are case-insensitive. Arguments follow RFC 5321 4.1.2 strictly where a loose reading
// would let the server and a later hop disagree about an address, and leniently where real
// clients stray harmlessly: spaces after "FROM:"/"TO:" and at the end of the line are
// skipped. Paths: the null reverse-path "<>", "<postmaster>" without a domain (RCPT only,
// 4.5.1), source routes "<@a,@b:user@d>" (accepted, the route dropped: appendix C), quoted
// local parts, address literals [192.0.2.1] and [IPv6:2001:db8::1], UTF-8 in the local part
// and the domain (allowed only in an SMTPUTF8 transaction, RFC 6531, which the session
// checks: the parser notes it in SmtpPath::non_ascii).
//
// ESMTP parameters (4.1.2 esmtp-param) are split here and checked against the extensions
// the session offered by parse_mail_parameters(): SIZE (RFC 1870), BODY (RFC 6152),
// SMTPUTF8 (RFC 6531) and AUTH (RFC 4954 section 5, accepted and ignored); anything else is
// 555 5.5.4.
//
// Replies on failure (the session adds the sequence checks, 503):
//   500 5.5.2  not a command we know              501 5.5.4  bad arguments (syntax)
//   501 5.1.7  bad sender path                    501 5.1.3  bad recipient path
//   555 5.5.4  parameter not recognised or not offered
//   552 5.3.4  SIZE= beyond the limit             (line too long: the session, 500 5.5.6)

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "mail/smtp/reply.hpp"

namespace l7::mail {

// RFC 5321 4.5.3.1: the sizes every server must accept, and which we hold clients to.
inline constexpr std::size_t kSmtpMaxCommandLine = 512;  // incl. CRLF (4.5.3.1.4)
// MAIL and RCPT carry ESMTP parameters, which RFC 1869 4.1.2 lets each extension lengthen
// the line by (SIZE= 26 octets, RFC 1870; AUTH= 500, RFC 4954 section 5; BODY=, SMTPUTF8):
// we read as much as Postfix does (line_length_limit).
inline constexpr std::size_t kSmtpMaxMailCommandLine = 2048;
// RFC 4954 section 4: AUTH with an initial response, and the client's SASL responses.
inline constexpr std::size_t kSmtpMaxAuthLine = 12288;
inline constexpr std::size_t kSmtpMaxPath = 256;    // "<...>" incl. brackets (4.5.3.1.3)
inline constexpr std::size_t kSmtpMaxDomain = 255;  // 4.5.3.1.2
inline constexpr std::size_t kSmtpMaxLabel = 63;    // one label of a domain (RFC 1035)

enum class SmtpVerb {
    ehlo,
    helo,
    mail,
    rcpt,
    data,
    rset,
    noop,
    quit,
    vrfy,
    expn,
    help,
    auth,
    starttls,
    bdat,
    not_implemented,  // known but not offered: TURN, ETRN, SEND, SOML, SAML (RFC 5321 F)
    http,             // GET, POST, CONNECT, ...: a web client or a cross-protocol attack
};

// A reverse-path or forward-path, with any source route dropped.
struct SmtpPath {
    // "local@domain" as written (a quoted local part keeps its quotes); empty for the null
    // reverse-path "<>"; "postmaster" (as written) for RCPT TO:<postmaster>.
    std::string mailbox;
    bool non_ascii = false;  // UTF-8 somewhere: needs an SMTPUTF8 transaction (RFC 6531)

    friend bool operator==(const SmtpPath&, const SmtpPath&) = default;
};

// esmtp-param = esmtp-keyword ["=" esmtp-value]; the keyword upper-cased.
struct SmtpParameter {
    std::string keyword;
    std::optional<std::string> value;

    friend bool operator==(const SmtpParameter&, const SmtpParameter&) = default;
};

struct SmtpCommand {
    SmtpVerb verb = SmtpVerb::noop;
    // EHLO/HELO: the client's name (a domain or an address literal, as written). AUTH: the
    // mechanism, upper-cased. VRFY, EXPN: the required string; NOOP, HELP: the optional one.
    // not_implemented and http: the verb as written.
    std::string argument;
    // AUTH: the initial response as sent ("=" stands for an empty one).
    std::optional<std::string> initial_response;
    SmtpPath path;                          // MAIL (reverse-path), RCPT (forward-path)
    std::vector<SmtpParameter> parameters;  // MAIL, RCPT: in order, keywords distinct
};

// The line without its line end. The line length limits are the session's (it knows whether
// a line is a command or a SASL response); this only reads what is there.
Result<SmtpCommand, SmtpReply> parse_smtp_command(std::string_view line);

// The longest line, incl. CRLF, that a command with this verb may have (the limits above).
std::size_t smtp_line_limit(SmtpVerb verb);

// The verb of a line, for choosing its limit before parsing it: nullopt when unknown.
std::optional<SmtpVerb> smtp_verb_of(std::string_view line);

enum class SmtpBody { unspecified, seven_bit, eight_bit_mime };

struct SmtpMailParameters {
    std::optional<std::uint64_t> size;  // SIZE=, saturating beyond 2^64-1
    SmtpBody body = SmtpBody::unspecified;
    bool smtputf8 = false;
    std::optional<std::string> auth;  // AUTH= as sent ("<>" or xtext); recorded, not used

    friend bool operator==(const SmtpMailParameters&, const SmtpMailParameters&) = default;
};

// What the server announced in its EHLO reply (nothing after HELO): a parameter of an
// extension not offered is 555, as if unknown (RFC 5321 4.1.2: clients must not send them).
struct SmtpOfferedParameters {
    bool size = false;
    std::uint64_t max_size = 0;  // with size: SIZE= above it is 552 5.3.4 (RFC 1870 section 6)
    bool eight_bit_mime = false;
    bool smtputf8 = false;
    bool auth = false;
};

// MAIL FROM parameters. Errors: 501 5.5.4 (a value missing, malformed or duplicated),
// 555 5.5.4 (unknown, or not offered, or BODY= other than 7BIT and 8BITMIME), 552 5.3.4.
Result<SmtpMailParameters, SmtpReply> parse_mail_parameters(
    std::span<const SmtpParameter> parameters, const SmtpOfferedParameters& offered);

}  // namespace l7::mail
