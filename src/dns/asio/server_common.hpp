#pragma once
// What the authoritative server and the recursive service both need around their sockets:
// the --trace record of one exchange, RFC 7766 framing on TCP, and one port for UDP and TCP.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "net/runtime.hpp"

namespace l7::dns {

// Records one exchange for --trace; decoding happens only when tracing is on.
void trace_exchange(trace::Tracer& tracer, std::string_view proto, const std::string& peer,
                    std::uint64_t conn, std::span<const std::uint8_t> query,
                    std::span<const std::uint8_t> reply);

// Sends the message in out[2 .. 2 + size) behind its two-byte length (RFC 7766 section 8).
asio::awaitable<bool> write_framed(asio::ip::tcp::socket& sock, std::vector<std::uint8_t>& out,
                                   std::size_t size);

// An ephemeral port that UDP and TCP can both bind now (the runtime then binds it for real;
// a port taken in between fails that bind with a clear error). 0 when none was found.
std::uint16_t port_free_for_both(const std::string& host);

// Binds UDP and TCP on `requested` with one port number for both (port 0: one free on both),
// starts the loops, and logs "listening on udp|tcp ADDR:PORT (LABEL)". Throws net::BindError.
struct BoundPair {
    asio::ip::udp::endpoint udp;
    asio::ip::tcp::endpoint tcp;
};
BoundPair listen_udp_and_tcp(net::Runtime& runtime, const HostPort& requested,
                             net::Runtime::UdpLoop udp_loop, net::Runtime::TcpHandler tcp_handler,
                             std::size_t max_tcp_connections, std::string_view label);

template <class Endpoint>
std::string endpoint_text(const Endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

}  // namespace l7::dns
