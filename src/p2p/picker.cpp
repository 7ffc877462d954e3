#include "p2p/picker.hpp"

#include <algorithm>
#include <cassert>

#include "p2p/types.hpp"

namespace l7::p2p {
namespace {

std::uint64_t block_key(std::uint32_t piece, std::uint32_t block) {
    return (static_cast<std::uint64_t>(piece) << 32) | block;
}

}  // namespace

// ---- PieceLayout ----------------------------------------------------------------------

Result<PieceLayout> PieceLayout::make(std::uint64_t total_length, std::uint32_t piece_length) {
    if (total_length == 0) {
        return make_error("torrent of 0 bytes");
    }
    if (piece_length == 0) {
        return make_error("piece length 0");
    }
    PieceLayout layout{total_length, piece_length};
    if (total_length / piece_length + (total_length % piece_length != 0) > kMaxPieces) {
        return make_error("more than " + std::to_string(kMaxPieces) + " pieces");
    }
    return layout;
}

std::uint32_t PieceLayout::piece_count() const {
    if (piece_length == 0) {
        return 0;
    }
    const std::uint64_t n = total_length / piece_length + (total_length % piece_length != 0);
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, kMaxPieces));
}

std::uint32_t PieceLayout::piece_size(std::uint32_t piece) const {
    const std::uint32_t n = piece_count();
    if (piece >= n) {
        return 0;
    }
    if (piece + 1 < n) {
        return piece_length;
    }
    return static_cast<std::uint32_t>(total_length - std::uint64_t{piece} * piece_length);
}

std::uint32_t PieceLayout::block_count(std::uint32_t piece) const {
    return (piece_size(piece) + kBlockSize - 1) / kBlockSize;
}

std::uint32_t PieceLayout::block_length(std::uint32_t piece, std::uint32_t block) const {
    const std::uint32_t size = piece_size(piece);
    const std::uint32_t count = block_count(piece);
    if (block >= count) {
        return 0;
    }
    return block + 1 < count ? kBlockSize : size - block * kBlockSize;
}

const char* to_string(PickReason reason) {
    switch (reason) {
        case PickReason::random_first:
            return "random first piece";
        case PickReason::started_piece:
            return "started piece";
        case PickReason::rarest_first:
            return "rarest first";
        case PickReason::endgame:
            return "endgame";
    }
    return "?";
}

// ---- PiecePicker: construction and availability buckets -------------------------------

PiecePicker::PiecePicker(PieceLayout layout, Random random)
    : layout_(layout),
      random_(std::move(random)),
      have_(layout_.piece_count()),
      avail_(layout_.piece_count(), 0),
      pos_(layout_.piece_count(), kNone) {
    const std::uint32_t n = layout_.piece_count();
    order_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        order_[i] = i;
        unrequested_ += layout_.block_count(i);
    }
    // Fisher-Yates: every piece starts at availability 0, in random order.
    for (std::uint32_t i = n; i > 1; --i) {
        std::swap(order_[i - 1], order_[random_below(random_, i)]);
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        pos_[order_[i]] = i;
    }
    start_ = {0, n};
}

void PiecePicker::swap_positions(std::uint32_t a, std::uint32_t b) {
    std::swap(order_[a], order_[b]);
    pos_[order_[a]] = a;
    pos_[order_[b]] = b;
}

void PiecePicker::ensure_bucket(std::uint32_t bucket) {
    while (start_.size() < std::size_t{bucket} + 2) {
        start_.push_back(static_cast<std::uint32_t>(order_.size()));
    }
}

// Ties in availability are broken by a random position inside the bucket.
void PiecePicker::place_randomly(std::uint32_t piece, std::uint32_t bucket) {
    const std::uint32_t lo = start_[bucket];
    const std::uint32_t size = start_[bucket + 1] - lo;
    swap_positions(pos_[piece], lo + random_below(random_, size));
}

void PiecePicker::add_availability(std::uint32_t piece) {
    const std::uint32_t a = avail_[piece]++;
    if (pos_[piece] == kNone) {
        return;
    }
    // Become the first element of bucket a + 1: swap to the end of bucket a, move the border.
    ensure_bucket(a + 1);
    swap_positions(pos_[piece], start_[a + 1] - 1);
    --start_[a + 1];
    place_randomly(piece, a + 1);
}

