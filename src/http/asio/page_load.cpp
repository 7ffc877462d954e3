#include "http/asio/page_load.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "http/asio/connection_pool.hpp"
#include "http/head_syntax.hpp"
#include "http/response_parser.hpp"
#include "http/serializer.hpp"
#include "l7/version.hpp"  // l7::version
#include "net/timeout.hpp"

namespace l7::http {
namespace {

using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string origin_of(const Url& url) {
    return url.scheme + "://" + ascii_lowercase(url.authority());
}

// How many connections in a row may end without answering a single request before the
// objects still waiting are given up: a server that accepts and closes cannot loop us.
constexpr int kMaxFruitlessConnections = 3;

// One TCP connection with the parser of its responses.
struct Connection {
    Connection(const asio::any_io_executor& ex, std::uint64_t max_body, std::size_t& open)
        : socket(ex),
          parser(ResponseLimits{.head = {}, .body = {.max_body = max_body}}),
          open_count(open) {}
    ~Connection() {
        if (counted) {
            --open_count;
        }
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    tcp::socket socket;
    ResponseParser parser;
    trace::Recorder rec;
    std::size_t number = 0;  // 1-based; report.connections[number - 1]
    std::string peer;        // host:port, for the trace
    std::size_t& open_count;
    bool counted = false;
    std::optional<Clock::time_point> first_request_at;
    bool first_byte_seen = false;
    bool eof = false;   // the server closed (or reset) its side
    bool dead = false;  // closed, reset or failed: no more requests on it
    std::size_t responses = 0;
};

using ConnectionPtr = std::unique_ptr<Connection>;

// Why an object has no response: the message, and the curl exit code for the base page.
struct Failure {
    int exit_code = 1;
    std::string why;
};

enum class ReadEnd {
    complete,
    closed_early,  // the connection ended before this response began: worth another try
    failed,
};

struct ReadOutcome {
    ReadEnd end = ReadEnd::failed;
    Failure failure;
};

// How many responses of a pipelined batch came, and how the reading ended.
struct BatchOutcome {
    std::size_t completed = 0;
    ReadOutcome last;
};

class Loader {
  public:
    Loader(asio::any_io_executor executor, const Url& page, const PageLoadOptions& options)
        : options_(options), connector_(std::move(executor)) {
        urls_.push_back(page);
        report_.url = page.to_string();
        report_.mode = options.mode;
        ObjectTiming base;
        base.url = report_.url;
        base.element = "page";
        report_.objects.push_back(base);
        failures_.emplace_back();
        started_.emplace_back();
    }

    asio::awaitable<void> run() {
        t0_ = Clock::now();
        last_done_ = t0_;
        if (options_.tracer != nullptr && options_.tracer->enabled()) {
            trace::Recorder rec;
            rec.enable(true);
            rec.record(trace::Direction::note,
                       "page load of " + report_.url + ", mode " + options_.mode.name());
            options_.tracer->flush(rec, 0, "http", urls_[0].authority());
        }
        co_await fetch_page();
        if (report_.objects[0].status == 0) {
            co_return;
        }
        add_objects();
        std::vector<std::size_t> ids;
        for (std::size_t i = 1; i < urls_.size(); ++i) {
            if (urls_[i].scheme != "http") {
                fail(i, Failure{1, "not fetched: https needs TLS, which l7 does not have yet"});
            } else {
                ids.push_back(i);
            }
        }
        auto ex = co_await asio::this_coro::executor;
        switch (options_.mode.kind) {
            case LoadMode::non_persistent:
                co_await single_lane(
                    std::make_shared<std::deque<std::size_t>>(ids.begin(), ids.end()));
                break;
            case LoadMode::parallel: {
                auto queue = std::make_shared<std::deque<std::size_t>>(ids.begin(), ids.end());
                const std::size_t lanes =
                    std::min<std::size_t>(options_.mode.connections, ids.size());
                for (std::size_t i = 0; i < lanes; ++i) {
                    asio::co_spawn(ex, single_lane(queue), asio::detached);
                }
                break;
            }
            case LoadMode::persistent:
                co_await persistent_lane(ids);
                break;
            case LoadMode::pipelined: {
                // One pipeline per origin, all at once, in the order origins first appear.
                std::vector<std::pair<std::string, std::vector<std::size_t>>> by_origin;
                for (std::size_t id : ids) {
                    const std::string origin = origin_of(urls_[id]);
                    auto it = std::find_if(by_origin.begin(), by_origin.end(),
                                           [&](const auto& p) { return p.first == origin; });
                    if (it == by_origin.end()) {
                        by_origin.push_back({origin, {}});
                        it = std::prev(by_origin.end());
                    }
                    it->second.push_back(id);
                }
                for (auto& [origin, list] : by_origin) {
                    asio::co_spawn(ex, pipelined_lane(std::move(list)), asio::detached);
                }
                break;
            }
        }
        // Pipelined lanes, spawned above, have not started yet: they take the page's
        // connection from idle_ when they do. What is left there closes with the Loader.
    }

