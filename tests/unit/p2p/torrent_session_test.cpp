// TorrentSession: whole swarms in memory (swarm_harness.hpp), so a download, the trading
// between leechers, a peer that sends corrupt data, floods and rate limits are all played
// out without sockets or clocks.
#include "p2p/torrent_session.hpp"

#include <gtest/gtest.h>

#include "swarm_harness.hpp"

namespace l7::p2p {
namespace {

using namespace std::chrono_literals;
using test::kPieceLength;
using test::Swarm;

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

// A liar and an honest seed both feed the same pieces: a failed piece has two contributors,
// so neither is banned for it; it is fetched again from one peer, and then either fails with
// the liar alone or passes and shows the liar's blocks wrong. Only the liar is banned.
TEST(TorrentSession, ALiarAmongHonestPeersIsFoundWhenThePiecePasses) {
    TorrentLimits slow;
    slow.upload_rate = 128 * 1024;  // both stay busy, so pieces are shared between them
    Swarm swarm(16 * kPieceLength);
    const auto liar = swarm.add(true, slow);
    swarm.node(liar).store->corrupt = true;
    const auto honest = swarm.add(true, slow);
    TorrentLimits one_at_a_time;  // each peer one block: a piece's two blocks come from both
    one_at_a_time.pipeline = 1;
    const auto leech = swarm.add(false, one_at_a_time);
    swarm.connect(leech, liar);
    swarm.connect(leech, honest);
    swarm.done_when([&] { return swarm.node(leech).session->complete(); });
    swarm.run(120s);
    ASSERT_TRUE(swarm.node(leech).session->complete());
    EXPECT_EQ(swarm.node(leech).store->data(), swarm.content());
    EXPECT_TRUE(swarm.node(leech).session->banned("10.0.0.0:6881"));
    EXPECT_FALSE(swarm.node(leech).session->banned("10.0.0.1:6881"));
}

// Two hand-made seeds share a piece: the liar's block is wrong, so the piece fails with two
// contributors and neither is banned for it. The liar then chokes us; the honest one gives
// the whole piece, which passes, and the block the liar gave is judged against it: the liar
// is banned, the honest seed is not.
TEST(TorrentSession, ABlockFromALiarIsJudgedWhenThePiecePasses) {
    Swarm swarm(2 * kPieceLength);  // two pieces of two blocks
    TorrentLimits one_block;        // one request per peer: a piece's blocks go to both
    one_block.pipeline = 1;
    const auto leech = swarm.add(false, one_block);
    auto& session = *swarm.node(leech).session;
    struct RawSeed {
        PeerKey key;
        char id;
        bool lies;
        WireDecoder reader;
        std::size_t read = 0;
    };
    const InfoHash& hash = swarm.identity().info_hash;
    std::vector<RawSeed> seeds;
    seeds.push_back({swarm.raw_peer(leech, "10.7.7.7:1"), 'L', true, WireDecoder::initiator(hash)});
    seeds.push_back(
        {swarm.raw_peer(leech, "10.8.8.8:1"), 'H', false, WireDecoder::initiator(hash)});
    for (RawSeed& r : seeds) {
        Handshake h;
        h.info_hash = hash;
        h.peer_id.fill(static_cast<std::uint8_t>(r.id));
        session.receive(
            r.key,
            encode_handshake(h) + encode_bitfield(Bitfield(2, true).to_wire()) + encode_unchoke(),
            swarm.now());
    }
    bool choked = false;
    for (int round = 0; round < 50 && !session.complete(); ++round) {
        swarm.pump();
        if (!choked && swarm.saw(leech, TorrentAction::Kind::trace, "failed its SHA-1 check")) {
            session.receive(seeds[0].key, encode_choke(), swarm.now());  // the liar steps back
            choked = true;
            continue;
        }
        for (RawSeed& r : seeds) {
            const std::string& sent = swarm.raw_sent(leech, r.key);
            r.reader.feed(std::string_view(sent).substr(r.read));
            r.read = sent.size();
            WireMessage m;
            std::string answers;
            for (WireStatus st; (st = r.reader.next(m)) != WireStatus::need_more;) {
                ASSERT_NE(st, WireStatus::error) << r.reader.error();
                if (st != WireStatus::message || m.type != MessageType::request) {
                    continue;
                }
                std::string block = swarm.content().substr(
                    std::uint64_t{m.index} * kPieceLength + m.begin, m.length);
                if (r.lies) {
                    block[0] = static_cast<char>(block[0] ^ 0x55);
                }
                answers += encode_piece(m.index, m.begin, block);
            }
            if (!answers.empty()) {
                session.receive(r.key, answers, swarm.now());
            }
        }
    }
    ASSERT_TRUE(choked) << "no piece was shared between the two";
    ASSERT_TRUE(session.complete());
    EXPECT_EQ(swarm.node(leech).store->data(), swarm.content());
    EXPECT_TRUE(swarm.saw(leech, TorrentAction::Kind::trace, "10.7.7.7:1 sent was wrong"));
    EXPECT_TRUE(session.banned("10.7.7.7:1"));
    EXPECT_FALSE(session.banned("10.8.8.8:1"));
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
    for (std::size_t i = 0; i < TorrentLimits{}.max_peer_requests + 100; ++i) {
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
