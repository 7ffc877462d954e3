// The shared transmit queue on a fake clock: t0 is an arbitrary instant, times are offsets.

#include "link/wire.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace l7::link {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1000s;

TEST(Wire, UnlimitedRateSendsAtOnceAndQueuesNothing) {
    Wire w({.rate_bps = 0, .queue_bytes = 10});
    EXPECT_EQ(w.transmit(t0, 1'000'000), t0);
    EXPECT_EQ(w.queued(t0), 0u);
    EXPECT_EQ(w.room(t0, 1460), 1460u);
    EXPECT_FALSE(w.next_departure().has_value());
}

TEST(Wire, ChunksQueueBehindEarlierOnes) {
    // 1 Mbit/s: 1250 bytes take 10 ms.
    Wire w({.rate_bps = 1'000'000, .queue_bytes = 1 << 20});
    EXPECT_EQ(w.transmit(t0, 1250), t0 + 10ms);
    EXPECT_EQ(w.transmit(t0, 1250), t0 + 20ms);
    EXPECT_EQ(w.transmit(t0 + 5ms, 1250), t0 + 30ms);
    EXPECT_EQ(w.queued(t0 + 5ms), 3750u);
    EXPECT_EQ(w.queued(t0 + 10ms), 2500u);  // the first has left
    EXPECT_EQ(w.next_departure(), t0 + 20ms);
    EXPECT_EQ(w.queued(t0 + 30ms), 0u);
    // Idle again: the next chunk starts when it is offered, not when the wire last freed.
    EXPECT_EQ(w.transmit(t0 + 100ms, 1250), t0 + 110ms);
    EXPECT_EQ(w.counters().queue_high_water, 3750u);
}

TEST(Wire, RemaindersCarrySoLongTransfersAreExact) {
    // 1500 bytes at 1.54 Mbit/s take 7792207.79... ns; a thousand back to back take
    // 1500 * 8 * 1000 / 1.54e6 s = 7.792207792 s, not 1000 rounding errors less.
    Wire w({.rate_bps = 1'540'000, .queue_bytes = 1 << 30});
    TimePoint last{};
    for (int i = 0; i < 1000; ++i) {
        last = w.transmit(t0, 1500);
    }
    EXPECT_EQ(last - t0, 7'792'207'792ns);
}

TEST(Wire, DropTailForDatagrams) {
    Wire w({.rate_bps = 1'000'000, .queue_bytes = 3000});
    EXPECT_TRUE(w.transmit_if_fits(t0, 1250).has_value());
    EXPECT_TRUE(w.transmit_if_fits(t0, 1250).has_value());
    EXPECT_FALSE(w.transmit_if_fits(t0, 1250).has_value());  // 3750 > 3000
    EXPECT_TRUE(w.transmit_if_fits(t0, 500).has_value());    // exactly 3000
    EXPECT_FALSE(w.transmit_if_fits(t0, 1).has_value());
    // Once the first has left there is room again.
    EXPECT_TRUE(w.transmit_if_fits(t0 + 10ms, 1250).has_value());
}

TEST(Wire, EmptyQueueTakesOneOversizedDatagram) {
    Wire w({.rate_bps = 1'000'000, .queue_bytes = 100});
    EXPECT_TRUE(w.transmit_if_fits(t0, 65000).has_value());
    EXPECT_FALSE(w.transmit_if_fits(t0, 1).has_value());
}

TEST(Wire, RoomForStreams) {
    Wire w({.rate_bps = 1'000'000, .queue_bytes = 5000});
    EXPECT_EQ(w.room(t0, 1460), 5000u);
    w.transmit(t0, 1250);
    EXPECT_EQ(w.room(t0, 1460), 3750u);
    w.transmit(t0, 3750);
    EXPECT_EQ(w.room(t0, 1460), 0u);
    EXPECT_EQ(w.next_departure(), t0 + 10ms);
    EXPECT_EQ(w.room(t0 + 10ms, 1460), 1250u);
    // A bound smaller than a segment still lets one segment through an empty queue.
    Wire tiny({.rate_bps = 1'000'000, .queue_bytes = 10});
    EXPECT_EQ(tiny.room(t0, 1460), 1460u);
}

TEST(Wire, NeverGoesBackInTime) {
    Wire w({.rate_bps = 1'000'000, .queue_bytes = 1 << 20});
    EXPECT_EQ(w.transmit(t0 + 50ms, 1250), t0 + 60ms);
    // A thread that read the clock earlier but arrives later is treated as "now".
    EXPECT_EQ(w.transmit(t0 + 40ms, 1250), t0 + 70ms);
    EXPECT_EQ(w.queued(t0), 2500u);
}

}  // namespace
}  // namespace l7::link
