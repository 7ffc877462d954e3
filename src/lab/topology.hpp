#pragma once
// The lab's topology: hosts with loopback addresses and the services each runs. Parsed from
// TOML (the embedded default, or --config FILE) with every error naming the file, line and
// key. Pure data: starting services is the job of lab.cpp.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace l7::lab {

struct Service {
    std::string kind;        // a registered kind: "udp-uppercase", "dns-auth", ...
    std::uint16_t port = 0;  // as configured; see effective_port()
    config::Table settings;  // the [[host.service]] table, for kind-specific keys
};

struct Host {
    std::string name;
    std::string address;
    std::vector<Service> services;
};

struct Topology {
    std::uint16_t privileged_port_offset = 10000;
    std::vector<Host> hosts;
};

// The embedded default topology, as `l7 lab --print-config` prints it.
const std::string& default_topology_text();

// `kind_protocol` maps a service kind to "udp" or "tcp", or "" if the kind is unknown.
// Throws config::ConfigError for any problem: unknown keys or kinds, an address outside
// 127.0.0.0/8 or equal to 127.0.0.1, duplicate host names or addresses, two services on one
// address, port and protocol.
Topology parse_topology(const config::Table& root,
                        const std::function<std::string(const std::string&)>& kind_protocol);

// The port a service really uses: a port this process may not bind (below
// `first_bindable`) moves up by the offset.
std::uint16_t effective_port(std::uint16_t port, unsigned first_bindable, std::uint16_t offset);

// The lowest port this process may bind: 0 for root or CAP_NET_BIND_SERVICE, otherwise
// net.ipv4.ip_unprivileged_port_start (1024 by default).
unsigned first_bindable_port();

}  // namespace l7::lab
