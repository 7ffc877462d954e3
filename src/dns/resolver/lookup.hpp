#pragma once
// What a driver needs from one client question answered through upstream servers, whether by
// iterating from the root (Resolution) or by asking forwarders (Forwarding): the next query to
// send, the replies and silences back, and the answer once done. Sans-I/O.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "dns/message.hpp"

namespace l7::dns {

struct UpstreamRequest {
    std::uint64_t token = 0;
    std::string server;  // ADDR:PORT
    Message query;
    bool tcp = false;
    std::chrono::milliseconds timeout{0};
};

class Lookup {
  public:
    virtual ~Lookup() = default;

    virtual std::optional<UpstreamRequest> poll_request(TimePoint now) = 0;
    virtual void on_reply(std::uint64_t token, const std::string& from, const Message& reply,
                          TimePoint now) = 0;
    virtual void on_timeout(std::uint64_t token, TimePoint now) = 0;

    virtual bool done() const = 0;
    // Whether `token` still waits for its reply (a reply that did not match leaves it so).
    virtual bool waiting_for(std::uint64_t token) const = 0;
    // The answer for the client: rcode, the CNAME chain and answer, the SOA of a negative
    // answer. RA is set; RD and the id are the driver's to fill.
    virtual const Message& response() const = 0;
    virtual int queries_sent() const = 0;
};

}  // namespace l7::dns
