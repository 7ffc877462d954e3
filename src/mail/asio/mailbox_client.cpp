#include "mail/asio/mailbox_client.hpp"

#include <array>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>

#include "core/endpoint.hpp"
#include "net/connect.hpp"
#include "net/timeout.hpp"

namespace l7::mail {

asio::awaitable<MailboxClientRun> run_mailbox_client(
    MailboxClientRunOptions options, MailboxClientSession& session,
    std::function<bool(MailboxMessage&&)> on_message) {
    using tcp = asio::ip::tcp;
    MailboxClientRun run;
    tcp::socket sock(co_await asio::this_coro::executor);
    const net::ConnectOutcome connected =
        co_await net::connect_first(sock, options.addresses, options.port, options.connect_timeout);
    if (!connected.connected) {
        run.connect_failure = connected.failure;
        run.connect_timed_out = connected.timed_out;
        co_return run;
    }
    run.connected = true;
    const std::string peer = HostPort{connected.address, options.port}.to_string();
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    const bool tracing = options.tracer && options.tracer->enabled();
    session.trace().enable(tracing);

    std::array<char, 65536> buffer;
    bool open = true;
    while (open) {
        while (auto event = session.next_event()) {
            if (auto* send = std::get_if<MailboxClientSend>(&*event)) {
                auto written = co_await net::with_timeout(
                    asio::async_write(sock, asio::buffer(send->bytes), net::as_tuple_awaitable),
                    options.io_timeout);
                if (!written || std::get<0>(*written)) {
                    session.timed_out();  // the server takes nothing: as good as silent
                }
            } else if (auto* message = std::get_if<MailboxMessage>(&*event)) {
                if (!on_message(std::move(*message))) {
                    run.done.failure = MailboxClientFailure::stopped;
                    run.done.problem = "stopped before the end of the session";
                    open = false;
                    break;
                }
            } else if (auto* done = std::get_if<MailboxClientDone>(&*event)) {
                run.done = std::move(*done);
                open = false;
                break;
            }
        }
        if (tracing) {
            options.tracer->flush(session.trace(), conn, std::string(session.protocol()), peer);
        }
        if (!open) {
            break;
        }
        auto got = co_await net::with_timeout(
            sock.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                 net::as_tuple_awaitable),
            options.io_timeout);
        if (!got) {
            session.timed_out();
            continue;
        }
        const auto [read_ec, n] = *got;
        session.receive(read_ec ? std::string_view() : std::string_view(buffer.data(), n));
    }
    std::error_code ec;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    sock.close(ec);
    co_return run;
}

}  // namespace l7::mail
