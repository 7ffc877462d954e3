#include "http/asio/client.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include "dns/asio/client_resolver.hpp"
#include "http/response_parser.hpp"
#include "http/serializer.hpp"
#include "l7/version.hpp"  // l7::version
#include "net/timeout.hpp"

namespace l7::http {
namespace {

using tcp = asio::ip::tcp;
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

asio::awaitable<Outcome> exchange(const ClientRequest& request, const ClientOptions& options) {
    auto executor = co_await asio::this_coro::executor;
    auto addresses = dns::resolve_host(request.url.host);
    if (!addresses) {
        co_return error(6, "cannot resolve " + request.url.host + ": " + addresses.error().message);
    }
    tcp::socket sock(executor);
    std::string last_failure;
    bool connected = false;
    for (const std::string& a : *addresses) {
        std::error_code ec;
        const auto address = asio::ip::make_address(a, ec);
        if (ec) {
            continue;
        }
        const tcp::endpoint ep(address, request.url.port);
        std::error_code ignored;
        sock.close(ignored);
        auto done = co_await net::with_timeout(sock.async_connect(ep, net::as_tuple_awaitable),
                                               options.connect_timeout);
        if (!done) {
            last_failure = "no answer from " + a + " within the connect timeout";
            continue;
        }
        if (auto [connect_ec] = *done; connect_ec) {
            last_failure = connect_ec.message() + " (" + a + ")";
            continue;
        }
        connected = true;
        break;
    }
    if (!connected) {
        const bool timed_out = last_failure.find("within") != std::string::npos;
        co_return error(timed_out ? 28 : 7,
                        "cannot connect to " + request.url.authority() + ": " + last_failure);
    }
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
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
        head.fields.set("Content-Length", std::to_string(request.body.size()));
    }
    const std::string wire = serialize(head);
    trace::Recorder rec;
    rec.enable(options.tracer != nullptr && options.tracer->enabled());
    trace_head(rec, trace::Direction::to_server, wire);
    if (options.on_request_head) {
        options.on_request_head(wire);
    }
    const std::string out = wire + request.body;
    auto written = co_await net::with_timeout(
        asio::async_write(sock, asio::buffer(out), net::as_tuple_awaitable), options.timeout);
    if (!written || std::get<0>(*written)) {
        co_return error(written ? 55 : 28, "cannot send the request to " + request.url.authority());
    }
    ResponseParser parser;
    parser.expect(request.method);
    std::vector<char> buffer(65536);
    bool got_anything = false;
    ClientResponse result;
    while (true) {
        Event e = parser.next();
        switch (e.kind) {
            case Event::Kind::need_more: {
                auto read = co_await net::with_timeout(
                    sock.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable),
                    options.timeout);
                if (!read) {
                    co_return error(28, "no data from " + request.url.authority() + " within " +
                                            std::to_string(options.timeout.count()) + " ms");
                }
                auto [ec, n] = *read;
                if (ec == asio::error::eof) {
                    parser.receive_eof();
                } else if (ec) {
                    co_return error(
                        56, "receiving from " + request.url.authority() + ": " + ec.message());
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
                break;
            }
            case Event::Kind::data:
                if (options.on_body && !options.on_body(e.data)) {
                    co_return error(23, "cannot write the body");
                }
                break;
            case Event::Kind::end:
                if (result.response.status >= 200) {
                    if (options.tracer != nullptr) {
                        options.tracer->flush(rec, trace::Tracer::next_connection_id(), "http",
                                              request.url.authority());
                    }
                    co_return result;
                }
                break;  // an interim response: the final one follows
            case Event::Kind::error:
                co_return error(
                    8, "a malformed response from " + request.url.authority() + ": " + e.why);
            case Event::Kind::closed:
                co_return error(got_anything ? 56 : 52,
                                got_anything ? "the connection closed in the middle of the response"
                                             : "an empty reply from " + request.url.authority());
        }
    }
}

}  // namespace

Outcome fetch(const ClientRequest& request, const ClientOptions& options) {
    asio::io_context io;
    std::optional<Outcome> outcome;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> { outcome.emplace(co_await exchange(request, options)); },
        asio::detached);
    io.run();
    if (!outcome) {
        return error(1, "the exchange ended without a result");
    }
    return std::move(*outcome);
}

}  // namespace l7::http
