#pragma once
// What a driver (asio/torrent_client.hpp) sees of a swarm's protocol, sans-I/O: it hands over
// connections, their bytes, the time and what it flushed, and carries out the actions it gets
// back. Two protocols speak it: TorrentSession (pieces of a torrent we know) and
// MetadataSession (a magnet link's info dictionary, fetched before the pieces).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "p2p/bitfield.hpp"

namespace l7::p2p {

struct DownloadStats {
    std::uint32_t pieces_have = 0, piece_count = 0;
    std::uint64_t bytes_left = 0;
    std::uint64_t downloaded = 0, uploaded = 0;  // payload bytes, this session
    double download_rate = 0, upload_rate = 0;
    std::size_t peers = 0, seeds = 0;
};

struct TorrentAction {
    enum class Kind {
        send,           // bytes to the peer
        close,          // close the peer's connection (text: why)
        piece_written,  // piece `piece` verified and stored
        complete,       // every piece verified and stored
        metadata,       // the info dictionary, verified against the info-hash (text: its bytes)
        trace,          // a line for --trace about the peer (0: the torrent)
        error,          // the store failed: the download cannot go on (text: why)
    };
    Kind kind = Kind::trace;
    PeerKey peer = 0;
    std::uint32_t piece = 0;
    std::string text;  // send: the bytes; close/trace/error: the sentence; metadata: the dictionary
};

class SwarmProtocol {
  public:
    virtual ~SwarmProtocol() = default;

    // A new connection. Ours (`outgoing`) sends the handshake at once; a peer's is answered
    // once its handshake names this torrent. Nullopt when the peer limit is reached (the
    // driver closes it).
    virtual std::optional<PeerKey> add_peer(bool outgoing, std::string address, TimePoint now) = 0;
    // Bytes read from the peer.
    virtual void receive(PeerKey peer, std::string_view bytes, TimePoint now) = 0;
    // The driver wrote `bytes` of what was sent to the peer.
    virtual void flushed(PeerKey peer, std::size_t bytes, TimePoint now) = 0;
    // The connection ended (the peer closed, an error, or after a close action).
    virtual void peer_closed(PeerKey peer, TimePoint now) = 0;
    // Timeouts, choking rounds and work that waited: call every ~100 ms.
    virtual void tick(TimePoint now) = 0;
    // What to do, in order; the queue is emptied.
    virtual std::vector<TorrentAction> take_actions() = 0;

    // Nothing more to fetch (every piece, or the metadata).
    virtual bool complete() const = 0;
    virtual DownloadStats stats(TimePoint now) const = 0;
    // An address already banned, or ours: the driver need not connect to it again.
    virtual bool banned(const std::string& address) const = 0;
    virtual void set_trace(bool on) = 0;
};

// The host part of a peer's "ADDR:PORT" or "[V6]:PORT": bans hold for an address, whatever
// port the peer comes from next.
inline std::string peer_host(std::string_view address) {
    const auto colon = address.rfind(':');
    std::string_view host = colon == std::string_view::npos ? address : address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return std::string(host);
}

// The extended id we receive ut_metadata messages under (BEP 10 lets each side choose).
inline constexpr std::uint8_t kOurUtMetadataId = 1;

}  // namespace l7::p2p
