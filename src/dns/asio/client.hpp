#pragma once
// A stub client: one query to one server over UDP (with retries, and TCP when the answer comes
// back truncated) or TCP. Replies are matched on id and question (RFC 5452 section 9.1), so a
// stray or forged datagram is ignored rather than believed.

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "core/trace/tracer.hpp"
#include "dns/message.hpp"
#include "dns/zone.hpp"

namespace l7::dns {

struct ExchangeOptions {
    HostPort server;
    bool tcp = false;
    bool tcp_on_truncation = true;
    std::chrono::milliseconds timeout{2000};  // per try
    int tries = 3;                            // UDP sends before giving up
    // Applied to the encoded query before sending (TSIG signing, tsig.hpp).
    std::function<Bytes(Bytes)> sign;
    // A resolver's own checks on a reply (0x20 case, defences.hpp). When set, a reply that
    // fails them, or does not decode, is ignored and the wait goes on: an off-path forger who
    // guessed the id must not end the exchange before the real reply arrives.
    std::function<bool(const Message& reply)> accept;
};

struct Exchange {
    Message reply;
    Bytes reply_wire;
    std::size_t reply_size = 0;
    std::chrono::microseconds elapsed{0};
    bool over_tcp = false;
    std::string server;  // address:port the reply came from
};

// Sends `query` and waits for the matching reply. The error is one sentence ("no reply from
// 127.0.0.1:53 after 3 tries", "connection refused by ...", "malformed reply: ...").
Result<Exchange> exchange(const Message& query, const ExchangeOptions& options,
                          trace::Tracer& tracer);
// The same as a coroutine, for servers (a secondary's SOA checks, NOTIFY).
asio::awaitable<Result<Exchange>> async_exchange(Message query, ExchangeOptions options,
                                                 trace::Tracer& tracer);

// A zone transfer from `primary` over TCP: IXFR from `have_serial` when given (an IXFR reply
// may still be a whole zone), else AXFR. Every read has `timeout`.
struct TransferResult {
    bool up_to_date = false;
    bool incremental = false;
    std::uint32_t serial = 0;
    std::vector<ResourceRecord> records;  // whole zone, SOA first
    std::vector<ZoneDiff> diffs;          // incremental changes, oldest first
    std::size_t messages = 0;
};
asio::awaitable<Result<TransferResult>> async_transfer(Name origin, HostPort primary,
                                                       std::optional<std::uint32_t> have_serial,
                                                       std::chrono::milliseconds timeout,
                                                       trace::Tracer& tracer);
// The same, blocking (`l7 dns query NAME AXFR`).
Result<TransferResult> transfer(const Name& origin, const HostPort& primary,
                                std::optional<std::uint32_t> have_serial,
                                std::chrono::milliseconds timeout, trace::Tracer& tracer);

}  // namespace l7::dns
