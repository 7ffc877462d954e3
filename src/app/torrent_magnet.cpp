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

void PeerRelay::attach(p2p::TorrentClient* client) {
    std::lock_guard lock(mutex_);
    if (client_ != nullptr) {
        last_ = client_->stats();
    }
    client_ = client;
    if (client_ != nullptr && !waiting_.empty()) {
        client_->add_peers(allowed(std::exchange(waiting_, {})));
    }
}

void PeerRelay::add(std::vector<std::string> peers) {
    std::lock_guard lock(mutex_);
    peers = allowed(std::move(peers));
    if (client_ != nullptr) {
        client_->add_peers(std::move(peers));
        return;
    }
    constexpr std::size_t kMostWaiting = 1000;  // a tracker's lists between the two steps
    for (std::string& peer : peers) {
        if (waiting_.size() < kMostWaiting) {
            waiting_.push_back(std::move(peer));
        }
    }
}

void PeerRelay::ban_hosts(const std::vector<std::string>& hosts) {
    std::lock_guard lock(mutex_);
    banned_.insert(hosts.begin(), hosts.end());
}

p2p::DownloadStats PeerRelay::stats() {
    std::lock_guard lock(mutex_);
    if (client_ != nullptr) {
        last_ = client_->stats();
    }
    return last_;
}

std::vector<std::string> PeerRelay::allowed(std::vector<std::string> peers) const {
    std::erase_if(peers,
                  [this](const std::string& p) { return banned_.contains(p2p::peer_host(p)); });
    return peers;
}

p2p::MagnetLink parse_magnet_option(std::string_view text) {
    auto link = p2p::parse_magnet(text);
    if (!link) {
        throw UsageError(link.error().message);
    }
    return std::move(*link);
}

std::optional<p2p::Metainfo> fetch_magnet(const MagnetFetch& job, PeerRelay& relay) {
    const p2p::MagnetLink& link = job.link;
    const std::string name =
        link.display_name.empty() ? p2p::to_hex(link.info_hash) : link.display_name;
    log::info("torrent", name + ": fetching the metadata (BEP 9) from the peers the link, " +
                             "--peer and its trackers name");

    net::Runtime runtime({.threads = 1, .drain_deadline = std::chrono::seconds(2)});
    p2p::MetadataLimits limits;
    limits.max_peers = job.max_peers;
    auto session =
        std::make_unique<p2p::MetadataSession>(link.info_hash, job.peer_id, limits, Clock::now());
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
    client.add_peers(job.peers);
    relay.attach(&client);

    // A magnet nobody answers must not wait for ever.
    asio::steady_timer deadline(runtime.worker(0).io, job.timeout);
    bool timed_out = false;
    deadline.async_wait([&](std::error_code ec) {
        if (!ec) {
            timed_out = true;
            runtime.request_stop();
        }
    });

    runtime.run();
    relay.attach(nullptr);
    relay.ban_hosts(fetch.banned_hosts());
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
    if (!link.trackers.empty()) {
        meta.announce = link.trackers.front();
        for (const std::string& tracker : link.trackers) {
            meta.announce_list.push_back({tracker});  // BEP 12: one tier each, in order
        }
    }
    return meta;
}

}  // namespace l7::app
