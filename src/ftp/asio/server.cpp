#include "ftp/asio/server.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/write.hpp>
#include <map>
#include <random>
#include <variant>

#include "core/log.hpp"
#include "core/staged_file.hpp"
#include "ftp/ascii.hpp"
#include "ftp/asio/confined_fs.hpp"
#include "ftp/session.hpp"
#include "net/timeout.hpp"
#include "tls/asio/stream.hpp"

namespace l7::ftp {
namespace {

using tcp = asio::ip::tcp;
namespace fs = std::filesystem;
using Status = FtpTransferOutcome::Status;
constexpr std::size_t kChunk = 64 * 1024;

struct Service {
    FtpServiceOptions options;
    std::map<std::string, FtpAccount, std::less<>> accounts;
};

// One transfer, shared by the control coroutine and the transfer's own.
struct Transfer {
    explicit Transfer(const asio::any_io_executor& ex)
        : data(ex), go(ex, std::chrono::steady_clock::time_point::max()) {}
    tcp::socket data;
    std::optional<tls::TlsStream> secure;     // PROT P: over `data`, once the 150 is out
    std::shared_ptr<tcp::acceptor> listener;  // passive: taken from the connection
    asio::steady_timer go;                    // cancelled once the 150 is written
    bool go_given = false;
    bool aborted = false;
    std::optional<bool> connected;
    bool connected_reported = false;
    std::optional<FtpTransferOutcome> outcome;
};

// A control connection: its session and everything the coroutines share (one thread).
struct Connection {
    Connection(tcp::socket s, FtpServerConfig config)
        : sock(std::move(s)),
          wake(sock.get_executor(), std::chrono::steady_clock::time_point::max()),
          reader_wake(sock.get_executor(), std::chrono::steady_clock::time_point::max()),
          session(std::move(config)) {}
    tcp::socket sock;
    std::optional<tls::TlsStream> tls;  // after AUTH TLS: over `sock`
    asio::steady_timer wake;         // cancelled by the reader and the transfer: something changed
    asio::steady_timer reader_wake;  // cancelled by the control coroutine: input room again
    bool dirty = false;
    bool reader_done = false;
    FtpServerSession session;
    std::unique_ptr<ConfinedFileSystem> files;
    std::shared_ptr<tcp::acceptor> passive;
    std::shared_ptr<Transfer> transfer;
    std::string peer_text;

