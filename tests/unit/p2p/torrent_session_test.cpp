// TorrentSession: whole swarms in memory. Sessions are wired to each other by a harness that
// carries each send action to the other end and runs simulated time, so a download, the
// trading between leechers, a peer that sends corrupt data, floods and rate limits are all
// played out without sockets or clocks.
#include "p2p/torrent_session.hpp"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace l7::p2p {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kPieceLength = 32 * 1024;

// Pieces in memory; `corrupt` makes it serve wrong bytes (a lying peer).
class MemoryStore : public PieceStore {
  public:
    MemoryStore(std::uint64_t total, bool full, const std::string& content)
        : data_(full ? content : std::string(total, '\0')) {}

    Result<std::string> read(std::uint32_t piece, std::uint32_t begin,
                             std::uint32_t length) override {
        std::string out = data_.substr(std::uint64_t{piece} * kPieceLength + begin, length);
        if (corrupt) {
            out[0] = static_cast<char>(out[0] ^ 0x55);
        }
        return out;
    }
    std::optional<Error> write_piece(std::uint32_t piece, std::string_view data) override {
        if (refuse_writes) {
            return make_error("disk full");
        }
        data_.replace(std::uint64_t{piece} * kPieceLength, data.size(), data);
        ++writes;
        return std::nullopt;
    }

    const std::string& data() const { return data_; }
    bool corrupt = false;
    bool refuse_writes = false;
    int writes = 0;

  private:
    std::string data_;
};

std::string make_content(std::size_t size) {
    std::mt19937 gen(7);
    std::string s(size, '\0');
    for (char& c : s) {
        c = static_cast<char>(gen());
    }
    return s;
}

struct Node {
    std::unique_ptr<MemoryStore> store;
    std::unique_ptr<TorrentSession> session;
    std::vector<TorrentAction> seen;  // every action but send
};

class Swarm {
  public:
    Swarm(std::size_t size, TorrentLimits limits = {}) : content_(make_content(size)) {
        identity_.layout = *PieceLayout::make(size, kPieceLength);
        identity_.info_hash = sha1("info");
        for (std::uint32_t i = 0; i < identity_.layout.piece_count(); ++i) {
            identity_.piece_hashes.push_back(sha1(std::string_view(content_).substr(
                std::uint64_t{i} * kPieceLength, identity_.layout.piece_size(i))));
        }
        limits_ = limits;
    }

    std::size_t add(bool seed, TorrentLimits limits) {
        Node n;
        n.store = std::make_unique<MemoryStore>(content_.size(), seed, content_);
        TorrentIdentity id = identity_;
        id.peer_id.fill(static_cast<std::uint8_t>('A' + nodes_.size()));
        const std::uint32_t seed_value = static_cast<std::uint32_t>(nodes_.size() + 1);
        auto gen = std::make_shared<std::mt19937>(seed_value);
        Bitfield have(identity_.layout.piece_count(), seed);
        n.session = std::make_unique<TorrentSession>(
            id, *n.store, limits, [gen] { return static_cast<std::uint32_t>((*gen)()); }, now_,
            have);
        n.session->set_trace(true);
        nodes_.push_back(std::move(n));
        return nodes_.size() - 1;
    }
    std::size_t add(bool seed) { return add(seed, limits_); }

    // Connects a to b (a initiates).
    void connect(std::size_t a, std::size_t b) {
        const PeerKey ka = *nodes_[a].session->add_peer(true, "10.0.0." + std::to_string(b), now_);
        const PeerKey kb = *nodes_[b].session->add_peer(false, "10.0.0." + std::to_string(a), now_);
        links_[{a, ka}] = {b, kb};
        links_[{b, kb}] = {a, ka};
    }

    // Delivers every action until all are quiet, then advances the time by `step`.
    void run(Duration total, Duration step = 100ms) {
        for (Duration t{}; t < total; t += step) {
            pump();
            now_ += step;
            for (auto& n : nodes_) {
                n.session->tick(now_);
            }
            pump();
            if (done_when_ && done_when_()) {
                return;
            }
        }
    }

    void pump() {
        for (int round = 0; round < 10000; ++round) {
            bool any = false;
            for (std::size_t i = 0; i < nodes_.size(); ++i) {
                for (TorrentAction& a : nodes_[i].session->take_actions()) {
                    any = true;
                    deliver(i, a);
                }
            }
            if (!any) {
                return;
            }
        }
        FAIL() << "the swarm never went quiet";
    }

    void deliver(std::size_t from, TorrentAction& a) {
        const auto link = links_.find({from, a.peer});
        if (a.kind == TorrentAction::Kind::send) {
            nodes_[from].session->flushed(a.peer, a.text.size(), now_);
            if (link != links_.end() && !closed_.contains({from, a.peer})) {
                nodes_[link->second.first].session->receive(link->second.second, a.text, now_);
            }
            return;
        }
        nodes_[from].seen.push_back(a);
        if (a.kind == TorrentAction::Kind::close && link != links_.end()) {
            closed_.insert({from, a.peer});
            closed_.insert(link->second);
            nodes_[from].session->peer_closed(a.peer, now_);
            nodes_[link->second.first].session->peer_closed(link->second.second, now_);
        }
    }

