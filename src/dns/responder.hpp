#pragma once
// The authoritative answer to one query (RFC 1034 section 4.3.2, with RFC 2308 negative
// answers, RFC 4592 wildcards, RFC 6672 DNAME, RFC 6891 EDNS, RFC 8482 minimal ANY and
// RFC 2181 section 9 truncation).
//
// Sans-I/O and allocation-free: the query is read in place and the response written into the
// caller's buffer, with names compared and looked up as wire bytes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/name.hpp"
#include "dns/zone.hpp"

namespace l7::dns {

// The zones one server answers from. Built whole and then shared read-only by every worker;
// a reload builds a new set and swaps the pointer.
class ZoneSet {
  public:
    void add(std::shared_ptr<const Zone> zone);
    // The zone whose origin is the longest suffix of `wire`, or null.
    const Zone* find_zone(std::string_view wire) const;
    const std::vector<std::shared_ptr<const Zone>>& zones() const { return zones_; }

  private:
    std::vector<std::shared_ptr<const Zone>> zones_;
    std::unordered_map<std::string, const Zone*, NameHash, NameEqual> by_origin_;
};

enum class Transport { udp, tcp };

struct ResponderOptions {
    // Our EDNS buffer size, and the most we send over UDP (the DNS flag day 2020 value).
    std::uint16_t max_udp_size = 1232;
};

// What the responder did, for logs and statistics.
struct ResponseInfo {
    Rcode rcode = Rcode::NOERROR;
    bool truncated = false;
    bool referral = false;
    // An AXFR or IXFR query: the reply written is a provisional refusal, and the driver,
    // which knows the client's address and the transport, decides (transfer.hpp).
    bool transfer = false;
};

// Writes the response to `query` into `out` (at least 65535 bytes for TCP, max_udp_size for
// UDP) and returns its size; 0 means send nothing (the input was a response or shorter than
// a header).
std::size_t respond(const ZoneSet& zones, std::span<const std::uint8_t> query,
                    std::span<std::uint8_t> out, Transport transport,
                    const ResponderOptions& options = {}, ResponseInfo* info = nullptr);

// A reply that only carries `rcode` and the query's question (REFUSED for a transfer that is
// not allowed, NOTAUTH for a zone we do not have). 0 when `query` has no usable header.
std::size_t error_response(std::span<const std::uint8_t> query, Rcode rcode,
                           std::span<std::uint8_t> out);

}  // namespace l7::dns