void PiecePicker::remove_availability(std::uint32_t piece) {
    assert(avail_[piece] > 0);
    const std::uint32_t a = avail_[piece]--;
    if (pos_[piece] == kNone) {
        return;
    }
    // Become the last element of bucket a - 1: swap to the front of bucket a, move the border.
    swap_positions(pos_[piece], start_[a]);
    ++start_[a];
    place_randomly(piece, a - 1);
}

void PiecePicker::remove_fresh(std::uint32_t piece) {
    // Walk to the end of the array one bucket at a time (swap to the end of the bucket, move
    // its upper border down), then drop the last element. Every swap is at or after the
    // piece's old position, so a scan in progress may resume at that position.
    std::uint32_t i = pos_[piece];
    const auto buckets = static_cast<std::uint32_t>(start_.size() - 1);
    for (std::uint32_t b = avail_[piece]; b < buckets; ++b) {
        const std::uint32_t last = start_[b + 1] - 1;
        swap_positions(i, last);
        i = last;
        --start_[b + 1];
    }
    assert(i + 1 == order_.size());
    order_.pop_back();
    pos_[piece] = kNone;
}

void PiecePicker::insert_fresh(std::uint32_t piece) {
    // The reverse walk: append to the last bucket, then move down to its own bucket.
    const std::uint32_t a = avail_[piece];
    ensure_bucket(a);
    const auto buckets = static_cast<std::uint32_t>(start_.size() - 1);
    order_.push_back(piece);
    std::uint32_t i = static_cast<std::uint32_t>(order_.size() - 1);
    pos_[piece] = i;
    ++start_[buckets];
    for (std::uint32_t b = buckets - 1; b > a; --b) {
        const std::uint32_t first = start_[b];
        swap_positions(i, first);
        i = first;
        ++start_[b];
    }
    place_randomly(piece, a);
}

// ---- peers ----------------------------------------------------------------------------

PiecePicker::Peer& PiecePicker::peer_state(PeerKey key) {
    auto [it, inserted] = peers_.try_emplace(key);
    if (inserted) {
        it->second.has = Bitfield(piece_count());
    }
    return it->second;
}

bool PiecePicker::peer_bitfield(PeerKey key, const Bitfield& has) {
    if (has.size() != piece_count()) {
        return false;
    }
    Peer& peer = peer_state(key);
    for (std::uint32_t i = 0; i < piece_count(); ++i) {
        if (peer.has.get(i)) {
            remove_availability(i);
        }
    }
    peer.has = has;
    peer.wanted = 0;
    for (std::uint32_t i = 0; i < piece_count(); ++i) {
        if (has.get(i)) {
            add_availability(i);
            peer.wanted += have_.get(i) ? 0 : 1;
        }
    }
    return true;
}

bool PiecePicker::peer_have(PeerKey key, std::uint32_t piece) {
    if (piece >= piece_count()) {
        return false;
    }
    Peer& peer = peer_state(key);
    if (!peer.has.get(piece)) {
        peer.has.set(piece);
        add_availability(piece);
        peer.wanted += have_.get(piece) ? 0 : 1;
    }
    return true;
}

void PiecePicker::peer_have_all(PeerKey key) {
    (void)peer_bitfield(key, Bitfield(piece_count(), true));
}

void PiecePicker::peer_have_none(PeerKey key) {
    (void)peer_bitfield(key, Bitfield(piece_count(), false));
}

void PiecePicker::peer_gone(PeerKey key) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) {
        return;
    }
    release_all(key);
    for (std::uint32_t i = 0; i < piece_count(); ++i) {
        if (it->second.has.get(i)) {
            remove_availability(i);
        }
    }
    peers_.erase(it);
}

std::uint32_t PiecePicker::availability(std::uint32_t piece) const {
    return piece < piece_count() ? avail_[piece] : 0;
}

bool PiecePicker::interesting(PeerKey key) const {
    const auto it = peers_.find(key);
    return it != peers_.end() && it->second.wanted > 0;
}

// ---- our pieces -----------------------------------------------------------------------

void PiecePicker::set_we_have(std::uint32_t piece) {
    have_.set(piece);
    for (auto& [key, peer] : peers_) {
        if (peer.has.get(piece)) {
            --peer.wanted;
        }
    }
}

void PiecePicker::we_have(std::uint32_t piece) {
    if (piece >= piece_count() || have_.get(piece) || partials_.contains(piece)) {
        return;
    }
    remove_fresh(piece);
    unrequested_ -= layout_.block_count(piece);
    set_we_have(piece);
}

// ---- requests -------------------------------------------------------------------------

