// `l7 torrent get` and `l7 torrent seed`: one torrent on the wire, from the command line to a
// TorrentClient (src/p2p/asio/torrent_client.hpp) over files on disk (FileStore).

#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "app/cli.hpp"
#include "app/torrent_create.hpp"
#include "app/torrent_magnet.hpp"
#include "core/log.hpp"
#include "link/rate.hpp"
#include "net/runtime.hpp"
#include "p2p/asio/announcer.hpp"
#include "p2p/asio/file_store.hpp"
#include "p2p/asio/torrent_client.hpp"
#include "p2p/metainfo.hpp"

namespace l7::app {
namespace {

namespace fs = std::filesystem;

struct PeerFlags {
    CommonOptions common;
    std::string torrent;
    std::string path;  // get: the download directory; seed: the data
    bool seed = false;
    bool seed_after_get = false;  // get --seed
    std::string listen = "127.0.0.1:6881";
    std::vector<std::string> peers;
    bool no_tracker = false;
    std::string download_rate, upload_rate, peer_download_rate, peer_upload_rate;
    std::size_t max_peers = 50;
    std::string announce_interval;
};

// A rate option ("8mbit", "1mbps") in bytes per second; 0 when not given.
std::uint64_t rate_option(const std::string& text, const char* option) {
    if (text.empty()) {
        return 0;
    }
    auto bits = link::parse_rate(text);
    if (!bits) {
        throw UsageError(std::string(option) + ": " + bits.error().message);
    }
    return std::max<std::uint64_t>(*bits / 8, 1);
}

std::string rate_text(double bytes_per_second) {
    return torrent_human_size(static_cast<std::uint64_t>(bytes_per_second)) + "/s";
}

// One status line: pieces, peers, rates and the time left.
std::string progress_line(const p2p::DownloadStats& s) {
    const double percent = s.piece_count == 0 ? 100.0 : 100.0 * s.pieces_have / s.piece_count;
    char head[64];
    std::snprintf(head, sizeof head, "%u/%u pieces (%.1f%%)", s.pieces_have, s.piece_count,
                  percent);
    std::string line = std::string(head) + ", " + std::to_string(s.peers) + " peers (" +
                       std::to_string(s.seeds) + " seeds), down " + rate_text(s.download_rate) +
                       ", up " + rate_text(s.upload_rate);
    if (s.bytes_left > 0 && s.download_rate > 1) {
        const auto eta =
            static_cast<std::uint64_t>(static_cast<double>(s.bytes_left) / s.download_rate);
        char text[32];
        std::snprintf(text, sizeof text, ", ETA %llu:%02llu",
                      static_cast<unsigned long long>(eta / 60),
                      static_cast<unsigned long long>(eta % 60));
        line += text;
    }
    return line;
}

// A port the system gives out now on `at`'s address (UsageError when that address cannot
// be bound). It is free for the moment only; binding it again later is the caller's race.
std::uint16_t free_tcp_port(const HostPort& at) {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io);
    std::error_code ec;
    const asio::ip::tcp::endpoint where(asio::ip::make_address(at.host, ec), 0);
    if (!ec) {
        probe.open(where.protocol(), ec);
    }
    if (!ec) {
        probe.bind(where, ec);
    }
    if (ec) {
        throw UsageError("--listen " + at.to_string() + ": " + ec.message());
    }
    return probe.local_endpoint().port();
}

// --trace lines as "bittorrent" notes of the transcript; empty without --trace.
std::function<void(std::string_view)> trace_sink(Context& ctx) {
    if (!ctx.tracer.enabled()) {
        return {};
    }
    return [&ctx](std::string_view line) {
        trace::Record r;
        r.time = std::chrono::system_clock::now();
        r.protocol = "bittorrent";
        r.direction = trace::Direction::note;
        r.message = line;
        ctx.tracer.write(r);
    };
}

int run_peer(const PeerFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, true);
    auto listen = parse_listen_address(f.listen);
    if (!listen) {
        throw UsageError("--listen: " + listen.error().message);
    }
    p2p::TorrentLimits limits;
    limits.download_rate = rate_option(f.download_rate, "--download-rate");
    limits.upload_rate = rate_option(f.upload_rate, "--upload-rate");
    limits.peer_download_rate = rate_option(f.peer_download_rate, "--peer-download-rate");
    limits.peer_upload_rate = rate_option(f.peer_upload_rate, "--peer-upload-rate");
    limits.max_peers = f.max_peers;
    for (const std::string& peer : f.peers) {
        auto hp = parse_host_port(peer);
        if (!hp || !hp->is_address_literal()) {
            throw UsageError("--peer " + peer + ": give ADDRESS:PORT with an IP address");
        }
    }
    const std::chrono::nanoseconds announce_interval =
        f.announce_interval.empty() ? std::chrono::nanoseconds(0)
                                    : parse_duration_option(f.announce_interval);