    // Feeds raw bytes to node `to` as peer `key` (a hand-made peer).
    PeerKey raw_peer(std::size_t to) {
        return *nodes_[to].session->add_peer(false, "10.9.9.9:1", now_);
    }

    Node& node(std::size_t i) { return nodes_[i]; }
    const std::string& content() const { return content_; }
    const TorrentIdentity& identity() const { return identity_; }
    TimePoint now() const { return now_; }
    void done_when(std::function<bool()> f) { done_when_ = std::move(f); }

    bool saw(std::size_t i, TorrentAction::Kind kind, const std::string& text_part = {}) const {
        for (const auto& a : nodes_[i].seen) {
            if (a.kind == kind && a.text.find(text_part) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

  private:
    std::string content_;
    TorrentIdentity identity_;
    TorrentLimits limits_;
    std::vector<Node> nodes_;
    std::map<std::pair<std::size_t, PeerKey>, std::pair<std::size_t, PeerKey>> links_;
    std::set<std::pair<std::size_t, PeerKey>> closed_;
    TimePoint now_{std::chrono::hours(1)};
    std::function<bool()> done_when_;
};

TEST(TorrentSession, ALeecherGetsEveryPieceFromASeed) {
    Swarm swarm(10 * kPieceLength + 1000);  // a short last piece
    const auto seed = swarm.add(true);
    const auto leech = swarm.add(false);
    swarm.connect(leech, seed);
    swarm.done_when([&] { return swarm.node(leech).session->complete(); });
    swarm.run(60s);
    ASSERT_TRUE(swarm.node(leech).session->complete());
    EXPECT_EQ(swarm.node(leech).store->data(), swarm.content());
    EXPECT_EQ(swarm.node(leech).store->writes, 11);
    EXPECT_TRUE(swarm.saw(leech, TorrentAction::Kind::complete));
    EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::trace, "send unchoke"));
    const DownloadStats s = swarm.node(leech).session->stats(swarm.now());
    EXPECT_EQ(s.bytes_left, 0U);
    EXPECT_EQ(s.downloaded, swarm.content().size());
    EXPECT_EQ(swarm.node(seed).session->stats(swarm.now()).uploaded, swarm.content().size());
}

TEST(TorrentSession, LeechersTradePiecesAmongThemselves) {
    // The seed may upload only a little more than one copy, so most of each leecher's pieces
    // must come from the other leechers.
    TorrentLimits slow_seed;
    slow_seed.upload_rate = 64 * 1024;
    Swarm swarm(32 * kPieceLength);
    const auto seed = swarm.add(true, slow_seed);
    std::vector<std::size_t> leechers;
    for (int i = 0; i < 3; ++i) {
        leechers.push_back(swarm.add(false));
        swarm.connect(leechers.back(), seed);
    }
    swarm.connect(leechers[0], leechers[1]);
    swarm.connect(leechers[1], leechers[2]);
    swarm.connect(leechers[2], leechers[0]);
    swarm.done_when([&] {
        for (auto l : leechers) {
            if (!swarm.node(l).session->complete()) {
                return false;
            }
        }
        return true;
    });
    swarm.run(300s);
    std::uint64_t from_leechers = 0;
    for (auto l : leechers) {
        ASSERT_TRUE(swarm.node(l).session->complete()) << "leecher " << l;
        EXPECT_EQ(swarm.node(l).store->data(), swarm.content());
        from_leechers += swarm.node(l).session->stats(swarm.now()).uploaded;
    }
    EXPECT_LT(swarm.node(seed).session->stats(swarm.now()).uploaded, 2 * swarm.content().size());
    EXPECT_GT(from_leechers, swarm.content().size());
}

TEST(TorrentSession, APeerSendingCorruptDataIsBannedAndTheDownloadFinishes) {
    Swarm swarm(8 * kPieceLength);
    const auto liar = swarm.add(true);
    swarm.node(liar).store->corrupt = true;
    const auto leech = swarm.add(false);
    swarm.connect(leech, liar);
    swarm.run(5s);
    EXPECT_TRUE(swarm.saw(leech, TorrentAction::Kind::close, "failed the hash check"));
    EXPECT_TRUE(swarm.node(leech).session->banned("10.0.0.0:6881"));
    EXPECT_EQ(swarm.node(leech).store->writes, 0) << "nothing unchecked reaches the disk";
    const auto honest = swarm.add(true);
    swarm.connect(leech, honest);
    swarm.done_when([&] { return swarm.node(leech).session->complete(); });
    swarm.run(60s);
    ASSERT_TRUE(swarm.node(leech).session->complete());
    EXPECT_EQ(swarm.node(leech).store->data(), swarm.content());
}

TEST(TorrentSession, ADownloadRateLimitHolds) {
    TorrentLimits capped;
    capped.download_rate = 100 * 1024;  // bytes/s
    Swarm swarm(64 * kPieceLength);     // 2 MiB: ~20 s at the cap
    const auto seed = swarm.add(true);
    const auto leech = swarm.add(false, capped);
    swarm.connect(leech, seed);
    swarm.run(10s);
    const auto got = swarm.node(leech).session->stats(swarm.now()).downloaded;
    // 10 s at the rate, plus the bucket's initial burst (one second's worth).
    EXPECT_LE(got, 11 * 100 * 1024 + kBlockSize);
    EXPECT_GE(got, 8 * 100 * 1024);
    swarm.done_when([&] { return swarm.node(leech).session->complete(); });
    swarm.run(60s);
    EXPECT_TRUE(swarm.node(leech).session->complete());
}

TEST(TorrentSession, AStoreThatRefusesWritesStopsTheDownloadWithAnError) {
    Swarm swarm(4 * kPieceLength);
    const auto seed = swarm.add(true);
    const auto leech = swarm.add(false);
    swarm.node(leech).store->refuse_writes = true;
    swarm.connect(leech, seed);
    swarm.run(5s);
    EXPECT_TRUE(swarm.saw(leech, TorrentAction::Kind::error, "disk full"));
    EXPECT_FALSE(swarm.node(leech).session->complete());
}

// A hand-made peer: the handshake for the swarm's torrent, and then whatever the test sends.
std::string handshake_for(const InfoHash& hash) {
    Handshake h;
    h.info_hash = hash;
    h.peer_id.fill('Z');
    return encode_handshake(h);
}

TEST(TorrentSession, HostilePeersAreDropped) {
    struct Case {
        const char* name;
        std::function<std::string(const TorrentIdentity&)> bytes;
        const char* reason;
    };
    const std::vector<Case> cases = {
        {"another torrent", [](const TorrentIdentity&) { return handshake_for(sha1("other")); },
         "another torrent"},
        {"oversized message",
         [](const TorrentIdentity& id) {
             return handshake_for(id.info_hash) + std::string("\x00\x10\x00\x00\x07", 5);
         },
         "protocol error"},
        {"have out of range",
         [](const TorrentIdentity& id) { return handshake_for(id.info_hash) + encode_have(1000); },
         "out of range"},
        {"bitfield of the wrong size",
         [](const TorrentIdentity& id) {
             return handshake_for(id.info_hash) + encode_bitfield(std::string(5, '\xff'));
         },
         "protocol error"},
        {"our own peer id",
         [](const TorrentIdentity& id) {
             Handshake h;
             h.info_hash = id.info_hash;
             h.peer_id.fill('A');  // node 0's
             return encode_handshake(h);
         },
         "ourselves"},
    };
    for (const Case& c : cases) {
        Swarm swarm(4 * kPieceLength);
        const auto seed = swarm.add(true);
        const PeerKey key = swarm.raw_peer(seed);
        swarm.node(seed).session->receive(key, c.bytes(swarm.identity()), swarm.now());
        swarm.pump();
        EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::close, c.reason)) << c.name;
    }
}

