// `l7 torrent tracker`: an HTTP and UDP BitTorrent tracker (src/p2p/asio/tracker_server.hpp).

#include <iostream>
#include <memory>

#include "app/cli.hpp"
#include "app/torrent_create.hpp"
#include "core/log.hpp"
#include "net/runtime.hpp"
#include "p2p/asio/tracker_server.hpp"
#include "p2p/metainfo.hpp"

namespace l7::app {
namespace {

struct TrackerFlags {
    CommonOptions common;
    std::vector<std::string> listen = {"127.0.0.1:6969"};
    std::string interval = "30m";
    std::string peer_timeout;
    std::uint32_t max_numwant = 200;
    std::vector<std::string> allow;  // info-hashes (hex) or .torrent files
    bool no_udp = false;
    bool no_http = false;
    bool full_scrape = false;
    bool accept_ip = false;
};

std::chrono::seconds whole_seconds(const std::string& text, const char* option) {
    const auto d = parse_duration_option(text);
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(d);
    if (s.count() < 1) {
        throw UsageError(std::string(option) + " " + text + ": at least 1s");
    }
    return s;
}

int run_tracker(const TrackerFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, true);
    if (f.no_udp && f.no_http) {
        throw UsageError("--no-udp and --no-http together leave nothing to serve");
    }
    p2p::TrackerServerOptions options;
    options.listen = parse_listen_list(f.listen);
    options.http = !f.no_http;
    options.udp = !f.no_udp;
    options.swarm.interval = whole_seconds(f.interval, "--interval");
    if (!f.peer_timeout.empty()) {
        options.swarm.peer_timeout = whole_seconds(f.peer_timeout, "--peer-timeout");
    }
    options.swarm.max_numwant = f.max_numwant;
    options.swarm.full_scrape = f.full_scrape;
    options.swarm.accept_ip_parameter = f.accept_ip;
    if (!f.allow.empty()) {
        options.swarm.allowed.emplace();
        for (const std::string& item : f.allow) {
            p2p::InfoHash hash{};
            if (p2p::from_hex(item, hash)) {
                options.swarm.allowed->insert(hash);
                continue;
            }
            auto meta = p2p::parse_metainfo(read_torrent_file(item));
            if (!meta) {
                throw UsageError("--allow " + item + ": neither 40 hex digits nor a torrent (" +
                                 meta.error().message + ")");
            }
            options.swarm.allowed->insert(meta->info.info_hash);
        }
    }
    net::raise_open_file_limit();
    net::Runtime runtime({.threads = 1});
    p2p::TrackerServer server(options);
    server.start(runtime, ctx.tracer);
    runtime.run();
    return 0;
}

}  // namespace

void add_torrent_tracker(CLI::App& torrent_cmd, Context& ctx) {
    auto f = std::make_shared<TrackerFlags>();
    auto* cmd = torrent_cmd.add_subcommand("tracker", "Run a BitTorrent tracker (HTTP and UDP)");
    add_common_options(*cmd, f->common);
    cmd->add_option("--listen", f->listen,
                    "Serve on ADDRESS:PORT, HTTP on TCP and BEP 15 on UDP (repeatable; default "
                    "127.0.0.1:6969)")
        ->check(listen_address_validator());
    cmd->add_option("--interval", f->interval,
                    "How often peers should announce (default 30m; a lab wants 10s-60s)")
        ->check(duration_validator());
    cmd->add_option("--peer-timeout", f->peer_timeout,
                    "Forget a peer silent for this long (default: twice the interval)")
        ->check(duration_validator());
    cmd->add_option("--max-numwant", f->max_numwant,
                    "Peers handed out per announce at most (default 200)")
        ->check(CLI::Range(1, 1000));
    cmd->add_option("--allow", f->allow,
                    "Track only these torrents: an info-hash in hex or a .torrent file "
                    "(repeatable; default: any)");
    cmd->add_flag("--no-udp", f->no_udp, "Serve HTTP only");
    cmd->add_flag("--no-http", f->no_http, "Serve UDP only");
    cmd->add_flag("--full-scrape", f->full_scrape,
                  "Answer a scrape without info_hash with every torrent");
    cmd->add_flag("--accept-ip-parameter", f->accept_ip,
                  "Register the address a peer claims (ip=) rather than the one it announces "
                  "from: lets anyone point a swarm at someone else");
    cmd->footer(R"(The course's tracker: it knows, for each torrent (by info-hash), the peers in its
swarm, and answers each peer's announce with a random set of others, so peers can find
each other. Peers announce when they start, when they complete, every interval, and when
they stop; a peer not heard from for the peer timeout is forgotten.

Served on each --listen address:
  GET /announce?info_hash=...&peer_id=...&port=...&left=...   BEP 3; compact lists (BEP 23)
      of IPv4 peers, and "peers6" (BEP 7) of IPv6 ones, to peers of the same family
  GET /scrape?info_hash=...                                    seeds, leechers, completed
  GET /                                                        a status page
  UDP announce and scrape (BEP 15), connection ids checked

Examples:
  l7 torrent tracker --listen 127.0.0.1:6969 --interval 10s
  l7 torrent create sample.bin -t http://127.0.0.1:6969/announce -t udp://127.0.0.1:6969
  curl http://127.0.0.1:6969/)");
    add_env_names(*cmd, "torrent");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_tracker(*f, ctx); }; });
}

}  // namespace l7::app
