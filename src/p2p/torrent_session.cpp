#include "p2p/torrent_session.hpp"

#include <algorithm>
#include <cstring>

#include "p2p/extension.hpp"

namespace l7::p2p {
namespace {

std::string describe(const WireMessage& m) {
    std::string out(message_name(m.type));
    switch (m.type) {
        case MessageType::have:
        case MessageType::suggest:
        case MessageType::allowed_fast:
            out += " " + std::to_string(m.index);
            break;
        case MessageType::request:
        case MessageType::cancel:
        case MessageType::reject:
            out += " piece " + std::to_string(m.index) + " offset " + std::to_string(m.begin) +
                   " length " + std::to_string(m.length);
            break;
        case MessageType::piece:
            out += " " + std::to_string(m.index) + " offset " + std::to_string(m.begin) + " (" +
                   std::to_string(m.payload.size()) + " bytes)";
            break;
        case MessageType::bitfield:
            out += " (" + std::to_string(m.payload.size()) + " bytes)";
            break;
        case MessageType::extended:
            out += " id " + std::to_string(m.extended_id);
            break;
        case MessageType::unknown:
            out += " id " + std::to_string(m.id);
            break;
        default:
            break;
    }
    return out;
}

}  // namespace

TorrentIdentity identity_for(const TorrentInfo& info, const PeerId& peer_id) {
    TorrentIdentity id;
    id.info_hash = info.info_hash;
    id.peer_id = peer_id;
    id.layout = *PieceLayout::make(info.total_length, info.piece_length);
    for (std::uint32_t i = 0; i < info.piece_count(); ++i) {
        id.piece_hashes.push_back(info.piece_hash(i));
    }
    id.metadata = info.raw_info;
    return id;
}

TorrentSession::TorrentSession(TorrentIdentity identity, PieceStore& store, TorrentLimits limits,
                               Random random, TimePoint now, Bitfield have)
    : identity_(std::move(identity)),
      store_(store),
      limits_(limits),
      random_(std::move(random)),
      picker_(identity_.layout, random_),
      choker_(limits.choker),
      down_bucket_(limits.download_rate, limits.rate_burst),
      up_bucket_(limits.upload_rate, limits.rate_burst) {
    for (std::size_t i = 0; i < have.size() && i < picker_.piece_count(); ++i) {
        if (have.get(i)) {
            picker_.we_have(static_cast<std::uint32_t>(i));
        }
    }
    for (std::uint32_t i = 0; i < picker_.piece_count(); ++i) {
        if (picker_.have().get(i)) {
            have_bytes_ += identity_.layout.piece_size(i);
        }
    }
    down_ = RateMeter(limits_.rate_window);
    up_ = RateMeter(limits_.rate_window);
    down_.start(now);
    up_.start(now);
    announced_complete_ = picker_.complete();
}

TorrentSession::Peer* TorrentSession::find(PeerKey key) {
    const auto it = peers_.find(key);
    return it == peers_.end() || it->second.closing ? nullptr : &it->second;
}

void TorrentSession::trace(PeerKey peer, std::string line) {
    if (trace_) {
        actions_.push_back({TorrentAction::Kind::trace, peer, 0, std::move(line)});
    }
}

void TorrentSession::send(Peer& p, std::string bytes, TimePoint now) {
    p.unflushed += bytes.size();
    p.last_sent = now;
    actions_.push_back({TorrentAction::Kind::send, p.key, 0, std::move(bytes)});
}

void TorrentSession::close(Peer& p, const std::string& why) {
    if (p.closing) {
        return;
    }
    p.closing = true;
    actions_.push_back({TorrentAction::Kind::close, p.key, 0, why});
}

std::optional<PeerKey> TorrentSession::add_peer(bool outgoing, std::string address, TimePoint now) {
    const auto open = std::count_if(peers_.begin(), peers_.end(),
                                    [](const auto& e) { return !e.second.closing; });
    if (static_cast<std::size_t>(open) >= limits_.max_peers || failed_) {
        return std::nullopt;
    }
    const PeerKey key = next_key_++;
    Peer p(key, std::move(address), outgoing,
           outgoing ? WireDecoder::initiator(identity_.info_hash) : WireDecoder::receiver());
    p.decoder.set_piece_count(picker_.piece_count());
    p.connected_at = p.last_received = p.last_sent = p.last_block = now;
    p.down = RateMeter(limits_.rate_window);
    p.up = RateMeter(limits_.rate_window);
    p.down.start(now);
    p.up.start(now);
    p.down_bucket = TokenBucket(limits_.peer_download_rate, limits_.rate_burst);
    p.up_bucket = TokenBucket(limits_.peer_upload_rate, limits_.rate_burst);
    Peer& stored = peers_.emplace(key, std::move(p)).first->second;
    if (outgoing) {
        on_handshake(stored, now);  // ours goes first
    }
    return key;
}

// Our handshake, then what we have (BEP 3: the bitfield comes right after the handshake and
// may be left out when we have nothing).
void TorrentSession::on_handshake(Peer& p, TimePoint now) {
    if (p.handshake_sent) {
        return;
    }
    p.handshake_sent = true;
    Handshake h;
    h.info_hash = identity_.info_hash;
    h.peer_id = identity_.peer_id;
    h.set_extension_protocol(true);  // BEP 10, for ut_metadata (BEP 9)
    std::string out = encode_handshake(h);
    trace(p.key, "send handshake");
    if (!picker_.have().none()) {
        out += encode_bitfield(picker_.have().to_wire());
        trace(p.key, "send bitfield (" + std::to_string(picker_.have().count()) + " of " +
                         std::to_string(picker_.piece_count()) + " pieces)");
    }
    send(p, std::move(out), now);
}

void TorrentSession::receive(PeerKey key, std::string_view bytes, TimePoint now) {
    Peer* p = find(key);
    if (p == nullptr) {
        return;
    }
    p->last_received = now;
    p->decoder.feed(bytes);
    WireMessage m;
    for (;;) {
        p = find(key);  // a message may have closed it
        if (p == nullptr) {
            return;
        }
        const WireStatus status = p->decoder.next(m);
        if (status == WireStatus::need_more) {
            break;
        }
        if (status == WireStatus::error) {
            close(*p, "protocol error: " + p->decoder.error());
            return;
        }
        if (status == WireStatus::info_hash) {
            if (p->decoder.handshake().info_hash != identity_.info_hash) {
                close(*p, "handshake for another torrent");
                return;
            }
            on_handshake(*p, now);
            continue;
        }
        if (status == WireStatus::handshake) {
            const PeerId& id = p->decoder.handshake().peer_id;
            if (id == identity_.peer_id) {
                close(*p, "connected to ourselves");
                return;
            }
            const bool duplicate = std::any_of(peers_.begin(), peers_.end(), [&](const auto& e) {
                return e.first != key && !e.second.closing && e.second.handshake_done &&
                       e.second.id == id;
            });
            if (duplicate) {
                close(*p, "already connected to this peer id");
                return;
            }
            p->id = id;
            p->handshake_done = true;
            const std::string client = client_name(id);
            trace(key,
                  "handshake from " + p->address + (client.empty() ? "" : " (" + client + ")"));
            on_handshake(*p, now);
            if (p->decoder.handshake().extension_protocol()) {
                send_extended_handshake(*p, now);
            }
            continue;
        }
        on_message(*p, m, now);
    }
    // A peer that just became interested (or freed a slot) is answered now, not at the
    // next tick.
    if (const auto due = choker_.next_round(); due && *due <= now) {
        choke_round(now);
    }
    if (Peer* q = find(key)) {
        request_more(*q, now);
        serve_now(*q, now);
    }
}

// BEP 10: after the BitTorrent handshake (and our bitfield), the extensions we take: only
// ut_metadata, and only when we can serve the info dictionary.
void TorrentSession::send_extended_handshake(Peer& p, TimePoint now) {
    ExtendedHandshake h;
    if (!identity_.metadata.empty()) {
        h.m.emplace(kUtMetadata, kOurUtMetadataId);
        h.metadata_size = static_cast<std::uint32_t>(identity_.metadata.size());
    }
    h.reqq = static_cast<std::uint32_t>(limits_.max_peer_requests);
    trace(p.key, "send extended handshake (" + describe_extended_handshake(h) + ")");
    send(p, encode_extended(kExtendedHandshakeId, encode_extended_handshake(h)), now);
}

void TorrentSession::on_extended(Peer& p, const WireMessage& m, TimePoint now) {
    if (m.extended_id == kExtendedHandshakeId) {
        auto h = decode_extended_handshake(m.payload);
        if (!h) {
            trace(p.key, "recv extended handshake: ignored: " + h.error().message);
            return;
        }
        p.ut_metadata = h->extension_id(kUtMetadata);
        p.reqq = h->reqq;
        trace(p.key, "recv extended handshake (" + describe_extended_handshake(*h) + ")");
        return;
    }
    if (m.extended_id != kOurUtMetadataId || identity_.metadata.empty()) {
        trace(p.key, "recv " + describe(m) + ": an extension we did not offer, ignored");
        return;
    }
    auto msg = decode_metadata_message(m.payload);
    if (!msg) {
        close(p, "bad ut_metadata message: " + msg.error().message);
        return;
    }
    if (msg->type != MetadataMessageType::request) {
        return;  // data and rejects answer requests; we send none
    }
    trace(p.key, "recv metadata request piece " + std::to_string(msg->piece));
    if (!p.ut_metadata) {
        return;  // it gave no id to answer under
    }
    const auto total = static_cast<std::uint32_t>(identity_.metadata.size());
    const std::uint32_t length = metadata_piece_length(total, msg->piece);
    // A peer that asks faster than it reads gets rejects, not a queue in our memory.
    if (length == 0 || p.unflushed >= limits_.unflushed_mark) {
        trace(p.key, "send metadata reject piece " + std::to_string(msg->piece));
        send(p, encode_extended(*p.ut_metadata, encode_metadata_reject(msg->piece)), now);
        return;
    }
    const std::string_view piece =
        std::string_view(identity_.metadata)
            .substr(std::size_t{msg->piece} * kMetadataPieceSize, length);
    trace(p.key, "send metadata data piece " + std::to_string(msg->piece) + " (" +
                     std::to_string(length) + " bytes)");
    send(p, encode_extended(*p.ut_metadata, encode_metadata_data(msg->piece, total, piece)), now);
}

void TorrentSession::on_message(Peer& p, const WireMessage& m, TimePoint now) {
    if (m.type != MessageType::piece && m.type != MessageType::extended) {
        trace(p.key, "recv " + describe(m));
    }
    switch (m.type) {
        case MessageType::keep_alive:
        case MessageType::port:
        case MessageType::suggest:
        case MessageType::allowed_fast:
        case MessageType::unknown:
            return;
        case MessageType::extended:
            on_extended(p, m, now);
            return;
        case MessageType::choke:
            p.peer_choking = true;
            picker_.release_all(p.key);  // without BEP 6 a choke drops our requests
            return;
        case MessageType::unchoke:
            p.peer_choking = false;
            return;
        case MessageType::interested:
            if (!p.peer_interested) {
                p.peer_interested = true;
                choker_.round_now(now);
            }
            return;
        case MessageType::not_interested:
            p.peer_interested = false;
            p.requests_in.clear();
            choker_.round_now(now);
            return;
        case MessageType::have:
            if (m.index >= picker_.piece_count()) {
                close(p, "have of piece " + std::to_string(m.index) + " out of range");
                return;
            }
            if (picker_.peer_have(p.key, m.index)) {
                ++p.pieces;
            }
            p.is_seed = p.pieces == picker_.piece_count();
            update_interest(p, now);
            return;
        case MessageType::bitfield:
        case MessageType::have_all:
        case MessageType::have_none: {
            // BEP 3 puts the bitfield first, but some clients (aria2) send another later with
            // what they have by then: it replaces the first.
            if (m.type == MessageType::bitfield) {
                auto bits = Bitfield::from_wire(m.payload, picker_.piece_count());
                if (!bits) {
                    close(p, "bad bitfield: " + bits.error().message);
                    return;
                }
                picker_.peer_bitfield(p.key, *bits);
                p.pieces = static_cast<std::uint32_t>(bits->count());
            } else if (m.type == MessageType::have_all) {
                picker_.peer_have_all(p.key);
                p.pieces = picker_.piece_count();
            } else {
                picker_.peer_have_none(p.key);
                p.pieces = 0;
            }
            p.is_seed = p.pieces == picker_.piece_count();
            if (p.is_seed && picker_.complete()) {
                close(p, "both are seeds");
                return;
            }
            update_interest(p, now);
            return;
        }
        case MessageType::request: {
            if (p.am_choking) {
                return;  // BEP 3: requests while choked are dropped
            }
            const bool valid = m.index < picker_.piece_count() && picker_.have().get(m.index) &&
                               m.length > 0 && m.length <= kBlockSize &&
                               static_cast<std::uint64_t>(m.begin) + m.length <=
                                   identity_.layout.piece_size(m.index);
            if (!valid) {
                close(p, "request for data we cannot give: " + describe(m));
                return;
            }
            if (p.requests_in.size() >= limits_.max_peer_requests) {
                close(p, "more than " + std::to_string(limits_.max_peer_requests) +
                             " requests queued (a flood)");
                return;
            }
            p.requests_in.push_back({m.index, m.begin, m.length});
            return;
        }
        case MessageType::cancel:
            std::erase(p.requests_in, BlockRequest{m.index, m.begin, m.length});
            return;
        case MessageType::reject:
            picker_.release(p.key, {m.index, m.begin, m.length});
            return;
        case MessageType::piece:
            on_piece(p, m, now);
            return;
    }
}

void TorrentSession::on_piece(Peer& p, const WireMessage& m, TimePoint now) {
    const BlockRequest block{m.index, m.begin, static_cast<std::uint32_t>(m.payload.size())};
    const BlockOutcome outcome = picker_.block_received(p.key, block);
    if (!outcome.accepted) {
        trace(p.key, "recv " + describe(m) + ": not requested, dropped");
        return;
    }
    trace(p.key, "recv " + describe(m));
    p.last_block = now;
    p.snubbed = false;
    p.down.add(block.length, now);
    down_.add(block.length, now);
    downloaded_ += block.length;
    Gathering& g = gathering_[block.piece];
    if (g.data.empty()) {
        g.data.resize(identity_.layout.piece_size(block.piece));
        g.from.assign((g.data.size() + kBlockSize - 1) / kBlockSize, 0);
    }
    std::memcpy(g.data.data() + block.begin, m.payload.data(), m.payload.size());
    g.from[block.begin / kBlockSize] = p.key;
    for (const CancelRequest& c : outcome.cancels) {
        if (Peer* other = find(c.peer)) {
            send(*other, encode_cancel(c.block.piece, c.block.begin, c.block.length), now);
            trace(c.peer, "send cancel piece " + std::to_string(c.block.piece) + " offset " +
                              std::to_string(c.block.begin) + " (endgame duplicate)");
        }
    }
    if (outcome.piece_complete) {
        piece_complete(block.piece, now);
    }
}

void TorrentSession::ban(PeerKey key, const std::string& address, const std::string& why) {
    banned_.push_back(peer_host(address));
    if (Peer* p = find(key)) {
        close(*p, why + ": banned");
    }
}

// A lone contributor is the culprit. Of several, each block is remembered with its hash and
// its giver, to be judged when the piece passes (judge_suspects); a peer in too many failed
// pieces is banned all the same.
void TorrentSession::piece_failed(std::uint32_t piece, const Gathering& g) {
    const std::vector<PeerKey> contributors = picker_.piece_failed(piece);
    trace(0, "piece " + std::to_string(piece) + " failed its SHA-1 check");
    const std::string why =
        "sent data that failed the hash check of piece " + std::to_string(piece);
    if (contributors.size() == 1) {
        if (Peer* p = find(contributors.front())) {
            ban(p->key, p->address, why);
        }
        return;
    }
    std::vector<SuspectBlock>& suspects = suspects_[piece];
    const std::size_t blocks = g.from.size();
    for (std::size_t i = 0; i < blocks && suspects.size() < 4 * blocks; ++i) {
        const Peer* p = find(g.from[i]);
        if (p == nullptr) {
            continue;
        }
        const auto begin = static_cast<std::uint32_t>(i * kBlockSize);
        const std::string_view bytes = std::string_view(g.data).substr(begin, kBlockSize);
        suspects.push_back({begin, p->key, p->address, sha1(bytes)});
    }
    for (PeerKey key : contributors) {
        Peer* p = find(key);
        if (p != nullptr && ++p->bad_pieces >= limits_.bad_pieces_to_ban) {
            ban(key, p->address, why + " (and " + std::to_string(p->bad_pieces - 1) + " more)");
        }
    }
}

void TorrentSession::judge_suspects(std::uint32_t piece, std::string_view good) {
    auto node = suspects_.extract(piece);
    if (node.empty()) {
        return;
    }
    for (const SuspectBlock& s : node.mapped()) {
        if (sha1(good.substr(s.begin, kBlockSize)) != s.hash && !banned(s.address)) {
            trace(0, "piece " + std::to_string(piece) + " passed: the block at " +
                         std::to_string(s.begin) + " that " + s.address + " sent was wrong");
            ban(s.peer, s.address,
                "sent a wrong block of piece " + std::to_string(piece) + " (found when it passed)");
        }
    }
}

void TorrentSession::piece_complete(std::uint32_t piece, TimePoint now) {
    auto node = gathering_.extract(piece);
    if (node.empty()) {
        picker_.piece_failed(piece);  // no bytes to check: fetch it again
        return;
    }
    const Gathering& g = node.mapped();
    const std::string& data = g.data;
    if (sha1(data) != identity_.piece_hashes[piece]) {
        piece_failed(piece, g);
        return;
    }
    judge_suspects(piece, data);
    if (auto failed = store_.write_piece(piece, data)) {
        failed_ = true;
        actions_.push_back(
            {TorrentAction::Kind::error, 0, piece,
             "cannot store piece " + std::to_string(piece) + ": " + failed->message});
        for (auto& [key, p] : peers_) {
            close(p, "the download stopped: the disk refused a piece");
        }
        return;
    }
    picker_.piece_passed(piece);
    have_bytes_ += identity_.layout.piece_size(piece);
    actions_.push_back({TorrentAction::Kind::piece_written, 0, piece, {}});
    const std::string have = encode_have(piece);
    for (auto& [key, p] : peers_) {
        if (!p.closing && p.handshake_done) {
            send(p, have, now);
            trace(key, "send have " + std::to_string(piece));
            update_interest(p, now);
        }
    }
    if (picker_.complete() && !announced_complete_) {
        announced_complete_ = true;
        actions_.push_back({TorrentAction::Kind::complete, 0, 0, {}});
        trace(0, "download complete: every piece verified and stored");
        for (auto& [key, p] : peers_) {
            if (!p.closing && p.is_seed) {
                close(p, "both are seeds");
            }
        }
    }
}

void TorrentSession::update_interest(Peer& p, TimePoint now) {
    const bool want = !picker_.complete() && picker_.interesting(p.key);
    if (want == p.am_interested) {
        return;
    }
    p.am_interested = want;
    send(p, want ? encode_interested() : encode_not_interested(), now);
    trace(p.key, want ? "send interested (it has pieces we lack)"
                      : "send not interested (it has nothing we lack)");
}

void TorrentSession::request_more(Peer& p, TimePoint now) {
    if (p.peer_choking || !p.am_interested || !p.handshake_done || failed_) {
        return;
    }
    const std::size_t out = picker_.outstanding(p.key);
    const double queue_seconds = std::chrono::duration<double>(limits_.request_queue_time).count();
    const std::size_t most = std::max<std::size_t>(
        1, p.reqq ? std::min<std::size_t>(*p.reqq, limits_.pipeline) : limits_.pipeline);
    const auto depth = std::clamp<std::size_t>(
        static_cast<std::size_t>(p.down.rate(now) * queue_seconds / kBlockSize),
        std::min(limits_.min_pipeline, most), most);
    if (out >= depth) {
        return;
    }
    std::size_t room = depth - out;
    // Each request reserves its bytes from the buckets: d_i and the torrent's cap hold
    // without stopping the socket.
    if (!down_bucket_.unlimited() || !p.down_bucket.unlimited()) {
        room = std::min<std::size_t>(
            room, std::min(down_bucket_.available(now), p.down_bucket.available(now)) / kBlockSize);
    }
    if (room == 0) {
        return;
    }
    std::string batch;
    for (const PickedBlock& picked : picker_.pick(p.key, room)) {
        const BlockRequest& b = picked.block;
        down_bucket_.try_take(b.length, now);
        p.down_bucket.try_take(b.length, now);
        batch += encode_request(b.piece, b.begin, b.length);
        trace(p.key, "send request piece " + std::to_string(b.piece) + " offset " +
                         std::to_string(b.begin) + " (" + to_string(picked.reason) + ")");
    }
    if (!batch.empty()) {
        if (out == 0) {
            p.last_block = now;  // the request timeout counts from the first request
        }
        send(p, std::move(batch), now);
    }
}

// Answers the peer's queued requests, at most `most` blocks; how many were sent.
std::size_t TorrentSession::serve(Peer& p, TimePoint now, std::size_t most) {
    std::size_t served = 0;
    while (served < most && !p.requests_in.empty() && !p.am_choking &&
           p.unflushed < limits_.unflushed_mark) {
        const BlockRequest b = p.requests_in.front();
        if (up_bucket_.available(now) < b.length || p.up_bucket.available(now) < b.length) {
            return served;  // the next tick serves it
        }
        auto bytes = store_.read(b.piece, b.begin, b.length);
        if (!bytes || bytes->size() != b.length) {
            close(p, "cannot read piece " + std::to_string(b.piece) + " to serve it");
            return served;
        }
        p.requests_in.pop_front();
        up_bucket_.try_take(b.length, now);
        p.up_bucket.try_take(b.length, now);
        p.up.add(b.length, now);
        up_.add(b.length, now);
        uploaded_ += b.length;
        trace(p.key, "send piece " + std::to_string(b.piece) + " offset " +
                         std::to_string(b.begin) + " (" + std::to_string(b.length) + " bytes)");
        send(p, encode_piece(b.piece, b.begin, *bytes), now);
        ++served;
    }
    return served;
}

void TorrentSession::serve_now(Peer& p, TimePoint now) {
    // Under a torrent-wide upload cap, the tokens are shared out at the tick, a block per
    // peer in turn; served here, they would go to whichever peer spoke first.
    if (up_bucket_.unlimited()) {
        serve(p, now);
    }
}

void TorrentSession::flushed(PeerKey key, std::size_t bytes, TimePoint now) {
    if (Peer* p = find(key)) {
        p->unflushed -= std::min(bytes, p->unflushed);
        serve_now(*p, now);
    }
}

void TorrentSession::peer_closed(PeerKey key, TimePoint now) {
    const auto it = peers_.find(key);
    if (it == peers_.end()) {
        return;
    }
    picker_.peer_gone(key);
    const bool was_unchoked = !it->second.am_choking;
    peers_.erase(it);
    if (was_unchoked) {
        choker_.round_now(now);  // its slot is free
    }
}

void TorrentSession::choke_round(TimePoint now) {
    std::vector<ChokePeer> views;
    for (const auto& [key, p] : peers_) {
        if (p.closing || !p.handshake_done) {
            continue;
        }
        views.push_back(
            {key, p.peer_interested, p.down.rate(now), p.up.rate(now), p.connected_at, p.snubbed});
    }
    const ChokeRound round = choker_.tick(views, picker_.complete(), now, random_);
    for (const ChokeDecision& d : round.decisions) {
        Peer* p = find(d.key);
        if (p == nullptr) {
            continue;
        }
        const bool unchoke = d.action == ChokeAction::unchoke;
        if (unchoke == !p->am_choking) {
            continue;
        }
        p->am_choking = !unchoke;
        if (!unchoke) {
            p->requests_in.clear();  // BEP 3: a choke discards what the peer asked
        }
        send(*p, unchoke ? encode_unchoke() : encode_choke(), now);
        trace(d.key, std::string(unchoke ? "send unchoke: " : "send choke: ") + d.reason);
    }
}

void TorrentSession::check_timeouts(TimePoint now) {
    for (auto& [key, p] : peers_) {
        if (p.closing) {
            continue;
        }
        if (!p.handshake_done && now - p.connected_at > limits_.handshake_timeout) {
            close(p, "no handshake in time");
        } else if (now - p.last_received > limits_.idle_timeout) {
            close(p, "silent for too long");
        } else if (picker_.outstanding(key) > 0 && now - p.last_block > limits_.request_timeout) {
            // Snubbed: its requests go to other peers, and the choker stops counting on it.
            p.snubbed = true;
            picker_.release_all(key);
            trace(key, "no block for " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                              limits_.request_timeout)
                                              .count()) +
                           " s: requests released (snubbed)");
        } else if (p.handshake_done && now - p.last_sent > limits_.keep_alive) {
            send(p, encode_keep_alive(), now);
        }
    }
}

