#pragma once
// A coroutine's alarm clock that another coroutine on the same thread can ring early: the
// writer of a link direction sleeps until its next chunk is due, and the reader rings it when
// it has pushed an earlier one (and the other way round for back-pressure).
//
// There is no lost wake-up: a sleeper computes its deadline from the model and starts
// waiting without suspending in between, and the ringer changes the model before ringing, all
// on one thread; a ring while nobody sleeps is not needed, because the next sleeper will see
// the change when it computes its deadline.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include "core/time.hpp"
#include "net/timeout.hpp"

namespace l7::link {

class Alarm {
  public:
    explicit Alarm(const asio::any_io_executor& executor) : timer_(executor) {}

    // Returns at `deadline` or when rung, whichever comes first.
    asio::awaitable<void> sleep_until(TimePoint deadline) {
        timer_.expires_at(deadline);
        co_await timer_.async_wait(net::as_tuple_awaitable);
    }
    void ring() { timer_.cancel(); }

  private:
    asio::steady_timer timer_;
};

}  // namespace l7::link
