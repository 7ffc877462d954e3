#pragma once
// A stub client: one query to one server over UDP (with retries, and TCP when the answer comes
// back truncated) or TCP. Replies are matched on id and question (RFC 5452 section 9.1), so a
// stray or forged datagram is ignored rather than believed.

#include <chrono>
#include <string>

#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "core/trace/tracer.hpp"
#include "dns/message.hpp"

namespace l7::dns {

struct ExchangeOptions {
    HostPort server;
    bool tcp = false;
    bool tcp_on_truncation = true;
    std::chrono::milliseconds timeout{2000};  // per try
    int tries = 3;                            // UDP sends before giving up
};

struct Exchange {
    Message reply;
    std::size_t reply_size = 0;
    std::chrono::microseconds elapsed{0};
    bool over_tcp = false;
    std::string server;  // address:port the reply came from
};

// Sends `query` and waits for the matching reply. The error is one sentence ("no reply from
// 127.0.0.1:53 after 3 tries", "connection refused by ...", "malformed reply: ...").
Result<Exchange> exchange(const Message& query, const ExchangeOptions& options,
                          trace::Tracer& tracer);

}  // namespace l7::dns
