#pragma once
// The recursive service (`l7 dns resolver`), the course's "local DNS server": clients on the
// allowed networks send recursive queries over UDP or TCP; answers come from the shared cache
// when it has them, otherwise from a resolution (iterating from the root, or asking
// forwarders) run as a coroutine on the worker that received the query.
//
//   - Clients outside the allow list get REFUSED: no open resolver (RFC 5358).
//   - Identical questions arriving while one is being resolved wait for that one resolution
//     instead of starting their own (which also denies a spoofer the birthday attack).
//   - SERVFAIL after every upstream failed is replaced by expired data still in the cache,
//     with a 30 s TTL (serve-stale, RFC 8767).
//   - A popular entry near expiry is refreshed in the background (prefetch).
//   - Resolutions in flight per worker are bounded; beyond that, queries are dropped (the
//     client retries) rather than queued without end.

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/tracer.hpp"
#include "dns/asio/acl.hpp"
#include "dns/asio/server.hpp"
#include "dns/resolver/forwarding.hpp"
#include "dns/resolver/resolution.hpp"
#include "net/runtime.hpp"

namespace l7::dns {

struct RecursiveSetup {
    RootHints hints;
    std::uint16_t upstream_port = kDnsPort;
    std::vector<std::string> forwarders;  // ADDR:PORT; non-empty: forwarding mode
    ResolverLimits limits;
    CacheLimits cache;
    UpstreamLimits upstream;
    bool serve_stale = true;
    bool prefetch = true;
};

// What every worker shares: cache, upstream RTTs, counters. Thread-safe.
class RecursiveResolver {
  public:
    explicit RecursiveResolver(RecursiveSetup setup);

    bool forwarding() const { return !forward_.forwarders.empty(); }
    std::unique_ptr<Lookup> lookup(const Question& question, TimePoint now, bool refresh = false);
    // The answer for the client once `lookup` is done, served stale if it failed.
    Message finish(const Lookup& lookup, const Question& question, TimePoint now);

    SharedCache& cache() { return cache_; }
    const RecursiveSetup& setup() const { return setup_; }

    struct Counters {
        std::atomic<std::uint64_t> queries{0};
        std::atomic<std::uint64_t> cache_answers{0};
        std::atomic<std::uint64_t> resolutions{0};
        std::atomic<std::uint64_t> upstream_queries{0};
        std::atomic<std::uint64_t> coalesced{0};
        std::atomic<std::uint64_t> refused{0};
        std::atomic<std::uint64_t> errors{0};  // FORMERR, NOTIMP, BADVERS answered
        std::atomic<std::uint64_t> servfail{0};
        std::atomic<std::uint64_t> stale_answers{0};
        std::atomic<std::uint64_t> prefetches{0};
        std::atomic<std::uint64_t> dropped{0};
    };
    Counters& counters() { return counters_; }

    // A command of the control socket: "stats", "dump", "flush NAME [--subtree]",
    // "flush-all". Returns the text to send back; errors start with "error:".
    std::string control(std::string_view command);

  private:
    RecursiveSetup setup_;
    SharedCache cache_;
    UpstreamTable upstream_;
    ResolverContext iterate_;
    ForwardContext forward_;
    Counters counters_;
};

struct RecursiveOptions {
    std::vector<HostPort> listen;
    AddressList allow = AddressList::loopback();
    std::size_t max_udp_size = 1232;
    std::chrono::milliseconds tcp_idle_timeout{10'000};
    std::size_t max_tcp_connections = 1'000;
    std::size_t max_resolutions_per_worker = 2'000;
};

BoundServer start_recursive_server(net::Runtime& runtime, const RecursiveOptions& options,
                                   std::shared_ptr<RecursiveResolver> resolver,
                                   trace::Tracer& tracer);

}  // namespace l7::dns
