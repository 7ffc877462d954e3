#include "socket/pinger.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace l7::socket {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{};

PingOptions options(std::uint32_t count, std::chrono::nanoseconds interval,
                    std::chrono::nanoseconds timeout, std::size_t size = 0) {
    PingOptions o;
    o.count = count;
    o.interval = interval;
    o.timeout = timeout;
    o.size = size;
    return o;
}

// Events as text, so expectations read like the pinger's report.
std::string describe(const PingEvent& e) {
    return std::visit(
        [](const auto& ev) -> std::string {
            using T = std::decay_t<decltype(ev)>;
            if constexpr (std::is_same_v<T, ping_event::Reply>) {
                return "reply " + std::to_string(ev.seq) +
                       " rtt=" + std::to_string(ev.rtt.count()) +
                       "ns bytes=" + std::to_string(ev.bytes);
            } else if constexpr (std::is_same_v<T, ping_event::Timeout>) {
                return "timeout " + std::to_string(ev.seq);
            } else if constexpr (std::is_same_v<T, ping_event::Late>) {
                return "late " + std::to_string(ev.seq) + " rtt=" + std::to_string(ev.rtt.count()) +
                       "ns";
            } else if constexpr (std::is_same_v<T, ping_event::Duplicate>) {
                return "duplicate " + std::to_string(ev.seq);
            } else {
                return "unrecognised bytes=" + std::to_string(ev.bytes);
            }
        },
        e);
}

std::vector<std::string> events(Pinger& p) {
    std::vector<std::string> out;
    while (auto e = p.poll_event()) {
        out.push_back(describe(*e));
    }
    return out;
}

std::string ns(std::chrono::nanoseconds d) {
    return std::to_string(d.count()) + "ns";
}

TEST(Pinger, ProbesAreDueAtTheInterval) {
    Pinger p(options(3, 1s, 500ms), t0);
    EXPECT_EQ(p.poll_transmit(t0), "PING 1 0.000");
    EXPECT_EQ(p.poll_transmit(t0), std::nullopt);
    EXPECT_EQ(p.poll_transmit(t0 + 999ms), std::nullopt);
    EXPECT_EQ(p.poll_transmit(t0 + 1s), "PING 2 1000.000");
    EXPECT_EQ(p.poll_transmit(t0 + 1s), std::nullopt);
    // The stamp is the real send time, in ms since the start, with three decimals.
    EXPECT_EQ(p.poll_transmit(t0 + 2s + 1234567ns), "PING 3 2001.235");
    // Count reached: no more probes, ever.
    EXPECT_EQ(p.poll_transmit(t0 + 3s), std::nullopt);
    EXPECT_EQ(p.poll_transmit(t0 + 100s), std::nullopt);
    EXPECT_EQ(p.statistics().transmitted, 3u);
}

TEST(Pinger, ProbesAreNotSentEarly) {
    const TimePoint start = t0 + 5s;
    Pinger p(options(2, 1s, 500ms), start);
    EXPECT_EQ(p.poll_transmit(start - 1ns), std::nullopt);
    EXPECT_EQ(p.poll_transmit(start), "PING 1 0.000");
    EXPECT_EQ(p.poll_transmit(start + 1s - 1ns), std::nullopt);
    EXPECT_EQ(p.poll_transmit(start + 1s), "PING 2 1000.000");
}

TEST(Pinger, ALateDriverCatchesUpOnDueProbes) {
    Pinger p(options(3, 1s, 10s), t0);
    EXPECT_EQ(p.poll_transmit(t0 + 1500ms), "PING 1 1500.000");
    EXPECT_EQ(p.poll_transmit(t0 + 1500ms), "PING 2 1500.000");
    EXPECT_EQ(p.poll_transmit(t0 + 1500ms), std::nullopt);  // probe 3 is due at 2s
}

TEST(Pinger, SizePadsProbes) {
    auto first_probe = [](std::size_t size) {
        Pinger p(options(1, 1s, 1s, size), t0);
        return p.poll_transmit(t0).value_or("<none>");
    };
    EXPECT_EQ(first_probe(0), "PING 1 0.000");
    EXPECT_EQ(first_probe(5), "PING 1 0.000");
    EXPECT_EQ(first_probe(12), "PING 1 0.000");
    EXPECT_EQ(first_probe(13), "PING 1 0.000 ");
    EXPECT_EQ(first_probe(20), "PING 1 0.000 xxxxxxx");
    EXPECT_EQ(first_probe(1400).size(), 1400u);
}

