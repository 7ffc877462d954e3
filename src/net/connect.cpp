#include "net/connect.hpp"

#include "core/endpoint.hpp"
#include "net/timeout.hpp"

namespace l7::net {

asio::awaitable<ConnectOutcome> connect_first(asio::ip::tcp::socket& sock,
                                              const std::vector<std::string>& addresses,
                                              std::uint16_t port,
                                              std::chrono::milliseconds timeout) {
    ConnectOutcome out;
    out.failure = "no address to try";
    for (const std::string& a : addresses) {
        std::error_code ec;
        const auto address = asio::ip::make_address(a, ec);
        if (ec) {
            continue;
        }
        std::error_code ignored;
        sock.close(ignored);
        auto done = co_await net::with_timeout(
            sock.async_connect(asio::ip::tcp::endpoint(address, port), net::as_tuple_awaitable),
            timeout);
        if (!done) {
            out.failure = "no answer from " + HostPort{a, port}.to_string() + " within " +
                          std::to_string(timeout.count() / 1000) + " s";
            out.timed_out = true;
            continue;
        }
        if (auto [connect_ec] = *done; connect_ec) {
            out.failure = HostPort{a, port}.to_string() + ": " + connect_ec.message();
            out.timed_out = false;
            continue;
        }
        out.connected = true;
        out.address = a;
        co_return out;
    }
    co_return out;
}

}  // namespace l7::net
