// Real TLS handshakes on 127.0.0.1, server and client as coroutines on one io_context: the
// certificate is checked against the host name, data goes both ways, a second connection
// resumes the first one's session (as an FTP data connection resumes the control
// connection's), and a silent peer costs a timeout, not a hang.

#include "tls/asio/stream.hpp"

#include <gtest/gtest.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "net/timeout.hpp"
#include "tls/asio/context.hpp"
#include "tls_files.hpp"

namespace l7::tls {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using asio::ssl::stream_base;

// What one side of one connection saw.
struct Outcome {
    Result<bool> handshake{make_error("did not run")};
    bool reused = false;
    std::string description;
    std::string received;  // the peer's 5 bytes
};

asio::awaitable<std::string> read5(TlsStream& s) {
    std::array<char, 5> buf{};
    auto r = co_await net::with_timeout(
        asio::async_read(s, asio::buffer(buf), net::as_tuple_awaitable), 5s);
    if (!r || std::get<0>(*r)) {
        co_return std::string();
    }
    co_return std::string(buf.data(), buf.size());
}

asio::awaitable<void> write5(TlsStream& s, const char* text) {
    co_await net::with_timeout(asio::async_write(s, asio::buffer(text, 5), net::as_tuple_awaitable),
                               5s);
}

// Server: handshake, send "hello", expect five bytes back, close_notify.
asio::awaitable<void> serve_one(tcp::socket sock, asio::ssl::context& ctx, Outcome& out) {
    TlsStream s(sock, ctx);
    out.handshake = co_await handshake(s, stream_base::server, 5s);
    if (!out.handshake) {
        co_return;
    }
    out.reused = session_reused(s);
    out.description = describe(s);
    co_await write5(s, "hello");
    out.received = co_await read5(s);
    co_await shutdown(s, 2s);
}

asio::awaitable<void> accept_each(tcp::acceptor& acceptor, asio::ssl::context& ctx,
                                  std::vector<Outcome>& outs) {
    for (Outcome& out : outs) {
        auto got = co_await net::with_timeout(acceptor.async_accept(net::as_tuple_awaitable), 10s);
        if (!got || std::get<0>(*got)) {
            co_return;
        }
        asio::co_spawn(acceptor.get_executor(), serve_one(std::move(std::get<1>(*got)), ctx, out),
                       asio::detached);
    }
}

// Client: connect, handshake (for `host`), read "hello" (which also takes in a TLS 1.3
// session ticket), send "world".
asio::awaitable<Outcome> talk(TlsStream& s, std::uint16_t port, const std::string& host) {
    Outcome out;
    auto c = co_await net::with_timeout(
        s.next_layer().async_connect({asio::ip::make_address("127.0.0.1"), port},
                                     net::as_tuple_awaitable),
        5s);
    if (!c || std::get<0>(*c)) {
        out.handshake = make_error("connect failed");
        co_return out;
    }
    set_client_host(s, host);
    out.handshake = co_await handshake(s, stream_base::client, 5s);
    if (!out.handshake) {
        co_return out;
    }
    out.reused = session_reused(s);
    out.description = describe(s);
    out.received = co_await read5(s);
    co_await write5(s, "world");
    co_return out;
}

class Handshake : public testing::TempDir {
  protected:
    void SetUp() override {
        TempDir::SetUp();
        write_new_pair("server", {"localhost", "127.0.0.1"});
        auto ctx = make_server_context({dir_ / "server.pem", dir_ / "server.key"});
        ASSERT_TRUE(ctx) << ctx.error().message;
        server_ctx_ = *ctx;
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
    }

    std::shared_ptr<asio::ssl::context> client_ctx(ClientTlsOptions options) {
        auto ctx = make_client_context(options);
        EXPECT_TRUE(ctx) << ctx.error().message;
        return ctx ? *ctx : nullptr;
    }

