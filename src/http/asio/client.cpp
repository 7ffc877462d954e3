#include "http/asio/client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <optional>

#include "http/asio/connection_pool.hpp"
#include "http/gzip.hpp"
#include "http/response_parser.hpp"
#include "http/serializer.hpp"
#include "l7/version.hpp"  // l7::version
#include "net/timeout.hpp"

namespace l7::http {
namespace {

using Outcome = Result<ClientResponse, ClientError>;

ClientError error(int code, std::string message) {
    return ClientError{code, std::move(message)};
}

void trace_head(trace::Recorder& rec, trace::Direction dir, std::string_view head) {
    if (rec.enabled()) {
        for (std::string_view line : head_lines(head)) {
            rec.record(dir, std::string(line));
        }
    }
}

void info(const ClientOptions& options, const std::string& line) {
    if (options.on_info) {
        options.on_info(line);
    }
}

std::string request_head(const ClientRequest& request, const ClientOptions& options) {
    Request head;
    head.method = request.method;
    head.target = request.url.target;
    head.fields = request.fields;
    if (!head.fields.get("Host")) {
        head.fields.set("Host", request.url.authority());
    }
    if (!head.fields.get("User-Agent")) {
        head.fields.set("User-Agent", std::string("l7/") + l7::version);
    }
    if (!head.fields.get("Accept")) {
        head.fields.set("Accept", "*/*");
    }
    if (options.decompress && !head.fields.get("Accept-Encoding")) {
        head.fields.set("Accept-Encoding", "gzip");
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
        head.fields.set("Content-Length", std::to_string(request.body.size()));
    }
    return serialize(head);
}

// Whether the response's one content coding is gzip (RFC 9110 8.4.1.3; x-gzip is its alias).
// Anything else (identity, br, gzip under another coding) reaches the caller as sent.
bool gzip_coded(const Fields& fields) {
    const auto codings = fields.combined("Content-Encoding");
    if (!codings) {
        return false;
    }
    const auto list = split_list(*codings);
    return list.size() == 1 && (iequals(list[0], "gzip") || iequals(list[0], "x-gzip"));
}

struct Attempt {
    Outcome outcome = error(1, "no exchange");
    // The connection was kept from before and died before any byte of the response: the
    // request may be sent again on a new one.
    bool stale = false;
    bool keep = false;  // the connection can carry another request
};

asio::awaitable<Attempt> exchange_on(PooledConnection& conn, const ClientRequest& request,
                                     const ClientOptions& options, bool reused) {
    const std::string origin = request.url.authority();
    const std::string wire = request_head(request, options);
    trace::Recorder rec;
    rec.enable(options.tracer != nullptr && options.tracer->enabled());
    trace_head(rec, trace::Direction::to_server, wire);
    if (options.on_request_head) {
        options.on_request_head(wire);
    }
    ++conn.exchanges;
    const std::string out = wire + request.body;
    auto written = co_await net::with_timeout(
        asio::async_write(conn.socket, asio::buffer(out), net::as_tuple_awaitable),
        options.timeout);
    if (!written || std::get<0>(*written)) {
        co_return Attempt{
            .outcome = error(written ? 55 : 28, "cannot send the request to " + origin),
            .stale = reused && written};
    }
    ResponseParser parser;
    parser.expect(request.method);
    std::vector<char> buffer(65536);
    bool got_anything = false;
    std::optional<GzipDecoder> gunzip;
    ClientResponse result;
    result.reused_connection = reused;
    while (true) {
        Event e = parser.next();
        switch (e.kind) {
            case Event::Kind::need_more: {
                auto read = co_await net::with_timeout(
                    conn.socket.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable),
                    options.timeout);
                if (!read) {
                    co_return Attempt{
                        .outcome = error(28, "no data from " + origin + " within " +
                                                 std::to_string(options.timeout.count()) + " ms")};
                }
                auto [ec, n] = *read;
                if (ec == asio::error::eof) {
                    parser.receive_eof();
                } else if (ec) {
                    co_return Attempt{
                        .outcome = error(56, "receiving from " + origin + ": " + ec.message()),
                        .stale = reused && !got_anything};
                } else {
                    got_anything = true;
                    parser.receive(std::string_view(buffer.data(), n));
                }
                break;
            }
            case Event::Kind::head: {
                const std::string text = serialize(parser.response());
                trace_head(rec, trace::Direction::to_client, text);
                if (options.on_response_head) {
                    options.on_response_head(text);
                }
                result.response = parser.response();
                result.keep_alive = parser.keep_alive();
                gunzip.reset();
                if (options.decompress && parser.body().framing != Framing::none &&
                    gzip_coded(result.response.fields)) {
                    gunzip.emplace(options.max_decoded_body);
                }
                break;
            }
            case Event::Kind::data: {
                std::string decoded;
                std::string_view bytes = e.data;
                if (gunzip) {
                    auto d = gunzip->decode(e.data);
                    if (!d) {
                        co_return Attempt{.outcome = error(61, "the body from " + origin + ": " +
                                                                   d.error().message)};
                    }
                    decoded = std::move(*d);
                    bytes = decoded;
                }
                if (!bytes.empty() && options.on_body && !options.on_body(bytes)) {
                    co_return Attempt{.outcome = error(23, "cannot write the body")};
                }
                break;
            }
            case Event::Kind::end:
                if (result.response.status < 200) {
                    break;  // an interim response: the final one follows
                }
                if (gunzip) {
                    if (auto bad = gunzip->finish()) {
                        co_return Attempt{
                            .outcome = error(61, "the body from " + origin + ": " + bad->message)};
                    }
                }
                if (options.tracer != nullptr) {
                    options.tracer->flush(rec, conn.trace_id, "http", origin);
                }
                {
                    // Bytes beyond the response would be a response to no request: such a
                    // connection is not reused.
                    const bool keep = result.keep_alive && parser.buffered() == 0;
                    co_return Attempt{.outcome = std::move(result), .keep = keep};
                }
            case Event::Kind::error:
                co_return Attempt{
                    .outcome = error(8, "a malformed response from " + origin + ": " + e.why)};
            case Event::Kind::closed:
                co_return Attempt{
                    .outcome =
                        error(got_anything ? 56 : 52,
                              got_anything ? "the connection closed in the middle of the response"
                                           : "an empty reply from " + origin),
                    .stale = reused && !got_anything};
        }
    }
}

}  // namespace

