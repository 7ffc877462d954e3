// UDP client: each message is one datagram; the reply is awaited with a deadline. The socket
// is connected, so the kernel drops datagrams from any address but the server's.

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <istream>
#include <ostream>

#include "core/log.hpp"
#include "net/timeout.hpp"
#include "socket/asio/client_common.hpp"
#include "socket/asio/drivers.hpp"

namespace l7::socket {

namespace {

class UdpExchanger {
  public:
    UdpExchanger(asio::io_context& io, trace::Tracer& tracer)
        : io_(io), socket_(io), tracer_(tracer) {}

    Result<bool> connect(const HostPort& server) {
        auto ep = detail::resolve<asio::ip::udp>(io_, server);
        if (!ep) {
            return ep.error();
        }
        peer_ = detail::endpoint_text(*ep);
        std::error_code ec;
        socket_.connect(*ep, ec);
        if (ec) {
            return make_error("cannot reach " + peer_ + ": " + ec.message());
        }
        return true;
    }

    Result<std::string> exchange(const std::string& message, std::chrono::nanoseconds timeout) {
        std::optional<Result<std::string>> result;
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> { result = co_await exchange_async(message, timeout); },
            [](std::exception_ptr e) {
                if (e) {
                    std::rethrow_exception(e);
                }
            });
        io_.restart();
        io_.run();
        return std::move(*result);
    }

  private:
    asio::awaitable<Result<std::string>> exchange_async(const std::string& message,
                                                        std::chrono::nanoseconds timeout) {
        trace::Recorder rec;
        rec.enable(tracer_.enabled());
        rec.record(trace::Direction::to_server, trace::preview(message));
        tracer_.flush(rec, conn_, "udp", peer_);
        auto [send_ec, sent] =
            co_await socket_.async_send(asio::buffer(message), net::as_tuple_awaitable);
        if (send_ec) {
            co_return make_error("cannot send to " + peer_ + ": " + send_ec.message());
        }
        std::vector<char> buffer(65536);
        auto r = co_await net::with_timeout(
            socket_.async_receive(asio::buffer(buffer), net::as_tuple_awaitable), timeout);
        if (!r) {
            co_return make_error("no reply from " + peer_ + " within " + format_duration(timeout));
        }
        auto [ec, n] = *r;
        if (ec == asio::error::connection_refused) {
            co_return make_error("no server at " + peer_ + " (port unreachable)");
        }
        if (ec) {
            co_return make_error("receive from " + peer_ + ": " + ec.message());
        }
        std::string reply(buffer.data(), n);
        rec.record(trace::Direction::to_client, trace::preview(reply));
        tracer_.flush(rec, conn_, "udp", peer_);
        co_return reply;
    }

    asio::io_context& io_;
    asio::ip::udp::socket socket_;
    trace::Tracer& tracer_;
    std::string peer_;
    std::uint64_t conn_ = trace::Tracer::next_connection_id();
};

}  // namespace

Result<std::string> udp_request(const ClientOptions& options, const std::string& message,
                                trace::Tracer& tracer) {
    asio::io_context io;
    UdpExchanger ex(io, tracer);
    if (auto c = ex.connect(options.server); !c) {
        return c.error();
    }
    return ex.exchange(message, options.timeout);
}

int run_udp_client(const ClientOptions& options, const std::vector<std::string>& messages,
                   std::istream& in, std::ostream& out, trace::Tracer& tracer) {
    asio::io_context io;
    UdpExchanger ex(io, tracer);
    if (auto c = ex.connect(options.server); !c) {
        log::error("socket", c.error().message);
        return 1;
    }
    auto send_one = [&](const std::string& message) {
        auto reply = ex.exchange(message, options.timeout);
        if (!reply) {
            log::error("socket", reply.error().message);
            return false;
        }
        out << *reply << std::endl;
        return true;
    };
    if (!messages.empty()) {
        for (const auto& m : messages) {
            if (!send_one(m)) {
                return 1;
            }
        }
        return 0;
    }
    std::string line;
    while (std::getline(in, line)) {
        if (!send_one(line)) {
            return 1;
        }
    }
    return 0;
}

}  // namespace l7::socket