    void poke() {
        dirty = true;
        wake.cancel();
    }
};

std::optional<FtpLogin> check_login(const Service& service, Connection& c,
                                    const FtpCheckCredentials& cred) {
    const FtpServiceOptions& o = service.options;
    std::optional<fs::path> root;
    bool writable = false;
    if (cred.user == "anonymous") {
        root = o.anonymous_root;
    } else if (o.passwords && o.passwords->verify(cred.user, cred.password)) {
        const auto account = service.accounts.find(cred.user);
        if (account != service.accounts.end()) {
            root = account->second.root;
            writable = account->second.writable && !o.read_only;
        } else {
            root = o.default_root;
            writable = !o.read_only;
        }
    }
    if (!root) {
        log::info("ftp", c.peer_text + ": login failed for '" + cred.user + "'");
        return std::nullopt;
    }
    try {
        c.files = std::make_unique<ConfinedFileSystem>(*root);
    } catch (const fs::filesystem_error& e) {
        log::error("ftp", root->string() + ": cannot serve it: " + e.code().message());
        return std::nullopt;
    }
    log::info("ftp", c.peer_text + ": '" + cred.user + "' logged in");
    return FtpLogin{c.files.get(), writable};
}

// A listener for PASV/EPSV on the control connection's local address: a port of the range
// (from a random start, so that sessions spread), or an ephemeral one.
std::shared_ptr<tcp::acceptor> open_passive(const Service& service, Connection& c) {
    std::error_code ec;
    const auto local = c.sock.local_endpoint(ec);
    if (ec) {
        return nullptr;
    }
    const auto lo = service.options.passive_port_min;
    const auto hi = service.options.passive_port_max;
    const unsigned span = lo == 0 ? 1 : static_cast<unsigned>(hi - lo) + 1;
    thread_local std::minstd_rand random{std::random_device{}()};
    const unsigned start = lo == 0 ? 0 : static_cast<unsigned>(random() % span);
    for (unsigned i = 0; i < span; ++i) {
        const std::uint16_t port =
            lo == 0 ? 0 : static_cast<std::uint16_t>(lo + (start + i) % span);
        auto acceptor = std::make_shared<tcp::acceptor>(c.sock.get_executor());
        acceptor->open(local.protocol(), ec);
        if (ec) {
            return nullptr;
        }
        acceptor->bind(tcp::endpoint(local.address(), port), ec);
        if (!ec) {
            acceptor->listen(1, ec);
        }
        if (!ec) {
            return acceptor;
        }
    }
    log::warn("ftp", "no free passive port in " + std::to_string(lo) + "-" + std::to_string(hi));
    return nullptr;
}

asio::awaitable<bool> open_data(const Service& service, std::shared_ptr<Connection> c,
                                std::shared_ptr<Transfer> t, const FtpTransfer& spec) {
    const auto deadline = service.options.data_connect_timeout;
    std::error_code ec;
    const auto peer = c->sock.remote_endpoint(ec);
    if (ec) {
        co_return false;
    }
    if (!spec.active) {
        if (!t->listener) {
            co_return false;
        }
        // Only the control connection's peer may connect (a few strangers are turned away).
        for (int attempt = 0; attempt < 8 && !t->aborted; ++attempt) {
            auto got = co_await net::with_timeout(
                t->listener->async_accept(net::as_tuple_awaitable), deadline);
            if (!got || std::get<0>(*got)) {
                co_return false;
            }
            tcp::socket s = std::move(std::get<1>(*got));
            const auto from = s.remote_endpoint(ec);
            if (!ec && from.address() == peer.address()) {
                t->data = std::move(s);
                t->listener->close(ec);
                co_return true;
            }
            log::warn("ftp", c->peer_text + ": a data connection from another address, refused");
        }
        co_return false;
    }
    const auto address = asio::ip::make_address(spec.active->address, ec);
    if (ec) {
        co_return false;
    }
    // From the control connection's local address, as the client expects data from us.
    t->data.open(address.is_v4() ? tcp::v4() : tcp::v6(), ec);
    if (!ec) {
        t->data.bind(tcp::endpoint(c->sock.local_endpoint(ec).address(), 0), ec);
    }
    if (ec) {
        co_return false;
    }
    auto done = co_await net::with_timeout(
        t->data.async_connect(tcp::endpoint(address, spec.active->port), net::as_tuple_awaitable),
        deadline);
    co_return done && !std::get<0>(*done);
}

Status status_of(const std::error_code& ec, const Transfer& t) {
    if (t.aborted) {
        return Status::aborted;
    }
    return ec ? Status::connection_lost : Status::complete;
}

// The bytes of a transfer go through TLS after PROT P, else straight to the socket.
asio::awaitable<std::tuple<std::error_code, std::size_t>> write_data(Transfer& t,
                                                                     asio::const_buffer bytes) {
    if (t.secure) {
        co_return co_await asio::async_write(*t.secure, bytes, net::as_tuple_awaitable);
    }
    co_return co_await asio::async_write(t.data, bytes, net::as_tuple_awaitable);
}

asio::awaitable<std::tuple<std::error_code, std::size_t>> read_data(Transfer& t,
                                                                    asio::mutable_buffer room) {
    if (t.secure) {
        auto [ec, n] = co_await t.secure->async_read_some(room, net::as_tuple_awaitable);
        // A peer that closes without TLS's close_notify has still sent all it meant to in
        // stream mode (most FTP clients do; vsftpd's strict_ssl_read_eof is off too).
        if (ec == asio::ssl::error::stream_truncated) {
            ec = asio::error::eof;
        }
        co_return std::tuple{ec, n};
    }
    co_return co_await t.data.async_read_some(room, net::as_tuple_awaitable);
}

asio::awaitable<Status> write_all(const Service& service, Transfer& t, std::string_view bytes) {
    auto w = co_await net::with_timeout(write_data(t, asio::buffer(bytes.data(), bytes.size())),
                                        service.options.transfer_timeout);
    if (!w) {
        co_return t.aborted ? Status::aborted : Status::connection_lost;
    }
    co_return status_of(std::get<0>(*w), t);
}

asio::awaitable<FtpTransferOutcome> send_file(const Service& service, Connection& c, Transfer& t,
                                              const FtpTransfer& spec) {
    auto real = c.files->existing(spec.path);
    if (!real) {
        co_return FtpTransferOutcome{real.error() == FsError::not_found ? Status::not_found
                                                                        : Status::permission};
    }
    const int fd = ::open(real->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        co_return FtpTransferOutcome{errno == ENOENT ? Status::not_found : Status::permission};
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    FtpTransferOutcome out;
    off_t offset = static_cast<off_t>(spec.offset);
    if (!spec.ascii && !t.secure) {
        t.data.native_non_blocking(true);
        for (;;) {
            const ssize_t n = ::sendfile(t.data.native_handle(), fd, &offset, 1 << 20);
            if (n > 0) {
                out.bytes += static_cast<std::uint64_t>(n);
                continue;
            }
            if (n == 0) {
                co_return out;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                out.status = t.aborted ? Status::aborted : Status::connection_lost;
                co_return out;
            }
            auto ready = co_await net::with_timeout(
                t.data.async_wait(tcp::socket::wait_write, net::as_tuple_awaitable),
                service.options.transfer_timeout);
            if (!ready || std::get<0>(*ready) || t.aborted) {
                out.status = t.aborted ? Status::aborted : Status::connection_lost;
                co_return out;
            }
        }
    }
    AsciiEncoder encoder;
    std::string chunk(kChunk, '\0');
    std::string wire;
    for (;;) {
        const ssize_t n = ::pread(fd, chunk.data(), chunk.size(), offset);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            out.status = Status::local_error;
            co_return out;
        }
        if (n == 0) {
            co_return out;
        }
        offset += n;
        const std::string_view read(chunk.data(), static_cast<std::size_t>(n));
        if (spec.ascii) {
            wire.clear();
            encoder.encode(read, wire);
        }
        out.status = co_await write_all(service, t, spec.ascii ? std::string_view(wire) : read);
        if (out.status != Status::complete) {
            co_return out;
        }
        out.bytes += spec.ascii ? wire.size() : read.size();
    }
}

// The part of the existing file an upload keeps (REST n then STOR, or APPE) copied into the
// staged file first.
std::optional<FsError> copy_prefix(const fs::path& from, StagedFile& to, std::uint64_t length) {
    if (length == 0) {
        return std::nullopt;
    }
    const int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fs_error_from_errno(errno);
    }
    std::string buffer(kChunk, '\0');
    std::uint64_t done = 0;
    std::optional<FsError> failure;
    while (done < length && !failure) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, length - done));
        const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            failure = FsError::io;
            break;
        }
        if (auto ec = to.write(std::string_view(buffer.data(), static_cast<std::size_t>(n)))) {
            failure = fs_error_from_errno(ec.value());
        }
        done += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return failure;
}

