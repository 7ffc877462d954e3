#include "http/asio/connection_pool.hpp"

#include <algorithm>

#include "core/trace/tracer.hpp"
#include "dns/asio/client_resolver.hpp"
#include "http/head_syntax.hpp"
#include "net/timeout.hpp"

namespace l7::http {
namespace {

using tcp = asio::ip::tcp;

// Whether an idle connection can carry another request: nothing to read yet. A FIN (read
// returns 0), a reset, or bytes the server sent unasked all mean it cannot. A non-blocking
// peek answers without waiting and without taking anything from the socket.
bool still_open(tcp::socket& socket) {
    std::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) {
        return false;
    }
    char byte = 0;
    socket.receive(asio::buffer(&byte, 1), tcp::socket::message_peek, ec);
    std::error_code ignored;
    socket.non_blocking(false, ignored);
    return ec == asio::error::would_block;
}

}  // namespace

ConnectionPool::ConnectionPool(asio::any_io_executor executor, PoolLimits limits)
    : executor_(std::move(executor)), limits_(limits) {}

std::string ConnectionPool::origin_of(const Url& url) {
    return ascii_lowercase(url.host) + ":" + std::to_string(url.port);
}

std::optional<PooledConnection> ConnectionPool::take(const Url& url) {
    const std::string origin = origin_of(url);
    // The most recently returned first: the least likely to have hit the server's idle timeout.
    for (auto it = idle_.end(); it != idle_.begin();) {
        --it;
        if (it->origin != origin) {
            continue;
        }
        PooledConnection c = std::move(*it);
        it = idle_.erase(it);
        if (still_open(c.socket)) {
            return c;
        }
    }
    return std::nullopt;
}

asio::awaitable<Result<PooledConnection, ClientError>> ConnectionPool::connect(
    const Url& url, std::chrono::milliseconds timeout, const std::string& local_address,
    const std::function<void(std::string_view address)>& on_trying) {
    auto addresses = dns::resolve_host(url.host);
    if (!addresses) {
        co_return ClientError{6, "cannot resolve " + url.host + ": " + addresses.error().message};
    }
    tcp::socket sock(executor_);
    std::string last_failure = "no address to try";
    bool timed_out = false;
    for (const std::string& a : *addresses) {
        std::error_code ec;
        const auto address = asio::ip::make_address(a, ec);
        if (ec) {
            continue;
        }
        if (on_trying) {
            on_trying(a);
        }
        std::error_code ignored;
        sock.close(ignored);
        if (!local_address.empty()) {
            // curl's --interface: the connection leaves from this address (a lab host's own
            // loopback address, so the server sees which host it is).
            const auto local = asio::ip::make_address(local_address, ec);
            if (ec || local.is_v4() != address.is_v4()) {
                last_failure = "cannot connect from " + local_address + " to " + a;
                continue;
            }
            sock.open(local.is_v4() ? tcp::v4() : tcp::v6(), ec);
            sock.bind(tcp::endpoint(local, 0), ec);
            if (ec) {
                last_failure = "cannot bind " + local_address + ": " + ec.message();
                continue;
            }
        }
        auto done = co_await net::with_timeout(
            sock.async_connect(tcp::endpoint(address, url.port), net::as_tuple_awaitable), timeout);
        if (!done) {
            last_failure = "no answer from " + a + " within the connect timeout";
            timed_out = true;
            continue;
        }
        if (auto [connect_ec] = *done; connect_ec) {
            last_failure = connect_ec.message() + " (" + a + ")";
            timed_out = false;
            continue;
        }
        co_return PooledConnection{.socket = std::move(sock),
                                   .origin = origin_of(url),
                                   .host = url.host,
                                   .address = a,
                                   .port = url.port,
                                   .number = next_number_++,
                                   .trace_id = trace::Tracer::next_connection_id(),
                                   .exchanges = 0};
    }
    co_return ClientError{timed_out ? 28 : 7,
                          "cannot connect to " + url.authority() + ": " + last_failure};
}

void ConnectionPool::give_back(PooledConnection connection) {
    const std::string origin = connection.origin;
    idle_.push_back(std::move(connection));
    const auto same = [&origin](const PooledConnection& c) { return c.origin == origin; };
    while (static_cast<std::size_t>(std::count_if(idle_.begin(), idle_.end(), same)) >
           limits_.max_idle_per_origin) {
        idle_.erase(std::find_if(idle_.begin(), idle_.end(), same));
    }
    while (idle_.size() > limits_.max_idle) {
        idle_.pop_front();
    }
}

}  // namespace l7::http
