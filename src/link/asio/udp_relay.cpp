// UDP through the link. Each worker's listen socket receives from clients; each client source
// address gets a mapping: its own upstream socket connected to the target (so the target's
// replies come back to the right client), and a LinkModel per direction.
//
//   client --datagram--> listen socket --> mapping.up model --> upstream socket --> target
//   client <--datagram-- listen socket <-- mapping.down model <-- upstream socket <-- target
//
// A mapping lives until it has seen no datagram either way for the idle timeout (with
// nothing left to deliver), like a NAT's UDP binding. At most max_mappings live at once;
// datagrams from further new clients are dropped and counted. Replies go out from the listen
// address, so clients see the link as the target.

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/log.hpp"
#include "link/asio/alarm.hpp"
#include "link/asio/relay_state.hpp"
#include "net/timeout.hpp"

namespace l7::link {

namespace {

using asio::ip::udp;

constexpr std::size_t max_datagram = 65536;  // the largest UDP payload fits

std::string endpoint_text(const udp::endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

class Mapping;
using Table = std::map<udp::endpoint, std::shared_ptr<Mapping>>;

class Mapping {
  public:
    Mapping(udp::endpoint client, std::shared_ptr<udp::socket> listen,
            std::shared_ptr<RelayState> st, std::weak_ptr<Table> table,
            const asio::any_io_executor& ex)
        : st_(std::move(st)),
          o_(st_->options),
          client_(client),
          peer_(endpoint_text(client)),
          listen_(std::move(listen)),
          upstream_(ex),
          table_(std::move(table)),
          up_(Mode::datagram, o_.flow, st_->up),
          down_(Mode::datagram, o_.flow, st_->down),
          up_alarm_(ex),
          down_alarm_(ex),
          rng_(std::random_device{}()),
          conn_id_(trace::Tracer::next_connection_id()),
          last_activity_(Clock::now()) {
        rec_.enable(st_->tracer.enabled());
    }

    // The upstream socket, connected to the target (no packet is sent by a UDP connect).
    std::error_code open() {
        std::error_code ec;
        upstream_.open(st_->udp_target.protocol(), ec);
        if (!ec) {
            upstream_.connect(st_->udp_target, ec);
        }
        if (!ec) {
            note("new mapping for " + peer_ + " to " + st_->target_text + " from " +
                 endpoint_text(upstream_.local_endpoint(ec)));
        }
        return ec;
    }

    // A datagram from the client, received by the listen loop.
    void push_up(TimePoint now, std::string_view datagram) {
        if (closed_) {
            return;
        }
        last_activity_ = now;
        push(up_, trace::Direction::to_server, now, datagram);
        up_alarm_.ring();
    }

    asio::awaitable<void> run(net::Task& task) {
        task_ = &task;
        auto guard = task.on_interrupt([this] { close("interrupted"); });
        update_idle();
        using namespace asio::experimental::awaitable_operators;
        co_await (receive_loop() &&
                  (deliver_loop(up_, up_alarm_, true) && deliver_loop(down_, down_alarm_, false)));
        flush();
        task_ = nullptr;
        st_->udp_active.fetch_sub(1);
    }

  private:
    void push(LinkModel& model, trace::Direction dir, TimePoint now, std::string_view datagram) {
        const auto r = model.push(now, datagram, draw(rng_));
        if (!rec_.enabled()) {
            return;
        }
        std::string text = std::to_string(datagram.size()) + "-byte datagram, ";
        switch (r.verdict) {
            case Verdict::accepted:
                text += arrival_text(now, r.due);
                break;
            case Verdict::lost:
                text += "lost (simulated loss)";
                break;
            case Verdict::dropped:
                text += "dropped (queue full)";
                break;
        }
        rec_.record(dir, text);
        flush();
    }

    // Replies from the target; ends the mapping after the idle timeout.
    asio::awaitable<void> receive_loop() {
        std::vector<char> buffer(max_datagram);
        while (!closed_) {
            const TimePoint now = Clock::now();
            Duration wait = last_activity_ + o_.idle_timeout - now;
            if (wait <= Duration(0)) {
                if (up_.empty() && down_.empty()) {
                    close("idle for " + format_duration(o_.idle_timeout) + ": mapping removed");
                    break;
                }
                wait = o_.idle_timeout;  // still delivering: look again later
            }
            auto r = co_await net::with_timeout(
                upstream_.async_receive(asio::buffer(buffer), net::as_tuple_awaitable), wait);
            if (closed_) {
                break;
            }
            if (!r) {
                continue;
            }
            const auto [ec, n] = *r;
            if (ec == asio::error::connection_refused) {
                // The target's ICMP port unreachable for an earlier datagram: not fatal.
                note("the target refused a datagram (no one listening on " + st_->target_text +
                     ")");
                continue;
            }
            if (ec) {
                close("receiving from the target: " + ec.message());
                break;
            }
            const TimePoint at = Clock::now();
            last_activity_ = at;
            push(down_, trace::Direction::to_client, at, std::string_view(buffer.data(), n));
            update_idle();
            down_alarm_.ring();
        }
    }

    // One datagram to the target (up) or to the client; false if it could not be sent.
    // Two plain branches: GCC 12 miscompiles a conditional operator whose operands are
    // awaitables inside co_await (it destroys a temporary it never built).
    asio::awaitable<bool> send(const std::string& datagram, bool up) {
        std::optional<std::tuple<std::error_code, std::size_t>> r;
        if (up) {
            r = co_await net::with_timeout(
                upstream_.async_send(asio::buffer(datagram), net::as_tuple_awaitable),
                o_.idle_timeout);
        } else {
            r = co_await net::with_timeout(
                listen_->async_send_to(asio::buffer(datagram), client_, net::as_tuple_awaitable),
                o_.idle_timeout);
        }
        co_return r && !std::get<0>(*r);
    }

    // Sends each datagram of `model` when it is due: to the target (up) or the client.
    asio::awaitable<void> deliver_loop(LinkModel& model, Alarm& alarm, bool up) {
        while (!closed_) {
            auto chunk = model.poll_deliver(Clock::now());
            if (chunk) {
                const bool sent = co_await send(chunk->bytes, up);
                if (!sent) {
                    note(std::string("a datagram could not be sent to the ") +
                         (up ? "target" : "client"));
                }
                update_idle();
                continue;
            }
            const auto next = model.next_deadline();
            co_await alarm.sleep_until(next.value_or(Clock::now() + o_.idle_timeout));
        }
    }

    // Idle means nothing to deliver: a graceful shutdown may remove the mapping now, and
    // once it has begun a busy mapping goes as soon as it is idle.
    void update_idle() {
        if (task_ == nullptr) {
            return;
        }
        const bool idle = up_.empty() && down_.empty();
        task_->set_idle(idle);
        if (idle && task_->draining()) {
            close("shutting down");
        }
    }

    void close(const std::string& why) {
        if (closed_) {
            return;
        }
        closed_ = true;
        note(why);
        // New datagrams from this client start a new mapping from now on.
        if (auto table = table_.lock()) {
            auto it = table->find(client_);
            if (it != table->end() && it->second.get() == this) {
                table->erase(it);
            }
        }
        std::error_code ignored;
        upstream_.close(ignored);
        up_alarm_.ring();
        down_alarm_.ring();
    }

    void note(const std::string& text) {
        if (rec_.enabled()) {
            rec_.record(trace::Direction::note, text);
            flush();
        }
    }
    void flush() { st_->tracer.flush(rec_, conn_id_, "link-udp", peer_); }

    std::shared_ptr<RelayState> st_;
    const LinkOptions& o_;
    udp::endpoint client_;
    std::string peer_;
    std::shared_ptr<udp::socket> listen_;
    udp::socket upstream_;
    std::weak_ptr<Table> table_;
    LinkModel up_;
    LinkModel down_;
    Alarm up_alarm_;
    Alarm down_alarm_;
    std::mt19937_64 rng_;
    trace::Recorder rec_;
    std::uint64_t conn_id_;
    TimePoint last_activity_;
    net::Task* task_ = nullptr;
    bool closed_ = false;
};

asio::awaitable<void> listen_loop(std::shared_ptr<RelayState> st,
                                  std::shared_ptr<udp::socket> shared, net::Task& task) {
    udp::socket& sock = *shared;
    const auto ex = co_await asio::this_coro::executor;
    auto table = std::make_shared<Table>();
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });
    std::vector<char> buffer(max_datagram);
    udp::endpoint sender;
    while (sock.is_open() && !task.draining()) {
        task.set_idle(true);
        const auto [ec, n] =
            co_await sock.async_receive_from(asio::buffer(buffer), sender, net::as_tuple_awaitable);
        task.set_idle(false);
        if (ec == asio::error::operation_aborted || !sock.is_open()) {
            break;
        }
        if (ec) {
            // ICMP errors from earlier replies to clients surface here: not fatal.
            log::debug("link", "udp receive: " + ec.message());
            continue;
        }
        std::shared_ptr<Mapping> mapping;
        if (auto it = table->find(sender); it != table->end()) {
            mapping = it->second;
        } else {
            if (st->udp_active.load() >= st->options.max_mappings) {
                st->udp_refused.fetch_add(1);
                log::debug("link", "udp: " + std::to_string(st->options.max_mappings) +
                                       " mappings in use: dropping a datagram from " +
                                       endpoint_text(sender));
                continue;
            }
            mapping = std::make_shared<Mapping>(sender, shared, st, table, ex);
            if (const auto open_ec = mapping->open()) {
                log::warn("link", "udp: cannot open a socket to " + st->target_text + ": " +
                                      open_ec.message());
                continue;
            }
            table->emplace(sender, mapping);
            st->udp_mappings.fetch_add(1);
            st->udp_active.fetch_add(1);
            task.group().spawn(
                [mapping](net::Task& t) -> asio::awaitable<void> { co_await mapping->run(t); });
        }
        mapping->push_up(Clock::now(), std::string_view(buffer.data(), n));
    }
}

}  // namespace

void start_udp_relay(net::Runtime& runtime, const std::shared_ptr<RelayState>& state) {
    for (const HostPort& address : state->options.listen) {
        auto loop = [state](std::shared_ptr<udp::socket> sock,
                            net::Task& task) -> asio::awaitable<void> {
            return listen_loop(state, std::move(sock), task);
        };
        state->udp_bound.push_back(runtime.listen_udp(address, loop));
        log::info("link", "listening on udp " + endpoint_text(state->udp_bound.back()) +
                              " (link to " + state->target_text + ")");
    }
}

}  // namespace l7::link
