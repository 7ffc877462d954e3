#include "net/deadline.hpp"

namespace l7::net {

struct Deadline::State {
    explicit State(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();
    // When the pending wait ends; max: no wait pending.
    Clock::time_point armed = Clock::time_point::max();
    bool expired = false;
    std::function<void()> on_expiry;  // empty once the owner is gone

    static void arm(const std::shared_ptr<State>& s) {
        s->armed = s->deadline;
        s->timer.expires_at(s->deadline);  // a pending wait ends with operation_aborted
        s->timer.async_wait([s](std::error_code ec) {
            if (ec == asio::error::operation_aborted || !s->on_expiry) {
                return;  // re-armed (another wait is pending) or stopped
            }
            s->armed = Clock::time_point::max();
            if (s->deadline == Clock::time_point::max()) {
                return;
            }
            if (Clock::now() < s->deadline) {
                arm(s);  // the deadline moved later while this wait was pending
                return;
            }
            s->expired = true;
            s->on_expiry();
        });
    }
};

Deadline::Deadline(const asio::any_io_executor& executor, std::function<void()> on_expiry)
    : executor_(executor), on_expiry_(std::move(on_expiry)) {}

Deadline::~Deadline() {
    if (state_) {
        state_->on_expiry = nullptr;
        state_->timer.cancel();
    }
}

void Deadline::expires_at(Clock::time_point when) {
    if (!state_) {
        if (when == Clock::time_point::max()) {
            return;  // no deadline, and none before
        }
        state_ = std::make_shared<State>(executor_);
        state_->on_expiry = std::move(on_expiry_);
    }
    State& s = *state_;
    s.deadline = when;
    s.expired = false;
    if (when < s.armed) {
        State::arm(state_);
    }
}

bool Deadline::expired() const {
    return state_ && state_->expired;
}

}  // namespace l7::net
