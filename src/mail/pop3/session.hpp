#pragma once
// The POP3 server's protocol core (RFC 1939, with RFC 2449 CAPA, PIPELINING and response
// codes, RFC 3206 [SYS/TEMP] and [AUTH], RFC 5034 AUTH PLAIN), sans-I/O: bytes from the
// client in, bytes to send and questions for the driver out. Whatever only the driver knows
// (whether a password is right, a mailbox's messages and their bytes, whether the deleted
// ones are gone from the disk) it asks for, and it goes on when the driver answers.
//
// Theory of operation
//
//   Pop3ServerSession s(config);
//   s.start();                                    // the +OK greeting, as a send event
//   for (;;) {
//       while (auto ev = s.next_event()) {
//           Pop3Send: write ev.bytes (before reading again)
//           Pop3CheckCredentials: s.credentials_result(accept / reject / temporary_failure)
//           Pop3OpenMailbox:      lock the user's mailbox and list it: s.mailbox_result(...)
//           Pop3ReadMessage:      s.message_result(the stored message's bytes)
//           Pop3Commit:           remove the deleted messages, then s.commit_result(ok)
//           Pop3Close:            close the connection (after the sends before it)
//       }
//       arm the timeout for s.waiting_for(); read at most s.input_room() bytes;
//       s.receive(bytes);                         // an empty read (EOF): s.receive({})
//   }
//
// A question is answered with its *_result call, at once or later; until then the session
// reads no further, so responses stay in command order however far the client pipelines
// (RFC 2449 6.6). Responses are collected and sent together when the input runs out, or
// when 16 KiB of them are waiting.
//
// States (RFC 1939 3): AUTHORIZATION (USER/PASS or AUTH; then the mailbox is opened: the
// driver locks it, and a mailbox it cannot open is "-ERR [IN-USE]" and the session stays in
// AUTHORIZATION, RFC 1939 7 PASS), TRANSACTION (message numbers 1..N are fixed at its start;
// DELE only marks, RSET unmarks), UPDATE (QUIT: the driver is asked to remove the marked
// messages, Pop3Commit, and the +OK or -ERR follows its answer). A session that ends any
// other way (EOF, too many errors) never reaches UPDATE and deletes nothing (RFC 1939 6).
//
// Multi-line responses (RFC 1939 3) end with a "." line, and every line starting with "."
// gets another in front (byte-stuffing). The stored message's lines are sent as CRLF lines:
// a bare LF is sent as CRLF, and a message not ending in CRLF gets one before the ".".
//
// Limits (Pop3Limits): errors (-ERR for a bad or ill-timed command, then close), failed
// logins (then close), and input buffered while the driver answers (input_room()). Command
// lines: 255 octets including CRLF (RFC 2449 4), SASL responses 2048 (command.hpp); a longer
// one is answered "-ERR line too long" and the rest of it is dropped as it arrives.

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
#include "mail/pop3/command.hpp"
#include "mail/smtp/sasl.hpp"

namespace l7::mail {

struct Pop3Limits {
    std::size_t max_errors = 20;         // -ERR for the client's mistakes, then close
    std::size_t max_login_failures = 3;  // rejected credentials, then close
    // Input read but not yet processed (a pipelined batch while the driver answers); at least
    // kPop3MaxSaslLine. A driver that reads at most input_room() never exceeds it; one that
    // does gets its client an -ERR and the close.
    std::size_t max_buffered_input = 64 * 1024;
};

struct Pop3ServerConfig {
    std::string hostname = "localhost";  // in the greeting and the sign-off
    bool sasl_plain = true;              // AUTH PLAIN (RFC 5034), besides USER/PASS
    Pop3Limits limits;
};

// One message of the mailbox as listed when it was opened.
struct Pop3MessageInfo {
    std::uint64_t size = 0;  // octets as sent (CRLF line ends), for STAT, LIST and RETR
    std::string uid;         // for UIDL: 1 to 70 octets 0x21-0x7E (RFC 1939 7)

    friend bool operator==(const Pop3MessageInfo&, const Pop3MessageInfo&) = default;
};

// Bytes to write to the client, in order.
struct Pop3Send {
    std::string bytes;
};

// Are these a user's credentials? Answer with credentials_result().
struct Pop3CheckCredentials {
    std::string user;
    std::string password;
};

// The user has logged in: lock their mailbox and list it. Answer with mailbox_result().
struct Pop3OpenMailbox {
    std::string user;
};

// RETR or TOP: the message at `index` (0-based, in the list mailbox_result() gave). Answer
// with message_result().
struct Pop3ReadMessage {
    std::size_t index = 0;
};

// QUIT in TRANSACTION: remove these messages (0-based indexes, ascending; maybe none) for
// good, then answer with commit_result().
struct Pop3Commit {
    std::vector<std::size_t> deleted;
};

// Close the connection, once the sends before this event are written.
struct Pop3Close {};

using Pop3Event = std::variant<Pop3Send, Pop3CheckCredentials, Pop3OpenMailbox, Pop3ReadMessage,
                               Pop3Commit, Pop3Close>;

enum class Pop3CredentialsVerdict {
    accept,             // the mailbox is opened next
    reject,             // -ERR [AUTH] (counts towards max_login_failures)
    temporary_failure,  // -ERR [SYS/TEMP]: the check itself failed
};

// What the session waits for, for the driver's timeouts (RFC 1939 3: an autologout timer
// of at least 10 minutes for a command).
enum class Pop3WaitingFor {
    command,  // the client's next command or SASL response
    driver,   // an answer from the driver, or start()
    nothing,  // closed
};

class Pop3ServerSession {
  public:
    explicit Pop3ServerSession(Pop3ServerConfig config);

