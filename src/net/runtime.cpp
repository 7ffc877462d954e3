#include "net/runtime.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>

#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <system_error>
#include <type_traits>

#include "core/log.hpp"
#include "net/accept_loop.hpp"

namespace l7::net {

namespace {

asio::ip::address to_address(const HostPort& hp) {
    return asio::ip::make_address(hp.host);
}

std::string describe(const std::string& proto, const HostPort& hp, const std::error_code& ec) {
    std::string why = ec.message();
    if (ec == asio::error::address_in_use) {
        why = "the port is already in use";
    } else if (ec.value() == EADDRNOTAVAIL) {
        why = "the address is not on this machine";
    } else if (ec == asio::error::access_denied) {
        why = "ports below 1024 need root or CAP_NET_BIND_SERVICE";
    }
    return "cannot listen on " + proto + " " + hp.to_string() + ": " + why;
}

// Binding once without SO_REUSEPORT finds the port when 0 was asked for, and fails if another
// process already holds the port (which SO_REUSEPORT alone would silently share with).
template <class Protocol>
typename Protocol::endpoint probe_bind(const HostPort& hp, const std::string& proto) {
    asio::io_context io;
    typename Protocol::socket probe(io);
    typename Protocol::endpoint ep(to_address(hp), hp.port);
    std::error_code ec;
    probe.open(ep.protocol(), ec);
    // SO_REUSEADDR lets a TCP listener rebind past TIME_WAIT; on UDP it would let two
    // processes share the port, which is exactly what the probe must detect.
    if (!ec && std::is_same_v<Protocol, asio::ip::tcp>) {
        probe.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        probe.bind(ep, ec);
    }
    if (ec) {
        throw BindError(ec, describe(proto, hp, ec));
    }
    return probe.local_endpoint();
}

// Where the workers' sockets bind. Several workers share the port with SO_REUSEPORT, found
// first by probe_bind(). One worker binds alone and without SO_REUSEPORT: then the port is
// its own (the bind itself fails if someone holds it), and an ephemeral port cannot be
// joined by another process of the same user that happens to be given the same port number
// in the moment between a probe's close and the workers' binds.
template <class Protocol>
typename Protocol::endpoint bind_target(const HostPort& hp, const std::string& proto, bool shared) {
    if (shared) {
        return probe_bind<Protocol>(hp, proto);
    }
    return typename Protocol::endpoint(to_address(hp), hp.port);
}

template <class Socket>
void reuse_port(Socket& s) {
    int one = 1;
    if (::setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        throw std::system_error(errno, std::system_category(), "setsockopt SO_REUSEPORT");
    }
}

// TCP_DEFER_ACCEPT's value is in seconds; the kernel turns it into SYN-ACK retransmissions,
// and 1 (nginx's choice for its `deferred` listeners) is one: a silent client waits about a
// second. A kernel without it just accepts at once, so a failure is not an error.
void defer_accept_until_data(asio::ip::tcp::acceptor& acceptor) {
    const int seconds = 1;
    ::setsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds);
}

}  // namespace

struct Runtime::Listener {
    std::atomic<std::size_t> connections{0};
    std::size_t max_connections = 0;
};

std::size_t raise_open_file_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        return 0;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
        ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    return static_cast<std::size_t>(lim.rlim_cur);
}

Runtime::Runtime(RuntimeOptions options) : options_(options) {
    unsigned n = options_.threads;
    if (n == 0) {
        n = std::max(1u, std::thread::hardware_concurrency());
    }
    for (unsigned i = 0; i < n; ++i) {
        workers_.push_back(std::make_unique<Worker>());
    }
    raise_open_file_limit();
    if (options_.handle_signals) {
        // Installed now, before any service announces itself, so a signal that comes before
        // run() is queued and handled as a graceful stop instead of killing the process.
        signals_ = std::make_unique<asio::signal_set>(control_, SIGINT, SIGTERM);
        arm_signals();
    }
}

std::size_t Runtime::live_tasks() const {
    std::size_t n = 0;
    for (const auto& w : workers_) {
        n += w->tasks.live();
    }
    return n;
}

Runtime::~Runtime() {
    for (auto& w : workers_) {
        w->io.stop();
    }
    for (auto& t : threads_) {
        if (t.joinable()) {
            t.join();
        }
    }
}

asio::ip::tcp::endpoint Runtime::listen_tcp(const HostPort& address, TcpHandler handler,
                                            TcpOptions options) {
    return listen_tcp_with(address, std::make_shared<TcpHandler>(std::move(handler)), options);
}

asio::ip::tcp::endpoint Runtime::listen_tcp(const HostPort& address, DetachedTcpHandler handler,
                                            TcpOptions options) {
    return listen_tcp_with(address, std::make_shared<DetachedTcpHandler>(std::move(handler)),
                           options);
}

