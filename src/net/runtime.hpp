#pragma once
// The server runtime: one io_context per worker thread (default: one per core), listeners
// bound once per worker with SO_REUSEPORT so the kernel spreads connections and datagrams,
// and a graceful shutdown on SIGINT/SIGTERM:
//
//   1. stop accepting: every listener and UDP socket is closed;
//   2. drain: idle connections end now, busy ones finish their current work;
//   3. after the drain deadline, whatever is left is interrupted; run() returns.
//
// A second SIGINT/SIGTERM skips the wait. Services register their sockets with the worker
// they run on; handlers are coroutines tracked by the worker's TaskGroup.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/signal_set.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "core/endpoint.hpp"
#include "net/task_group.hpp"

namespace l7::net {

struct Worker {
    Worker() : tasks(&io) {}
    // The hooks own sockets, which must go before their io_context.
    ~Worker() { stop_hooks.clear(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    // Declared before io so they outlive it: destroying io destroys unfinished coroutine
    // frames, whose guards still touch their Task.
    TaskGroup tasks;
    std::vector<std::function<void()>> stop_hooks;  // run on this worker at shutdown
    asio::io_context io{1};  // one thread per context: no internal locking needed
};

// A listening socket could not be bound. what() is one sentence with the reason in plain
// words ("cannot listen on tcp 127.0.0.1:80: the port is already in use"); code() keeps the
// system error.
class BindError : public std::system_error {
  public:
    BindError(std::error_code ec, std::string message)
        : std::system_error(ec), message_(std::move(message)) {}
    const char* what() const noexcept override { return message_.c_str(); }

  private:
    std::string message_;
};

struct RuntimeOptions {
    unsigned threads = 0;  // 0: one per core
    std::chrono::milliseconds drain_deadline{10'000};
    bool handle_signals = true;
};

class Runtime {
  public:
    explicit Runtime(RuntimeOptions options = {});
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    std::size_t size() const { return workers_.size(); }
    Worker& worker(std::size_t i) { return *workers_[i]; }

    using TcpHandler = std::function<asio::awaitable<void>(asio::ip::tcp::socket, Task&)>;
    struct TcpOptions {
        std::size_t max_connections = 10'000;  // per listener, across workers
        // For protocols whose client speaks first (HTTP, TLS): the kernel holds a new
        // connection until its first bytes arrive (TCP_DEFER_ACCEPT, as Apache does for HTTP),
        // so the server wakes once per connection, with the request there to read, instead of
        // once for the handshake and again for the request. A client that stays silent is
        // handed over all the same about a second later (when the kernel resends its SYN-ACK
        // and the client acknowledges it again), and the server's deadlines take over from
        // there. Never for protocols whose server greets first (SMTP, FTP, POP3, IMAP).
        bool client_speaks_first = false;
    };
    // Binds ADDR:PORT on every worker (port 0: one ephemeral port shared by all) and starts
    // accepting. Returns the bound endpoint. Throws BindError when the address cannot be
    // bound (in use, not local, no permission).
    asio::ip::tcp::endpoint listen_tcp(const HostPort& address, TcpHandler handler,
                                       TcpOptions options);
    asio::ip::tcp::endpoint listen_tcp(const HostPort& address, TcpHandler handler) {
        return listen_tcp(address, std::move(handler), TcpOptions{});
    }
    // The same for a handler written as a net::Detached coroutine (detached.hpp): for
    // servers whose connections are short, where co_spawn's set-up is a cost per connection.
    using DetachedTcpHandler = std::function<Detached(asio::ip::tcp::socket, Task&)>;
    asio::ip::tcp::endpoint listen_tcp(const HostPort& address, DetachedTcpHandler handler,
                                       TcpOptions options);

    // One UDP socket per worker, bound with SO_REUSEPORT; `loop` runs once per socket as a
    // task and should receive until the socket is closed.
    using UdpLoop =
        std::function<asio::awaitable<void>(std::shared_ptr<asio::ip::udp::socket>, Task&)>;
    asio::ip::udp::endpoint listen_udp(const HostPort& address, UdpLoop loop);

    // Runs the workers on their threads and blocks until shutdown has finished.
    void run();
    // Starts a graceful shutdown; safe from any thread, and before run().
    void request_stop();
    // Tasks still running on all workers.
    std::size_t live_tasks() const;

  private:
    template <class Handler>
    asio::ip::tcp::endpoint listen_tcp_with(const HostPort& address,
                                            std::shared_ptr<Handler> handler, TcpOptions options);
    void arm_signals();
    void begin_shutdown();
    void watch_drain(std::chrono::steady_clock::time_point deadline, bool interrupted);

    RuntimeOptions options_;
    std::vector<std::unique_ptr<Worker>> workers_;
    asio::io_context control_{1};
    std::unique_ptr<asio::signal_set> signals_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_{false};
    struct Listener;
    std::vector<std::shared_ptr<Listener>> listeners_;
};

// Raises the soft limit on open files to the hard limit, so a server can hold thousands of
// connections (the default soft limit is 1024). Returns the new soft limit.
std::size_t raise_open_file_limit();

}  // namespace l7::net
