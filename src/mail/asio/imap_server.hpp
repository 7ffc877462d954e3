#pragma once
// The IMAP server driver (`l7 mail serve --imap`): one coroutine per connection runs an
// ImapServerSession, with the users of Mailboxes and each user's Maildir behind a
// MaildirImapStore. Deadlines: 1 minute for a command before login, 30 minutes after (RFC
// 3501 5.4's autologout timer, at least 30 minutes), 30 s for each write. While a client
// idles (RFC 2177) the folder is looked at every `idle_poll` for deliveries and other
// sessions' changes. A stop ends idle and waiting sessions with "* BYE".

#include <chrono>
#include <memory>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "mail/asio/mailboxes.hpp"
#include "net/runtime.hpp"

namespace l7::mail {

struct ImapServiceOptions {
    std::vector<HostPort> listen;
    std::string hostname;
    std::chrono::milliseconds login_timeout{std::chrono::minutes(1)};
    std::chrono::milliseconds command_timeout{std::chrono::minutes(30)};
    std::chrono::milliseconds idle_poll{std::chrono::seconds(2)};
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    std::size_t max_connections = 1000;
    std::uint64_t max_message_size = 64ULL << 20;  // APPEND, and stored messages read
};

std::vector<asio::ip::tcp::endpoint> start_imap_server(net::Runtime& runtime,
                                                       const ImapServiceOptions& options,
                                                       std::shared_ptr<Mailboxes> mailboxes,
                                                       trace::Tracer& tracer);

}  // namespace l7::mail