TEST(Pinger, RepliesAreMatchedBySeqWithRttFromTheSendTime) {
    Pinger p(options(2, 1s, 500ms), t0);
    ASSERT_TRUE(p.poll_transmit(t0 + 100ms).has_value());  // sent late: RTT counts from here
    ASSERT_TRUE(p.poll_transmit(t0 + 1s).has_value());
    // Replies out of order; the time in the payload is not trusted.
    p.handle_datagram(t0 + 1s + 30ms, "PING 2 999999.000");
    p.handle_datagram(t0 + 1s + 40ms, "PING 1 0.000");
    EXPECT_EQ(events(p), (std::vector<std::string>{"reply 2 rtt=" + ns(30ms) + " bytes=17",
                                                   "reply 1 rtt=" + ns(940ms) + " bytes=12"}));
    EXPECT_EQ(p.statistics().received, 2u);
    EXPECT_TRUE(p.done());
}

TEST(Pinger, UppercasedRepliesStillMatch) {
    Pinger p(options(1, 1s, 1s, 24), t0);
    const auto probe = p.poll_transmit(t0);
    ASSERT_TRUE(probe.has_value());
    EXPECT_EQ(*probe, "PING 1 0.000 xxxxxxxxxxx");
    p.handle_datagram(t0 + 5ms, "PING 1 0.000 XXXXXXXXXXX");
    EXPECT_EQ(events(p), (std::vector<std::string>{"reply 1 rtt=" + ns(5ms) + " bytes=24"}));
}

TEST(Pinger, TimeoutsAndLateReplies) {
    Pinger p(options(2, 1s, 500ms), t0);
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    p.handle_timeout(t0 + 499ms);
    EXPECT_TRUE(events(p).empty());
    p.handle_timeout(t0 + 500ms);
    EXPECT_EQ(events(p), (std::vector<std::string>{"timeout 1"}));
    // A second timeout call does not report it again.
    p.handle_timeout(t0 + 600ms);
    EXPECT_TRUE(events(p).empty());
    p.handle_datagram(t0 + 700ms, "PING 1 0.000");
    EXPECT_EQ(events(p), (std::vector<std::string>{"late 1 rtt=" + ns(700ms)}));
    EXPECT_EQ(p.statistics().received, 0u);
    EXPECT_EQ(p.statistics().duplicates, 0u);

    ASSERT_TRUE(p.poll_transmit(t0 + 1s).has_value());
    p.handle_datagram(t0 + 1s + 10ms, "PING 2 1000.000");
    EXPECT_EQ(events(p), (std::vector<std::string>{"reply 2 rtt=" + ns(10ms) + " bytes=15"}));
    EXPECT_TRUE(p.done());
    const auto& st = p.statistics();
    EXPECT_EQ(st.transmitted, 2u);
    EXPECT_EQ(st.received, 1u);
    EXPECT_DOUBLE_EQ(st.loss_percent(), 50.0);
    EXPECT_EQ(st.min, 10ms);
    EXPECT_EQ(st.max, 10ms);
}

TEST(Pinger, DuplicatesAreCountedNotReceived) {
    Pinger p(options(1, 1s, 1s), t0);
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    p.handle_datagram(t0 + 10ms, "PING 1 0.000");
    p.handle_datagram(t0 + 11ms, "PING 1 0.000");
    p.handle_datagram(t0 + 12ms, "ping 1 0.000");
    EXPECT_EQ(events(p), (std::vector<std::string>{"reply 1 rtt=" + ns(10ms) + " bytes=12",
                                                   "duplicate 1", "duplicate 1"}));
    EXPECT_EQ(p.statistics().received, 1u);
    EXPECT_EQ(p.statistics().duplicates, 2u);
    EXPECT_EQ(p.statistics().max, 10ms);
}

TEST(Pinger, UnrecognisedDatagrams) {
    Pinger p(options(2, 1s, 1s), t0);
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    p.handle_datagram(t0 + 1ms, "hello");
    p.handle_datagram(t0 + 1ms, "PING 2 0.000");  // not sent yet
    p.handle_datagram(t0 + 1ms, "PING 0 0.000");
    p.handle_datagram(t0 + 1ms, "PING x");
    p.handle_datagram(t0 + 1ms, "PING 1x");
    p.handle_datagram(t0 + 1ms, "");
    p.handle_datagram(t0 + 1ms, std::string("PING 1\0", 7));
    EXPECT_EQ(events(p), (std::vector<std::string>{"unrecognised bytes=5", "unrecognised bytes=12",
                                                   "unrecognised bytes=12", "unrecognised bytes=6",
                                                   "unrecognised bytes=7", "unrecognised bytes=0",
                                                   "unrecognised bytes=7"}));
    EXPECT_EQ(p.statistics().received, 0u);
    EXPECT_EQ(p.statistics().duplicates, 0u);
    EXPECT_FALSE(p.done());  // probe 1 is still outstanding
}

