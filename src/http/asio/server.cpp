#include "http/asio/server.hpp"

#include <sys/sendfile.h>
#include <unistd.h>

#include <array>
#include <asio/write.hpp>
#include <cerrno>
#include <cstdio>

#include "core/log.hpp"
#include "http/html_escape.hpp"
#include "http/http_date.hpp"
#include "http/response_head.hpp"
#include "http/serializer.hpp"
#include "net/timeout.hpp"

namespace l7::http {
namespace {

using Clock = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

std::string endpoint_text(const tcp::endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

// The Date field, formatted once per second per thread.
const std::string& date_now() {
    thread_local std::int64_t second = -1;
    thread_local std::string text;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    if (now != second) {
        second = now;
        text = format_http_date(now);
    }
    return text;
}

// [10/Oct/2000:13:55:36 +0000], the Common Log Format's time, in UTC.
std::string clf_time() {
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const CivilTime t = civil_from_unix(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
    char buf[40];
    std::snprintf(buf, sizeof buf, "[%02u/%s/%04lld:%02u:%02u:%02u +0000]", t.day,
                  months[t.month - 1], static_cast<long long>(t.year), t.hour, t.minute, t.second);
    return buf;
}

std::string quoted_or_dash(std::optional<std::string_view> v) {
    if (!v) {
        return "\"-\"";
    }
    std::string out = "\"";
    for (char c : *v) {
        out += (c == '"' || c == '\\') ? '\'' : c;
    }
    return out + "\"";
}

// File parts up to this size are read and sent with the head (see respond()).
constexpr std::uint64_t kCoalesceFileBytes = 64 * 1024;

// Appends the file stretch to `out`; false (and `out` as it was) when it cannot be read whole.
bool read_into(std::string& out, const FileBody& file) {
    const std::size_t before = out.size();
    out.resize(before + file.length);
    std::uint64_t done = 0;
    while (done < file.length) {
        const ssize_t n = ::pread(*file.fd, out.data() + before + done, file.length - done,
                                  static_cast<off_t>(file.offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            out.resize(before);
            return false;
        }
        done += static_cast<std::uint64_t>(n);
    }
    return true;
}

asio::awaitable<bool> write_all(tcp::socket& sock, std::string_view data,
                                std::chrono::milliseconds timeout) {
    auto written = co_await net::with_timeout(
        asio::async_write(sock, asio::buffer(data.data(), data.size()), net::as_tuple_awaitable),
        timeout);
    co_return written && !std::get<0>(*written);
}

// sendfile(2): the kernel copies from the page cache to the socket (no user-space copy).
asio::awaitable<bool> send_file(tcp::socket& sock, const FileBody& file,
                                std::chrono::milliseconds timeout) {
    off_t offset = static_cast<off_t>(file.offset);
    std::uint64_t left = file.length;
    while (left > 0) {
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, 1 << 20));
        const ssize_t n = ::sendfile(sock.native_handle(), *file.fd, &offset, chunk);
        if (n > 0) {
            left -= static_cast<std::uint64_t>(n);
            continue;
        }
        if (n == 0) {
            co_return false;  // the file shrank under us
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            co_return false;
        }
        auto ready = co_await net::with_timeout(
            sock.async_wait(tcp::socket::wait_write, net::as_tuple_awaitable), timeout);
        if (!ready || std::get<0>(*ready)) {
            co_return false;
        }
    }
    co_return true;
}

struct Connection {
    tcp::socket sock;
    const ServerOptions& options;
    const Handler& handler;
    trace::Tracer& tracer;
    std::string peer;
    std::uint64_t conn;
    trace::Recorder rec;
};

// Sends `reply` for `request`; false when the connection must close.
asio::awaitable<bool> respond(Connection& c, const Request& request, bool request_keep_alive,
                              Reply reply) {
    ResponseContext ctx;
    ctx.method = request.method;
    ctx.version = request.version;
    ctx.request_keep_alive = request_keep_alive;
    ctx.date = date_now();
    ctx.server = c.options.server_name;
    const std::uint64_t length = reply.body_length();
    const ResponsePlan plan = finish_response(reply.response, ctx, length);
    const std::string head = serialize(reply.response);
    if (c.tracer.enabled()) {
        for (std::string_view line : head_lines(head)) {
            c.rec.record(trace::Direction::to_client, std::string(line));
        }
        c.tracer.flush(c.rec, c.conn, "http", c.peer);
    }
    if (c.options.access_log) {
        const auto agent = request.fields.get("User-Agent");
        const auto referer = request.fields.get("Referer");
        const std::size_t colon = c.peer.rfind(':');
        c.options.access_log(c.peer.substr(0, colon) + " - - " + clf_time() + " \"" +
                             request.method + " " + request.target + " " +
                             std::string(version_text(request.version)) + "\" " +
                             std::to_string(reply.response.status) + " " +
                             (plan.send_body ? std::to_string(length) : std::string("-")) + " " +
                             quoted_or_dash(referer) + " " + quoted_or_dash(agent));
    }
    // The head and the in-memory parts that follow it go out in one write where possible;
    // so do small stretches of files: one segment instead of a head and a sendfile, and for
    // a small file a read costs less than sendfile's set-up.
    std::string pending = head;
    for (const BodyPart& part : reply.body) {
        if (!plan.send_body) {
            break;
        }
        if (!part.file) {
            pending += part.bytes;
            continue;
        }
        if (part.file->length <= kCoalesceFileBytes && read_into(pending, *part.file)) {
            continue;
        }
        if (!pending.empty() && !co_await write_all(c.sock, pending, c.options.write_timeout)) {
            co_return false;
        }
        pending.clear();
        if (!co_await send_file(c.sock, *part.file, c.options.write_timeout)) {
            co_return false;
        }
    }
    if (!pending.empty() && !co_await write_all(c.sock, pending, c.options.write_timeout)) {
        co_return false;
    }
    co_return plan.keep_alive;
}

asio::awaitable<void> serve_connection(tcp::socket sock, net::Task& task,
                                       std::shared_ptr<const ServerOptions> options,
                                       std::shared_ptr<const Handler> handler,
                                       trace::Tracer& tracer) {
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    Connection c{std::move(sock),
                 *options,
                 *handler,
                 tracer,
                 ec ? "?" : endpoint_text(remote),
                 trace::Tracer::next_connection_id(),
                 {}};
    c.rec.enable(tracer.enabled());
    c.sock.native_non_blocking(true, ec);
    c.sock.non_blocking(true, ec);  // read_some below returns would_block, never waits
    // Responses leave in as few writes as possible already; Nagle's algorithm would only hold
    // a response's last segment back until the client's delayed ACK (~40 ms).
    c.sock.set_option(tcp::no_delay(true), ec);
    auto guard = task.on_interrupt([&c] {
        std::error_code ignored;
        c.sock.cancel(ignored);
    });
    RequestParser parser(options->limits);
    // Reads go into this thread's buffer once the socket is readable, and the parser keeps
    // only the bytes it has not used: an idle connection holds no read buffer.
    thread_local std::array<char, 16384> buffer;
    std::optional<Request> request;  // the one whose body is being read
    bool request_keep_alive = true;
    std::string body;
    Clock::time_point head_deadline{};
    bool open = true;
    while (open) {
        Event e = parser.next();
        switch (e.kind) {
            case Event::Kind::need_more: {
                if (task.draining() && parser.idle()) {
                    open = false;
                    break;
                }
                // A new request's head must be complete by its deadline; between requests the
                // idle timeout applies; inside a body, each read gets the idle timeout.
                const bool idle = parser.idle();
                if (idle) {
                    head_deadline = {};
                }
                auto wait = options->idle_timeout;
                if (!idle && !request) {
                    if (head_deadline == Clock::time_point{}) {
                        head_deadline = Clock::now() + options->header_timeout;
                    }
                    wait = std::chrono::duration_cast<std::chrono::milliseconds>(head_deadline -
                                                                                 Clock::now());
                    if (wait.count() <= 0) {
                        wait = std::chrono::milliseconds(1);
                    }
                }
                task.set_idle(idle);
                auto readable = co_await net::with_timeout(
                    c.sock.async_wait(tcp::socket::wait_read, net::as_tuple_awaitable), wait);
                task.set_idle(false);
                if (!readable) {
                    if (!idle) {
                        log::info("http", c.peer + ": request not complete within " +
                                              std::to_string(wait.count()) + " ms: 408");
                        Request none;
                        none.method = "GET";
                        (void)co_await respond(c, none, false, error_reply(408));
                    }
                    open = false;
                    break;
                }
                if (std::get<0>(*readable)) {
                    open = false;
                    break;
                }
                std::error_code read_ec;
                const std::size_t n = c.sock.read_some(asio::buffer(buffer), read_ec);
                if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) {
                    break;  // woken without data: wait again
                }
                if (read_ec == asio::error::eof) {
                    parser.receive_eof();
                } else if (read_ec) {
                    open = false;
                } else {
                    if (parser.idle()) {
                        head_deadline = Clock::now() + options->header_timeout;
                    }
                    parser.receive(std::string_view(buffer.data(), n));
                }
                break;
            }
            case Event::Kind::head:
                request = parser.request();
                request_keep_alive = parser.keep_alive();
                body.clear();
                if (c.tracer.enabled()) {
                    c.rec.record(trace::Direction::to_server,
                                 request->method + " " + request->target + " " +
                                     std::string(version_text(request->version)));
                    for (const Field& f : request->fields.all()) {
                        c.rec.record(trace::Direction::to_server, f.name + ": " + f.value);
                    }
                }
                if (parser.expects_continue() &&
                    !co_await write_all(c.sock, "HTTP/1.1 100 Continue\r\n\r\n",
                                        options->write_timeout)) {
                    open = false;
                }
                break;
            case Event::Kind::data:
                body.append(e.data);
                break;
            case Event::Kind::end: {
                Reply reply = c.handler(*request, body, Peer{c.peer});
                open = co_await respond(c, *request, request_keep_alive, std::move(reply));
                request.reset();
                head_deadline = {};
                if (task.draining()) {
                    open = false;
                }
                break;
            }
            case Event::Kind::error: {
                log::info("http", c.peer + ": " + std::to_string(e.status) + " for " + e.why);
                Request failed = request.value_or(Request{});
                if (failed.method.empty()) {
                    failed.method = "GET";
                }
                (void)co_await respond(c, failed, false, error_reply(e.status, e.why));
                open = false;
                break;
            }
            case Event::Kind::closed:
                open = false;
                break;
        }
    }
    c.tracer.flush(c.rec, c.conn, "http", c.peer);
    c.sock.shutdown(tcp::socket::shutdown_send, ec);
    c.sock.close(ec);
}

}  // namespace

std::uint64_t Reply::body_length() const {
    std::uint64_t n = 0;
    for (const BodyPart& p : body) {
        n += p.file ? p.file->length : p.bytes.size();
    }
    return n;
}

Reply error_reply(int status, std::string_view detail) {
    Reply r;
    r.response.status = status;
    const std::string title = std::to_string(status) + " " + std::string(reason_phrase(status));
    std::string html = "<!DOCTYPE html>\n<html><head><title>" + title +
                       "</title></head>\n<body><h1>" + title + "</h1>\n";
    if (!detail.empty()) {
        html += "<p>" + escape_html(detail);  // the detail is ours, but may quote the client
        html += "</p>\n";
    }
    html += "</body></html>\n";
    r.response.fields.add("Content-Type", "text/html; charset=utf-8");
    r.body.push_back({std::move(html), std::nullopt});
    return r;
}

std::vector<tcp::endpoint> start_server(net::Runtime& runtime, const ServerOptions& options,
                                        Handler handler, trace::Tracer& tracer) {
    auto shared_options = std::make_shared<const ServerOptions>(options);
    auto shared_handler = std::make_shared<const Handler>(std::move(handler));
    std::vector<tcp::endpoint> bound;
    for (const HostPort& address : options.listen) {
        auto on_connection = [shared_options, shared_handler, &tracer](
                                 tcp::socket sock, net::Task& task) -> asio::awaitable<void> {
            return serve_connection(std::move(sock), task, shared_options, shared_handler, tracer);
        };
        const auto ep = runtime.listen_tcp(address, on_connection,
                                           {.max_connections = options.max_connections});
        log::info("http", "listening on tcp " + endpoint_text(ep) + " (http)");
        bound.push_back(ep);
    }
    return bound;
}

}  // namespace l7::http
