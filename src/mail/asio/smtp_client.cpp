#include "mail/asio/smtp_client.hpp"

#include <array>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>

#include "core/endpoint.hpp"
#include "net/timeout.hpp"

namespace l7::mail {
namespace {

using tcp = asio::ip::tcp;

// The connection's socket, or why there is none.
asio::awaitable<bool> connect_any(tcp::socket& sock, const SmtpClientRunOptions& options,
                                  SmtpClientRun& run) {
    run.connect_failure = "no address to try";
    for (const std::string& a : options.addresses) {
        std::error_code ec;
        const auto address = asio::ip::make_address(a, ec);
        if (ec) {
            continue;
        }
        std::error_code ignored;
        sock.close(ignored);
        auto done = co_await net::with_timeout(
            sock.async_connect(tcp::endpoint(address, options.port), net::as_tuple_awaitable),
            options.connect_timeout);
        if (!done) {
            run.connect_failure = "no answer from " + HostPort{a, options.port}.to_string() +
                                  " within " +
                                  std::to_string(options.connect_timeout.count() / 1000) + " s";
            run.connect_timed_out = true;
            continue;
        }
        if (auto [connect_ec] = *done; connect_ec) {
            run.connect_failure =
                HostPort{a, options.port}.to_string() + ": " + connect_ec.message();
            run.connect_timed_out = false;
            continue;
        }
        run.address = a;
        co_return true;
    }
    co_return false;
}

}  // namespace

asio::awaitable<SmtpClientRun> run_smtp_client(
    SmtpClientRunOptions options, std::function<std::optional<SmtpOutgoingMessage>()> next_message,
    std::function<void(const SmtpClientMessageDone&)> on_done) {
    SmtpClientRun run;
    tcp::socket sock(co_await asio::this_coro::executor);
    if (!co_await connect_any(sock, options, run)) {
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