    // One connection: returns {server's outcome, client's outcome}.
    std::pair<Outcome, Outcome> connect_once(asio::ssl::context& client, const std::string& host) {
        std::vector<Outcome> server(1);
        Outcome client_out;
        asio::co_spawn(io_, accept_each(acceptor_, *server_ctx_, server), asio::detached);
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
                tcp::socket sock(io_);
                TlsStream s(sock, client);
                client_out = co_await talk(s, port_, host);
                if (client_out.handshake) {
                    co_await shutdown(s, 2s);
                }
            },
            asio::detached);
        io_.run_for(30s);
        return {std::move(server[0]), std::move(client_out)};
    }

    asio::io_context io_;
    tcp::acceptor acceptor_{io_};
    std::uint16_t port_ = 0;
    std::shared_ptr<asio::ssl::context> server_ctx_;
};

TEST_F(Handshake, TrustedCertificateAndRightNameSucceedAndDataFlowsBothWays) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    auto [server, c] = connect_once(*client, "localhost");
    ASSERT_TRUE(c.handshake) << c.handshake.error().message;
    ASSERT_TRUE(server.handshake) << server.handshake.error().message;
    EXPECT_EQ(c.received, "hello");
    EXPECT_EQ(server.received, "world");
    EXPECT_EQ(c.description.rfind("TLSv1.3 TLS_", 0), 0u) << c.description;
    EXPECT_EQ(c.description, server.description);
    EXPECT_FALSE(c.reused);
}

TEST_F(Handshake, IpLiteralIsCheckedAgainstIpEntries) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    auto [server, c] = connect_once(*client, "127.0.0.1");
    ASSERT_TRUE(c.handshake) << c.handshake.error().message;
    EXPECT_EQ(c.received, "hello");
}

TEST_F(Handshake, WrongNameFailsWithTheVerificationVerdict) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    auto [server, c] = connect_once(*client, "wrong.example");
    ASSERT_FALSE(c.handshake);
    const std::string& msg = c.handshake.error().message;
    EXPECT_EQ(msg.rfind("TLS handshake failed: ", 0), 0u) << msg;
    EXPECT_NE(msg.find("certificate verification: hostname mismatch"), std::string::npos) << msg;
    EXPECT_FALSE(server.handshake);
    EXPECT_TRUE(server.received.empty());
}

TEST_F(Handshake, UntrustedCertificateFails) {
    write_new_pair("other", {"localhost"});
    auto client = client_ctx({dir_ / "other.pem", true});
    ASSERT_TRUE(client);
    auto [server, c] = connect_once(*client, "localhost");
    ASSERT_FALSE(c.handshake);
    EXPECT_NE(c.handshake.error().message.find("certificate verification"), std::string::npos)
        << c.handshake.error().message;
}

TEST_F(Handshake, InsecureAcceptsAnyName) {
    auto client = client_ctx({{}, false});
    ASSERT_TRUE(client);
    auto [server, c] = connect_once(*client, "wrong.example");
    ASSERT_TRUE(c.handshake) << c.handshake.error().message;
    EXPECT_EQ(c.received, "hello");
    EXPECT_EQ(server.received, "world");
}

// Two connections from one client, the second offered the first one's session.
struct Resumption {
    Outcome first, second;
    std::vector<Outcome> server = std::vector<Outcome>(2);
    bool had_session = false;
};

class Resumes : public Handshake {
  protected:
    Resumption run_two(asio::ssl::context& client) {
        Resumption r;
        asio::co_spawn(io_, accept_each(acceptor_, *server_ctx_, r.server), asio::detached);
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
                tcp::socket control_sock(io_), data_sock(io_);
                TlsStream control(control_sock, client);
                TlsStream data(data_sock, client);
                r.first = co_await talk(control, port_, "localhost");
                r.had_session = SSL_get0_session(control.native_handle()) != nullptr;
                reuse_session(data, control);
                r.second = co_await talk(data, port_, "localhost");
                co_await shutdown(data, 2s);
                co_await shutdown(control, 2s);
            },
            asio::detached);
        io_.run_for(30s);
        return r;
    }

    void expect_resumed(const Resumption& r) {
        ASSERT_TRUE(r.first.handshake) << r.first.handshake.error().message;
        ASSERT_TRUE(r.second.handshake) << r.second.handshake.error().message;
        EXPECT_TRUE(r.had_session);
        EXPECT_FALSE(r.first.reused);
        EXPECT_FALSE(r.server[0].reused);
        EXPECT_TRUE(r.second.reused);
        EXPECT_TRUE(r.server[1].reused);
        EXPECT_EQ(r.second.received, "hello");
        EXPECT_EQ(r.server[1].received, "world");
    }
};

