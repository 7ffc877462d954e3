#pragma once
// The SMTP server driver (`l7 mail serve`): one coroutine per connection on net::Runtime
// runs an SmtpServerSession and answers its questions from Mailboxes. Two services: the
// MX (relay in: mail for our domains from anyone, AUTH not offered) and submission
// (RFC 6409: AUTH required, then mail to anyone). Mail for other domains is relayed only for
// an authenticated user or a client in relay_networks; never for anyone else (no open
// relay). Such mail goes into the Relay's queue; without a Relay it gets 451 4.3.0.
//
// A message is answered 250 only after every copy is in its Maildir or the queue and fsynced
// (Mailboxes::deliver, Relay::enqueue). Deadlines (RFC 5321 4.5.3.2): 5 minutes for each command, 3
// for each block of data, 30 s for each write; on expiry the client gets 421 and the connection
// closes.

#include <chrono>
#include <memory>
#include <vector>

#include "core/cidr.hpp"
#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "mail/asio/mailboxes.hpp"
#include "mail/asio/relay.hpp"
#include "mail/smtp/session.hpp"
#include "net/runtime.hpp"

namespace l7::mail {

struct SmtpServiceOptions {
    std::vector<HostPort> mx;          // relay in (port 25)
    std::vector<HostPort> submission;  // AUTH required (port 587)
    std::vector<Cidr> relay_networks;
    std::string hostname;
    SmtpLimits limits;
    std::chrono::milliseconds command_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds data_timeout{std::chrono::minutes(3)};
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    std::size_t max_connections = 1000;
};

struct SmtpEndpoints {
    std::vector<asio::ip::tcp::endpoint> mx;
    std::vector<asio::ip::tcp::endpoint> submission;
};

// `relay` may be null (no outgoing queue).
SmtpEndpoints start_smtp_server(net::Runtime& runtime, const SmtpServiceOptions& options,
                                std::shared_ptr<Mailboxes> mailboxes, std::shared_ptr<Relay> relay,
                                trace::Tracer& tracer);

}  // namespace l7::mail
