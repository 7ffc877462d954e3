// The piece picker: piece and block sizes (BEP 3), random first piece, strict priority for
// started pieces, rarest first (checked against a brute-force oracle over a whole simulated
// download), endgame duplicates and cancels, hash failures naming contributors, and requests
// released when a peer rejects, times out, chokes or leaves. Seeded randomness: exact.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "p2p/picker.hpp"
#include "p2p/types.hpp"

using namespace l7::p2p;

namespace {

constexpr std::uint32_t B = kBlockSize;

Random seeded(std::uint32_t seed) {
    auto engine = std::make_shared<std::mt19937>(seed);
    return [engine] { return static_cast<std::uint32_t>((*engine)()); };
}

PieceLayout layout(std::uint64_t total, std::uint32_t piece_length) {
    auto l = PieceLayout::make(total, piece_length);
    EXPECT_TRUE(l);
    return *l;
}

Bitfield pieces(std::uint32_t n, std::initializer_list<std::uint32_t> set) {
    Bitfield b(n);
    for (auto i : set) {
        b.set(i);
    }
    return b;
}

std::vector<BlockRequest> blocks_of(const std::vector<PickedBlock>& picks) {
    std::vector<BlockRequest> out;
    for (const auto& p : picks) {
        out.push_back(p.block);
    }
    return out;
}

// ---- layout ---------------------------------------------------------------------------

TEST(P2pPieceLayout, LastPieceAndLastBlockAreShorter) {
    struct Case {
        std::uint64_t total;
        std::uint32_t piece_length;
        std::uint32_t count;
        std::uint32_t last_piece;
        std::uint32_t first_piece_blocks;
        std::uint32_t last_piece_blocks;
        std::uint32_t last_block;  // of the last piece
    };
    const std::vector<Case> cases = {
        {100'000, 2 * B, 4, 100'000 - 3 * 2 * B, 2, 1, 100'000 - 3 * 2 * B},
        {4 * B, 2 * B, 2, 2 * B, 2, 2, B},
        {40'000, 40'000, 1, 40'000, 3, 3, 40'000 - 2 * B},
        {1, B, 1, 1, 1, 1, 1},
        {10, 4, 3, 2, 1, 1, 2},  // pieces smaller than a block: one short block each
        {3 * B + 1, 4 * B, 1, 3 * B + 1, 4, 4, 1},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::to_string(c.total) + "/" + std::to_string(c.piece_length));
        const PieceLayout l = layout(c.total, c.piece_length);
        EXPECT_EQ(l.piece_count(), c.count);
        EXPECT_EQ(l.piece_size(c.count - 1), c.last_piece);
        EXPECT_EQ(l.block_count(0), c.first_piece_blocks);
        EXPECT_EQ(l.block_count(c.count - 1), c.last_piece_blocks);
        EXPECT_EQ(l.block_length(c.count - 1, c.last_piece_blocks - 1), c.last_block);
        EXPECT_EQ(l.piece_size(c.count), 0u);
        EXPECT_EQ(l.block_length(0, c.first_piece_blocks), 0u);
        std::uint64_t sum = 0;
        for (std::uint32_t p = 0; p < l.piece_count(); ++p) {
            for (std::uint32_t b = 0; b < l.block_count(p); ++b) {
                sum += l.block_length(p, b);
            }
        }
        EXPECT_EQ(sum, c.total);
    }
}

TEST(P2pPieceLayout, Rejected) {
    EXPECT_FALSE(PieceLayout::make(0, B));
    EXPECT_FALSE(PieceLayout::make(100, 0));
    EXPECT_FALSE(PieceLayout::make(PieceLayout::kMaxPieces + 1ULL, 1));
    EXPECT_TRUE(PieceLayout::make(PieceLayout::kMaxPieces, 1));
}

TEST(P2pPiecePicker, RequestsCoverTheTorrentWithShortLastBlocks) {
    PiecePicker picker(layout(5 * B + 100, 2 * B), seeded(1));  // 3 pieces: 2, 2, 2 blocks
    picker.peer_have_all(1);
    const auto picks = picker.pick(1, 100);
    std::vector<BlockRequest> got = blocks_of(picks);
    std::sort(got.begin(), got.end());
    const std::vector<BlockRequest> expected = {
        {0, 0, B}, {0, B, B}, {1, 0, B}, {1, B, B}, {2, 0, B}, {2, B, 100},
    };
    EXPECT_EQ(got, expected);
    EXPECT_EQ(picker.outstanding(1), 6u);
    EXPECT_TRUE(picker.in_endgame());
}

// ---- random first, then rarest first --------------------------------------------------

TEST(P2pPiecePicker, RandomFirstPieceThenRarestFirst) {
    // 10 one-block pieces; availability from seeds plus extra peers: piece 7 is the rarest
    // (1: only the seed), the others have 2 or more.
    const std::uint32_t n = 10;
    std::set<std::uint32_t> first_pieces;
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
        PiecePicker picker(layout(n * B, B), seeded(seed));
        picker.peer_have_all(100);
        picker.peer_bitfield(101, pieces(n, {0, 1, 2, 3, 4, 5, 6, 8, 9}));
        picker.peer_bitfield(102, pieces(n, {0, 1, 2, 3, 4, 5, 6, 8}));
        const auto first = picker.pick(100, 1);
        ASSERT_EQ(first.size(), 1u);
        EXPECT_EQ(first[0].reason, PickReason::random_first);
        first_pieces.insert(first[0].block.piece);

        // Still no complete piece: the next new piece is random too.
        EXPECT_EQ(picker.pick(101, 1).at(0).reason, PickReason::random_first);

        const auto got = picker.block_received(100, first[0].block);
        EXPECT_TRUE(got.accepted);
        EXPECT_TRUE(got.piece_complete);
        EXPECT_TRUE(picker.piece_passed(first[0].block.piece));
        const auto next = picker.pick(100, 1);
        ASSERT_EQ(next.size(), 1u);
        EXPECT_EQ(next[0].reason, PickReason::rarest_first);
        if (first[0].block.piece != 7) {
            EXPECT_EQ(next[0].block.piece, 7u);
        } else {
            EXPECT_EQ(picker.availability(next[0].block.piece), 2u);
        }
    }
    // Rarest first would have started piece 7 every time.
    EXPECT_GE(first_pieces.size(), 5u);
}

