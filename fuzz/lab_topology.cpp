// l7::lab::parse_topology on arbitrary TOML. It either throws ConfigError naming the source,
// or returns a topology the lab can start: at least one host, names and addresses unique,
// every address a 127.0.0.0/8 address other than 127.0.0.1, every service of a known kind on
// a port from 1 to 65535, no two services of one protocol on one address and port.

#include <arpa/inet.h>

#include <set>
#include <string>
#include <tuple>

#include "core/config.hpp"
#include "fuzz_check.hpp"
#include "lab/topology.hpp"

namespace {

std::string kind_protocol(const std::string& kind) {
    if (kind == "udp-uppercase" || kind == "udp-echo") {
        return "udp";
    }
    if (kind == "tcp-uppercase") {
        return "tcp";
    }
    return "";
}

void check(const l7::lab::Topology& topo) {
    L7_FUZZ_CHECK(!topo.hosts.empty());
    L7_FUZZ_CHECK(topo.privileged_port_offset >= 1024 && topo.privileged_port_offset <= 64000);
    std::set<std::string> names;
    std::set<std::uint32_t> addresses;  // compared as numbers, not as text
    std::set<std::tuple<std::string, std::uint32_t, std::uint16_t>> endpoints;
    for (const l7::lab::Host& host : topo.hosts) {
        L7_FUZZ_CHECK(!host.name.empty());
        L7_FUZZ_CHECK(names.insert(host.name).second);
        // The whole text is the address: inet_pton below would stop at a NUL byte.
        L7_FUZZ_CHECK(host.address.find('\0') == std::string::npos);
        in_addr a{};
        L7_FUZZ_CHECK(inet_pton(AF_INET, host.address.c_str(), &a) == 1);
        const std::uint32_t address = ntohl(a.s_addr);
        L7_FUZZ_CHECK((address >> 24) == 127 && address != 0x7F000001u);
        L7_FUZZ_CHECK(addresses.insert(address).second);
        for (const l7::lab::Service& service : host.services) {
            const std::string proto = kind_protocol(service.kind);
            L7_FUZZ_CHECK(!proto.empty());
            L7_FUZZ_CHECK(service.port >= 1);
            L7_FUZZ_CHECK(endpoints.insert({proto, address, service.port}).second);
            const std::uint16_t moved =
                l7::lab::effective_port(service.port, 1024, topo.privileged_port_offset);
            L7_FUZZ_CHECK(service.port >= 1024
                              ? moved == service.port
                              : moved == service.port + topo.privileged_port_offset);
            L7_FUZZ_CHECK(l7::lab::effective_port(service.port, 0, topo.privileged_port_offset) ==
                          service.port);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    try {
        const auto root = l7::config::Table::parse(text, "fuzz.toml");
        check(l7::lab::parse_topology(root, kind_protocol));
    } catch (const l7::config::ConfigError& e) {
        L7_FUZZ_CHECK(std::string_view(e.what()).substr(0, 10) == "fuzz.toml:");
    }
    return 0;
}
