// `l7 torrent get MAGNET`'s first step: the torrent's info dictionary from peers (BEP 9 over
// BEP 10), driven by a TorrentClient over a MetadataSession, with the magnet's trackers
// announced to for peers. What it returns is checked against the info-hash already.

#include "app/torrent_magnet.hpp"

#include <unistd.h>

#include <asio/steady_timer.hpp>
#include <cstdio>
#include <iostream>

#include "core/log.hpp"
#include "net/runtime.hpp"
#include "p2p/asio/announcer.hpp"
#include "p2p/asio/torrent_client.hpp"

namespace l7::app {

bool is_magnet(std::string_view text) {
    constexpr std::string_view kScheme = "magnet:";
    if (text.size() < kScheme.size()) {
        return false;
    }
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != kScheme[i]) {
            return false;
        }
    }
    return true;
}

std::optional<p2p::Metainfo> fetch_magnet(const MagnetFetch& job) {
    auto link = p2p::parse_magnet(job.uri);
    if (!link) {
        throw UsageError(link.error().message);
    }
    std::vector<std::string> trackers =
        job.use_trackers ? link->trackers : std::vector<std::string>{};
    std::vector<std::string> peers = job.peers;
    for (const std::string& peer : link->peers) {
        auto hp = parse_host_port(peer);
        if (hp && hp->is_address_literal()) {
            peers.push_back(peer);
        } else {
            log::warn("torrent", "magnet x.pe=" + peer + " ignored: not ADDRESS:PORT");
        }
    }
    if (trackers.empty() && peers.empty()) {
        throw UsageError(std::string("the magnet link names no tracker (tr=)") +
                         (link->trackers.empty() ? "" : " that may be used (--no-tracker)") +
                         " and no peer (x.pe=): give --peer ADDRESS:PORT");
    }
    const std::string name =
        link->display_name.empty() ? p2p::to_hex(link->info_hash) : link->display_name;
    log::info("torrent", name + ": fetching the metadata (BEP 9) from " +
                             std::to_string(peers.size()) + " peers and " +
                             std::to_string(trackers.size()) + " trackers");

    net::Runtime runtime({.threads = 1, .drain_deadline = std::chrono::seconds(2)});
    const p2p::PeerId peer_id = p2p::make_peer_id();
    p2p::MetadataLimits limits;
    limits.max_peers = job.max_peers;
    auto session =
        std::make_unique<p2p::MetadataSession>(link->info_hash, peer_id, limits, Clock::now());
    const p2p::MetadataSession& fetch = *session;
    std::optional<std::string> info_bytes;

    p2p::TorrentClientOptions options;
    options.listen = job.listen;  // not bound: only the address outgoing connections use
    options.on_trace = job.on_trace;
    options.on_note = [](std::string_view line) { log::info("torrent", std::string(line)); };
    const bool tty = ::isatty(STDERR_FILENO) == 1 && !job.quiet;
    options.on_progress = [tty](const p2p::DownloadStats& s) {
        if (tty) {
            std::fprintf(stderr, "\r\033[Kmetadata: %u/%u pieces, %zu peers", s.pieces_have,
                         s.piece_count, s.peers);
        }
    };
    options.on_metadata = [&](const std::string& info) { info_bytes = info; };
    p2p::TorrentClient client(runtime, std::move(session), options);
    // Started without a listener: peers that find us before the download proper would
    // find nothing to take yet.
    client.start();
    client.add_peers(peers);

    // A magnet nobody answers must not wait for ever.
    asio::steady_timer deadline(runtime.worker(0).io, job.timeout);
    bool timed_out = false;
    deadline.async_wait([&](std::error_code ec) {
        if (!ec) {
            timed_out = true;
            runtime.request_stop();
        }
    });

    std::unique_ptr<p2p::Announcer> announcer;
    if (!trackers.empty()) {
        p2p::AnnouncerOptions a;
        a.trackers = trackers;
        a.info_hash = link->info_hash;
        a.peer_id = peer_id;
        a.port = job.listen.port;
        if (job.listen.is_address_literal() && job.listen.host != "0.0.0.0" &&
            job.listen.host != "::") {
            a.local_address = job.listen.host;
        }
        a.stats = [&client] { return client.stats(); };
        a.on_peers = [&client](std::vector<std::string> found) {
            client.add_peers(std::move(found));
        };
        a.on_note = [](std::string_view line) { log::info("torrent", std::string(line)); };
        a.min_interval = job.announce_interval;
        announcer = std::make_unique<p2p::Announcer>(std::move(a));
        announcer->start();
    }
    runtime.run();
    if (announcer) {
        announcer->stop();
    }
    if (tty) {
        std::fprintf(stderr, "\r\033[K");
    }
    if (!info_bytes) {
        std::cerr << "l7 torrent: " << name << ": "
                  << (timed_out ? "no peer gave the metadata in time"
                                : "stopped before the metadata arrived")
                  << "\n";
        return std::nullopt;
    }
    auto info = p2p::parse_info_dict(*info_bytes);
    if (!info) {
        // It hashed to the info-hash, so the link names a torrent that is itself broken.
        std::cerr << "l7 torrent: " << name << ": the metadata matches the info-hash but is not "
                  << "a usable info dictionary: " << info.error().message << "\n";
        return std::nullopt;
    }
    std::string from;
    for (const std::string& giver : fetch.givers()) {
        from += (from.empty() ? "" : ", ") + giver;
    }
    log::info("torrent", info->name + ": metadata of " + std::to_string(info_bytes->size()) +
                             " bytes from " + from + ", verified against the info-hash");
    p2p::Metainfo meta;
    meta.info = std::move(*info);
    if (!link->trackers.empty()) {
        meta.announce = link->trackers.front();
        for (const std::string& tracker : link->trackers) {
            meta.announce_list.push_back({tracker});  // BEP 12: one tier each, in order
        }
    }
    return meta;
}

}  // namespace l7::app
