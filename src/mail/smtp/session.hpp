#pragma once
// The SMTP server's protocol core (RFC 5321), sans-I/O: bytes from the client in, bytes to
// send and questions for the driver out. It never touches a socket, clock, file or random
// number: whatever only the driver knows (whether a recipient exists, whether a password is
// right, a message's queue id and date, whether the message is safely on disk) it asks for,
// and it goes on when the driver answers.
//
// Theory of operation
//
//   SmtpServerSession s(config, peer);
//   s.start();                                    // the 220 greeting, as a send event
//   for (;;) {
//       while (auto ev = s.next_event()) {
//           SmtpSend: write ev.bytes (before reading again)
//           SmtpCheckRecipient:   s.recipient_result(Accept/Reject/NotRelaying/TempFail)
//           SmtpCheckCredentials: s.credentials_result(...)
//           SmtpBeginMessage:     s.begin_message_result(SmtpMessageStamp{id, date})
//           SmtpMessage:          store ev.data durably, then s.message_result(stored)
//           SmtpClose:            close the connection (after the sends before it)
//       }
//       arm the timeout for s.waiting_for(); read at most s.input_room() bytes;
//       s.receive(bytes);                         // an empty read (EOF): s.receive({})
//   }
//
// A question is answered with its *_result call, at once or later (an asynchronous lookup);
// until then next_event() returns nothing and the session reads no further, so replies stay
// in command order however far the client pipelines (RFC 2920), and no 250 follows a
// message's end before the driver has said it is stored. Replies are collected and sent
// together when the session runs out of input (RFC 2920 section 3.2: a pipelined batch
// gets its replies in one write), or when 16 KiB of them are waiting.
//
// States: not started -> command <-> sasl (an AUTH dialogue) / data (after 354) / waiting
// (for a *_result) -> closed (after QUIT, 421 or the client's EOF; input is then ignored).
// The transaction (MAIL, RCPT..., DATA) starts at MAIL and ends at the message's end reply,
// RSET, HELO or EHLO.
//
// DATA (RFC 5321 4.5.2): the data ends only at CRLF "." CRLF. Dots that start a line are
// removed. A bare CR or LF anywhere makes the message refused after its end (550 5.6.0):
// servers that end the data at LF "." LF, or take a bare LF as a line end, are what SMTP
// smuggling plays against each other, and a message we cannot pass on unchanged we do not
// take. Text lines longer than 1000 octets (4.5.3.1.6) are accepted: 4.5.3.1 asks for no
// limits where possible, Postfix accepts them, and refusing would lose real mail (HTML
// newsletters); memory is bounded by the message size limit, beyond which the rest of the
// data is read and dropped and the message refused at its end (552 5.3.4).
//
// Limits (SmtpLimits): message size, recipients per message (452 4.5.3, RFC 5321
// 4.5.3.1.10 asks for at least 100), errors per session (then 421 and close), commands
// without a message (NOOP, RSET, VRFY, EXPN, HELP), failed authentications, and the input
// buffered while the driver answers (input_room()). Command lines: 512 octets, MAIL and
// RCPT 2048, AUTH and SASL responses 12288 (command.hpp); longer: 500 5.5.6.
//
// Replies carry enhanced status codes (RFC 2034, 3463) after EHLO when the extension is
// offered; never after HELO, never on the greeting or the HELO/EHLO reply.
//
// The message handed to the driver starts with a Received field (RFC 5321 4.4), e.g.
//   Received: from client.example (mail.client.example [192.0.2.1])
//   	by mx.example.org with ESMTPA id 1a2b3c
//   	for <bob@example.org>; Thu, 01 Jan 2026 12:00:00 +0000
// "for" only with a single recipient, so that one recipient's copy does not tell the others'
// addresses; "with" is SMTP, ESMTP or UTF8SMTP plus S for TLS and A for AUTH (RFC 3848, RFC
// 6531 3.7.3).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/trace/recorder.hpp"
#include "mail/command_lines.hpp"
#include "mail/smtp/command.hpp"
#include "mail/smtp/reply.hpp"
#include "mail/smtp/sasl.hpp"

