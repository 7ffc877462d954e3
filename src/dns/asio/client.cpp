#include "dns/asio/client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <random>

#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "dns/transfer.hpp"
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

Result<asio::ip::address> server_address(const HostPort& server) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(server.host, ec);
    if (ec) {
        return make_error("'" + server.host + "' is not an IP address");
    }
    return address;
}

asio::awaitable<Result<Exchange>> over_udp(asio::ip::udp::endpoint server, const Bytes& query,
                                           const Message& query_message,
                                           const ExchangeOptions& options, bool& truncated) {
    auto ex = co_await asio::this_coro::executor;
    asio::ip::udp::socket sock(ex, server.protocol());
    // A connected socket hears only from the server, and hears ICMP "port unreachable" as
    // ECONNREFUSED, so "nothing listens there" is told apart from a lost datagram.
    std::error_code connect_error;
    sock.connect(server, connect_error);
    std::vector<std::uint8_t> buf(65536);
    const std::string peer = HostPort{server.address().to_string(), server.port()}.to_string();
    const auto start = Clock::now();
    for (int attempt = 0; attempt < options.tries; ++attempt) {
        co_await sock.async_send_to(asio::buffer(query), server, net::as_tuple_awaitable);
        const auto deadline = Clock::now() + options.timeout;
        while (Clock::now() < deadline) {
            auto got = co_await net::with_timeout(
                sock.async_receive(asio::buffer(buf), net::as_tuple_awaitable),
                deadline - Clock::now());
            if (!got) {
                break;  // this try timed out
            }
            auto [ec, n] = *got;
            if (ec == asio::error::connection_refused) {
                co_return make_error("connection refused by " + peer + " (nothing listens there)");
            }
            if (ec) {
                continue;
            }
            const auto wire = std::span<const std::uint8_t>(buf.data(), n);
            auto reply = decode_message(wire);
            if (!reply) {
                // A header we can match still tells us the reply is bad, not lost.
                const auto h = read_header(wire);
                if (h && h->id == query_message.header.id && h->qr && !options.accept) {
                    co_return make_error("malformed reply from " + peer + ": " +
                                         reply.error().message);
                }
                continue;
            }
            if (!same_question(query_message, *reply) ||
                (options.accept && !options.accept(*reply))) {
                continue;
            }
            truncated = reply->header.tc;
            Exchange e;
            e.reply = std::move(*reply);
            e.reply_wire.assign(wire.begin(), wire.end());
            e.reply_size = n;
            e.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
            e.server = peer;
            co_return e;
        }
    }
    co_return make_error("no reply from " + peer + " after " + std::to_string(options.tries) +
                         (options.tries == 1 ? " try" : " tries"));
}

// Connects and sends one length-prefixed message.
asio::awaitable<Result<bool>> connect_and_send(asio::ip::tcp::socket& sock,
                                               asio::ip::tcp::endpoint server, const Bytes& message,
                                               std::chrono::milliseconds timeout) {
    const std::string peer = HostPort{server.address().to_string(), server.port()}.to_string();
    auto connected =
        co_await net::with_timeout(sock.async_connect(server, net::as_tuple_awaitable), timeout);
    if (!connected) {
        co_return make_error("no TCP connection to " + peer + " within the timeout");
    }
    if (auto [ec] = *connected; ec) {
        co_return make_error("cannot connect to " + peer + " over TCP: " + ec.message());
    }
    Bytes framed;
    framed.push_back(static_cast<std::uint8_t>(message.size() >> 8));
    framed.push_back(static_cast<std::uint8_t>(message.size()));
    framed.insert(framed.end(), message.begin(), message.end());
    auto written = co_await net::with_timeout(
        asio::async_write(sock, asio::buffer(framed), net::as_tuple_awaitable), timeout);
    if (!written || std::get<0>(*written)) {
        co_return make_error("cannot send the query to " + peer + " over TCP");
    }
    co_return true;
}

// Reads one length-prefixed message.
asio::awaitable<Result<std::vector<std::uint8_t>>> read_framed(asio::ip::tcp::socket& sock,
                                                               const std::string& peer,
                                                               std::chrono::milliseconds timeout) {
    std::uint8_t prefix[2];
    auto got = co_await net::with_timeout(
        asio::async_read(sock, asio::buffer(prefix), net::as_tuple_awaitable), timeout);
    if (!got || std::get<0>(*got)) {
        co_return make_error(got ? "connection closed by " + peer + " before the reply ended"
                                 : "no reply from " + peer + " over TCP within the timeout");
    }
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(prefix[0] << 8 | prefix[1]));
    auto body = co_await net::with_timeout(
        asio::async_read(sock, asio::buffer(buf), net::as_tuple_awaitable), timeout);
    if (!body || std::get<0>(*body)) {
        co_return make_error("reply from " + peer + " cut short");
    }
    co_return buf;
}

