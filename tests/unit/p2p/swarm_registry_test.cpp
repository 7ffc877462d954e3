// The tracker's registry: announce answers (numwant, address families, never the requester,
// leechers before seeds for a seed), stopped, completed counted once, expiry, limits, the
// allow-list, the "ip" parameter, scrape and the stats, all in virtual time with an injected rng.

#include "p2p/swarm_registry.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace l7::p2p {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint{} + 1000h;

InfoHash hash_of(std::uint8_t n) {
    InfoHash h{};
    h.fill(n);
    return h;
}

PeerId id_of(int n) {
    PeerId id{};
    id.fill('x');
    id[0] = static_cast<std::uint8_t>(n);
    id[1] = static_cast<std::uint8_t>(n >> 8);
    return id;
}

// 10.0.x.y for n, from port 40000 (the source port, which the registry ignores).
PeerAddress v4_of(int n) {
    return PeerAddress::v4({10, 0, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)},
                           40000);
}

PeerAddress v6_of(int n) {
    std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
    b[14] = static_cast<std::uint8_t>(n >> 8);
    b[15] = static_cast<std::uint8_t>(n);
    return PeerAddress::v6(b, 40000);
}

AnnounceRequest request(int n, std::uint64_t left = 100, std::uint8_t torrent = 1) {
    AnnounceRequest r;
    r.info_hash = hash_of(torrent);
    r.peer_id = id_of(n);
    r.port = 6881;
    r.left = left;
    return r;
}

SwarmRegistry::Random seeded(std::uint64_t seed) {
    auto engine = std::make_shared<std::mt19937_64>(seed);
    return [engine] { return (*engine)(); };
}

std::set<PeerAddress> addresses(const AnnounceResponse& r) {
    std::set<PeerAddress> out;
    for (const TrackerPeer& p : r.peers) {
        out.insert(p.address);
    }
    return out;
}

TEST(SwarmRegistry, FirstAndSecondPeer) {
    SwarmRegistry reg(SwarmConfig{}, seeded(1));
    auto first = reg.announce(request(1), v4_of(1), kT0);
    ASSERT_FALSE(first.failure_reason) << *first.failure_reason;
    EXPECT_EQ(first.interval, 1800u);
    EXPECT_FALSE(first.min_interval.has_value());
    EXPECT_TRUE(first.peers.empty());
    EXPECT_EQ(first.complete, 0u);
    EXPECT_EQ(first.incomplete, 1u);

    auto second = reg.announce(request(2, 0), v4_of(2), kT0);
    ASSERT_EQ(second.peers.size(), 1u);
    // The address it came from, the port it listens on, its peer id.
    EXPECT_EQ(second.peers[0].address.to_text(), "10.0.0.1:6881");
    EXPECT_EQ(second.peers[0].peer_id, id_of(1));
    EXPECT_EQ(second.complete, 1u);
    EXPECT_EQ(second.incomplete, 1u);
    EXPECT_EQ(reg.peer_count(hash_of(1)), 2u);
}

TEST(SwarmRegistry, ConfiguredInterval) {
    SwarmConfig c;
    c.interval = 60s;
    c.min_interval = 30s;
    SwarmRegistry reg(c);
    auto r = reg.announce(request(1), v4_of(1), kT0);
    EXPECT_EQ(r.interval, 60u);
    EXPECT_EQ(r.min_interval, 30u);
}

TEST(SwarmRegistry, Numwant) {
    SwarmRegistry reg(SwarmConfig{}, seeded(2));
    for (int n = 1; n <= 250; ++n) {
        ASSERT_FALSE(reg.announce(request(n), v4_of(n), kT0).failure_reason);
    }
    AnnounceRequest r = request(1000);
    EXPECT_EQ(reg.announce(r, v4_of(1000), kT0).peers.size(), 50u);  // the default
    r.numwant = 3;
    auto three = reg.announce(r, v4_of(1000), kT0);
    EXPECT_EQ(three.peers.size(), 3u);
    EXPECT_EQ(addresses(three).size(), 3u);  // no repeats
    r.numwant = 0;
    EXPECT_TRUE(reg.announce(r, v4_of(1000), kT0).peers.empty());
    r.numwant = 5000;
    auto capped = reg.announce(r, v4_of(1000), kT0);
    EXPECT_EQ(capped.peers.size(), 200u);  // max_numwant
    EXPECT_EQ(addresses(capped).size(), 200u);
}

