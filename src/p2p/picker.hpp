#pragma once
// The piece picker: which blocks to request from which peer (BEP 3 leaves the choice to the
// client; the strategy here is mainline BitTorrent's, as the course and Cohen's "Incentives
// Build Robustness in BitTorrent" (2003) section 2.3 describe it):
//
// 1. Random first piece: until we have one complete piece, new pieces are chosen at random,
//    so we soon have something to trade (a rarest piece would take longest to get).
// 2. Strict priority: blocks of pieces already started come before any new piece, so pieces
//    complete (and can be shared) quickly instead of many being half-done.
// 3. Rarest first: otherwise the new piece is one the fewest connected peers have (ties
//    broken randomly), which keeps rare pieces alive in the swarm and evens out replication.
// 4. Endgame: once every missing block has been requested, outstanding blocks are requested
//    from other peers too, and when a block arrives the duplicates are to be cancelled, so the
//    last slow peer does not hold up the download.
//
// Data structure: the pieces not yet started nor had ("fresh") are kept in one array sorted
// by availability, in buckets (one per availability count) with the order inside a bucket
// shuffled, as libtorrent's piece_picker does. A peer's have (availability +1 or -1) moves a
// piece to the neighbouring bucket by one swap, O(1); starting or finishing a piece moves it
// through the buckets above it, O(number of peers). Picking for a peer scans from the rarest
// bucket up and stops at the first piece the peer has: O(1) when it has the rarest pieces (a
// seed), O(pieces) at worst; never a scan per block. Started pieces are a short list (each
// peer has a bounded number of requests out). The random first piece scans all fresh pieces
// once per new piece, but only until we have one piece.
//
// Peers are opaque keys; randomness is the injected Random (a fixed seed replays the same
// picks). Piece data and hash checks are the session's: it reports the outcome here.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "p2p/bitfield.hpp"

namespace l7::p2p {

// How a torrent's bytes divide into pieces and blocks (BEP 3): every piece is piece_length
// bytes except the last, which is shorter when the total is not a multiple; every block is
// kBlockSize (16 KiB) except the last of a piece, which is shorter likewise.
struct PieceLayout {
    static constexpr std::uint32_t kMaxPieces = 1U << 22;  // 4 Mi pieces: 512 KiB bitfields

    std::uint64_t total_length = 0;
    std::uint32_t piece_length = 0;

    // Refuses a zero length or piece length, and more than kMaxPieces pieces.
    static Result<PieceLayout> make(std::uint64_t total_length, std::uint32_t piece_length);

    std::uint32_t piece_count() const;
    std::uint32_t piece_size(std::uint32_t piece) const;
    std::uint32_t block_count(std::uint32_t piece) const;
    std::uint32_t block_length(std::uint32_t piece, std::uint32_t block) const;
};

// A request as the wire carries it (BEP 3 "request", "piece", "cancel").
struct BlockRequest {
    std::uint32_t piece = 0;
    std::uint32_t begin = 0;   // byte offset in the piece, a multiple of kBlockSize
    std::uint32_t length = 0;  // kBlockSize, or less for a piece's last block

    friend auto operator<=>(const BlockRequest&, const BlockRequest&) = default;
};

enum class PickReason { random_first, started_piece, rarest_first, endgame };
const char* to_string(PickReason reason);

struct PickedBlock {
    BlockRequest block;
    PickReason reason = PickReason::rarest_first;

    friend bool operator==(const PickedBlock&, const PickedBlock&) = default;
};

// A request to withdraw with a "cancel" message (endgame duplicates).
struct CancelRequest {
    PeerKey peer = 0;
    BlockRequest block;

    friend bool operator==(const CancelRequest&, const CancelRequest&) = default;
};

struct BlockOutcome {
    // False when the block is not one we want: malformed (offset/length), of a piece we have
    // or have not started, or already received (an endgame duplicate). Discard its data.
    bool accepted = false;
    // The piece now has every block: hash-check it, then piece_passed() or piece_failed().
    bool piece_complete = false;
    // Other peers asked for the same block (endgame): send them "cancel".
    std::vector<CancelRequest> cancels;
};

class PiecePicker {
  public:
    PiecePicker(PieceLayout layout, Random random);

    const PieceLayout& layout() const { return layout_; }
    std::uint32_t piece_count() const { return static_cast<std::uint32_t>(avail_.size()); }

    // ---- our pieces
    const Bitfield& have() const { return have_; }
    bool complete() const { return have_.all(); }
    // A piece we already have from before (resuming from disk); ignored if started.
    void we_have(std::uint32_t piece);

