// The runtime on loopback with port 0. Every wait is bounded: a hung shutdown fails the test
// after 20 s instead of hanging it. No assertion depends on how long anything takes.

#include "net/runtime.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "net/timeout.hpp"

namespace l7::net {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using asio::ip::udp;

constexpr auto bounded_wait = 20s;

// Polls `done` until it holds or 20 s pass.
bool wait_for(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + bounded_wait;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// Runs Runtime::run() on its own thread.
class Runner {
  public:
    explicit Runner(Runtime& rt) : rt_(rt) {
        thread_ = std::thread([this] {
            rt_.run();
            returned_.set_value();
        });
    }
    ~Runner() {
        if (thread_.joinable()) {
            join();
        }
    }
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // request_stop() from another thread, then join. False if run() had to be forced.
    bool stop_and_join() {
        std::thread([this] { rt_.request_stop(); }).join();
        return join();
    }

    bool join() {
        auto returned = returned_.get_future();
        bool in_time = true;
        if (returned.wait_for(bounded_wait) != std::future_status::ready) {
            ADD_FAILURE() << "Runtime::run() did not return within 20 s; forcing it";
            in_time = false;
            rt_.request_stop();
            rt_.request_stop();  // the second request interrupts every task
            if (returned.wait_for(bounded_wait) != std::future_status::ready) {
                std::fprintf(stderr, "Runtime::run() hangs even after a forced stop\n");
                std::abort();
            }
        }
        thread_.join();
        return in_time;
    }

  private:
    Runtime& rt_;
    std::promise<void> returned_;
    std::thread thread_;
};

// A POSIX socket with 10 s send and receive timeouts, so a client never blocks forever.
class Fd {
  public:
    explicit Fd(int type) : fd_(::socket(AF_INET, type, 0)) {
        timeval tv{};
        tv.tv_sec = 10;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

bool connect_to(const Fd& fd, std::uint16_t port) {
    const sockaddr_in a = loopback(port);
    return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

bool bind_to(const Fd& fd, std::uint16_t port) {
    const sockaddr_in a = loopback(port);
    return ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

std::uint16_t local_port(const Fd& fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

bool send_all(const Fd& fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Up to `n` bytes: fewer if the peer closes or 10 s pass without data.
std::string receive(const Fd& fd, std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
        const ssize_t got = ::recv(fd.get(), buf, std::min(sizeof buf, n - out.size()), 0);
        if (got <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
}

// True if the peer closed the connection (EOF or reset) within 10 s.
bool sees_close(const Fd& fd) {
    char c = 0;
    const ssize_t got = ::recv(fd.get(), &c, 1, 0);
    return got == 0 || (got < 0 && errno == ECONNRESET);
}

// A well-behaved echo handler: idle while it waits for the client, interruptible.
asio::awaitable<void> echo(tcp::socket sock, Task& task) {
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });
    std::array<char, 4096> buf{};
    while (!task.draining()) {
        task.set_idle(true);
        const auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), as_tuple_awaitable);
        task.set_idle(false);
        if (ec) {
            break;
        }
        const auto [write_ec, written] =
            co_await asio::async_write(sock, asio::buffer(buf.data(), n), as_tuple_awaitable);
        if (write_ec || written != n) {
            break;
        }
    }
}

RuntimeOptions two_threads(std::chrono::milliseconds drain_deadline = 60s) {
    return {.threads = 2, .drain_deadline = drain_deadline, .handle_signals = false};
}

TEST(Runtime, WorkerCount) {
    Runtime two(two_threads());
    EXPECT_EQ(two.size(), 2u);
    Runtime per_core({.threads = 0, .handle_signals = false});
    EXPECT_GE(per_core.size(), 1u);
    EXPECT_EQ(two.live_tasks(), 0u);
}

TEST(Runtime, StopBeforeRun) {
    Runtime rt(two_threads());
    rt.request_stop();
    Runner runner(rt);
    EXPECT_TRUE(runner.join());
    EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST(Runtime, TcpEchoThenStop) {
    Runtime rt(two_threads());
    const tcp::endpoint ep = rt.listen_tcp({"127.0.0.1", 0}, echo);
    ASSERT_NE(ep.port(), 0);
    EXPECT_EQ(ep.address().to_string(), "127.0.0.1");
    Runner runner(rt);

    // Several connections, so both workers are likely to serve some.
    for (int i = 0; i < 8; ++i) {
        Fd client(SOCK_STREAM);
        ASSERT_TRUE(connect_to(client, ep.port())) << std::strerror(errno);
        ASSERT_TRUE(send_all(client, "hello " + std::to_string(i)));
        EXPECT_EQ(receive(client, 7), "hello " + std::to_string(i));
    }
    {
        // More than one read's worth, in both directions at once.
        Fd client(SOCK_STREAM);
        ASSERT_TRUE(connect_to(client, ep.port()));
        std::string big(300'000, '\0');
        for (std::size_t i = 0; i < big.size(); ++i) {
            big[i] = static_cast<char>('a' + i % 26);
        }
        std::string echoed;
        std::thread reader([&] { echoed = receive(client, big.size()); });
        EXPECT_TRUE(send_all(client, big));
        reader.join();
        EXPECT_EQ(echoed.size(), big.size());
        EXPECT_TRUE(echoed == big);
    }
    EXPECT_TRUE(runner.stop_and_join());
    EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST(Runtime, ListenerIsClosedAtShutdown) {
    Runtime rt(two_threads());
    const tcp::endpoint ep = rt.listen_tcp({"127.0.0.1", 0}, echo);
    {
        Runner runner(rt);
        EXPECT_TRUE(runner.stop_and_join());
    }
    Fd client(SOCK_STREAM);
    EXPECT_FALSE(connect_to(client, ep.port()));
}

struct IdleState {
    std::atomic<int> started{0};
    std::atomic<int> interrupted_while_draining{0};
    std::atomic<int> ended{0};
};

TEST(Runtime, IdleConnectionDoesNotBlockShutdown) {
    // The drain deadline is far beyond the watchdog: only the drain can end the idle task.
    Runtime rt(two_threads(60s));
    IdleState state;
    const tcp::endpoint ep = rt.listen_tcp(
        {"127.0.0.1", 0}, [&state](tcp::socket sock, Task& task) -> asio::awaitable<void> {
            auto guard = task.on_interrupt([&sock] {
                std::error_code ignored;
                sock.cancel(ignored);
            });
            task.set_idle(true);
            ++state.started;
            std::array<char, 16> buf{};
            const auto [ec, n] =
                co_await sock.async_read_some(asio::buffer(buf), as_tuple_awaitable);
            if (ec == asio::error::operation_aborted && task.draining()) {
                ++state.interrupted_while_draining;
            }
            ++state.ended;
        });
    Runner runner(rt);
    Fd first(SOCK_STREAM), second(SOCK_STREAM);
    ASSERT_TRUE(connect_to(first, ep.port()));
    ASSERT_TRUE(connect_to(second, ep.port()));
    ASSERT_TRUE(wait_for([&] { return state.started == 2; }));
    EXPECT_EQ(rt.live_tasks(), 2u);

    EXPECT_TRUE(runner.stop_and_join());
    EXPECT_EQ(state.interrupted_while_draining, 2);
    EXPECT_EQ(state.ended, 2);
    EXPECT_EQ(rt.live_tasks(), 0u);
    // The server side is gone.
    EXPECT_TRUE(sees_close(first));
    EXPECT_TRUE(sees_close(second));
}

struct BusyState {
    std::atomic<bool> started{false};
    std::atomic<bool> was_draining{false};
    std::atomic<bool> finished{false};
};

TEST(Runtime, BusyTaskFinishesItsWorkBeforeRunReturns) {
    Runtime rt(two_threads());
    BusyState state;
    const tcp::endpoint ep = rt.listen_tcp(
        {"127.0.0.1", 0}, [&state](tcp::socket sock, Task& task) -> asio::awaitable<void> {
            // Busy (not idle) from the start: work the client is owed.
            state.started = true;
            asio::steady_timer work(co_await asio::this_coro::executor, 300ms);
            co_await work.async_wait(as_tuple_awaitable);
            state.was_draining = task.draining();
            const std::string reply = "done\n";
            co_await asio::async_write(sock, asio::buffer(reply), as_tuple_awaitable);
            state.finished = true;
        });
    Runner runner(rt);
    Fd client(SOCK_STREAM);
    ASSERT_TRUE(connect_to(client, ep.port()));
    ASSERT_TRUE(wait_for([&] { return state.started.load(); }));

    EXPECT_TRUE(runner.stop_and_join());
    EXPECT_TRUE(state.finished);
    EXPECT_TRUE(state.was_draining);
    EXPECT_EQ(rt.live_tasks(), 0u);
    EXPECT_EQ(receive(client, 5), "done\n");
}

struct StuckState {
    std::atomic<bool> started{false};
    std::atomic<bool> interrupted{false};
};

// A busy task that would wait for a minute unless interrupted.
Runtime::TcpHandler stuck_handler(StuckState& state) {
    return [&state](tcp::socket, Task& task) -> asio::awaitable<void> {
        asio::steady_timer wait(co_await asio::this_coro::executor, 60s);
        auto guard = task.on_interrupt([&wait] { wait.cancel(); });
        state.started = true;
        const auto [ec] = co_await wait.async_wait(as_tuple_awaitable);
        state.interrupted = ec == asio::error::operation_aborted;
    };
}

TEST(Runtime, DrainDeadlineInterruptsBusyTasks) {
    Runtime rt(two_threads(50ms));
    StuckState state;
    const tcp::endpoint ep = rt.listen_tcp({"127.0.0.1", 0}, stuck_handler(state));
    Runner runner(rt);
    Fd client(SOCK_STREAM);
    ASSERT_TRUE(connect_to(client, ep.port()));
    ASSERT_TRUE(wait_for([&] { return state.started.load(); }));
    EXPECT_TRUE(runner.stop_and_join());
    EXPECT_TRUE(state.interrupted);
    EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST(Runtime, SecondStopRequestSkipsTheDrain) {
    Runtime rt(two_threads(60s));
    StuckState state;
    const tcp::endpoint ep = rt.listen_tcp({"127.0.0.1", 0}, stuck_handler(state));
    Runner runner(rt);
    Fd client(SOCK_STREAM);
    ASSERT_TRUE(connect_to(client, ep.port()));
    ASSERT_TRUE(wait_for([&] { return state.started.load(); }));
    rt.request_stop();
    EXPECT_TRUE(runner.stop_and_join());  // the second request
    EXPECT_TRUE(state.interrupted);
    EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST(Runtime, HandlerExceptionEndsOnlyItsTask) {
    Runtime rt(two_threads());
    std::atomic<int> calls{0};
    const tcp::endpoint ep = rt.listen_tcp(
        {"127.0.0.1", 0}, [&calls](tcp::socket sock, Task& task) -> asio::awaitable<void> {
            if (++calls == 1) {
                throw std::runtime_error("handler failed on purpose");
            }
            co_await echo(std::move(sock), task);
        });
    Runner runner(rt);
    {
        Fd failing(SOCK_STREAM);
        ASSERT_TRUE(connect_to(failing, ep.port()));
        EXPECT_TRUE(sees_close(failing));
    }
    Fd client(SOCK_STREAM);
    ASSERT_TRUE(connect_to(client, ep.port()));
    ASSERT_TRUE(send_all(client, "still here"));
    EXPECT_EQ(receive(client, 10), "still here");
    EXPECT_TRUE(runner.stop_and_join());
    EXPECT_EQ(rt.live_tasks(), 0u);
}

// An echo listener that counts the connections it starts, at most `max` at a time.
tcp::endpoint listen_counted(Runtime& rt, IdleState& state, std::size_t max) {
    return rt.listen_tcp({"127.0.0.1", 0},
                         [&state](tcp::socket sock, Task& task) -> asio::awaitable<void> {
                             ++state.started;
                             co_await echo(std::move(sock), task);
                         },
                         {.max_connections = max});
}

TEST(Runtime, ConnectionLimit) {
    Runtime rt(two_threads());
    IdleState state;
    const tcp::endpoint ep = listen_counted(rt, state, 1);
    Runner runner(rt);
    Fd first(SOCK_STREAM);
    ASSERT_TRUE(connect_to(first, ep.port()));
    ASSERT_TRUE(wait_for([&] { return state.started == 1; }));
    {
        Fd over(SOCK_STREAM);
        ASSERT_TRUE(connect_to(over, ep.port()));  // the kernel accepts; the runtime closes
        EXPECT_TRUE(sees_close(over));
    }
    EXPECT_EQ(state.started, 1);
    ASSERT_TRUE(send_all(first, "ping"));
    EXPECT_EQ(receive(first, 4), "ping");
    EXPECT_TRUE(runner.stop_and_join());
}

TEST(Runtime, ConnectionLimitHoldsForAllWorkersTogether) {
    // However the kernel spreads connections over the two workers' sockets, the limit counts
    // them together: beyond four, new ones are closed until one ends.
    Runtime rt(two_threads());
    IdleState state;
    const tcp::endpoint ep = listen_counted(rt, state, 4);
    Runner runner(rt);
    std::vector<std::unique_ptr<Fd>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<Fd>(SOCK_STREAM));
        ASSERT_TRUE(connect_to(*held.back(), ep.port()));
        ASSERT_TRUE(wait_for([&] { return state.started == i + 1; }));
    }
    for (int i = 0; i < 3; ++i) {
        Fd over(SOCK_STREAM);
        ASSERT_TRUE(connect_to(over, ep.port()));
        EXPECT_TRUE(sees_close(over));
    }
    EXPECT_EQ(state.started, 4);
    held.pop_back();  // one ends: room for one more
    ASSERT_TRUE(wait_for([&] { return rt.live_tasks() == 3; }));
    Fd again(SOCK_STREAM);
    ASSERT_TRUE(connect_to(again, ep.port()));
    ASSERT_TRUE(send_all(again, "ping"));
    EXPECT_EQ(receive(again, 4), "ping");
    EXPECT_EQ(state.started, 5);
    EXPECT_TRUE(runner.stop_and_join());
}

// This process's listening IPv4 sockets bound to `port`: one per worker.
std::vector<int> listeners_on(std::uint16_t port) {
    std::vector<int> found;
    for (int fd = 0; fd < 4096; ++fd) {
        int listening = 0;
        socklen_t len = sizeof listening;
        if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) {
            continue;
        }
        sockaddr_in a{};
        socklen_t alen = sizeof a;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &alen) == 0 &&
            a.sin_family == AF_INET && ntohs(a.sin_port) == port) {
            found.push_back(fd);
        }
    }
    return found;
}

int defer_accept_seconds(int listener) {
    int seconds = -1;
    socklen_t len = sizeof seconds;
    ::getsockopt(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, &len);
    return seconds;
}

TEST(Runtime, AListenerWhoseClientSpeaksFirstWaitsForDataButNotForever) {
    Runtime rt(two_threads());
    IdleState state;
    const tcp::endpoint plain = listen_counted(rt, state, 10);
    const tcp::endpoint deferred =
        rt.listen_tcp({"127.0.0.1", 0},
                      [&state](tcp::socket sock, Task& task) -> asio::awaitable<void> {
                          ++state.started;
                          co_await echo(std::move(sock), task);
                      },
                      {.client_speaks_first = true});
    const auto plain_listeners = listeners_on(plain.port());
    const auto deferred_listeners = listeners_on(deferred.port());
    ASSERT_EQ(plain_listeners.size(), 2u);
    ASSERT_EQ(deferred_listeners.size(), 2u);
    for (int fd : plain_listeners) {
        EXPECT_EQ(defer_accept_seconds(fd), 0);
    }
    for (int fd : deferred_listeners) {
        EXPECT_EQ(defer_accept_seconds(fd), 1);
    }
    Runner runner(rt);
    Fd talker(SOCK_STREAM);
    ASSERT_TRUE(connect_to(talker, deferred.port()));
    ASSERT_TRUE(send_all(talker, "first words"));
    EXPECT_EQ(receive(talker, 11), "first words");
    EXPECT_EQ(state.started, 1);
    // A client that never speaks is handed over all the same, once the kernel gives up
    // waiting for its data; the server's own deadlines then apply to it.
    Fd silent(SOCK_STREAM);
    ASSERT_TRUE(connect_to(silent, deferred.port()));
    EXPECT_TRUE(wait_for([&] { return state.started == 2; }));
    EXPECT_TRUE(runner.stop_and_join());
}

std::string listen_error(const std::function<void()>& listen) {
    try {
        listen();
    } catch (const std::system_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no std::system_error thrown";
    return "";
}

TEST(Runtime, TcpPortInUse) {
    Fd other(SOCK_STREAM);  // no SO_REUSEPORT, no SO_REUSEADDR
    ASSERT_TRUE(bind_to(other, 0));
    ASSERT_EQ(::listen(other.get(), 1), 0);
    const std::uint16_t port = local_port(other);
    Runtime rt(two_threads());
    const std::string msg = listen_error([&] { rt.listen_tcp({"127.0.0.1", port}, echo); });
    EXPECT_NE(msg.find("already in use"), std::string::npos) << msg;
    EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << msg;
}

asio::awaitable<void> udp_ignore(std::shared_ptr<udp::socket> sock, Task& task) {
    auto guard = task.on_interrupt([sock] {
        std::error_code ignored;
        sock->cancel(ignored);
    });
    std::array<char, 16> buf{};
    udp::endpoint from;
    task.set_idle(true);
    co_await sock->async_receive_from(asio::buffer(buf), from, as_tuple_awaitable);
}

TEST(Runtime, UdpPortInUse) {
    Fd other(SOCK_DGRAM);
    ASSERT_TRUE(bind_to(other, 0));
    const std::uint16_t port = local_port(other);
    Runtime rt(two_threads());
    const std::string msg = listen_error([&] { rt.listen_udp({"127.0.0.1", port}, udp_ignore); });
    EXPECT_NE(msg.find("already in use"), std::string::npos) << msg;
    EXPECT_NE(msg.find("udp"), std::string::npos) << msg;
}

TEST(Runtime, AddressNotOnThisMachine) {
    {
        // Skip where the host allows binding foreign addresses (ip_nonlocal_bind).
        Fd probe(SOCK_STREAM);
        sockaddr_in a = loopback(0);
        ::inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
        if (::bind(probe.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
            GTEST_SKIP() << "this host binds non-local addresses";
        }
    }
    Runtime rt(two_threads());
    const std::string msg = listen_error([&] { rt.listen_tcp({"192.0.2.1", 0}, echo); });
    EXPECT_NE(msg.find("not on this machine"), std::string::npos) << msg;
}

struct UdpState {
    std::mutex mutex;
    std::vector<std::uint16_t> ports;  // local port of each worker's socket
    std::atomic<int> datagrams{0};
    std::atomic<int> loops_ended{0};
};

TEST(Runtime, UdpSharesOnePortAcrossWorkers) {
    Runtime rt(two_threads());
    UdpState state;
    const udp::endpoint ep = rt.listen_udp(
        {"127.0.0.1", 0},
        [&state](std::shared_ptr<udp::socket> sock, Task& task) -> asio::awaitable<void> {
            {
                std::lock_guard lock(state.mutex);
                state.ports.push_back(sock->local_endpoint().port());
            }
            auto guard = task.on_interrupt([sock] {
                std::error_code ignored;
                sock->cancel(ignored);
            });
            std::array<char, 2048> buf{};
            udp::endpoint from;
            while (sock->is_open() && !task.draining()) {
                task.set_idle(true);
                const auto [ec, n] =
                    co_await sock->async_receive_from(asio::buffer(buf), from, as_tuple_awaitable);
                task.set_idle(false);
                if (ec) {
                    break;
                }
                ++state.datagrams;
                const std::string reply = "got " + std::string(buf.data(), n);
                co_await sock->async_send_to(asio::buffer(reply), from, as_tuple_awaitable);
            }
            ++state.loops_ended;
        });
    ASSERT_NE(ep.port(), 0);
    Runner runner(rt);
    ASSERT_TRUE(wait_for([&] {
        std::lock_guard lock(state.mutex);
        return state.ports.size() == 2;
    }));
    {
        std::lock_guard lock(state.mutex);
        for (std::uint16_t p : state.ports) {
            EXPECT_EQ(p, ep.port());
        }
    }
    EXPECT_EQ(rt.live_tasks(), 2u);

    Fd client(SOCK_DGRAM);
    const sockaddr_in to = loopback(ep.port());
    for (int i = 0; i < 4; ++i) {
        const std::string msg = "datagram " + std::to_string(i);
        ASSERT_EQ(::sendto(client.get(), msg.data(), msg.size(), 0,
                           reinterpret_cast<const sockaddr*>(&to), sizeof to),
                  static_cast<ssize_t>(msg.size()));
        char buf[64];
        const ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
        ASSERT_GT(n, 0) << "no reply: " << std::strerror(errno);
        EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "got " + msg);
    }
    EXPECT_EQ(state.datagrams, 4);

    EXPECT_TRUE(runner.stop_and_join());
    EXPECT_EQ(state.loops_ended, 2);
    EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST(Runtime, TcpAndUdpOnOneRuntime) {
    Runtime rt(two_threads());
    const tcp::endpoint tcp_ep = rt.listen_tcp({"127.0.0.1", 0}, echo);
    const udp::endpoint udp_ep = rt.listen_udp({"127.0.0.1", 0}, udp_ignore);
    Runner runner(rt);
    Fd client(SOCK_STREAM);
    ASSERT_TRUE(connect_to(client, tcp_ep.port()));
    ASSERT_TRUE(send_all(client, "x"));
    EXPECT_EQ(receive(client, 1), "x");
    EXPECT_NE(udp_ep.port(), 0);
    EXPECT_TRUE(runner.stop_and_join());
    EXPECT_EQ(rt.live_tasks(), 0u);
    EXPECT_TRUE(sees_close(client));
}

}  // namespace
}  // namespace l7::net
