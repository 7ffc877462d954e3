#pragma once
// The SMTP client's protocol core (RFC 5321 as the sending side), sans-I/O: the server's bytes
// in, bytes to send and outcomes out. The mail server's relay drives it to deliver queued
// mail to other domains' MX hosts (one session per connection, several messages on it), and
// `l7 mail send` to submit a message to port 587 with AUTH (RFC 6409).
//
// Theory of operation
//
//   SmtpClientSession s(config);                  // the connection is open
//   for (;;) {
//       while (auto ev = s.next_event()) {
//           SmtpClientSend:        write ev.bytes (before asking for the next event)
//           SmtpClientReady:       s.send_message(msg) or s.quit()
//           SmtpClientMessageDone: one outcome per recipient (delivered, or why not)
//           SmtpClientClosed:      close the socket; ev.failure says what to do with the
//                                  messages not yet sent on this connection
//       }
//       arm the timer for s.waiting_for() (smtp_client_timeout()); read; s.receive(bytes)
//       (an empty read, the server's EOF: s.receive({})); on the timer: s.timed_out()
//   }
//
// Dialogue: the 220 greeting (3.1: a 554 refuses us), EHLO (HELO when the server answers
// EHLO with a 5xx, 3.2), AUTH when credentials are configured (RFC 4954: PLAIN with its
// initial response, else LOGIN), then each message: [RSET] MAIL, RCPT per recipient, DATA,
// the data, ".", and at the end QUIT. With PIPELINING (RFC 2920) the session writes RSET,
// MAIL, every RCPT and DATA in one send and matches the replies in order; without it, one
// command at a time. DATA is sent only when a recipient was accepted. Should a pipelined DATA
// get 354 although no RCPT was accepted (the server did not check), the session sends the
// empty message "." alone (RFC 2920 3.1) and ignores its reply. A transaction that ended
// without its final reply (every RCPT refused, DATA refused) is closed by RSET before the
// next message, so a connection that carries one message only needs no RSET.
//
// Before sending a message the session checks what it knows of the server (nothing is sent
// for a message that fails here, and it fails permanently):
//   larger than the server's SIZE (RFC 1870)     552 5.3.4
//   eight_bit, but no 8BITMIME (RFC 6152)        554 5.6.3 (no downgrade to 7 bits)
//   smtputf8, but no SMTPUTF8 (RFC 6531 3.4)     553 5.6.7
//   an address with controls, "<" or ">", or longer than a path may be (4.5.3.1.3):
//                                                501 5.1.7 (sender) or 501 5.1.3 (recipient)
//
// Data (4.5.2, 2.3.8): every line ends in CRLF on the wire, a bare CR or LF in the message
// written as CRLF (a lax server could otherwise read LF "." LF as the end: SMTP smuggling);
// a dot that starts a line gets another; CRLF is added when the message does not end in
// one, then "." CRLF. The message is handed out in sends of at most limits.data_chunk octets,
// each made when next_event() is called, so the session holds the message (moved in) and one
// chunk, however large the message: write each send before asking for the next event.
//
// Outcomes: each recipient gets exactly one, in one SmtpClientMessageDone per message:
// delivered (the final 2xx), temporary_failure (a 4xx at MAIL, RCPT, DATA or the final reply;
// the connection lost, timed out or misbehaving before the final reply) or permanent_failure
// (a 5xx), with the reply that decided it, which stage it answered, and whether the server
// said it or the session concluded it (local: the connection failed, a check above). A 421
// at any point fails what is pending temporarily and closes without QUIT (3.8). A refused
// greeting, EHLO/HELO or AUTH fails the pending message and closes with QUIT;
// SmtpClientClosed then carries that failure for the messages the driver still holds.
//
// Timeouts (4.5.3.2): waiting_for() names the wait; smtp_client_timeout() gives its length:
// greeting 5 min, a command's reply 5 min, DATA's 354 2 min, each data send 3 min, the reply
// to "." 10 min. The driver arms a timer and calls timed_out() when it fires.
//
// Limits (SmtpClientLimits): a reply line (2048 octets with its CRLF: RFC 5321 4.5.3.1.5
// names 512, but 4.5.3.1 asks receivers not to limit where they can; Postfix reads 2048),
// lines per reply (100), octets per reply (64 KiB), input held while data is being sent
// (128 KiB). A reply past a limit, with a bad code, or mixing codes across its lines ends
// the connection (temporary failure, no QUIT: we are no longer in step with the server).
//
// Trace: "S: 220 hamburger.edu", "C: HELO crepes.fr", ... as on the wire; credentials are
// recorded as "<credentials hidden>", and a message's data shows its first 100 lines (each
// cut at 200 octets), a note of how many more, and the final ".".