TEST(SwarmRegistry, ChoiceIsRandomAndCoversTheSwarm) {
    SwarmRegistry reg(SwarmConfig{}, seeded(3));
    for (int n = 1; n <= 10; ++n) {
        reg.announce(request(n), v4_of(n), kT0);
    }
    AnnounceRequest r = request(99);
    r.numwant = 2;
    std::set<PeerAddress> seen;
    for (int i = 0; i < 100; ++i) {
        seen.merge(addresses(reg.announce(r, v4_of(99), kT0)));
    }
    EXPECT_EQ(seen.size(), 10u);

    // The rng decides: one that always says 0 takes the peers in address order.
    SwarmRegistry fixed(SwarmConfig{}, [] { return std::uint64_t{0}; });
    for (int n = 1; n <= 10; ++n) {
        fixed.announce(request(n), v4_of(n), kT0);
    }
    auto first_two = fixed.announce(r, v4_of(99), kT0);
    EXPECT_EQ(addresses(first_two), (std::set<PeerAddress>{PeerAddress::v4({10, 0, 0, 1}, 6881),
                                                           PeerAddress::v4({10, 0, 0, 2}, 6881)}));
}

TEST(SwarmRegistry, FamiliesAreSeparate) {
    SwarmRegistry reg(SwarmConfig{}, seeded(4));
    for (int n = 1; n <= 5; ++n) {
        reg.announce(request(n), v4_of(n), kT0);
        reg.announce(request(100 + n), v6_of(n), kT0);
    }
    auto from_v4 = reg.announce(request(50), v4_of(50), kT0);
    ASSERT_EQ(from_v4.peers.size(), 5u);
    for (const TrackerPeer& p : from_v4.peers) {
        EXPECT_EQ(p.address.family, AddressFamily::v4);
    }
    auto from_v6 = reg.announce(request(150), v6_of(50), kT0);
    ASSERT_EQ(from_v6.peers.size(), 5u);
    for (const TrackerPeer& p : from_v6.peers) {
        EXPECT_EQ(p.address.family, AddressFamily::v6);
    }
    // Counts are of the whole swarm.
    EXPECT_EQ(from_v6.incomplete, 12u);
    // An IPv4 client on a dual-stack socket (::ffff:10.0.0.1) is the IPv4 peer.
    auto mapped = reg.announce(request(1), *parse_ip_address("::ffff:10.0.0.1", 5), kT0);
    EXPECT_EQ(reg.peer_count(hash_of(1)), 12u);
    for (const TrackerPeer& p : mapped.peers) {
        EXPECT_EQ(p.address.family, AddressFamily::v4);
    }
}

TEST(SwarmRegistry, NeverTheRequester) {
    SwarmRegistry reg(SwarmConfig{}, seeded(5));
    reg.announce(request(1), v4_of(1), kT0);
    reg.announce(request(2), v4_of(2), kT0);
    for (int i = 0; i < 20; ++i) {
        auto r = reg.announce(request(1), v4_of(1), kT0);
        ASSERT_EQ(r.peers.size(), 1u);
        EXPECT_EQ(r.peers[0].peer_id, id_of(2));
    }
    // The same host listening on another port is another peer.
    AnnounceRequest other = request(3);
    other.port = 6882;
    EXPECT_EQ(reg.announce(other, v4_of(1), kT0).peers.size(), 2u);
}

TEST(SwarmRegistry, ASeedGetsLeechersFirstAndSeedsOnlyToFillNumwant) {
    SwarmRegistry reg(SwarmConfig{}, seeded(6));
    for (int n = 1; n <= 4; ++n) {
        reg.announce(request(n, 0), v4_of(n), kT0);         // seeds 1-4
        reg.announce(request(10 + n), v4_of(10 + n), kT0);  // leechers 11-14
    }
    AnnounceRequest four = request(20, 0);
    four.numwant = 4;
    auto seed = reg.announce(four, v4_of(20), kT0);
    ASSERT_EQ(seed.peers.size(), 4u);
    for (const TrackerPeer& p : seed.peers) {
        EXPECT_GE(p.address.bytes[3], 11) << p.address.to_text();
    }
    // With room to spare, the other seeds follow the leechers (a magnet client that says
    // left=0 while it fetches the metadata finds them).
    auto more = reg.announce(request(20, 0), v4_of(20), kT0);
    ASSERT_EQ(more.peers.size(), 8u);
    for (std::size_t i = 0; i < more.peers.size(); ++i) {
        EXPECT_EQ(more.peers[i].address.bytes[3] >= 11, i < 4) << i;
    }
    EXPECT_EQ(seed.complete, 5u);
    EXPECT_EQ(seed.incomplete, 4u);
    auto leecher = reg.announce(request(21), v4_of(21), kT0);
    EXPECT_EQ(leecher.peers.size(), 9u);
}

