#include "mail/asio/smtp_client.hpp"

#include <array>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>

#include "core/endpoint.hpp"
#include "net/connect.hpp"
#include "net/timeout.hpp"

namespace l7::mail {

using tcp = asio::ip::tcp;

asio::awaitable<SmtpClientRun> run_smtp_client(
    SmtpClientRunOptions options, std::function<std::optional<SmtpOutgoingMessage>()> next_message,
    std::function<void(const SmtpClientMessageDone&)> on_done) {
    SmtpClientRun run;
    tcp::socket sock(co_await asio::this_coro::executor);
    const net::ConnectOutcome connected =
        co_await net::connect_first(sock, options.addresses, options.port, options.connect_timeout);
    run.connect_failure = connected.failure;
    run.connect_timed_out = connected.timed_out;
    run.address = connected.address;
    if (!connected.connected) {
        co_return run;
    }
    run.connected = true;
    const std::string peer = options.host.empty() ? HostPort{run.address, options.port}.to_string()
                                                  : options.host + " [" + run.address +
                                                        "]:" + std::to_string(options.port);
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    const bool tracing = options.tracer && options.tracer->enabled();

    SmtpClientSession session(options.session);
    session.trace().enable(tracing);
    std::array<char, 16384> buffer;
    bool open = true;
    while (open) {
        while (auto event = session.next_event()) {
            if (auto* send = std::get_if<SmtpClientSend>(&*event)) {
                const auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(
                    smtp_client_timeout(SmtpClientWaitingFor::data_block));
                auto written = co_await net::with_timeout(
                    asio::async_write(sock, asio::buffer(send->bytes), net::as_tuple_awaitable),
                    options.reply_timeout_cap.count() > 0
                        ? std::min(limit, options.reply_timeout_cap)
                        : limit);
                if (!written || std::get<0>(*written)) {
                    session.timed_out();  // the server takes nothing: as good as silent
                }
            } else if (std::holds_alternative<SmtpClientReady>(*event)) {
                if (auto message = next_message()) {
                    ++run.handed;
                    session.send_message(std::move(*message));
                } else {
                    session.quit();
                }
            } else if (auto* done = std::get_if<SmtpClientMessageDone>(&*event)) {
                on_done(*done);
            } else if (auto* closed = std::get_if<SmtpClientClosed>(&*event)) {
                run.failure = closed->failure;
                run.close_reason = closed->reason;
                open = false;
                break;
            }
        }
        if (tracing) {
            options.tracer->flush(session.trace(), conn, "smtp", peer);
        }
        if (!open) {
            break;
        }
        auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(
            smtp_client_timeout(session.waiting_for()));
        if (limit.count() == 0) {
            limit = std::chrono::minutes(5);  // idle with nothing asked: should not happen
        }
        if (options.reply_timeout_cap.count() > 0) {
            limit = std::min(limit, options.reply_timeout_cap);
        }
        auto got = co_await net::with_timeout(
            sock.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                 net::as_tuple_awaitable),
            limit);
        if (!got) {
            session.timed_out();
            continue;
        }
        const auto [read_ec, n] = *got;
        if (read_ec) {
            session.receive({});  // EOF, or reset: the same for the session
        } else {
            session.receive(std::string_view(buffer.data(), n));
        }
    }
    if (tracing) {
        options.tracer->flush(session.trace(), conn, "smtp", peer);
    }
    std::error_code ec;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    sock.close(ec);
    co_return run;
}

}  // namespace l7::mail
