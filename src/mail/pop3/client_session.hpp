#pragma once
// The POP3 client (RFC 1939 as the reading side), sans-I/O: see mail/mailbox_client.hpp for
// how a driver runs it.
//
// Dialogue: the +OK greeting, USER and PASS (4, 7), UIDL for the unique ids (7; a server
// without it answers -ERR and the ids stay empty), LIST for the sizes (5), then per message
// RETR (and DELE when deleting), and QUIT, whose +OK is when the server deletes (6: the
// UPDATE state). Multi-line responses end at a line of one ".", and a line starting with
// "." has it doubled (3): both undone here. Commands go one at a time.
//
// Limits: a status line or a listing line may be config.max_line octets long, a message
// config.max_message_bytes (lines of any length within it), the listing config.max_messages
// entries; past one the session fails (protocol) and closes without QUIT.

#include <deque>
#include <map>
#include <vector>

#include "mail/command_lines.hpp"
#include "mail/mailbox_client.hpp"

namespace l7::mail {

class Pop3ClientSession final : public BufferedMailboxClient {
  public:
    explicit Pop3ClientSession(MailboxClientConfig config);

    trace::Recorder& trace() override { return trace_; }
    std::string_view protocol() const override { return "pop3"; }

  private:
    enum class Step { greeting, user, pass, uidl, list, retr, dele, quit, done };
    enum class Read { status, listing, message };

    void advance() override;
    bool finished() const override { return step_ == Step::done; }
    void fail(MailboxClientFailure failure, std::string problem) override {
        finish(failure, std::move(problem));
    }
    bool read_line(std::string_view& line, std::size_t limit);
    void on_status(std::string_view line);
    void on_listing_line(std::string_view line);
    void on_listing_end();
    void on_message_line(std::string_view line);
    void on_message_end();
    void next_message();
    void send(std::string_view line, std::string_view traced = {});
    void finish(MailboxClientFailure failure, std::string problem, bool say_quit = false);

    MailboxClientConfig config_;
    trace::Recorder trace_;
    CommandLineScanner lines_;

    Step step_ = Step::greeting;
    Read read_ = Read::status;
    std::map<std::uint64_t, std::string> uids_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> listing_;  // number, size
    std::size_t next_ = 0;                                          // index into listing_
    std::string message_;
    bool bad_listing_ = false;
    MailboxClientDone done_;
};

}  // namespace l7::mail
