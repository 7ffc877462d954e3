#pragma once
// One deadline per connection, instead of a timer raced against every operation.
//
// with_timeout() (timeout.hpp) arms a timer and a parallel group for each read and write:
// right for a client's few waits, but a server answering small requests pays for it on every
// request. A Deadline is one timer per connection. Moving the deadline later (the common
// case: a keep-alive connection's next idle period) is a plain store; only the timer, when it
// fires at the old time, notices and waits again. Moving it earlier re-arms at once. When it
// passes, expired() becomes true and on_expiry runs (usually: cancel the socket, so the
// pending operation completes with operation_aborted and the connection decides what to do).
//
// Not thread-safe: a Deadline belongs to the one thread that runs its connection.

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace l7::net {

class Deadline {
  public:
    using Clock = std::chrono::steady_clock;

    Deadline(const asio::any_io_executor& executor, std::function<void()> on_expiry);
    // Stops the timer; on_expiry never runs after this.
    ~Deadline();
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    void expires_at(Clock::time_point when);
    void expires_after(Clock::duration d) { expires_at(Clock::now() + d); }
    // No deadline until the next expires_at (the timer may still wake once, and sleep again).
    void clear() { expires_at(Clock::time_point::max()); }

    // True once a deadline passed, until the next expires_at.
    bool expired() const;

  private:
    struct State;
    // The timer and its state are made at the first deadline: a connection served without
    // waiting (a request read at once, answered, closed) never needs them.
    asio::any_io_executor executor_;
    std::function<void()> on_expiry_;
    // Shared with the timer's handler, which may run after this object is gone.
    std::shared_ptr<State> state_;
};

}  // namespace l7::net