Status status_of(FsError e) {
    switch (e) {
        case FsError::not_found:
            return Status::not_found;
        case FsError::no_space:
            return Status::no_space;
        case FsError::io:
            return Status::local_error;
        default:
            return Status::permission;
    }
}

asio::awaitable<FtpTransferOutcome> receive_file(const Service& service, Connection& c, Transfer& t,
                                                 const FtpTransfer& spec) {
    auto target = c.files->creatable(spec.path);
    if (!target) {
        co_return FtpTransferOutcome{status_of(target.error())};
    }
    std::error_code ec;
    auto staged = StagedFile::create(target->parent_path(), ec);
    if (!staged) {
        co_return FtpTransferOutcome{status_of(fs_error_from_errno(ec.value()))};
    }
    if (auto e = copy_prefix(*target, *staged, spec.offset)) {
        co_return FtpTransferOutcome{status_of(*e)};
    }
    FtpTransferOutcome out;
    AsciiDecoder decoder;
    std::array<char, kChunk> buffer;
    std::string decoded;
    for (;;) {
        auto got = co_await net::with_timeout(read_data(t, asio::buffer(buffer)),
                                              service.options.transfer_timeout);
        if (!got || t.aborted) {
            out.status = t.aborted ? Status::aborted : Status::connection_lost;
            co_return out;  // the staged file goes with `staged`
        }
        const auto [read_ec, n] = *got;
        if (read_ec && read_ec != asio::error::eof) {
            out.status = Status::connection_lost;
            co_return out;
        }
        std::string_view bytes(buffer.data(), n);
        if (spec.ascii) {
            decoded.clear();
            decoder.decode(bytes, decoded);
            if (read_ec == asio::error::eof) {
                decoder.finish(decoded);
            }
            bytes = decoded;
        }
        if (auto e = staged->write(bytes)) {
            out.status = status_of(fs_error_from_errno(e.value()));
            co_return out;
        }
        out.bytes += n;
        if (read_ec == asio::error::eof) {
            break;
        }
    }
    (void)staged->set_mode(0644);
    // On disk (fsynced, renamed, directory fsynced) before the 226.
    const auto committed = spec.kind == FtpTransferKind::store_unique ? staged->create_new(*target)
                                                                      : staged->replace(*target);
    if (committed) {
        log::error("ftp", target->string() + ": cannot store the upload: " + committed.message());
        out.status = status_of(fs_error_from_errno(committed.value()));
    }
    co_return out;
}

