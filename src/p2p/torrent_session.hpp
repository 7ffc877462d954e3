#pragma once
// One torrent's swarm as seen from one client, sans-I/O: every peer connection's protocol
// (BEP 3), the piece picker, the choker, hash checks and rate limits. The driver hands it a
// connection's bytes, a closed connection, the time, and bytes it finished writing; it
// answers with actions: bytes to send to a peer, a connection to close, a piece now on
// disk, the download complete, and trace lines (each decoded message and each choke
// decision with its reason) for --trace.
//
// The data: blocks of a piece are gathered in memory until the piece is complete, checked
// against its SHA-1 from the metainfo, and only then written through the PieceStore, so
// nothing unchecked reaches the disk and a "have" is sent only for a piece written.
// Requests we serve are read through the PieceStore too.
//
// Rate limits are token buckets taken from when a request is sent (download: each request
// reserves its block's bytes, so d_i holds without stopping the socket) and when a block is
// served (upload: u_i). A block is served only when the peer's unflushed bytes are below a
// mark, so a slow reader cannot make us queue a whole torrent in memory.

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "p2p/bitfield.hpp"
#include "p2p/choker.hpp"
#include "p2p/metainfo.hpp"
#include "p2p/picker.hpp"
#include "p2p/rate.hpp"
#include "p2p/swarm_protocol.hpp"
#include "p2p/types.hpp"
#include "p2p/wire.hpp"

namespace l7::p2p {

// Where verified pieces go and served blocks come from (files on disk; memory in tests).
class PieceStore {
  public:
    virtual ~PieceStore() = default;
    // The bytes of a stretch of a piece we have; an error when they cannot be read.
    virtual Result<std::string> read(std::uint32_t piece, std::uint32_t begin,
                                     std::uint32_t length) = 0;
    // Writes a whole, verified piece; nullopt once it is stored, else why not.
    virtual std::optional<Error> write_piece(std::uint32_t piece, std::string_view data) = 0;
};

struct TorrentLimits {
    std::size_t max_peers = 50;
    // Requests outstanding per peer at most (16 KiB each; 2 MiB in flight keeps loopback
    // and fast links busy), and never more than the peer says it queues (BEP 10 "reqq").
    std::size_t pipeline = 128;
    // Within that, a peer is sent about this much time's worth of what it delivers (at least
    // min_pipeline): requests reserve download tokens, and a slow peer holding many would
    // keep them from a fast one.
    Duration request_queue_time = std::chrono::seconds(1);
    std::size_t min_pipeline = 4;
    // Requests from one peer we queue (and announce as our "reqq"); more is a flood.
    // libtorrent sends up to 500 by default.
    std::size_t max_peer_requests = 500;
    std::size_t unflushed_mark = 256 * 1024;  // serve a block only below this many bytes
    std::uint64_t download_rate = 0;          // bytes/s for the whole torrent, 0 = unlimited
    std::uint64_t upload_rate = 0;
    std::uint64_t peer_download_rate = 0;  // per peer
    std::uint64_t peer_upload_rate = 0;
    // The buckets' depth in bytes (0: one second's worth). An experiment wants it small, so
    // that a start with a full bucket does not beat the rate.
    std::uint64_t rate_burst = 0;
    Duration handshake_timeout = std::chrono::seconds(20);
    Duration request_timeout = std::chrono::seconds(30);  // no block while requests are out
    Duration idle_timeout = std::chrono::minutes(3);      // nothing at all from the peer
    Duration keep_alive = std::chrono::seconds(90);       // send one after this much silence
    // A peer that gave blocks to this many pieces that failed their hash, alongside other
    // peers, is banned even if no later pass names it (the smart ban below usually does).
    std::uint32_t bad_pieces_to_ban = 8;
    // Tit-for-tat's clock (10 s rounds, 30 s optimistic unchokes) and the window rates are
    // measured over: a time-scaled experiment shortens them with the file.
    ChokerConfig choker;
    Duration rate_window = std::chrono::seconds(20);
};

struct TorrentIdentity {
    InfoHash info_hash{};
    PeerId peer_id{};  // ours
    PieceLayout layout;
    std::vector<Sha1> piece_hashes;  // one per piece
    // The info dictionary's bytes, served to peers that fetch it by a magnet link (BEP 9);
    // empty: we do not offer it.
    std::string metadata;
};

// The identity of the torrent `info` describes, for a client with `peer_id` (and its info
// dictionary offered to magnet-link peers).
TorrentIdentity identity_for(const TorrentInfo& info, const PeerId& peer_id);

struct PeerStats {
    PeerKey key = 0;
    std::string address;
    std::string client;  // from the peer id ("-TR3000-" → Transmission 3.00), or empty
    bool am_choking = true, am_interested = false;
    bool peer_choking = true, peer_interested = false;
    double download_rate = 0, upload_rate = 0;
    std::uint32_t pieces = 0;  // the peer has
};

class TorrentSession final : public SwarmProtocol {
  public:
    // `have`: the pieces already verified on disk (a resume's re-check); empty for none.
    TorrentSession(TorrentIdentity identity, PieceStore& store, TorrentLimits limits, Random random,
                   TimePoint now, Bitfield have = {});

