// The flow model on a fake clock: `now` is passed in and random numbers are scripted, so every
// expected time is exact.

#include "link/link_model.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace l7::link {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1000s;
constexpr Draws no_jitter{.loss = 0.99, .jitter = 0.5};

std::shared_ptr<Wire> wire(std::uint64_t rate_bps, std::size_t queue = 1 << 20) {
    return std::make_shared<Wire>(WireParams{.rate_bps = rate_bps, .queue_bytes = queue});
}

// Everything due by `now`, in delivery order.
std::vector<Chunk> deliver_all(LinkModel& m, TimePoint now) {
    std::vector<Chunk> out;
    while (auto c = m.poll_deliver(now)) {
        out.push_back(std::move(*c));
    }
    return out;
}

struct TimingCase {
    const char* name;
    std::uint64_t rate_bps;
    Duration delay;
    std::vector<std::size_t> sizes;  // datagrams pushed at t0, in order
    std::vector<Duration> due;       // when each arrives, after t0
};

TEST(LinkModel, SerializationQueueingAndDelay) {
    const TimingCase cases[] = {
        {"delay only", 0, 100ms, {1500, 1500}, {100ms, 100ms}},
        {"nothing at all", 0, 0ms, {10}, {0ms}},
        // The course's numbers: 1500 bytes at 1.54 Mbit/s are 7.79 ms on the wire.
        {"one packet at 1.54mbit", 1'540'000, 0ms, {1500}, {7'792'207ns}},
        {"plus 100 ms", 1'540'000, 100ms, {1500}, {107'792'207ns}},
        {"queued behind earlier ones", 1'000'000, 20ms, {1250, 1250, 125}, {30ms, 40ms, 41ms}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        LinkModel m(Mode::datagram, {.delay = c.delay}, wire(c.rate_bps));
        for (std::size_t i = 0; i < c.sizes.size(); ++i) {
            const auto r = m.push(t0, std::string(c.sizes[i], 'x'), no_jitter);
            ASSERT_EQ(r.verdict, Verdict::accepted);
            EXPECT_EQ(r.due, t0 + c.due[i]) << "datagram " << i;
        }
        for (std::size_t i = 0; i < c.sizes.size(); ++i) {
            const TimePoint due = t0 + c.due[i];
            EXPECT_EQ(m.next_deadline(), due);
            if (due > t0) {
                EXPECT_FALSE(m.poll_deliver(due - 1ns).has_value()) << "early: " << i;
            }
            const auto got = m.poll_deliver(due);
            ASSERT_TRUE(got.has_value()) << i;
            EXPECT_EQ(got->bytes.size(), c.sizes[i]);
        }
        EXPECT_TRUE(m.empty());
        EXPECT_FALSE(m.next_deadline().has_value());
    }
}

TEST(LinkModel, JitterStaysWithinBounds) {
    // delay 100 ms +- 10 ms: the draw maps [0, 1) onto [-10 ms, +10 ms).
    const struct {
        double draw;
        Duration due;
    } cases[] = {
        {0.0, 90ms},  {0.25, 95ms}, {0.5, 100ms}, {0.75, 105ms}, {0.999999, 109'999'980ns},
        {-3.0, 90ms},  // out-of-range draws are clamped, not trusted
        {7.0, 110ms},
    };
    for (const auto& c : cases) {
        LinkModel m(Mode::datagram, {.delay = 100ms, .jitter = 10ms}, wire(0));
        const auto r = m.push(t0, "x", {.loss = 0.99, .jitter = c.draw});
        EXPECT_EQ(r.due, t0 + c.due) << c.draw;
    }
}

TEST(LinkModel, JitterNeverMakesTheDelayNegative) {
    LinkModel m(Mode::datagram, {.delay = 5ms, .jitter = 20ms}, wire(0));
    EXPECT_EQ(m.push(t0, "x", {.loss = 0.99, .jitter = 0.0}).due, t0);
}

TEST(LinkModel, JitterReordersDatagrams) {
    LinkModel m(Mode::datagram, {.delay = 100ms, .jitter = 50ms}, wire(0));
    m.push(t0, "first", {.loss = 0.99, .jitter = 1.0});         // 150 ms
    m.push(t0 + 1ms, "second", {.loss = 0.99, .jitter = 0.0});  // 51 ms
    const auto got = deliver_all(m, t0 + 1s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].bytes, "second");
    EXPECT_EQ(got[1].bytes, "first");
}