TEST(P2pPiecePicker, RarestFirstOrder) {
    struct Case {
        const char* name;
        // availability of each one-block piece, beyond the seed that asks (which has all)
        std::vector<std::uint32_t> extra;
        std::vector<std::uint32_t> order;  // pieces in the order picked; empty: check sorted
    };
    const std::vector<Case> cases = {
        {"distinct", {3, 0, 5, 1, 4, 2}, {1, 3, 5, 0, 4, 2}},
        {"distinct, reversed", {5, 4, 3, 2, 1, 0}, {5, 4, 3, 2, 1, 0}},
        {"ties: any order inside a group, groups ascending", {2, 0, 2, 0, 1, 2, 1, 0}, {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto n = static_cast<std::uint32_t>(c.extra.size()) + 1;  // + piece we have
        for (std::uint32_t seed = 1; seed <= 5; ++seed) {
            PiecePicker picker(layout(std::uint64_t{n} * B, B), seeded(seed));
            const std::uint32_t ours = n - 1;
            picker.we_have(ours);  // past the random first piece
            picker.peer_have_all(1000);
            for (std::uint32_t p = 0; p + 1 < n; ++p) {
                for (std::uint32_t k = 0; k < c.extra[p]; ++k) {
                    picker.peer_have(k, p);  // peer k has piece p
                }
            }
            std::vector<std::uint32_t> order;
            for (std::uint32_t i = 0; i + 1 < n; ++i) {
                const auto got = picker.pick(1000, 1);
                ASSERT_EQ(got.size(), 1u);
                EXPECT_EQ(got[0].reason, PickReason::rarest_first);
                order.push_back(got[0].block.piece);
            }
            EXPECT_TRUE(picker.pick(1000, 1).empty());
            if (!c.order.empty()) {
                EXPECT_EQ(order, c.order);
            } else {
                for (std::size_t i = 1; i < order.size(); ++i) {
                    EXPECT_LE(c.extra[order[i - 1]], c.extra[order[i]]);
                }
            }
        }
    }
}

TEST(P2pPiecePicker, RarestAmongWhatThePeerHas) {
    PiecePicker picker(layout(6 * B, B), seeded(3));
    picker.we_have(5);
    picker.peer_bitfield(1, pieces(6, {0, 1, 2}));  // piece 0 has 1 peer, 1: 2, 2: 3
    picker.peer_bitfield(2, pieces(6, {1, 2, 3}));
    picker.peer_bitfield(3, pieces(6, {2, 3, 4}));
    const auto got = picker.pick(3, 3);
    // Peer 3 lacks piece 0 (the rarest): its rarest are 4 (1 peer), 3 (2), then 2 (3).
    const std::vector<BlockRequest> expected = {{4, 0, B}, {3, 0, B}, {2, 0, B}};
    EXPECT_EQ(blocks_of(got), expected);
    EXPECT_TRUE(picker.pick(3, 3).empty());  // nothing left it could give
    // Peer 1: pieces 0 and 1; then every block is requested, so endgame adds piece 2 again.
    const std::vector<PickedBlock> expected1 = {
        {{0, 0, B}, PickReason::rarest_first},
        {{1, 0, B}, PickReason::rarest_first},
        {{2, 0, B}, PickReason::endgame},
    };
    EXPECT_EQ(picker.pick(1, 3), expected1);
}

TEST(P2pPiecePicker, AvailabilityFollowsHavesAndDepartures) {
    PiecePicker picker(layout(4 * B, B), seeded(3));
    picker.peer_bitfield(1, pieces(4, {0, 1}));
    picker.peer_have(2, 1);
    picker.peer_have(2, 1);  // a repeated have counts once
    picker.peer_have_all(3);
    picker.peer_have_none(4);
    EXPECT_EQ(picker.availability(0), 2u);
    EXPECT_EQ(picker.availability(1), 3u);
    EXPECT_EQ(picker.availability(2), 1u);
    EXPECT_FALSE(picker.peer_have(2, 4));  // out of range
    EXPECT_FALSE(picker.peer_bitfield(5, Bitfield(5)));
    picker.peer_gone(3);
    EXPECT_EQ(picker.availability(1), 2u);
    EXPECT_EQ(picker.availability(2), 0u);
    picker.peer_bitfield(1, pieces(4, {3}));  // replaces the first
    EXPECT_EQ(picker.availability(0), 0u);
    EXPECT_EQ(picker.availability(3), 1u);
    EXPECT_TRUE(picker.interesting(1));
    EXPECT_FALSE(picker.interesting(4));
    picker.we_have(3);
    EXPECT_FALSE(picker.interesting(1));
}

// ---- strict priority ------------------------------------------------------------------

TEST(P2pPiecePicker, StartedPiecesFirst) {
    // Pieces of 4 blocks. Peer 1 starts piece X; peer 2, which has X and a rarer piece, gets
    // X's remaining blocks first.
    PiecePicker picker(layout(3 * 4 * B, 4 * B), seeded(9));
    picker.we_have(2);
    picker.peer_have_all(1);
    picker.peer_have_all(2);
    picker.peer_have(3, 0);  // piece 1 is now the rarest (2 peers vs 3)
    const auto a = picker.pick(1, 2);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].block, (BlockRequest{1, 0, B}));
    EXPECT_EQ(a[1].block, (BlockRequest{1, B, B}));
    picker.peer_have(4, 0);
    picker.peer_have(5, 0);  // piece 0 is still less rare; piece 1 is started anyway
    const auto b = picker.pick(2, 3);
    const std::vector<PickedBlock> expected = {
        {{1, 2 * B, B}, PickReason::started_piece},
        {{1, 3 * B, B}, PickReason::started_piece},
        {{0, 0, B}, PickReason::rarest_first},
    };
    EXPECT_EQ(b, expected);
    // A peer without the started pieces goes straight to new ones... of which none is left.
    picker.peer_bitfield(6, pieces(3, {2}));
    EXPECT_TRUE(picker.pick(6, 5).empty());
}

