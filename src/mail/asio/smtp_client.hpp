#pragma once
// Running an SmtpClientSession over a TCP connection (the relay's deliveries and `l7 mail
// send`): connect to the first address that answers, then hand the session messages one
// after another on that connection and collect each one's outcome. The session's own
// deadlines (RFC 5321 4.5.3.2) become timers here.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/trace/tracer.hpp"
#include "mail/smtp/client_session.hpp"

namespace l7::mail {

struct SmtpClientRunOptions {
    std::vector<std::string> addresses;  // IP literals, tried in order
    std::uint16_t port = 25;
    std::string host;  // the server's name, for logs and the trace ("mail.hamburger.edu")
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    // 0: RFC 5321's timeouts (smtp_client_timeout); shorter ones for tests.
    std::chrono::milliseconds reply_timeout_cap{0};
    SmtpClientConfig session;
    trace::Tracer* tracer = nullptr;
};

struct SmtpClientRun {
    bool connected = false;
    std::string address;             // the one connected to
    std::string connect_failure;     // why none could be reached (when !connected)
    bool connect_timed_out = false;  // the last try ran out of time (rather than refused)
    std::size_t handed = 0;          // messages given to the session
    // Why the connection ended early, for the messages not handed to it (none after a
    // clean QUIT).
    std::optional<SmtpOutcome> failure;
    std::string close_reason;
};

// `next_message()` gives the next message to send, or nullopt when there are no more;
// `on_done` gets each message's outcomes, in order.
asio::awaitable<SmtpClientRun> run_smtp_client(
    SmtpClientRunOptions options, std::function<std::optional<SmtpOutgoingMessage>()> next_message,
    std::function<void(const SmtpClientMessageDone&)> on_done);

}  // namespace l7::mail
