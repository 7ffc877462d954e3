#pragma once
// What the TCP and UDP relays of one link share: the options, the resolved target, the two
// Wires, and the counts of connections and mappings. Internal to l7_link_asio.

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/trace/tracer.hpp"
#include "link/asio/relay.hpp"
#include "link/link_model.hpp"
#include "link/wire.hpp"
#include "net/runtime.hpp"

namespace l7::link {

struct RelayState {
    RelayState(const LinkOptions& o, trace::Tracer& t)
        : options(o),
          up(std::make_shared<Wire>(o.up)),
          down(std::make_shared<Wire>(o.down)),
          tracer(t) {}

    const LinkOptions options;
    std::vector<asio::ip::tcp::endpoint> tcp_targets;  // the target's addresses, in order
    asio::ip::udp::endpoint udp_target;                // the first of them
    std::string target_text;                           // as the user wrote it
    std::vector<asio::ip::tcp::endpoint> tcp_bound;
    std::vector<asio::ip::udp::endpoint> udp_bound;
    const std::shared_ptr<Wire> up;
    const std::shared_ptr<Wire> down;
    trace::Tracer& tracer;

    std::atomic<std::uint64_t> tcp_connections{0};  // accepted
    std::atomic<std::uint64_t> tcp_failed{0};       // the target refused or did not answer
    std::atomic<std::uint64_t> udp_mappings{0};     // client addresses seen
    std::atomic<std::uint64_t> udp_refused{0};      // datagrams from new clients over the limit
    std::atomic<std::size_t> udp_active{0};
};

// The two uniform random numbers one push needs. The link's randomness only shapes emulated
// loss and jitter, so a fast non-cryptographic generator per flow is right here.
inline Draws draw(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const double loss = uniform(rng);
    return Draws{loss, uniform(rng)};
}

// "arriving in 107.792 ms", for the trace.
std::string arrival_text(TimePoint now, TimePoint due);

void start_tcp_relay(net::Runtime& runtime, const std::shared_ptr<RelayState>& state);
void start_udp_relay(net::Runtime& runtime, const std::shared_ptr<RelayState>& state);

}  // namespace l7::link
