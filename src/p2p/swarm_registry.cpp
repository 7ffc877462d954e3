#include "p2p/swarm_registry.hpp"

#include <algorithm>
#include <limits>

namespace l7::p2p {
namespace {

// Full scrapes are cut here, so that our own client (TrackerResponseLimits) can read them.
constexpr std::size_t kMaxFullScrape = 1000;

std::uint32_t clamp_u32(std::uint64_t n) {
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

std::uint32_t seconds_u32(std::chrono::seconds s) {
    return clamp_u32(static_cast<std::uint64_t>(std::max<std::int64_t>(s.count(), 0)));
}

}  // namespace

SwarmRegistry::SwarmRegistry(SwarmConfig config, Random random)
    : config_(std::move(config)), random_(std::move(random)) {}

std::uint64_t SwarmRegistry::next_random() {
    if (random_) {
        return random_();
    }
    // splitmix64
    std::uint64_t z = (fallback_state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

bool SwarmRegistry::allowed(const InfoHash& hash) const {
    return !config_.allowed || config_.allowed->contains(hash);
}

void SwarmRegistry::allow(const InfoHash& hash) {
    if (!config_.allowed) {
        config_.allowed.emplace();
    }
    config_.allowed->insert(hash);
}

void SwarmRegistry::remove_peer(Torrent& t, std::map<PeerAddress, SwarmPeer>::iterator it) {
    if (it->second.seed()) {
        --t.seeds;
    }
    t.peers.erase(it);
}

void SwarmRegistry::drop_if_empty(std::map<InfoHash, Torrent>::iterator it) {
    if (it->second.peers.empty() && it->second.downloaded == 0) {
        torrents_.erase(it);
    }
}

bool SwarmRegistry::evict_an_empty_torrent() {
    for (auto it = torrents_.begin(); it != torrents_.end(); ++it) {
        if (it->second.peers.empty()) {
            torrents_.erase(it);
            return true;
        }
    }
    return false;
}

// For a seed, the leechers come first and seeds only fill what is left: a real seed has no
// use for another, but a client that says left=0 while it fetches a magnet link's metadata
// (aria2 does) needs to find one.
std::vector<TrackerPeer> SwarmRegistry::choose_peers(const Torrent& t, const SwarmPeer& requester,
                                                     std::uint32_t count) {
    if (count == 0) {
        return {};
    }
    std::vector<const SwarmPeer*> first, then;
    for (const auto& [address, peer] : t.peers) {
        if (address.family != requester.address.family || address == requester.address) {
            continue;
        }
        (requester.seed() && peer.seed() ? then : first).push_back(&peer);
    }
    std::vector<TrackerPeer> out;
    out.reserve(std::min<std::size_t>(count, first.size() + then.size()));
    for (std::vector<const SwarmPeer*>* group : {&first, &then}) {
        // A partial Fisher-Yates shuffle: the first `n` are a uniform random choice.
        auto& candidates = *group;
        const std::size_t n = std::min<std::size_t>(count - out.size(), candidates.size());
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t j =
                i + static_cast<std::size_t>(next_random() % (candidates.size() - i));
            std::swap(candidates[i], candidates[j]);
            out.push_back(TrackerPeer{candidates[i]->address, candidates[i]->peer_id});
        }
    }
    return out;
}

AnnounceResponse SwarmRegistry::announce(const AnnounceRequest& request, const PeerAddress& from,
                                         TimePoint now) {
    if (!allowed(request.info_hash)) {
        return announce_failure("unregistered torrent");
    }
    if (request.port == 0) {
        return announce_failure("invalid port");
    }
    PeerAddress address = from.unmapped();
    if (config_.accept_ip_parameter && request.ip) {
        if (auto claimed = parse_ip_address(*request.ip)) {
            address = claimed->unmapped();
        }
    }
    address.port = request.port;

    AnnounceResponse response;
    response.interval = seconds_u32(config_.interval);
    if (config_.min_interval) {
        response.min_interval = seconds_u32(*config_.min_interval);
    }
    auto it = torrents_.find(request.info_hash);

    if (request.event == AnnounceEvent::stopped) {
        // Leaving: no peers to hand out, and a stranger's stop creates nothing.
        if (it == torrents_.end()) {
            response.complete = 0;
            response.incomplete = 0;
            return response;
        }
        if (auto p = it->second.peers.find(address); p != it->second.peers.end()) {
            remove_peer(it->second, p);
        }
        response.complete = clamp_u32(it->second.seeds);
        response.incomplete = clamp_u32(it->second.peers.size() - it->second.seeds);
        drop_if_empty(it);
        return response;
    }

    if (it == torrents_.end()) {
        if (config_.max_peers_per_torrent == 0) {
            return announce_failure("swarm full: too many peers for this torrent");
        }
        if (torrents_.size() >= config_.max_torrents && !evict_an_empty_torrent()) {
            return announce_failure("tracker full: too many torrents");
        }
        it = torrents_.emplace(request.info_hash, Torrent{}).first;
    }
    Torrent& t = it->second;
    auto p = t.peers.find(address);
    if (p == t.peers.end()) {
        if (t.peers.size() >= config_.max_peers_per_torrent) {
            return announce_failure("swarm full: too many peers for this torrent");
        }
        SwarmPeer fresh;
        fresh.address = address;
        fresh.left = 1;  // counted as a seed below, if it is one
        p = t.peers.emplace(address, fresh).first;
    } else if (p->second.seed()) {
        --t.seeds;
    }
    SwarmPeer& peer = p->second;
    peer.peer_id = request.peer_id;
    peer.left = request.left;
    peer.last_seen = now;
    if (peer.seed()) {
        ++t.seeds;
    }
    if (request.event == AnnounceEvent::completed && !peer.completed) {
        peer.completed = true;
        ++t.downloaded;
    }

    const std::uint32_t want =
        std::min(request.numwant.value_or(config_.default_numwant), config_.max_numwant);
    response.peers = choose_peers(t, peer, want);
    response.complete = clamp_u32(t.seeds);
    response.incomplete = clamp_u32(t.peers.size() - t.seeds);
    return response;
}

ScrapeResponse SwarmRegistry::scrape(std::span<const InfoHash> hashes) const {
    ScrapeResponse response;
    const auto entry = [](const InfoHash& hash, const Torrent& t) {
        ScrapeEntry e;
        e.info_hash = hash;
        e.complete = clamp_u32(t.seeds);
        e.incomplete = clamp_u32(t.peers.size() - t.seeds);
        e.downloaded = clamp_u32(t.downloaded);
        return e;
    };
    if (hashes.empty()) {
        if (!config_.full_scrape) {
            response.failure_reason = "full scrape disabled";
            return response;
        }
        for (const auto& [hash, t] : torrents_) {
            if (response.files.size() == kMaxFullScrape) {
                break;
            }
            if (allowed(hash)) {
                response.files.push_back(entry(hash, t));
            }
        }
        return response;
    }
    for (const InfoHash& hash : hashes) {
        const auto it = torrents_.find(hash);
        if (it == torrents_.end() || !allowed(hash)) {
            ScrapeEntry e;
            e.info_hash = hash;
            response.files.push_back(e);
        } else {
            response.files.push_back(entry(hash, it->second));
        }
    }
    return response;
}

std::size_t SwarmRegistry::expire(TimePoint now) {
    const std::chrono::seconds timeout = config_.peer_timeout.value_or(2 * config_.interval);
    std::size_t dropped = 0;
    for (auto it = torrents_.begin(); it != torrents_.end();) {
        Torrent& t = it->second;
        for (auto p = t.peers.begin(); p != t.peers.end();) {
            if (now - p->second.last_seen > timeout) {
                remove_peer(t, p++);
                ++dropped;
            } else {
                ++p;
            }
        }
        auto next = std::next(it);
        drop_if_empty(it);
        it = next;
    }
    return dropped;
}

SwarmStats SwarmRegistry::stats() const {
    SwarmStats s;
    s.torrents = torrents_.size();
    for (const auto& [hash, t] : torrents_) {
        s.seeds += t.seeds;
        s.leechers += t.peers.size() - t.seeds;
        s.completed += t.downloaded;
    }
    return s;
}

std::vector<TorrentStats> SwarmRegistry::torrent_stats(std::size_t max) const {
    std::vector<TorrentStats> out;
    out.reserve(torrents_.size());
    for (const auto& [hash, t] : torrents_) {
        out.push_back(TorrentStats{hash, t.seeds, t.peers.size() - t.seeds, t.downloaded});
    }
    const auto busier = [](const TorrentStats& a, const TorrentStats& b) {
        const std::size_t na = a.seeds + a.leechers;
        const std::size_t nb = b.seeds + b.leechers;
        return na != nb ? na > nb : a.info_hash < b.info_hash;
    };
    if (out.size() > max) {
        std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(max), out.end(),
                          busier);
        out.resize(max);
    } else {
        std::sort(out.begin(), out.end(), busier);
    }
    return out;
}

std::size_t SwarmRegistry::peer_count(const InfoHash& hash) const {
    const auto it = torrents_.find(hash);
    return it == torrents_.end() ? 0 : it->second.peers.size();
}

std::vector<SwarmPeer> SwarmRegistry::peers(const InfoHash& hash) const {
    std::vector<SwarmPeer> out;
    if (const auto it = torrents_.find(hash); it != torrents_.end()) {
        for (const auto& [address, peer] : it->second.peers) {
            out.push_back(peer);
        }
    }
    return out;
}

}  // namespace l7::p2p
