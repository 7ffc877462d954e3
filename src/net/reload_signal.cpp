#include "net/reload_signal.hpp"

#include <asio/signal_set.hpp>
#include <atomic>
#include <csignal>
#include <memory>
#include <thread>

namespace l7::net {

void on_reload_signal(Runtime& runtime, std::function<void()> reload) {
    Worker& worker = runtime.worker(0);
    auto signals = std::make_shared<asio::signal_set>(worker.io, SIGHUP);
    auto busy = std::make_shared<std::atomic<bool>>(false);
    auto shared_reload = std::make_shared<const std::function<void()>>(std::move(reload));
    auto wait = std::make_shared<std::function<void()>>();
    *wait = [signals, busy, shared_reload, weak_wait = std::weak_ptr(wait)]() {
        signals->async_wait([signals, busy, shared_reload, weak_wait](std::error_code ec, int) {
            if (ec) {
                return;
            }
            if (!busy->exchange(true)) {
                std::thread([shared_reload, busy] {
                    (*shared_reload)();
                    busy->store(false);
                }).detach();
            }
            if (auto again = weak_wait.lock()) {
                (*again)();
            }
        });
    };
    (*wait)();
    worker.stop_hooks.push_back([signals, wait]() mutable {
        std::error_code ignored;
        signals->cancel(ignored);
        wait.reset();
    });
}

}  // namespace l7::net
