#pragma once
// An SMTP reply (RFC 5321 section 4.2): a three-digit code and one or more lines of text, each
// line led by an enhanced status code (RFC 3463) once the client has seen
// ENHANCEDSTATUSCODES in the EHLO reply (RFC 2034). On the wire every line but the last has a
// hyphen after the code, the last a space, and each ends in CRLF:
//
//   250-mx.example.org greets client.example
//   250-PIPELINING
//   250 HELP
//
//   550-5.1.1 No such user here
//   550 5.1.1 Try another address
//
// Only the server writes replies in l7 so far, so there is no reply parser yet.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l7::mail {

// RFC 3463 section 2: class "." subject "." detail. The class is 2, 4 or 5, like the first
// digit of the reply code it goes with (3xx replies carry none).
struct EnhancedStatus {
    unsigned klass = 2;
    unsigned subject = 0;
    unsigned detail = 0;

    friend bool operator==(const EnhancedStatus&, const EnhancedStatus&) = default;
};

// "2.1.5".
std::string format_enhanced_status(EnhancedStatus status);

struct SmtpReply {
    unsigned code = 250;                   // 200 to 599
    std::optional<EnhancedStatus> status;  // written only where negotiated (see format_reply)
    std::vector<std::string> lines;        // the text; no lines is written as one empty line

    friend bool operator==(const SmtpReply&, const SmtpReply&) = default;
};

// A one-line reply, with and without an enhanced status code.
SmtpReply smtp_reply(unsigned code, EnhancedStatus status, std::string text);
SmtpReply smtp_reply(unsigned code, std::string text);

// The wire form, appended to `out`. `enhanced` false leaves the enhanced status out: RFC 2034
// section 3 has it on every reply after EHLO negotiated it, except the greeting and the
// replies to HELO and EHLO. A CR or LF inside a text line (from a caller's string) is written
// as a space, so a reply cannot end early or smuggle a second reply in.
void append_reply(std::string& out, const SmtpReply& reply, bool enhanced = true);
std::string format_reply(const SmtpReply& reply, bool enhanced = true);

}  // namespace l7::mail
