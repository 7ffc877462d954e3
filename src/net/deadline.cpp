#include "net/deadline.hpp"

#include <asio/execution/context.hpp>
#include <asio/execution_context.hpp>
#include <asio/post.hpp>
#include <asio/query.hpp>
#include <asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <vector>

namespace l7::net {

// The deadlines of one io_context: a binary min-heap on `when_` whose entries know their own
// position (Deadline::heap_index_), so any of them can be moved or removed in O(log n), and a
// timer that wakes at the earliest one.
class DeadlineQueue : public asio::execution_context::service {
  public:
    using key_type = DeadlineQueue;
    static inline asio::execution_context::id id;
    using Clock = Deadline::Clock;

    explicit DeadlineQueue(asio::execution_context& ctx) : service(ctx) {}

    // Sets d's deadline (max: none) and keeps the timer no later than the earliest.
    void set(Deadline& d, Clock::time_point when) {
        std::lock_guard lock(mutex_);
        if (!timer_ && !shut_down_) {
            timer_.emplace(d.executor_);  // on an executor of this context, as every Deadline's
        }
        const Clock::time_point before = d.when_;
        d.when_ = when;
        if (when == Clock::time_point::max()) {
            remove(d);
        } else if (d.heap_index_ == Deadline::kNotQueued) {
            d.heap_index_ = heap_.size();
            heap_.push_back(&d);
            sift_up(d.heap_index_);
        } else if (when < before) {
            sift_up(d.heap_index_);
        } else {
            sift_down(d.heap_index_);
        }
        if (!heap_.empty() && heap_.front()->when_ < armed_) {
            arm(heap_.front()->when_);
        }
    }

    void leave(Deadline& d) {
        std::lock_guard lock(mutex_);
        remove(d);
    }

  private:
    void shutdown() override {
        // Before the timer service goes: its pending wait (holding `this`) is dropped unrun.
        shut_down_ = true;
        timer_.reset();
    }

    void remove(Deadline& d) {
        const std::size_t i = d.heap_index_;
        if (i == Deadline::kNotQueued) {
            return;
        }
        d.heap_index_ = Deadline::kNotQueued;
        Deadline* last = heap_.back();
        heap_.pop_back();
        if (last != &d) {
            heap_[i] = last;
            last->heap_index_ = i;
            sift_up(i);
            sift_down(last->heap_index_);
        }
        if (heap_.empty() && armed_ != Clock::time_point::max() && timer_ && !stand_down_posted_) {
            // Nothing left to watch, and a pending wait would keep io_context::run() busy. But
            // not at once: a server's short connection takes its deadline away and the next one
            // often brings a new one in the same turn of the loop, and cancelling now would
            // cost a timerfd_settime to arm the timer again.
            stand_down_posted_ = true;
            asio::post(timer_->get_executor(), [this] { stand_down_if_idle(); });
        }
    }

    void stand_down_if_idle() {
        std::lock_guard lock(mutex_);
        stand_down_posted_ = false;
        if (heap_.empty() && armed_ != Clock::time_point::max() && timer_) {
            armed_ = Clock::time_point::max();
            timer_->cancel();
        }
    }

    void place(std::size_t i, Deadline* d) {
        heap_[i] = d;
        d->heap_index_ = i;
    }

    void sift_up(std::size_t i) {
        Deadline* d = heap_[i];
        while (i > 0) {
            const std::size_t parent = (i - 1) / 2;
            if (heap_[parent]->when_ <= d->when_) {
                break;
            }
            place(i, heap_[parent]);
            i = parent;
        }
        place(i, d);
    }

    void sift_down(std::size_t i) {
        Deadline* d = heap_[i];
        const std::size_t n = heap_.size();
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && heap_[child + 1]->when_ < heap_[child]->when_) {
                ++child;
            }
            if (d->when_ <= heap_[child]->when_) {
                break;
            }
            place(i, heap_[child]);
            i = child;
        }
        place(i, d);
    }

    void arm(Clock::time_point when) {
        if (!timer_) {
            return;  // shutting down
        }
        armed_ = when;
        timer_->expires_at(when);  // a pending wait ends with operation_aborted
        timer_->async_wait([this](std::error_code ec) {
            if (ec != asio::error::operation_aborted) {
                fire();
            }
        });
    }

    // Expires every deadline that has passed, one at a time and outside the lock: on_expiry
    // may touch other deadlines of this queue.
    void fire() {
        std::unique_lock lock(mutex_);
        armed_ = Clock::time_point::max();
        const Clock::time_point now = Clock::now();
        while (!heap_.empty() && heap_.front()->when_ <= now) {
            Deadline& d = *heap_.front();
            remove(d);
            d.expired_ = true;
            if (d.on_expiry_) {
                lock.unlock();
                d.on_expiry_();
                lock.lock();
            }
        }
        if (!heap_.empty() && heap_.front()->when_ < armed_) {
            arm(heap_.front()->when_);
        }
    }

    std::mutex mutex_;
    std::vector<Deadline*> heap_;
    Clock::time_point armed_ = Clock::time_point::max();  // when the pending wait ends
    std::optional<asio::steady_timer> timer_;             // made with the first deadline
    bool shut_down_ = false;
    bool stand_down_posted_ = false;  // a check that cancels the timer if the heap stays empty
};

Deadline::Deadline(const asio::any_io_executor& executor, std::function<void()> on_expiry)
    : executor_(executor), on_expiry_(std::move(on_expiry)) {}

Deadline::~Deadline() {
    if (queue_) {
        queue_->leave(*this);
    }
}

void Deadline::expires_at(Clock::time_point when) {
    expired_ = false;
    if (!queue_) {
        if (when == Clock::time_point::max()) {
            return;  // no deadline, and none before
        }
        queue_ =
            &asio::use_service<DeadlineQueue>(asio::query(executor_, asio::execution::context));
    }
    queue_->set(*this, when);
}

}  // namespace l7::net
