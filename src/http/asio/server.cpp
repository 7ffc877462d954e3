#include "http/asio/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
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
#include "net/deadline.hpp"
#include "net/detached.hpp"

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

// File parts up to this size are read and sent with the head (see pump()).
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

struct Connection {
    tcp::socket sock;
    const ServerOptions& options;
    const Handler& handler;
    trace::Tracer& tracer;
    Peer peer;
    std::uint64_t conn;
    trace::Recorder rec;
    net::Deadline deadline;
    // Reads wait here: a request head usually fits (see read_on() for more).
    std::array<char, 1024> inbox{};
    bool no_delay = false;  // TCP_NODELAY set
    bool corked = false;    // TCP_CORK set (on the last response only)
};

// A response on its way out: the bytes not yet sent, then the rest of the body. Most
// responses leave in one go without waiting (pump() below), so no coroutine frame, timer
// or suspension is spent on them; only a response the socket cannot take at once goes on
// in send_rest().
struct Outgoing {
    std::string pending;   // head, in-memory parts, small file stretches
    std::size_t sent = 0;  // of `pending`
    std::vector<BodyPart> parts;
    std::size_t next_part = 0;
    std::optional<FileBody> file;  // being sent with sendfile, after `pending`
    bool closing = false;          // the connection closes after this response
};

