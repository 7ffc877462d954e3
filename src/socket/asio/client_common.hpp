#pragma once
// Small pieces the socket clients share: resolving the server and naming endpoints.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "dns/asio/client_resolver.hpp"

namespace l7::socket::detail {

// The server's endpoints in the order to try them, found by l7's stub resolver (/etc/hosts,
// then the resolvers of L7_RESOLVER or /etc/resolv.conf); a literal resolves to itself.
template <class Protocol>
Result<std::vector<typename Protocol::endpoint>> resolve_all(const HostPort& server) {
    auto addresses = dns::resolve_host(server.host);
    if (!addresses) {
        return make_error("cannot resolve " + server.host + ": " + addresses.error().message);
    }
    std::vector<typename Protocol::endpoint> out;
    for (const std::string& a : *addresses) {
        std::error_code ec;
        const auto address = asio::ip::make_address(a, ec);
        if (!ec) {
            out.emplace_back(address, server.port);
        }
    }
    if (out.empty()) {
        return make_error("cannot resolve " + server.host + ": no address");
    }
    return out;
}

// The first of them: where a datagram goes.
template <class Protocol>
Result<typename Protocol::endpoint> resolve(asio::io_context&, const HostPort& server) {
    auto all = resolve_all<Protocol>(server);
    if (!all) {
        return all.error();
    }
    return all->front();
}

template <class Endpoint>
std::string endpoint_text(const Endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

}  // namespace l7::socket::detail