    // One peer id and one announcer for the whole download, a magnet link's metadata step
    // included: the tracker sees one peer start, complete and stop.
    const p2p::PeerId peer_id = p2p::make_peer_id();
    PeerRelay relay;
    std::unique_ptr<p2p::Announcer> announcer;
    const auto start_announcer = [&](std::vector<std::string> trackers, const p2p::InfoHash& hash,
                                     const HostPort& at) {
        if (f.no_tracker || trackers.empty()) {
            return;
        }
        p2p::AnnouncerOptions a;
        a.trackers = std::move(trackers);
        a.info_hash = hash;
        a.peer_id = peer_id;
        a.port = at.port;
        if (at.is_address_literal() && at.host != "0.0.0.0" && at.host != "::") {
            a.local_address = at.host;
        }
        a.stats = [&relay] { return relay.stats(); };
        a.on_peers = [&relay](std::vector<std::string> found) { relay.add(std::move(found)); };
        a.on_note = [](std::string_view line) { log::info("torrent", std::string(line)); };
        a.min_interval = announce_interval;
        announcer = std::make_unique<p2p::Announcer>(std::move(a));
        announcer->start();
    };

    HostPort listen_at = *listen;
    std::optional<p2p::Metainfo> meta;
    std::vector<std::string> peers = f.peers;
    if (is_magnet(f.torrent)) {
        if (f.seed) {
            throw UsageError("TORRENT: seeding needs the .torrent file, not a magnet link");
        }
        MagnetFetch job;
        job.link = parse_magnet_option(f.torrent);
        for (const std::string& peer : job.link.peers) {
            auto hp = parse_host_port(peer);
            if (hp && hp->is_address_literal()) {
                peers.push_back(peer);
            } else {
                log::warn("torrent", "magnet x.pe=" + peer + " ignored: not ADDRESS:PORT");
            }
        }
        if ((f.no_tracker || job.link.trackers.empty()) && peers.empty()) {
            throw UsageError(std::string("the magnet link names no tracker (tr=)") +
                             (job.link.trackers.empty() ? "" : " that may be used (--no-tracker)") +
                             " and no peer (x.pe=): give --peer ADDRESS:PORT");
        }
        // The tracker hears the port before the pieces' listener is bound: fix it now.
        if (listen_at.port == 0) {
            listen_at.port = free_tcp_port(listen_at);
        }
        start_announcer(job.link.trackers, job.link.info_hash, listen_at);
        job.peer_id = peer_id;
        job.peers = peers;
        job.listen = listen_at;
        job.max_peers = f.max_peers;
        job.quiet = f.common.quiet;
        job.on_trace = trace_sink(ctx);
        meta = fetch_magnet(job, relay);
        if (!meta) {
            return 1;
        }
    } else {
        const std::string bytes = read_torrent_file(f.torrent);
        auto parsed = p2p::parse_metainfo(bytes);
        if (!parsed) {
            throw UsageError(f.torrent + ": " + parsed.error().message);
        }
        meta = std::move(*parsed);
    }
    const p2p::TorrentInfo& info = meta->info;

