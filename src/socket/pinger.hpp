#pragma once
// The course's UDP pinger: send numbered probes to an echo server, one per interval, and
// report each round-trip time or loss, then statistics in the form ping(8) prints.
//
// Theory of operation. Probe k (1-based) is due at start + (k-1) * interval. A probe is
// outstanding from the moment it is sent until its reply arrives or its timeout passes. The
// pinger is done when every probe has been sent and none is outstanding. Replies are matched
// by sequence number only (not trusted for timing: the RTT is measured from our own send
// time), so a reply can be late (after its timeout), a duplicate, or not a probe at all; each
// is reported, none is counted as received.
//
// Wire format of a probe (text, so it survives the uppercase server):
//   PING <seq> <send time, ms since the first probe, 3 decimals>[ padding]
//
// Datagram shape: poll_transmit / handle_datagram / poll_timeout / handle_timeout /
// poll_event. No sockets, no clock.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/time.hpp"
#include "core/trace/recorder.hpp"

namespace l7::socket {

struct PingOptions {
    std::uint32_t count = 4;  // 0: until stop() is called
    std::chrono::nanoseconds interval = std::chrono::seconds(1);
    std::chrono::nanoseconds timeout = std::chrono::seconds(1);
    std::size_t size = 0;  // pad probes to at least this many bytes
};

namespace ping_event {
struct Reply {
    std::uint32_t seq;
    std::chrono::nanoseconds rtt;
    std::size_t bytes;
};
struct Timeout {
    std::uint32_t seq;
};
struct Late {  // reply after its probe timed out
    std::uint32_t seq;
    std::chrono::nanoseconds rtt;
};
struct Duplicate {
    std::uint32_t seq;
};
struct Unrecognised {  // a datagram that is not a reply to any probe we sent
    std::size_t bytes;
};
}  // namespace ping_event

using PingEvent = std::variant<ping_event::Reply, ping_event::Timeout, ping_event::Late,
                               ping_event::Duplicate, ping_event::Unrecognised>;

struct PingStatistics {
    std::uint32_t transmitted = 0;
    std::uint32_t received = 0;
    std::uint32_t duplicates = 0;
    std::chrono::nanoseconds min{0}, max{0}, sum{0};
    double sum_squares_ms = 0;  // for mdev

    double loss_percent() const;
    std::chrono::nanoseconds avg() const;
    // Standard deviation of the RTTs, as ping(8) computes mdev.
    std::chrono::nanoseconds mdev() const;
};

class Pinger {
  public:
    Pinger(PingOptions options, TimePoint start);

    // The next probe when it is due, or nothing.
    std::optional<std::string> poll_transmit(TimePoint now);
    void handle_datagram(TimePoint now, std::string_view datagram);
    // When to call handle_timeout/poll_transmit next; nothing once done.
    std::optional<TimePoint> poll_timeout() const;
    void handle_timeout(TimePoint now);
    std::optional<PingEvent> poll_event();

    // No more probes; outstanding ones still wait for their replies or timeouts.
    void stop() { stopped_ = true; }
    bool done() const;
    const PingStatistics& statistics() const { return stats_; }
    trace::Recorder& trace() { return trace_; }

  private:
    bool more_to_send() const;
    TimePoint due(std::uint32_t seq) const;

    PingOptions options_;
    TimePoint start_;
    std::uint32_t next_seq_ = 1;
    std::map<std::uint32_t, TimePoint> outstanding_;  // seq -> send time
    std::map<std::uint32_t, TimePoint> expired_;      // timed out, for Late replies
    std::map<std::uint32_t, bool> answered_;          // for duplicates
    std::deque<PingEvent> events_;
    PingStatistics stats_;
    bool stopped_ = false;
    trace::Recorder trace_;
};

// Parses "PING <seq> ..." (any letter case); nothing if the datagram is not a probe.
std::optional<std::uint32_t> parse_probe_seq(std::string_view datagram);

}  // namespace l7::socket
