// Magnet links in memory: a MetadataSession fetching the info dictionary (BEP 9 over BEP 10)
// from TorrentSessions that serve it, honest and lying, and from hand-made hostile peers.
#include "p2p/metadata_session.hpp"

#include <gtest/gtest.h>

#include "swarm_harness.hpp"

namespace l7::p2p {
namespace {

using namespace std::chrono_literals;
using test::kPieceLength;
using test::Swarm;

std::string metadata_of(Swarm& swarm, std::size_t node) {
    for (const TorrentAction& a : swarm.node(node).seen) {
        if (a.kind == TorrentAction::Kind::metadata) {
            return a.text;
        }
    }
    return {};
}

// A hand-made peer's BEP 3 handshake for the swarm's torrent, with the BEP 10 bit or not.
std::string raw_handshake(const Swarm& swarm, bool extensions = true) {
    Handshake h;
    h.info_hash = swarm.identity().info_hash;
    h.peer_id.fill('Z');
    h.set_extension_protocol(extensions);
    return encode_handshake(h);
}

TEST(MetadataSession, FetchesTheInfoDictionaryFromASeed) {
    Swarm swarm(4 * kPieceLength, {}, 40'000);  // three metadata pieces, the last short
    const auto seed = swarm.add(true);
    const auto magnet = swarm.add_magnet();
    swarm.connect(magnet, seed);
    swarm.done_when([&] { return swarm.node(magnet).session->complete(); });
    swarm.run(10s);
    ASSERT_TRUE(swarm.node(magnet).session->complete());
    EXPECT_EQ(swarm.node(magnet).magnet->metadata(), swarm.identity().metadata);
    EXPECT_EQ(metadata_of(swarm, magnet), swarm.identity().metadata);
    EXPECT_EQ(swarm.node(magnet).magnet->givers(), std::vector<std::string>{"10.0.0.0"});
    for (const char* line : {"send extended handshake (ut_metadata 1)", "metadata_size 40000",
                             "send metadata request piece 2",
                             "recv metadata data piece 2 (7232 bytes)", "metadata verified"}) {
        EXPECT_TRUE(swarm.saw(magnet, TorrentAction::Kind::trace, line)) << line;
    }
    for (const char* line : {"recv metadata request piece 0", "send metadata data piece 1"}) {
        EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::trace, line)) << line;
    }
    EXPECT_TRUE(swarm.saw(magnet, TorrentAction::Kind::close, "metadata complete"));
    const DownloadStats s = swarm.node(magnet).session->stats(swarm.now());
    EXPECT_EQ(s.pieces_have, 3U);
    EXPECT_EQ(s.piece_count, 3U);
}

TEST(MetadataSession, SpreadsThePiecesOverThePeers) {
    Swarm swarm(4 * kPieceLength, {}, 100'000);  // 7 pieces
    const auto seed1 = swarm.add(true);
    const auto seed2 = swarm.add(true);
    const auto magnet = swarm.add_magnet();
    swarm.connect(magnet, seed1);
    swarm.connect(magnet, seed2);
    swarm.done_when([&] { return swarm.node(magnet).session->complete(); });
    swarm.run(10s);
    ASSERT_TRUE(swarm.node(magnet).session->complete());
    EXPECT_EQ(swarm.node(magnet).magnet->metadata(), swarm.identity().metadata);
    EXPECT_EQ(swarm.node(magnet).magnet->givers().size(), 2U);
}

TEST(MetadataSession, APeerWithoutMetadataIsLeft) {
    Swarm swarm(4 * kPieceLength);
    const auto seed = swarm.add(true, {}, std::string());  // offers no ut_metadata
    const auto magnet = swarm.add_magnet();
    swarm.connect(magnet, seed);
    swarm.run(1s);
    EXPECT_FALSE(swarm.node(magnet).session->complete());
    EXPECT_TRUE(swarm.saw(magnet, TorrentAction::Kind::close, "offers no metadata"));
}

TEST(MetadataSession, MetadataNotMatchingTheInfoHashIsRefusedAndTheLiarBanned) {
    Swarm swarm(4 * kPieceLength, {}, 20'000);
    std::string lie = swarm.identity().metadata;
    lie[100] = static_cast<char>(lie[100] ^ 1);
    const auto liar = swarm.add(true, {}, lie);
    const auto honest = swarm.add(true);
    const auto magnet = swarm.add_magnet();
    swarm.connect(magnet, liar);  // heard first: its pieces are asked first
    swarm.run(1s);
    swarm.connect(magnet, honest);
    swarm.done_when([&] { return swarm.node(magnet).session->complete(); });
    swarm.run(30s);
    ASSERT_TRUE(swarm.node(magnet).session->complete());
    EXPECT_EQ(swarm.node(magnet).magnet->metadata(), swarm.identity().metadata);
    EXPECT_TRUE(swarm.saw(magnet, TorrentAction::Kind::close, "does not match the info-hash"));
    EXPECT_TRUE(swarm.node(magnet).session->banned("10.0.0.0:6881"));
    EXPECT_FALSE(swarm.node(magnet).session->banned("10.0.0.1:6881"));
}

// A peer that asks a seed for a metadata piece past the end gets a reject (BEP 9), and one
// that sends a malformed ut_metadata message is closed.
TEST(MetadataSession, TheSeedRejectsPiecesPastTheEnd) {
    Swarm swarm(4 * kPieceLength, {}, 1000);
    const auto seed = swarm.add(true);
    const PeerKey key = swarm.raw_peer(seed);
    ExtendedHandshake ours;
    ours.m.emplace(kUtMetadata, 7);
    auto& session = *swarm.node(seed).session;
    session.receive(key,
                    raw_handshake(swarm) +
                        encode_extended(kExtendedHandshakeId, encode_extended_handshake(ours)) +
                        encode_extended(kOurUtMetadataId, encode_metadata_request(5)),
                    swarm.now());
    swarm.pump();
    EXPECT_NE(swarm.raw_sent(seed, key).find(encode_extended(7, encode_metadata_reject(5))),
              std::string::npos);
    EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::trace, "send metadata reject piece 5"));
    session.receive(key, encode_extended(kOurUtMetadataId, "garbage"), swarm.now());
    swarm.pump();
    EXPECT_TRUE(swarm.saw(seed, TorrentAction::Kind::close, "bad ut_metadata message"));
}

// Hand-made peers against the fetcher: each is closed with its reason.
TEST(MetadataSession, HostilePeersAreClosed) {
    struct Case {
        const char* name;
        std::string extended_handshake;  // bencoded
        const char* reason;
    };
    const Case cases[] = {
        {"metadata_size over 16 MiB", "d1:md11:ut_metadatai3ee13:metadata_sizei104857600ee",
         "bad extended handshake"},
        {"no ut_metadata", "d1:mde13:metadata_sizei100ee", "offers no metadata"},
        {"not a dictionary", "i42e", "bad extended handshake"},
    };
    for (const Case& c : cases) {
        Swarm swarm(4 * kPieceLength);
        const auto magnet = swarm.add_magnet();
        const PeerKey key = swarm.raw_peer(magnet);
        swarm.node(magnet).session->receive(
            key, raw_handshake(swarm) + encode_extended(kExtendedHandshakeId, c.extended_handshake),
            swarm.now());
        swarm.pump();
        EXPECT_TRUE(swarm.saw(magnet, TorrentAction::Kind::close, c.reason)) << c.name;
    }
}

TEST(MetadataSession, APeerWithoutTheExtensionProtocolIsClosed) {
    Swarm swarm(4 * kPieceLength);
    const auto magnet = swarm.add_magnet();
    const PeerKey key = swarm.raw_peer(magnet);
    swarm.node(magnet).session->receive(key, raw_handshake(swarm, false), swarm.now());
    swarm.pump();
    EXPECT_TRUE(swarm.saw(magnet, TorrentAction::Kind::close, "no extension protocol"));
}

// A peer that takes the request and never answers: the piece goes to another peer.
TEST(MetadataSession, AnUnansweredRequestMovesToAnotherPeer) {
    Swarm swarm(4 * kPieceLength, {}, 1000);
    MetadataLimits limits;
    limits.request_timeout = 2s;
    const auto magnet = swarm.add_magnet(limits);
    const PeerKey silent = swarm.raw_peer(magnet);
    ExtendedHandshake offer;
    offer.m.emplace(kUtMetadata, 3);
    offer.metadata_size = 1000;
    swarm.node(magnet).session->receive(
        silent,
        raw_handshake(swarm) +
            encode_extended(kExtendedHandshakeId, encode_extended_handshake(offer)),
        swarm.now());
    swarm.pump();
    ASSERT_NE(swarm.raw_sent(magnet, silent).find(encode_extended(3, encode_metadata_request(0))),
              std::string::npos);
    const auto seed = swarm.add(true);
    swarm.connect(magnet, seed);
    swarm.done_when([&] { return swarm.node(magnet).session->complete(); });
    swarm.run(10s);
    ASSERT_TRUE(swarm.node(magnet).session->complete());
    EXPECT_TRUE(swarm.saw(magnet, TorrentAction::Kind::trace, "no answer for metadata piece 0"));
    EXPECT_EQ(swarm.node(magnet).magnet->metadata(), swarm.identity().metadata);
}

}  // namespace
}  // namespace l7::p2p
