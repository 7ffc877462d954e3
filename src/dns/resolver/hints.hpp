#pragma once
// Root hints: where iterative resolution starts (RFC 1034 section 5.3.3, step 2: "the SBELT
// ... usually a list of root servers"). A resolver primes from them (RFC 8109) and then
// follows referrals down from the root.
//
// Two sources:
//   - a hints file in the master format of RFC 1035 section 5, as IANA publishes it
//     (https://www.internic.net/domain/named.root) and BIND and Unbound read it:
//         .                   3600000  NS  A.ROOT-SERVERS.NET.
//         A.ROOT-SERVERS.NET. 3600000  A   198.41.0.4
//         A.ROOT-SERVERS.NET. 3600000  AAAA 2001:503:ba3e::2:30
//   - a list of ADDR:PORT, for the lab, whose private root may listen on a port other than 53
//     (127.10.1.1:10053 when the lab runs without the privilege to bind port 53).
//
// Sans-I/O: the file's text is given; load_root_hints is the file-system wrapper.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "dns/name.hpp"

namespace l7::dns {

inline constexpr std::uint16_t kDnsPort = 53;

// One root server: its name (the target of a root NS record) and where to reach it. Every
// address carries its own port, so a lab root can listen on any port.
struct RootServer {
    Name name;
    std::vector<HostPort> addresses;  // address literals (IPv4 first, then IPv6, file order)
};

struct RootHints {
    std::vector<RootServer> servers;  // in the file's NS order

    // Root servers given as ADDR:PORT ("127.10.1.1:10053", "[::1]:53"; the port defaults to
    // 53). Each becomes a server of its own, named "rootN.hints.invalid." (the .invalid TLD
    // never resolves, RFC 6761 section 6.4), so the name is never queried for. Fails on an
    // empty list or an entry that is not an address literal.
    static Result<RootHints> from_servers(std::span<const std::string> addr_ports);

    // Every address of every server as "ADDR:PORT" (brackets around IPv6), the keys
    // UpstreamTable uses, in server order.
    std::vector<std::string> endpoints() const;
    std::size_t address_count() const;
};

// Parses a hints file with `.` as the origin. Reads the NS records of the root and the A and
// AAAA records of their targets; other records (or addresses of names that are not root
// servers) are ignored, as BIND does. Errors read "file:line: message": syntax errors, NS
// records for a name other than the root, and, naming the file only, a file without any root
// NS record or without an address for any of them. A server without an address is kept (a
// resolver can look its name up once it has reached the root through another).
//
// `port` is the port given to every address (a hints file has no place for one).
Result<RootHints> parse_root_hints(std::string_view text, const std::string& file_name,
                                   std::uint16_t port = kDnsPort);

// Reads `path` and parses it as above.
Result<RootHints> load_root_hints(const std::string& path, std::uint16_t port = kDnsPort);

}  // namespace l7::dns