void TorrentSession::tick(TimePoint now) {
    check_timeouts(now);
    choke_round(now);
    for (auto& [key, p] : peers_) {
        if (!p.closing) {
            request_more(p, now);
        }
    }
    // Upload tokens that gathered since the last tick go round the peers a block at a time,
    // each tick starting after where the last one started, so that each unchoked peer gets
    // its share of a capped upload.
    if (peers_.empty()) {
        return;
    }
    auto start = peers_.upper_bound(serve_from_);
    if (start == peers_.end()) {
        start = peers_.begin();
    }
    serve_from_ = start->first;
    for (bool any = true; any;) {
        any = false;
        auto it = start;
        do {
            if (!it->second.closing && serve(it->second, now, 1) > 0) {
                any = true;
            }
            if (++it == peers_.end()) {
                it = peers_.begin();
            }
        } while (it != start);
    }
}

std::vector<TorrentAction> TorrentSession::take_actions() {
    std::vector<TorrentAction> out;
    out.swap(actions_);
    return out;
}

DownloadStats TorrentSession::stats(TimePoint now) const {
    DownloadStats s;
    s.piece_count = picker_.piece_count();
    s.pieces_have = static_cast<std::uint32_t>(picker_.have().count());
    s.bytes_left = identity_.layout.total_length - have_bytes_;
    s.downloaded = downloaded_;
    s.uploaded = uploaded_;
    s.download_rate = down_.rate(now);
    s.upload_rate = up_.rate(now);
    for (const auto& [key, p] : peers_) {
        if (!p.closing && p.handshake_done) {
            ++s.peers;
            s.seeds += p.is_seed ? 1 : 0;
        }
    }
    return s;
}

