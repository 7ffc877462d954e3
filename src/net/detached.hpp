#pragma once
// Light coroutines for the hottest connection code, beside asio::awaitable.
//
// asio::awaitable is general: every coroutine runs on a "thread" object with an executor
// chain, co_spawn adds an entry-point coroutine and a completion handler, and each resumption
// goes through type-erased executors. A server that opens a connection per request pays that
// machinery each time (measured: a few thousand instructions per connection). These types do
// the same job for the one thing such a connection needs, waiting for a socket to become
// readable or writable:
//
//   Detached   a coroutine started once and left to run: its frame frees itself at the end,
//              after calling the end callback given to start(). Exceptions are logged.
//   Step<T>    a coroutine a Detached (or another Step) co_awaits: lazy, and resumes its
//              caller directly when it ends (symmetric transfer: no stack growth).
//   readable(socket), writable(socket)
//              co_await these for a std::error_code: Asio's async_wait with a handler that
//              resumes the coroutine in place, on the socket's io_context thread.
//
// Frames come from a per-thread cache of freed frames of the same size, so a connection's
// frame costs no trip through malloc once the first few connections have come and gone.
//
// If the io_context is destroyed while a coroutine waits, the pending handler is destroyed
// unrun and destroys the whole coroutine (its Detached frame and every Step in it), as Asio
// does with its own coroutines; the end callback does not run then.

#include <asio/basic_socket.hpp>
#include <asio/socket_base.hpp>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace l7::net {

namespace detail {

void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;
void log_uncaught(std::exception_ptr e) noexcept;

// What every promise here shares: frames from the cache, and the outermost coroutine (the
// one to destroy when a pending wait is dropped).
struct PromiseBase {
    static void* operator new(std::size_t size) { return allocate_frame(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }
    std::coroutine_handle<> root;
};

// A callable kept inside the promise: no allocation for the small lambdas an end callback is.
class EndCallback {
  public:
    EndCallback() = default;
    EndCallback(const EndCallback&) = delete;
    EndCallback& operator=(const EndCallback&) = delete;
    ~EndCallback() { reset(); }

    template <class F>
    void emplace(F f) {
        static_assert(sizeof(F) <= kSize && alignof(F) <= alignof(std::max_align_t),
                      "end callback too large to keep inline");
        reset();
        new (storage_) F(std::move(f));
        call_ = [](void* p) { (*static_cast<F*>(p))(); };
        destroy_ = [](void* p) { static_cast<F*>(p)->~F(); };
    }
    void operator()() {
        if (call_) {
            call_(storage_);
        }
    }
    void reset() {
        if (destroy_) {
            destroy_(storage_);
        }
        call_ = nullptr;
        destroy_ = nullptr;
    }

  private:
    static constexpr std::size_t kSize = 48;
    alignas(std::max_align_t) std::byte storage_[kSize];
    void (*call_)(void*) = nullptr;
    void (*destroy_)(void*) = nullptr;
};

}  // namespace detail

class Detached {
  public:
    struct promise_type : detail::PromiseBase {
        Detached get_return_object() {
            auto h = std::coroutine_handle<promise_type>::from_promise(*this);
            root = h;
            return Detached(h);
        }
        // Lazy: start() gives the end callback first.
        std::suspend_always initial_suspend() noexcept { return {}; }
        auto final_suspend() noexcept {
            struct RunEndThenFree {
                promise_type& p;
                bool await_ready() noexcept {
                    p.on_end();
                    return true;  // not suspended: the frame frees itself
                }
                void await_suspend(std::coroutine_handle<>) noexcept {}
                void await_resume() noexcept {}
            };
            return RunEndThenFree{*this};
        }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { detail::log_uncaught(std::current_exception()); }
        detail::EndCallback on_end;
    };

    Detached(Detached&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Detached& operator=(Detached&&) = delete;
    // Never started: the coroutine is dropped.
    ~Detached() {
        if (handle_) {
            handle_.destroy();
        }
    }

    // Runs the coroutine until its first wait; `on_end()` is called when it ends.
    template <class OnEnd>
    void start(OnEnd on_end) && {
        auto h = std::exchange(handle_, nullptr);
        h.promise().on_end.emplace(std::move(on_end));
        h.resume();
    }

  private:
    explicit Detached(std::coroutine_handle<promise_type> h) : handle_(h) {}
    std::coroutine_handle<promise_type> handle_;
};

template <class T = void>
class [[nodiscard]] Step {
  public:
    struct promise_type;
    using Handle = std::coroutine_handle<promise_type>;

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(Handle h) noexcept {
            return h.promise().continuation;  // back to the caller, without growing the stack
        }
        void await_resume() noexcept {}
    };