    std::optional<PeerKey> add_peer(bool outgoing, std::string address, TimePoint now) override;
    void receive(PeerKey peer, std::string_view bytes, TimePoint now) override;
    void flushed(PeerKey peer, std::size_t bytes, TimePoint now) override;
    void peer_closed(PeerKey peer, TimePoint now) override;
    // Choking rounds, timeouts, keep-alives and rate-limited work.
    void tick(TimePoint now) override;
    std::vector<TorrentAction> take_actions() override;

    bool complete() const override { return picker_.complete(); }
    const Bitfield& have() const { return picker_.have(); }
    DownloadStats stats(TimePoint now) const override;
    std::vector<PeerStats> peers(TimePoint now) const;
    bool banned(const std::string& address) const override;
    void set_trace(bool on) override { trace_ = on; }

  private:
    struct Peer {
        Peer(PeerKey k, std::string addr, bool out, WireDecoder d)
            : key(k), address(std::move(addr)), outgoing(out), decoder(std::move(d)) {}

        PeerKey key = 0;
        std::string address;
        bool outgoing = false;
        WireDecoder decoder;
        bool handshake_sent = false;
        bool handshake_done = false;
        PeerId id{};
        bool am_choking = true, am_interested = false;
        bool peer_choking = true, peer_interested = false;
        bool snubbed = false;
        std::uint32_t pieces = 0;
        bool is_seed = false;
        std::deque<BlockRequest> requests_in;  // asked of us, not yet served
        std::size_t unflushed = 0;
        TimePoint connected_at{}, last_received{}, last_sent{}, last_block{};
        RateMeter down, up;
        TokenBucket down_bucket, up_bucket;
        std::uint32_t bad_pieces = 0;
        bool closing = false;
        // BEP 10: the id the peer wants ut_metadata messages under, from its handshake.
        std::optional<std::uint8_t> ut_metadata;
        std::optional<std::uint32_t> reqq;  // how many requests it queues, if it said
    };
    struct Gathering {  // a piece's blocks until it is complete
        std::string data;
        std::vector<PeerKey> from;  // who gave each block
    };
    // A block of a piece that failed its hash, given by a peer among others: when the piece
    // later passes, a block that differs from the good one names the liar (a "smart ban").
    struct SuspectBlock {
        std::uint32_t begin = 0;
        PeerKey peer = 0;
        std::string address;
        Sha1 hash{};
    };

    Peer* find(PeerKey key);
    void send(Peer& p, std::string bytes, TimePoint now);
    void close(Peer& p, const std::string& why);
    void trace(PeerKey peer, std::string line);
    void on_handshake(Peer& p, TimePoint now);
    void on_message(Peer& p, const WireMessage& m, TimePoint now);
    void on_piece(Peer& p, const WireMessage& m, TimePoint now);
    void on_extended(Peer& p, const WireMessage& m, TimePoint now);
    void send_extended_handshake(Peer& p, TimePoint now);
    void piece_complete(std::uint32_t piece, TimePoint now);
    void piece_failed(std::uint32_t piece, const Gathering& g);
    void judge_suspects(std::uint32_t piece, std::string_view good);
    void ban(PeerKey key, const std::string& address, const std::string& why);
    void update_interest(Peer& p, TimePoint now);
    void request_more(Peer& p, TimePoint now);
    std::size_t serve(Peer& p, TimePoint now,
                      std::size_t most = std::numeric_limits<std::size_t>::max());
    void serve_now(Peer& p, TimePoint now);
    void choke_round(TimePoint now);
    void check_timeouts(TimePoint now);

    TorrentIdentity identity_;
    PieceStore& store_;
    TorrentLimits limits_;
    Random random_;
    PiecePicker picker_;
    Choker choker_;
    std::map<PeerKey, Peer> peers_;
    std::map<std::uint32_t, Gathering> gathering_;
    std::map<std::uint32_t, std::vector<SuspectBlock>> suspects_;
    std::vector<std::string> banned_;  // addresses (without the port) of peers sent bad data
    TokenBucket down_bucket_, up_bucket_;
    RateMeter down_, up_;
    std::uint64_t downloaded_ = 0, uploaded_ = 0;
    std::uint64_t have_bytes_ = 0;  // of the pieces we have
    PeerKey next_key_ = 1;
    PeerKey serve_from_ = 0;  // the peer the last tick served first
    std::vector<TorrentAction> actions_;
    bool trace_ = false;
    bool announced_complete_ = false;
    bool failed_ = false;
};

// "Transmission 3.00" from "-TR3000-...", "libtorrent 2.0.8"-like names for the common
// Azureus-style ids; empty when unknown.
std::string client_name(const PeerId& id);

}  // namespace l7::p2p