// ---- endgame --------------------------------------------------------------------------

TEST(P2pPiecePicker, EndgameDuplicatesAndCancels) {
    PiecePicker picker(layout(2 * B, 2 * B), seeded(4));  // one piece of two blocks
    picker.peer_have_all(1);
    picker.peer_have_all(2);
    picker.peer_have_all(3);
    EXPECT_FALSE(picker.in_endgame());
    ASSERT_EQ(picker.pick(1, 1).size(), 1u);  // block 0
    EXPECT_FALSE(picker.in_endgame());
    const auto second = picker.pick(2, 5);  // block 1, then endgame: block 0 again
    const std::vector<PickedBlock> expected2 = {
        {{0, B, B}, PickReason::started_piece},
        {{0, 0, B}, PickReason::endgame},
    };
    EXPECT_EQ(second, expected2);
    EXPECT_TRUE(picker.in_endgame());
    const auto third = picker.pick(3, 5);
    const std::vector<PickedBlock> expected3 = {
        {{0, 0, B}, PickReason::endgame},
        {{0, B, B}, PickReason::endgame},
    };
    EXPECT_EQ(third, expected3);
    EXPECT_TRUE(picker.pick(2, 5).empty());  // never the same block twice from one peer

    // Block 0 arrives from peer 3: cancel it at 1 and 2.
    auto got = picker.block_received(3, {0, 0, B});
    EXPECT_TRUE(got.accepted);
    EXPECT_FALSE(got.piece_complete);
    const std::vector<CancelRequest> cancels = {{1, {0, 0, B}}, {2, {0, 0, B}}};
    EXPECT_EQ(got.cancels, cancels);
    EXPECT_EQ(picker.outstanding(1), 0u);
    EXPECT_EQ(picker.outstanding(2), 1u);
    EXPECT_EQ(picker.outstanding(3), 1u);
    // Peer 1's copy arrives anyway (the cancel crossed it): not wanted.
    EXPECT_FALSE(picker.block_received(1, {0, 0, B}).accepted);
    got = picker.block_received(2, {0, B, B});
    EXPECT_TRUE(got.accepted);
    EXPECT_TRUE(got.piece_complete);
    EXPECT_EQ(got.cancels, (std::vector<CancelRequest>{{3, {0, B, B}}}));
    EXPECT_TRUE(picker.piece_passed(0));
    EXPECT_TRUE(picker.complete());
    EXPECT_FALSE(picker.in_endgame());
    EXPECT_TRUE(picker.pick(1, 5).empty());
}

