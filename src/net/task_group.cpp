#include "net/task_group.hpp"

#include <asio/co_spawn.hpp>
#include <exception>

#include "core/log.hpp"

namespace l7::net {

std::list<Task>::iterator TaskGroup::add() {
    tasks_.emplace_back();
    auto it = std::prev(tasks_.end());
    it->group_ = this;
    live_.fetch_add(1, std::memory_order_relaxed);
    return it;
}

void TaskGroup::end(std::list<Task>::iterator it, const std::exception_ptr& e) {
    if (e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log::error("runtime", std::string("task ended with an error: ") + ex.what());
        }
    }
    tasks_.erase(it);
    live_.fetch_sub(1, std::memory_order_relaxed);
}

void TaskGroup::spawn(Body body) {
    auto it = add();
    // The body is moved into the coroutine's lambda so it outlives the first suspension.
    asio::co_spawn(
        io_,
        [body = std::move(body), &task = *it]() -> asio::awaitable<void> { co_await body(task); },
        [this, it](std::exception_ptr e) { end(it, e); });
}

void TaskGroup::drain() {
    draining_ = true;
    for (Task& t : tasks_) {
        if (t.idle()) {
            t.interrupt();
        }
    }
}

void TaskGroup::interrupt_all() {
    draining_ = true;
    for (Task& t : tasks_) {
        t.interrupt();
    }
}

}  // namespace l7::net
