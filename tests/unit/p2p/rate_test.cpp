// Rate meters (bytes/s over a sliding window) and token buckets (per-peer and global rate
// limits, the course's u_i and d_i): arithmetic checked exactly, with virtual time.

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <vector>

#include "p2p/rate.hpp"

using namespace l7::p2p;
using l7::Duration;
using l7::TimePoint;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

TimePoint at_ms(std::int64_t ms) {
    return TimePoint{} + milliseconds(ms);
}

// ---- RateMeter ------------------------------------------------------------------------

TEST(P2pRateMeter, SteadyRateOverTheWindow) {
    RateMeter m;  // 20 s in 1 s slots
    for (int t = 0; t < 30; ++t) {
        m.add(1000, at_ms(t * 1000));
    }
    EXPECT_DOUBLE_EQ(m.rate(at_ms(30'000)), 1000.0);
    EXPECT_EQ(m.total(), 30'000u);
}

TEST(P2pRateMeter, YoungMeterDividesByItsAge) {
    RateMeter m;
    m.start(at_ms(0));
    m.add(5000, at_ms(500));
    EXPECT_DOUBLE_EQ(m.rate(at_ms(2000)), 2500.0);
    RateMeter fresh;
    EXPECT_EQ(fresh.rate(at_ms(5000)), 0.0);
    fresh.add(3000, at_ms(5000));  // starts the meter; at least one slot's width divides
    EXPECT_DOUBLE_EQ(fresh.rate(at_ms(5000)), 3000.0);
}

TEST(P2pRateMeter, OldBytesLeaveTheWindow) {
    RateMeter m;  // 20 s in 1 s slots
    for (int t = 0; t < 10; ++t) {
        m.add(2000, at_ms(t * 1000));  // 2000 bytes in each of seconds 0..9, then silence
    }
    struct Case {
        std::int64_t query_ms;
        double rate;
    };
    const std::vector<Case> cases = {
        {10'000, 2000.0},          // slots 0..9 over the 10 s since the start
        {20'000, 18000.0 / 19.0},  // window: slots 1..20, i.e. 9 slots of data over 19 s
        {28'000, 2000.0 / 19.0},   // window: slots 9..28, only slot 9 left
        {29'000, 0.0},
        {100'000, 0.0},
    };
    for (const auto& c : cases) {
        EXPECT_DOUBLE_EQ(m.rate(at_ms(c.query_ms)), c.rate) << c.query_ms;
    }
}

TEST(P2pRateMeter, LateAddCountsAtTheLatestTime) {
    RateMeter m(seconds(10), 10);
    m.add(100, at_ms(5000));
    m.add(100, at_ms(3000));  // a caller's clock ran backwards: counted in the newest slot
    EXPECT_EQ(m.total(), 200u);
    EXPECT_DOUBLE_EQ(m.rate(at_ms(5000)), 200.0);  // 200 over one slot's width
    m.add(50, at_ms(40'000));                      // a jump past the whole window clears it
    EXPECT_DOUBLE_EQ(m.rate(at_ms(40'000)), 50.0 / 9.0);
}

// ---- TokenBucket ----------------------------------------------------------------------

enum class Op { take, available, until };
struct Step {
    std::int64_t ms;
    Op op;
    std::uint64_t n;
    std::uint64_t expect;                 // take: 1/0; available: tokens
    std::optional<std::int64_t> wait_ns;  // until
};
struct BucketCase {
    const char* name;
    std::uint64_t rate;
    std::uint64_t burst;
    std::vector<Step> steps;
};

TEST(P2pTokenBucket, Arithmetic) {
    const std::optional<std::int64_t> never;
    const std::vector<BucketCase> cases = {
        {"1000 B/s, burst 2000",
         1000,
         2000,
         {
             {0, Op::available, 0, 2000, {}},  // starts full
             {0, Op::take, 2000, 1, {}},
             {0, Op::take, 1, 0, {}},
             {500, Op::available, 0, 500, {}},
             {500, Op::until, 1000, 0, 500'000'000},
             {500, Op::take, 1000, 0, {}},  // all or nothing: nothing taken
             {1000, Op::take, 1000, 1, {}},
             {1000, Op::available, 0, 0, {}},
             {10'000, Op::available, 0, 2000, {}},  // capped at the burst
             {10'000, Op::until, 2000, 0, 0},
             {10'000, Op::until, 2001, 0, never},  // larger than the burst: never
         }},
        {"3 B/s: fractions carried exactly",
         3,
         10,
         {
             {0, Op::take, 10, 1, {}},
             {0, Op::until, 1, 0, 333'333'334},  // ceil(1e9 / 3) ns
             {333, Op::available, 0, 0, {}},     // 0.999 tokens
             {334, Op::available, 0, 1, {}},     // 1.002 tokens
             {334, Op::take, 1, 1, {}},
             {1000, Op::available, 0, 2, {}},  // 3 accrued by 1 s, 1 taken
             {1000, Op::until, 3, 0, 333'333'334},
         }},
        {"unlimited (rate 0)",
         0,
         0,
         {
             {0, Op::take, 1'000'000'000'000, 1, {}},
             {0, Op::available, 0, std::numeric_limits<std::uint64_t>::max(), {}},
             {0, Op::until, 1'000'000'000'000, 0, 0},
         }},
        {"burst 0 means one second, at least one block",
         1000,
         0,
         {
             {0, Op::available, 0, 16384, {}},
             {0, Op::take, 16384, 1, {}},
             {0, Op::until, 16384, 0, 16'384'000'000},
         }},
    };
    for (const auto& c : cases) {
        TokenBucket b(c.rate, c.burst);
        for (std::size_t i = 0; i < c.steps.size(); ++i) {
            const Step& s = c.steps[i];
            SCOPED_TRACE(std::string(c.name) + ", step " + std::to_string(i));
            switch (s.op) {
                case Op::take:
                    EXPECT_EQ(b.try_take(s.n, at_ms(s.ms)), s.expect == 1);
                    break;
                case Op::available:
                    EXPECT_EQ(b.available(at_ms(s.ms)), s.expect);
                    break;
                case Op::until: {
                    const auto w = b.time_until(s.n, at_ms(s.ms));
                    ASSERT_EQ(w.has_value(), s.wait_ns.has_value());
                    if (w) {
                        EXPECT_EQ(w->count(), *s.wait_ns);
                    }
                    break;
                }
            }
        }
    }
}

TEST(P2pTokenBucket, ManySmallStepsDoNotDrift) {
    TokenBucket b(3, 100);
    ASSERT_TRUE(b.try_take(100, at_ms(0)));
    for (int ms = 1; ms <= 1000; ++ms) {
        ASSERT_TRUE(b.try_take(0, at_ms(ms)));  // each call settles the level
    }
    EXPECT_EQ(b.available(at_ms(1000)), 3u);
    EXPECT_EQ(b.available(at_ms(34'000)), 100u);  // 102 accrued, capped
}

TEST(P2pTokenBucket, SetRateKeepsAccruedTokens) {
    TokenBucket b(1000, 1000);
    ASSERT_TRUE(b.try_take(1000, at_ms(0)));
    b.set_rate(100, 1000, at_ms(500));  // 500 accrued at the old rate
    EXPECT_EQ(b.available(at_ms(500)), 500u);
    EXPECT_EQ(b.available(at_ms(1500)), 600u);
    b.set_rate(100, 200, at_ms(1500));  // a smaller burst caps what is there
    EXPECT_EQ(b.available(at_ms(1500)), 200u);
    b.set_rate(0, 0, at_ms(1500));
    EXPECT_TRUE(b.unlimited());
    EXPECT_TRUE(b.try_take(1'000'000, at_ms(1500)));
}

TEST(P2pTokenBucket, RatesAboveTheMaximumAreClamped) {
    TokenBucket b(std::numeric_limits<std::uint64_t>::max(), 0);
    EXPECT_EQ(b.rate(), TokenBucket::kMaxRate);
    ASSERT_TRUE(b.try_take(TokenBucket::kMaxRate, at_ms(0)));
    EXPECT_EQ(b.available(at_ms(500)), TokenBucket::kMaxRate / 2);
}

TEST(P2pTokenBucket, PeerAndGlobalTakeTogetherOrNotAtAll) {
    TokenBucket peer(100, 100);
    TokenBucket global(50, 50);
    EXPECT_FALSE(try_take_both(peer, global, 80, at_ms(0)));
    EXPECT_EQ(peer.available(at_ms(0)), 100u);  // untouched
    EXPECT_EQ(global.available(at_ms(0)), 50u);
    EXPECT_TRUE(try_take_both(peer, global, 50, at_ms(0)));
    EXPECT_EQ(peer.available(at_ms(0)), 50u);
    EXPECT_EQ(global.available(at_ms(0)), 0u);
    // The later of the two: global needs 50 more at 50 B/s (1 s), peer has them already.
    EXPECT_EQ(time_until_both(peer, global, 50, at_ms(0)), Duration(seconds(1)));
    EXPECT_EQ(time_until_both(peer, global, 60, at_ms(0)), std::nullopt);  // > global burst
}

TEST(P2pFormatRate, Units) {
    const std::vector<std::pair<double, std::string>> cases = {
        {0, "0 B/s"},        {512, "512 B/s"}, {12'345, "12.3 kB/s"}, {1'200'000, "1.2 MB/s"},
        {2.5e9, "2.5 GB/s"}, {-3, "0 B/s"},    {999.6, "1.0 kB/s"},   {999'960, "1.0 MB/s"},
    };
    for (const auto& [rate, text] : cases) {
        EXPECT_EQ(format_rate(rate), text) << rate;
    }
}

}  // namespace
