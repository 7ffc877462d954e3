#pragma once
// One torrent on the wire (`l7 torrent get`, `l7 torrent seed`): the driver of a
// TorrentSession (or, for a magnet link's first step, a MetadataSession) on one worker of a
// net::Runtime. It accepts peers on a listening address,
// connects to peers it is given (by a tracker or by hand), carries each connection's bytes
// to the session and the session's bytes to the connection, runs the session's tick every
// 100 ms, and stops the runtime when the download is complete (unless it is to seed on).
//
// Every wait has a deadline: connects time out after connect_timeout; the session closes
// peers that send nothing or no handshake in time; a write the peer does not take for
// write_timeout closes the connection.

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "net/runtime.hpp"
#include "p2p/metadata_session.hpp"
#include "p2p/torrent_session.hpp"

namespace l7::p2p {

struct TorrentClientOptions {
    std::optional<HostPort> listen;  // accept peers here (none: only outgoing connections)
    TorrentLimits limits;
    bool seed_when_complete = false;  // keep serving after the last piece
    // Stop the runtime when done (complete and not seeding) or when the store fails; off for
    // a client that shares its runtime (the lab's seeds).
    bool stop_runtime_when_done = true;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds write_timeout{60'000};
    // How often the session's clock runs (choking, timeouts, and requests and uploads that
    // waited for tokens). A rate-limited client's buckets must hold at least this much time
    // of their rate, or the rate is not reached.
    std::chrono::milliseconds tick{100};
    // Called on the worker thread.
    std::function<void(std::string_view line)> on_trace;    // --trace lines (peer-prefixed)
    std::function<void(std::string_view line)> on_note;     // connects, closes, errors
    std::function<void(const DownloadStats&)> on_progress;  // about once a second
    std::function<void()> on_complete;
    std::function<void(std::uint32_t piece)> on_piece;     // a piece verified and stored
    std::function<void(const std::string& why)> on_fatal;  // the store failed
    // A MetadataSession's result: the verified info dictionary (then the runtime stops).
    std::function<void(const std::string& info)> on_metadata;
};

class TorrentClient {
  public:
    TorrentClient(net::Runtime& runtime, TorrentIdentity identity, PieceStore& store, Bitfield have,
                  TorrentClientOptions options);
    // Any swarm protocol, e.g. a MetadataSession.
    TorrentClient(net::Runtime& runtime, std::unique_ptr<SwarmProtocol> session,
                  TorrentClientOptions options);
    ~TorrentClient();
    TorrentClient(const TorrentClient&) = delete;
    TorrentClient& operator=(const TorrentClient&) = delete;

    // Binds the listening address (if any) and starts the tick loop; the bound endpoint.
    // Throws net::BindError. Call before runtime.run().
    std::optional<asio::ip::tcp::endpoint> start();
    // Connects to these peers ("ADDR:PORT") unless connected, connecting or banned. Safe
    // from any thread.
    void add_peers(std::vector<std::string> addresses);
    // The session's numbers, taken on the worker thread (safe from any thread: a copy).
    DownloadStats stats() const;

  private:
    struct Connection;
    asio::awaitable<void> run_connection(std::shared_ptr<Connection> c, net::Task& task);
    asio::awaitable<void> write_loop(std::shared_ptr<Connection> c, net::Task& task);
    asio::awaitable<void> connect_peer(std::string address, net::Task& task);
    // A connection a listener accepted, on whichever worker: moved to worker 0.
    asio::awaitable<void> accepted(asio::ip::tcp::socket sock, net::Task& task);
    // An accepted connection, on worker 0 (where everything touching the session runs).
    asio::awaitable<void> accept_peer(asio::ip::tcp::socket sock, net::Task& task);
    asio::awaitable<void> tick_loop(net::Task& task);
    void dispatch();
    void stop_when_done();
    void schedule_redial(const std::string& address, bool lasted);

    net::Runtime& runtime_;
    asio::io_context& io_;
    TorrentClientOptions options_;
    std::unique_ptr<SwarmProtocol> session_;
    std::map<PeerKey, std::shared_ptr<Connection>> connections_;
    std::set<std::string> dialing_;  // addresses being connected or connected (outgoing)
    // When an address may be dialled again after a connection to it failed or ended, and
    // the wait that set it (doubled on each failure in a row).
    struct Redial {
        Clock::time_point after{};
        Clock::duration wait{};
    };
    std::map<std::string, Redial> redial_;
    mutable std::mutex stats_mutex_;
    DownloadStats stats_;
    bool stopping_ = false;
};

// "-L7" + version digits + "-" + 12 random characters (the Azureus-style peer id clients
// recognise, BEP 20).
PeerId make_peer_id();

}  // namespace l7::p2p