// PROT P: the data connection's TLS handshake, with us as the server.
asio::awaitable<bool> secure_data(const Service& service, const Connection& c, Transfer& t) {
    t.secure.emplace(t.data, *service.options.tls);
    // No session tickets here: clients resume the control connection's session, never a data
    // connection's, and a client that only writes (an upload) leaves a ticket unread, so its
    // close resets the connection and the end of the file is lost (curl before 8.9 does this;
    // 426 in 4 of 6 uploads of 1 MB).
    ::SSL_set_num_tickets(t.secure->native_handle(), 0);
    auto shaken = co_await tls::handshake(*t.secure, asio::ssl::stream_base::server,
                                          service.options.data_connect_timeout);
    if (!shaken) {
        log::warn("ftp", c.peer_text + ": data connection: " + shaken.error().message);
        co_return false;
    }
    co_return true;
}

asio::awaitable<void> run_transfer(std::shared_ptr<const Service> service,
                                   std::shared_ptr<Connection> c, std::shared_ptr<Transfer> t,
                                   FtpTransfer spec) {
    const bool connected = co_await open_data(*service, c, t, spec);
    t->connected = connected && !t->aborted;
    c->poke();
    if (!*t->connected) {
        co_return;
    }
    if (!t->go_given) {
        co_await t->go.async_wait(net::as_tuple_awaitable);
    }
    FtpTransferOutcome outcome;
    if (spec.protect && !t->aborted && !co_await secure_data(*service, *c, *t)) {
        outcome.status = t->aborted ? Status::aborted : Status::connection_lost;
    } else if (t->aborted) {
        outcome.status = Status::aborted;
    } else if (spec.kind == FtpTransferKind::listing) {
        outcome.status = co_await write_all(*service, *t, spec.listing);
        outcome.bytes = spec.listing.size();
    } else if (spec.kind == FtpTransferKind::retrieve) {
        outcome = co_await send_file(*service, *c, *t, spec);
    } else {
        outcome = co_await receive_file(*service, *c, *t, spec);
    }
    std::error_code ec;
    if (outcome.status == Status::complete && t->secure) {
        // Under TLS the end of the file is TLS's close_notify (RFC 4217 10.2), which also
        // tells the client the data was not cut short by an attacker.
        co_await tls::shutdown(*t->secure, std::chrono::seconds(5));
    } else if (outcome.status == Status::complete) {
        // The end of the file is the end of the data connection (stream mode, RFC 959 3.4.1).
        t->data.shutdown(tcp::socket::shutdown_send, ec);
    }
    t->data.close(ec);
    if (outcome.status == Status::complete || outcome.status == Status::aborted) {
        log::info("ftp",
                  c->peer_text + ": " + spec.path + ": " +
                      (outcome.status == Status::complete ? "sent/received " : "aborted after ") +
                      std::to_string(outcome.bytes) + " bytes");
    }
    t->outcome = outcome;
    c->poke();
}

void abort_transfer(Connection& c) {
    if (!c.transfer) {
        return;
    }
    Transfer& t = *c.transfer;
    t.aborted = true;
    std::error_code ec;
    t.data.close(ec);
    if (t.listener) {
        t.listener->close(ec);
    }
    t.go.cancel();
}

// Control connection bytes: through TLS after AUTH TLS.
asio::awaitable<std::tuple<std::error_code, std::size_t>> read_control_some(
    Connection& c, asio::mutable_buffer room) {
    if (c.tls) {
        co_return co_await c.tls->async_read_some(room, net::as_tuple_awaitable);
    }
    co_return co_await c.sock.async_read_some(room, net::as_tuple_awaitable);
}

