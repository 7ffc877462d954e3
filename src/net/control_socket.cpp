#include "net/control_socket.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>
#include <cstdlib>
#include <memory>

#include "core/log.hpp"
#include "net/timeout.hpp"

namespace l7::net {
namespace {

using Local = asio::local::stream_protocol;

constexpr std::size_t kMaxCommand = 4096;
constexpr auto kIoTimeout = std::chrono::seconds(10);

asio::awaitable<void> answer(Local::socket sock, std::shared_ptr<ControlHandler> handler) {
    asio::streambuf in(kMaxCommand);
    auto got = co_await with_timeout(asio::async_read_until(sock, in, '\n', as_tuple_awaitable),
                                     kIoTimeout);
    std::string reply;
    if (!got || std::get<0>(*got)) {
        reply = "error: expected one command line of at most 4096 bytes\n";
    } else {
        std::string line(
            asio::buffers_begin(in.data()),
            asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(std::get<1>(*got)));
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
            line.pop_back();
        }
        reply = (*handler)(line);
    }
    co_await with_timeout(asio::async_write(sock, asio::buffer(reply), as_tuple_awaitable),
                          kIoTimeout);
    std::error_code ignored;
    sock.shutdown(Local::socket::shutdown_both, ignored);
}

// Whether a server answers on `path` now.
bool someone_listens(const std::string& path) {
    asio::io_context io;
    Local::socket probe(io);
    std::error_code ec;
    probe.connect(Local::endpoint(path), ec);
    return !ec;
}

}  // namespace

std::string default_control_path(const std::string& name) {
    if (const char* dir = std::getenv("XDG_RUNTIME_DIR"); dir != nullptr && *dir != '\0') {
        return std::string(dir) + "/l7-" + name + ".sock";
    }
    return "/tmp/l7-" + name + "-" + std::to_string(::getuid()) + ".sock";
}

void serve_control_socket(Runtime& runtime, const std::string& path, ControlHandler handler) {
    Worker& worker = runtime.worker(0);
    if (someone_listens(path)) {
        throw BindError(
            std::make_error_code(std::errc::address_in_use),
            "cannot use control socket " + path + ": another server is listening on it");
    }
    ::unlink(path.c_str());  // left by a server that is gone
    auto acceptor = std::make_shared<Local::acceptor>(worker.io);
    std::error_code ec;
    acceptor->open(Local(), ec);
    // Owner only from the start: the umask is narrowed around bind, not chmod-ed afterwards.
    const mode_t old_mask = ::umask(0077);
    if (!ec) {
        acceptor->bind(Local::endpoint(path), ec);
    }
    ::umask(old_mask);
    if (!ec) {
        acceptor->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw BindError(ec, "cannot create control socket " + path + ": " + ec.message());
    }
    log::info("control", "control socket " + path);
    auto shared_handler = std::make_shared<ControlHandler>(std::move(handler));
    worker.tasks.spawn([acceptor, shared_handler, &worker](Task& task) -> asio::awaitable<void> {
        auto guard = task.on_interrupt([acceptor] {
            std::error_code ignored;
            acceptor->close(ignored);
        });
        while (acceptor->is_open() && !task.draining()) {
            task.set_idle(true);
            auto [error, sock] = co_await acceptor->async_accept(as_tuple_awaitable);
            task.set_idle(false);
            if (error) {
                break;
            }
            worker.tasks.spawn([s = std::make_shared<Local::socket>(std::move(sock)),
                                shared_handler](Task&) mutable -> asio::awaitable<void> {
                return answer(std::move(*s), shared_handler);
            });
        }
    });
    worker.stop_hooks.push_back([acceptor, path] {
        std::error_code ignored;
        acceptor->close(ignored);
        ::unlink(path.c_str());
    });
}

Result<std::string> control_request(const std::string& path, std::string_view command,
                                    std::chrono::milliseconds timeout) {
    asio::io_context io;
    Local::socket sock(io);
    std::error_code ec;
    sock.connect(Local::endpoint(path), ec);
    if (ec) {
        return make_error("no server is listening on control socket " + path + " (" + ec.message() +
                          ")");
    }
    std::string request(command);
    request += '\n';
    std::string reply;
    bool ok = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto written = co_await with_timeout(
                asio::async_write(sock, asio::buffer(request), as_tuple_awaitable), timeout);
            if (!written || std::get<0>(*written)) {
                co_return;
            }
            asio::streambuf in;
            auto got = co_await with_timeout(
                asio::async_read(sock, in, asio::transfer_all(), as_tuple_awaitable), timeout);
            if (!got) {
                co_return;
            }
            reply.assign(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
            ok = std::get<0>(*got) == asio::error::eof || !std::get<0>(*got);
        },
        asio::detached);
    io.run();
    if (!ok) {
        return make_error("no answer on control socket " + path + " within " +
                          std::to_string(timeout.count()) + " ms");
    }
    return reply;
}

}  // namespace l7::net