TEST_F(Resumes, SecondConnectionResumesTheFirstOnesSession) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    const Resumption r = run_two(*client);
    expect_resumed(r);
    EXPECT_EQ(r.first.description.rfind("TLSv1.3", 0), 0u) << r.first.description;
}

// TLS 1.2 resumes by session id from the server's cache, which needs the id context.
TEST_F(Resumes, Tls12ResumesFromTheServersCache) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    SSL_CTX_set_max_proto_version(client->native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_options(client->native_handle(), SSL_OP_NO_TICKET);
    const Resumption r = run_two(*client);
    expect_resumed(r);
    EXPECT_EQ(r.first.description.rfind("TLSv1.2", 0), 0u) << r.first.description;
}

TEST_F(Resumes, WithoutReuseNothingIsResumed) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    std::vector<Outcome> server(2);
    Outcome a, b;
    asio::co_spawn(io_, accept_each(acceptor_, *server_ctx_, server), asio::detached);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            tcp::socket sa(io_), sb(io_);
            TlsStream ta(sa, *client);
            TlsStream tb(sb, *client);
            a = co_await talk(ta, port_, "localhost");
            b = co_await talk(tb, port_, "localhost");
        },
        asio::detached);
    io_.run_for(30s);
    ASSERT_TRUE(b.handshake) << b.handshake.error().message;
    EXPECT_FALSE(b.reused);
}

TEST_F(Handshake, ReuseWithoutSessionIsANoOp) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    tcp::socket a(io_), b(io_);
    TlsStream never(a, *client);
    TlsStream data(b, *client);
    reuse_session(data, never);
    EXPECT_EQ(SSL_get0_session(data.native_handle()), nullptr);
}

TEST_F(Handshake, SilentServerTimesOut) {
    auto client = client_ctx({dir_ / "server.pem", true});
    ASSERT_TRUE(client);
    tcp::socket held(io_);  // accepted and never answered
    Outcome c;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            auto got =
                co_await net::with_timeout(acceptor_.async_accept(net::as_tuple_awaitable), 10s);
            if (got && !std::get<0>(*got)) {
                held = std::move(std::get<1>(*got));
            }
        },
        asio::detached);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            tcp::socket sock(io_);
            auto conn = co_await net::with_timeout(
                sock.async_connect(acceptor_.local_endpoint(), net::as_tuple_awaitable), 5s);
            if (!conn || std::get<0>(*conn)) {
                co_return;
            }
            TlsStream s(sock, *client);
            set_client_host(s, "localhost");
            c.handshake = co_await handshake(s, stream_base::client, 200ms);
        },
        asio::detached);
    io_.run_for(30s);
    ASSERT_FALSE(c.handshake);
    EXPECT_EQ(c.handshake.error().message, "TLS handshake timed out");
    EXPECT_TRUE(held.is_open());  // the peer was there: the failure is the timeout
}

TEST_F(Handshake, SilentClientTimesOut) {
    Outcome s_out;
    tcp::socket silent(io_);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            auto got =
                co_await net::with_timeout(acceptor_.async_accept(net::as_tuple_awaitable), 10s);
            if (!got || std::get<0>(*got)) {
                co_return;
            }
            tcp::socket sock = std::move(std::get<1>(*got));
            TlsStream s(sock, *server_ctx_);
            s_out.handshake = co_await handshake(s, stream_base::server, 200ms);
        },
        asio::detached);
    silent.connect(acceptor_.local_endpoint());
    io_.run_for(30s);
    ASSERT_FALSE(s_out.handshake);
    EXPECT_EQ(s_out.handshake.error().message, "TLS handshake timed out");
}

}  // namespace
}  // namespace l7::tls
