// net::Deadline on a bare io_context. The assertions are about order and outcome, not about
// how long anything took: a deadline in the past expires on the next run, one far in the
// future never does while the test runs.

#include "net/deadline.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>

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

}  // namespace
}  // namespace l7::net
