#pragma once
// How a client orders what a lookup returns, before it connects (issue 4 point 6, the stub
// resolver's part that every l7 client shares):
//
//   - MX: by preference, the lowest first; equal preferences in random order (RFC 5321
//     section 5.1), so load spreads over equal servers;
//   - SRV: by priority, the lowest first; inside a priority, the weighted random selection of
//     RFC 2782 ("Usage rules");
//   - addresses: Happy Eyeballs v2 (RFC 8305 section 4): alternate the families, IPv6 first.
//
// Sans-I/O: the caller passes the random source.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dns/name.hpp"

namespace l7::dns {

struct MxTarget {
    std::uint16_t preference = 0;
    Name exchange;
};
std::vector<MxTarget> order_mx(std::vector<MxTarget> records,
                               const std::function<std::uint64_t()>& random);

struct SrvTarget {
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
    std::uint16_t port = 0;
    Name target;
};
// A single record with target "." means "no service here" (RFC 2782): the result is empty.
std::vector<SrvTarget> order_srv(std::vector<SrvTarget> records,
                                 const std::function<std::uint64_t()>& random);

// Address literals of both families, interleaved starting with the first IPv6 one.
std::vector<std::string> interleave_addresses(const std::vector<std::string>& ipv6,
                                              const std::vector<std::string>& ipv4);

}  // namespace l7::dns