std::vector<PeerStats> TorrentSession::peers(TimePoint now) const {
    std::vector<PeerStats> out;
    for (const auto& [key, p] : peers_) {
        if (p.closing || !p.handshake_done) {
            continue;
        }
        out.push_back({key, p.address, client_name(p.id), p.am_choking, p.am_interested,
                       p.peer_choking, p.peer_interested, p.down.rate(now), p.up.rate(now),
                       p.pieces});
    }
    return out;
}

bool TorrentSession::banned(const std::string& address) const {
    return std::find(banned_.begin(), banned_.end(), peer_host(address)) != banned_.end();
}

std::string client_name(const PeerId& id) {
    // Azureus style: '-', two letters, four version characters, '-'.
    if (id[0] != '-' || id[7] != '-') {
        return {};
    }
    static const std::map<std::string, std::string> names = {
        {"TR", "Transmission"}, {"LT", "libtorrent"}, {"lt", "libTorrent (rakshasa)"},
        {"qB", "qBittorrent"},  {"AR", "aria2"},      {"WW", "WebTorrent"},
        {"DE", "Deluge"},       {"UT", "µTorrent"},   {"L7", "l7"}};
    const std::string code{static_cast<char>(id[1]), static_cast<char>(id[2])};
    const auto it = names.find(code);
    if (it == names.end()) {
        return {};
    }
    // Each client spells its version its own way in the four characters: shown as they are.
    std::string version;
    for (int i = 3; i < 7; ++i) {
        const char c = static_cast<char>(id[i]);
        version += (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ? c : '.';
    }
    return it->second + " " + version;
}

}  // namespace l7::p2p