    // After the io_context has run dry.
    PageLoad finish() {
        report_.total_ms = ms_between(t0_, last_done_);
        return std::move(report_);
    }

    const Failure& page_failure() const { return failures_[0]; }
    bool page_answered() const { return report_.objects[0].status != 0; }

  private:
    // --- the base page and its references -------------------------------------------------

    asio::awaitable<void> fetch_page() {
        if (keeps_connections()) {
            ConnectionPtr conn = co_await open_for(0);
            if (!conn) {
                co_return;
            }
            if (auto why = co_await send(*conn, std::vector<std::size_t>(1, 0), false)) {
                fail(0, *why);
                co_return;
            }
            const ReadOutcome r = co_await read_response(*conn, 0, &page_body_);
            if (r.end != ReadEnd::complete) {
                fail(0, r.failure);
            } else if (!conn->dead) {
                idle_[origin_of(urls_[0])] = std::move(conn);
            }
            co_return;
        }
        co_await fetch_alone(0, &page_body_);
    }

    void add_objects() {
        const Response& head = page_head_;
        const auto type = head.fields.get("Content-Type");
        const bool html = !type || ascii_lowercase(*type).find("html") != std::string::npos;
        if (head.status < 200 || head.status >= 300 || !html) {
            return;
        }
        const HtmlRefs refs = extract_html_refs(page_body_, urls_[0], options_.refs);
        report_.skipped_refs = refs.skipped;
        report_.refs_truncated = refs.truncated || page_truncated_;
        for (const HtmlRef& r : refs.refs) {
            urls_.push_back(r.url);
            ObjectTiming o;
            o.url = r.url.to_string();
            o.element = r.element;
            o.same_origin = r.same_origin;
            report_.objects.push_back(std::move(o));
            failures_.emplace_back();
            started_.emplace_back();
        }
    }

    bool keeps_connections() const {
        return options_.mode.kind == LoadMode::persistent ||
               options_.mode.kind == LoadMode::pipelined;
    }

    // --- the four ways --------------------------------------------------------------------

    // Non-persistent: each object on a connection of its own. Parallel mode runs N of these
    // lanes over one queue.
    asio::awaitable<void> single_lane(std::shared_ptr<std::deque<std::size_t>> queue) {
        while (!queue->empty()) {
            const std::size_t id = queue->front();
            queue->pop_front();
            co_await fetch_alone(id, nullptr);
        }
    }

    asio::awaitable<void> fetch_alone(std::size_t id, std::string* body) {
        ConnectionPtr conn = co_await open_for(id);
        if (!conn) {
            co_return;
        }
        if (auto why = co_await send(*conn, std::vector<std::size_t>(1, id), true)) {
            fail(id, *why);
            co_return;
        }
        const ReadOutcome r = co_await read_response(*conn, id, body);
        if (r.end != ReadEnd::complete) {
            fail(id, r.failure);
        }
    }

    // Persistent without pipelining: the next request leaves when the previous response has
    // ended, on the origin's open connection. A connection that the server closed after its
    // last response is replaced; one that closed before answering a request it had received
    // on reuse (an idle timeout racing our request) gets the request once more.
    asio::awaitable<void> persistent_lane(std::vector<std::size_t> ids) {
        for (std::size_t id : ids) {
            const std::string origin = origin_of(urls_[id]);
            for (int attempt = 0; attempt < 2; ++attempt) {
                ConnectionPtr conn = std::move(idle_[origin]);
                idle_.erase(origin);
                const bool reused = conn != nullptr;
                if (!conn) {
                    conn = co_await open_for(id);
                    if (!conn) {
                        break;
                    }
                }
                if (auto why = co_await send(*conn, std::vector<std::size_t>(1, id), false)) {
                    if (reused && attempt == 0) {
                        continue;
                    }
                    fail(id, *why);
                    break;
                }
                const ReadOutcome r = co_await read_response(*conn, id, nullptr);
                if (r.end == ReadEnd::complete) {
                    if (!conn->dead) {
                        idle_[origin] = std::move(conn);
                    }
                    break;
                }
                if (r.end == ReadEnd::closed_early && reused && attempt == 0) {
                    continue;
                }
                fail(id, r.failure);
                break;
            }
        }
        idle_.clear();
    }

