// net::Detached, net::Step and the socket waits, on a bare io_context with a socket pair: the
// order of events, values and errors passed up, and what happens to a coroutine whose
// io_context goes away while it waits.

#include "net/detached.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/local/connect_pair.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace l7::net {
namespace {

using Socket = asio::local::stream_protocol::socket;

struct Pair {
    explicit Pair(asio::io_context& io) : a(io), b(io) { asio::local::connect_pair(a, b); }
    Socket a;
    Socket b;
};

Step<std::string> read_some(Socket& s, std::vector<std::string>& log) {
    log.push_back("step waits");
    const std::error_code ec = co_await readable(s);
    if (ec) {
        co_return "error: " + ec.message();
    }
    char buf[64];
    const std::size_t n = s.read_some(asio::buffer(buf));
    co_return std::string(buf, n);
}

Step<> fail_after_wait(Socket& s) {
    co_await readable(s);
    throw std::runtime_error("step failed");
}

Detached reader(Socket& s, std::vector<std::string>& log) {
    log.push_back("started");
    log.push_back("got " + co_await read_some(s, log));
    try {
        co_await fail_after_wait(s);
    } catch (const std::runtime_error& e) {
        log.push_back(std::string("caught ") + e.what());
    }
    log.push_back("done");
}

TEST(Detached, RunsToItsFirstWaitThenResumesWithEachStepsResult) {
    asio::io_context io;
    Pair p(io);
    std::vector<std::string> log;
    int ends = 0;
    reader(p.a, log).start([&] { ++ends; });
    EXPECT_EQ(log, (std::vector<std::string>{"started", "step waits"}));
    asio::write(p.b, asio::buffer(std::string("hello")));
    io.run_one();  // the first wait ends; the second one starts
    EXPECT_EQ(log.back(), "got hello");
    EXPECT_EQ(ends, 0);
    asio::write(p.b, asio::buffer(std::string("x")));
    io.run();
    EXPECT_EQ(log, (std::vector<std::string>{"started", "step waits", "got hello",
                                             "caught step failed", "done"}));
    EXPECT_EQ(ends, 1);
}

TEST(Detached, ACancelledWaitReturnsOperationAborted) {
    asio::io_context io;
    Pair p(io);
    std::vector<std::string> log;
    int ends = 0;
    reader(p.a, log).start([&] { ++ends; });
    p.a.cancel();
    io.run_one();
    EXPECT_EQ(log.back(),
              "got error: " + asio::error_code(asio::error::operation_aborted).message());
    p.b.close();  // the next wait sees the end of the stream as readable
    io.run();
    EXPECT_EQ(ends, 1);
}

Detached throws_at_once(bool& reached_end) {
    reached_end = true;
    throw std::runtime_error("logged, not thrown out");
    co_return;
}

TEST(Detached, AnUncaughtErrorEndsItAndStillCallsTheEnd) {
    bool reached = false;
    int ends = 0;
    throws_at_once(reached).start([&] { ++ends; });
    EXPECT_TRUE(reached);
    EXPECT_EQ(ends, 1);
}

// Counts its destruction, to see which frames were destroyed.
struct Witness {
    explicit Witness(int& destroyed) : destroyed_(&destroyed) {}
    Witness(Witness&& o) noexcept : destroyed_(std::exchange(o.destroyed_, nullptr)) {}
    ~Witness() {
        if (destroyed_) {
            ++*destroyed_;
        }
    }
    int* destroyed_;
};

Step<> inner_wait(Socket& s, int& destroyed) {
    Witness w(destroyed);
    co_await readable(s);
}

Detached outer_wait(Socket& s, int& destroyed) {
    Witness w(destroyed);
    co_await inner_wait(s, destroyed);
}

TEST(Detached, DestroyingTheContextWhileItWaitsDestroysEveryFrameWithoutTheEnd) {
    int destroyed = 0;
    int ends = 0;
    {
        asio::io_context io;
        auto p = std::make_unique<Pair>(io);
        outer_wait(p->a, destroyed).start([&] { ++ends; });
        EXPECT_EQ(destroyed, 0);
        // Closing the sockets cancels the wait: its completion is queued, never run.
        p.reset();
    }  // the queued handler is dropped unrun, and the inner and outer frames with it
    EXPECT_EQ(destroyed, 2);
    EXPECT_EQ(ends, 0);
}

TEST(Detached, NeverStartedIsDestroyedWithoutRunning) {
    bool reached = false;
    { Detached d = throws_at_once(reached); }
    EXPECT_FALSE(reached);
}

TEST(Detached, ManyCoroutinesInARowReuseTheirFrames) {
    // Under AddressSanitizer this also proves every cached frame is freed or reused.
    asio::io_context io;
    int ends = 0;
    for (int i = 0; i < 1000; ++i) {
        Pair p(io);
        std::vector<std::string> log;
        reader(p.a, log).start([&] { ++ends; });
        asio::write(p.b, asio::buffer(std::string("a")));
        p.b.close();
        io.run();
        io.restart();
    }
    EXPECT_EQ(ends, 1000);
}

}  // namespace
}  // namespace l7::net
