// net::Deadline on a bare io_context. The assertions are about order and outcome, not about
// how long anything took: a deadline in the past expires on the next run, one far in the
// future never does while the test runs.

#include "net/deadline.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <memory>
#include <vector>

namespace l7::net {
namespace {

using namespace std::chrono_literals;
using Clock = Deadline::Clock;

TEST(Deadline, PassedDeadlineExpiresAndCallsBack) {
    asio::io_context io;
    int calls = 0;
    Deadline d(io.get_executor(), [&] { ++calls; });
    d.expires_at(Clock::now() - 1ms);
    io.run();
    EXPECT_TRUE(d.expired());
    EXPECT_EQ(calls, 1);
}

TEST(Deadline, MovedLaterWhileArmedDoesNotExpireAtTheOldTime) {
    asio::io_context io;
    int calls = 0;
    Deadline d(io.get_executor(), [&] { ++calls; });
    d.expires_at(Clock::now() + 1ms);  // armed
    d.expires_after(1h);               // a plain store: the timer wakes at 1 ms and re-arms
    // Run until the armed wait has ended (and the re-armed one is pending), then stop.
    io.run_for(50ms);
    EXPECT_FALSE(d.expired());
    EXPECT_EQ(calls, 0);
}

TEST(Deadline, MovedEarlierReArmsAtOnce) {
    asio::io_context io;
    int calls = 0;
    Deadline d(io.get_executor(), [&] { ++calls; });
    d.expires_after(1h);
    d.expires_at(Clock::now() - 1ms);
    io.run_for(5s);  // returns as soon as the (re-armed) wait has fired
    EXPECT_TRUE(d.expired());
    EXPECT_EQ(calls, 1);
}

TEST(Deadline, ClearedDeadlineNeverExpires) {
    asio::io_context io;
    int calls = 0;
    Deadline d(io.get_executor(), [&] { ++calls; });
    d.expires_at(Clock::now() + 1ms);
    d.clear();
    io.run();  // the armed wait ends, sees no deadline, and does not wait again
    EXPECT_FALSE(d.expired());
    EXPECT_EQ(calls, 0);
}

TEST(Deadline, NewDeadlineResetsExpired) {
    asio::io_context io;
    Deadline d(io.get_executor(), [] {});
    d.expires_at(Clock::now() - 1ms);
    io.run();
    ASSERT_TRUE(d.expired());
    d.expires_after(1h);
    EXPECT_FALSE(d.expired());
}

TEST(Deadline, DestroyedBeforeItFiresNeverCallsBack) {
    asio::io_context io;
    int calls = 0;
    {
        Deadline d(io.get_executor(), [&] { ++calls; });
        d.expires_at(Clock::now() - 1ms);
    }
    io.run();  // the timer's handler still runs (cancelled) and must not call back
    EXPECT_EQ(calls, 0);
}

TEST(Deadline, ManyDeadlinesExpireEarliestFirst) {
    asio::io_context io;
    std::vector<int> order;
    std::vector<std::unique_ptr<Deadline>> ds;
    const auto base = Clock::now() - 1h;
    // Set out of order, then some moved, so the heap is exercised beyond its front.
    const int offsets[] = {7, 3, 9, 1, 5, 8, 2, 6, 4, 0};
    for (int i : offsets) {
        ds.push_back(
            std::make_unique<Deadline>(io.get_executor(), [&order, i] { order.push_back(i); }));
        ds.back()->expires_at(base + std::chrono::minutes(i));
    }
    ds[0]->expires_at(base + std::chrono::minutes(7) + 30s);  // 7 stays between 7 and 8
    ds[2]->clear();                                           // 9 never expires
    io.run();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_FALSE(ds[2]->expired());
}

TEST(Deadline, OnlyTheDestroyedOneOfSeveralIsForgotten) {
    asio::io_context io;
    int a_calls = 0;
    int c_calls = 0;
    Deadline a(io.get_executor(), [&] { ++a_calls; });
    auto b = std::make_unique<Deadline>(io.get_executor(), [] { FAIL() << "b was destroyed"; });
    Deadline c(io.get_executor(), [&] { ++c_calls; });
    b->expires_at(Clock::now() - 3ms);  // the earliest, at the front of the queue
    a.expires_at(Clock::now() - 2ms);
    c.expires_at(Clock::now() - 1ms);
    b.reset();
    io.run();
    EXPECT_EQ(a_calls, 1);
    EXPECT_EQ(c_calls, 1);
}

TEST(Deadline, AnExpiryMayDestroyAnotherDueDeadline) {
    asio::io_context io;
    auto second = std::make_unique<Deadline>(io.get_executor(), [] { FAIL() << "destroyed"; });
    Deadline first(io.get_executor(), [&] { second.reset(); });
    first.expires_at(Clock::now() - 2ms);
    second->expires_at(Clock::now() - 1ms);
    io.run();
    EXPECT_TRUE(first.expired());
    EXPECT_EQ(second, nullptr);
}

// A short connection's deadline goes and the next one's comes in the same turn of the loop:
// the queue's timer is left armed (for the old time) rather than cancelled and armed again,
// and each new deadline still expires, earlier or later than the one that went.
TEST(Deadline, DeadlinesThatReplaceTheLastOneInTheSameTurnStillExpire) {
    asio::io_context io;
    std::vector<int> fired;
    auto gone = std::make_unique<Deadline>(io.get_executor(), [] {});
    gone->expires_after(1h);
    Deadline earlier(io.get_executor(), [&] { fired.push_back(1); });
    Deadline later(io.get_executor(), [&] { fired.push_back(2); });
    io.poll();  // the timer is armed for the hour
    asio::post(io, [&] {
        gone.reset();
        earlier.expires_at(Clock::now() - 1ms);
    });
    io.run_for(30s);  // returns once nothing is left: `earlier` fired, the timer stood down
    EXPECT_TRUE(io.stopped());
    EXPECT_EQ(fired, std::vector<int>({1}));

    io.restart();
    auto gone_too = std::make_unique<Deadline>(io.get_executor(), [] {});
    gone_too->expires_at(Clock::now() + 1ms);
    io.poll();  // armed for the millisecond
    asio::post(io, [&] {
        gone_too.reset();
        later.expires_at(Clock::now() + 20ms);  // after the armed time: the wait stays
    });
    io.run_for(30s);
    EXPECT_TRUE(io.stopped());
    EXPECT_EQ(fired, std::vector<int>({1, 2}));
    EXPECT_TRUE(later.expired());
}

TEST(Deadline, RunReturnsOnceEveryFarDeadlineIsGone) {
    asio::io_context io;
    {
        Deadline a(io.get_executor(), [] {});
        Deadline b(io.get_executor(), [] {});
        a.expires_after(1h);
        b.expires_after(2h);
    }
    // With no deadline left the queue's timer must not hold the context for an hour.
    io.run_for(30s);
    EXPECT_TRUE(io.stopped());
}

}  // namespace
}  // namespace l7::net