    // Seeding: PATH is the data (the file, or the torrent's directory); its parent is where
    // the torrent's name lives. Getting: PATH is the directory to download into.
    fs::path dir = f.path.empty() ? fs::path(".") : fs::path(f.path);
    if (f.seed && !f.path.empty() && fs::path(f.path).filename() == info.name) {
        dir = fs::path(f.path).parent_path();
        if (dir.empty()) {
            dir = ".";
        }
    }
    const auto mode = f.seed ? p2p::FileStore::Mode::seed : p2p::FileStore::Mode::leech;
    auto store = p2p::FileStore::open(info, dir, mode);
    if (!store) {
        std::cerr << "l7 torrent: " << store.error().message << "\n";
        return 1;
    }
    const bool tty = ::isatty(STDERR_FILENO) == 1 && !f.common.quiet;
    auto have = (*store)->recheck([&](std::uint32_t done, std::uint32_t total) {
        if (tty && (done % 64 == 0 || done == total)) {
            std::fprintf(stderr, "\rchecking %u/%u pieces", done, total);
        }
    });
    if (tty) {
        std::fprintf(stderr, "\r\033[K");
    }
    if (!have) {
        std::cerr << "l7 torrent: " << have.error().message << "\n";
        return 1;
    }
    if (f.seed && !have->all()) {
        std::cerr << "l7 torrent seed: " << (dir / info.name).string() << ": only " << have->count()
                  << " of " << info.piece_count()
                  << " pieces match the torrent; is it the right data?\n";
        return 1;
    }
    log::info("torrent", info.name + ": " + std::to_string(have->count()) + " of " +
                             std::to_string(info.piece_count()) + " pieces on disk");

    net::Runtime runtime({.threads = 1, .drain_deadline = std::chrono::seconds(3)});
    const p2p::TorrentIdentity identity = p2p::identity_for(info, peer_id);
    p2p::TorrentClientOptions options;
    options.listen = listen_at;
    options.limits = limits;
    options.seed_when_complete = f.seed || f.seed_after_get;
    bool failed = false;
    bool done = have->all();
    options.on_trace = trace_sink(ctx);
    options.on_note = [](std::string_view line) { log::info("torrent", std::string(line)); };
    options.on_progress = [&](const p2p::DownloadStats& s) {
        if (tty) {
            std::fprintf(stderr, "\r\033[K%s", progress_line(s).c_str());
        }
    };
    options.on_complete = [&] {
        done = true;
        if (auto error = (*store)->sync()) {
            failed = true;
            std::cerr << "l7 torrent: " << error->message << "\n";
        }
        if (tty) {
            std::fprintf(stderr, "\r\033[K");
        }
        if (!f.common.quiet) {
            std::cerr << info.name << ": complete, every piece verified\n";
        }
    };
    options.on_piece = [&](std::uint32_t) {
        // Written out in steps without waiting for the disk, so a crash loses little (the
        // re-check finds the rest) and the sync at the end is short.
        constexpr std::uint64_t kWritebackEvery = 64 * 1024 * 1024;
        if ((*store)->bytes_unwritten() >= kWritebackEvery) {
            (*store)->start_writeback();
        }
    };
    options.on_fatal = [&](const std::string& why) {
        failed = true;
        std::cerr << "\nl7 torrent: " << why << "\n";
    };
    p2p::TorrentClient client(runtime, identity, **store, *have, options);
    const auto bound = client.start();
    if (bound) {
        log::info("torrent", "listening on tcp " + bound->address().to_string() + ":" +
                                 std::to_string(bound->port()) + " (bittorrent)");
    }
    relay.attach(&client);
    relay.add(peers);  // through the relay: not the peers the metadata step banned
    if (!announcer && bound) {
        start_announcer(meta->trackers(), info.info_hash,
                        HostPort{bound->address().to_string(), bound->port()});
    }
    runtime.run();
    if (announcer) {
        announcer->stop();
    }
    relay.attach(nullptr);
    if (auto error = (*store)->sync()) {
        failed = true;
        std::cerr << "l7 torrent: " << error->message << "\n";
    }
    if (failed) {
        return 1;
    }
    return done ? 0 : 1;
}

void add_peer_options(CLI::App& cmd, PeerFlags& f) {
    add_common_options(cmd, f.common);
    cmd.add_option("--listen", f.listen, "Accept peers on ADDRESS:PORT (default 127.0.0.1:6881)")
        ->check(listen_address_validator());
    cmd.add_option("--peer", f.peers, "Also connect to this peer (ADDRESS:PORT), repeatable")
        ->check(host_port_validator());
    cmd.add_flag("--no-tracker", f.no_tracker, "Do not announce to the torrent's trackers");
    cmd.add_option("--announce-interval", f.announce_interval,
                   "Announce at least this often, whatever the tracker says (e.g. 5s)")
        ->check(duration_validator());
    cmd.add_option("--download-rate", f.download_rate,
                   "Cap the whole download, as tc writes rates: 20mbit, 500kbps")
        ->type_name("RATE");
    cmd.add_option("--upload-rate", f.upload_rate, "Cap the whole upload (RATE)")
        ->type_name("RATE");
    cmd.add_option("--peer-download-rate", f.peer_download_rate,
                   "Cap what each peer may send us (RATE)")
        ->type_name("RATE");
    cmd.add_option("--peer-upload-rate", f.peer_upload_rate, "Cap what we send each peer (RATE)")
        ->type_name("RATE");
    cmd.add_option("--max-peers", f.max_peers, "Connections at most (default 50)")
        ->check(CLI::Range(1, 1000));
}

}  // namespace