    // Pipelining (RFC 9112 section 9.3.2): every request of the origin written back to back
    // while the responses are read in order. When the server closes before answering them
    // all, the rest go out again on a new connection.
    asio::awaitable<void> pipelined_lane(std::vector<std::size_t> ids) {
        using namespace asio::experimental::awaitable_operators;
        const std::string origin = origin_of(urls_[ids.front()]);
        std::deque<std::size_t> waiting(ids.begin(), ids.end());
        int fruitless = 0;
        // After a server closed a connection having answered k requests, send k at a time:
        // a server that answers one per connection (HTTP/1.0) is not sent all of them again
        // each time.
        std::size_t batch_size = waiting.size();
        ConnectionPtr conn = std::move(idle_[origin]);
        idle_.erase(origin);
        while (!waiting.empty()) {
            if (!conn) {
                const std::size_t first = waiting.front();
                conn = co_await open_for(first);
                if (!conn) {
                    // open_for failed the first; the others would meet the same refusal.
                    const Failure refused = failures_[first];
                    waiting.pop_front();
                    fail_all(waiting, refused);
                    break;
                }
            }
            const std::vector<std::size_t> batch(
                waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(
                                                       std::min(batch_size, waiting.size())));
            auto [sent, got] = co_await (send(*conn, batch, false) && read_batch(*conn, batch));
            (void)sent;  // a failed write shows as responses that never come
            for (std::size_t i = 0; i < got.completed; ++i) {
                waiting.pop_front();
            }
            if (waiting.empty()) {
                break;
            }
            if (got.completed == batch.size() && !conn->dead) {
                batch_size = waiting.size();  // it keeps connections after all: the rest at once
                continue;
            }
            if (got.last.failure.exit_code == 28) {
                fail_all(waiting, got.last.failure);  // all were sent; none came in time
                break;
            }
            if (got.completed > 0) {
                fruitless = 0;
                batch_size = got.completed;
            } else if (got.last.end != ReadEnd::closed_early ||
                       ++fruitless >= kMaxFruitlessConnections) {
                // The server answers this request with garbage, or keeps closing: give up on
                // it (and, after repeated closes, on all that wait).
                fail(waiting.front(), got.last.failure);
                waiting.pop_front();
                if (fruitless >= kMaxFruitlessConnections) {
                    fail_all(waiting, got.last.failure);
                    break;
                }
            }
            conn.reset();  // it ended before the batch did
        }
    }

    void fail_all(std::deque<std::size_t>& ids, const Failure& failure) {
        for (std::size_t id : ids) {
            fail(id, failure);
        }
        ids.clear();
    }

    // --- one connection -------------------------------------------------------------------

    // A new connection to the origin of object `id`, or null with the object failed. The
    // connect time runs from the attempt at the address that answered, so name resolution
    // is not counted as part of the handshake.
    asio::awaitable<ConnectionPtr> open_for(std::size_t id) {
        const Url& url = urls_[id];
        Clock::time_point began = Clock::now();
        auto connected =
            co_await connector_.connect(url, options_.connect_timeout, {},
                                        [&began](std::string_view) { began = Clock::now(); });
        if (!connected) {
            fail(id, Failure{connected.error().exit_code, connected.error().message});
            co_return nullptr;
        }
        auto conn = std::make_unique<Connection>(co_await asio::this_coro::executor,
                                                 options_.max_object_bytes, open_now_);
        conn->socket = std::move(connected->socket);
        const Clock::time_point done = Clock::now();
        if (report_.connections.empty()) {
            t0_ = began;  // the load's clock starts with the first handshake, not the DNS
            last_done_ = std::max(last_done_, t0_);
        }
        std::error_code ignored;
        // Requests go out at once, as browsers send them: Nagle would hold a request back
        // behind an unacknowledged one and add delays the course's arithmetic does not have.
        conn->socket.set_option(tcp::no_delay(true), ignored);
        ConnectionTiming timing;
        timing.number = report_.connections.size() + 1;
        timing.origin = url.authority();
        timing.opened_ms = ms_between(t0_, began);
        timing.connect_ms = ms_between(began, done);
        report_.connections.push_back(timing);
        conn->number = timing.number;
        conn->peer = url.authority();
        conn->counted = true;
        report_.peak_connections = std::max(report_.peak_connections, ++open_now_);
        conn->rec.enable(options_.tracer != nullptr && options_.tracer->enabled());
        conn->rec.record(trace::Direction::note, "connection " + std::to_string(conn->number) +
                                                     " to " + url.authority() + ", connected in " +
                                                     format_ms(timing.connect_ms));
        flush(*conn);
        co_return conn;
    }