// ---- hash failure ---------------------------------------------------------------------

TEST(P2pPiecePicker, HashFailureResetsThePieceAndNamesContributors) {
    PiecePicker picker(layout(2 * 3 * B, 3 * B), seeded(5));  // 2 pieces of 3 blocks
    picker.we_have(1);
    for (PeerKey k : {7, 3}) {
        picker.peer_have_all(k);
    }
    const auto a = picker.pick(7, 2);
    const auto b = picker.pick(3, 1);
    ASSERT_EQ(a.size(), 2u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_FALSE(picker.piece_passed(0));  // not complete: nothing to check yet
    EXPECT_TRUE(picker.piece_failed(0).empty());
    EXPECT_FALSE(picker.block_received(7, a[0].block).piece_complete);
    EXPECT_FALSE(picker.block_received(3, b[0].block).piece_complete);
    EXPECT_TRUE(picker.block_received(7, a[1].block).piece_complete);

    EXPECT_EQ(picker.piece_failed(0), (std::vector<PeerKey>{3, 7}));
    EXPECT_FALSE(picker.have().get(0));
    EXPECT_FALSE(picker.in_endgame());
    EXPECT_EQ(picker.availability(0), 2u);
    // Every block is missing again and can be requested anew.
    const auto again = picker.pick(3, 10);
    EXPECT_EQ(blocks_of(again), (std::vector<BlockRequest>{{0, 0, B}, {0, B, B}, {0, 2 * B, B}}));
    EXPECT_EQ(again[0].reason, PickReason::rarest_first);
}

// ---- releases -------------------------------------------------------------------------

TEST(P2pPiecePicker, PeerGoneReleasesItsRequests) {
    PiecePicker picker(layout(3 * 4 * B, 4 * B), seeded(6));  // 3 pieces of 4 blocks
    picker.we_have(2);
    picker.peer_have_all(1);
    picker.peer_bitfield(2, pieces(3, {0}));
    picker.peer_have(3, 1);
    picker.peer_have(4, 1);  // piece 0 (2 peers) is rarer than piece 1 (3): no endgame below
    const auto a = picker.pick(1, 3);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[2].block, (BlockRequest{0, 2 * B, B}));
    EXPECT_TRUE(picker.block_received(1, a[0].block).accepted);
    EXPECT_EQ(blocks_of(picker.pick(2, 5)), (std::vector<BlockRequest>{{0, 3 * B, B}}));
    picker.peer_gone(1);
    EXPECT_EQ(picker.availability(0), 1u);
    EXPECT_EQ(picker.availability(1), 2u);
    EXPECT_EQ(picker.outstanding(1), 0u);
    EXPECT_FALSE(picker.interesting(1));
    // Blocks 1 and 2 are free again; block 0 was received and stays.
    const auto b = picker.pick(2, 5);
    const std::vector<PickedBlock> expected = {
        {{0, B, B}, PickReason::started_piece},
        {{0, 2 * B, B}, PickReason::started_piece},
    };
    EXPECT_EQ(b, expected);
    EXPECT_FALSE(picker.in_endgame());
}

