// `l7 socket ...`: the course's socket-programming applications.

#include <iostream>

#include "app/cli.hpp"
#include "core/log.hpp"
#include "socket/asio/drivers.hpp"

namespace l7::app {

namespace {

constexpr const char* default_address = "127.0.0.1:12000";  // the course's serverPort

struct ServerFlags {
    CommonOptions common;
    std::vector<std::string> listen{default_address};
    unsigned threads = 0;
};

void add_server_flags(CLI::App& cmd, ServerFlags& f) {
    add_common_options(cmd, f.common);
    cmd.add_option("-l,--listen", f.listen, "Address to listen on; repeat for several")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str(default_address);
    cmd.add_option("--threads", f.threads, "Worker threads (default: one per core)")
        ->check(CLI::Range(0u, 256u));
}

// Starts the servers `start` registers, runs until SIGINT/SIGTERM, and drains.
int run_server(const ServerFlags& f, Context& ctx,
               const std::function<void(net::Runtime&)>& start) {
    apply_common_options(f.common, ctx, true);
    net::Runtime runtime({.threads = f.threads});
    try {
        start(runtime);
    } catch (const std::system_error& e) {
        log::error("socket", e.what());
        return 1;
    }
    runtime.run();
    log::info("socket", "stopped");
    return 0;
}

void add_udp_server(CLI::App& socket, Context& ctx) {
    auto f = std::make_shared<ServerFlags>();
    auto echo = std::make_shared<bool>(false);
    auto loss = std::make_shared<double>(0.0);
    auto delay = std::make_shared<std::string>("0ms");
    auto* cmd = socket.add_subcommand(
        "udp-server", "Reply to each UDP datagram with its text in upper case (or echo it)");
    add_server_flags(*cmd, *f);
    cmd->add_flag("--echo", *echo, "Echo datagrams unchanged (the pinger's server)");
    cmd->add_option("--loss", *loss, "Drop this fraction of datagrams, 0 to 1 (simulated loss)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--delay", *delay, "Delay every reply (simulated path delay), e.g. 20ms")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("0ms");
    cmd->footer(R"(Examples:
  l7 socket udp-server                       # uppercase server on 127.0.0.1:12000
  l7 socket udp-server --echo --loss 0.3 --delay 20ms --listen 127.0.0.1:12001
  echo hello | nc -u -w1 127.0.0.1 12000     # prints HELLO)");
    cmd->callback([f, echo, loss, delay, &ctx] {
        ctx.action = [f, echo, loss, delay, &ctx] {
            socket::UdpServerOptions o;
            o.listen = parse_listen_list(f->listen);
            o.policy.uppercase = !*echo;
            o.policy.loss = *loss;
            o.policy.delay = parse_duration_option(*delay);
            return run_server(
                *f, ctx, [&](net::Runtime& rt) { socket::start_udp_server(rt, o, ctx.tracer); });
        };
    });
}

void add_tcp_server(CLI::App& socket, Context& ctx) {
    auto f = std::make_shared<ServerFlags>();
    auto idle = std::make_shared<std::string>("60s");
    auto max_line = std::make_shared<std::size_t>(64 * 1024);
    auto max_conn = std::make_shared<std::size_t>(10'000);
    auto* cmd = socket.add_subcommand(
        "tcp-server", "Reply to each line on a TCP connection with the line in upper case");
    add_server_flags(*cmd, *f);
    cmd->add_option("--idle-timeout", *idle, "Close a connection silent for this long")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("60s");
    cmd->add_option("--max-line", *max_line, "Longest line accepted, in bytes")
        ->check(CLI::Range(1ul, 1ul << 24))
        ->default_str("65536");
    cmd->add_option("--max-connections", *max_conn, "Connections served at once")
        ->check(CLI::Range(1ul, 1'000'000ul))
        ->default_str("10000");
    cmd->footer(R"(Examples:
  l7 socket tcp-server --trace               # show each C:/S: line as it happens
  printf 'hello\nworld\n' | nc -N 127.0.0.1 12000   # prints HELLO and WORLD)");
    cmd->callback([f, idle, max_line, max_conn, &ctx] {
        ctx.action = [f, idle, max_line, max_conn, &ctx] {
            socket::TcpServerOptions o;
            o.listen = parse_listen_list(f->listen);
            o.idle_timeout = parse_duration_option(*idle);
            o.limits.max_line = *max_line;
            o.max_connections = *max_conn;
            return run_server(
                *f, ctx, [&](net::Runtime& rt) { socket::start_tcp_server(rt, o, ctx.tracer); });
        };
    });
}

struct ClientFlags {
    CommonOptions common;
    std::string server = default_address;
    std::string timeout = "2s";
    std::vector<std::string> messages;
};

void add_client_flags(CLI::App& cmd, ClientFlags& f) {
    add_common_options(cmd, f.common);
    cmd.add_option("-s,--server", f.server, "Server to talk to")
        ->check(host_port_validator())
        ->type_name("HOST:PORT")
        ->default_str(default_address);
    cmd.add_option("--timeout", f.timeout, "Give up on a reply after this long")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("2s");
    cmd.add_option("MESSAGE", f.messages, "Messages to send (default: each line of stdin)");
}

void add_client(CLI::App& socket, Context& ctx, bool udp) {
    auto f = std::make_shared<ClientFlags>();
    auto* cmd = socket.add_subcommand(
        udp ? "udp-client" : "tcp-client",
        udp ? "Send each line as a UDP datagram and print the reply"
            : "Send each line over one TCP connection and print each reply line");
    add_client_flags(*cmd, *f);
    cmd->footer(udp ? R"(Examples:
  l7 socket udp-client hello                 # prints HELLO
  l7 socket udp-client --server 127.0.0.1:12001 --trace 'ping 1'
  printf 'one\ntwo\n' | l7 socket udp-client)"
                    : R"(Examples:
  l7 socket tcp-client 'hello from the client side'
  l7 socket tcp-client --trace < sentences.txt)");
    cmd->callback([f, &ctx, udp] {
        ctx.action = [f, &ctx, udp] {
            apply_common_options(f->common, ctx, false);
            socket::ClientOptions o{parse_server(f->server), parse_duration_option(f->timeout)};
            return udp ? socket::run_udp_client(o, f->messages, std::cin, std::cout, ctx.tracer)
                       : socket::run_tcp_client(o, f->messages, std::cin, std::cout, ctx.tracer);
        };
    });
}

void add_ping(CLI::App& socket, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto server = std::make_shared<std::string>(default_address);
    auto count = std::make_shared<std::uint32_t>(4);
    auto interval = std::make_shared<std::string>("1s");
    auto timeout = std::make_shared<std::string>("1s");
    auto size = std::make_shared<std::size_t>(0);
    auto summary = std::make_shared<bool>(false);
    auto* cmd = socket.add_subcommand(
        "ping", "Measure round-trip time and loss to a UDP echo server, like ping(8)");
    add_common_options(*cmd, *common);
    cmd->add_option("SERVER", *server, "Echo server (l7 socket udp-server --echo)")
        ->check(host_port_validator())
        ->type_name("HOST:PORT")
        ->default_str(default_address);
    cmd->add_option("-c,--count", *count, "Probes to send; 0 sends until Ctrl-C")
        ->check(CLI::Range(0u, 1'000'000u))
        ->default_str("4");
    cmd->add_option("-i,--interval", *interval, "Time between probes")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("1s");
    cmd->add_option("-W,--timeout", *timeout, "How long to wait for each reply")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("1s");
    cmd->add_option("--size", *size, "Pad each probe to this many bytes")
        ->check(CLI::Range(0ul, 65507ul));
    cmd->add_flag("--summary", *summary, "Print only the summary lines");
    cmd->footer(R"(Examples:
  l7 socket udp-server --echo --loss 0.3 --delay 20ms &
  l7 socket ping -c 10 127.0.0.1:12000
  l7 socket ping -c 100 -i 10ms -W 200ms --summary 127.0.0.1:12000

Exit status: 0 if any reply came back, 1 if none did.)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, false);
            socket::PingClientOptions o;
            o.server = parse_server(*server);
            o.ping.count = *count;
            o.ping.interval = parse_duration_option(*interval);
            o.ping.timeout = parse_duration_option(*timeout);
            o.ping.size = *size;
            o.quiet = *summary;
            if (o.ping.interval.count() <= 0) {
                throw UsageError("--interval must be longer than 0");
            }
            const auto stats = socket::run_ping(o, std::cout, ctx.tracer);
            return stats.received > 0 ? 0 : 1;
        };
    });
}

}  // namespace

void register_socket_commands(CLI::App& root, Context& ctx) {
    auto* socket = root.add_subcommand("socket", "The course's socket programs over UDP and TCP");
    socket->require_subcommand(1);
    socket->footer(R"(Examples:
  l7 socket udp-server &   l7 socket udp-client hello     # HELLO
  l7 socket tcp-server &   l7 socket tcp-client hello     # HELLO
  l7 socket udp-server --echo --loss 0.3 --listen 127.0.0.1:12001 &
  l7 socket ping -c 10 127.0.0.1:12001)");
    add_udp_server(*socket, ctx);
    add_tcp_server(*socket, ctx);
    add_client(*socket, ctx, true);
    add_client(*socket, ctx, false);
    add_ping(*socket, ctx);
    for (CLI::App* verb : socket->get_subcommands({})) {
        add_env_names(*verb, "SOCKET");
    }
}

}  // namespace l7::app