TEST(Pinger, StatisticsMatchAHandComputation) {
    Pinger p(options(4, 1s, 500ms), t0);
    const std::chrono::nanoseconds rtts[] = {10ms, 30ms, 20ms};
    for (std::uint32_t i = 0; i < 4; ++i) {
        const TimePoint sent = t0 + i * 1s;
        ASSERT_TRUE(p.poll_transmit(sent).has_value());
        if (i < 3) {
            p.handle_datagram(sent + rtts[i], "PING " + std::to_string(i + 1) + " 0");
        }
        p.handle_timeout(sent + 500ms);
    }
    EXPECT_TRUE(p.done());
    const PingStatistics& st = p.statistics();
    EXPECT_EQ(st.transmitted, 4u);
    EXPECT_EQ(st.received, 3u);
    EXPECT_DOUBLE_EQ(st.loss_percent(), 25.0);
    EXPECT_EQ(st.min, 10ms);
    EXPECT_EQ(st.max, 30ms);
    EXPECT_EQ(st.avg(), 20ms);
    // mdev = sqrt(mean(x^2) - mean(x)^2) = sqrt((100 + 900 + 400) / 3 - 400) ms
    //      = sqrt(200 / 3) ms = 8.16496580927726 ms.
    EXPECT_NEAR(static_cast<double>(st.mdev().count()), 8164965.809, 2.0);
}

TEST(PingStatistics, Empty) {
    const PingStatistics st;
    EXPECT_DOUBLE_EQ(st.loss_percent(), 0.0);
    EXPECT_EQ(st.avg(), 0ns);
    EXPECT_EQ(st.mdev(), 0ns);
}

TEST(PingStatistics, EqualRttsHaveNoDeviation) {
    Pinger p(options(3, 1s, 1s), t0);
    for (std::uint32_t i = 0; i < 3; ++i) {
        const TimePoint sent = t0 + i * 1s;
        ASSERT_TRUE(p.poll_transmit(sent).has_value());
        p.handle_datagram(sent + 7ms, "PING " + std::to_string(i + 1));
    }
    EXPECT_EQ(p.statistics().avg(), 7ms);
    EXPECT_EQ(p.statistics().mdev(), 0ns);
    EXPECT_DOUBLE_EQ(p.statistics().loss_percent(), 0.0);
}

TEST(PingStatistics, AllLost) {
    Pinger p(options(2, 1s, 100ms), t0);
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    p.handle_timeout(t0 + 100ms);
    ASSERT_TRUE(p.poll_transmit(t0 + 1s).has_value());
    p.handle_timeout(t0 + 1100ms);
    EXPECT_TRUE(p.done());
    EXPECT_DOUBLE_EQ(p.statistics().loss_percent(), 100.0);
    EXPECT_EQ(p.statistics().avg(), 0ns);
    EXPECT_EQ(events(p), (std::vector<std::string>{"timeout 1", "timeout 2"}));
}

TEST(Pinger, DoneWhenAllSentAndNoneOutstanding) {
    Pinger p(options(2, 1s, 500ms), t0);
    EXPECT_FALSE(p.done());
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    p.handle_datagram(t0 + 1ms, "PING 1 0.000");
    EXPECT_FALSE(p.done());  // probe 2 not sent yet
    ASSERT_TRUE(p.poll_transmit(t0 + 1s).has_value());
    EXPECT_FALSE(p.done());  // probe 2 outstanding
    p.handle_timeout(t0 + 1s + 499ms);
    EXPECT_FALSE(p.done());
    p.handle_timeout(t0 + 1s + 500ms);
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.poll_timeout(), std::nullopt);
}

TEST(Pinger, CountZeroRunsUntilStop) {
    Pinger p(options(0, 1s, 500ms), t0);
    for (std::uint32_t i = 0; i < 100; ++i) {
        const TimePoint sent = t0 + i * 1s;
        const auto probe = p.poll_transmit(sent);
        ASSERT_TRUE(probe.has_value()) << i;
        p.handle_datagram(sent + 1ms, *probe);
        EXPECT_FALSE(p.done());
    }
    ASSERT_TRUE(p.poll_transmit(t0 + 100s).has_value());  // probe 101, outstanding
    p.stop();
    EXPECT_EQ(p.poll_transmit(t0 + 101s), std::nullopt);
    EXPECT_FALSE(p.done());  // probe 101 still waits for its reply or timeout
    EXPECT_EQ(p.poll_timeout(), t0 + 100s + 500ms);
    p.handle_datagram(t0 + 100s + 2ms, "PING 101 100000.000");
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.poll_timeout(), std::nullopt);
    EXPECT_EQ(p.statistics().transmitted, 101u);
    EXPECT_EQ(p.statistics().received, 101u);
}

