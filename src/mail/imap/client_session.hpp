#pragma once
// The IMAP4rev1 client (RFC 3501 as the reading side) that `l7 mail fetch --imap` and the
// lab's check use, sans-I/O: see mail/mailbox_client.hpp for how a driver runs it.
//
// Dialogue: the greeting ("* OK", or "* PREAUTH" to skip the log-in, "* BYE" refusing us),
// LOGIN (6.2.3; a user name or password that cannot be a quoted string goes as a
// synchronizing literal, sent on the server's "+" continuation, 7.5), EXAMINE the folder
// (SELECT when deleting: EXAMINE is read-only, 6.3.2), then one
//   UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])
// (without BODY.PEEK[] when only listing; PEEK leaves \Seen alone, 6.4.5), and when deleting
//   UID STORE <the fetched UIDs> +FLAGS.SILENT (\Deleted)
//   UID EXPUNGE <the same>      (UIDPLUS, RFC 4315; plain EXPUNGE without it)
// and LOGOUT. An empty folder (EXISTS 0) skips the FETCH. Responses are read whole, with
// their literals ("{N}" CRLF and N octets, 4.3); untagged data other than EXISTS,
// UIDVALIDITY, CAPABILITY, FETCH, EXPUNGE and BYE is ignored, as are FETCH responses that
// carry no UID (another session's flag change). Commands go one at a time, tagged a1, a2, ...
//
// Limits: a response line (outside literals) config.max_line octets, a literal and a whole
// response config.max_message_bytes (plus a line or two), config.max_messages messages.

#include <deque>
#include <set>
#include <vector>

#include "mail/command_lines.hpp"
#include "mail/mailbox_client.hpp"

namespace l7::mail::imap {

// One server response read whole: text segments, the ones but the last each ending in a
// literal's "{N}", whose octets are in literals[i].
struct ClientResponse {
    std::vector<std::string> text;
    std::vector<std::string> literals;
};

class ResponseCursor;  // reads a ClientResponse's tokens (client_session.cpp)

// "1:3,5,7:9": a sorted set of UIDs as an IMAP sequence set.
std::string uid_set_text(const std::set<std::uint64_t>& uids);

class ImapClientSession final : public BufferedMailboxClient {
  public:
    explicit ImapClientSession(MailboxClientConfig config);

    trace::Recorder& trace() override { return trace_; }
    std::string_view protocol() const override { return "imap"; }

  private:
    enum class Step { greeting, login, select, fetch, store, expunge, logout, done };

    void advance() override;
    bool finished() const override { return step_ == Step::done; }
    void fail(MailboxClientFailure failure, std::string problem) override {
        finish(failure, std::move(problem));
    }
    bool read_response();
    void on_response(ClientResponse& r);
    void on_untagged(ClientResponse& r);
    void on_fetch(std::uint64_t sequence, ResponseCursor& c);
    void on_tagged(std::string_view status, const std::string& text);
    void on_continuation();
    void command(std::vector<std::string> parts, std::string traced);
    void send(std::string bytes);
    void after_login();
    void after_select();
    void after_fetch();
    void logout();
    void finish(MailboxClientFailure failure, std::string problem, bool say_logout = false);
    void note_capabilities(std::string_view list);

    MailboxClientConfig config_;
    trace::Recorder trace_;
    CommandLineScanner lines_;
    ClientResponse reading_;        // the response being read
    std::size_t literal_left_ = 0;  // octets of the current literal still to come
    std::size_t response_bytes_ = 0;

    Step step_ = Step::greeting;
    unsigned next_tag_ = 1;
    std::string tag_;                     // of the command in progress
    std::deque<std::string> parts_left_;  // literal parts waiting for "+"
    std::set<std::string> capabilities_;  // upper case
    std::uint64_t exists_ = 0;
    std::uint64_t uid_validity_ = 0;
    std::set<std::uint64_t> fetched_;
    std::size_t listed_ = 0;
    std::size_t expunged_ = 0;
    bool bye_ = false;
    MailboxClientDone done_;
};

}  // namespace l7::mail::imap
