#pragma once
// One direction of the emulated link's bottleneck: a transmit queue that sends chunks one
// after another at `rate`, first in, first out, like a router's output port. Every flow in
// that direction (each TCP connection, each UDP client) shares the Wire, so ten parallel
// connections share 1.54 Mbit/s as they would on a real access link, instead of getting ten
// times the bandwidth.
//
// Theory of operation. The wire is busy until busy_until_. A chunk of N bytes offered at
// `now` starts at max(now, busy_until_) and has left the wire N*8/rate later; that moment is
// known at once, so nothing has to be simulated step by step. The queue holds the chunks whose
// transmission has not finished yet (the one on the wire counts too); its size in bytes is
// what the bound limits and what the high-water mark records. Sub-nanosecond remainders are
// carried from one chunk to the next while the wire stays busy, so a long transfer takes
// exactly bytes*8/rate, not one rounding error per chunk more or less.
//
// Rate 0 means unlimited: chunks leave at once and nothing queues.
//
// Thread-safe: flows on different worker threads may share a Wire. Callers' `now` values
// may arrive slightly out of order between threads; the wire never goes back in time.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "core/time.hpp"
#include "link/counters.hpp"

namespace l7::link {

struct WireParams {
    std::uint64_t rate_bps = 0;           // 0: unlimited; else in [min_rate_bps, max_rate_bps]
    std::size_t queue_bytes = 64 * 1024;  // bound on the bytes waiting for transmission
};

class Wire {
  public:
    explicit Wire(WireParams params) : params_(params) {}
    Wire(const Wire&) = delete;
    Wire& operator=(const Wire&) = delete;

    const WireParams& params() const { return params_; }

    // Bytes whose transmission has not finished at `now`.
    std::size_t queued(TimePoint now);

    // How many bytes a stream may offer now without the queue passing its bound; 0 means
    // stop reading. An empty queue takes at least `min_when_empty` (one segment), so even a
    // queue bound smaller than a segment lets the stream move.
    std::size_t room(TimePoint now, std::size_t min_when_empty);

    // Queues `bytes` (< 4 GiB) behind everything already queued; returns when its last bit
    // has left the wire. Does not check the bound: a stream checks room() first.
    TimePoint transmit(TimePoint now, std::size_t bytes);

    // Drop-tail for datagrams: transmit() if `bytes` fit in the queue, else nothing. An empty
    // queue takes any one datagram, so a link with a small queue still passes a 64 KiB
    // datagram when idle.
    std::optional<TimePoint> transmit_if_fits(TimePoint now, std::size_t bytes);

    // When the queue next shrinks (the head chunk has left); nothing while it is empty.
    std::optional<TimePoint> next_departure();

    // Counters of this direction. LinkModel adds to them through these calls.
    void count_offered(std::size_t bytes, std::size_t packets);
    void count_delivered(std::size_t bytes);
    void count_lost();
    void count_dropped();
    LinkCounters counters();

  private:
    TimePoint transmit_locked(std::size_t bytes);
    // Forgets the chunks that have left by `now`. Caller holds mutex_.
    void advance(TimePoint now);

    const WireParams params_;
    std::mutex mutex_;
    TimePoint latest_{};       // the latest `now` seen: the wire's clock never goes back
    TimePoint busy_until_{};   // when the last queued chunk has left
    std::uint64_t carry_ = 0;  // bits*1e9 % rate left over from the previous chunk
    std::deque<std::pair<TimePoint, std::size_t>> queue_;  // (departure, bytes), in order
    std::size_t queued_ = 0;                               // sum of the bytes in queue_
    LinkCounters counters_;
};

}  // namespace l7::link
