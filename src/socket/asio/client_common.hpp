#pragma once
// Small pieces the socket clients share: resolving the server and naming endpoints.

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <string>

#include "core/endpoint.hpp"
#include "core/result.hpp"

namespace l7::socket::detail {

// The first address getaddrinfo gives for the server (a literal resolves to itself).
template <class Protocol>
Result<typename Protocol::endpoint> resolve(asio::io_context& io, const HostPort& server) {
    typename Protocol::resolver resolver(io);
    std::error_code ec;
    auto results = resolver.resolve(server.host, std::to_string(server.port), ec);
    if (ec || results.empty()) {
        return make_error("cannot resolve " + server.host + ": " +
                          (ec ? ec.message() : std::string("no address")));
    }
    return results.begin()->endpoint();
}

template <class Endpoint>
std::string endpoint_text(const Endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

}  // namespace l7::socket::detail