#include <chrono>
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
#include "mail/smtp/reply.hpp"

namespace l7::mail {

// ------------------------------------------------------------------------------ replies

struct SmtpReplyLimits {
    std::size_t max_line = 2048;        // octets incl. CRLF (raised to at least 512)
    std::size_t max_lines = 100;        // lines of one reply
    std::size_t max_bytes = 64 * 1024;  // octets of one reply
};

// Reads a server's replies (RFC 5321 4.2) from a buffer:
//   Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
// with the code 2xx to 5xx (second digit 0 to 5) and the same on every line. A line may end
// in a bare LF. An enhanced status code (RFC 3463) leading the first line's text, of the
// code's class, becomes SmtpReply::status and is taken off every line that repeats it; it
// is read whether or not ENHANCEDSTATUSCODES was offered (some servers send it anyway, and a
// bounce is better with it). Control characters in the text are dropped.
class SmtpReplyReader {
  public:
    enum class Status { reply, need_more, malformed };

    explicit SmtpReplyReader(SmtpReplyLimits limits = {});

    // The next reply of in[pos...], advancing `pos` past what was read. Each line read is
    // recorded in `trace` ("S: ..."). After `malformed`, problem() says why; the reader is
    // then reset and would read on from the next line.
    Status next(const std::string& in, std::size_t& pos, SmtpReply& reply, trace::Recorder& trace);
    const std::string& problem() const { return problem_; }

  private:
    Status fail(std::string problem);

    SmtpReplyLimits limits_;
    CommandLineScanner lines_;
    SmtpReply partial_;  // the lines so far of a multi-line reply
    std::size_t partial_bytes_ = 0;
    bool in_reply_ = false;
    std::string problem_;
};

// ------------------------------------------------------------------------ configuration

struct SmtpClientCredentials {
    std::string user;
    std::string password;
};

struct SmtpClientLimits {
    SmtpReplyLimits reply;
    std::size_t max_buffered_input = 128 * 1024;  // server bytes not yet read (raised to
                                                  // reply.max_bytes + reply.max_line)
    std::size_t data_chunk = 64 * 1024;           // octets of message data per send (at least 512)
};

struct SmtpClientConfig {
    std::string hello_name = "localhost";  // our name in EHLO/HELO (controls removed)
    bool ehlo = true;  // false: HELO only (the course's dialogue; a server known to be old)
    std::optional<SmtpClientCredentials> auth;  // AUTH when the server offers PLAIN or LOGIN
    bool require_auth = false;  // with auth: no AUTH offered fails (554 5.7.4) rather than
                                // sending without it
    SmtpClientLimits limits;
};

// One message to send. The addresses are mailboxes as they go between "<" and ">".
struct SmtpOutgoingMessage {
    std::string mail_from;                // empty: the null reverse-path "<>" (bounces)
    std::vector<std::string> recipients;  // at least one
    std::string data;        // header and body, CRLF lines, NOT dot-stuffed (the session stuffs)
    bool eight_bit = false;  // the body has 8-bit octets: BODY=8BITMIME (RFC 6152)
    bool smtputf8 = false;   // UTF-8 addresses or header fields: SMTPUTF8 (RFC 6531)
};

// What the server's EHLO reply offered (nothing after HELO).
struct SmtpServerOffer {
    bool esmtp = false;  // EHLO was answered with 250
    bool pipelining = false;
    bool size = false;
    std::uint64_t max_size = 0;  // with size; 0: no fixed limit announced
    bool eight_bit_mime = false;
    bool smtputf8 = false;
    bool enhanced_status_codes = false;
    bool starttls = false;  // recorded only: l7 has no TLS yet
    bool auth_plain = false;
    bool auth_login = false;
    bool auth = false;  // AUTH offered, with whatever mechanisms