TEST(Pinger, StopBeforeTheFirstProbe) {
    Pinger p(options(4, 1s, 1s), t0);
    p.stop();
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.poll_transmit(t0), std::nullopt);
    EXPECT_EQ(p.poll_timeout(), std::nullopt);
    EXPECT_EQ(p.statistics().transmitted, 0u);
}

TEST(Pinger, PollTimeoutIsTheEarliestOfNextSendAndNextExpiry) {
    Pinger p(options(3, 1s, 1500ms), t0);
    EXPECT_EQ(p.poll_timeout(), t0);  // probe 1 is due now
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    EXPECT_EQ(p.poll_timeout(), t0 + 1s);  // probe 2 before probe 1 expires at 1.5s
    ASSERT_TRUE(p.poll_transmit(t0 + 1s).has_value());
    EXPECT_EQ(p.poll_timeout(), t0 + 1500ms);  // expiry of 1 before probe 3 at 2s
    p.handle_timeout(t0 + 1500ms);
    EXPECT_EQ(p.poll_timeout(), t0 + 2s);  // probe 3; probe 2 expires at 2.5s
    p.handle_datagram(t0 + 1600ms, "PING 2 1000.000");
    EXPECT_EQ(p.poll_timeout(), t0 + 2s);
    ASSERT_TRUE(p.poll_transmit(t0 + 2s + 100ms).has_value());
    EXPECT_EQ(p.poll_timeout(), t0 + 3s + 600ms);  // only probe 3's expiry is left
    p.handle_timeout(t0 + 3s + 600ms);
    EXPECT_EQ(p.poll_timeout(), std::nullopt);
    EXPECT_TRUE(p.done());
}

TEST(Pinger, PollTimeoutWithShortTimeout) {
    Pinger p(options(2, 1s, 300ms), t0);
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    EXPECT_EQ(p.poll_timeout(), t0 + 300ms);
    p.handle_timeout(t0 + 300ms);
    EXPECT_EQ(p.poll_timeout(), t0 + 1s);
}

TEST(Pinger, Trace) {
    Pinger p(options(2, 1s, 100ms), t0);
    p.trace().enable(true);
    ASSERT_TRUE(p.poll_transmit(t0).has_value());
    p.handle_datagram(t0 + 1ms, "PING 1 0.000");
    ASSERT_TRUE(p.poll_transmit(t0 + 1s).has_value());
    p.handle_timeout(t0 + 1100ms);
    const auto ev = p.trace().take();
    ASSERT_EQ(ev.size(), 4u);
    EXPECT_EQ(ev[0].direction, trace::Direction::to_server);
    EXPECT_EQ(ev[0].message, "PING 1 0.000");
    EXPECT_EQ(ev[1].direction, trace::Direction::to_client);
    EXPECT_EQ(ev[1].message, "PING 1 0.000");
    EXPECT_EQ(ev[2].direction, trace::Direction::to_server);
    EXPECT_EQ(ev[2].message, "PING 2 1000.000");
    EXPECT_EQ(ev[3].direction, trace::Direction::note);
    EXPECT_EQ(ev[3].message, "no reply to probe 2");
}

TEST(ParseProbeSeq, Probes) {
    EXPECT_EQ(parse_probe_seq("PING 1"), 1u);
    EXPECT_EQ(parse_probe_seq("PING 1 0.000"), 1u);
    EXPECT_EQ(parse_probe_seq("ping 42 0.000 xxxx"), 42u);
    EXPECT_EQ(parse_probe_seq("Ping 7 x"), 7u);
    EXPECT_EQ(parse_probe_seq("PING 4294967295"), 4294967295u);
}

TEST(ParseProbeSeq, NotProbes) {
    for (const char* text :
         {"", "PING", "PING ", "PING x", "PING 0", "PING 0 1", "PING -1", "PING +1", "PING 1x",
          "PING 1\t2", "PING 4294967296", "PONG 1", " PING 1", "PING  1"}) {
        EXPECT_EQ(parse_probe_seq(text), std::nullopt) << "'" << text << "'";
    }
}

TEST(ParseProbeSeq, AnyLetterCase) {
    EXPECT_EQ(parse_probe_seq("pInG 3 0.000"), 3u);
    EXPECT_EQ(parse_probe_seq("PiNg 3"), 3u);
}

}  // namespace
}  // namespace l7::socket