TEST(P2pPiecePicker, RejectedTimedOutAndChokedRequestsAreReleased) {
    PiecePicker picker(layout(4 * B, 4 * B), seeded(7));  // one piece of 4 blocks
    picker.peer_have_all(1);
    picker.peer_have_all(2);
    const auto a = picker.pick(1, 4);
    ASSERT_EQ(a.size(), 4u);
    picker.release(1, a[2].block);  // rejected (BEP 6) or timed out
    picker.release(1, a[2].block);  // twice: no effect
    picker.release(2, a[3].block);  // not peer 2's request: no effect
    EXPECT_EQ(picker.outstanding(1), 3u);
    EXPECT_FALSE(picker.in_endgame());
    const auto b = picker.pick(2, 1);
    EXPECT_EQ(blocks_of(b), (std::vector<BlockRequest>{a[2].block}));
    picker.release_all(1);  // peer 1 choked us
    EXPECT_EQ(picker.outstanding(1), 0u);
    EXPECT_EQ(blocks_of(picker.pick(2, 5)),
              (std::vector<BlockRequest>{a[0].block, a[1].block, a[3].block}));
    // A block released and then delivered anyway is still welcome.
    picker.release(2, a[0].block);
    const auto got = picker.block_received(1, a[0].block);
    EXPECT_TRUE(got.accepted);
    EXPECT_TRUE(got.cancels.empty());
}

TEST(P2pPiecePicker, AnIdleStartedPieceBecomesFreshAgain) {
    PiecePicker picker(layout(3 * 2 * B, 2 * B), seeded(8));
    picker.we_have(2);
    picker.peer_have_all(1);
    picker.peer_bitfield(2, pieces(3, {0, 1}));
    picker.peer_have(3, 1);  // piece 0 is the rarest
    const auto a = picker.pick(1, 1);
    EXPECT_EQ(a.at(0).block, (BlockRequest{0, 0, B}));
    picker.release(1, a[0].block);
    picker.peer_have(3, 0);
    picker.peer_have(4, 0);  // piece 0 no longer the rarest, and no longer started
    const auto b = picker.pick(2, 1);
    EXPECT_EQ(b.at(0).block, (BlockRequest{1, 0, B}));
    EXPECT_EQ(b.at(0).reason, PickReason::rarest_first);
}

TEST(P2pPiecePicker, UnwantedBlocks) {
    PiecePicker picker(layout(2 * 2 * B - 10, 2 * B), seeded(9));  // piece 1's last: B - 10
    picker.we_have(0);
    picker.peer_have_all(1);
    ASSERT_EQ(picker.pick(1, 1).size(), 1u);  // starts piece 1
    struct Case {
        BlockRequest block;
        const char* why;
    };
    const std::vector<Case> cases = {
        {{2, 0, B}, "piece out of range"},     {{1, 100, B}, "unaligned offset"},
        {{1, 2 * B, B}, "block out of range"}, {{1, B, B}, "wrong length for the short last block"},
        {{1, 0, B - 1}, "wrong length"},       {{0, 0, B}, "a piece we have"},
    };
    for (const auto& c : cases) {
        EXPECT_FALSE(picker.block_received(1, c.block).accepted) << c.why;
    }
    EXPECT_TRUE(picker.block_received(1, {1, B, B - 10}).accepted);
    EXPECT_FALSE(picker.block_received(1, {1, B, B - 10}).accepted);  // twice
}

TEST(P2pPiecePicker, UnstartedPieceBlocksAreNotAccepted) {
    PiecePicker picker(layout(2 * B, B), seeded(9));
    picker.peer_have_all(1);
    EXPECT_FALSE(picker.block_received(1, {0, 0, B}).accepted);  // never requested
}

// ---- a whole download against a brute-force oracle ------------------------------------