namespace l7::mail {

struct SmtpExtensions {
    bool pipelining = true;             // RFC 2920
    bool eight_bit_mime = true;         // RFC 6152
    bool enhanced_status_codes = true;  // RFC 2034
    bool smtputf8 = true;               // RFC 6531
    bool help = true;                   // RFC 5321 4.1.1.8 (SIZE is always offered)
};

struct SmtpLimits {
    std::size_t max_message_size = 25 * 1024 * 1024;  // octets of data, announced as SIZE
    std::size_t max_recipients = 100;                 // per message
    std::size_t max_errors = 20;                      // error replies, then 421 and close
    std::size_t max_junk_commands = 100;  // NOOP, RSET, VRFY, EXPN, HELP between messages
    std::size_t max_auth_failures = 3;    // then 421 and close
    // Input read but not yet processed (a pipelined batch while the driver answers); at least
    // kSmtpMaxAuthLine. A driver that reads at most input_room() never exceeds it; one that
    // does gets its client a 421.
    std::size_t max_buffered_input = 64 * 1024;
};

enum class SmtpAuthPolicy {
    none,      // AUTH is not offered (an MX)
    offered,   // AUTH PLAIN LOGIN is offered; mail is taken without it too
    required,  // the submission service (RFC 6409): MAIL before AUTH is 530 5.7.0
};

struct SmtpServerConfig {
    std::string hostname = "localhost";  // in the greeting, EHLO reply, Received "by"
    std::string greeting = "ESMTP l7";   // after "220 <hostname> "
    SmtpAuthPolicy auth = SmtpAuthPolicy::none;
    SmtpExtensions extensions;
    SmtpLimits limits;
};

// The connection, as the driver knows it.
struct SmtpPeer {
    std::string address;  // "192.0.2.1" or "2001:db8::1"; empty when unknown
    std::string name;     // its reverse-DNS name, forward-confirmed; empty when none
    bool tls = false;     // the connection is encrypted (no TLS in l7 yet)
};

struct SmtpEnvelope {
    std::string helo;       // the name from HELO/EHLO, as given
    bool esmtp = false;     // EHLO (true) or HELO
    std::string auth_user;  // the authenticated user; empty when none
    std::string mail_from;  // the reverse-path's mailbox; empty for the null path "<>"
    SmtpMailParameters parameters;
    std::vector<std::string> recipients;  // the accepted ones, in order

    friend bool operator==(const SmtpEnvelope&, const SmtpEnvelope&) = default;
};

// Bytes to write to the client, in order.
struct SmtpSend {
    std::string bytes;
};

// Is this a recipient we take mail for? Answer with recipient_result(). `address` is the
// forward-path's mailbox as written ("bob@example.org", "\"b o b\"@example.org", UTF-8 in
// an SMTPUTF8 transaction), or "postmaster" (any case) without a domain, which RFC 5321
// 4.5.1 says must be accepted.
struct SmtpCheckRecipient {
    std::string address;
};

// Are these a user's credentials? Answer with credentials_result().
struct SmtpCheckCredentials {
    SaslMechanism mechanism = SaslMechanism::plain;
    std::string user;
    std::string password;
};

// The client sent DATA: give the message its queue id and the date of its reception, which
// go into its Received field (answer with begin_message_result()). The envelope so far is
// envelope().
struct SmtpBeginMessage {};

// A whole message: store it durably, then answer with message_result(). `data` is the
// Received field and the message as sent, dot-unstuffed, every line ending in CRLF, without
// the final "." line.
struct SmtpMessage {
    SmtpEnvelope envelope;
    std::string id;  // from SmtpMessageStamp
    std::string data;
};

// Close the connection, once the sends before this event are written.
struct SmtpClose {};

using SmtpEvent = std::variant<SmtpSend, SmtpCheckRecipient, SmtpCheckCredentials, SmtpBeginMessage,
                               SmtpMessage, SmtpClose>;

enum class SmtpRecipientVerdict {
    accept,             // 250 2.1.5
    reject,             // 550 5.1.1: no such mailbox
    not_relaying,       // 550 5.7.1: not ours, and the client may not relay (RFC 5321 3.6.2)
    temporary_failure,  // 451 4.3.0: the lookup failed; the client tries again later
};

enum class SmtpCredentialsVerdict {
    accept,             // 235 2.7.0
    reject,             // 535 5.7.8 (counts towards max_auth_failures)
    temporary_failure,  // 454 4.7.0 (RFC 4954 section 6)
};

enum class SmtpDeliveryResult {
    stored,             // 250 2.0.0: the message is on disk, the responsibility ours
    temporary_failure,  // 451 4.3.0: the client keeps it and tries again
    rejected,           // 554 5.6.0: refused for good
};

struct SmtpMessageStamp {
    std::string id;    // the queue id: an atom (RFC 5322 3.2.3), e.g. "1a2b3c"
    std::string date;  // RFC 5322 date-time, e.g. "Thu, 01 Jan 2026 12:00:00 +0000"
};

// What the session waits for, for the driver's timeouts (RFC 5321 4.5.3.2: 5 minutes for a
// command, 3 for each block of data).
enum class SmtpWaitingFor {
    command,  // the client's next command or SASL response
    data,     // more of the message's data
    driver,   // an answer from the driver, or start()
    nothing,  // closed
};

class SmtpServerSession {
  public:
    explicit SmtpServerSession(SmtpServerConfig config, SmtpPeer peer = {});