BlockRequest PiecePicker::request_for(std::uint32_t piece, std::uint32_t block) const {
    return {piece, block * kBlockSize, layout_.block_length(piece, block)};
}

PiecePicker::Partial& PiecePicker::start_piece(std::uint32_t piece) {
    remove_fresh(piece);
    started_order_.push_back(piece);
    Partial& part = partials_[piece];
    part.blocks.resize(layout_.block_count(piece));
    part.unrequested = layout_.block_count(piece);
    return part;
}

void PiecePicker::take_blocks(PeerKey key, Peer& peer, std::uint32_t piece, PickReason reason,
                              std::size_t max_new, std::vector<PickedBlock>& out) {
    Partial& part = partials_.at(piece);
    const bool endgame = reason == PickReason::endgame;
    if (!endgame && (part.unrequested == 0 || (part.owner && *part.owner != key))) {
        return;
    }
    if (!part.owner && from_one_peer_.contains(piece)) {
        part.owner = key;
    }
    for (std::uint32_t b = 0; b < part.blocks.size() && out.size() < max_new; ++b) {
        Block& block = part.blocks[b];
        if (block.from) {
            continue;
        }
        if (endgame) {
            // A duplicate of a request outstanding elsewhere, at most one per peer.
            const bool mine = std::find(block.requesters.begin(), block.requesters.end(), key) !=
                              block.requesters.end();
            if (block.requesters.empty() || mine) {
                continue;
            }
        } else if (!block.requesters.empty()) {
            continue;
        } else {
            --unrequested_;
            --part.unrequested;
        }
        block.requesters.push_back(key);
        peer.outstanding.insert(block_key(piece, b));
        out.push_back({request_for(piece, b), reason});
    }
}

std::vector<PickedBlock> PiecePicker::pick(PeerKey key, std::size_t max_new) {
    std::vector<PickedBlock> out;
    const auto it = peers_.find(key);
    if (it == peers_.end() || max_new == 0) {
        return out;
    }
    Peer& peer = it->second;

    // Strict priority: finish what is started (oldest first).
    for (const std::uint32_t piece : started_order_) {
        if (out.size() >= max_new) {
            return out;
        }
        if (peer.has.get(piece)) {
            take_blocks(key, peer, piece, PickReason::started_piece, max_new, out);
        }
    }

    // New pieces: random until we have one, then rarest first. Each round starts one piece,
    // so this loop runs at most once per fresh piece.
    std::size_t resume = start_.size() > 2 ? start_[1] : order_.size();  // skip bucket 0
    while (out.size() < max_new && !order_.empty()) {
        std::uint32_t chosen = kNone;
        PickReason reason = PickReason::rarest_first;
        if (have_.none()) {
            reason = PickReason::random_first;
            std::vector<std::uint32_t> candidates;
            for (const std::uint32_t piece : order_) {
                if (peer.has.get(piece)) {
                    candidates.push_back(piece);
                }
            }
            if (!candidates.empty()) {
                const auto count = static_cast<std::uint32_t>(candidates.size());
                chosen = candidates[random_below(random_, count)];
            }
        } else {
            // Positions before `resume` were scanned and remove_fresh() only swaps at or after
            // the removed piece's position, so the scan continues where it stopped.
            for (; resume < order_.size(); ++resume) {
                if (peer.has.get(order_[resume])) {
                    chosen = order_[resume];
                    break;
                }
            }
        }
        if (chosen == kNone) {
            break;
        }
        start_piece(chosen);
        take_blocks(key, peer, chosen, reason, max_new, out);
    }

    // Endgame: every missing block is requested; ask this peer too.
    if (out.size() < max_new && in_endgame()) {
        for (const std::uint32_t piece : started_order_) {
            if (out.size() >= max_new) {
                break;
            }
            if (peer.has.get(piece)) {
                take_blocks(key, peer, piece, PickReason::endgame, max_new, out);
            }
        }
    }
    return out;
}

