#pragma once
// One flow's path across the emulated link, in one direction: what `l7 link` does to the
// bytes of one TCP connection or one UDP client between reading them on one side and writing
// them on the other. Sans-I/O: the caller passes `now` and the random numbers, and asks when
// to come back.
//
// Theory of operation. A chunk pushed at `now` first goes through the direction's Wire (the
// shared transmit queue: it leaves the wire at `sent`, behind every earlier chunk of every
// flow, after bytes*8/rate on the wire), then propagates for `delay` plus a jitter drawn
// uniformly from [-jitter, +jitter) (the total never below 0). It is due at the far end at
//
//     due = sent + max(0, delay + jitter_offset)
//
// and poll_deliver(now) hands it over once now >= due, earliest first.
//
// Two modes:
//   datagram  UDP. Each push is one datagram. It is lost with probability `loss` (before the
//             queue, as netem does), dropped when the queue is full (drop-tail) or the flow
//             holds too much, and otherwise delivered whole. Jitter may reorder datagrams, as
//             on a real network.
//   stream    TCP. A push appends bytes to a reliable byte stream. Nothing is ever lost,
//             dropped or reordered: TCP would retransmit and reorder-buffer, and the receiving
//             application sees only an in-order stream, so the model emulates the effect of
//             delay, jitter and rate but NOT of loss (a loss's real effect, a retransmission
//             timeout and a smaller congestion window, belongs to the endpoints' TCP; `loss`
//             is ignored in this mode). A chunk is never due before the one pushed before it.
//             On a rate-limited wire the stream is cut into segments of `segment_bytes`, so a
//             large read is spread over the wire as TCP segments would be. Instead of dropping,
//             the model applies back-pressure: room(now) says how much the caller may read
//             from the source now, and 0 means stop reading until next_room_check(). The
//             end of the stream (the sender's FIN) is pushed with push_fin and delivered,
//             after every byte, as a Chunk with fin set.
//
// Memory is bounded per flow: max_held_bytes and max_chunks cover everything the flow has
// pushed and not yet delivered (queued or propagating), and the Wire bounds its queue.
//
// Not thread-safe (one flow belongs to one driver coroutine); the Wire it shares is.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.hpp"
#include "core/time.hpp"
#include "link/wire.hpp"

namespace l7::link {

enum class Mode { datagram, stream };

struct FlowParams {
    Duration delay{0};   // one-way propagation delay
    Duration jitter{0};  // each chunk's delay varies uniformly within +-jitter
    double loss = 0;     // datagram mode: probability in [0, 1] that a datagram is lost
    std::size_t segment_bytes = 1460;      // stream mode, rate-limited wire: TCP's MSS
    std::size_t max_held_bytes = 4 << 20;  // pushed and not yet delivered
    std::size_t max_chunks = 16 * 1024;    // the same, counted in chunks
};

// The random numbers one push needs, each uniform in [0, 1). The model never draws its own.
struct Draws {
    double loss;    // lost when loss < FlowParams::loss (datagram mode only)
    double jitter;  // 0.5 means no jitter offset; 0 and 1 are the extremes
};

enum class Verdict {
    accepted,  // queued; due at PushResult::due
    lost,      // datagram lost by the loss probability
    dropped,   // datagram dropped: the queue (or the flow's memory bound) was full
};

struct PushResult {
    Verdict verdict;
    TimePoint due{};  // accepted: when the (last) chunk arrives at the far end
};

struct Chunk {
    std::string bytes;
    bool fin = false;  // stream mode: the end of the stream; bytes is empty
};

class LinkModel {
  public:
    LinkModel(Mode mode, FlowParams params, std::shared_ptr<Wire> wire);

    // Offers one datagram, or appends to the stream. `bytes` is copied.
    // Stream mode: always accepted (push at most room(now) bytes to keep the bounds: the
    // model trusts the caller to stop reading); pushing after push_fin is a caller bug
    // (asserted; returns dropped in release builds).
    PushResult push(TimePoint now, std::string_view bytes, Draws draws);

    // Stream mode: the sender has finished (its FIN). Due after every byte pushed before it.
    // Returns when it arrives. Pushing a second FIN is a caller bug (asserted; ignored).
    TimePoint push_fin(TimePoint now, double jitter_draw);

    // Stream mode: how many bytes the next push may carry; 0 means stop reading from the
    // source (back-pressure) and check again at next_room_check() or after a delivery.
    std::size_t room(TimePoint now);

    // When room() may have grown without a delivery: the wire's next departure. Nothing if
    // only a delivery (see next_deadline) can make room.
    std::optional<TimePoint> next_room_check() const;

    // The earliest chunk due by `now`, removed from the model; nothing if none is due yet.
    std::optional<Chunk> poll_deliver(TimePoint now);

    // When the next chunk is due; nothing while the model holds none.
    std::optional<TimePoint> next_deadline() const;

    bool empty() const { return pending_.empty(); }
    std::size_t held_bytes() const { return held_bytes_; }
    bool fin_pushed() const { return fin_pushed_; }
    Mode mode() const { return mode_; }
    const FlowParams& params() const { return params_; }
    Wire& wire() { return *wire_; }

  private:
    struct Pending {
        TimePoint due;
        std::uint64_t seq;  // push order: breaks ties, so equal due times keep their order
        std::string bytes;
        bool fin;
    };
    Duration propagation(double jitter_draw) const;
    TimePoint enqueue(TimePoint sent, Duration propagation, std::string bytes, bool fin);
    PushResult push_datagram(TimePoint now, std::string_view bytes, Draws draws);
    PushResult push_stream(TimePoint now, std::string_view bytes, Draws draws);

    Mode mode_;
    FlowParams params_;
    std::shared_ptr<Wire> wire_;
    std::vector<Pending> pending_;  // a min-heap on (due, seq)
    std::uint64_t next_seq_ = 0;
    std::size_t held_bytes_ = 0;
    TimePoint last_due_{};  // stream mode: no chunk is due before this
    bool fin_pushed_ = false;
};

}  // namespace l7::link