    friend bool operator==(const SmtpServerOffer&, const SmtpServerOffer&) = default;
};

// --------------------------------------------------------------------------- outcomes

enum class SmtpOutcomeKind { delivered, temporary_failure, permanent_failure };

// The step of the dialogue an outcome answers: for "(in reply to RCPT TO command)".
enum class SmtpStage { connection, greeting, hello, auth, rset, mail, rcpt, data, message };

// "MAIL FROM", "RCPT TO", "end of DATA", ...
std::string_view smtp_stage_name(SmtpStage stage);

struct SmtpOutcome {
    SmtpOutcomeKind kind = SmtpOutcomeKind::delivered;
    SmtpReply reply;  // the server's reply, or the session's own when local
    SmtpStage stage = SmtpStage::message;
    bool local = false;  // concluded by the session (no server said it): no Diagnostic-Code

    // RFC 3463 status for a DSN (RFC 3464 Status): the reply's, else X.0.0 of its class.
    EnhancedStatus status() const;
    // The reply on one line, "550 5.1.1 No such user here": a DSN's Diagnostic-Code after
    // "smtp; ", and what a user is shown.
    std::string diagnostic() const;

    friend bool operator==(const SmtpOutcome&, const SmtpOutcome&) = default;
};

struct SmtpRecipientOutcome {
    std::string recipient;
    SmtpOutcome outcome;
};

// ----------------------------------------------------------------------------- events

// Bytes to write to the server, in order.
struct SmtpClientSend {
    std::string bytes;
};

// The connection is idle and ready for a message: send_message() or quit(). Once per idle
// spell (after the greeting and EHLO/AUTH, after each message).
struct SmtpClientReady {};

// A message is over: `recipients` in the order of SmtpOutgoingMessage::recipients, each
// exactly once. `overall`: the first recipient's outcome when every one was delivered;
// otherwise the first temporary failure (some recipients are worth trying again), else the
// first permanent one.
struct SmtpClientMessageDone {
    std::vector<SmtpRecipientOutcome> recipients;
    SmtpOutcome overall;
};

// The connection is over: close the socket (after the sends before this). `failure`: why
// the connection failed, for messages not yet given to it; none after a clean QUIT.
struct SmtpClientClosed {
    std::string reason;
    std::optional<SmtpOutcome> failure;
};

using SmtpClientEvent =
    std::variant<SmtpClientSend, SmtpClientReady, SmtpClientMessageDone, SmtpClientClosed>;

// What the session waits for now (RFC 5321 4.5.3.2).
enum class SmtpClientWaitingFor {
    greeting,       // 4.5.3.2.1: 5 minutes
    command_reply,  // 4.5.3.2.2-3: EHLO, HELO, AUTH, RSET, MAIL, RCPT, QUIT: 5 minutes
    data_reply,     // 4.5.3.2.4: the reply to DATA: 2 minutes
    data_block,     // 4.5.3.2.5: message data still to be sent: 3 minutes per send
    final_reply,    // 4.5.3.2.6: the reply to ".": 10 minutes
    driver,         // idle: a message or quit() (the driver's own idle limit)
    nothing,        // closed
};

// The timeout for a wait; zero for driver and nothing (no protocol timeout applies).
std::chrono::seconds smtp_client_timeout(SmtpClientWaitingFor waiting);

// ---------------------------------------------------------------------------- session

class SmtpClientSession {
  public:
    explicit SmtpClientSession(SmtpClientConfig config);

    // Bytes from the server, read when next_event() is called; an empty view is its EOF.
    // Ignored once closed. More than limits.max_buffered_input unread fails the connection.
    void receive(std::string_view bytes);

    // The wait that waiting_for() named has run out: pending messages fail temporarily and
    // the session closes (no QUIT: the server is not answering). Ignored once closed.
    void timed_out();

    // The next thing for the driver to do; nullopt when the session needs server bytes or a
    // message. Events are independent values: the driver owns them.
    std::optional<SmtpClientEvent> next_event();

    // A message for this connection: sent as soon as the session is ready (it may be given
    // before SmtpClientReady, e.g. while the greeting is awaited). False, and nothing done,
    // when a message is already in progress, after quit() or the close, or without
    // recipients.
    bool send_message(SmtpOutgoingMessage message);