asio::awaitable<std::tuple<std::error_code, std::size_t>> write_control(Connection& c,
                                                                        std::string_view bytes) {
    if (c.tls) {
        co_return co_await asio::async_write(*c.tls, asio::buffer(bytes.data(), bytes.size()),
                                             net::as_tuple_awaitable);
    }
    co_return co_await asio::async_write(c.sock, asio::buffer(bytes.data(), bytes.size()),
                                         net::as_tuple_awaitable);
}

asio::awaitable<void> read_control(std::shared_ptr<Connection> c) {
    std::array<char, 4096> buffer;
    for (;;) {
        const std::size_t room = std::min(buffer.size(), c->session.input_room());
        if (room == 0) {
            // The session holds a command until the transfer ends; the control coroutine wakes
            // us when it takes input again (the timeout only bounds a missed wake-up).
            if (c->session.waiting_for() == FtpWaitingFor::nothing || !c->sock.is_open()) {
                break;
            }
            co_await net::with_timeout(c->reader_wake.async_wait(net::as_tuple_awaitable),
                                       std::chrono::seconds(1));
            continue;
        }
        auto [ec, n] = co_await read_control_some(*c, asio::buffer(buffer.data(), room));
        if (ec == asio::error::operation_aborted && c->sock.is_open()) {
            continue;  // stopped for AUTH TLS's handshake (see start_tls)
        }
        if (ec) {
            c->session.receive({});
            break;
        }
        c->session.receive(std::string_view(buffer.data(), n));
        c->poke();
    }
    c->reader_done = true;
    c->poke();
}

// AUTH TLS accepted: the reader is stopped (a read in flight on the plain socket would take
// the client's first handshake bytes), the 234 goes out in plaintext, then the handshake.
asio::awaitable<bool> start_tls(const Service& service, Connection& c, const FtpStartTls& start) {
    std::error_code ec;
    c.sock.cancel(ec);
    auto written =
        co_await net::with_timeout(write_control(c, start.reply), service.options.write_timeout);
    if (!written || std::get<0>(*written)) {
        co_return false;
    }
    c.tls.emplace(c.sock, *service.options.tls);
    auto shaken = co_await tls::handshake(*c.tls, asio::ssl::stream_base::server,
                                          service.options.write_timeout);
    if (!shaken) {
        log::info("ftp", c.peer_text + ": AUTH TLS: " + shaken.error().message);
        co_return false;
    }
    c.session.trace().record(trace::Direction::note,
                             "TLS handshake done: " + tls::describe(*c.tls));
    co_return true;
}

