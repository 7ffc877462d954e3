#include "ftp/asio/client.hpp"

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>

#include "core/endpoint.hpp"
#include "ftp/ascii.hpp"
#include "net/connect.hpp"
#include "net/timeout.hpp"
#include "tls/asio/stream.hpp"

namespace l7::ftp {
namespace {

using tcp = asio::ip::tcp;

std::string seconds(std::chrono::milliseconds d) {
    return std::to_string((d.count() + 999) / 1000) + " s";
}

std::string endpoint_text(const tcp::endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

// One run: the connections and what the session asked for.
class Driver {
  public:
    Driver(FtpClientRunOptions& options, FtpClientSession& session, FtpLocalData& local,
           const asio::any_io_executor& executor)
        : options_(options),
          session_(session),
          local_(local),
          control_(executor),
          data_(executor) {}

    asio::awaitable<FtpClientRun> run();

  private:
    asio::awaitable<bool> connect_control(FtpClientRun& run);
    asio::awaitable<void> handle(FtpClientEvent& event);
    asio::awaitable<void> send(const std::string& bytes);
    asio::awaitable<void> read_control();
    asio::awaitable<void> open_passive(std::uint16_t port);
    void listen();
    asio::awaitable<void> transfer(const FtpClientTransfer& transfer);
    asio::awaitable<std::optional<std::string>> accept();
    asio::awaitable<void> download(const FtpClientTransfer& transfer);
    asio::awaitable<void> upload(const FtpClientTransfer& transfer);
    asio::awaitable<void> start_tls();
    asio::awaitable<std::tuple<std::error_code, std::size_t>> read_data();
    asio::awaitable<std::tuple<std::error_code, std::size_t>> write_data(asio::const_buffer b);
    void note(std::string text) { session_.trace().record(trace::Direction::note, text); }
    void flush_trace();
    void close_data();

    FtpClientRunOptions& options_;
    FtpClientSession& session_;
    FtpLocalData& local_;
    tcp::socket control_;
    tcp::endpoint peer_;  // the control connection's
    tcp::endpoint local_end_;
    tcp::socket data_;
    std::optional<tls::TlsStream> control_tls_;  // over control_, after AUTH TLS
    std::optional<tls::TlsStream> data_tls_;     // over data_, with PROT P
    std::optional<tcp::acceptor> acceptor_;      // active mode
    std::uint64_t trace_id_ = 0;
    std::string peer_text_;
    std::array<char, 65536> buffer_{};
};

// The first of the server's addresses that answers, each try with its own deadline.
asio::awaitable<bool> Driver::connect_control(FtpClientRun& run) {
    const net::ConnectOutcome outcome = co_await net::connect_first(
        control_, options_.addresses, options_.port, options_.connect_timeout);
    if (!outcome.connected) {
        run.connect_failure = outcome.failure.empty() ? "no address to try" : outcome.failure;
        run.connect_timed_out = outcome.timed_out;
        co_return false;
    }
    std::error_code ec;
    // Commands are small writes, each after a reply: sent at once, not held by Nagle.
    control_.set_option(tcp::no_delay(true), ec);
    peer_ = control_.remote_endpoint(ec);
    local_end_ = control_.local_endpoint(ec);
    if (ec) {
        run.connect_failure = outcome.address + ": " + ec.message();
        co_return false;
    }
    co_return true;
}

asio::awaitable<FtpClientRun> Driver::run() {
    FtpClientRun result;
    if (!co_await connect_control(result)) {
        co_return result;
    }
    result.connected = true;
    peer_text_ = endpoint_text(peer_);
    trace_id_ = trace::Tracer::next_connection_id();
    session_.trace().enable(options_.tracer && options_.tracer->enabled());

    bool open = true;
    while (open) {
        while (auto event = session_.next_event()) {
            if (auto* done = std::get_if<FtpClientDone>(&*event)) {
                result.done = std::move(*done);
                open = false;
                break;
            }
            co_await handle(*event);
            flush_trace();
        }
        flush_trace();
        if (open) {
            co_await read_control();
        }
    }
    close_data();
    std::error_code ec;
    control_.shutdown(tcp::socket::shutdown_send, ec);
    control_.close(ec);
    co_return result;
}

void Driver::flush_trace() {
    if (options_.tracer && options_.tracer->enabled()) {
        options_.tracer->flush(session_.trace(), trace_id_, "ftp", peer_text_);
    }
}

asio::awaitable<void> Driver::handle(FtpClientEvent& event) {
    if (auto* send_ev = std::get_if<FtpClientSend>(&event)) {
        co_await send(send_ev->bytes);
    } else if (auto* connect = std::get_if<FtpClientConnect>(&event)) {
        co_await open_passive(connect->port);
    } else if (std::holds_alternative<FtpClientListen>(event)) {
        listen();
    } else if (auto* t = std::get_if<FtpClientTransfer>(&event)) {
        co_await transfer(*t);
    } else if (std::holds_alternative<FtpClientStartTls>(event)) {
        co_await start_tls();
    }
}

asio::awaitable<void> Driver::start_tls() {
    if (!options_.tls) {
        session_.tls_failed("TLS was asked for without a TLS context");
        co_return;
    }
    control_tls_.emplace(control_, *options_.tls);
    tls::set_client_host(*control_tls_, options_.tls_host);
    auto shaken = co_await tls::handshake(*control_tls_, asio::ssl::stream_base::client,
                                          options_.connect_timeout);
    if (!shaken) {
        session_.tls_failed(shaken.error().message);
        co_return;
    }
    note("TLS handshake done: " + tls::describe(*control_tls_));
    session_.tls_ready();
}

asio::awaitable<std::tuple<std::error_code, std::size_t>> Driver::read_data() {
    const auto room = asio::buffer(buffer_.data(), buffer_.size());
    if (data_tls_) {
        auto [ec, n] = co_await data_tls_->async_read_some(room, net::as_tuple_awaitable);
        if (ec == asio::ssl::error::stream_truncated) {
            note("the server closed the data connection without TLS close_notify");
            ec = asio::error::eof;
        }
        co_return std::tuple{ec, n};
    }
    co_return co_await data_.async_read_some(room, net::as_tuple_awaitable);
}

asio::awaitable<std::tuple<std::error_code, std::size_t>> Driver::write_data(asio::const_buffer b) {
    if (data_tls_) {
        co_return co_await asio::async_write(*data_tls_, b, net::as_tuple_awaitable);
    }
    co_return co_await asio::async_write(data_, b, net::as_tuple_awaitable);
}

asio::awaitable<void> Driver::send(const std::string& bytes) {
    auto write = [this, &bytes]() -> asio::awaitable<std::tuple<std::error_code, std::size_t>> {
        if (control_tls_) {
            co_return co_await asio::async_write(*control_tls_, asio::buffer(bytes),
                                                 net::as_tuple_awaitable);
        }
        co_return co_await asio::async_write(control_, asio::buffer(bytes),
                                             net::as_tuple_awaitable);
    };
    auto written = co_await net::with_timeout(write(), options_.io_timeout);
    if (!written) {
        session_.timed_out();  // the server takes nothing: as good as silent
    } else if (std::get<0>(*written)) {
        session_.receive({});  // the connection is gone
    }
}

asio::awaitable<void> Driver::read_control() {
    auto read = [this]() -> asio::awaitable<std::tuple<std::error_code, std::size_t>> {
        const auto room = asio::buffer(buffer_.data(), buffer_.size());
        if (control_tls_) {
            co_return co_await control_tls_->async_read_some(room, net::as_tuple_awaitable);
        }
        co_return co_await control_.async_read_some(room, net::as_tuple_awaitable);
    };
    auto got = co_await net::with_timeout(read(), options_.io_timeout);
    if (!got) {
        session_.timed_out();
        co_return;
    }
    const auto [ec, n] = *got;
    session_.receive(ec ? std::string_view() : std::string_view(buffer_.data(), n));
}

// --- data connections ----------------------------------------------------------------------

asio::awaitable<void> Driver::open_passive(std::uint16_t port) {
    close_data();
    const tcp::endpoint ep(peer_.address(), port);
    note("data connection to " + endpoint_text(ep));
    auto done = co_await net::with_timeout(data_.async_connect(ep, net::as_tuple_awaitable),
                                           options_.connect_timeout);
    if (!done) {
        session_.data_failed("no answer from the data port " + endpoint_text(ep) + " within " +
                             seconds(options_.connect_timeout));
        co_return;
    }
    if (auto [ec] = *done; ec) {
        session_.data_failed("cannot open the data connection to " + endpoint_text(ep) + ": " +
                             ec.message());
        co_return;
    }
    session_.data_opened();
}

void Driver::listen() {
    close_data();
    std::error_code ec;
    acceptor_.emplace(control_.get_executor());
    const tcp::endpoint ep(local_end_.address(), 0);
    acceptor_->open(ep.protocol(), ec);
    if (!ec) {
        acceptor_->bind(ep, ec);
    }
    if (!ec) {
        acceptor_->listen(1, ec);
    }
    tcp::endpoint bound;
    if (!ec) {
        bound = acceptor_->local_endpoint(ec);
    }
    if (ec) {
        acceptor_.reset();
        session_.data_failed("cannot listen for the data connection on " + endpoint_text(ep) +
                             ": " + ec.message());
        return;
    }
    note("listening for the data connection on " + endpoint_text(bound));
    session_.data_listening({bound.address().to_string(), bound.port()});
}

// Active mode: the server's connection, from the server's address only.
asio::awaitable<std::optional<std::string>> Driver::accept() {
    auto got = co_await net::with_timeout(acceptor_->async_accept(net::as_tuple_awaitable),
                                          options_.connect_timeout);
    std::error_code ec;
    acceptor_->close(ec);
    acceptor_.reset();
    if (!got) {
        co_return "the server did not open the data connection within " +
            seconds(options_.connect_timeout);
    }
    auto [accept_ec, sock] = std::move(*got);
    if (accept_ec) {
        co_return "accepting the data connection failed: " + accept_ec.message();
    }
    const tcp::endpoint from = sock.remote_endpoint(ec);
    if (ec || from.address() != peer_.address()) {
        co_return "the data connection came from " + (ec ? ec.message() : endpoint_text(from)) +
            ", not from the server's address " + peer_.address().to_string();
    }
    note("data connection from " + endpoint_text(from));
    data_ = std::move(sock);
    co_return std::nullopt;
}

asio::awaitable<void> Driver::transfer(const FtpClientTransfer& t) {
    if (acceptor_) {
        if (auto why = co_await accept()) {
            session_.data_failed(*why);
            co_return;
        }
    }
    if (!data_.is_open()) {
        session_.data_failed("there is no data connection");
        co_return;
    }
    if (t.protect) {
        data_tls_.emplace(data_, *options_.tls);
        tls::set_client_host(*data_tls_, options_.tls_host);
        if (control_tls_) {
            tls::reuse_session(*data_tls_, *control_tls_);
        }
        auto shaken = co_await tls::handshake(*data_tls_, asio::ssl::stream_base::client,
                                              options_.connect_timeout);
        if (!shaken) {
            close_data();
            session_.data_failed("data connection: " + shaken.error().message);
            co_return;
        }
        note(std::string("data connection: ") + tls::describe(*data_tls_) +
             (tls::session_reused(*data_tls_) ? ", the control connection's session resumed"
                                              : ", a new session"));
    }
    if (auto why = local_.begin(t)) {
        close_data();
        session_.data_failed(*why, true);
        co_return;
    }
    if (t.direction == FtpClientDirection::download) {
        co_await download(t);
    } else {
        co_await upload(t);
    }
    close_data();
}

// Stream mode (RFC 959 3.4.1): the data ends where the server closes the connection.
asio::awaitable<void> Driver::download(const FtpClientTransfer& t) {
    AsciiDecoder decoder;
    std::string converted;
    std::uint64_t bytes = 0;
    for (;;) {
        auto got = co_await net::with_timeout(read_data(), options_.io_timeout);
        if (!got) {
            session_.data_failed("no data within " + seconds(options_.io_timeout) + " after " +
                                 std::to_string(bytes) + " bytes");
            co_return;
        }
        const auto [ec, n] = *got;
        if (ec && ec != asio::error::eof) {
            session_.data_failed("the data connection broke after " + std::to_string(bytes) +
                                 " bytes: " + ec.message());
            co_return;
        }
        const std::string_view chunk(buffer_.data(), n);
        converted.clear();
        if (t.ascii) {
            decoder.decode(chunk, converted);
            if (ec) {
                decoder.finish(converted);
            }
        }
        bytes += n;
        const std::string_view out = t.ascii ? std::string_view(converted) : chunk;
        if (!out.empty()) {
            if (auto why = local_.write(out)) {
                session_.data_failed(*why, true);
                co_return;
            }
        }
        if (ec) {
            break;  // EOF
        }
        local_.progress(t.offset + bytes, t.total);
    }
    session_.data_finished(bytes);
}

// The file's end is the connection's end: shut down and closed afterwards.
asio::awaitable<void> Driver::upload(const FtpClientTransfer& t) {
    AsciiEncoder encoder;
    std::string chunk;
    std::string converted;
    std::uint64_t read = 0;
    std::uint64_t bytes = 0;
    for (;;) {
        if (auto why = local_.read(chunk)) {
            session_.data_failed(*why, true);
            co_return;
        }
        if (chunk.empty()) {
            break;
        }
        read += chunk.size();
        converted.clear();
        if (t.ascii) {
            encoder.encode(chunk, converted);
        }
        const std::string& out = t.ascii ? converted : chunk;
        auto written =
            co_await net::with_timeout(write_data(asio::buffer(out)), options_.io_timeout);
        if (!written) {
            session_.data_failed("the server took no data for " + seconds(options_.io_timeout) +
                                 " after " + std::to_string(bytes) + " bytes");
            co_return;
        }
        if (const auto [ec, n] = *written; ec) {
            session_.data_failed("the data connection broke after " + std::to_string(bytes) +
                                 " bytes: " + ec.message());
            co_return;
        }
        bytes += out.size();
        local_.progress(t.offset + read, t.total);
    }
    std::error_code ec;
    if (data_tls_) {
        // close_notify marks the file's end (RFC 4217 10.2); servers close after it.
        co_await tls::shutdown(*data_tls_, std::chrono::seconds(5));
    } else {
        data_.shutdown(tcp::socket::shutdown_send, ec);
    }
    session_.data_finished(bytes);
}

void Driver::close_data() {
    data_tls_.reset();
    std::error_code ec;
    if (data_.is_open()) {
        data_.close(ec);
    }
    if (acceptor_) {
        acceptor_->close(ec);
        acceptor_.reset();
    }
}

}  // namespace

asio::awaitable<FtpClientRun> run_ftp_client(FtpClientRunOptions options, FtpClientSession& session,
                                             FtpLocalData& local) {
    Driver driver(options, session, local, co_await asio::this_coro::executor);
    co_return co_await driver.run();
}

}  // namespace l7::ftp
