#pragma once
// The client side of trackers: announces a torrent to its trackers (HTTP, BEP 3 with compact
// lists BEP 23; UDP, BEP 15) with "started" first, "completed" once the download is done,
// again every interval the tracker asks for, and "stopped" at the end; hands the peers it
// learns to the caller.
//
// Announces are rare and a tracker may be slow, so they run on a thread of their own with
// blocking exchanges (each with a deadline), never on the thread that moves pieces.
// Trackers are tried in the torrent's order (BEP 12 tiers flattened); the first that
// answers is used until it fails.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "p2p/torrent_session.hpp"
#include "p2p/tracker_http.hpp"

namespace l7::p2p {

struct AnnouncerOptions {
    std::vector<std::string> trackers;  // announce URLs: http://... or udp://host:port
    InfoHash info_hash{};
    PeerId peer_id{};
    std::uint16_t port = 0;  // where we accept peers
    // Announce from this IP address (where we accept peers): a tracker registers the address
    // an announce comes from, and lab hosts each have their own loopback address.
    std::string local_address;
    std::uint32_t numwant = 50;
    // Announce at least this often, whatever the tracker's interval (0: as it says).
    std::chrono::nanoseconds min_interval{0};
    std::chrono::milliseconds timeout{10'000};  // one HTTP exchange or UDP attempt
    // Called on the announcer's thread.
    std::function<DownloadStats()> stats;
    std::function<void(std::vector<std::string> peers)> on_peers;  // "ADDR:PORT"
    std::function<void(std::string_view line)> on_note;
};

// One announce's outcome.
struct AnnounceOutcome {
    bool ok = false;
    std::string error;  // a failure reason, or why the tracker could not be reached
    std::uint32_t interval = 0;
    std::vector<std::string> peers;
    std::optional<std::uint32_t> seeders, leechers;
};

// A single announce to one tracker URL, blocking (used by the Announcer and by tests).
AnnounceOutcome announce_once(const std::string& tracker, const AnnounceRequest& request,
                              std::chrono::milliseconds timeout,
                              const std::string& local_address = {});

class Announcer {
  public:
    explicit Announcer(AnnouncerOptions options);
    ~Announcer();
    Announcer(const Announcer&) = delete;
    Announcer& operator=(const Announcer&) = delete;

    void start();
    // Joins the thread, then sends "stopped" (one short try: the process is ending).
    void stop();

  private:
    void run();
    bool complete() const;  // nothing left to download
    AnnounceOutcome announce(AnnounceEvent event, std::chrono::milliseconds timeout);

    AnnouncerOptions options_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::size_t current_ = 0;  // the tracker in use
    std::optional<std::string> tracker_id_;
    bool complete_at_start_ = false;
    bool completed_sent_ = false;
};

}  // namespace l7::p2p