    static std::string format_ms(double ms) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3f ms", ms);
        return buf;
    }

    void flush(Connection& conn) {
        if (options_.tracer != nullptr && !conn.rec.empty()) {
            options_.tracer->flush(conn.rec, conn.number, "http", conn.peer);
        }
    }

    // Writes the requests of `ids` back to back; the failure's text, or nullopt. (Callers
    // pass a named vector, never `{id}`: g++ 12 rejects a braced list in a co_await call.)
    asio::awaitable<std::optional<Failure>> send(Connection& conn, std::vector<std::size_t> ids,
                                                 bool close) {
        std::string wire;
        const Clock::time_point now = Clock::now();
        for (std::size_t id : ids) {
            Request r;
            r.method = "GET";
            r.target = urls_[id].target;
            r.fields.add("Host", urls_[id].authority());
            r.fields.add("User-Agent", std::string("l7/") + l7::version);
            r.fields.add("Accept", "*/*");
            if (close) {
                r.fields.add("Connection", "close");  // non-persistent HTTP (RFC 9112 9.6)
            }
            const std::string head = serialize(r);
            if (conn.rec.enabled()) {
                for (std::string_view line : head_lines(head)) {
                    conn.rec.record(trace::Direction::to_server, line);
                }
            }
            wire += head;
            conn.parser.expect("GET");
            report_.objects[id].start_ms = ms_between(t0_, now);
            report_.objects[id].connection = conn.number;
            started_[id] = now;
        }
        flush(conn);
        if (!conn.first_request_at) {
            conn.first_request_at = now;
        }
        auto written = co_await net::with_timeout(
            asio::async_write(conn.socket, asio::buffer(wire), net::as_tuple_awaitable),
            options_.timeout);
        if (!written || std::get<0>(*written)) {
            conn.dead = true;
            co_return Failure{written ? 55 : 28, "cannot send the request to " + conn.peer};
        }
        co_return std::nullopt;
    }

    asio::awaitable<BatchOutcome> read_batch(Connection& conn, std::vector<std::size_t> ids) {
        BatchOutcome out;
        for (std::size_t id : ids) {
            out.last = co_await read_response(conn, id, nullptr);
            if (out.last.end != ReadEnd::complete) {
                break;
            }
            ++out.completed;
            if (conn.dead) {
                break;  // the server said it closes: the rest will not be answered here
            }
        }
        if (out.completed < ids.size()) {
            // No more answers will be read here: a write still waiting (a server that stopped
            // reading) must not hold the lane until its deadline.
            std::error_code ignored;
            conn.socket.cancel(ignored);
        }
        co_return out;
    }

