#pragma once
// Every wait has a deadline: with_timeout() races an awaitable against a timer. The loser is
// cancelled (Asio per-operation cancellation), so a read that times out leaves the socket
// usable and the caller decides whether to close it.

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <variant>

namespace l7::net {

inline constexpr auto as_tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

// Returns the operation's result, or nullopt if `timeout` passed first.
template <class T>
asio::awaitable<std::optional<T>> with_timeout(asio::awaitable<T> op,
                                               std::chrono::steady_clock::duration timeout) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    std::variant<T, std::tuple<std::error_code>> r =
        co_await (std::move(op) || timer.async_wait(as_tuple_awaitable));
    if (r.index() == 0) {
        co_return std::get<0>(std::move(r));
    }
    co_return std::nullopt;
}

}  // namespace l7::net
