#pragma once
// A listener's accept loop as one reactor operation of Asio's own kind, so that accepting
// costs what nginx pays: one accept4 per connection, one more that finds the queue empty at
// the end of a burst, and no epoll_ctl at all. The listening socket stays registered for
// reading, edge-triggered, as Asio registers every socket; an operation that finds the queue
// empty is parked in Asio's queue for that socket and tried again on the next edge.
//
// Asio's async_accept would park the same way but calls accept(), whose sockets start
// blocking (an ioctl each before their first wait); its async_wait re-arms epoll with an
// epoll_ctl MOD on every wait. This file and its .cpp are the only ones that reach into
// Asio's internals (checked against Asio 1.22 by a static_assert there).

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>

namespace l7::net {

class AcceptLoop : public std::enable_shared_from_this<AcceptLoop> {
  public:
    // Takes each new connection: a socket of the loop's io_context, from
    // accept4(SOCK_CLOEXEC | SOCK_NONBLOCK), which Asio knows to be non-blocking already.
    using OnAccept = std::function<void(asio::ip::tcp::socket)>;

    // `acceptor`: open, bound, listening and non-blocking; the loop takes its descriptor.
    AcceptLoop(asio::io_context& io, asio::ip::tcp::acceptor&& acceptor, OnAccept on_accept);
    ~AcceptLoop();

    // Starts accepting (on the io_context's thread), until stop().
    void start();

    // On the io_context's thread: closes the listening socket and ends a pause after an
    // error; the operation then completes as aborted and frees itself.
    void stop();

    class Socket;  // the listening socket, with access to Asio's state for it

  private:
    friend class AcceptOp;
    void hand_over(int fd);

    asio::io_context& io_;
    std::unique_ptr<Socket> socket_;
    asio::ip::tcp protocol_;
    asio::steady_timer pause_;  // after EMFILE and the like: accepting again at once would spin
    OnAccept on_accept_;
};

}  // namespace l7::net
