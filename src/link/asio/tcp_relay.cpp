// TCP through the link: one task per accepted connection, which connects to the target and
// runs four coroutines, a reader and a writer per direction, around the two LinkModels.
//
//   reader:  while the model has room, read from the source (at most room bytes) and push;
//            at EOF push the FIN; when the model is full, sleep until it may have room
//            (back-pressure: the source's TCP window closes, as behind a slow link).
//   writer:  sleep until the next chunk is due, write everything due to the destination;
//            when the FIN is due, shut down the destination's sending side (half-close).
//
// A new connection first waits one delay (the SYN crossing the link; no jitter and no queue:
// a SYN is tiny) before connecting to the target, and its client's bytes are not read before
// two delays have passed since the accept (the SYN-ACK coming back). The kernel has already
// completed the client's handshake on loopback, so without this a connection would cost no
// round trip at all, and the course's non-persistent vs persistent HTTP comparison is exactly
// about that round trip.
//
// A reset or error on either side, an idle timeout, or a write that makes no progress within
// the idle timeout ends the whole connection: both sockets are closed (reset after errors).

#include <asio/connect.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "link/asio/alarm.hpp"
#include "link/asio/relay_state.hpp"
#include "net/timeout.hpp"

namespace l7::link {

namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr std::size_t read_buffer_bytes = 64 * 1024;
constexpr std::size_t max_write_bytes = 256 * 1024;  // gathered from due chunks per write
// While the model is full and only a delivery can make room, look again at least this often.
constexpr auto room_recheck = 1s;

std::string endpoint_text(const tcp::endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

// One direction of a connection.
struct Half {
    Half(const char* name_, const char* to_name_, trace::Direction dir_, tcp::socket& from_,
         tcp::socket& to_, const FlowParams& flow, std::shared_ptr<Wire> wire,
         const asio::any_io_executor& ex)
        : name(name_),
          to_name(to_name_),
          dir(dir_),
          from(from_),
          to(to_),
          model(Mode::stream, flow, std::move(wire)),
          writer_alarm(ex),
          reader_alarm(ex) {}

    const char* name;     // "client" or "target": who sends on this half
    const char* to_name;  // and who receives
    trace::Direction dir;
    tcp::socket& from;
    tcp::socket& to;
    LinkModel model;
    Alarm writer_alarm;  // rung by the reader after a push
    Alarm reader_alarm;  // rung by the writer after a delivery (room may have grown)
    bool writing = false;
};

class Connection {
  public:
    Connection(tcp::socket client, net::Task& task, const std::shared_ptr<RelayState>& st,
               const asio::any_io_executor& ex)
        : st_(st),
          o_(st->options),
          task_(task),
          client_(std::move(client)),
          server_(ex),
          up_("client", "target", trace::Direction::to_server, client_, server_, o_.flow, st->up,
              ex),
          down_("target", "client", trace::Direction::to_client, server_, client_, o_.flow,
                st->down, ex),
          setup_alarm_(ex),
          rng_(std::random_device{}()),
          conn_id_(trace::Tracer::next_connection_id()) {
        std::error_code ec;
        const auto remote = client_.remote_endpoint(ec);
        peer_ = ec ? "?" : endpoint_text(remote);
        rec_.enable(st->tracer.enabled());
    }

    asio::awaitable<void> run() {
        auto guard = task_.on_interrupt([this] { abort("interrupted", false); });
        const TimePoint accepted = Clock::now();
        note("connection from " + peer_ + " to " + st_->target_text);
        // The SYN crosses the link.
        task_.set_idle(false);
        if (o_.flow.delay.count() > 0) {
            co_await setup_alarm_.sleep_until(accepted + o_.flow.delay);
        }
        if (aborted_ || !co_await connect()) {
            flush();
            co_return;
        }
        std::error_code ignored;
        // The relay must not add delays of its own: no Nagle on either side.
        client_.set_option(tcp::no_delay(true), ignored);
        server_.set_option(tcp::no_delay(true), ignored);
        last_activity_ = Clock::now();
        update_idle();
        using namespace asio::experimental::awaitable_operators;
        // The client's first byte leaves once the SYN-ACK is back: two delays after accept.
        co_await ((read_loop(up_, accepted + 2 * o_.flow.delay) && write_loop(up_)) &&
                  (read_loop(down_, accepted) && write_loop(down_)));
        note("connection closed");
        flush();
        client_.close(ignored);
        server_.close(ignored);
    }

  private:
    asio::awaitable<bool> connect() {
        auto r = co_await net::with_timeout(
            asio::async_connect(server_, st_->tcp_targets, net::as_tuple_awaitable),
            o_.connect_timeout);
        if (r && !std::get<0>(*r)) {
            note("connected to " + endpoint_text(std::get<1>(*r)));
            co_return true;
        }
        std::string why = "no answer within " + format_duration(o_.connect_timeout);
        if (r) {
            why = std::get<0>(*r).message();
        }
        st_->tcp_failed.fetch_add(1);
        log::debug("link", "cannot connect to " + st_->target_text + " for " + peer_ + ": " + why);
        // The client sees a reset, as it would have seen a refused connection.
        abort("cannot connect to " + st_->target_text + ": " + why, true);
        co_return false;
    }

    asio::awaitable<void> read_loop(Half& h, TimePoint not_before) {
        std::vector<char> buffer(read_buffer_bytes);
        while (!aborted_ && Clock::now() < not_before) {
            co_await h.reader_alarm.sleep_until(not_before);
        }
        while (!aborted_) {
            TimePoint now = Clock::now();
            if (task_.draining()) {
                // Shutting down: take no new bytes; the writers deliver what is in flight and
                // the connection closes once it is idle (update_idle).
                update_idle();
                if (aborted_) {
                    break;  // the abort rang the alarm already: do not sleep past it
                }
                co_await h.reader_alarm.sleep_until(now + room_recheck);
                continue;
            }
            const std::size_t room = h.model.room(now);
            if (room == 0) {
                // Back-pressure: leave the bytes in the source's socket until the wire has
                // sent some or the writer has delivered some (it rings).
                const TimePoint recheck = now + room_recheck;
                co_await h.reader_alarm.sleep_until(
                    std::min(h.model.next_room_check().value_or(recheck), recheck));
                continue;
            }
            const std::size_t want = std::min(room, buffer.size());
            auto r = co_await net::with_timeout(
                h.from.async_read_some(asio::buffer(buffer.data(), want), net::as_tuple_awaitable),
                o_.idle_timeout);
            if (aborted_) {
                break;
            }
            now = Clock::now();
            if (!r) {
                if (now - last_activity_ >= o_.idle_timeout) {
                    abort("idle for " + format_duration(o_.idle_timeout) + ": closing", false);
                }
                continue;
            }
            const auto [ec, n] = *r;
            if (ec == asio::error::eof) {
                const TimePoint due = h.model.push_fin(now, draw(rng_).jitter);
                record(h.dir, "end of stream (FIN), " + arrival_text(now, due));
                h.writer_alarm.ring();
                break;
            }
            if (ec) {
                abort(std::string(h.name) + " side: " + ec.message(), true);
                break;
            }
            last_activity_ = now;
            const auto pushed = h.model.push(now, std::string_view(buffer.data(), n), draw(rng_));
            if (rec_.enabled()) {
                record(h.dir, std::to_string(n) + " bytes, " + arrival_text(now, pushed.due));
            }
            update_idle();
            h.writer_alarm.ring();
        }
        flush();
    }

    asio::awaitable<void> write_loop(Half& h) {
        std::string out;
        while (!aborted_) {
            const TimePoint now = Clock::now();
            bool fin = false;
            out.clear();
            while (out.size() < max_write_bytes) {
                auto chunk = h.model.poll_deliver(now);
                if (!chunk) {
                    break;
                }
                if (chunk->fin) {
                    fin = true;  // the last chunk a stream ever has
                    break;
                }
                out += chunk->bytes;
            }
            if (!out.empty() || fin) {
                h.reader_alarm.ring();
            }
            if (!out.empty()) {
                h.writing = true;
                const bool written = co_await write_all(h.to, out);
                h.writing = false;
                if (aborted_) {
                    break;
                }
                if (!written) {
                    abort(
                        std::string("writing to the ") + h.to_name + " failed or made no progress",
                        true);
                    break;
                }
                last_activity_ = Clock::now();
            }
            if (fin) {
                std::error_code ignored;
                h.to.shutdown(tcp::socket::shutdown_send, ignored);
                record(trace::Direction::note,
                       std::string("end of stream from the ") + h.name + " delivered (half-close)");
                update_idle();
                break;
            }
            update_idle();
            if (aborted_) {
                break;
            }
            const auto next = h.model.next_deadline();
            if (next && *next <= Clock::now()) {
                continue;
            }
            // Nothing due: sleep until the next chunk is, or the reader rings. The bound only
            // keeps every wait finite.
            co_await h.writer_alarm.sleep_until(next.value_or(Clock::now() + o_.idle_timeout));
        }
        flush();
    }

    // Writes all of `data`; false after an error or when no byte moved for the idle timeout
    // (the destination stopped reading).
    asio::awaitable<bool> write_all(tcp::socket& to, const std::string& data) {
        std::size_t done = 0;
        while (done < data.size()) {
            auto r = co_await net::with_timeout(
                to.async_write_some(asio::buffer(data.data() + done, data.size() - done),
                                    net::as_tuple_awaitable),
                o_.idle_timeout);
            if (!r || std::get<0>(*r)) {
                co_return false;
            }
            done += std::get<1>(*r);
        }
        co_return true;
    }

    // Idle means nothing in flight: a graceful shutdown may close the connection now.
    // Once shutdown has begun, a busy connection closes as soon as it becomes idle.
    void update_idle() {
        const bool idle =
            up_.model.empty() && down_.model.empty() && !up_.writing && !down_.writing;
        task_.set_idle(idle);
        if (idle && task_.draining()) {
            abort("shutting down", false);
        }
    }

    void abort(const std::string& why, bool reset) {
        if (aborted_) {
            return;
        }
        aborted_ = true;
        note(why);
        std::error_code ignored;
        for (tcp::socket* s : {&client_, &server_}) {
            if (reset && s->is_open()) {
                // SO_LINGER 0: close() sends RST, so the far end learns of the failure.
                s->set_option(asio::socket_base::linger(true, 0), ignored);
            }
            s->close(ignored);
        }
        for (Half* h : {&up_, &down_}) {
            h->writer_alarm.ring();
            h->reader_alarm.ring();
        }
        setup_alarm_.ring();
    }

    void note(const std::string& text) { record(trace::Direction::note, text); }
    void record(trace::Direction dir, const std::string& text) {
        if (rec_.enabled()) {
            rec_.record(dir, text);
            flush();
        }
    }
    void flush() { st_->tracer.flush(rec_, conn_id_, "link-tcp", peer_); }

    std::shared_ptr<RelayState> st_;
    const LinkOptions& o_;
    net::Task& task_;
    tcp::socket client_;
    tcp::socket server_;
    Half up_;
    Half down_;
    Alarm setup_alarm_;
    std::mt19937_64 rng_;
    trace::Recorder rec_;
    std::uint64_t conn_id_;
    std::string peer_;
    TimePoint last_activity_{};
    bool aborted_ = false;
};

}  // namespace

void start_tcp_relay(net::Runtime& runtime, const std::shared_ptr<RelayState>& state) {
    for (const HostPort& address : state->options.listen) {
        auto handler = [state](tcp::socket sock, net::Task& task) -> asio::awaitable<void> {
            state->tcp_connections.fetch_add(1);
            const auto ex = co_await asio::this_coro::executor;
            Connection conn(std::move(sock), task, state, ex);
            co_await conn.run();
        };
        state->tcp_bound.push_back(runtime.listen_tcp(
            address, handler, {.max_connections = state->options.max_connections}));
        log::info("link", "listening on tcp " + endpoint_text(state->tcp_bound.back()) +
                              " (link to " + state->target_text + ")");
    }
}

}  // namespace l7::link
