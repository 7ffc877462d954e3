#pragma once
// "ADDR:PORT" as written after --listen and --server: 127.0.0.1:53, [::1]:8080, localhost:25.
// Parsing only; name resolution belongs to the driver.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7 {

struct HostPort {
    std::string host;  // address literal or name, without IPv6 brackets
    std::uint16_t port = 0;

    bool is_ipv6_literal() const;
    bool is_address_literal() const;
    // Back to text, with brackets around IPv6 literals.
    std::string to_string() const;
};

// Port 0 is accepted (an ephemeral port, useful for tests); a missing port is an error
// unless default_port is given.
Result<HostPort> parse_host_port(std::string_view text, int default_port = -1);

// Like parse_host_port, but the host must be an IPv4 or IPv6 address literal, as a
// listening socket needs.
Result<HostPort> parse_listen_address(std::string_view text);

}  // namespace l7
