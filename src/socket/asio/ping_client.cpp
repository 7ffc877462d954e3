// The pinger's driver: sends what the Pinger core asks for, feeds it replies and timeouts,
// and prints its events in ping(8)'s style.

#include <asio/co_spawn.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <ostream>

#include "core/log.hpp"
#include "net/timeout.hpp"
#include "socket/asio/client_common.hpp"
#include "socket/asio/drivers.hpp"

namespace l7::socket {

namespace {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

void print_event(std::ostream& out, const std::string& peer, const PingEvent& e, bool quiet) {
    if (quiet) {
        return;
    }
    std::visit(overloaded{
                   [&](const ping_event::Reply& r) {
                       out << r.bytes << " bytes from " << peer << ": seq=" << r.seq
                           << " time=" << format_millis(r.rtt) << " ms\n";
                   },
                   [&](const ping_event::Timeout& t) {
                       out << "request timed out: seq=" << t.seq << "\n";
                   },
                   [&](const ping_event::Late& l) {
                       out << "late reply from " << peer << ": seq=" << l.seq
                           << " time=" << format_millis(l.rtt) << " ms (after its timeout)\n";
                   },
                   [&](const ping_event::Duplicate& d) {
                       out << "reply from " << peer << ": seq=" << d.seq << " (DUP!)\n";
                   },
                   [&](const ping_event::Unrecognised& u) {
                       out << "unrecognised datagram of " << u.bytes << " bytes from " << peer
                           << "\n";
                   },
               },
               e);
    out.flush();
}

}  // namespace

PingStatistics run_ping(const PingClientOptions& options, std::ostream& out,
                        trace::Tracer& tracer) {
    asio::io_context io;
    auto ep = detail::resolve<asio::ip::udp>(io, options.server);
    if (!ep) {
        log::error("socket", ep.error().message);
        return {};
    }
    const std::string peer = detail::endpoint_text(*ep);
    asio::ip::udp::socket sock(io);
    std::error_code ec;
    sock.connect(*ep, ec);
    if (ec) {
        log::error("socket", "cannot reach " + peer + ": " + ec.message());
        return {};
    }
    const TimePoint start = Clock::now();
    Pinger pinger(options.ping, start);
    pinger.trace().enable(tracer.enabled());
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    asio::steady_timer timer(io);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code sig_ec, int) {
        if (!sig_ec) {
            pinger.stop();
            timer.cancel();
        }
    });

    out << "PING " << peer << " over UDP: "
        << (options.ping.count == 0 ? std::string("until interrupted")
                                    : std::to_string(options.ping.count) +
                                          (options.ping.count == 1 ? " probe" : " probes"))
        << ", every " << format_duration(options.ping.interval) << ", timeout "
        << format_duration(options.ping.timeout) << "\n";
    out.flush();

    // The receive loop and the timer loop run side by side; each step drains the core.
    auto drain = [&] {
        tracer.flush(pinger.trace(), conn, "udp-ping", peer);
        while (auto e = pinger.poll_event()) {
            print_event(out, peer, *e, options.quiet);
        }
    };
    auto receiver = [&]() -> asio::awaitable<void> {
        std::vector<char> buffer(65536);
        while (!pinger.done()) {
            auto [rec_ec, n] =
                co_await sock.async_receive(asio::buffer(buffer), net::as_tuple_awaitable);
            if (rec_ec == asio::error::operation_aborted) {
                break;
            }
            if (!rec_ec) {
                pinger.handle_datagram(Clock::now(), std::string_view(buffer.data(), n));
                drain();
                timer.cancel();  // the next deadline may have changed
            }
            // ECONNREFUSED (no server yet) is a lost probe, reported by its timeout.
        }
    };
    auto ticker = [&]() -> asio::awaitable<void> {
        while (!pinger.done()) {
            const TimePoint now = Clock::now();
            pinger.handle_timeout(now);
            while (auto probe = pinger.poll_transmit(now)) {
                co_await sock.async_send(asio::buffer(*probe), net::as_tuple_awaitable);
            }
            drain();
            if (pinger.done()) {
                break;
            }
            if (auto next = pinger.poll_timeout()) {
                timer.expires_at(*next);
                co_await timer.async_wait(net::as_tuple_awaitable);
            }
        }
        std::error_code ignored;
        sock.cancel(ignored);
        signals.cancel();
    };
    asio::co_spawn(io, receiver(), [](std::exception_ptr e) {
        if (e) {
            std::rethrow_exception(e);
        }
    });
    asio::co_spawn(io, ticker(), [](std::exception_ptr e) {
        if (e) {
            std::rethrow_exception(e);
        }
    });
    io.run();

    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    const PingStatistics& s = pinger.statistics();
    char loss[16];
    std::snprintf(loss, sizeof loss, "%.0f%%", s.loss_percent());
    out << "\n--- " << peer << " ping statistics ---\n"
        << s.transmitted << " packets transmitted, " << s.received << " received, ";
    if (s.duplicates > 0) {
        out << "+" << s.duplicates << " duplicates, ";
    }
    out << loss << " packet loss, time " << elapsed.count() << "ms\n";
    if (s.received > 0) {
        out << "rtt min/avg/max/mdev = " << format_millis(s.min) << "/" << format_millis(s.avg())
            << "/" << format_millis(s.max) << "/" << format_millis(s.mdev()) << " ms\n";
    }
    out.flush();
    return s;
}

}  // namespace l7::socket
