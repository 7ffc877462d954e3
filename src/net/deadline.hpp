#pragma once
// One deadline per connection, instead of a timer raced against every operation.
//
// with_timeout() (timeout.hpp) arms a timer and a parallel group for each read and write:
// right for a client's few waits, but a server answering small requests pays for it on every
// request. A Deadline is not even a timer: the deadlines of one io_context sit in one min-heap
// (DeadlineQueue, an Asio service) watched by a single timer that sleeps until the earliest.
// Setting, moving or dropping a deadline is a heap operation on memory the connection already
// has: no allocation, no timer to arm or cancel. Connections set deadlines that are mostly
// later than every other (now + the same timeout), so the timer rarely needs re-arming; when
// an earlier deadline goes away the timer still wakes at the old time, finds nothing due and
// sleeps until the new earliest. When the last one goes, the timer is cancelled (so that
// io_context::run() can return) by a check posted for after the current handlers, which a new
// deadline arriving meanwhile makes moot: short connections one after another then cost no
// timer system call each. When a deadline passes, expired() becomes true and
// on_expiry runs (usually: cancel the socket, so the pending operation completes with
// operation_aborted and the connection decides what to do).
//
// Not thread-safe: a Deadline belongs to the one thread that runs its connection. (The queue
// itself takes a lock, so connections of one io_context run by several threads stay safe.)

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <functional>

namespace l7::net {

class DeadlineQueue;

class Deadline {
  public:
    using Clock = std::chrono::steady_clock;

    Deadline(const asio::any_io_executor& executor, std::function<void()> on_expiry);
    // Leaves the queue; on_expiry never runs after this.
    ~Deadline();
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    void expires_at(Clock::time_point when);
    void expires_after(Clock::duration d) { expires_at(Clock::now() + d); }
    // No deadline until the next expires_at.
    void clear() { expires_at(Clock::time_point::max()); }

    // True once a deadline passed, until the next expires_at.
    bool expired() const { return expired_; }

  private:
    friend class DeadlineQueue;
    static constexpr std::size_t kNotQueued = static_cast<std::size_t>(-1);

    asio::any_io_executor executor_;
    DeadlineQueue* queue_ = nullptr;  // found at the first deadline
    std::function<void()> on_expiry_;
    Clock::time_point when_ = Clock::time_point::max();
    std::size_t heap_index_ = kNotQueued;
    bool expired_ = false;
};

}  // namespace l7::net