template <class Handler>
asio::ip::tcp::endpoint Runtime::listen_tcp_with(const HostPort& address,
                                                 std::shared_ptr<Handler> handler,
                                                 TcpOptions options) {
    const bool shared = workers_.size() > 1;
    auto bound = bind_target<asio::ip::tcp>(address, "tcp", shared);
    auto listener = std::make_shared<Listener>();
    listener->max_connections = options.max_connections;
    listeners_.push_back(listener);
    for (auto& wp : workers_) {
        Worker& w = *wp;
        asio::ip::tcp::acceptor acceptor(w.io);
        std::error_code ec;
        acceptor.open(bound.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        if (shared) {
            reuse_port(acceptor);
        }
        acceptor.bind(bound, ec);
        if (ec) {
            throw BindError(ec, describe("tcp", address, ec));
        }
        bound = acceptor.local_endpoint();  // the port given for port 0
        acceptor.listen(asio::socket_base::max_listen_connections);
        acceptor.non_blocking(true);  // the accept loop's accept4 must never wait
        if (options.client_speaks_first) {
            defer_accept_until_data(acceptor);
        }
        // What each connection of this worker keeps alive: the handler (a coroutine lambda's
        // frame refers to it, even after the listener has closed) and the count. Held per
        // worker, so a connection's start and end change this worker's reference count, not
        // one all workers write.
        struct Local {
            std::shared_ptr<Listener> listener;
            std::shared_ptr<Handler> handler;
        };
        auto local = std::make_shared<const Local>(Local{listener, handler});
        // The accept loop is not a Task: shutdown stops it (closing the listening socket).
        auto loop = std::make_shared<AcceptLoop>(
            w.io, std::move(acceptor), [&w, local](asio::ip::tcp::socket socket) {
                Listener& counts = *local->listener;
                if (counts.connections.load() >= counts.max_connections) {
                    log::warn("runtime", "connection limit reached (" +
                                             std::to_string(counts.max_connections) +
                                             "): closing a new connection");
                    return;  // the socket closes as it goes out of scope
                }
                counts.connections.fetch_add(1);
                w.tasks.launch(
                    [&](Task& task) { return (*local->handler)(std::move(socket), task); },
                    [local] { local->listener->connections.fetch_sub(1); });
            });
        w.stop_hooks.push_back([loop] { loop->stop(); });
        loop->start();
    }
    return bound;
}

asio::ip::udp::endpoint Runtime::listen_udp(const HostPort& address, UdpLoop loop) {
    const bool shared = workers_.size() > 1;
    auto bound = bind_target<asio::ip::udp>(address, "udp", shared);
    auto shared_loop = std::make_shared<UdpLoop>(std::move(loop));
    for (auto& wp : workers_) {
        Worker& w = *wp;
        auto socket = std::make_shared<asio::ip::udp::socket>(w.io);
        std::error_code ec;
        socket->open(bound.protocol());
        if (shared) {
            reuse_port(*socket);
        }
        socket->bind(bound, ec);
        if (ec) {
            throw BindError(ec, describe("udp", address, ec));
        }
        bound = socket->local_endpoint();  // the port given for port 0
        // Room for bursts: a 64 KiB datagram flood should queue, not drop at once.
        socket->set_option(asio::socket_base::receive_buffer_size(1 << 20), ec);
        // Stopping cancels the receive but keeps the socket open: replies still in flight (a
        // delayed echo) go out during the drain. The socket closes with its last owner.
        w.stop_hooks.push_back([socket] {
            std::error_code ignored;
            socket->cancel(ignored);
        });
        w.tasks.spawn([socket, shared_loop](Task& task) -> asio::awaitable<void> {
            co_await (*shared_loop)(socket, task);
        });
    }
    return bound;
}

void Runtime::request_stop() {
    asio::post(control_, [this] { begin_shutdown(); });
}

void Runtime::begin_shutdown() {
    if (stopping_.exchange(true)) {
        // Second request: do not wait for the drain.
        log::info("runtime", "stopping now");
        for (auto& w : workers_) {
            asio::post(w->io, [&w = *w] { w.tasks.interrupt_all(); });
        }
        watch_drain(std::chrono::steady_clock::now(), true);
        return;
    }
    log::info("runtime", "shutting down: no new connections; finishing " +
                             std::to_string(live_tasks()) + " task(s)");
    for (auto& wp : workers_) {
        asio::post(wp->io, [&w = *wp] {
            for (auto& hook : w.stop_hooks) {
                hook();
            }
            w.tasks.drain();
        });
    }
    watch_drain(std::chrono::steady_clock::now() + options_.drain_deadline, false);
}

void Runtime::watch_drain(std::chrono::steady_clock::time_point deadline, bool interrupted) {
    auto timer = std::make_shared<asio::steady_timer>(control_, std::chrono::milliseconds(20));
    timer->async_wait([this, timer, deadline, interrupted](std::error_code ec) {
        if (ec) {
            return;
        }
        if (live_tasks() == 0) {
            for (auto& w : workers_) {
                w->io.stop();
            }
            control_.stop();
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline && !interrupted) {
            log::warn("runtime", "drain deadline passed: interrupting " +
                                     std::to_string(live_tasks()) + " task(s)");
            for (auto& w : workers_) {
                asio::post(w->io, [&w = *w] { w.tasks.interrupt_all(); });
            }
            watch_drain(now + std::chrono::seconds(2), true);
            return;
        }
        if (now >= deadline && interrupted) {
            log::warn("runtime", "tasks did not end after being interrupted: exiting anyway");
            for (auto& w : workers_) {
                w->io.stop();
            }
            control_.stop();
            return;
        }
        watch_drain(deadline, interrupted);
    });
}

void Runtime::arm_signals() {
    signals_->async_wait([this](std::error_code ec, int) {
        if (ec) {
            return;
        }
        begin_shutdown();
        arm_signals();
    });
}

void Runtime::run() {
    auto guard = asio::make_work_guard(control_);
    for (auto& wp : workers_) {
        threads_.emplace_back([&io = wp->io] {
            auto work = asio::make_work_guard(io);
            io.run();
        });
    }
    control_.run();
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
}

}  // namespace l7::net
