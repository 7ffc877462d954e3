#pragma once
// A magnet link's metadata for `l7 torrent get` (torrent_magnet.cpp), and the relay that
// carries a tracker's peers to whichever client runs: one announcer serves both steps of a
// magnet download (one "started", one "completed", one "stopped").

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli.hpp"
#include "core/endpoint.hpp"
#include "p2p/asio/torrent_client.hpp"
#include "p2p/magnet.hpp"
#include "p2p/metainfo.hpp"

namespace l7::app {

// "magnet:..." (the scheme in any case, RFC 3986).
bool is_magnet(std::string_view text);

// Peers from the announcer (its thread) to the client of the moment (its worker), held
// while no client runs; the client's numbers back to the announcer. Thread-safe.
class PeerRelay {
  public:
    // The client that takes peers from now on (nullptr: none; peers wait, up to a bound).
    void attach(p2p::TorrentClient* client);
    void add(std::vector<std::string> peers);
    // Addresses (without port) never to be handed on: peers banned in the metadata step.
    void ban_hosts(const std::vector<std::string>& hosts);
    // The attached client's numbers, else the last ones seen.
    p2p::DownloadStats stats();

  private:
    std::vector<std::string> allowed(std::vector<std::string> peers) const;

    std::mutex mutex_;
    p2p::TorrentClient* client_ = nullptr;
    std::vector<std::string> waiting_;
    std::set<std::string> banned_;
    // Before any client runs the size is unknown: "left" must not read 0 (a seed).
    p2p::DownloadStats last_{.bytes_left = 16 * 1024};
};

struct MagnetFetch {
    p2p::MagnetLink link;
    p2p::PeerId peer_id{};           // the same in both steps: one peer to the tracker
    std::vector<std::string> peers;  // the link's x.pe and --peer
    HostPort listen;                 // the address connections go out from
    std::size_t max_peers = 50;
    std::chrono::seconds timeout{300};
    bool quiet = false;
    std::function<void(std::string_view)> on_trace;  // --trace lines, or empty
};

// The torrent the link names: its info dictionary fetched from peers (those in `job` and
// those the relay brings) and checked against the info-hash, with the link's trackers.
// Nullopt (after saying why on stderr) when no peer gave the metadata in time or the run
// was interrupted. Peers that lied are banned in the relay.
std::optional<p2p::Metainfo> fetch_magnet(const MagnetFetch& job, PeerRelay& relay);

// The magnet link in `text`; UsageError when it is malformed.
p2p::MagnetLink parse_magnet_option(std::string_view text);

}  // namespace l7::app
