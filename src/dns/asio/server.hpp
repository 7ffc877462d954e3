#pragma once
// The authoritative DNS server on a net::Runtime: UDP (one receive loop per worker) and TCP
// (RFC 7766: several queries per connection, pipelined queries answered in order, an idle
// timeout). Queries go to the sans-I/O responder; AXFR and IXFR to the transfer writer, for
// clients on the allow list; NOTIFY and UPDATE to the handlers the command installs.

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "dns/asio/acl.hpp"
#include "dns/asio/zone_store.hpp"
#include "dns/notify.hpp"
#include "net/runtime.hpp"

namespace l7::dns {

struct ServerOptions {
    std::vector<HostPort> listen;
    ResponderOptions responder;
    std::chrono::milliseconds tcp_idle_timeout{10'000};
    std::size_t max_tcp_connections = 1'000;
    AddressList allow_transfer = AddressList::loopback();
    // NOTIFY for a secondary zone (RFC 1996); unset: answered NOTIMP.
    std::function<Rcode(const NotifyRequest&, const asio::ip::address& from)> on_notify;
    // UPDATE (RFC 2136): writes the reply into `out` and returns its size; unset: NOTIMP.
    std::function<std::size_t(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                              const asio::ip::address& from)>
        on_update;
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
