#pragma once
// The IMAP4rev1 server's protocol core (RFC 3501), with IDLE (RFC 2177), UIDPLUS (RFC 4315),
// MOVE (RFC 6851), LITERAL+ (RFC 7888), NAMESPACE (RFC 2342), SASL-IR (RFC 4959), ENABLE
// (RFC 5161), UNSELECT (RFC 3691) and CHILDREN (RFC 3348). Bytes from the client in, bytes to
// send out; the user's mail is reached through the ImapMailStore the accounts hand out at
// login (mail_store.hpp), so the core itself opens no file and no socket.
//
// Theory of operation
//
//   ImapServerSession s(config, accounts);
//   s.start();                                   // the greeting
//   for (;;) {
//       while (auto ev = s.next_event()) {
//           ImapSend:  write ev.bytes
//           ImapClose: close the connection (after the sends before it)
//       }
//       read at most s.input_room() bytes before s.waiting_for()'s deadline;
//       s.receive(bytes);                        // an empty read (EOF): s.receive({})
//       while idling (waiting_for() == idle), call s.poll() now and then
//   }
//
// Commands are handled one at a time, in order, as next_event() is called: a pipelining
// client's commands wait in the framer. Work is done in slices so that memory stays bounded:
// a FETCH of many messages renders them a few at a time, each slice handed out as a send
// before the next is made.
//
// The selected folder. The session keeps its own view of the folder: the UIDs in sequence
// order, their flags, which are \Recent. At the end of every command (and on poll() while
// idling) it asks the store for the folder's state and tells the client what changed (RFC
// 3501 5.2, 7): "* N EXPUNGE" for messages gone (highest first, so no number shifts under
// another), "* N EXISTS" and "* N RECENT" for new ones, "* N FETCH (FLAGS ...)" for flags
// changed by others. Expunges are held back during FETCH, STORE and SEARCH (7.4.1: the
// client's sequence numbers must not move under those), and the view keeps the messages
// until they can be told.
//
// States (RFC 3501 3): not authenticated -> authenticated <-> selected -> logout. LOGIN and
// AUTHENTICATE PLAIN/LOGIN work without TLS (l7 has none yet; LOGINDISABLED is not
// announced). Limits: bad commands (then BYE), failed logins (then BYE), what the framer
// bounds (command length, literals), messages rendered per slice.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/trace/recorder.hpp"
#include "mail/imap/command.hpp"
#include "mail/imap/mail_store.hpp"
#include "mail/smtp/sasl.hpp"

namespace l7::mail::imap {

struct ImapLimits {
    FramerLimits framer;
    std::size_t max_bad_commands = 20;   // BAD replies, then BYE
    std::size_t max_login_failures = 3;  // then BYE
    // Sends are cut at about this size while a long FETCH renders.
    std::size_t send_slice = 256 * 1024;
};

struct ImapServerConfig {
    std::string hostname = "localhost";  // in the greeting and BYE
    ImapLimits limits;
};

struct ImapSend {
    std::string bytes;
};
struct ImapClose {};
using ImapEvent = std::variant<ImapSend, ImapClose>;

enum class ImapWaitingFor {
    login,    // a command before authentication (a short deadline)
    command,  // an authenticated client's next command (RFC 3501 5.4: at least 30 minutes)
    idle,     // IDLE: the client's DONE; poll() for changes meanwhile
    nothing,  // closed
};

class ImapServerSession {
  public:
    // `accounts` must outlive the session.
    ImapServerSession(ImapServerConfig config, ImapAccounts& accounts);
    ~ImapServerSession();

    void start();
    void receive(std::string_view bytes);
    std::size_t input_room() const;
    std::optional<ImapEvent> next_event();
    // While idling: look for changes in the selected folder and queue what the client should
    // hear. Does nothing otherwise.
    void poll();
    // The driver's deadline passed: "* BYE" and close.
    void timed_out();

    ImapWaitingFor waiting_for() const;
    // The user logged in; empty before.
    const std::string& user() const { return user_; }
    trace::Recorder& trace() { return trace_; }

  private:
    enum class Phase { not_started, not_authenticated, authenticated, selected, logout };
    struct View;
    struct FetchJob;

    bool handle_framer_event();
    void handle_line(std::string_view line);
    void handle_command(ImapCommand& cmd);
    void command_any_state(const ImapCommand& cmd);
    void command_not_authenticated(const ImapCommand& cmd);
    bool command_authenticated(ImapCommand& cmd);
    bool command_selected(const ImapCommand& cmd);

    void login(const ImapCommand& cmd);
    void authenticate(const ImapCommand& cmd);
    void sasl_step(SaslStep step);
    void logged_in(std::unique_ptr<ImapMailStore> store, const std::string& user);
    void login_failed(const std::string& tag);
    void select(const ImapCommand& cmd);
    void list(const ImapCommand& cmd);
    void status(const ImapCommand& cmd);
    void append(ImapCommand& cmd);
    void fetch(const ImapCommand& cmd);
    bool continue_fetch();
    void store(const ImapCommand& cmd);
    void copy_or_move(const ImapCommand& cmd);
    void expunge(const ImapCommand& cmd);
    void search(const ImapCommand& cmd);
    void close_folder(const ImapCommand& cmd, bool expunge_deleted);

    // The messages (view indexes) a set names; false when a sequence number is out of range.
    bool resolve_set(const SequenceSet& set, bool uid, std::vector<std::size_t>& out) const;
    std::optional<std::string> expunge_uids(const std::vector<std::uint32_t>& uids);
    void sync_view(bool expunges_allowed);
    void send_expunges();

    void untagged(std::string_view text);
    void tagged(const std::string& tag, std::string_view status, std::string_view text);
    void bad(const std::string& tag, std::string_view text);
    void no(const std::string& tag, const StoreProblem& problem, std::string_view what);
    void bye(std::string_view text);
    void stale_view();
    std::string capabilities() const;

    ImapServerConfig config_;
    ImapAccounts& accounts_;
    ImapCommandFramer framer_;
    Phase phase_ = Phase::not_started;
    std::string out_;
    bool close_queued_ = false;
    bool close_sent_ = false;
    std::size_t bad_commands_ = 0;
    std::size_t login_failures_ = 0;

    std::string user_;
    std::unique_ptr<ImapMailStore> store_;
    std::unique_ptr<View> view_;
    std::unique_ptr<FetchJob> fetch_job_;
    std::optional<SaslServerExchange> sasl_;
    std::string sasl_tag_;
    std::string idle_tag_;  // non-empty while idling
    bool eof_ = false;

    trace::Recorder trace_;
};

}  // namespace l7::mail::imap
