#pragma once
// A tracker's state (BEP 3 "Trackers", BEP 15, BEP 48), without I/O: which peers are in
// which torrent's swarm, what to answer an announce or a scrape, and when a silent peer is
// forgotten. Time is passed in and randomness injected, so tests replay exactly.
//
// A peer is keyed by the address it announced from and the port it listens on, not by its
// peer id: peer ids are public (non-compact lists carry them), so keying by id would let
// anyone "stop" someone else; only the host at an address can announce from it (HTTP runs
// over TCP; UDP checks the connection id first).
//
// The HTTP and UDP drivers both go through AnnounceRequest / AnnounceResponse (tracker_udp
// converts); the driver encodes the response in the form the request asked for.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "core/time.hpp"
#include "p2p/tracker_http.hpp"
#include "p2p/types.hpp"

namespace l7::p2p {

struct SwarmConfig {
    // The announce interval we hand out (BEP 3 "interval"); a lab wants it short (e.g. 60 s)
    // so that new peers are found quickly.
    std::chrono::seconds interval{1800};
    std::optional<std::chrono::seconds> min_interval;
    // A peer not heard from for this long is dropped; unset: twice the interval.
    std::optional<std::chrono::seconds> peer_timeout;
    std::uint32_t default_numwant = 50;  // when the request has none
    std::uint32_t max_numwant = 200;
    std::size_t max_torrents = 100'000;
    std::size_t max_peers_per_torrent = 10'000;
    // Honour the request's "ip" parameter. Off by default: it lets anyone register someone
    // else's address (and point a swarm at a victim). A lab behind NAT may want it.
    bool accept_ip_parameter = false;
    // When set, only these torrents are tracked; others get "unregistered torrent".
    std::optional<std::set<InfoHash>> allowed;
    // Answer a scrape without info_hash with every torrent (at most 1000).
    bool full_scrape = false;
};

struct SwarmPeer {
    PeerId peer_id{};
    PeerAddress address;  // the IP the announce came from (unmapped), the port it listens on
    std::uint64_t left = 0;
    TimePoint last_seen{};
    bool completed = false;  // sent event=completed (counted once)

    bool seed() const { return left == 0; }
};

struct SwarmStats {
    std::size_t torrents = 0;
    std::size_t seeds = 0;
    std::size_t leechers = 0;
    std::uint64_t completed = 0;  // "downloaded" summed over the torrents tracked
};

struct TorrentStats {
    InfoHash info_hash{};
    std::size_t seeds = 0;
    std::size_t leechers = 0;
    std::uint64_t completed = 0;
};

class SwarmRegistry {
  public:
    // Uniform 64-bit numbers, for choosing which peers to hand out; an empty function uses a
    // fixed-seed generator (fine for tests, predictable to attackers).
    using Random = std::function<std::uint64_t()>;

    explicit SwarmRegistry(SwarmConfig config = {}, Random random = {});

    // One announce from `from` (the packet's source address; its port is ignored, the
    // request's is used). The answer is a failure reason, or the interval, this torrent's
    // seed and leecher counts, and up to numwant peers (default_numwant, at most
    // max_numwant) of the requester's address family, chosen at random, never the requester,
    // for a seed the leechers first (seeds only fill the rest). stopped removes the peer and hands
    // out none; completed counts once per peer; left = 0 makes a seed. Refusals: an unlisted
    // torrent, port 0, a full tracker or a full swarm.
    AnnounceResponse announce(const AnnounceRequest& request, const PeerAddress& from,
                              TimePoint now);

    // One entry per hash asked, in that order (zeros for torrents we do not know or do not
    // allow: a scrape reveals nothing of them). No hashes: a full scrape, if configured,
    // else a failure reason.
    ScrapeResponse scrape(std::span<const InfoHash> hashes) const;

    // Drops the peers silent for longer than the peer timeout; returns how many.
    std::size_t expire(TimePoint now);

    // Adds to the allow-list (and turns it on).
    void allow(const InfoHash& hash);

    SwarmStats stats() const;
    // Per torrent, the busiest (seeds + leechers) first, at most `max`.
    std::vector<TorrentStats> torrent_stats(std::size_t max) const;
    std::size_t torrent_count() const { return torrents_.size(); }
    std::size_t peer_count(const InfoHash& hash) const;
    std::vector<SwarmPeer> peers(const InfoHash& hash) const;
    const SwarmConfig& config() const { return config_; }

  private:
    struct Torrent {
        std::map<PeerAddress, SwarmPeer> peers;
        std::size_t seeds = 0;
        std::uint64_t downloaded = 0;
    };

    std::uint64_t next_random();
    bool allowed(const InfoHash& hash) const;
    // Removes `it` from `t`, keeping the counts.
    void remove_peer(Torrent& t, std::map<PeerAddress, SwarmPeer>::iterator it);
    // A torrent with no peers is dropped, unless its "downloaded" count is worth keeping;
    // kept ones are the first to go when the tracker is full.
    void drop_if_empty(std::map<InfoHash, Torrent>::iterator it);
    bool evict_an_empty_torrent();
    std::vector<TrackerPeer> choose_peers(const Torrent& t, const SwarmPeer& requester,
                                          std::uint32_t count);

    SwarmConfig config_;
    Random random_;
    std::uint64_t fallback_state_ = 0x9e3779b97f4a7c15;
    std::map<InfoHash, Torrent> torrents_;
};

}  // namespace l7::p2p
