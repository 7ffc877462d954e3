#pragma once
// `l7 torrent tracker`: a BitTorrent tracker on a net::Runtime. Each listening address
// serves HTTP (GET /announce and /scrape, BEP 3, 23, 48; a status page at /) on TCP and the
// UDP tracker protocol (BEP 15) on UDP, IPv4 and IPv6 alike, all over one SwarmRegistry.
// Silent peers are dropped every 30 s.

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <memory>
#include <mutex>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "net/runtime.hpp"
#include "p2p/swarm_registry.hpp"

namespace l7::p2p {

struct TrackerServerOptions {
    std::vector<HostPort> listen;  // each: HTTP on TCP and BEP 15 on UDP
    bool http = true;
    bool udp = true;
    SwarmConfig swarm;
    std::function<void(const std::string& line)> access_log;
};

struct TrackerEndpoints {
    std::vector<asio::ip::tcp::endpoint> http;
    std::vector<asio::ip::udp::endpoint> udp;
};

class TrackerServer {
  public:
    explicit TrackerServer(TrackerServerOptions options);
    ~TrackerServer();
    // Binds everything (throws net::BindError) and starts the expiry timer.
    TrackerEndpoints start(net::Runtime& runtime, trace::Tracer& tracer);

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace l7::p2p