TEST(SwarmRegistry, LeecherBecomesSeed) {
    SwarmRegistry reg;
    reg.announce(request(1, 500), v4_of(1), kT0);
    EXPECT_EQ(reg.stats().leechers, 1u);
    AnnounceRequest done = request(1, 0);
    done.event = AnnounceEvent::completed;
    auto r = reg.announce(done, v4_of(1), kT0);
    EXPECT_EQ(r.complete, 1u);
    EXPECT_EQ(r.incomplete, 0u);
    EXPECT_EQ(reg.stats().seeds, 1u);
    EXPECT_EQ(reg.stats().leechers, 0u);
    EXPECT_EQ(reg.peer_count(hash_of(1)), 1u);
}

TEST(SwarmRegistry, Stopped) {
    SwarmRegistry reg(SwarmConfig{}, seeded(7));
    reg.announce(request(1), v4_of(1), kT0);
    reg.announce(request(2), v4_of(2), kT0);
    AnnounceRequest stop = request(1);
    stop.event = AnnounceEvent::stopped;
    auto r = reg.announce(stop, v4_of(1), kT0);
    EXPECT_FALSE(r.failure_reason);
    EXPECT_TRUE(r.peers.empty());
    EXPECT_EQ(r.incomplete, 1u);
    EXPECT_EQ(reg.peer_count(hash_of(1)), 1u);
    EXPECT_TRUE(reg.announce(request(2), v4_of(2), kT0).peers.empty());
    // Someone else's stop (another address) removes nothing.
    AnnounceRequest spoof = request(2);
    spoof.event = AnnounceEvent::stopped;
    reg.announce(spoof, v4_of(66), kT0);
    EXPECT_EQ(reg.peer_count(hash_of(1)), 1u);
    // A stop for a torrent nobody is in creates nothing.
    AnnounceRequest elsewhere = request(3, 100, 9);
    elsewhere.event = AnnounceEvent::stopped;
    EXPECT_FALSE(reg.announce(elsewhere, v4_of(3), kT0).failure_reason);
    EXPECT_EQ(reg.torrent_count(), 1u);
    // The last one leaving takes the torrent with it (nothing worth keeping).
    stop = request(2);
    stop.event = AnnounceEvent::stopped;
    reg.announce(stop, v4_of(2), kT0);
    EXPECT_EQ(reg.torrent_count(), 0u);
}

TEST(SwarmRegistry, CompletedCountsOncePerPeer) {
    SwarmRegistry reg;
    AnnounceRequest done = request(1, 0);
    done.event = AnnounceEvent::completed;
    reg.announce(done, v4_of(1), kT0);
    reg.announce(done, v4_of(1), kT0 + 1s);  // a repeat (a client retrying)
    reg.announce(request(1, 0), v4_of(1), kT0 + 2s);
    const InfoHash h = hash_of(1);
    EXPECT_EQ(reg.scrape(std::span(&h, 1)).files[0].downloaded, 1u);
    AnnounceRequest other = request(2, 0);
    other.event = AnnounceEvent::completed;
    reg.announce(other, v4_of(2), kT0);
    const auto files = reg.scrape(std::span(&h, 1)).files;
    EXPECT_EQ(files[0], (ScrapeEntry{h, 2, 2, 0}));
    EXPECT_EQ(reg.stats().completed, 2u);

    // The count outlives the swarm: the torrent stays, empty.
    for (int n : {1, 2}) {
        AnnounceRequest stop = request(n, 0);
        stop.event = AnnounceEvent::stopped;
        reg.announce(stop, v4_of(n), kT0);
    }
    EXPECT_EQ(reg.torrent_count(), 1u);
    EXPECT_EQ(reg.scrape(std::span(&h, 1)).files[0], (ScrapeEntry{h, 0, 2, 0}));
}