    struct PromiseCommon : detail::PromiseBase {
        Step get_return_object() {
            return Step(Handle::from_promise(static_cast<promise_type&>(*this)));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        FinalAwaiter final_suspend() noexcept { return {}; }
        void unhandled_exception() noexcept { error = std::current_exception(); }
        std::coroutine_handle<> continuation;
        std::exception_ptr error;
    };

    struct promise_type : PromiseCommon {
        template <class U>
        void return_value(U&& v) {
            value.emplace(std::forward<U>(v));
        }
        std::optional<T> value;
    };

    Step(Step&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Step& operator=(Step&&) = delete;
    ~Step() {
        if (handle_) {
            handle_.destroy();
        }
    }

    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> caller) noexcept {
        handle_.promise().continuation = caller;
        handle_.promise().root = caller.promise().root;
        return handle_;
    }
    T await_resume() {
        if (handle_.promise().error) {
            std::rethrow_exception(handle_.promise().error);
        }
        return std::move(*handle_.promise().value);
    }

  private:
    explicit Step(Handle h) : handle_(h) {}
    Handle handle_;
};

template <>
struct Step<void>::promise_type : Step<void>::PromiseCommon {
    void return_void() noexcept {}
};

template <>
inline void Step<void>::await_resume() {
    if (handle_.promise().error) {
        std::rethrow_exception(handle_.promise().error);
    }
}

namespace detail {

// Asio's completion handler for a wait: resumes the waiting coroutine with the result. If
// Asio drops it unrun (its io_context is being destroyed), the whole coroutine goes with it.
class ResumeAfterWait {
  public:
    ResumeAfterWait(std::coroutine_handle<> waiting, std::coroutine_handle<> root,
                    std::error_code* result)
        : waiting_(waiting), root_(root), result_(result) {}
    ResumeAfterWait(ResumeAfterWait&& other) noexcept
        : waiting_(std::exchange(other.waiting_, nullptr)),
          root_(std::exchange(other.root_, nullptr)),
          result_(other.result_) {}
    ResumeAfterWait& operator=(ResumeAfterWait&&) = delete;
    ~ResumeAfterWait() {
        if (root_) {
            root_.destroy();
        }
    }

    void operator()(std::error_code ec) {
        *result_ = ec;
        root_ = nullptr;
        std::exchange(waiting_, nullptr).resume();
    }

  private:
    std::coroutine_handle<> waiting_;
    std::coroutine_handle<> root_;
    std::error_code* result_;
};

// The same for a read: resumes with the error and the byte count.
class ResumeAfterRead {
  public:
    struct Result {
        std::error_code ec;
        std::size_t bytes = 0;
    };
    ResumeAfterRead(std::coroutine_handle<> waiting, std::coroutine_handle<> root, Result* result)
        : wait_(waiting, root, &result->ec), result_(result) {}

    void operator()(std::error_code ec, std::size_t bytes) {
        result_->bytes = bytes;
        wait_(ec);
    }

  private:
    ResumeAfterWait wait_;
    Result* result_;
};

template <class Socket, class Buffer>
class ReadAwaiter {
  public:
    ReadAwaiter(Socket& socket, const Buffer& buffer) : socket_(socket), buffer_(buffer) {}
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        socket_.async_read_some(buffer_, ResumeAfterRead(h, h.promise().root, &result_));
    }
    ResumeAfterRead::Result await_resume() const noexcept { return result_; }

  private:
    Socket& socket_;
    Buffer buffer_;
    ResumeAfterRead::Result result_;
};

template <class Socket>
class WaitAwaiter {
  public:
    WaitAwaiter(Socket& socket, asio::socket_base::wait_type type) : socket_(socket), type_(type) {}
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        socket_.async_wait(type_, ResumeAfterWait(h, h.promise().root, &result_));
    }
    std::error_code await_resume() const noexcept { return result_; }

  private:
    Socket& socket_;
    asio::socket_base::wait_type type_;
    std::error_code result_;
};

}  // namespace detail

// co_await readable(socket): waits until a read would not block (or the wait is cancelled).
template <class Socket>
detail::WaitAwaiter<Socket> readable(Socket& socket) {
    return {socket, asio::socket_base::wait_read};
}

// co_await read_some(socket, buffer): Asio's async_read_some, for {error, bytes}. Prefer it to
// readable() and a read of one's own where the socket is read again and again: Asio tries
// the read before it waits, and its wait costs nothing more, where every wait for
// readability asks epoll again (an epoll_ctl MOD per wait, so that bytes already there are
// not missed under edge-triggered epoll).
template <class Socket, class Buffer>
detail::ReadAwaiter<Socket, Buffer> read_some(Socket& socket, const Buffer& buffer) {
    return {socket, buffer};
}

// co_await writable(socket): waits until a write would not block (or the wait is cancelled).
template <class Socket>
detail::WaitAwaiter<Socket> writable(Socket& socket) {
    return {socket, asio::socket_base::wait_write};
}

}  // namespace l7::net
