// UDP server: one receive loop per worker socket; each datagram is handed to the EchoPolicy
// and its reply sent now or after the simulated delay.

#include <asio/steady_timer.hpp>
#include <memory>
#include <random>

#include "core/log.hpp"
#include "net/timeout.hpp"
#include "socket/asio/drivers.hpp"

namespace l7::socket {

namespace {

std::string to_string(const asio::ip::udp::endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

asio::awaitable<void> send_later(std::shared_ptr<asio::ip::udp::socket> socket,
                                 asio::ip::udp::endpoint to, std::string payload,
                                 std::chrono::nanoseconds delay) {
    asio::steady_timer timer(socket->get_executor(), delay);
    co_await timer.async_wait(net::as_tuple_awaitable);
    if (socket->is_open()) {
        co_await socket->async_send_to(asio::buffer(payload), to, net::as_tuple_awaitable);
    }
}

}  // namespace

std::vector<asio::ip::udp::endpoint> start_udp_server(net::Runtime& runtime,
                                                      const UdpServerOptions& options,
                                                      trace::Tracer& tracer) {
    std::vector<asio::ip::udp::endpoint> bound;
    const EchoPolicy policy = options.policy;
    const std::size_t max_pending = options.max_pending_delayed;
    const std::string proto = policy.uppercase ? "udp-uppercase" : "udp-echo";
    for (const HostPort& address : options.listen) {
        auto loop = [&tracer, policy, max_pending, proto](
                        std::shared_ptr<asio::ip::udp::socket> shared,
                        net::Task& task) -> asio::awaitable<void> {
            asio::ip::udp::socket& sock = *shared;
            auto pending = std::make_shared<std::size_t>(0);
            std::mt19937_64 rng(std::random_device{}());
            std::uniform_real_distribution<double> uniform(0.0, 1.0);
            std::vector<char> buffer(65536);  // the largest UDP payload fits
            const std::uint64_t conn = trace::Tracer::next_connection_id();
            trace::Recorder rec;
            rec.enable(tracer.enabled());
            auto guard = task.on_interrupt([&sock] {
                std::error_code ignored;
                sock.cancel(ignored);
            });
            asio::ip::udp::endpoint sender;
            while (sock.is_open() && !task.draining()) {
                task.set_idle(true);
                auto [ec, n] = co_await sock.async_receive_from(asio::buffer(buffer), sender,
                                                                net::as_tuple_awaitable);
                task.set_idle(false);
                if (ec == asio::error::operation_aborted || !sock.is_open()) {
                    break;
                }
                if (ec) {
                    // ICMP errors from earlier sends surface here (ECONNREFUSED): not fatal.
                    log::debug("socket", "udp receive: " + ec.message());
                    continue;
                }
                const std::string_view datagram(buffer.data(), n);
                const std::string peer = to_string(sender);
                rec.record(trace::Direction::to_server, trace::preview(datagram));
                auto reply = policy.decide(datagram, uniform(rng));
                if (!reply) {
                    rec.record(trace::Direction::note, "dropped (simulated loss)");
                } else if (reply->delay.count() > 0) {
                    if (*pending >= max_pending) {
                        rec.record(trace::Direction::note, "dropped (too many delayed replies)");
                    } else {
                        rec.record(trace::Direction::note,
                                   "reply delayed by " + format_duration(reply->delay));
                        rec.record(trace::Direction::to_client, trace::preview(reply->payload));
                        ++*pending;
                        // Delayed replies are tasks of their own, so a graceful shutdown
                        // waits for them as in-flight work.
                        auto payload = std::make_shared<std::string>(std::move(reply->payload));
                        auto delay = reply->delay;
                        auto to = sender;
                        task.group().spawn([shared, to, payload, delay,
                                            pending](net::Task&) -> asio::awaitable<void> {
                            co_await send_later(shared, to, std::move(*payload), delay);
                            --*pending;
                        });
                    }
                } else {
                    rec.record(trace::Direction::to_client, trace::preview(reply->payload));
                    co_await sock.async_send_to(asio::buffer(reply->payload), sender,
                                                net::as_tuple_awaitable);
                }
                tracer.flush(rec, conn, proto, peer);
            }
        };
        bound.push_back(runtime.listen_udp(address, loop));
        log::info("socket", "listening on udp " + to_string(bound.back()) + " (" + proto + ")");
    }
    return bound;
}

}  // namespace l7::socket
