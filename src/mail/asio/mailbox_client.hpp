#pragma once
// Running a mail reader's client session (POP3 or IMAP, mail/mailbox_client.hpp) over a TCP
// connection: `l7 mail fetch` and the lab's check. Every read and write has a deadline.

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/trace/tracer.hpp"
#include "mail/mailbox_client.hpp"

namespace l7::mail {

struct MailboxClientRunOptions {
    std::vector<std::string> addresses;  // IP literals, tried in order
    std::uint16_t port = 110;
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds io_timeout{std::chrono::seconds(60)};  // each read and write
    trace::Tracer* tracer = nullptr;
};

struct MailboxClientRun {
    bool connected = false;
    std::string connect_failure;     // when !connected
    bool connect_timed_out = false;  // the last try ran out of time
    MailboxClientDone done;          // when connected
};

// Runs `session` to its end; `on_message` gets each message as it arrives, before anything
// more is sent, and returns false to stop: the connection is then closed at once, without
// POP3's QUIT or IMAP's STORE, so the server deletes nothing (RFC 1939 6).
asio::awaitable<MailboxClientRun> run_mailbox_client(
    MailboxClientRunOptions options, MailboxClientSession& session,
    std::function<bool(MailboxMessage&&)> on_message);

}  // namespace l7::mail
