#pragma once
// IP networks in CIDR notation (RFC 4632; RFC 4291 2.3 for IPv6): "192.0.2.0/24",
// "2001:db8::/32", or a single address ("127.0.0.1" is /32, "::1" is /128). For access
// lists such as the mail server's --relay-networks. An IPv4-mapped IPv6 address
// (::ffff:192.0.2.1, what a dual-stack socket reports for an IPv4 client) matches IPv4
// networks as the IPv4 address it is.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7 {

struct IpAddress {
    bool v4 = true;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4

    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1" (returned as IPv4); nullopt otherwise.
std::optional<IpAddress> parse_ip_address(std::string_view text);

struct Cidr {
    IpAddress network;  // host bits cleared
    int prefix = 32;

    bool contains(const IpAddress& address) const;
    std::string to_string() const;  // "192.0.2.0/24"
};

// The error names the text and what is wrong; host bits set ("192.0.2.1/24") are an error,
// since they usually mean a typo.
Result<Cidr> parse_cidr(std::string_view text);

}  // namespace l7
