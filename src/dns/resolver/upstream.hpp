#pragma once
// Choosing which authoritative server to ask, and how long to wait for it (issue 4 point 4).
//
// Each server address has a smoothed round-trip time, kept as TCP keeps its SRTT (RFC 6298:
// srtt += (rtt - srtt) / 8, rttvar alike) and the retransmission timeout derived from it
// (srtt + 4 * rttvar, clamped). A timeout doubles the server's timeout (exponential backoff)
// and marks it, so the next choice prefers another server. A server never heard from starts
// with a small random RTT, so every server of a zone gets tried now and then, the way BIND
// and Unbound explore.
//
// Sans-I/O: callers pass `now` and the random numbers. Thread-safe: the recursive service's
// workers share one table, so what one learns about a server the others use.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "core/time.hpp"

namespace l7::dns {

struct UpstreamLimits {
    std::chrono::milliseconds min_timeout{100};
    std::chrono::milliseconds max_timeout{3000};
    std::chrono::milliseconds initial_timeout{400};
    // How long a server's record is kept without news (then it is unknown again).
    std::chrono::seconds forget_after{900};
    // Servers come from referrals, that is from the network: the table is bounded.
    std::size_t max_servers = 50'000;
};

class UpstreamTable {
  public:
    explicit UpstreamTable(UpstreamLimits limits = {}) : limits_(limits) {}

    // The best of `servers` (ADDR:PORT texts) to ask now: lowest expected RTT, with backed-off
    // servers last. `random` in [0, 1) breaks ties among unknown servers.
    std::size_t choose(std::span<const std::string> servers, TimePoint now, double random) const;

    // How long to wait for `server` before trying another.
    std::chrono::milliseconds timeout(const std::string& server, TimePoint now) const;

    void record_reply(const std::string& server, std::chrono::microseconds rtt, TimePoint now);
    void record_timeout(const std::string& server, TimePoint now);

    struct Stats {
        bool known = false;
        std::chrono::microseconds srtt{0};
        std::chrono::microseconds rttvar{0};
        std::chrono::milliseconds timeout{0};
        std::uint32_t timeouts_in_a_row = 0;
    };
    Stats stats(const std::string& server, TimePoint now) const;

  private:
    struct Entry {
        std::chrono::microseconds srtt{0};
        std::chrono::microseconds rttvar{0};
        std::chrono::milliseconds backoff{0};  // the doubled timeout after failures, 0 if none
        std::uint32_t timeouts_in_a_row = 0;
        TimePoint last_news;
    };
    const Entry* find(const std::string& server, TimePoint now) const;
    std::chrono::milliseconds clamp(std::chrono::microseconds t) const;
    std::chrono::milliseconds timeout_locked(const std::string& server, TimePoint now) const;
    Entry& entry_for(const std::string& server, TimePoint now, bool& fresh);

    UpstreamLimits limits_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> servers_;
};

}  // namespace l7::dns