asio::awaitable<Result<Exchange>> over_tcp(asio::ip::tcp::endpoint server, const Bytes& query,
                                           const Message& query_message,
                                           const ExchangeOptions& options) {
    auto ex = co_await asio::this_coro::executor;
    asio::ip::tcp::socket sock(ex);
    const std::string peer = HostPort{server.address().to_string(), server.port()}.to_string();
    const auto start = Clock::now();
    auto sent = co_await connect_and_send(sock, server, query, options.timeout);
    if (!sent) {
        co_return sent.error();
    }
    for (int stray = 0; stray < 16; ++stray) {
        auto buf = co_await read_framed(sock, peer, options.timeout);
        if (!buf) {
            co_return buf.error();
        }
        auto reply = decode_message(*buf);
        if (!reply) {
            co_return make_error("malformed reply from " + peer + ": " + reply.error().message);
        }
        if (!same_question(query_message, *reply) || (options.accept && !options.accept(*reply))) {
            continue;
        }
        Exchange e;
        e.reply = std::move(*reply);
        e.reply_wire = *buf;
        e.reply_size = buf->size();
        e.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        e.over_tcp = true;
        e.server = peer;
        co_return e;
    }
    co_return make_error("no matching reply from " + peer);
}

}  // namespace

asio::awaitable<Result<Exchange>> async_exchange(Message query, ExchangeOptions options,
                                                 trace::Tracer& tracer) {
    const auto address = server_address(options.server);
    if (!address) {
        co_return address.error();
    }
    Bytes wire = encode_message(query);
    if (options.sign) {
        wire = options.sign(std::move(wire));
    }
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    const std::string peer = options.server.to_string();
    trace_message(tracer, conn, peer, trace::Direction::to_server, query, options.tcp);
    if (!options.tcp) {
        bool truncated = false;
        auto result =
            co_await over_udp({*address, options.server.port}, wire, query, options, truncated);
        if (result) {
            trace_message(tracer, conn, peer, trace::Direction::to_client, result->reply, false);
        }
        if (!result || !truncated || !options.tcp_on_truncation) {
            co_return result;
        }
        if (tracer.enabled()) {
            trace::Recorder rec;
            rec.enable(true);
            rec.record(trace::Direction::note,
                       "truncated, retrying over TCP");  // RFC 7766 section 5
            tracer.flush(rec, conn, "dns", peer);
        }
    }
    auto result = co_await over_tcp({*address, options.server.port}, wire, query, options);
    if (result) {
        trace_message(tracer, conn, peer, trace::Direction::to_client, result->reply, true);
    }
    co_return result;
}

namespace {

// Runs one coroutine to the end on a private io_context: the blocking form of a client call.
template <class T>
Result<T> run_blocking(asio::awaitable<Result<T>> op) {
    asio::io_context io;
    std::optional<Result<T>> out;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { out = co_await std::move(op); }, asio::detached);
    io.run();
    return out ? std::move(*out) : Result<T>(make_error("the request did not run"));
}

}  // namespace

Result<Exchange> exchange(const Message& query, const ExchangeOptions& options,
                          trace::Tracer& tracer) {
    return run_blocking(async_exchange(query, options, tracer));
}

Result<TransferResult> transfer(const Name& origin, const HostPort& primary,
                                std::optional<std::uint32_t> have_serial,
                                std::chrono::milliseconds timeout, trace::Tracer& tracer) {
    return run_blocking(async_transfer(origin, primary, have_serial, timeout, tracer));
}

asio::awaitable<Result<TransferResult>> async_transfer(Name origin, HostPort primary,
                                                       std::optional<std::uint32_t> have_serial,
                                                       std::chrono::milliseconds timeout,
                                                       trace::Tracer& tracer) {
    const auto address = server_address(primary);
    if (!address) {
        co_return address.error();
    }
    Message query;
    query.header.id = static_cast<std::uint16_t>(std::random_device{}());
    const RRType type = have_serial ? RRType::IXFR : RRType::AXFR;
    query.questions.push_back({origin, type, RRClass::IN});
    if (have_serial) {
        // RFC 1995 section 3: our SOA, of which only the serial matters.
        Soa soa;
        soa.serial = *have_serial;
        query.authority.push_back({origin, RRType::SOA, RRClass::IN, 0, encode_soa(soa)});
    }
    const std::string peer = primary.to_string();
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    trace_message(tracer, conn, peer, trace::Direction::to_server, query, true);
    auto ex = co_await asio::this_coro::executor;
    asio::ip::tcp::socket sock(ex);
    auto sent =
        co_await connect_and_send(sock, {*address, primary.port}, encode_message(query), timeout);
    if (!sent) {
        co_return sent.error();
    }
    IncomingTransfer incoming(origin, have_serial);
    TransferResult result;
    while (true) {
        auto buf = co_await read_framed(sock, peer, timeout);
        if (!buf) {
            co_return buf.error();
        }
        auto reply = decode_message(*buf);
        if (!reply) {
            co_return make_error("malformed transfer message from " + peer + ": " +
                                 reply.error().message);
        }
        if (reply->header.id != query.header.id) {
            co_return make_error("transfer message with the wrong id from " + peer);
        }
        ++result.messages;
        if (tracer.enabled()) {
            trace::Recorder rec;
            rec.enable(true);
            rec.record(trace::Direction::to_client, summarize_message(*reply));
            tracer.flush(rec, conn, "dns-xfr", peer);
        }
        const auto status = incoming.feed(*reply);
        if (status == IncomingTransfer::Status::failed) {
            co_return make_error(type_to_text(type) + " from " + peer + ": " + incoming.error());
        }
        if (status == IncomingTransfer::Status::done) {
            break;
        }
    }
    std::error_code ignored;
    sock.close(ignored);
    result.up_to_date = incoming.up_to_date();
    result.incremental = incoming.is_incremental();
    result.serial = incoming.new_serial();
    result.records = std::move(incoming.records());
    result.diffs = std::move(incoming.diffs());
    co_return result;
}

}  // namespace l7::dns
