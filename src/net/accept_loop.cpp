#include "net/accept_loop.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <asio/detail/reactor.hpp>
#include <asio/detail/reactor_op.hpp>
#include <asio/post.hpp>
#include <asio/version.hpp>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>

#include "core/log.hpp"

namespace l7::net {

// This reaches into Asio: its reactor, its reactor_op, a socket's reactor data and state flags
// (through the protected member basic_socket gives derived classes), as Asio 1.22 has them.
static_assert(ASIO_VERSION >= 102200 && ASIO_VERSION < 103000,
              "AcceptLoop runs an operation in Asio's reactor: check its interface for this Asio");

class AcceptLoop::Socket : public asio::ip::tcp::socket {
  public:
    using asio::ip::tcp::socket::socket;
    auto& state() { return impl_.get_implementation(); }
};

namespace {

// Asio marks a socket it did not open itself as possibly dup()-ed, so that closing it also
// takes it out of epoll (an epoll_ctl the kernel does by itself when the last descriptor of
// a socket closes), and as blocking, so that its first wait switches it with an ioctl. A
// descriptor fresh from accept4(SOCK_NONBLOCK) is neither: saying so saves two system calls
// per connection.
class AcceptedSocket : public asio::ip::tcp::socket {
  public:
    AcceptedSocket(asio::io_context& io, const asio::ip::tcp& protocol, int fd, std::error_code& ec)
        : asio::ip::tcp::socket(io) {
        assign(protocol, fd, ec);
        if (!ec) {
            auto& state = impl_.get_implementation().state_;
            state &= static_cast<unsigned char>(~asio::detail::socket_ops::possible_dup);
            state |= asio::detail::socket_ops::internal_non_blocking;
        }
    }
};

// Errors of the new connection that Linux reports from accept(2), which its manual says to
// treat like EAGAIN: skip that connection and accept the next.
bool skip_and_go_on(int error) {
    switch (error) {
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case EPERM:  // refused by a firewall rule
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
            return true;
        default:
            return false;
    }
}

}  // namespace

// One accept at a time: Asio tries it when the listening socket becomes readable (or at
// once, when started with try_now), and on success runs complete() through the scheduler
// like any handler, so other work interleaves with a burst of connections. Owned by Asio
// while queued; it frees itself when the loop ends or the io_context drops it.
class AcceptOp final : public asio::detail::reactor_op {
  public:
    explicit AcceptOp(std::shared_ptr<AcceptLoop> loop)
        : reactor_op(asio::error_code(), &AcceptOp::try_accept, &AcceptOp::complete),
          loop_(std::move(loop)),
          reactor_(asio::use_service<asio::detail::reactor>(loop_->io_)) {}

    void start(bool try_now) {
        fd_ = -1;
        ec_ = asio::error_code();
        auto& state = loop_->socket_->state();
        reactor_.start_op(asio::detail::reactor::read_op, state.socket_, state.reactor_data_, this,
                          /*is_continuation=*/false, /*allow_speculative=*/try_now);
    }

  private:
    static status try_accept(reactor_op* base) {
        auto* op = static_cast<AcceptOp*>(base);
        const int listener = op->loop_->socket_->native_handle();
        for (;;) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0) {
                op->fd_ = fd;
                return done;
            }
            const int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK) {
                return not_done;  // parked until the next edge
            }
            if (!skip_and_go_on(error)) {
                op->ec_ = asio::error_code(error, asio::error::get_system_category());
                return done;
            }
        }
    }

    static void complete(void* owner, asio::detail::operation* base, const asio::error_code&,
                         std::size_t) {
        auto* op = static_cast<AcceptOp*>(base);
        if (owner == nullptr) {  // the io_context is going away with the operation queued
            if (op->fd_ >= 0) {
                ::close(op->fd_);
            }
            delete op;
            return;
        }
        op->completed();
    }

    void completed() {
        AcceptLoop& loop = *loop_;
        if (fd_ >= 0) {
            loop.hand_over(std::exchange(fd_, -1));
        }
        if (ec_ == asio::error::operation_aborted || !loop.socket_->is_open()) {
            delete this;
            return;
        }
        if (ec_) {
            // Out of descriptors or memory: the queued connections raise no new edge, and
            // trying again at once would spin; wait a little, then try.
            log::warn("runtime", "accept failed: " + ec_.message());
            loop.pause_.expires_after(std::chrono::milliseconds(100));
            loop.pause_.async_wait(Resume(this));
            return;
        }
        start(true);
    }

    // The pause's handler: it owns the operation until it runs, and frees it if the
    // io_context drops it unrun.
    struct Resume {
        AcceptOp* op;
        explicit Resume(AcceptOp* o) : op(o) {}
        Resume(Resume&& other) noexcept : op(std::exchange(other.op, nullptr)) {}
        Resume& operator=(Resume&&) = delete;
        ~Resume() { delete op; }
        void operator()(const std::error_code&) {
            AcceptOp* resumed = std::exchange(op, nullptr);
            if (!resumed->loop_->socket_->is_open()) {
                delete resumed;
                return;
            }
            resumed->start(true);
        }
    };

    std::shared_ptr<AcceptLoop> loop_;
    asio::detail::reactor& reactor_;
    int fd_ = -1;
};

AcceptLoop::AcceptLoop(asio::io_context& io, asio::ip::tcp::acceptor&& acceptor, OnAccept on_accept)
    : io_(io),
      socket_(std::make_unique<Socket>(io)),
      protocol_(acceptor.local_endpoint().protocol()),
      pause_(io),
      on_accept_(std::move(on_accept)) {
    socket_->assign(protocol_, acceptor.release());
}

AcceptLoop::~AcceptLoop() = default;

void AcceptLoop::hand_over(int fd) {
    std::error_code ec;
    AcceptedSocket accepted(io_, protocol_, fd, ec);
    if (ec) {  // epoll refused it (out of memory): nothing more can be done with it
        ::close(fd);
        log::warn("runtime", "cannot take a new connection: " + ec.message());
        return;
    }
    on_accept_(asio::ip::tcp::socket(std::move(accepted)));
}

void AcceptLoop::start() {
    asio::post(io_, [self = shared_from_this()] { (new AcceptOp(self))->start(true); });
}

void AcceptLoop::stop() {
    std::error_code ignored;
    socket_->close(ignored);
    pause_.cancel();
}

}  // namespace l7::net
