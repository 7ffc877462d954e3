#pragma once
// `l7 link`'s drivers: relay TCP connections and UDP datagrams from a listen address to a
// target through the link model, on a net::Runtime.
//
//   client ──► listen ADDR:PORT ──► up LinkModel ──► target
//   client ◄── listen ADDR:PORT ◄── down LinkModel ◄── target
//
// Every flow (a TCP connection, a UDP client's source address) has a LinkModel per direction:
// loss (UDP), then the direction's Wire (queue and rate, shared by every flow as flows share a
// real link), then delay and jitter. Counters are per direction, over every flow.

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "link/counters.hpp"
#include "link/link_model.hpp"
#include "link/wire.hpp"
#include "net/runtime.hpp"

namespace l7::link {

struct LinkOptions {
    std::vector<HostPort> listen;
    HostPort target;  // a name is resolved once, at start
    bool tcp = true;
    bool udp = true;
    // Delay, jitter, loss (UDP only) and per-flow bounds, both directions. The bound on the
    // bytes one flow holds (max_held_bytes, 4 MiB) also caps an unlimited-rate connection at
    // 4 MiB per one-way delay, as a window would.
    FlowParams flow;
    WireParams up;    // client -> target: rate and queue
    WireParams down;  // target -> client
    Duration connect_timeout = std::chrono::seconds(10);
    // A TCP connection with no byte either way, or a UDP mapping with no datagram, for this
    // long is closed. Also the longest a write may make no progress.
    Duration idle_timeout = std::chrono::seconds(120);
    std::size_t max_connections = 1024;  // TCP connections at once
    std::size_t max_mappings = 1024;     // UDP client addresses at once
};

struct RelayState;

// A running link: where it listens and what it has done so far.
class Link {
  public:
    explicit Link(std::shared_ptr<RelayState> state) : state_(std::move(state)) {}

    const std::vector<asio::ip::tcp::endpoint>& tcp_endpoints() const;
    const std::vector<asio::ip::udp::endpoint>& udp_endpoints() const;
    LinkCounters up() const;
    LinkCounters down() const;
    // The counters as log lines: one per direction and one for connections and mappings.
    std::vector<std::string> report() const;

  private:
    std::shared_ptr<RelayState> state_;
};

// Resolves the target, binds every listen address (TCP and/or UDP) and starts relaying.
// Throws net::BindError when an address cannot be bound and std::runtime_error (one sentence)
// when the target cannot be resolved. Logs "listening on tcp|udp ADDR:PORT (link to T)".
// If stats_interval > 0, logs the report that often. Call before runtime.run().
Link start_link(net::Runtime& runtime, const LinkOptions& options, trace::Tracer& tracer,
                Duration stats_interval = Duration(0));

}  // namespace l7::link