TEST(SwarmRegistry, Expiry) {
    SwarmConfig c;
    c.interval = 60s;
    SwarmRegistry reg(c);
    reg.announce(request(1), v4_of(1), kT0);
    reg.announce(request(2), v4_of(2), kT0);
    reg.announce(request(3, 0, 2), v4_of(3), kT0);
    reg.announce(request(2), v4_of(2), kT0 + 100s);  // 2 is alive
    EXPECT_EQ(reg.expire(kT0 + 120s), 0u);           // exactly 2 * interval: kept
    EXPECT_EQ(reg.expire(kT0 + 121s), 2u);
    EXPECT_EQ(reg.peer_count(hash_of(1)), 1u);
    EXPECT_EQ(reg.peers(hash_of(1))[0].peer_id, id_of(2));
    EXPECT_EQ(reg.torrent_count(), 1u);  // torrent 2 went with its only peer
    EXPECT_EQ(reg.expire(kT0 + 221s), 1u);
    EXPECT_EQ(reg.torrent_count(), 0u);

    c.peer_timeout = 10s;
    SwarmRegistry quick(c);
    quick.announce(request(1), v4_of(1), kT0);
    EXPECT_EQ(quick.expire(kT0 + 10s), 0u);
    EXPECT_EQ(quick.expire(kT0 + 11s), 1u);
}

TEST(SwarmRegistry, MaxPeersPerTorrent) {
    SwarmConfig c;
    c.max_peers_per_torrent = 3;
    SwarmRegistry reg(c);
    for (int n = 1; n <= 3; ++n) {
        EXPECT_FALSE(reg.announce(request(n), v4_of(n), kT0).failure_reason);
    }
    auto refused = reg.announce(request(4), v4_of(4), kT0);
    ASSERT_TRUE(refused.failure_reason);
    EXPECT_NE(refused.failure_reason->find("swarm full"), std::string::npos);
    EXPECT_EQ(reg.peer_count(hash_of(1)), 3u);
    // A known peer still gets through; another torrent has room.
    EXPECT_FALSE(reg.announce(request(2), v4_of(2), kT0).failure_reason);
    EXPECT_FALSE(reg.announce(request(4, 5, 2), v4_of(4), kT0).failure_reason);
}

TEST(SwarmRegistry, MaxTorrents) {
    SwarmConfig c;
    c.max_torrents = 2;
    SwarmRegistry reg(c);
    EXPECT_FALSE(reg.announce(request(1, 1, 1), v4_of(1), kT0).failure_reason);
    EXPECT_FALSE(reg.announce(request(1, 1, 2), v4_of(1), kT0).failure_reason);
    auto refused = reg.announce(request(1, 1, 3), v4_of(1), kT0);
    ASSERT_TRUE(refused.failure_reason);
    EXPECT_NE(refused.failure_reason->find("too many torrents"), std::string::npos);
    EXPECT_EQ(reg.torrent_count(), 2u);

    // An empty torrent kept for its count makes room for a new one.
    AnnounceRequest done = request(1, 0, 1);
    done.event = AnnounceEvent::completed;
    reg.announce(done, v4_of(1), kT0);
    done.event = AnnounceEvent::stopped;
    reg.announce(done, v4_of(1), kT0);
    EXPECT_EQ(reg.torrent_count(), 2u);
    EXPECT_FALSE(reg.announce(request(1, 1, 3), v4_of(1), kT0).failure_reason);
    EXPECT_EQ(reg.torrent_count(), 2u);
}

TEST(SwarmRegistry, AllowList) {
    SwarmConfig c;
    c.allowed = std::set<InfoHash>{hash_of(1)};
    SwarmRegistry reg(c);
    EXPECT_FALSE(reg.announce(request(1, 1, 1), v4_of(1), kT0).failure_reason);
    EXPECT_EQ(reg.announce(request(1, 1, 2), v4_of(1), kT0).failure_reason, "unregistered torrent");
    EXPECT_EQ(reg.torrent_count(), 1u);
    reg.allow(hash_of(2));
    EXPECT_FALSE(reg.announce(request(1, 1, 2), v4_of(1), kT0).failure_reason);

    SwarmRegistry open;
    open.allow(hash_of(5));
    EXPECT_EQ(open.announce(request(1, 1, 1), v4_of(1), kT0).failure_reason,
              "unregistered torrent");
}

