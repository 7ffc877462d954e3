#pragma once
// A magnet link's first step, sans-I/O: fetch the torrent's info dictionary from peers by
// metadata exchange (BEP 9 over the extension protocol, BEP 10) and check it against the
// info-hash the link names. Pieces come after, in a TorrentSession made from what this
// returns (the driver reconnects; a peer that gave metadata is the first one dialled).
//
// Each peer is asked for one 16 KiB metadata piece at a time, each piece of one peer at a
// time; a reject or a request unanswered in time moves the piece to another peer. Peers
// must agree on the size: the first size heard is the one fetched, and peers saying
// another are not asked. When the whole dictionary fails its SHA-1, every peer that gave a
// piece of it is dropped (a lone giver banned) and the fetch starts over from the others.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "p2p/extension.hpp"
#include "p2p/swarm_protocol.hpp"
#include "p2p/types.hpp"
#include "p2p/wire.hpp"

namespace l7::p2p {

struct MetadataLimits {
    std::size_t max_peers = 50;
    Duration handshake_timeout = std::chrono::seconds(20);
    Duration request_timeout = std::chrono::seconds(20);  // for one metadata piece
    // No extended handshake with ut_metadata after this long: the peer cannot help.
    Duration extension_timeout = std::chrono::seconds(20);
    Duration idle_timeout = std::chrono::minutes(2);
    Duration refusal_wait = std::chrono::seconds(5);  // before asking a refusing peer again
    std::uint32_t max_refusals = 8;                   // then it is closed
};

class MetadataSession final : public SwarmProtocol {
  public:
    MetadataSession(InfoHash info_hash, PeerId peer_id, MetadataLimits limits, TimePoint now);

    std::optional<PeerKey> add_peer(bool outgoing, std::string address, TimePoint now) override;
    void receive(PeerKey peer, std::string_view bytes, TimePoint now) override;
    void flushed(PeerKey, std::size_t, TimePoint) override {}
    void peer_closed(PeerKey peer, TimePoint now) override;
    void tick(TimePoint now) override;
    std::vector<TorrentAction> take_actions() override;

    bool complete() const override { return !metadata_.empty(); }
    // pieces_have/piece_count: metadata pieces (0 of 0 until a peer names the size);
    // bytes_left is never 0 (the file's pieces are still to come).
    DownloadStats stats(TimePoint now) const override;
    bool banned(const std::string& address) const override;
    void set_trace(bool on) override { trace_ = on; }

    // The verified info dictionary (empty until complete).
    const std::string& metadata() const { return metadata_; }
    // The peers that gave pieces of it: good ones to fetch the data from next.
    const std::vector<std::string>& givers() const { return givers_; }
    // The addresses (without port) of peers that gave metadata not matching the info-hash.
    const std::vector<std::string>& banned_hosts() const { return banned_; }

  private:
    struct Peer {
        Peer(PeerKey k, std::string addr, WireDecoder d)
            : key(k), address(std::move(addr)), decoder(std::move(d)) {}

        PeerKey key = 0;
        std::string address;
        WireDecoder decoder;
        bool handshake_sent = false, handshake_done = false, extended_seen = false;
        std::optional<std::uint8_t> ut_metadata;  // the id it takes our requests under
        std::optional<std::uint32_t> metadata_size;
        std::optional<std::uint32_t> asked;  // the piece requested of it
        TimePoint connected_at{}, last_received{}, asked_at{};
        // Pieces it rejected or did not send in time, and when it may be asked again (a peer
        // may reject while busy); past kMaxRefusals it is closed.
        std::map<std::uint32_t, TimePoint> refused;
        std::uint32_t refusals = 0;
        bool closing = false;
    };

    Peer* find(PeerKey key);
    void send(Peer& p, std::string bytes);
    void close(Peer& p, const std::string& why);
    void trace(PeerKey peer, std::string line);
    void send_handshake(Peer& p);
    void on_message(Peer& p, const WireMessage& m, TimePoint now);
    void on_extended_handshake(Peer& p, std::string_view payload);
    void on_metadata(Peer& p, std::string_view payload, TimePoint now);
    void on_data(Peer& p, const MetadataMessage& msg);
    void refuse(Peer& p, std::uint32_t piece, TimePoint now);
    void check_whole();
    void ask(TimePoint now);
    void start_over();

    InfoHash info_hash_;
    PeerId peer_id_;
    MetadataLimits limits_;
    std::map<PeerKey, Peer> peers_;
    std::optional<std::uint32_t> size_;  // of the dictionary being fetched
    std::vector<std::string> pieces_;    // by index; empty: not yet received
    std::vector<PeerKey> sources_;       // who gave each piece
    std::uint32_t received_ = 0;
    std::string metadata_;
    std::vector<std::string> givers_;
    std::vector<std::string> banned_;
    std::uint64_t downloaded_ = 0;
    PeerKey next_key_ = 1;
    std::vector<TorrentAction> actions_;
    bool trace_ = false;
};

}  // namespace l7::p2p
