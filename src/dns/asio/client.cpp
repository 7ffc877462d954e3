#include "dns/asio/client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <random>

#include "dns/message_text.hpp"
#include "net/timeout.hpp"

namespace l7::dns {
namespace {

using Clock = std::chrono::steady_clock;

bool same_question(const Message& query, const Message& reply) {
    if (reply.header.id != query.header.id || !reply.header.qr) {
        return false;
    }
    if (query.questions.empty()) {
        return true;
    }
    // A FORMERR or NOTIMP reply may carry no question (RFC 1035 leaves it open).
    if (reply.questions.empty()) {
        return reply.rcode() != Rcode::NOERROR;
    }
    const Question& a = query.questions.front();
    const Question& b = reply.questions.front();
    return a.name == b.name && a.type == b.type && a.klass == b.klass;
}

void trace_message(trace::Tracer& tracer, std::uint64_t conn, const std::string& peer,
                   trace::Direction dir, const Message& m, bool tcp) {
    if (!tracer.enabled()) {
        return;
    }
    trace::Recorder rec;
    rec.enable(true);
    rec.record_lines(dir, format_message(m));
    tracer.flush(rec, conn, tcp ? "dns-tcp" : "dns", peer);
}

struct Attempt {
    Result<Exchange> result = make_error("no attempt");
};

asio::awaitable<void> over_udp(const asio::ip::udp::endpoint server, const Bytes query,
                               const Message& query_message, const ExchangeOptions& options,
                               Attempt& out, bool& truncated) {
    auto ex = co_await asio::this_coro::executor;
    asio::ip::udp::socket sock(ex, server.protocol());
    std::vector<std::uint8_t> buf(65536);
    const std::string peer = HostPort{server.address().to_string(), server.port()}.to_string();
    const auto start = Clock::now();
    for (int attempt = 0; attempt < options.tries; ++attempt) {
        co_await sock.async_send_to(asio::buffer(query), server, net::as_tuple_awaitable);
        const auto deadline = Clock::now() + options.timeout;
        while (Clock::now() < deadline) {
            asio::ip::udp::endpoint from;
            auto got = co_await net::with_timeout(
                sock.async_receive_from(asio::buffer(buf), from, net::as_tuple_awaitable),
                deadline - Clock::now());
            if (!got) {
                break;  // this try timed out
            }
            auto [ec, n] = *got;
            if (ec == asio::error::connection_refused) {
                out.result =
                    make_error("connection refused by " + peer + " (nothing listens there)");
                co_return;
            }
            if (ec || from != server) {
                continue;
            }
            auto reply = decode_message(std::span<const std::uint8_t>(buf.data(), n));
            if (!reply) {
                // A header we can match still tells us the reply is bad, not lost.
                const auto h = read_header(std::span<const std::uint8_t>(buf.data(), n));
                if (h && h->id == query_message.header.id && h->qr) {
                    out.result =
                        make_error("malformed reply from " + peer + ": " + reply.error().message);
                    co_return;
                }
                continue;
            }
            if (!same_question(query_message, *reply)) {
                continue;
            }
            truncated = reply->header.tc;
            Exchange e;
            e.reply = std::move(*reply);
            e.reply_size = n;
            e.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
            e.server = peer;
            out.result = std::move(e);
            co_return;
        }
    }
    out.result = make_error("no reply from " + peer + " after " + std::to_string(options.tries) +
                            (options.tries == 1 ? " try" : " tries"));
}

asio::awaitable<void> over_tcp(const asio::ip::tcp::endpoint server, const Bytes query,
                               const Message& query_message, const ExchangeOptions& options,
                               Attempt& out) {
    auto ex = co_await asio::this_coro::executor;
    asio::ip::tcp::socket sock(ex);
    const std::string peer = HostPort{server.address().to_string(), server.port()}.to_string();
    const auto start = Clock::now();
    auto connected = co_await net::with_timeout(sock.async_connect(server, net::as_tuple_awaitable),
                                                options.timeout);
    if (!connected) {
        out.result = make_error("no TCP connection to " + peer + " within the timeout");
        co_return;
    }
    if (auto [ec] = *connected; ec) {
        out.result = make_error("cannot connect to " + peer + " over TCP: " + ec.message());
        co_return;
    }
    Bytes framed;
    framed.push_back(static_cast<std::uint8_t>(query.size() >> 8));
    framed.push_back(static_cast<std::uint8_t>(query.size()));
    framed.insert(framed.end(), query.begin(), query.end());
    auto written = co_await net::with_timeout(
        asio::async_write(sock, asio::buffer(framed), net::as_tuple_awaitable), options.timeout);
    if (!written || std::get<0>(*written)) {
        out.result = make_error("cannot send the query to " + peer + " over TCP");
        co_return;
    }
    while (true) {
        std::uint8_t prefix[2];
        auto got = co_await net::with_timeout(
            asio::async_read(sock, asio::buffer(prefix), net::as_tuple_awaitable), options.timeout);
        if (!got || std::get<0>(*got)) {
            out.result = make_error(got ? "connection closed by " + peer + " without a reply"
                                        : "no reply from " + peer + " over TCP within the timeout");
            co_return;
        }
        std::vector<std::uint8_t> buf(static_cast<std::size_t>(prefix[0] << 8 | prefix[1]));
        auto body = co_await net::with_timeout(
            asio::async_read(sock, asio::buffer(buf), net::as_tuple_awaitable), options.timeout);
        if (!body || std::get<0>(*body)) {
            out.result = make_error("reply from " + peer + " cut short");
            co_return;
        }
        auto reply = decode_message(buf);
        if (!reply) {
            out.result = make_error("malformed reply from " + peer + ": " + reply.error().message);
            co_return;
        }
        if (!same_question(query_message, *reply)) {
            continue;
        }
        Exchange e;
        e.reply = std::move(*reply);
        e.reply_size = buf.size();
        e.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        e.over_tcp = true;
        e.server = peer;
        out.result = std::move(e);
        co_return;
    }
}

}  // namespace

Result<Exchange> exchange(const Message& query, const ExchangeOptions& options,
                          trace::Tracer& tracer) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(options.server.host, ec);
    if (ec) {
        return make_error("'" + options.server.host + "' is not an IP address");
    }
    const Bytes wire = encode_message(query);
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    const std::string peer = options.server.to_string();
    asio::io_context io;
    Attempt attempt;
    bool truncated = false;
    bool tcp = options.tcp;
    trace_message(tracer, conn, peer, trace::Direction::to_server, query, tcp);
    if (!tcp) {
        asio::co_spawn(
            io, over_udp({address, options.server.port}, wire, query, options, attempt, truncated),
            asio::detached);
        io.run();
        if (attempt.result) {
            trace_message(tracer, conn, peer, trace::Direction::to_client, attempt.result->reply,
                          false);
        }
        if (!attempt.result || !truncated || !options.tcp_on_truncation) {
            return std::move(attempt.result);
        }
        tcp = true;  // RFC 7766 section 5: retry over TCP
        io.restart();
        if (tracer.enabled()) {
            trace::Recorder rec;
            rec.enable(true);
            rec.record(trace::Direction::note, "truncated, retrying over TCP");
            tracer.flush(rec, conn, "dns", peer);
        }
    }
    asio::co_spawn(io, over_tcp({address, options.server.port}, wire, query, options, attempt),
                   asio::detached);
    io.run();
    if (attempt.result) {
        trace_message(tracer, conn, peer, trace::Direction::to_client, attempt.result->reply, true);
    }
    return std::move(attempt.result);
}

}  // namespace l7::dns
