#include "lab/topology.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

namespace l7::lab {

namespace {

bool is_lab_address(const std::string& text) {
    in_addr a{};
    if (text.find('\0') != std::string::npos || inet_pton(AF_INET, text.c_str(), &a) != 1) {
        return false;
    }
    const std::uint32_t host = ntohl(a.s_addr);
    return (host >> 24) == 127 && host != 0x7F000001u;
}

}  // namespace

Topology parse_topology(const config::Table& root,
                        const std::function<std::string(const std::string&)>& kind_protocol) {
    root.allow_only({"lab", "host"});
    Topology topo;
    if (auto lab = root.get_table("lab")) {
        lab->allow_only({"privileged_port_offset"});
        if (auto off = lab->get_integer("privileged_port_offset", 1024, 64000)) {
            topo.privileged_port_offset = static_cast<std::uint16_t>(*off);
        }
    }
    std::set<std::string> names, addresses;
    std::set<std::string> endpoints;  // "proto address port"
    for (const config::Table& h : root.get_tables("host")) {
        h.allow_only({"name", "address", "service"});
        Host host;
        auto name = h.get_string("name");
        if (!name || name->empty()) {
            h.fail("name", "every host needs a name");
        }
        host.name = *name;
        if (!names.insert(host.name).second) {
            h.fail("name", "host '" + host.name + "' is defined twice");
        }
        auto address = h.get_string("address");
        if (!address) {
            h.fail("address", "every host needs an address");
        }
        if (!is_lab_address(*address)) {
            h.fail("address", "'" + *address +
                                  "' is not a loopback address of 127.0.0.0/8 other than "
                                  "127.0.0.1");
        }
        if (!addresses.insert(*address).second) {
            h.fail("address", "address " + *address + " belongs to another host already");
        }
        host.address = *address;
        for (const config::Table& s : h.get_tables("service")) {
            auto kind = s.get_string("kind");
            if (!kind) {
                s.fail("kind", "every service needs a kind");
            }
            const std::string proto = kind_protocol(*kind);
            if (proto.empty()) {
                s.fail("kind", "'" + *kind + "' is not a service kind l7 knows");
            }
            auto port = s.get_integer("port", 1, 65535);
            if (!port) {
                s.fail("port", "every service needs a port");
            }
            // "udp+tcp" services (DNS) claim the port on both transports.
            for (std::size_t start = 0; start < proto.size();) {
                const auto plus = proto.find('+', start);
                const std::string one =
                    proto.substr(start, plus == std::string::npos ? plus : plus - start);
                const std::string key = one + " " + host.address + " " + std::to_string(*port);
                if (!endpoints.insert(key).second) {
                    s.fail("port", "another " + one + " service already uses " + host.address +
                                       ":" + std::to_string(*port));
                }
                start = plus == std::string::npos ? proto.size() : plus + 1;
            }
            host.services.push_back(Service{*kind, static_cast<std::uint16_t>(*port), s});
        }
        topo.hosts.push_back(std::move(host));
    }
    if (topo.hosts.empty()) {
        root.fail("host", "the lab has no hosts ([[host]] tables)");
    }
    return topo;
}

std::uint16_t effective_port(std::uint16_t port, unsigned first_bindable, std::uint16_t offset) {
    if (port >= first_bindable) {
        return port;
    }
    return static_cast<std::uint16_t>(port + offset);
}

unsigned first_bindable_port() {
    if (::geteuid() == 0) {
        return 0;
    }
    // CAP_NET_BIND_SERVICE is capability bit 10 in the effective set.
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            std::istringstream hex(line.substr(7));
            unsigned long long caps = 0;
            hex >> std::hex >> caps;
            if ((caps >> 10) & 1u) {
                return 0;
            }
        }
    }
    std::ifstream sysctl("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    unsigned start = 1024;
    if (!(sysctl >> start)) {
        start = 1024;
    }
    return start;
}

}  // namespace l7::lab