asio::awaitable<void> serve_ftp(tcp::socket sock, net::Task& task,
                                std::shared_ptr<const Service> service, trace::Tracer& tracer) {
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    const auto local = sock.local_endpoint(ec);
    FtpServerConfig config;
    config.hostname = service->options.hostname;
    config.peer_address = remote.address().to_string();
    config.local_address = local.address().to_string();
    config.anonymous = service->options.anonymous_root.has_value();
    config.tls_available = service->options.tls != nullptr;
    config.tls_required = service->options.tls != nullptr && service->options.tls_required;
    config.clock = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    // Urgent data (the Telnet Synch a client sends with ABOR) stays in the stream.
    sock.set_option(asio::socket_base::out_of_band_inline(true), ec);
    // A reply is one small write after another (150, then 226 when the data is out): with
    // Nagle's algorithm the 226 waits for the client's delayed ACK, 40 ms per transfer.
    sock.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<Connection>(std::move(sock), std::move(config));
    c->peer_text = HostPort{remote.address().to_string(), remote.port()}.to_string();
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    auto guard = task.on_interrupt([c] {
        std::error_code ignored;
        c->sock.close(ignored);
        abort_transfer(*c);
        c->poke();
    });
    c->session.trace().enable(tracer.enabled());
    c->session.start();
    asio::co_spawn(c->sock.get_executor(), read_control(c), asio::detached);

    bool open = true;
    while (open) {
        c->dirty = false;
        if (c->transfer && c->transfer->connected && !c->transfer->connected_reported) {
            c->transfer->connected_reported = true;
            c->session.data_connection_result(*c->transfer->connected);
            if (!*c->transfer->connected) {
                c->transfer.reset();
            }
        }
        if (c->transfer && c->transfer->outcome) {
            const FtpTransferOutcome outcome = *c->transfer->outcome;
            c->transfer.reset();
            c->session.transfer_result(outcome);
        }
        while (auto event = c->session.next_event()) {
            if (auto* send = std::get_if<FtpSend>(&*event)) {
                auto written = co_await net::with_timeout(write_control(*c, send->bytes),
                                                          service->options.write_timeout);
                if (!written || std::get<0>(*written)) {
                    open = false;
                    break;
                }
            } else if (auto* cred = std::get_if<FtpCheckCredentials>(&*event)) {
                c->session.login_result(check_login(*service, *c, *cred));
            } else if (std::holds_alternative<FtpOpenPassive>(*event)) {
                if (c->passive) {
                    c->passive->close(ec);
                }
                c->passive = open_passive(*service, *c);
                std::optional<std::uint16_t> port;
                if (c->passive) {
                    port = c->passive->local_endpoint(ec).port();
                }
                c->session.passive_result(port);
            } else if (std::holds_alternative<FtpClosePassive>(*event)) {
                if (c->passive) {
                    c->passive->close(ec);
                    c->passive.reset();
                }
            } else if (auto* transfer = std::get_if<FtpTransfer>(&*event)) {
                auto t = std::make_shared<Transfer>(c->sock.get_executor());
                if (!transfer->active) {
                    t->listener = std::exchange(c->passive, nullptr);
                }
                c->transfer = t;
                asio::co_spawn(c->sock.get_executor(),
                               run_transfer(service, c, t, std::move(*transfer)), asio::detached);
            } else if (std::holds_alternative<FtpAbort>(*event)) {
                abort_transfer(*c);
            } else if (auto* start = std::get_if<FtpStartTls>(&*event)) {
                c->session.tls_result(co_await start_tls(*service, *c, *start));
            } else if (std::holds_alternative<FtpClose>(*event)) {
                open = false;
                break;
            }
        }
        if (tracer.enabled()) {
            tracer.flush(c->session.trace(), conn, "ftp", c->peer_text);
        }
        if (!open) {
            break;
        }
        if (c->session.input_room() > 0) {
            c->reader_wake.cancel();
        }
        // The 150 is out: the bytes may flow.
        if (c->transfer && c->session.waiting_for() == FtpWaitingFor::transfer &&
            !c->transfer->go_given) {
            c->transfer->go_given = true;
            c->transfer->go.cancel();
        }
        if (c->dirty) {
            continue;
        }
        const bool idle = c->session.waiting_for() == FtpWaitingFor::command;
        task.set_idle(idle);
        if (task.draining() && idle) {
            break;
        }
        auto woke = co_await net::with_timeout(
            c->wake.async_wait(net::as_tuple_awaitable),
            idle ? service->options.idle_timeout : std::chrono::hours(24));
        task.set_idle(false);
        if (!woke && !c->dirty && c->session.waiting_for() == FtpWaitingFor::command) {
            log::info("ftp", c->peer_text + ": idle for " +
                                 std::to_string(service->options.idle_timeout.count() / 1000) +
                                 " s: closing");
            c->session.timed_out();
        }
    }
    if (tracer.enabled()) {
        tracer.flush(c->session.trace(), conn, "ftp", c->peer_text);
    }
    abort_transfer(*c);
    if (c->passive) {
        c->passive->close(ec);
    }
    c->sock.close(ec);
    c->reader_wake.cancel();
}

}  // namespace

std::vector<tcp::endpoint> start_ftp_server(net::Runtime& runtime, const FtpServiceOptions& options,
                                            trace::Tracer& tracer) {
    auto service = std::make_shared<Service>();
    service->options = options;
    for (const auto& [name, account] : options.accounts) {
        service->accounts[name] = account;
    }
    std::shared_ptr<const Service> shared = service;
    std::vector<tcp::endpoint> bound;
    for (const HostPort& address : options.listen) {
        auto on_connection = [shared, &tracer](tcp::socket sock, net::Task& task) {
            return serve_ftp(std::move(sock), task, shared, tracer);
        };
        const auto ep = runtime.listen_tcp(address, on_connection,
                                           {.max_connections = options.max_connections});
        log::info("ftp", "listening on tcp " +
                             HostPort{ep.address().to_string(), ep.port()}.to_string() + " (ftp)");
        bound.push_back(ep);
    }
    return bound;
}

}  // namespace l7::ftp
