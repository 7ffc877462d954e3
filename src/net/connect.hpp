#pragma once
// Connecting a client (the mail relay, `l7 mail send`, `l7 mail fetch`, `l7 ftp`) to the
// first of a server's addresses that answers, each try with its own deadline.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace l7::net {

struct ConnectOutcome {
    bool connected = false;
    std::string address;     // the one connected to
    std::string failure;     // why none could be reached (when !connected)
    bool timed_out = false;  // the last try ran out of time (rather than being refused)
};

// `addresses` are IP literals, tried in order; others are skipped.
asio::awaitable<ConnectOutcome> connect_first(asio::ip::tcp::socket& sock,
                                              const std::vector<std::string>& addresses,
                                              std::uint16_t port,
                                              std::chrono::milliseconds timeout);

}  // namespace l7::net