    // Queues the greeting. Once; input received before is kept until then.
    void start();

    // Bytes from the client, buffered until next_event() reads them; an empty view is its
    // EOF. Ignored once closed. A driver should give no more than input_room().
    void receive(std::string_view bytes);

    // How many bytes receive() takes now: 0 while a pipelined batch waits for the driver.
    std::size_t input_room() const;

    // The next thing for the driver to do; nullopt when the session needs more input or an
    // answer to its last question.
    std::optional<Pop3Event> next_event();

    // Answers to the questions. Each returns false (and does nothing) when that answer is
    // not awaited.
    bool credentials_result(Pop3CredentialsVerdict verdict);
    // nullopt: the mailbox is locked by another session or cannot be opened ("-ERR [IN-USE]").
    bool mailbox_result(std::optional<std::vector<Pop3MessageInfo>> messages);
    // nullopt: the message cannot be read now ("-ERR [SYS/TEMP]").
    bool message_result(std::optional<std::string> bytes);
    // false: some deleted messages are still there ("-ERR [SYS/TEMP]", RFC 1939 6).
    bool commit_result(bool ok);

    Pop3WaitingFor waiting_for() const;
    bool in_transaction() const { return in_transaction_; }
    // The logged-in user; empty in AUTHORIZATION.
    const std::string& user() const { return user_; }
    // Bytes held: unprocessed input and responses not yet sent.
    std::size_t buffered_bytes() const { return in_.capacity() + out_.capacity(); }

    // C:/S: lines of the dialogue when enabled; PASS and AUTH data are recorded as
    // "<credentials hidden>", and a message's lines as its first and a count of the rest.
    trace::Recorder& trace() { return trace_; }

  private:
    enum class Phase { not_started, command, sasl, waiting, closed };
    enum class Question { none, credentials, mailbox, message, commit };
    using LineStatus = CommandLineScanner::Status;

    void advance();
    void flush();
    LineStatus next_line(std::string_view& line);
    void handle_command_line(std::string_view line);
    void handle_authorization(const Pop3Command& cmd);
    void handle_transaction(const Pop3Command& cmd);
    void handle_auth(const Pop3Command& cmd);
    void handle_sasl_line(std::string_view line);
    void handle_sasl_step(SaslStep step);
    void handle_capa();
    void handle_list(const Pop3Command& cmd, bool uidl);
    void handle_read(const Pop3Command& cmd, bool top);
    void handle_dele(const Pop3Command& cmd);
    void ask_credentials(std::string user, std::string password);
    // The message number in `text` when it names a message not deleted; otherwise answers
    // the -ERR itself and returns nullopt.
    std::optional<std::size_t> live_message(std::string_view text);
    void send_message(std::string_view bytes);

    void ok(std::string_view text);
    void multi_line(std::string_view first, const std::vector<std::string>& lines);
    void error(std::string_view text);              // a client's mistake: counts towards max_errors
    void temporary_failure(std::string_view text);  // not the client's: does not count
    void login_failed(std::string_view text);
    void close_session();
    std::size_t live_count() const;
    std::uint64_t live_size() const;

    Pop3ServerConfig config_;
    Phase phase_ = Phase::not_started;
    Question question_ = Question::none;

    std::string in_;  // received bytes; those before in_pos_ are processed
    std::size_t in_pos_ = 0;
    CommandLineScanner lines_;
    bool eof_ = false;
    std::string out_;  // responses not yet handed out in a send event
    std::deque<Pop3Event> events_;
    bool close_queued_ = false;

    std::size_t errors_ = 0;
    std::size_t login_failures_ = 0;
    std::optional<std::string> user_command_;  // the name from USER, awaiting PASS
    std::string candidate_;                    // the user whose credentials are being checked
    std::optional<SaslServerExchange> sasl_;

    bool in_transaction_ = false;
    std::string user_;
    std::vector<Pop3MessageInfo> messages_;
    std::vector<bool> deleted_;
    std::size_t reading_ = 0;               // RETR/TOP: the message asked for
    std::optional<std::size_t> top_lines_;  // TOP's body line count; nullopt for RETR

    trace::Recorder trace_;
};

}  // namespace l7::mail