TEST(LinkModel, JitterNeverReordersAStream) {
    LinkModel m(Mode::stream, {.delay = 100ms, .jitter = 50ms}, wire(0));
    const double draws[] = {1.0, 0.0, 0.9, 0.1, 0.5, 0.0, 1.0, 0.3};
    TimePoint last_due{};
    std::string sent;
    for (int i = 0; i < 8; ++i) {
        const std::string piece = "piece " + std::to_string(i) + ";";
        sent += piece;
        const auto r =
            m.push(t0 + std::chrono::milliseconds(i), piece, {.loss = 0.0, .jitter = draws[i]});
        ASSERT_EQ(r.verdict, Verdict::accepted);
        EXPECT_GE(r.due, last_due) << i;
        // Never earlier than its own delay - jitter.
        EXPECT_GE(r.due, t0 + std::chrono::milliseconds(i) + 50ms) << i;
        last_due = r.due;
    }
    std::string received;
    for (auto& c : deliver_all(m, t0 + 1s)) {
        received += c.bytes;
    }
    EXPECT_EQ(received, sent);
}

TEST(LinkModel, LossFollowsTheScriptedRandomNumbers) {
    LinkModel m(Mode::datagram, {.loss = 0.3}, wire(0));
    const double draws[] = {0.0, 0.29, 0.3, 0.5, 0.1, 0.99, 0.2999};
    const Verdict expected[] = {Verdict::lost,     Verdict::lost, Verdict::accepted,
                                Verdict::accepted, Verdict::lost, Verdict::accepted,
                                Verdict::lost};
    for (int i = 0; i < 7; ++i) {
        EXPECT_EQ(m.push(t0, "d" + std::to_string(i), {.loss = draws[i], .jitter = 0.5}).verdict,
                  expected[i])
            << i;
    }
    const auto got = deliver_all(m, t0);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].bytes, "d2");
    EXPECT_EQ(got[1].bytes, "d3");
    EXPECT_EQ(got[2].bytes, "d5");
    const auto c = m.wire().counters();
    EXPECT_EQ(c.packets_in, 7u);
    EXPECT_EQ(c.lost, 4u);
    EXPECT_EQ(c.packets_out, 3u);
    EXPECT_EQ(c.bytes_out, 6u);
}

TEST(LinkModel, FullLossDeliversNothingAndNoLossDeliversAll) {
    LinkModel all_lost(Mode::datagram, {.loss = 1.0}, wire(0));
    LinkModel none_lost(Mode::datagram, {.loss = 0.0}, wire(0));
    for (double u : {0.0, 0.5, 0.999999}) {
        EXPECT_EQ(all_lost.push(t0, "x", {.loss = u, .jitter = 0.5}).verdict, Verdict::lost);
        EXPECT_EQ(none_lost.push(t0, "x", {.loss = u, .jitter = 0.5}).verdict, Verdict::accepted);
    }
    EXPECT_TRUE(deliver_all(all_lost, t0 + 1s).empty());
    EXPECT_EQ(deliver_all(none_lost, t0 + 1s).size(), 3u);
}

TEST(LinkModel, StreamIgnoresLoss) {
    LinkModel m(Mode::stream, {.loss = 1.0}, wire(0));
    EXPECT_EQ(m.push(t0, "reliable", {.loss = 0.0, .jitter = 0.5}).verdict, Verdict::accepted);
    const auto got = deliver_all(m, t0);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].bytes, "reliable");
}

TEST(LinkModel, DatagramsDropTailWhenTheQueueIsFull) {
    // 1 Mbit/s, queue of 3000 bytes: two 1250-byte datagrams fit, the third does not.
    LinkModel m(Mode::datagram, {}, wire(1'000'000, 3000));
    EXPECT_EQ(m.push(t0, std::string(1250, 'a'), no_jitter).verdict, Verdict::accepted);
    EXPECT_EQ(m.push(t0, std::string(1250, 'b'), no_jitter).verdict, Verdict::accepted);
    EXPECT_EQ(m.push(t0, std::string(1250, 'c'), no_jitter).verdict, Verdict::dropped);
    // 10 ms later the first has left the queue: room for one more.
    EXPECT_EQ(m.push(t0 + 10ms, std::string(1250, 'd'), no_jitter).verdict, Verdict::accepted);
    const auto c = m.wire().counters();
    EXPECT_EQ(c.dropped, 1u);
    EXPECT_EQ(c.queue_high_water, 2500u);
    const auto got = deliver_all(m, t0 + 1s);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[2].bytes[0], 'd');
}

TEST(LinkModel, DatagramsDroppedBeyondTheFlowsMemoryBound) {
    // An unlimited wire never queues, but a long delay holds bytes: the flow bound drops.
    LinkModel m(Mode::datagram, {.delay = 1s, .max_held_bytes = 2000, .max_chunks = 3}, wire(0));
    EXPECT_EQ(m.push(t0, std::string(1500, 'a'), no_jitter).verdict, Verdict::accepted);
    EXPECT_EQ(m.push(t0, std::string(1000, 'b'), no_jitter).verdict, Verdict::dropped);
    EXPECT_EQ(m.push(t0, std::string(100, 'c'), no_jitter).verdict, Verdict::accepted);
    EXPECT_EQ(m.push(t0, std::string(100, 'd'), no_jitter).verdict, Verdict::accepted);
    EXPECT_EQ(m.push(t0, "", no_jitter).verdict, Verdict::dropped);  // max_chunks
    EXPECT_EQ(m.held_bytes(), 1700u);
}

