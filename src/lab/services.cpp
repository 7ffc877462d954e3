#include "lab/services.hpp"

#include <sstream>

#include "socket/asio/drivers.hpp"

namespace l7::lab {

namespace {

trace::Tracer& silent_tracer() {
    static trace::Tracer t;
    return t;
}

socket::EchoPolicy echo_policy(const config::Table& s, bool uppercase) {
    socket::EchoPolicy p;
    p.uppercase = uppercase;
    p.loss = s.get_number("loss", 0.0, 1.0).value_or(0.0);
    p.delay = s.get_duration("delay").value_or(std::chrono::nanoseconds(0));
    return p;
}

ServiceKind udp_uppercase() {
    ServiceKind k;
    k.name = "udp-uppercase";
    k.protocol = "udp";
    k.summary = "the course's UDPServer: replies with the datagram in upper case";
    k.validate = [](const config::Table& s) { s.allow_only({"kind", "port"}); };
    k.start = [](net::Runtime& rt, const HostPort& ep, const config::Table&, trace::Tracer& t,
                 const StartContext&) {
        socket::start_udp_server(rt, {.listen = {ep}, .policy = {}}, t);
    };
    k.probe = [](const HostPort& ep, const config::Table&) -> Result<std::string> {
        auto reply =
            socket::udp_request({ep, std::chrono::seconds(2)}, "hello lab", silent_tracer());
        if (!reply) {
            return reply;
        }
        if (*reply != "HELLO LAB") {
            return make_error("expected 'HELLO LAB', got '" + *reply + "'");
        }
        return std::string("'hello lab' -> '" + *reply + "'");
    };
    return k;
}

ServiceKind tcp_uppercase() {
    ServiceKind k;
    k.name = "tcp-uppercase";
    k.protocol = "tcp";
    k.summary = "the course's TCPServer: replies to each line in upper case";
    k.validate = [](const config::Table& s) { s.allow_only({"kind", "port"}); };
    k.start = [](net::Runtime& rt, const HostPort& ep, const config::Table&, trace::Tracer& t,
                 const StartContext&) {
        socket::TcpServerOptions o;
        o.listen = {ep};
        socket::start_tcp_server(rt, o, t);
    };
    k.probe = [](const HostPort& ep, const config::Table&) -> Result<std::string> {
        std::istringstream in;
        std::ostringstream out;
        const int code = socket::run_tcp_client({ep, std::chrono::seconds(2)}, {"hello lab"}, in,
                                                out, silent_tracer());
        std::string reply = out.str();
        if (!reply.empty() && reply.back() == '\n') {
            reply.pop_back();
        }
        if (code != 0) {
            return make_error("no reply line (see the log above)");
        }
        if (reply != "HELLO LAB") {
            return make_error("expected 'HELLO LAB', got '" + reply + "'");
        }
        return std::string("'hello lab' -> '" + reply + "'");
    };
    return k;
}

ServiceKind udp_echo() {
    ServiceKind k;
    k.name = "udp-echo";
    k.protocol = "udp";
    k.summary = "echo server for the UDP pinger, with simulated loss and delay";
    k.validate = [](const config::Table& s) {
        s.allow_only({"kind", "port", "loss", "delay"});
        // Below 1: a service that never answers cannot be checked.
        (void)s.get_number("loss", 0.0, 0.95);
        (void)s.get_duration("delay");
    };
    k.start = [](net::Runtime& rt, const HostPort& ep, const config::Table& s, trace::Tracer& t,
                 const StartContext&) {
        socket::start_udp_server(rt, {.listen = {ep}, .policy = echo_policy(s, false)}, t);
    };
    k.probe = [](const HostPort& ep, const config::Table& s) -> Result<std::string> {
        // Enough probes that simulated loss (at most 95%) is very unlikely to lose them all.
        const auto policy = echo_policy(s, false);
        socket::PingClientOptions o;
        o.server = ep;
        o.ping.count = 20;
        o.ping.interval = std::chrono::milliseconds(10);
        o.ping.timeout = policy.delay + std::chrono::milliseconds(500);
        o.quiet = true;
        std::ostringstream out;
        const auto stats = socket::run_ping(o, out, silent_tracer());
        if (stats.received == 0) {
            return make_error("no reply to " + std::to_string(stats.transmitted) + " probes");
        }
        char loss[16];
        std::snprintf(loss, sizeof loss, "%.0f%%", stats.loss_percent());
        return std::to_string(stats.received) + "/" + std::to_string(stats.transmitted) +
               " probes answered (" + loss + " loss), avg rtt " + format_millis(stats.avg()) +
               " ms";
    };
    return k;
}

}  // namespace

const std::vector<ServiceKind>& service_kinds() {
    static const std::vector<ServiceKind> kinds = {
        udp_uppercase(),           tcp_uppercase(),       udp_echo(),     dns_service(),
        dns_resolver_service(),    http_service(),        mail_service(), ftp_service(),
        torrent_tracker_service(), torrent_seed_service()};
    return kinds;
}

const ServiceKind* find_service_kind(const std::string& name) {
    for (const auto& k : service_kinds()) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

}  // namespace l7::lab
