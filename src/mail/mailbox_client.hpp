#pragma once
// What the mail readers' client sessions share: `l7 mail fetch` and the lab's check read a
// mailbox over POP3 (pop3/client_session.hpp) or IMAP (imap/client_session.hpp) through one
// interface, so one driver runs either.
//
// Theory of operation (sans-I/O, like the SMTP client)
//
//   Pop3ClientSession s(config);                  // or ImapClientSession; the connection is open
//   for (;;) {
//       while (auto ev = s.next_event()) {
//           MailboxClientSend:    write ev.bytes (before asking for the next event)
//           MailboxMessage:       one message of the mailbox (its data unless list_only)
//           MailboxClientDone:    close the socket; ev says whether all went well
//       }
//       read with a deadline; s.receive(bytes) (EOF: s.receive({})); on the deadline:
//       s.timed_out()
//   }
//
// A session logs in, lists the mailbox, fetches every message in the server's order (or
// only lists them), deletes each fetched one when asked, and logs out. Deletion is the
// server's business after the log-out: POP3 deletes at QUIT (RFC 1939 6), IMAP at EXPUNGE;
// MailboxClientDone::deleted counts only what the server confirmed.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/trace/recorder.hpp"

namespace l7::mail {

struct MailboxClientConfig {
    std::string user;
    std::string password;
    std::string folder = "INBOX";  // IMAP only (POP3 has one mailbox)
    bool list_only = false;        // list numbers, ids and sizes; fetch no message data
    bool delete_after = false;     // delete each message once fetched (ignored with list_only)
    std::size_t max_message_bytes = 64 * 1024 * 1024;  // a larger message fails the session
    std::size_t max_messages = 100000;                 // messages listed at most
    std::size_t max_line = 64 * 1024;  // a response line outside message data, with CRLF
};

// Bytes to write to the server, in order.
struct MailboxClientSend {
    std::string bytes;
};

// One message of the mailbox.
struct MailboxMessage {
    std::uint64_t number = 0;         // POP3: the message number; IMAP: its UID
    std::string unique_id;            // POP3: UIDL (empty without it); IMAP: "UIDVALIDITY.UID"
    std::uint64_t size = 0;           // as the server states it (LIST, RFC822.SIZE)
    std::optional<std::string> data;  // the message as stored (CRLF lines); none with list_only
};

enum class MailboxClientFailure {
    none,
    refused,   // the greeting refused us (-ERR, * BYE)
    login,     // the user name or password was refused
    server,    // a command was refused (-ERR, NO, BAD) after the log-in
    protocol,  // the server's bytes broke the protocol or a limit
    closed,    // the server closed the connection early
    timeout,   // the server did not answer in time
    stopped,   // the driver's reader stopped the session (a message could not be kept)
};

// The session is over: close the socket once the sends before this are written.
struct MailboxClientDone {
    MailboxClientFailure failure = MailboxClientFailure::none;
    std::string problem;       // what went wrong, in a sentence (with the server's words)
    std::size_t messages = 0;  // listed
    std::size_t fetched = 0;   // handed out with their data
    std::size_t deleted = 0;   // the server confirmed their deletion

    bool ok() const { return failure == MailboxClientFailure::none; }
};

using MailboxClientEvent = std::variant<MailboxClientSend, MailboxMessage, MailboxClientDone>;

class MailboxClientSession {
  public:
    virtual ~MailboxClientSession() = default;

    // Bytes from the server, read when next_event() is called; an empty view is its EOF.
    virtual void receive(std::string_view bytes) = 0;
    // The server took too long: the session is done (a timeout failure).
    virtual void timed_out() = 0;
    // The next thing for the driver to do; nullopt when the session needs server bytes.
    virtual std::optional<MailboxClientEvent> next_event() = 0;
    // C:/S: lines of the dialogue when enabled; passwords as "<credentials hidden>" and
    // message data as a one-line note of its size.
    virtual trace::Recorder& trace() = 0;
    // "pop3" or "imap", for logs and the trace.
    virtual std::string_view protocol() const = 0;
};

// What both sessions do alike: buffer the server's bytes, queue events, and let the
// protocol read on (advance()) when the driver asks for an event and none is queued.
class BufferedMailboxClient : public MailboxClientSession {
  public:
    void receive(std::string_view bytes) final {
        if (finished()) {
            return;
        }
        if (bytes.empty()) {
            eof_ = true;
            return;
        }
        in_.append(bytes);
    }
    void timed_out() final {
        if (!finished()) {
            trace().record(trace::Direction::note, "no answer in time");
            fail(MailboxClientFailure::timeout, "the server did not answer in time");
        }
    }
    std::optional<MailboxClientEvent> next_event() final {
        if (events_.empty()) {
            advance();
            // What was read is dropped (a line scanner keeps its place relative to pos_).
            if (pos_ == in_.size()) {
                in_.clear();
                pos_ = 0;
            } else if (pos_ > 64 * 1024) {
                in_.erase(0, pos_);
                pos_ = 0;
            }
        }
        if (events_.empty()) {
            return std::nullopt;
        }
        MailboxClientEvent ev = std::move(events_.front());
        events_.pop_front();
        return ev;
    }

  protected:
    // Reads what it can of in_[pos_...] and queues events.
    virtual void advance() = 0;
    virtual bool finished() const = 0;
    // Ends the session with `failure` (queues the Done).
    virtual void fail(MailboxClientFailure failure, std::string problem) = 0;

    // Queues bytes to send, joined with a send queued just before.
    void queue_send(std::string bytes) {
        if (!events_.empty()) {
            if (auto* last = std::get_if<MailboxClientSend>(&events_.back())) {
                last->bytes += bytes;
                return;
            }
        }
        events_.push_back(MailboxClientSend{std::move(bytes)});
    }

    std::string in_;
    std::size_t pos_ = 0;
    bool eof_ = false;
    std::deque<MailboxClientEvent> events_;
};

}  // namespace l7::mail
