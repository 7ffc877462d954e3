// Upstream server selection: RFC 6298-style smoothed RTT and timeout, exponential backoff
// after timeouts, preference for fast servers, and forgetting old news.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/resolver/upstream.hpp"

namespace l7::dns {
namespace {

using namespace std::chrono_literals;
const TimePoint t0{};

TEST(Upstream, FirstReplySetsTheSmoothedRttAndLaterOnesAverage) {
    UpstreamTable u;
    u.record_reply("192.0.2.1:53", 80ms, t0);
    auto s = u.stats("192.0.2.1:53", t0);
    ASSERT_TRUE(s.known);
    EXPECT_EQ(s.srtt, 80ms);
    EXPECT_EQ(s.rttvar, 40ms);
    EXPECT_EQ(s.timeout, 240ms);  // srtt + 4 * rttvar
    u.record_reply("192.0.2.1:53", 160ms, t0 + 1s);
    s = u.stats("192.0.2.1:53", t0 + 1s);
    EXPECT_EQ(s.srtt, 90ms);    // 7/8 * 80 + 1/8 * 160
    EXPECT_EQ(s.rttvar, 50ms);  // 3/4 * 40 + 1/4 * 80
}

TEST(Upstream, TimeoutsAreClampedAndBackOffExponentially) {
    UpstreamTable u({.min_timeout = 100ms, .max_timeout = 1000ms, .initial_timeout = 400ms});
    EXPECT_EQ(u.timeout("192.0.2.9:53", t0), 400ms);  // never heard of
    u.record_reply("192.0.2.1:53", 1ms, t0);
    EXPECT_EQ(u.timeout("192.0.2.1:53", t0), 100ms);  // clamped up
    u.record_timeout("192.0.2.9:53", t0);
    EXPECT_EQ(u.timeout("192.0.2.9:53", t0), 800ms);
    u.record_timeout("192.0.2.9:53", t0);
    EXPECT_EQ(u.timeout("192.0.2.9:53", t0), 1000ms);  // clamped down
    EXPECT_EQ(u.stats("192.0.2.9:53", t0).timeouts_in_a_row, 2u);
    // A reply ends the backoff.
    u.record_reply("192.0.2.9:53", 50ms, t0 + 1s);
    EXPECT_EQ(u.stats("192.0.2.9:53", t0 + 1s).timeouts_in_a_row, 0u);
    EXPECT_LT(u.timeout("192.0.2.9:53", t0 + 1s), 1000ms);
}

TEST(Upstream, ChoosesTheFastestAndAvoidsServersThatTimedOut) {
    UpstreamTable u;
    const std::vector<std::string> servers{"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"};
    u.record_reply(servers[0], 40ms, t0);
    u.record_reply(servers[1], 5ms, t0);
    u.record_reply(servers[2], 20ms, t0);
    EXPECT_EQ(u.choose(servers, t0, 0.5), 1u);
    u.record_timeout(servers[1], t0);
    EXPECT_EQ(u.choose(servers, t0, 0.5), 2u);
    u.record_timeout(servers[2], t0);
    u.record_timeout(servers[2], t0);
    EXPECT_EQ(u.choose(servers, t0, 0.5), 0u);  // the only one that did not fail
}

TEST(Upstream, UnknownServersAreTriedBeforeSlowOnesAndTakeTurns) {
    UpstreamTable u;
    const std::vector<std::string> servers{"192.0.2.1:53", "192.0.2.2:53", "192.0.2.3:53"};
    u.record_reply(servers[0], 200ms, t0);
    std::vector<std::size_t> picked;
    for (double r : {0.05, 0.35, 0.65, 0.95}) {
        picked.push_back(u.choose(servers, t0, r));
    }
    for (std::size_t p : picked) {
        EXPECT_NE(p, 0u);  // the known slow server waits
    }
    EXPECT_NE(std::find(picked.begin(), picked.end(), 1u), picked.end());
    EXPECT_NE(std::find(picked.begin(), picked.end(), 2u), picked.end());
}

TEST(Upstream, OldNewsIsForgotten) {
    UpstreamTable u({.forget_after = 60s});
    u.record_timeout("192.0.2.1:53", t0);
    EXPECT_TRUE(u.stats("192.0.2.1:53", t0 + 30s).known);
    EXPECT_FALSE(u.stats("192.0.2.1:53", t0 + 61s).known);
    EXPECT_EQ(u.timeout("192.0.2.1:53", t0 + 61s), UpstreamLimits{}.initial_timeout);
}

}  // namespace
}  // namespace l7::dns
