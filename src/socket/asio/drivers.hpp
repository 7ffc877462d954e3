#pragma once
// Drivers for the socket applications: they move bytes between Asio sockets and the sans-I/O
// cores in this module. Servers register on a net::Runtime; clients run to completion on
// their own io_context.

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "core/trace/tracer.hpp"
#include "net/runtime.hpp"
#include "socket/echo_policy.hpp"
#include "socket/pinger.hpp"
#include "socket/uppercase.hpp"

namespace l7::socket {

struct UdpServerOptions {
    std::vector<HostPort> listen;
    EchoPolicy policy;
    std::size_t max_pending_delayed = 10'000;  // delayed replies in flight, per worker
};
// Starts the server on every listen address; returns the bound endpoints.
std::vector<asio::ip::udp::endpoint> start_udp_server(net::Runtime& runtime,
                                                      const UdpServerOptions& options,
                                                      trace::Tracer& tracer);

struct TcpServerOptions {
    std::vector<HostPort> listen;
    UppercaseLimits limits;
    std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);
    std::size_t max_connections = 10'000;
};
std::vector<asio::ip::tcp::endpoint> start_tcp_server(net::Runtime& runtime,
                                                      const TcpServerOptions& options,
                                                      trace::Tracer& tracer);

struct ClientOptions {
    HostPort server;
    std::chrono::nanoseconds timeout = std::chrono::seconds(2);
};

// One request and its reply, blocking: what `udp-client`, `tcp-client` and `l7 lab --check`
// use. The error says what went wrong in one sentence (no reply, refused, timeout...).
Result<std::string> udp_request(const ClientOptions& options, const std::string& message,
                                trace::Tracer& tracer);

// Sends each line of `in` and writes each reply line to `out`. `messages`, when not empty,
// replaces `in`. Returns the exit code: 0, or 1 after the first failure (reported on stderr).
int run_udp_client(const ClientOptions& options, const std::vector<std::string>& messages,
                   std::istream& in, std::ostream& out, trace::Tracer& tracer);
int run_tcp_client(const ClientOptions& options, const std::vector<std::string>& messages,
                   std::istream& in, std::ostream& out, trace::Tracer& tracer);

struct PingClientOptions {
    HostPort server;
    PingOptions ping;
    bool quiet = false;  // only the summary, like ping -q
};
// Prints per-probe lines and the ping(8)-style summary to `out`. Stops early on SIGINT.
// Returns the statistics; the exit code is 0 if any reply came back.
PingStatistics run_ping(const PingClientOptions& options, std::ostream& out, trace::Tracer& tracer);

}  // namespace l7::socket