// 2000 pieces of 2 blocks and 50 peers with random pieces that announce more as time goes
// on and sometimes leave. Every rarest-first pick must be a fresh piece of minimal
// availability among those the peer has (computed by brute force), no block may be asked of
// two peers outside endgame, and the download must finish.
TEST(P2pPiecePicker, SimulatedDownloadMatchesTheOracle) {
    const std::uint32_t n = 2000;
    std::mt19937 world(77);
    PiecePicker picker(layout(std::uint64_t{n} * 2 * B, 2 * B), seeded(78));
    std::map<PeerKey, std::vector<bool>> has;
    auto random_bitfield = [&](PeerKey k, double density) {
        Bitfield b(n);
        std::vector<bool> h(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (std::uniform_real_distribution<double>(0, 1)(world) < density) {
                b.set(i);
                h[i] = true;
            }
        }
        ASSERT_TRUE(picker.peer_bitfield(k, b));
        has[k] = h;
    };
    for (PeerKey k = 0; k < 50; ++k) {
        random_bitfield(k, k == 0 ? 1.0 : 0.3);  // one seed keeps the torrent complete
    }
    std::vector<bool> started(n, false);
    std::set<std::uint32_t> failed;
    std::map<PeerKey, std::vector<BlockRequest>> pending;
    std::size_t duplicates = 0;
    std::size_t rarest_checked = 0;
    std::size_t endgame_picks = 0;
    std::map<BlockRequest, int> asked;  // outstanding requests per block, over all peers
    std::size_t step = 0;
    PeerKey next_key = 50;
    for (; step < 100'000 && !picker.complete(); ++step) {
        auto it = has.begin();
        std::advance(it, static_cast<long>(world() % has.size()));
        const PeerKey k = it->first;
        const std::uint32_t action = world() % 100;
        if (action < 50) {
            // A session keeps a bounded pipeline of requests per peer.
            const std::size_t room = pending[k].size() < 8 ? 8 - pending[k].size() : 0;
            for (const auto& p : picker.pick(k, std::min<std::size_t>(room, world() % 4 + 1))) {
                // Outside endgame a block is never asked of two peers at once.
                ASSERT_TRUE(p.reason == PickReason::endgame || asked[p.block] == 0);
                ++asked[p.block];
                pending[k].push_back(p.block);
                if (p.reason == PickReason::rarest_first && !started[p.block.piece]) {
                    std::uint32_t best = UINT32_MAX;
                    const auto& peer_has = has[k];
                    for (std::uint32_t i = 0; i < n; ++i) {
                        if (!started[i] && !picker.have().get(i) && peer_has[i]) {
                            best = std::min(best, picker.availability(i));
                        }
                    }
                    ASSERT_EQ(picker.availability(p.block.piece), best);
                    ++rarest_checked;
                }
                endgame_picks += p.reason == PickReason::endgame ? 1 : 0;
                started[p.block.piece] = true;
            }
        } else if (action < 90 && !pending[k].empty()) {
            const BlockRequest b = pending[k].front();
            pending[k].erase(pending[k].begin());
            --asked[b];
            const auto got = picker.block_received(k, b);
            if (!got.accepted) {
                ++duplicates;
                continue;
            }
            for (const auto& c : got.cancels) {
                auto& q = pending[c.peer];
                ASSERT_NE(std::find(q.begin(), q.end(), c.block), q.end());
                q.erase(std::remove(q.begin(), q.end(), c.block), q.end());
                --asked[c.block];
            }
            if (got.piece_complete) {
                // Every 50th piece fails its check once, to exercise the reset.
                if (b.piece % 50 == 0 && failed.insert(b.piece).second) {
                    EXPECT_FALSE(picker.piece_failed(b.piece).empty());
                    started[b.piece] = false;
                    continue;
                }
                ASSERT_TRUE(picker.piece_passed(b.piece));
            }
        } else if (action < 99) {
            const std::uint32_t piece = world() % n;
            if (!has[k][piece]) {
                has[k][piece] = true;
                ASSERT_TRUE(picker.peer_have(k, piece));
            }
        } else if (k != 0) {
            // A peer leaves and a new one arrives.
            picker.peer_gone(k);  // its requests are released inside
            for (const auto& b : pending[k]) {
                --asked[b];
            }
            pending.erase(k);
            has.erase(k);
            random_bitfield(next_key++, 0.3);
        }
    }
    EXPECT_TRUE(picker.complete()) << "after " << step << " steps";
    EXPECT_EQ(failed.size(), n / 50);
    EXPECT_GT(rarest_checked, 1000u);
    EXPECT_EQ(picker.outstanding(0), 0u);
    // Endgame happened, and every cancel was honoured, so no block came twice.
    EXPECT_GT(endgame_picks, 0u);
    EXPECT_EQ(duplicates, 0u);
}

}  // namespace
