// TCP client: one connection; each input line is sent and its reply line printed, like the
// course's TCPClient but for many sentences. Every connect, write and read has a deadline.

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/write.hpp>
#include <istream>
#include <ostream>

#include "core/line_framer.hpp"
#include "core/log.hpp"
#include "net/timeout.hpp"
#include "socket/asio/client_common.hpp"
#include "socket/asio/drivers.hpp"

namespace l7::socket {

namespace {

asio::awaitable<int> tcp_session(const ClientOptions& options, std::vector<std::string> lines,
                                 std::istream& in, bool use_stdin, std::ostream& out,
                                 trace::Tracer& tracer) {
    auto executor = co_await asio::this_coro::executor;
    auto results = detail::resolve_all<asio::ip::tcp>(options.server);
    if (!results) {
        log::error("socket", results.error().message);
        co_return 1;
    }
    asio::ip::tcp::socket sock(executor);
    auto connected = co_await net::with_timeout(
        asio::async_connect(sock, *results, net::as_tuple_awaitable), options.timeout);
    if (!connected || std::get<0>(*connected)) {
        log::error("socket",
                   "cannot connect to " + options.server.to_string() + ": " +
                       (connected ? std::get<0>(*connected).message()
                                  : "no answer within " + format_duration(options.timeout)));
        co_return 1;
    }
    const std::string peer = detail::endpoint_text(sock.remote_endpoint());
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    trace::Recorder rec;
    rec.enable(tracer.enabled());
    LineFramer framer(1 << 20);
    std::vector<char> buffer(16384);
    std::size_t next = 0;
    std::string line;
    while (true) {
        if (use_stdin) {
            if (!std::getline(in, line)) {
                break;
            }
        } else {
            if (next == lines.size()) {
                break;
            }
            line = lines[next++];
        }
        rec.record(trace::Direction::to_server, line);
        tracer.flush(rec, conn, "tcp", peer);
        const std::string wire = line + "\n";
        auto written = co_await net::with_timeout(
            asio::async_write(sock, asio::buffer(wire), net::as_tuple_awaitable), options.timeout);
        if (!written || std::get<0>(*written)) {
            log::error("socket", "cannot send to " + peer);
            co_return 1;
        }
        // Read until one whole reply line has arrived.
        while (true) {
            auto got = framer.next_line();
            if (got.status == LineFramer::Status::line) {
                rec.record(trace::Direction::to_client, got.line);
                tracer.flush(rec, conn, "tcp", peer);
                out << got.line << std::endl;
                break;
            }
            if (got.status == LineFramer::Status::too_long) {
                log::error("socket", "reply from " + peer + " is longer than 1 MiB");
                co_return 1;
            }
            auto r = co_await net::with_timeout(
                sock.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable),
                options.timeout);
            if (!r) {
                log::error("socket",
                           "no reply from " + peer + " within " + format_duration(options.timeout));
                co_return 1;
            }
            auto [ec, n] = *r;
            if (ec) {
                log::error("socket", peer + " closed the connection before replying" +
                                         (ec == asio::error::eof ? "" : ": " + ec.message()));
                co_return 1;
            }
            framer.append(std::string_view(buffer.data(), n));
        }
    }
    std::error_code ignored;
    sock.shutdown(asio::socket_base::shutdown_send, ignored);
    co_return 0;
}

}  // namespace

int run_tcp_client(const ClientOptions& options, const std::vector<std::string>& messages,
                   std::istream& in, std::ostream& out, trace::Tracer& tracer) {
    asio::io_context io;
    int code = 1;
    asio::co_spawn(io, tcp_session(options, messages, in, messages.empty(), out, tracer),
                   [&code](std::exception_ptr e, int result) {
                       if (e) {
                           std::rethrow_exception(e);
                       }
                       code = result;
                   });
    io.run();
    return code;
}

}  // namespace l7::socket
