// AcceptLoop on loopback with port 0: connections come out as sockets whose descriptors are
// non-blocking and close-on-exec, as Asio knows; stop() ends the loop; an io_context destroyed with
// the loop running frees it (AddressSanitizer's leak check sees to that); running out of
// descriptors pauses the loop rather than ending or spinning it (in the build without sanitizers).
// Every run is bounded by a deadline or a count.

#include "net/accept_loop.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <vector>

namespace l7::net {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

tcp::acceptor listening(asio::io_context& io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor.non_blocking(true);
    return acceptor;
}

// Connects a blocking client socket to `port`: its descriptor, or -1 if refused. (The
// handshake completes in the kernel's queue, before anyone accepts.)
int try_connect(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int connect_to(unsigned short port) {
    const int fd = try_connect(port);
    EXPECT_GE(fd, 0) << "connection to port " << port << " refused";
    return fd;
}

// Runs `io` until `done()` or 20 s have passed.
template <class Done>
void run_until(asio::io_context& io, Done done) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        io.run_for(10ms);
        io.restart();
    }
}

struct Accepted {
    std::vector<tcp::socket> sockets;
};

// A loop on a new listener of `io` that keeps what it accepts in `accepted`; its port in `port`.
std::shared_ptr<AcceptLoop> start_loop(asio::io_context& io, Accepted& accepted,
                                       unsigned short& port) {
    tcp::acceptor acceptor = listening(io);
    port = acceptor.local_endpoint().port();
    auto loop = std::make_shared<AcceptLoop>(io, std::move(acceptor), [&accepted](tcp::socket s) {
        accepted.sockets.push_back(std::move(s));
    });
    loop->start();
    return loop;
}

TEST(AcceptLoop, HandsOverEachConnectionAsANonBlockingCloseOnExecSocket) {
    asio::io_context io;
    Accepted accepted;
    unsigned short port = 0;
    auto loop = start_loop(io, accepted, port);
    std::vector<int> clients;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(connect_to(port));
    }
    run_until(io, [&] { return accepted.sockets.size() == clients.size(); });
    ASSERT_EQ(accepted.sockets.size(), clients.size());
    for (tcp::socket& s : accepted.sockets) {
        ASSERT_TRUE(s.is_open());
        EXPECT_TRUE(::fcntl(s.native_handle(), F_GETFL) & O_NONBLOCK);
        EXPECT_TRUE(::fcntl(s.native_handle(), F_GETFD) & FD_CLOEXEC);
        // Asio's state agrees, so it never switches the descriptor with an ioctl of its own.
        EXPECT_TRUE(s.native_non_blocking());
        EXPECT_EQ(s.remote_endpoint().address().to_string(), "127.0.0.1");
    }
    // More after a quiet spell: the operation parked in Asio's queue is woken by the edge.
    clients.push_back(connect_to(port));
    run_until(io, [&] { return accepted.sockets.size() == clients.size(); });
    EXPECT_EQ(accepted.sockets.size(), clients.size());
    loop->stop();
    for (int fd : clients) {
        ::close(fd);
    }
}

TEST(AcceptLoop, StopClosesTheListenerAndEndsTheLoop) {
    asio::io_context io;
    Accepted accepted;
    unsigned short port = 0;
    std::weak_ptr<AcceptLoop> weak;
    {
        auto loop = start_loop(io, accepted, port);
        weak = loop;
        io.poll();
        io.restart();
        loop->stop();
    }
    io.run_for(20s);  // returns as soon as no work is left: the operation ended
    EXPECT_TRUE(io.stopped());
    EXPECT_TRUE(weak.expired());
    EXPECT_LT(try_connect(port), 0);  // nobody listens any more
}

TEST(AcceptLoop, AnIoContextDestroyedWithTheLoopRunningFreesIt) {
    std::weak_ptr<AcceptLoop> weak;
    {
        asio::io_context io;
        tcp::acceptor acceptor = listening(io);
        auto loop = std::make_shared<AcceptLoop>(io, std::move(acceptor), [](tcp::socket) {});
        weak = loop;
        loop->start();
        io.poll();  // the operation is parked, holding the loop
        loop.reset();
        EXPECT_FALSE(weak.expired());
    }
    EXPECT_TRUE(weak.expired());
}

TEST(AcceptLoop, RunningOutOfDescriptorsPausesTheLoopUntilThereAreSome) {
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizers open a pipe to probe memory when they check a call; with no descriptor
    // left they report memory they cannot read as a bad object. The plain build runs this.
    GTEST_SKIP() << "takes away the descriptors the sanitizers need";
#endif
    asio::io_context io;
    Accepted accepted;
    unsigned short port = 0;
    auto loop = start_loop(io, accepted, port);
    const int client = connect_to(port);
    // Use up every descriptor the soft limit allows, so that accept4 fails with EMFILE.
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit low = saved;
    low.rlim_cur = 256;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    std::vector<int> fillers;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) {
        fillers.push_back(fd);
    }
    EXPECT_EQ(errno, EMFILE);
    io.run_for(300ms);  // a few tries, each failing with EMFILE and pausing
    io.restart();
    EXPECT_TRUE(accepted.sockets.empty());
    for (int fd : fillers) {
        ::close(fd);
    }
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
    // With descriptors to spare, the next try after the pause takes the queued connection.
    run_until(io, [&] { return !accepted.sockets.empty(); });
    EXPECT_EQ(accepted.sockets.size(), 1u);
    loop->stop();
    ::close(client);
}

}  // namespace
}  // namespace l7::net