void add_torrent_get(CLI::App& torrent_cmd, Context& ctx) {
    auto f = std::make_shared<PeerFlags>();
    auto* cmd = torrent_cmd.add_subcommand("get", "Download a torrent from its swarm");
    cmd->add_option("TORRENT", f->torrent, "The .torrent file, or a magnet link (magnet:?xt=...)")
        ->required();
    cmd->add_option("-o,--output", f->path, "Download into this directory (default: here)");
    cmd->add_flag("--seed", f->seed_after_get, "Stay and seed once the download is complete");
    add_peer_options(*cmd, *f);
    cmd->footer(R"(Downloads what TORRENT describes into the output directory (a single file under
its name, or a directory of files), from the peers its trackers name (HTTP and UDP
trackers, BEP 3 and BEP 15) and the peers given with --peer. Files are created at their
full size first; what is already there is checked piece by piece, so an interrupted
download resumes where it stopped.

Peers trade 16 KiB blocks (BEP 3). Pieces are chosen rarest first, after a random first
piece, finishing started pieces first, with an endgame for the last blocks. Every piece is
checked against its SHA-1 before it is written; a peer that sends bad data is dropped and
banned. Uploads follow tit-for-tat: the 4 peers that send us the most are unchoked, each
10 s, and one more at random every 30 s (the optimistic unchoke).

A magnet link names the torrent by its info-hash alone: its info dictionary is fetched
first from peers (BEP 9 metadata exchange over the BEP 10 extension protocol), from the
link's x.pe peers, --peer, and the peers its tr= trackers name; it is used only once its
SHA-1 equals the info-hash. A peer that gives metadata that does not match is dropped. The
fetch gives up after 5 minutes without the metadata.

A status line shows pieces, peers and rates on a terminal. --trace prints every message
with each peer and every choke and unchoke with its reason.

Exit status: 0 when the download is complete (and, with --seed, after an interrupt), 1
when it is not or a file cannot be written, 2 for a usage error.

Examples:
  l7 torrent get photos.torrent -o ~/Downloads
  l7 torrent get photos.torrent --peer 127.0.0.2:6881 --no-tracker --trace
  l7 torrent get 'magnet:?xt=urn:btih:3b24...&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce'
  l7 torrent get big.torrent --download-rate 20mbit --upload-rate 8mbit --seed)");
    add_env_names(*cmd, "torrent");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_peer(*f, ctx); }; });
}

void add_torrent_seed(CLI::App& torrent_cmd, Context& ctx) {
    auto f = std::make_shared<PeerFlags>();
    f->seed = true;
    auto* cmd = torrent_cmd.add_subcommand("seed", "Serve a torrent's data to its swarm");
    cmd->add_option("TORRENT", f->torrent, "The .torrent file")->required();
    cmd->add_option("PATH", f->path,
                    "The data: the file or directory the torrent names (or the directory "
                    "holding it)")
        ->required();
    add_peer_options(*cmd, *f);
    cmd->footer(R"(Checks that PATH holds exactly the data TORRENT describes (every piece against
its SHA-1), announces to the torrent's trackers and serves every peer that asks, until
interrupted (Ctrl-C). Uploads follow tit-for-tat as a seed does: the 4 interested peers
we upload to fastest are unchoked, each 10 s, and one more at random every 30 s.

Exit status: 0 after an interrupt, 1 when the data does not match, 2 for a usage error.

Examples:
  l7 torrent seed photos.torrent photos/
  l7 torrent seed sample.torrent ./sample.bin --listen 127.0.0.2:6881 --upload-rate 80mbit)");
    add_env_names(*cmd, "torrent");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_peer(*f, ctx); }; });
}

}  // namespace l7::app
