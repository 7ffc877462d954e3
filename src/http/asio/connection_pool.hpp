#pragma once
// The client's persistent connections (RFC 9112 section 9.3): one TCP connection per origin
// (host and port) is kept open after a response that allows it, and the next request to that
// origin goes over it instead of a new handshake. A kept connection the server has closed in
// the meantime is noticed before it is handed out (a peek finds the EOF) when the close has
// already arrived; when it arrives only as the request goes out, the client retries (see
// client.cpp). Bounded: a few idle connections per origin and in all; the oldest go first.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/asio/client.hpp"
#include "http/url.hpp"

namespace l7::http {

struct PooledConnection {
    asio::ip::tcp::socket socket;
    std::string origin;   // "host:port", the pool's key (host lowercase)
    std::string host;     // as in the URL, for messages
    std::string address;  // the IP address connected to
    std::uint16_t port = 0;
    std::uint64_t number = 0;    // #0, #1, ... in the order opened, as curl -v counts them
    std::uint64_t trace_id = 0;  // the tracer's connection id
    std::size_t exchanges = 0;   // requests it has carried
};

struct PoolLimits {
    std::size_t max_idle_per_origin = 4;
    std::size_t max_idle = 16;
};

class ConnectionPool {
  public:
    explicit ConnectionPool(asio::any_io_executor executor, PoolLimits limits = {});

    // "host:port" for a URL: the key connections are kept under.
    static std::string origin_of(const Url& url);

    // A kept connection to the URL's origin that is still open (the most recently used), or
    // nullopt. Connections found closed, or with unexpected bytes waiting, are dropped.
    std::optional<PooledConnection> take(const Url& url);

    // A new connection: the host resolved with l7's stub resolver, each address tried in turn
    // within `timeout`. Errors carry curl's codes (6 resolve, 7 connect, 28 timeout).
    // `on_trying` is told each address before it is tried. A `local_address` (an IP literal)
    // is where the connection leaves from; addresses of the other family are skipped.
    asio::awaitable<Result<PooledConnection, ClientError>> connect(
        const Url& url, std::chrono::milliseconds timeout, const std::string& local_address = {},
        const std::function<void(std::string_view address)>& on_trying = {});

    // Keeps `connection` for reuse; evicts the oldest idle ones beyond the limits.
    void give_back(PooledConnection connection);

    std::size_t idle() const { return idle_.size(); }
    // How many connections connect() has opened.
    std::uint64_t opened() const { return next_number_; }
    void close_all() { idle_.clear(); }

  private:
    asio::any_io_executor executor_;
    PoolLimits limits_;
    std::deque<PooledConnection> idle_;  // oldest first
    std::uint64_t next_number_ = 0;
};

}  // namespace l7::http