TEST(LinkModel, StreamBackPressureInsteadOfDrops) {
    // 1 Mbit/s, queue 5000 bytes, segments of 1250 bytes (10 ms each on the wire).
    LinkModel m(Mode::stream, {.delay = 50ms, .segment_bytes = 1250}, wire(1'000'000, 5000));
    EXPECT_EQ(m.room(t0), 5000u);
    const auto r = m.push(t0, std::string(5000, 's'), no_jitter);
    EXPECT_EQ(r.verdict, Verdict::accepted);
    EXPECT_EQ(r.due, t0 + 40ms + 50ms);  // four segments, then the delay
    EXPECT_EQ(m.room(t0), 0u);           // full: stop reading
    EXPECT_EQ(m.next_room_check(), t0 + 10ms);
    EXPECT_EQ(m.room(t0 + 10ms), 1250u);  // one segment has left the wire
    EXPECT_EQ(m.wire().counters().packets_in, 4u);
    EXPECT_EQ(m.wire().counters().dropped, 0u);
    // Segments arrive one by one as they cross the wire.
    const auto first = deliver_all(m, t0 + 60ms);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].bytes.size(), 1250u);
    EXPECT_EQ(deliver_all(m, t0 + 90ms).size(), 3u);
}

TEST(LinkModel, StreamMemoryBoundStopsReadingUntilDelivery) {
    // Unlimited rate, long delay: the flow bound, not the queue, applies the back-pressure.
    LinkModel m(Mode::stream, {.delay = 100ms, .max_held_bytes = 4096}, wire(0));
    EXPECT_EQ(m.room(t0), 4096u);
    m.push(t0, std::string(4096, 'x'), no_jitter);
    EXPECT_EQ(m.room(t0), 0u);
    EXPECT_FALSE(m.next_room_check().has_value());  // only a delivery makes room
    EXPECT_EQ(m.next_deadline(), t0 + 100ms);
    ASSERT_TRUE(m.poll_deliver(t0 + 100ms).has_value());
    EXPECT_EQ(m.room(t0 + 100ms), 4096u);
}

TEST(LinkModel, FinArrivesAfterEveryByte) {
    LinkModel m(Mode::stream, {.delay = 10ms, .jitter = 5ms, .segment_bytes = 1250},
                wire(1'000'000));
    m.push(t0, std::string(2500, 'x'), {.loss = 0.0, .jitter = 1.0});  // 20 ms + 15 ms
    const TimePoint fin_due = m.push_fin(t0, 0.0);                     // would be 5 ms on its own
    EXPECT_EQ(fin_due, t0 + 35ms);
    EXPECT_TRUE(m.fin_pushed());
    EXPECT_EQ(m.room(t0 + 1s), 0u);  // nothing more may be read
    const auto got = deliver_all(m, t0 + 35ms);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_FALSE(got[0].fin);
    EXPECT_FALSE(got[1].fin);
    EXPECT_TRUE(got[2].fin);
    EXPECT_TRUE(got[2].bytes.empty());
    EXPECT_EQ(m.wire().counters().packets_out, 2u);  // the FIN is not a data packet
}

TEST(LinkModel, UnlimitedStreamKeepsReadsWhole) {
    LinkModel m(Mode::stream, {}, wire(0));
    m.push(t0, std::string(100'000, 'x'), no_jitter);
    const auto got = deliver_all(m, t0);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].bytes.size(), 100'000u);
}

TEST(LinkModel, FlowsShareTheWire) {
    // Two connections on one 1 Mbit/s link: the second's segment waits for the first's.
    auto shared = wire(1'000'000);
    LinkModel a(Mode::stream, {.delay = 5ms, .segment_bytes = 1250}, shared);
    LinkModel b(Mode::stream, {.delay = 5ms, .segment_bytes = 1250}, shared);
    EXPECT_EQ(a.push(t0, std::string(1250, 'a'), no_jitter).due, t0 + 15ms);
    EXPECT_EQ(b.push(t0, std::string(1250, 'b'), no_jitter).due, t0 + 25ms);
    const auto c = shared->counters();
    EXPECT_EQ(c.bytes_in, 2500u);
    EXPECT_EQ(c.queue_high_water, 2500u);
}

TEST(LinkModel, EmptyPushesChangeNothing) {
    LinkModel s(Mode::stream, {.delay = 10ms}, wire(1'000'000));
    EXPECT_EQ(s.push(t0, "", no_jitter).verdict, Verdict::accepted);
    EXPECT_TRUE(s.empty());
    // An empty datagram is still a datagram (UDP allows it) and is delivered.
    LinkModel d(Mode::datagram, {.delay = 10ms}, wire(1'000'000));
    EXPECT_EQ(d.push(t0, "", no_jitter).due, t0 + 10ms);
    const auto got = deliver_all(d, t0 + 10ms);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].bytes.empty());
}

}  // namespace
}  // namespace l7::link
