// `l7 link`: a userspace link emulator in front of any TCP or UDP server, for the course's
// experiments on a machine without netem (page loads, caching, CDN, DASH).

#include <iostream>

#include "app/cli.hpp"
#include "core/log.hpp"
#include "link/amounts.hpp"
#include "link/asio/relay.hpp"
#include "link/rate.hpp"

namespace l7::app {

namespace {

// A CLI11 check from one of the link's parsers: its error is the one sentence printed.
template <class Parse>
CLI::Validator parsed_by(Parse parse) {
    return CLI::Validator(
        [parse](std::string& text) -> std::string {
            auto r = parse(text);
            return r ? std::string() : r.error().message;
        },
        "");
}

// The options as typed; converted once parsing (and their checks) succeeded.
struct LinkFlags {
    CommonOptions common;
    std::vector<std::string> listen;
    std::string to;
    std::string delay = "0ms";
    std::string jitter = "0ms";
    std::string rate;
    std::string up_rate;
    std::string down_rate;
    std::string loss = "0%";
    std::string queue = "64KiB";
    bool tcp_only = false;
    bool udp_only = false;
    std::string connect_timeout = "10s";
    std::string idle_timeout = "2m";
    std::size_t max_connections = 1024;
    std::size_t max_mappings = 1024;
    std::string stats_interval = "0s";
};

// An hour of one-way delay is already far beyond any path on Earth; more is surely a typo.
constexpr auto longest_delay = std::chrono::hours(1);

std::uint64_t rate_or_unlimited(const std::string& text) {
    return text.empty() ? 0 : *link::parse_rate(text);
}

link::LinkOptions to_options(const LinkFlags& f) {
    link::LinkOptions o;
    o.listen = parse_listen_list(f.listen);
    o.target = parse_server(f.to);
    o.tcp = !f.udp_only;
    o.udp = !f.tcp_only;
    o.flow.delay = parse_duration_option(f.delay);
    o.flow.jitter = parse_duration_option(f.jitter);
    if (o.flow.delay > longest_delay || o.flow.jitter > longest_delay) {
        throw UsageError("--delay and --jitter must be at most 1h");
    }
    o.flow.loss = *link::parse_loss(f.loss);
    if (f.tcp_only && o.flow.loss > 0) {
        throw UsageError(
            "--loss applies to UDP datagrams only (TCP is a reliable byte stream), so it has no "
            "effect with --tcp-only");
    }
    const std::uint64_t both = rate_or_unlimited(f.rate);
    o.up.rate_bps = f.up_rate.empty() ? both : rate_or_unlimited(f.up_rate);
    o.down.rate_bps = f.down_rate.empty() ? both : rate_or_unlimited(f.down_rate);
    o.up.queue_bytes = o.down.queue_bytes = *link::parse_byte_size(f.queue);
    o.connect_timeout = parse_duration_option(f.connect_timeout);
    o.idle_timeout = parse_duration_option(f.idle_timeout);
    if (o.connect_timeout.count() <= 0 || o.idle_timeout.count() <= 0) {
        throw UsageError("--connect-timeout and --idle-timeout must be longer than 0");
    }
    o.max_connections = f.max_connections;
    o.max_mappings = f.max_mappings;
    return o;
}

int run_link(const LinkFlags& f, Context& ctx) {
    const link::LinkOptions options = to_options(f);
    const auto stats_interval = parse_duration_option(f.stats_interval);
    apply_common_options(f.common, ctx, true);
    // One worker: the link is one bottleneck that every flow shares, and one thread relays
    // far faster than the rates a course experiment emulates.
    net::Runtime runtime({.threads = 1});
    std::optional<link::Link> link;
    try {
        link = link::start_link(runtime, options, ctx.tracer, stats_interval);
    } catch (const std::system_error& e) {
        log::error("link", e.what());
        return 1;
    }
    runtime.run();
    for (const std::string& line : link->report()) {
        log::info("link", line);
    }
    log::info("link", "stopped");
    return 0;
}

}  // namespace

void register_link_commands(CLI::App& root, Context& ctx) {
    auto f = std::make_shared<LinkFlags>();
    auto* cmd = root.add_subcommand(
        "link", "Relay TCP and UDP to a target through an emulated link: delay, rate, loss");
    add_common_options(*cmd, f->common);
    cmd->add_option("-l,--listen", f->listen, "Address to listen on; repeat for several")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->required();
    cmd->add_option("--to", f->to, "The target: where every connection and datagram goes")
        ->check(host_port_validator())
        ->type_name("HOST:PORT")
        ->required();
    cmd->add_option("--delay", f->delay, "One-way propagation delay, each direction")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("0ms");
    cmd->add_option("--jitter", f->jitter,
                    "Vary each packet's delay uniformly by up to +- this much (TCP stays in order)")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("0ms");
    cmd->add_option("--rate", f->rate,
                    "Link rate, each direction, e.g. 1.54mbit (default: no limit)")
        ->check(parsed_by(link::parse_rate))
        ->type_name("RATE");
    cmd->add_option("--up-rate", f->up_rate, "Rate from client to target (overrides --rate)")
        ->check(parsed_by(link::parse_rate))
        ->type_name("RATE");
    cmd->add_option("--down-rate", f->down_rate, "Rate from target to client (overrides --rate)")
        ->check(parsed_by(link::parse_rate))
        ->type_name("RATE");
    cmd->add_option("--loss", f->loss,
                    "Lose this share of UDP datagrams, each direction, e.g. 1% (not TCP)")
        ->check(parsed_by(link::parse_loss))
        ->type_name("PERCENT")
        ->default_str("0%");
    cmd->add_option("--queue", f->queue,
                    "Bytes waiting for the wire, each direction, before UDP drops (drop-tail) and "
                    "TCP stops reading")
        ->check(parsed_by(link::parse_byte_size))
        ->type_name("BYTES")
        ->default_str("64KiB");
    auto* tcp_only = cmd->add_flag("--tcp-only", f->tcp_only, "Relay TCP only");
    cmd->add_flag("--udp-only", f->udp_only, "Relay UDP only")->excludes(tcp_only);
    cmd->add_option("--connect-timeout", f->connect_timeout,
                    "Give up connecting to the target after this long")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("10s");
    cmd->add_option("--idle-timeout", f->idle_timeout,
                    "Close a TCP connection, or forget a UDP client, silent for this long")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("2m");
    cmd->add_option("--max-connections", f->max_connections, "TCP connections relayed at once")
        ->check(CLI::Range(1ul, 100'000ul))
        ->default_str("1024");
    cmd->add_option("--max-mappings", f->max_mappings, "UDP client addresses relayed at once")
        ->check(CLI::Range(1ul, 100'000ul))
        ->default_str("1024");
    cmd->add_option("--stats-interval", f->stats_interval,
                    "Also log the counters this often (default: only at exit)")
        ->check(duration_validator())
        ->type_name("DURATION");
    cmd->footer(R"(Each direction is an emulated link. A packet waits for its turn on the wire (the
rate; a drop-tail queue of --queue bytes that every connection shares), crosses it
(size * 8 / rate: 1500 bytes take 7.79 ms at 1.54mbit), then propagates for --delay,
+- --jitter. A new TCP connection costs one round trip (2 x delay) before its first byte
crosses, as its handshake would. UDP datagrams are lost with probability --loss and may be
reordered by jitter. TCP is a reliable, ordered byte stream: loss does not apply (its real
effect, retransmission, happens inside the endpoints' TCP), and a full queue stops the link
reading from the sender instead of dropping.

Rates are written as in tc(8): 1.54mbit, 10kbit, 100mbit, 1gbit (bits per second) or 500kbps
(bytes per second). Counters (bytes and packets each way, losses, drops, queue high-water)
are logged at exit and every --stats-interval.

Examples:
  l7 link --listen 127.0.0.1:8080 --to 127.0.0.2:80 --delay 100ms --rate 1.54mbit --loss 1%
  l7 socket udp-server --echo --listen 127.0.0.1:12001 &
  l7 link -l 127.0.0.1:13000 --to 127.0.0.1:12001 --udp-only --delay 50ms --jitter 10ms &
  l7 socket ping -c 5 127.0.0.1:13000          # round trips of about 100 ms
  l7 link -l 127.0.0.1:8080 --to 127.0.0.2:80 --rate 10mbit --down-rate 100mbit --trace
  curl -o /dev/null -w '%{time_total}\n' http://127.0.0.1:8080/)");
    add_env_names(*cmd, "LINK");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_link(*f, ctx); }; });
}

}  // namespace l7::app
