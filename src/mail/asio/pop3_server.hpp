#pragma once
// The POP3 server driver (`l7 mail serve --pop3`): one coroutine per connection runs a
// Pop3ServerSession and answers it from the users' Maildirs: credentials from Mailboxes,
// the mailbox locked for the session (MaildirLock, RFC 1939 8), its messages listed at
// login, read on RETR/TOP, and those marked with DELE removed (and new/ and cur/ fsynced)
// at QUIT before the +OK. A session that ends otherwise deletes nothing.
// Deadlines: 10 minutes for each command (RFC 1939 3's autologout timer, at least 10
// minutes), 30 s for each write.

#include <chrono>
#include <memory>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "mail/asio/mailboxes.hpp"
#include "net/runtime.hpp"

namespace l7::mail {

struct Pop3ServiceOptions {
    std::vector<HostPort> listen;
    std::string hostname;
    std::chrono::milliseconds command_timeout{std::chrono::minutes(10)};
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    std::size_t max_connections = 1000;
    // A stored message larger than this is not sent (-ERR); the SMTP side's limit is smaller.
    std::uint64_t max_message_size = 256 * 1024 * 1024;
};

std::vector<asio::ip::tcp::endpoint> start_pop3_server(net::Runtime& runtime,
                                                       const Pop3ServiceOptions& options,
                                                       std::shared_ptr<Mailboxes> mailboxes,
                                                       trace::Tracer& tracer);

}  // namespace l7::mail