TEST(SwarmRegistry, IpParameterIgnoredUnlessConfigured) {
    AnnounceRequest r = request(1);
    r.ip = "192.0.2.99";
    SwarmRegistry strict;
    strict.announce(r, v4_of(1), kT0);
    EXPECT_EQ(strict.peers(hash_of(1))[0].address.to_text(), "10.0.0.1:6881");

    SwarmConfig c;
    c.accept_ip_parameter = true;
    SwarmRegistry trusting(c);
    trusting.announce(r, v4_of(1), kT0);
    EXPECT_EQ(trusting.peers(hash_of(1))[0].address.to_text(), "192.0.2.99:6881");
    r.ip = "not-an-address";
    r.peer_id = id_of(2);
    trusting.announce(r, v4_of(2), kT0);
    EXPECT_EQ(trusting.peers(hash_of(1))[0].address.to_text(), "10.0.0.2:6881");
}

TEST(SwarmRegistry, PortZeroRefused) {
    SwarmRegistry reg;
    AnnounceRequest r = request(1);
    r.port = 0;
    EXPECT_TRUE(reg.announce(r, v4_of(1), kT0).failure_reason);
    EXPECT_EQ(reg.torrent_count(), 0u);
}

TEST(SwarmRegistry, Scrape) {
    SwarmRegistry reg;
    reg.announce(request(1, 0, 1), v4_of(1), kT0);
    reg.announce(request(2, 9, 1), v4_of(2), kT0);
    reg.announce(request(3, 9, 2), v4_of(3), kT0);
    const std::vector<InfoHash> asked = {hash_of(2), hash_of(7), hash_of(1)};
    auto r = reg.scrape(asked);
    EXPECT_FALSE(r.failure_reason);
    ASSERT_EQ(r.files.size(), 3u);
    EXPECT_EQ(r.files[0], (ScrapeEntry{hash_of(2), 0, 0, 1}));
    EXPECT_EQ(r.files[1], (ScrapeEntry{hash_of(7), 0, 0, 0}));
    EXPECT_EQ(r.files[2], (ScrapeEntry{hash_of(1), 1, 0, 1}));

    EXPECT_EQ(reg.scrape({}).failure_reason, "full scrape disabled");
    SwarmConfig c;
    c.full_scrape = true;
    SwarmRegistry full(c);
    full.announce(request(1, 0, 1), v4_of(1), kT0);
    full.announce(request(1, 0, 2), v4_of(1), kT0);
    EXPECT_EQ(full.scrape({}).files.size(), 2u);

    // With an allow-list, an unlisted torrent shows as zeros.
    SwarmConfig listed;
    listed.allowed = std::set<InfoHash>{hash_of(1)};
    SwarmRegistry allow(listed);
    allow.announce(request(1, 0, 1), v4_of(1), kT0);
    allow.allow(hash_of(2));
    allow.announce(request(1, 0, 2), v4_of(1), kT0);
    const std::vector<InfoHash> both = {hash_of(1), hash_of(3)};
    auto s = allow.scrape(both);
    EXPECT_EQ(s.files[0].complete, 1u);
    EXPECT_EQ(s.files[1], (ScrapeEntry{hash_of(3), 0, 0, 0}));
}

TEST(SwarmRegistry, Stats) {
    SwarmRegistry reg;
    reg.announce(request(1, 0, 1), v4_of(1), kT0);
    reg.announce(request(2, 9, 1), v4_of(2), kT0);
    reg.announce(request(3, 9, 1), v6_of(3), kT0);
    AnnounceRequest done = request(4, 0, 2);
    done.event = AnnounceEvent::completed;
    reg.announce(done, v4_of(4), kT0);
    const SwarmStats s = reg.stats();
    EXPECT_EQ(s.torrents, 2u);
    EXPECT_EQ(s.seeds, 2u);
    EXPECT_EQ(s.leechers, 2u);
    EXPECT_EQ(s.completed, 1u);
    const auto per = reg.torrent_stats(10);
    ASSERT_EQ(per.size(), 2u);
    EXPECT_EQ(per[0].info_hash, hash_of(1));  // the busiest first
    EXPECT_EQ(per[0].seeds, 1u);
    EXPECT_EQ(per[0].leechers, 2u);
    EXPECT_EQ(per[1].completed, 1u);
    EXPECT_EQ(reg.torrent_stats(1).size(), 1u);
}

}  // namespace
}  // namespace l7::p2p
