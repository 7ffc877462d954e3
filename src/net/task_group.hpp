#pragma once
// Tracks the coroutines of one worker thread (connections, UDP loops) so a graceful shutdown
// can wait for them.
//
// Theory of operation. Every task is idle (waiting for a peer's next request) or busy (doing
// work it has accepted). drain() interrupts the idle tasks at once and marks the group as
// draining; busy tasks finish what they do, see draining(), and end instead of waiting for
// more. interrupt_all() is the deadline's hammer: it interrupts every task, busy or not.
// An interrupt is whatever the task registered (usually cancelling its socket), so it works
// for any kind of wait without relying on Asio cancellation slots.
//
// Not thread-safe: a TaskGroup belongs to one io_context run by one thread.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <list>
#include <type_traits>

#include "net/detached.hpp"

namespace l7::net {

class TaskGroup;

class Task {
  public:
    bool draining() const;
    // While idle, a drain interrupts the task at once.
    void set_idle(bool idle) { idle_ = idle; }
    bool idle() const { return idle_; }
    // The group this task runs in, to start helper tasks (delayed sends) on the same thread.
    TaskGroup& group() { return *group_; }

    // Registers how to interrupt this task. The returned guard unregisters it; declare it
    // after the objects the interrupt touches, so it is destroyed first.
    class InterruptGuard {
      public:
        explicit InterruptGuard(Task& t) : task_(t) {}
        ~InterruptGuard() { task_.interrupt_ = nullptr; }
        InterruptGuard(const InterruptGuard&) = delete;
        InterruptGuard& operator=(const InterruptGuard&) = delete;

      private:
        Task& task_;
    };
    [[nodiscard]] InterruptGuard on_interrupt(std::function<void()> fn) {
        interrupt_ = std::move(fn);
        return InterruptGuard(*this);
    }

  private:
    friend class TaskGroup;
    void interrupt() {
        if (interrupt_) {
            interrupt_();
        }
    }
    TaskGroup* group_ = nullptr;
    bool idle_ = false;
    std::function<void()> interrupt_;
};

class TaskGroup {
  public:
    // `io` may not be constructed yet (a Worker declares its tasks first); it is only kept.
    explicit TaskGroup(asio::io_context* io) : io_(*io) {}

    using Body = std::function<asio::awaitable<void>(Task&)>;
    // Starts body(task) on this group's io_context. Must be called on that context's thread
    // (or before it runs). A task started while draining starts anyway and sees draining().
    void spawn(Body body);

    // Like spawn(), cheaper for work started per connection (one coroutine frame and one
    // std::function fewer): `start(task)` is called at once and must return a coroutine
    // that owns what it uses (a coroutine function taking its arguments by value; not a
    // capturing coroutine lambda, whose captures die with `start`). `on_end()` runs when it
    // has ended; it may hold what the coroutine refers to.
    // `start` may return a net::Detached instead: it then runs without co_spawn (see
    // detached.hpp); its errors are logged where it ends.
    template <class Start, class OnEnd>
    void launch(Start&& start, OnEnd on_end) {
        auto it = add();
        if constexpr (std::is_same_v<decltype(start(*it)), Detached>) {
            start(*it).start([this, it, on_end = std::move(on_end)]() mutable {
                on_end();
                end(it, nullptr);
            });
        } else {
            asio::co_spawn(io_, start(*it),
                           [this, it, on_end = std::move(on_end)](std::exception_ptr e) mutable {
                               on_end();
                               end(it, e);
                           });
        }
    }

    std::size_t size() const { return tasks_.size(); }
    // size(), readable from any thread: the control thread sums the workers' counts to see
    // when every worker is done. One counter per group, so starting and ending a task never
    // touches a cache line another worker writes.
    std::size_t live() const { return live_.load(std::memory_order_relaxed); }
    bool draining() const { return draining_; }
    void drain();
    void interrupt_all();

  private:
    std::list<Task>::iterator add();
    void end(std::list<Task>::iterator it, const std::exception_ptr& e);

    asio::io_context& io_;
    std::atomic<std::size_t> live_{0};
    std::list<Task> tasks_;
    bool draining_ = false;
};

inline bool Task::draining() const {
    return group_->draining();
}

}  // namespace l7::net
