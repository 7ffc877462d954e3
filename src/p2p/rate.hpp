#pragma once
// Transfer rates: a meter that says how fast bytes went by lately (the choker ranks peers by
// it), and token buckets that hold a transfer to a configured rate (an experiment gives each
// peer the course's upload capacity u_i and download capacity d_i). Time is always passed
// in; nothing here reads a clock.
//
// Per-peer and global limits compose in the driver: a transfer of n bytes takes n from the
// peer's bucket and from the global one (try_take_both), or waits for the later of the two.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "core/time.hpp"

namespace l7::p2p {

// Bytes per second over a sliding window (default 20 s, as mainline BitTorrent averages
// over). The window is kept as `slots` counters of window/slots each, so add() is O(1) and
// rate() is O(slots); the rate is accurate to one slot's width.
class RateMeter {
  public:
    explicit RateMeter(Duration window = std::chrono::seconds(20), std::size_t slots = 20);

    // Where measuring starts (a connection's start), so a young meter divides by its age, not
    // by the whole window. Without it the first add() starts it.
    void start(TimePoint now);
    void add(std::uint64_t bytes, TimePoint now);
    // Bytes/s over the window ending at `now` (0 before anything happened). Times before the
    // latest add() count as that time (a clock never runs backwards, a caller might).
    double rate(TimePoint now) const;
    std::uint64_t total() const { return total_; }

  private:
    std::int64_t slot_of(TimePoint t) const;
    Duration slot_width_;
    std::vector<std::uint64_t> counts_;  // ring: slot s is at s % size
    std::int64_t head_ = 0;              // the newest slot written
    std::optional<TimePoint> start_;
    std::uint64_t total_ = 0;
};

// A token bucket: tokens (bytes) accrue at `rate` bytes/s up to `burst`; a transfer of n
// bytes may go when n tokens are there. Rate 0 means unlimited. The bucket starts full.
// Integer arithmetic (bytes and billionths of a byte), so results are exact and repeatable.
class TokenBucket {
  public:
    // Above this the nanosecond arithmetic could overflow; larger rates and bursts are clamped
    // (8 GB/s is beyond what the lab's loopback links carry).
    static constexpr std::uint64_t kMaxRate = 8'000'000'000;

    // burst 0: one second's worth, and at least one 16 KiB block so a block can ever pass.
    explicit TokenBucket(std::uint64_t rate = 0, std::uint64_t burst = 0);

    std::uint64_t rate() const { return rate_; }
    std::uint64_t burst() const { return burst_; }
    bool unlimited() const { return rate_ == 0; }
    // Changes the rate from `now` on (tokens accrued so far are kept, up to the new burst).
    void set_rate(std::uint64_t rate, std::uint64_t burst, TimePoint now);

    // Whole tokens available at `now` (UINT64_MAX when unlimited).
    std::uint64_t available(TimePoint now) const;
    // Takes n tokens if they are all there; all or nothing.
    bool try_take(std::uint64_t n, TimePoint now);
    // How long until n tokens are there (0 if now); nullopt when n > burst, which never fits:
    // callers split transfers into pieces of at most burst().
    std::optional<Duration> time_until(std::uint64_t n, TimePoint now) const;

  private:
    struct Level {
        std::uint64_t tokens = 0;
        std::uint64_t nanos = 0;  // fraction of the next token, in 1e-9 tokens
    };
    Level level_at(TimePoint now) const;
    std::uint64_t rate_ = 0;
    std::uint64_t burst_ = 0;
    Level level_;
    std::optional<TimePoint> last_;  // when level_ was computed; unset: full
};

// Takes n from both buckets or from neither (a peer's and the global limit).
bool try_take_both(TokenBucket& a, TokenBucket& b, std::uint64_t n, TimePoint now);
// The later of the two waits; nullopt when either can never give n.
std::optional<Duration> time_until_both(const TokenBucket& a, const TokenBucket& b, std::uint64_t n,
                                        TimePoint now);

// "512 B/s", "12.3 kB/s", "1.2 MB/s" (decimal units), for traces and choke reasons.
std::string format_rate(double bytes_per_second);

}  // namespace l7::p2p
