// start_link: resolve the target once, bind the listeners, and report the counters.

#include "link/asio/relay.hpp"

#include <asio/steady_timer.hpp>
#include <cstdio>
#include <stdexcept>

#include "core/log.hpp"
#include "dns/asio/client_resolver.hpp"
#include "link/asio/relay_state.hpp"
#include "link/rate.hpp"
#include "net/timeout.hpp"

namespace l7::link {

namespace {

// Every address of the target, so a TCP connect can fall back as clients do.
void resolve_target(RelayState& st) {
    auto addresses = dns::resolve_host(st.options.target.host);
    if (!addresses) {
        throw std::runtime_error("cannot resolve " + st.options.target.host + ": " +
                                 addresses.error().message);
    }
    for (const std::string& a : *addresses) {
        std::error_code ec;
        const auto address = asio::ip::make_address(a, ec);
        if (!ec) {
            st.tcp_targets.emplace_back(address, st.options.target.port);
        }
    }
    if (st.tcp_targets.empty()) {
        throw std::runtime_error("cannot resolve " + st.options.target.host + ": no address");
    }
    st.udp_target =
        asio::ip::udp::endpoint(st.tcp_targets.front().address(), st.tcp_targets.front().port());
}

std::string rate_text(const WireParams& w) {
    return w.rate_bps == 0 ? "unlimited" : format_rate(w.rate_bps);
}

// Logs the report every `interval` on worker 0, as a task a shutdown ends at once.
void start_stats_task(net::Runtime& runtime, Link link, Duration interval) {
    runtime.worker(0).tasks.spawn([link, interval](net::Task& task) -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        auto guard = task.on_interrupt([&timer] { timer.cancel(); });
        task.set_idle(true);
        while (!task.draining()) {
            timer.expires_after(interval);
            const auto [ec] = co_await timer.async_wait(net::as_tuple_awaitable);
            if (ec || task.draining()) {
                break;
            }
            for (const std::string& line : link.report()) {
                log::info("link", line);
            }
        }
    });
}

}  // namespace

std::string arrival_text(TimePoint now, TimePoint due) {
    return "arriving in " + format_millis(due > now ? due - now : Duration(0)) + " ms";
}

const std::vector<asio::ip::tcp::endpoint>& Link::tcp_endpoints() const {
    return state_->tcp_bound;
}

const std::vector<asio::ip::udp::endpoint>& Link::udp_endpoints() const {
    return state_->udp_bound;
}

LinkCounters Link::up() const {
    return state_->up->counters();
}

LinkCounters Link::down() const {
    return state_->down->counters();
}

std::vector<std::string> Link::report() const {
    const std::string& target = state_->target_text;
    std::vector<std::string> lines{
        "up (client -> " + target + "): " + format_counters(up()),
        "down (" + target + " -> client): " + format_counters(down()),
    };
    std::string flows;
    if (state_->options.tcp) {
        flows += std::to_string(state_->tcp_connections.load()) + " tcp connection(s) (" +
                 std::to_string(state_->tcp_failed.load()) + " could not reach the target)";
    }
    if (state_->options.udp) {
        flows += std::string(flows.empty() ? "" : ", ") +
                 std::to_string(state_->udp_mappings.load()) + " udp client(s) (" +
                 std::to_string(state_->udp_refused.load()) + " datagram(s) refused while all " +
                 std::to_string(state_->options.max_mappings) + " mappings were in use)";
    }
    lines.push_back(flows);
    return lines;
}

Link start_link(net::Runtime& runtime, const LinkOptions& options, trace::Tracer& tracer,
                Duration stats_interval) {
    auto state = std::make_shared<RelayState>(options, tracer);
    state->target_text = options.target.to_string();
    resolve_target(*state);
    if (options.tcp) {
        start_tcp_relay(runtime, state);
    }
    if (options.udp) {
        start_udp_relay(runtime, state);
    }
    char loss[32];
    std::snprintf(loss, sizeof loss, "%g%%", options.flow.loss * 100);
    log::info("link", "delay " + format_duration(options.flow.delay) + ", jitter " +
                          format_duration(options.flow.jitter) + ", rate up " +
                          rate_text(options.up) + " down " + rate_text(options.down) + ", queue " +
                          std::to_string(options.up.queue_bytes) + " bytes" +
                          (options.udp ? std::string(", udp loss ") + loss : std::string()));
    Link link(state);
    if (stats_interval.count() > 0) {
        start_stats_task(runtime, link, stats_interval);
    }
    return link;
}

}  // namespace l7::link