bool is_idempotent(std::string_view method) {
    // RFC 9110 9.2.2: the safe methods, PUT and DELETE.
    for (std::string_view m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
        if (method == m) {
            return true;
        }
    }
    return false;
}

struct Client::Impl {
    explicit Impl(ClientOptions o) : options(std::move(o)), pool(io.get_executor()) {}

    asio::awaitable<Result<PooledConnection, ClientError>> open(const Url& url) {
        auto c = co_await pool.connect(
            url, options.connect_timeout, options.local_address, [&](std::string_view a) {
                info(options,
                     "  Trying " + std::string(a) + ":" + std::to_string(url.port) + "...");
            });
        if (c) {
            info(options, "Connected to " + url.host + " (" + c->address + ") port " +
                              std::to_string(url.port) + " (#" + std::to_string(c->number) + ")");
        }
        co_return c;
    }

    asio::awaitable<Outcome> run(const ClientRequest& request) {
        std::optional<PooledConnection> conn = pool.take(request.url);
        const bool reused = conn.has_value();
        if (reused) {
            info(options, "Re-using existing connection #" + std::to_string(conn->number) +
                              " with host " + request.url.host);
        } else {
            auto fresh = co_await open(request.url);
            if (!fresh) {
                co_return fresh.error();
            }
            conn.emplace(std::move(*fresh));
        }
        Attempt attempt = co_await exchange_on(*conn, request, options, reused);
        if (attempt.stale && is_idempotent(request.method)) {
            // RFC 9112 9.3.1: the server closed the kept connection (its idle timeout) as the
            // request went out; nothing of a response came, so sending it again is safe.
            info(options, "Connection #" + std::to_string(conn->number) +
                              " was closed by the server; retrying on a new connection");
            conn.reset();
            auto fresh = co_await open(request.url);
            if (!fresh) {
                co_return fresh.error();
            }
            conn.emplace(std::move(*fresh));
            attempt = co_await exchange_on(*conn, request, options, false);
        }
        if (attempt.keep) {
            info(options, "Connection #" + std::to_string(conn->number) + " to host " +
                              request.url.host + " left intact");
            pool.give_back(std::move(*conn));
        } else {
            info(options, "Closing connection " + std::to_string(conn->number));
        }
        co_return std::move(attempt.outcome);
    }

    ClientOptions options;
    asio::io_context io;
    ConnectionPool pool;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() = default;

Outcome Client::fetch(const ClientRequest& request) {
    std::optional<Outcome> outcome;
    asio::co_spawn(
        impl_->io,
        [&]() -> asio::awaitable<void> { outcome.emplace(co_await impl_->run(request)); },
        asio::detached);
    impl_->io.restart();
    impl_->io.run();
    if (!outcome) {
        return error(1, "the exchange ended without a result");
    }
    return std::move(*outcome);
}

std::uint64_t Client::connections_opened() const {
    return impl_->pool.opened();
}

Outcome fetch(const ClientRequest& request, const ClientOptions& options) {
    Client client(options);
    return client.fetch(request);
}

}  // namespace l7::http
