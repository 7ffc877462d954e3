#pragma once
// A magnet link's metadata for `l7 torrent get` (torrent_magnet.cpp).

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli.hpp"
#include "core/endpoint.hpp"
#include "p2p/magnet.hpp"
#include "p2p/metainfo.hpp"

namespace l7::app {

// "magnet:..." (the scheme in any case, RFC 3986).
bool is_magnet(std::string_view text);

struct MagnetFetch {
    std::string uri;
    std::vector<std::string> peers;  // --peer, besides the link's x.pe
    bool use_trackers = true;        // announce to the link's tr= (not with --no-tracker)
    HostPort listen;                 // the address connections go out from
    std::size_t max_peers = 50;
    std::chrono::nanoseconds announce_interval{0};
    std::chrono::seconds timeout{300};
    bool quiet = false;
    std::function<void(std::string_view)> on_trace;  // --trace lines, or empty
};

// The torrent the link names: its info dictionary fetched from peers and checked against
// the info-hash, with the link's trackers. UsageError for a malformed link or one with
// nowhere to ask; nullopt (after saying why on stderr) when no peer gave the metadata in
// time or the run was interrupted.
std::optional<p2p::Metainfo> fetch_magnet(const MagnetFetch& job);

}  // namespace l7::app