    // QUIT once the message in progress (if any) is done; the session closes at the 221
    // or the server's EOF. Idempotent.
    void quit();

    SmtpClientWaitingFor waiting_for() const;
    // What the EHLO reply offered.
    const SmtpServerOffer& offer() const { return offer_; }
    // Bytes held: unread input, the message being sent, sends not yet handed out.
    std::size_t buffered_bytes() const;

    // C:/S: lines of the dialogue when enabled (see the top of this file).
    trace::Recorder& trace() { return trace_; }

  private:
    // The reply each command sent waits for, in order (several when pipelined).
    enum class Expect {
        greeting,
        ehlo,
        helo,
        auth,            // AUTH PLAIN ir, or the password of LOGIN: 235 ends it
        login_user,      // AUTH LOGIN: 334, then the user name
        login_password,  // the user name sent: 334, then the password
        rset,
        mail,
        rcpt,
        data,
        message,        // the reply to "."
        empty_message,  // the reply to a lone "." (pipelined DATA, no recipient): ignored
        quit,
    };

    struct Transaction {
        SmtpOutgoingMessage message;
        std::vector<std::optional<SmtpOutcome>> outcomes;  // per recipient, once decided
        std::vector<bool> accepted;                        // RCPT got 2xx
        std::vector<std::size_t> to_send;  // recipients that passed the checks, in order
        std::size_t rcpts_sent = 0;
        std::size_t rcpt_replies = 0;
        bool started = false;      // checked, and its first command sent
        bool mail_failed = false;  // MAIL refused: its reply is every recipient's outcome
    };

    void advance();
    void flush();
    void push_event(SmtpClientEvent ev);
    void send_line(std::string_view line, std::string_view traced = {});
    bool read_reply(SmtpReply& reply);
    void handle_reply(const SmtpReply& reply);
    void handle_unsolicited(const SmtpReply& reply);

    void on_greeting(const SmtpReply& reply);
    void on_ehlo(const SmtpReply& reply);
    void on_helo(const SmtpReply& reply);
    void on_auth(Expect expect, const SmtpReply& reply);
    void on_rset(const SmtpReply& reply);
    void on_mail(const SmtpReply& reply);
    void on_rcpt(const SmtpReply& reply);
    void on_data(const SmtpReply& reply);
    void on_message(const SmtpReply& reply);

    void send_hello();
    void start_auth_or_ready();
    void handshake_done();
    void start_message();
    bool check_message();
    void send_mail();
    void send_next_rcpt();
    void send_data_command();
    void begin_data();
    void next_data_chunk();
    void trace_data(std::string_view chunk, bool ended);
    void decide(std::size_t recipient, const SmtpOutcome& outcome);
    void decide_rest(const SmtpOutcome& outcome);
    void finish_message();
    void send_quit();
    void fail_connection(const SmtpOutcome& outcome, std::string reason, bool with_quit);
    void protocol_error(SmtpStage stage, const SmtpReply& reply);
    void connection_lost(SmtpStage stage, std::string why);
    void close(std::string reason, std::optional<SmtpOutcome> failure);
    SmtpStage current_stage() const;

    SmtpClientConfig config_;
    SmtpReplyReader replies_;
    SmtpServerOffer offer_;
    std::deque<Expect> expect_;
    bool handshake_done_ = false;
    bool ready_announced_ = false;
    bool quit_requested_ = false;
    bool quit_sent_ = false;
    bool closed_ = false;
    bool needs_rset_ = false;  // a transaction is open on the server without its end
    std::optional<SmtpOutcome> closing_failure_;  // told in SmtpClientClosed after QUIT
    std::string closing_reason_;

    std::string in_;  // received bytes; those before in_pos_ are read
    std::size_t in_pos_ = 0;
    bool eof_ = false;
    bool timed_out_ = false;
    std::string out_;  // command lines not yet handed out in a send event
    std::deque<SmtpClientEvent> events_;

    std::optional<Transaction> transaction_;
    // The data being handed out (4.5.2): where in the message, and whether a line starts.
    bool sending_data_ = false;
    std::size_t data_pos_ = 0;
    bool data_line_start_ = true;
    std::string trace_line_;
    std::size_t traced_data_lines_ = 0;

    trace::Recorder trace_;
};

}  // namespace l7::mail