    // Reads the response to object `id` (interim 1xx responses skipped), keeping its body in
    // `body` up to the page limit when asked.
    asio::awaitable<ReadOutcome> read_response(Connection& conn, std::size_t id,
                                               std::string* body) {
        ObjectTiming& obj = report_.objects[id];
        std::vector<char> buffer(65536);
        bool head_seen = false;
        obj.bytes = 0;
        while (true) {
            Event e = conn.parser.next();
            switch (e.kind) {
                case Event::Kind::need_more: {
                    if (conn.eof) {
                        co_return ReadOutcome{ReadEnd::closed_early,
                                              {52, "the connection to " + conn.peer + " closed"}};
                    }
                    auto read = co_await net::with_timeout(
                        conn.socket.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable),
                        options_.timeout);
                    if (!read) {
                        conn.dead = true;
                        co_return ReadOutcome{
                            ReadEnd::failed,
                            {28, "no data from " + conn.peer + " within " +
                                     std::to_string(options_.timeout.count()) + " ms"}};
                    }
                    auto [ec, n] = *read;
                    if (ec == asio::error::eof || ec == asio::error::connection_reset) {
                        // A reset after a complete response is a close; what is buffered
                        // still counts.
                        conn.parser.receive_eof();
                        conn.eof = true;
                        conn.dead = true;
                    } else if (ec) {
                        conn.dead = true;
                        co_return ReadOutcome{
                            ReadEnd::failed,
                            {56, "receiving from " + conn.peer + ": " + ec.message()}};
                    } else {
                        if (!conn.first_byte_seen && conn.first_request_at) {
                            conn.first_byte_seen = true;
                            report_.connections[conn.number - 1].first_byte_ms =
                                ms_between(*conn.first_request_at, Clock::now());
                        }
                        report_.wire_bytes += n;
                        conn.parser.receive(std::string_view(buffer.data(), n));
                    }
                    break;
                }
                case Event::Kind::head:
                    head_seen = true;
                    if (conn.rec.enabled()) {
                        const std::string text = serialize(conn.parser.response());
                        for (std::string_view line : head_lines(text)) {
                            conn.rec.record(trace::Direction::to_client, line);
                        }
                        flush(conn);
                    }
                    if (id == 0 && conn.parser.response().status >= 200) {
                        page_head_ = conn.parser.response();
                    }
                    break;
                case Event::Kind::data:
                    obj.bytes += e.data.size();
                    if (body != nullptr) {
                        const std::size_t room =
                            options_.max_page_bytes > body->size()
                                ? static_cast<std::size_t>(options_.max_page_bytes - body->size())
                                : 0;
                        if (e.data.size() > room) {
                            page_truncated_ = true;
                        }
                        body->append(e.data.substr(0, std::min(room, e.data.size())));
                    }
                    break;
                case Event::Kind::end: {
                    const Response& r = conn.parser.response();
                    if (r.status < 200) {
                        break;  // interim: the final response follows
                    }
                    const Clock::time_point now = Clock::now();
                    obj.status = r.status;
                    obj.connection = conn.number;
                    obj.ms = ms_between(started_[id], now);
                    last_done_ = std::max(last_done_, now);
                    ++conn.responses;
                    ++report_.connections[conn.number - 1].responses;
                    if (!conn.parser.keep_alive()) {
                        conn.dead = true;  // Connection: close, or HTTP/1.0
                    }
                    co_return ReadOutcome{ReadEnd::complete, {}};
                }
                case Event::Kind::error:
                    conn.dead = true;
                    co_return ReadOutcome{
                        ReadEnd::failed,
                        {8, "a malformed response from " + conn.peer + ": " + e.why}};
                case Event::Kind::closed:
                    conn.dead = true;
                    if (!head_seen) {
                        co_return ReadOutcome{
                            ReadEnd::closed_early,
                            {52, "the connection to " + conn.peer + " closed before a response"}};
                    }
                    co_return ReadOutcome{
                        ReadEnd::failed,
                        {56, "the connection closed in the middle of the response"}};
            }
        }
    }

    void fail(std::size_t id, const Failure& failure) {
        ObjectTiming& obj = report_.objects[id];
        obj.status = 0;
        obj.error = failure.why;
        failures_[id] = failure;
        last_done_ = std::max(last_done_, Clock::now());
    }

    PageLoadOptions options_;
    PageLoad report_;
    std::vector<Url> urls_;                      // parallel to report_.objects
    std::vector<Failure> failures_;              // parallel to report_.objects
    std::vector<Clock::time_point> started_;     // when each object's request was sent
    std::map<std::string, ConnectionPtr> idle_;  // open connections by origin, between uses
    ConnectionPool connector_;  // its connect(): resolve, then each address in turn
    std::size_t open_now_ = 0;
    std::string page_body_;
    bool page_truncated_ = false;
    Response page_head_;
    Clock::time_point t0_;
    Clock::time_point last_done_;
};

}  // namespace

Result<PageLoad, ClientError> load_page(const Url& page, const PageLoadOptions& options) {
    asio::io_context io;
    Loader loader(io.get_executor(), page, options);
    asio::co_spawn(io, loader.run(), asio::detached);
    io.run();
    if (!loader.page_answered()) {
        const Failure& f = loader.page_failure();
        return ClientError{f.exit_code, f.why.empty() ? "no response for the page" : f.why};
    }
    return loader.finish();
}

}  // namespace l7::http
