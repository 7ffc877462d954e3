#pragma once
// The authoritative DNS server on a net::Runtime: UDP (one receive loop per worker) and TCP
// (RFC 7766: several queries per connection, pipelined queries answered in order, an idle
// timeout). Both hand each message to the sans-I/O responder.

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "dns/asio/zone_store.hpp"
#include "net/runtime.hpp"

namespace l7::dns {

struct ServerOptions {
    std::vector<HostPort> listen;
    ResponderOptions responder;
    std::chrono::milliseconds tcp_idle_timeout{10'000};
    std::size_t max_tcp_connections = 1'000;
};

struct BoundServer {
    std::vector<asio::ip::udp::endpoint> udp;
    std::vector<asio::ip::tcp::endpoint> tcp;
};

// Binds UDP and TCP on every listen address (port 0: the same ephemeral port for both) and
// starts serving. Throws net::BindError.
BoundServer start_server(net::Runtime& runtime, const ServerOptions& options,
                         std::shared_ptr<ZoneStore> zones, trace::Tracer& tracer);

// Reloads the zones on SIGHUP, on a thread of its own so queries go on meanwhile.
void reload_on_sighup(net::Runtime& runtime, std::shared_ptr<ZoneStore> zones);

}  // namespace l7::dns
