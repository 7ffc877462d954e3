// TCP uppercase server: one task per connection, many lines per connection, an idle deadline
// on every read and a write deadline on every reply.

#include <asio/write.hpp>

#include "core/log.hpp"
#include "net/timeout.hpp"
#include "socket/asio/drivers.hpp"

namespace l7::socket {

namespace {

constexpr auto write_timeout = std::chrono::seconds(30);

std::string to_string(const asio::ip::tcp::endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

asio::awaitable<void> serve_connection(asio::ip::tcp::socket sock, net::Task& task,
                                       TcpServerOptions options, trace::Tracer& tracer) {
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    const std::string peer = ec ? "?" : to_string(remote);
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    UppercaseSession session(options.limits);
    session.trace().enable(tracer.enabled());
    session.trace().record(trace::Direction::note, "connection from " + peer);
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });
    std::vector<char> buffer(16384);
    while (true) {
        tracer.flush(session.trace(), conn, "tcp-uppercase", peer);
        if (session.closing() || task.draining()) {
            break;
        }
        task.set_idle(session.pending_output().empty());
        auto read = co_await net::with_timeout(
            sock.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable),
            options.idle_timeout);
        task.set_idle(false);
        if (!read) {
            session.trace().record(trace::Direction::note, "idle timeout: closing");
            log::debug("socket", peer + ": idle for " + format_duration(options.idle_timeout));
            break;
        }
        auto [read_ec, n] = *read;
        if (read_ec == asio::error::eof) {
            session.receive({});
        } else if (read_ec) {
            session.trace().record(trace::Direction::note, "read: " + read_ec.message());
            break;
        } else {
            session.receive(std::string_view(buffer.data(), n));
        }
        while (!session.pending_output().empty()) {
            const std::string out(session.pending_output());
            auto written = co_await net::with_timeout(
                asio::async_write(sock, asio::buffer(out), net::as_tuple_awaitable), write_timeout);
            if (!written || std::get<0>(*written)) {
                session.trace().record(trace::Direction::note, "write failed or timed out");
                tracer.flush(session.trace(), conn, "tcp-uppercase", peer);
                co_return;
            }
            session.consume_output(out.size());
        }
    }
    tracer.flush(session.trace(), conn, "tcp-uppercase", peer);
    sock.shutdown(asio::socket_base::shutdown_send, ec);
    sock.close(ec);
}

}  // namespace

std::vector<asio::ip::tcp::endpoint> start_tcp_server(net::Runtime& runtime,
                                                      const TcpServerOptions& options,
                                                      trace::Tracer& tracer) {
    std::vector<asio::ip::tcp::endpoint> bound;
    for (const HostPort& address : options.listen) {
        auto handler = [options, &tracer](asio::ip::tcp::socket sock,
                                          net::Task& task) -> asio::awaitable<void> {
            return serve_connection(std::move(sock), task, options, tracer);
        };
        bound.push_back(
            runtime.listen_tcp(address, handler, {.max_connections = options.max_connections}));
        log::info("socket", "listening on tcp " + to_string(bound.back()) + " (tcp-uppercase)");
    }
    return bound;
}

}  // namespace l7::socket