TEST(TorrentSession, ARequestFloodIsDropped) {
    Swarm swarm(4 * kPieceLength);
    const auto seed = swarm.add(true);
    const PeerKey key = swarm.raw_peer(seed);
    auto& session = *swarm.node(seed).session;
    session.receive(key, handshake_for(swarm.identity().info_hash) + encode_interested(),
                    swarm.now());
    swarm.run(1s);  // the choker unchokes the only interested peer
    ASSERT_TRUE(swarm.saw(seed, TorrentAction::Kind::trace, "send unchoke"));
    std::string flood;
    for (int i = 0; i < 300; ++i) {
        flood += encode_request(0, 0, kBlockSize);
    }
    session.receive(key, flood, swarm.now());
    swarm.pump();
    EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::close, "flood"));
}

TEST(TorrentSession, RequestsForDataWeLackOrTooLargeCloseTheConnection) {
    for (const auto& [piece, length] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{
             {99, kBlockSize}, {0, 2 * kBlockSize}, {0, 0}}) {
        Swarm swarm(4 * kPieceLength);
        const auto seed = swarm.add(true);
        const PeerKey key = swarm.raw_peer(seed);
        auto& session = *swarm.node(seed).session;
        session.receive(key, handshake_for(swarm.identity().info_hash) + encode_interested(),
                        swarm.now());
        swarm.run(1s);
        session.receive(key, encode_request(piece, 0, length), swarm.now());
        swarm.pump();
        EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::close, "cannot give"))
            << piece << " " << length;
    }
}

TEST(TorrentSession, ASilentPeerTimesOut) {
    Swarm swarm(4 * kPieceLength);
    const auto seed = swarm.add(true);
    swarm.raw_peer(seed);
    swarm.run(30s);
    EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::close, "no handshake in time"));
}

TEST(TorrentSession, ClientNamesFromPeerIds) {
    PeerId id{};
    const std::string tr = "-TR3000-abcdefghijkl";
    std::copy(tr.begin(), tr.end(), id.begin());
    EXPECT_EQ(client_name(id), "Transmission 3000");
    id.fill('x');
    EXPECT_EQ(client_name(id), "");
}

}  // namespace
}  // namespace l7::p2p