    // ---- what peers have (availability). A peer is known from its first such call.
    // False (nothing changed) when the bitfield's size is not the piece count. A second
    // bitfield replaces the first.
    bool peer_bitfield(PeerKey peer, const Bitfield& has);
    // False for an index out of range.
    bool peer_have(PeerKey peer, std::uint32_t piece);
    void peer_have_all(PeerKey peer);   // BEP 6 "have all"
    void peer_have_none(PeerKey peer);  // BEP 6 "have none"
    // The peer left: its pieces no longer count and its outstanding requests are released.
    void peer_gone(PeerKey peer);
    // How many connected peers have the piece.
    std::uint32_t availability(std::uint32_t piece) const;
    // The peer has a piece we lack (so we are "interested", BEP 3).
    bool interesting(PeerKey peer) const;

    // ---- requests
    // Up to `max_new` more blocks to request from `peer`, in order. Each is recorded as
    // outstanding from the peer until received, released or the peer is gone.
    std::vector<PickedBlock> pick(PeerKey peer, std::size_t max_new);
    BlockOutcome block_received(PeerKey peer, const BlockRequest& block);
    // The peer rejected the request (BEP 6) or it timed out: the block is missing again.
    void release(PeerKey peer, const BlockRequest& block);
    // Every request outstanding from the peer is dropped (it choked us without BEP 6).
    void release_all(PeerKey peer);
    std::size_t outstanding(PeerKey peer) const;
    // Every missing block has been requested (and we are not done).
    bool in_endgame() const;

    // ---- hash check outcome of a complete piece (false / empty when it was not complete)
    bool piece_passed(std::uint32_t piece);
    // Every block of the piece is missing again; returns the peers that sent any of its
    // blocks (ascending), so the session can ban the one that sent bad data. When there
    // were several, the piece's next fetch takes all its blocks from one peer.
    std::vector<PeerKey> piece_failed(std::uint32_t piece);

  private:
    static constexpr std::uint32_t kNone = 0xFFFFFFFF;

    struct Block {
        std::vector<PeerKey> requesters;  // usually one; more in endgame
        std::optional<PeerKey> from;      // set when received
    };
    struct Partial {
        std::vector<Block> blocks;
        std::uint32_t received = 0;
        std::uint32_t unrequested = 0;  // blocks neither received nor requested
        // A piece that failed with blocks from several peers is fetched again from one
        // (outside the endgame), so that it either passes and shows which blocks were bad,
        // or fails again with a lone contributor to ban.
        std::optional<PeerKey> owner;
    };
    struct Peer {
        Bitfield has;
        std::uint32_t wanted = 0;             // pieces it has and we lack
        std::set<std::uint64_t> outstanding;  // piece << 32 | block
    };

    Peer& peer_state(PeerKey key);
    void add_availability(std::uint32_t piece);
    void remove_availability(std::uint32_t piece);
    void insert_fresh(std::uint32_t piece);
    void remove_fresh(std::uint32_t piece);
    void place_randomly(std::uint32_t piece, std::uint32_t bucket);
    void swap_positions(std::uint32_t a, std::uint32_t b);
    void ensure_bucket(std::uint32_t bucket);
    Partial& start_piece(std::uint32_t piece);
    void take_blocks(PeerKey key, Peer& peer, std::uint32_t piece, PickReason reason,
                     std::size_t max_new, std::vector<PickedBlock>& out);
    void release_block(PeerKey key, std::uint32_t piece, std::uint32_t block);
    void drop_partial_if_idle(std::uint32_t piece);
    void set_we_have(std::uint32_t piece);
    BlockRequest request_for(std::uint32_t piece, std::uint32_t block) const;

    PieceLayout layout_;
    Random random_;
    Bitfield have_;
    std::vector<std::uint32_t> avail_;  // per piece: connected peers that have it
    // Fresh pieces by ascending availability: bucket a is order_[start_[a], start_[a + 1]),
    // and start_.back() == order_.size(). pos_[piece] is its index in order_, or kNone.
    std::vector<std::uint32_t> order_;
    std::vector<std::uint32_t> start_;
    std::vector<std::uint32_t> pos_;
    std::unordered_map<std::uint32_t, Partial> partials_;  // started, not yet passed
    std::vector<std::uint32_t> started_order_;             // partials_ keys, oldest first
    std::unordered_map<PeerKey, Peer> peers_;
    std::uint64_t unrequested_ = 0;          // blocks missing and requested from no one
    std::set<std::uint32_t> from_one_peer_;  // failed pieces to fetch from one peer
};

}  // namespace l7::p2p