BlockOutcome PiecePicker::block_received(PeerKey key, const BlockRequest& req) {
    BlockOutcome out;
    if (req.piece >= piece_count() || req.begin % kBlockSize != 0) {
        return out;
    }
    const std::uint32_t b = req.begin / kBlockSize;
    if (b >= layout_.block_count(req.piece) || req.length != layout_.block_length(req.piece, b)) {
        return out;
    }
    const std::uint64_t k = block_key(req.piece, b);
    if (const auto pit = peers_.find(key); pit != peers_.end()) {
        pit->second.outstanding.erase(k);
    }
    const auto part = partials_.find(req.piece);
    if (have_.get(req.piece) || part == partials_.end()) {
        return out;
    }
    Block& block = part->second.blocks[b];
    if (block.from) {
        return out;  // an endgame duplicate, cancelled too late
    }
    if (block.requesters.empty()) {
        --unrequested_;  // it had timed out or been released; still welcome
        --part->second.unrequested;
    }
    for (const PeerKey other : block.requesters) {
        if (other == key) {
            continue;
        }
        out.cancels.push_back({other, req});
        if (const auto oit = peers_.find(other); oit != peers_.end()) {
            oit->second.outstanding.erase(k);
        }
    }
    block.requesters.clear();
    block.from = key;
    ++part->second.received;
    out.accepted = true;
    out.piece_complete = part->second.received == part->second.blocks.size();
    return out;
}

void PiecePicker::release_block(PeerKey key, std::uint32_t piece, std::uint32_t b) {
    const auto part = partials_.find(piece);
    if (part == partials_.end()) {
        return;
    }
    Block& block = part->second.blocks[b];
    const auto it = std::find(block.requesters.begin(), block.requesters.end(), key);
    if (it == block.requesters.end()) {
        return;
    }
    block.requesters.erase(it);
    if (block.requesters.empty() && !block.from) {
        ++unrequested_;
        ++part->second.unrequested;
    }
    drop_partial_if_idle(piece);
}

// A started piece with nothing received and nothing requested is fresh again, so it does not
// keep a priority it has not earned and the started list stays short.
void PiecePicker::drop_partial_if_idle(std::uint32_t piece) {
    const auto part = partials_.find(piece);
    if (part->second.received != 0) {
        return;
    }
    for (const Block& block : part->second.blocks) {
        if (!block.requesters.empty()) {
            return;
        }
    }
    partials_.erase(part);
    std::erase(started_order_, piece);
    insert_fresh(piece);
}

void PiecePicker::release(PeerKey key, const BlockRequest& req) {
    if (req.piece >= piece_count() || req.begin % kBlockSize != 0) {
        return;
    }
    const std::uint32_t b = req.begin / kBlockSize;
    const auto pit = peers_.find(key);
    if (pit == peers_.end() || pit->second.outstanding.erase(block_key(req.piece, b)) == 0) {
        return;
    }
    release_block(key, req.piece, b);
}

void PiecePicker::release_all(PeerKey key) {
    const auto pit = peers_.find(key);
    if (pit == peers_.end()) {
        return;
    }
    const auto outstanding = std::move(pit->second.outstanding);
    pit->second.outstanding.clear();
    for (auto& [piece, part] : partials_) {
        if (part.owner == key) {
            part.owner.reset();  // choked or gone: another peer may finish it
        }
    }
    for (const std::uint64_t k : outstanding) {
        release_block(key, static_cast<std::uint32_t>(k >> 32),
                      static_cast<std::uint32_t>(k & 0xFFFFFFFF));
    }
}

std::size_t PiecePicker::outstanding(PeerKey key) const {
    const auto it = peers_.find(key);
    return it == peers_.end() ? 0 : it->second.outstanding.size();
}

bool PiecePicker::in_endgame() const {
    return unrequested_ == 0 && !complete();
}

// ---- hash check outcome ---------------------------------------------------------------

bool PiecePicker::piece_passed(std::uint32_t piece) {
    const auto part = partials_.find(piece);
    if (part == partials_.end() || part->second.received != part->second.blocks.size()) {
        return false;
    }
    partials_.erase(part);
    std::erase(started_order_, piece);
    from_one_peer_.erase(piece);
    set_we_have(piece);
    return true;
}

std::vector<PeerKey> PiecePicker::piece_failed(std::uint32_t piece) {
    const auto part = partials_.find(piece);
    if (part == partials_.end() || part->second.received != part->second.blocks.size()) {
        return {};
    }
    std::set<PeerKey> contributors;
    for (const Block& block : part->second.blocks) {
        contributors.insert(*block.from);
    }
    partials_.erase(part);
    std::erase(started_order_, piece);
    unrequested_ += layout_.block_count(piece);
    insert_fresh(piece);
    if (contributors.size() > 1) {
        from_one_peer_.insert(piece);
    } else {
        from_one_peer_.erase(piece);
    }
    return {contributors.begin(), contributors.end()};
}

}  // namespace l7::p2p
