#include "p2p/metadata_session.hpp"

#include <algorithm>

namespace l7::p2p {
MetadataSession::MetadataSession(InfoHash info_hash, PeerId peer_id, MetadataLimits limits,
                                 TimePoint)
    : info_hash_(info_hash), peer_id_(peer_id), limits_(limits) {}

MetadataSession::Peer* MetadataSession::find(PeerKey key) {
    const auto it = peers_.find(key);
    return it == peers_.end() || it->second.closing ? nullptr : &it->second;
}

void MetadataSession::trace(PeerKey peer, std::string line) {
    if (trace_) {
        actions_.push_back({TorrentAction::Kind::trace, peer, 0, std::move(line)});
    }
}

void MetadataSession::send(Peer& p, std::string bytes) {
    actions_.push_back({TorrentAction::Kind::send, p.key, 0, std::move(bytes)});
}

void MetadataSession::close(Peer& p, const std::string& why) {
    if (!p.closing) {
        p.closing = true;
        actions_.push_back({TorrentAction::Kind::close, p.key, 0, why});
    }
}

std::optional<PeerKey> MetadataSession::add_peer(bool outgoing, std::string address,
                                                 TimePoint now) {
    const auto open = std::count_if(peers_.begin(), peers_.end(),
                                    [](const auto& e) { return !e.second.closing; });
    if (static_cast<std::size_t>(open) >= limits_.max_peers || complete()) {
        return std::nullopt;
    }
    const PeerKey key = next_key_++;
    Peer p(key, std::move(address),
           outgoing ? WireDecoder::initiator(info_hash_) : WireDecoder::receiver());
    p.connected_at = p.last_received = now;
    Peer& stored = peers_.emplace(key, std::move(p)).first->second;
    if (outgoing) {
        send_handshake(stored);
    }
    return key;
}

// Our BEP 3 handshake with the BEP 10 bit; no bitfield, as we have no piece (BEP 3 lets it
// be left out). The extended handshake follows once the peer's shows it speaks BEP 10.
void MetadataSession::send_handshake(Peer& p) {
    if (p.handshake_sent) {
        return;
    }
    p.handshake_sent = true;
    Handshake h;
    h.info_hash = info_hash_;
    h.peer_id = peer_id_;
    h.set_extension_protocol(true);
    trace(p.key, "send handshake");
    send(p, encode_handshake(h));
}

void MetadataSession::receive(PeerKey key, std::string_view bytes, TimePoint now) {
    Peer* p = find(key);
    if (p == nullptr) {
        return;
    }
    p->last_received = now;
    p->decoder.feed(bytes);
    WireMessage m;
    for (;;) {
        p = find(key);
        if (p == nullptr || complete()) {
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
            if (p->decoder.handshake().info_hash != info_hash_) {
                close(*p, "handshake for another torrent");
                return;
            }
            send_handshake(*p);
            continue;
        }
        if (status == WireStatus::handshake) {
            if (p->decoder.handshake().peer_id == peer_id_) {
                close(*p, "connected to ourselves");
                return;
            }
            p->handshake_done = true;
            trace(key, "handshake from " + p->address);
            if (!p->decoder.handshake().extension_protocol()) {
                close(*p, "no extension protocol (BEP 10): it cannot send metadata");
                return;
            }
            ExtendedHandshake ours;
            ours.m.emplace(kUtMetadata, kOurUtMetadataId);
            trace(key, "send extended handshake (" + describe_extended_handshake(ours) + ")");
            send(*p, encode_extended(kExtendedHandshakeId, encode_extended_handshake(ours)));
            continue;
        }
        on_message(*p, m, now);
    }
    ask(now);
}

void MetadataSession::on_message(Peer& p, const WireMessage& m, TimePoint now) {
    if (m.type != MessageType::extended) {
        return;  // bitfields, haves, chokes: for the pieces, which come later
    }
    if (m.extended_id == kExtendedHandshakeId) {
        on_extended_handshake(p, m.payload);
    } else if (m.extended_id == kOurUtMetadataId) {
        on_metadata(p, m.payload, now);
    }
}

void MetadataSession::on_extended_handshake(Peer& p, std::string_view payload) {
    auto h = decode_extended_handshake(payload);
    if (!h) {
        close(p, "bad extended handshake: " + h.error().message);
        return;
    }
    p.extended_seen = true;
    p.ut_metadata = h->extension_id(kUtMetadata);
    p.metadata_size = h->metadata_size;
    trace(p.key, "recv extended handshake (" + describe_extended_handshake(*h) + ")");
    if (!p.ut_metadata || !p.metadata_size) {
        close(p, "it offers no metadata (no ut_metadata or no metadata_size)");
        return;
    }
    if (!size_) {
        // The first size heard is the one fetched; the hash check judges it.
        size_ = *p.metadata_size;
        pieces_.assign(metadata_piece_count(*size_), std::string());
        sources_.assign(pieces_.size(), 0);
        received_ = 0;
    }
}

void MetadataSession::refuse(Peer& p, std::uint32_t piece, TimePoint now) {
    p.asked.reset();
    p.refused[piece] = now + limits_.refusal_wait;
    if (++p.refusals > limits_.max_refusals) {
        close(p, "it refused metadata pieces " + std::to_string(p.refusals) + " times");
    }
}

void MetadataSession::on_metadata(Peer& p, std::string_view payload, TimePoint now) {
    auto msg = decode_metadata_message(payload);
    if (!msg) {
        close(p, "bad ut_metadata message: " + msg.error().message);
        return;
    }
    switch (msg->type) {
        case MetadataMessageType::request:
            // We have nothing to give yet: BEP 9 says to reject.
            trace(p.key, "recv metadata request piece " + std::to_string(msg->piece));
            if (p.ut_metadata) {
                send(p, encode_extended(*p.ut_metadata, encode_metadata_reject(msg->piece)));
            }
            return;
        case MetadataMessageType::reject:
            trace(p.key, "recv metadata reject piece " + std::to_string(msg->piece));
            if (p.asked == msg->piece) {
                refuse(p, msg->piece, now);
            }
            return;
        case MetadataMessageType::data:
            on_data(p, *msg);
            return;
        case MetadataMessageType::unknown:
            return;
    }
}

void MetadataSession::on_data(Peer& p, const MetadataMessage& msg) {
    trace(p.key, "recv metadata data piece " + std::to_string(msg.piece) + " (" +
                     std::to_string(msg.data.size()) + " bytes)");
    if (p.asked != msg.piece) {
        return;  // not asked of it (or asked again of another after a timeout): dropped
    }
    p.asked.reset();
    if (!size_ || msg.total_size != *size_) {
        close(p, "metadata total_size " + std::to_string(msg.total_size) +
                     " differs from the size being fetched");
        return;
    }
    downloaded_ += msg.data.size();
    pieces_[msg.piece] = std::string(msg.data);
    sources_[msg.piece] = p.key;
    ++received_;
    if (received_ == pieces_.size()) {
        check_whole();
    }
}

// BEP 9: the info-hash is the SHA-1 of the whole dictionary; nothing else vouches for it.
void MetadataSession::check_whole() {
    std::string whole;
    whole.reserve(*size_);
    for (const std::string& piece : pieces_) {
        whole += piece;
    }
    std::vector<PeerKey> givers(sources_.begin(), sources_.end());
    std::sort(givers.begin(), givers.end());
    givers.erase(std::unique(givers.begin(), givers.end()), givers.end());
    if (sha1(whole) == info_hash_) {
        metadata_ = std::move(whole);
        for (PeerKey key : givers) {
            if (const auto it = peers_.find(key); it != peers_.end()) {
                givers_.push_back(it->second.address);
            }
        }
        trace(0, "metadata verified: " + std::to_string(metadata_.size()) +
                     " bytes match the info-hash");
        actions_.push_back({TorrentAction::Kind::metadata, 0, 0, metadata_});
        for (auto& [key, p] : peers_) {
            close(p, "metadata complete");
        }
        return;
    }
    trace(0, "metadata failed its SHA-1 check against the info-hash");
    for (PeerKey key : givers) {
        if (Peer* p = find(key)) {
            if (givers.size() == 1) {
                banned_.push_back(peer_host(p->address));
            }
            close(*p, std::string("gave metadata that does not match the info-hash") +
                          (givers.size() == 1 ? ": banned" : ""));
        }
    }
    start_over();
}

// Forget the size and the pieces; the size comes again from a peer still connected that
// offers metadata.
void MetadataSession::start_over() {
    size_.reset();
    pieces_.clear();
    sources_.clear();
    received_ = 0;
    for (auto& [key, p] : peers_) {
        p.asked.reset();
        p.refused.clear();
        if (!p.closing && p.metadata_size && !size_) {
            size_ = *p.metadata_size;
            pieces_.assign(metadata_piece_count(*size_), std::string());
            sources_.assign(pieces_.size(), 0);
        }
    }
}

void MetadataSession::ask(TimePoint now) {
    if (!size_ || complete()) {
        return;
    }
    std::vector<bool> in_flight(pieces_.size(), false);
    for (const auto& [key, p] : peers_) {
        if (!p.closing && p.asked && *p.asked < in_flight.size()) {
            in_flight[*p.asked] = true;
        }
    }
    for (auto& [key, p] : peers_) {
        if (p.closing || p.asked || !p.ut_metadata || p.metadata_size != size_) {
            continue;
        }
        for (std::uint32_t i = 0; i < pieces_.size(); ++i) {
            const auto refused = p.refused.find(i);
            if (pieces_[i].empty() && !in_flight[i] &&
                (refused == p.refused.end() || now >= refused->second)) {
                p.asked = i;
                p.asked_at = now;
                in_flight[i] = true;
                trace(key, "send metadata request piece " + std::to_string(i));
                send(p, encode_extended(*p.ut_metadata, encode_metadata_request(i)));
                break;
            }
        }
    }
}

void MetadataSession::peer_closed(PeerKey key, TimePoint now) {
    peers_.erase(key);
    ask(now);  // its piece goes to another peer
}

void MetadataSession::tick(TimePoint now) {
    for (auto& [key, p] : peers_) {
        if (p.closing) {
            continue;
        }
        if (!p.handshake_done && now - p.connected_at > limits_.handshake_timeout) {
            close(p, "no handshake in time");
        } else if (!p.extended_seen && now - p.connected_at > limits_.extension_timeout) {
            close(p, "no extended handshake in time");
        } else if (now - p.last_received > limits_.idle_timeout) {
            close(p, "silent for too long");
        } else if (p.asked && now - p.asked_at > limits_.request_timeout) {
            trace(key, "no answer for metadata piece " + std::to_string(*p.asked) +
                           ": asking another peer");
            refuse(p, *p.asked, now);
        }
    }
    ask(now);
}

std::vector<TorrentAction> MetadataSession::take_actions() {
    std::vector<TorrentAction> out;
    out.swap(actions_);
    return out;
}

DownloadStats MetadataSession::stats(TimePoint) const {
    DownloadStats s;
    s.piece_count = static_cast<std::uint32_t>(pieces_.size());
    s.pieces_have = complete() ? s.piece_count : received_;
    // What a tracker hears as "left" while the pieces are still to come: never 0, which
    // would say "completed" (and trackers give a seed no seeds).
    const std::uint64_t fetched = std::uint64_t{received_} * kMetadataPieceSize;
    s.bytes_left = size_ && fetched < *size_ ? *size_ - fetched : kMetadataPieceSize;
    s.downloaded = downloaded_;
    for (const auto& [key, p] : peers_) {
        if (!p.closing && p.handshake_done) {
            ++s.peers;
        }
    }
    return s;
}

bool MetadataSession::banned(const std::string& address) const {
    return std::find(banned_.begin(), banned_.end(), peer_host(address)) != banned_.end();
}

}  // namespace l7::p2p