void cork(Connection& c) {
    // The close that follows sends what is queued and the FIN in one segment, as long as
    // the file's last stretch is not pushed out alone.
    if (!c.corked) {
        const int on = 1;
        c.corked = ::setsockopt(c.sock.native_handle(), IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0;
    }
}

enum class Progress { done, blocked, failed };

// The usual small response: the head and one body part in memory (a cached file, an error
// page), sent together with one sendmsg instead of copying the body behind the head. What the
// socket does not take at once is left for pump(): `out` then holds the rest.
void send_head_and_memory(int fd, Outgoing& out) {
    const std::string_view body = out.parts.front().memory();
    iovec iov[2] = {{out.pending.data(), out.pending.size()},
                    {const_cast<char*>(body.data()), body.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ssize_t n;
    do {
        n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT | (out.closing ? MSG_MORE : 0));
    } while (n < 0 && errno == EINTR);
    const std::size_t taken = n > 0 ? static_cast<std::size_t>(n) : 0;
    if (taken < out.pending.size()) {
        out.sent = taken;  // pump() sends the rest of the head, then the part
        return;
    }
    out.pending.assign(body.substr(taken - out.pending.size()));
    out.sent = 0;
    out.next_part = 1;
}

// Sends as much of `out` as the socket takes now.
Progress pump(Connection& c, Outgoing& out) {
    const int fd = c.sock.native_handle();
    if (out.sent == 0 && out.next_part == 0 && out.parts.size() == 1 && !out.parts[0].file) {
        send_head_and_memory(fd, out);
    }
    for (;;) {
        // In-memory parts and small file stretches join the pending bytes: one segment
        // instead of a head and a sendfile, and for a small file a read costs less than
        // sendfile's set-up. A larger file is sent with sendfile after them.
        while (!out.file && out.next_part < out.parts.size()) {
            BodyPart& part = out.parts[out.next_part++];
            if (!part.file) {
                out.pending += part.memory();
            } else if (part.file->length > kCoalesceFileBytes ||
                       !read_into(out.pending, *part.file)) {
                if (out.closing) {
                    cork(c);
                }
                out.file = std::move(part.file);
                break;
            }
        }
        if (out.sent < out.pending.size()) {
            // MSG_MORE: a file follows (its first segment may take these bytes along), or
            // the connection closes (they may leave with the FIN).
            const int more = out.file || out.closing ? MSG_MORE : 0;
            const ssize_t n =
                ::send(fd, out.pending.data() + out.sent, out.pending.size() - out.sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT | more);
            if (n >= 0) {
                out.sent += static_cast<std::size_t>(n);
                continue;
            }
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? Progress::blocked : Progress::failed;
        }
        out.pending.clear();
        out.sent = 0;
        if (out.file) {
            if (out.file->length == 0) {
                out.file.reset();
                continue;
            }
            if (!c.sock.native_non_blocking()) {
                std::error_code ec;
                c.sock.native_non_blocking(true, ec);  // else sendfile would wait for room
            }
            // sendfile(2): the kernel copies from the page cache to the socket.
            off_t offset = static_cast<off_t>(out.file->offset);
            const std::size_t chunk =
                static_cast<std::size_t>(std::min<std::uint64_t>(out.file->length, 1 << 20));
            const ssize_t n = ::sendfile(fd, *out.file->fd, &offset, chunk);
            if (n > 0) {
                out.file->offset += static_cast<std::uint64_t>(n);
                out.file->length -= static_cast<std::uint64_t>(n);
                continue;
            }
            if (n == 0) {
                return Progress::failed;  // the file shrank under us
            }
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN ? Progress::blocked : Progress::failed;
        }
        if (out.next_part == out.parts.size()) {
            return Progress::done;
        }
    }
}

Outgoing interim(std::string head) {
    Outgoing out;
    out.pending = std::move(head);
    return out;
}

// The rest of a response the socket could not take at once, each wait under write_timeout.
net::Step<bool> send_rest(Connection& c, Outgoing& out) {
    for (;;) {
        c.deadline.expires_after(c.options.write_timeout);
        const std::error_code ec = co_await net::writable(c.sock);
        if (ec) {
            co_return false;
        }
        const Progress p = pump(c, out);
        if (p != Progress::blocked) {
            co_return p == Progress::done;
        }
    }
}

void log_access(Connection& c, const Request& request, int status,
                std::optional<std::uint64_t> sent) {
    const auto agent = request.fields.get("User-Agent");
    const auto referer = request.fields.get("Referer");
    const std::string& peer = c.peer.address();
    c.options.access_log(
        peer.substr(0, peer.rfind(':')) + " - - " + clf_time() + " \"" + request.method + " " +
        request.target + " " + std::string(version_text(request.version)) + "\" " +
        std::to_string(status) + " " + (sent ? std::to_string(*sent) : std::string("-")) + " " +
        quoted_or_dash(referer) + " " + quoted_or_dash(agent));
}

// Finishes the head of `reply` for `request` (and logs and traces it); what is to be sent.
Outgoing prepare_response(Connection& c, const Request& request, bool request_keep_alive,
                          Reply reply) {
    ResponseContext ctx;
    ctx.method = request.method;
    ctx.version = request.version;
    ctx.request_keep_alive = request_keep_alive;
    ctx.date = date_now();
    ctx.server = c.options.server_name;
    const std::uint64_t length = reply.body_length();
    const ResponsePlan plan = finish_response(reply.response, ctx, length);
    if (plan.keep_alive && !c.no_delay) {
        // Responses leave in as few writes as possible already; on a connection that stays
        // open, Nagle's algorithm would only hold the last segment of one back until the
        // client's delayed ACK (~40 ms). A connection that closes after this response
        // needs no option: the close sends everything at once.
        std::error_code ec;
        c.sock.set_option(tcp::no_delay(true), ec);
        c.no_delay = true;
    }
    Outgoing out;
    out.pending = serialize(reply.response);
    out.closing = !plan.keep_alive;
    if (plan.send_body) {
        out.parts = std::move(reply.body);
    }
    if (c.tracer.enabled()) {
        for (std::string_view line : head_lines(out.pending)) {
            c.rec.record(trace::Direction::to_client, std::string(line));
        }
        c.tracer.flush(c.rec, c.conn, "http", c.peer.address());
    }
    if (c.options.access_log) {
        log_access(c, request, reply.response.status,
                   plan.send_body ? std::optional(length) : std::nullopt);
    }
    return out;
}

enum class Received { data, eof, timed_out, closed };

void take(Connection& c, RequestParser& parser, std::string_view bytes,
          Clock::time_point& head_deadline) {
    if (parser.idle()) {
        head_deadline = Clock::now() + c.options.header_timeout;
    }
    parser.receive(bytes);
}

// After a read filled the inbox, takes the rest of what the socket holds now (a long head, a
// body) at once through a larger per-thread buffer. What is left after that is found by the
// next read, which Asio tries before it waits.
void read_on(Connection& c, RequestParser& parser, Clock::time_point& head_deadline) {
    thread_local std::array<char, 16384> more;
    const ssize_t n = ::recv(c.sock.native_handle(), more.data(), more.size(), MSG_DONTWAIT);
    if (n > 0) {
        take(c, parser, std::string_view(more.data(), static_cast<std::size_t>(n)), head_deadline);
    }  // else: nothing now, the end, or an error; the next read sees the end or error again
}

// Reads into the inbox, waiting (under the deadline) if the socket has nothing yet.
net::Step<Received> receive(Connection& c, RequestParser& parser,
                            Clock::time_point& head_deadline) {
    const auto [ec, n] = co_await net::read_some(c.sock, asio::buffer(c.inbox));
    if (ec == asio::error::eof) {
        parser.receive_eof();
        co_return Received::eof;
    }
    if (ec) {
        co_return c.deadline.expired() ? Received::timed_out : Received::closed;
    }
    take(c, parser, std::string_view(c.inbox.data(), n), head_deadline);
    if (n == c.inbox.size()) {
        read_on(c, parser, head_deadline);
    }
    co_return Received::data;
}

// Sends a response off the hot path (an interim 100, an error); false when it failed.
net::Step<bool> send(Connection& c, Outgoing out) {
    const Progress p = pump(c, out);
    if (p == Progress::blocked) {
        co_return co_await send_rest(c, out);
    }
    co_return p == Progress::done;
}

// After an error reply the client may still be sending (the rest of a body, pipelined
// requests). Closing with unread bytes makes the kernel send a reset, which can destroy the
// reply before the client reads it; so, as RFC 9112 9.6 advises, half-close first and read
// and discard until the client closes too, for a bounded time and amount.
net::Step<> linger(Connection& c) {
    constexpr std::size_t kMaxDiscard = 64 * 1024;
    constexpr auto kMaxLinger = std::chrono::seconds(2);
    std::error_code ec;
    c.sock.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
        co_return;
    }
    c.deadline.expires_after(kMaxLinger);
    for (std::size_t discarded = 0; discarded < kMaxDiscard;) {
        const auto [read_ec, n] = co_await net::read_some(c.sock, asio::buffer(c.inbox));
        if (read_ec) {
            break;  // end of stream, an error, or the deadline
        }
        discarded += n;
    }
}

// `options` and `handler` outlive the connection: the runtime keeps the listener's handler,
// which owns them, until the connection has ended. (References, not shared pointers: copying
// one per connection would make every worker write the same reference count.)
net::Detached serve_connection(tcp::socket sock, net::Task& task, const ServerOptions& options,
                               const Handler& handler, trace::Tracer& tracer) {
    const auto executor = sock.get_executor();
    Connection c{std::move(sock),
                 options,
                 handler,
                 tracer,
                 Peer(),
                 tracer.enabled() ? trace::Tracer::next_connection_id() : 0,
                 {},
                 net::Deadline(executor, [&c] {
                     std::error_code ignored;
                     c.sock.cancel(ignored);
                 })};
    c.peer = Peer(&c.sock);
    c.rec.enable(tracer.enabled());
    std::error_code ec;
    // Reads and writes here pass MSG_DONTWAIT, so they never wait whatever the socket's
    // mode; sendfile takes no flags and needs the socket non-blocking (pump() makes sure).
    // The runtime's listeners hand over sockets that are non-blocking from accept4 on.
    auto guard = task.on_interrupt([&c] {
        std::error_code ignored;
        c.sock.cancel(ignored);
    });
    RequestParser parser(options.limits);
    const Request* request = nullptr;  // the one whose body is being read (in the parser)
    bool request_keep_alive = true;
    std::string body;
    Clock::time_point head_deadline{};
    bool open = true;
    bool lingering = false;  // closing after an error: the client may still be sending
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
                const bool in_head = !idle && request == nullptr;
                if (in_head) {
                    c.deadline.expires_at(head_deadline);
                } else {
                    c.deadline.expires_after(options.idle_timeout);
                }
                task.set_idle(idle);
                const Received got = co_await receive(c, parser, head_deadline);
                task.set_idle(false);
                if (got == Received::timed_out && !idle) {
                    log::info("http", c.peer.address() + ": request not complete in time: 408");
                    Request none;
                    none.method = "GET";
                    (void)co_await send(c, prepare_response(c, none, false, error_reply(408)));
                    lingering = true;
                }
                if (got == Received::timed_out || got == Received::closed) {
                    open = false;
                }
                break;
            }
            case Event::Kind::head:
                request = &parser.request();
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
                    !co_await send(c, interim("HTTP/1.1 100 Continue\r\n\r\n"))) {
                    open = false;
                }
                break;
            case Event::Kind::data:
                body.append(e.data);
                break;
            case Event::Kind::end: {
                Reply reply = c.handler(*request, body, c.peer);
                Outgoing out = prepare_response(c, *request, request_keep_alive, std::move(reply));
                const Progress p = pump(c, out);
                bool sent = p == Progress::done;
                if (p == Progress::blocked) {
                    // Only a response the socket cannot take at once costs a wait.
                    sent = co_await send_rest(c, out);
                }
                open = sent && !out.closing;
                request = nullptr;
                head_deadline = {};
                if (task.draining()) {
                    open = false;
                }
                break;
            }
            case Event::Kind::error: {
                log::info("http",
                          c.peer.address() + ": " + std::to_string(e.status) + " for " + e.why);
                Request failed = request ? *request : Request{};
                if (failed.method.empty()) {
                    failed.method = "GET";
                }
                (void)co_await send(
                    c, prepare_response(c, failed, false, error_reply(e.status, e.why)));
                open = false;
                lingering = true;
                break;
            }
            case Event::Kind::closed:
                open = false;
                break;
        }
    }
    if (c.tracer.enabled()) {
        c.tracer.flush(c.rec, c.conn, "http", c.peer.address());
    }
    if (lingering) {
        co_await linger(c);
    }
    c.sock.close(ec);
}

}  // namespace

const std::string& Peer::address() const {
    if (!address_) {
        std::error_code ec;
        const auto remote = socket_ ? socket_->remote_endpoint(ec) : tcp::endpoint{};
        address_ = socket_ && !ec ? endpoint_text(remote) : "?";
    }
    return *address_;
}

std::uint64_t Reply::body_length() const {
    std::uint64_t n = 0;
    for (const BodyPart& p : body) {
        n += p.file ? p.file->length : p.memory().size();
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
                                 tcp::socket sock, net::Task& task) -> net::Detached {
            return serve_connection(std::move(sock), task, *shared_options, *shared_handler,
                                    tracer);
        };
        const auto ep = runtime.listen_tcp(
            address, on_connection,
            {.max_connections = options.max_connections, .client_speaks_first = true});
        log::info("http", "listening on tcp " + endpoint_text(ep) + " (http)");
        bound.push_back(ep);
    }
    return bound;
}

}  // namespace l7::http