    // Queues the 220 greeting. Once; input received before is kept until then.
    void start();

    // Bytes from the client, buffered until next_event() reads them; an empty view is its
    // EOF. Ignored once closed. Takes every byte, but a driver should give no more than
    // input_room() (more, and the session answers 421 and closes).
    void receive(std::string_view bytes);

    // How many bytes receive() takes now: 0 while a pipelined batch waits for the driver.
    std::size_t input_room() const;

    // The next thing for the driver to do; nullopt when the session needs more input or an
    // answer to its last question. Events are independent values: the driver owns them.
    std::optional<SmtpEvent> next_event();

    // Answers to the questions. Each returns false (and does nothing) when that answer is
    // not awaited: the question was not asked, or the session has closed meanwhile.
    bool recipient_result(SmtpRecipientVerdict verdict);
    bool credentials_result(SmtpCredentialsVerdict verdict);
    // nullopt: no message can be taken now (451 4.3.0; the transaction stays open).
    bool begin_message_result(std::optional<SmtpMessageStamp> stamp);
    bool message_result(SmtpDeliveryResult result);

    SmtpWaitingFor waiting_for() const;
    // The current transaction (and session) state: helo, auth_user, mail_from, recipients.
    const SmtpEnvelope& envelope() const { return envelope_; }
    // Bytes held: unprocessed input, replies not yet sent, and the message being received.
    std::size_t buffered_bytes() const;

    // C:/S: lines of the dialogue when enabled; credentials are recorded as
    // "<credentials hidden>" and a message's data shows its first lines only.
    trace::Recorder& trace() { return trace_; }

  private:
    enum class Phase { not_started, command, sasl, data, waiting, closed };
    enum class Question { none, recipient, credentials, begin_message, message };
    enum class DataState { line_start, dot, dot_cr, text, cr };
    enum class DataProblem { none, too_big, bare_line_end };
    using LineStatus = CommandLineScanner::Status;

    void advance();
    void flush();
    LineStatus next_line(std::string_view& line);
    void handle_command_line(std::string_view line);
    void handle_command(const SmtpCommand& cmd);
    void handle_hello(const SmtpCommand& cmd);
    void handle_mail(const SmtpCommand& cmd);
    void handle_rcpt(const SmtpCommand& cmd);
    void handle_data();
    void handle_auth(const SmtpCommand& cmd);
    void handle_sasl_line(std::string_view line);
    void handle_sasl_step(SaslStep step);
    void read_data();
    void append_data(std::string_view bytes);
    void refuse_data(DataProblem problem);
    void finish_data();
    void trace_data(std::string_view raw, bool ended);
    std::string received_field(const SmtpMessageStamp& stamp) const;

    void reply(const SmtpReply& r);
    void error(const SmtpReply& r);  // a reply that counts towards max_errors
    void auth_failed(const SmtpReply& r);
    void junk();
    void close_with(const SmtpReply& r);
    void reset_transaction();
    bool enhanced() const;
    bool auth_offered() const;
    SmtpOfferedParameters offered() const;

    SmtpServerConfig config_;
    SmtpPeer peer_;
    Phase phase_ = Phase::not_started;
    Question question_ = Question::none;

    std::string in_;  // received bytes; those before in_pos_ are processed
    std::size_t in_pos_ = 0;
    CommandLineScanner lines_;
    bool eof_ = false;
    std::string out_;  // replies not yet handed out in a send event
    std::deque<SmtpEvent> events_;
    bool close_queued_ = false;

    bool greeted_ = false;  // HELO or EHLO seen
    bool in_transaction_ = false;
    SmtpEnvelope envelope_;
    std::size_t errors_ = 0;
    std::size_t junk_commands_ = 0;
    std::size_t auth_failures_ = 0;
    std::optional<SaslServerExchange> sasl_;
    std::string auth_candidate_;     // the user whose credentials the driver is checking
    std::string pending_recipient_;  // the address the driver is checking

    DataState data_state_ = DataState::line_start;
    DataProblem data_problem_ = DataProblem::none;
    std::string message_;        // the Received field, then the data so far
    std::size_t data_size_ = 0;  // octets of data in message_ (or that would be)
    std::string message_id_;
    std::string trace_line_;  // the data line being traced
    std::size_t traced_data_lines_ = 0;

    trace::Recorder trace_;
};

}  // namespace l7::mail
