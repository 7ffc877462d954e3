#pragma once
// The choker: which peers we upload to. Tit-for-tat as the course and mainline BitTorrent
// teach it (BEP 3 "Choking and optimistic unchoking"; Cohen, "Incentives Build Robustness in
// BitTorrent", 2003):
//
// - Every 10 s (a "round"), the 4 interested peers with the best rate get the regular unchoke
//   slots. As a leecher the rate is how fast they upload to us (our download rate from
//   them), so peers who give get; as a seed it is how fast we upload to them, so the pieces
//   go to whoever can take them fastest. Snubbed peers (who have sent us nothing for a
//   while) get no regular slot while we leech. Everyone else is choked.
// - Every 30 s, the optimistic unchoke moves to a random choked-and-interested peer, peers
//   connected in the last 60 s three times as likely (mainline's weighting), so newcomers
//   get a first piece to trade and we discover peers better than our current four. The
//   optimistic peer keeps its slot for the whole 30 s regardless of rate.
// - A peer that stops being interested keeps its slot until the next round, then loses it;
//   an optimistic slot freed that way (or by a peer leaving) is refilled at that round.
//
// Pure over its inputs: the peers' state and the time come in, decisions come out, with the
// reason for each (shown by --trace). Randomness is injected. Rounds fall on the first call
// and then on each 10 s boundary after it; call tick() whenever convenient (next_round()
// says when it next matters). Connections start choked (BEP 3), so only changes are
// reported: a peer unchoked before and unchoked now produces no decision.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "core/time.hpp"
#include "p2p/bitfield.hpp"

namespace l7::p2p {

struct ChokerConfig {
    std::size_t regular_slots = 4;
    Duration round_interval = std::chrono::seconds(10);
    Duration optimistic_interval = std::chrono::seconds(30);
    Duration new_peer_age = std::chrono::seconds(60);  // younger counts as new
    std::uint32_t new_peer_weight = 3;                 // a new peer's chance, relative
};

// A peer as the choker sees it at the time of a tick.
struct ChokePeer {
    PeerKey key = 0;
    bool interested = false;     // in us: it wants pieces we have
    double download_rate = 0.0;  // bytes/s it sends us
    double upload_rate = 0.0;    // bytes/s we send it
    TimePoint connected_at{};
    bool snubbed = false;
};

enum class ChokeAction { unchoke, choke };

struct ChokeDecision {
    PeerKey key = 0;
    ChokeAction action = ChokeAction::choke;
    std::string reason;  // "top-4 by download rate (1.2 MB/s, rank 2)", "no longer interested"

    friend bool operator==(const ChokeDecision&, const ChokeDecision&) = default;
};

struct ChokeRound {
    bool ran = false;      // a round was due at this tick
    bool rotated = false;  // ... and the optimistic unchoke was rotated in it
    // Chokes first (freeing slots), then unchokes; each by ascending key.
    std::vector<ChokeDecision> decisions;
};

enum class UnchokeRole { regular, optimistic };

class Choker {
  public:
    explicit Choker(ChokerConfig config = {});

    // `peers` are all connected peers (each key once); peers missing from it have left and
    // are forgotten without a decision. `seeding`: we have every piece (rank by upload rate).
    ChokeRound tick(std::span<const ChokePeer> peers, bool seeding, TimePoint now,
                    const Random& random);

    // Brings the next regular round forward to `now` (not the optimistic rotation): a peer
    // became interested while a slot is free, and should not wait up to 10 s for it.
    void round_now(TimePoint now) {
        if (next_round_ && *next_round_ > now) {
            next_round_ = now;
        }
    }

    // When the next round is due; nullopt before the first tick.
    std::optional<TimePoint> next_round() const;
    // Why a peer is unchoked; nullopt when it is choked.
    std::optional<UnchokeRole> role(PeerKey key) const;
    std::optional<PeerKey> optimistic() const { return optimistic_; }

  private:
    void run_round(std::span<const ChokePeer> peers, bool seeding, bool rotate, TimePoint now,
                   const Random& random, std::vector<ChokeDecision>& out);

    ChokerConfig config_;
    std::map<PeerKey, UnchokeRole> unchoked_;
    std::optional<PeerKey> optimistic_;
    std::optional<TimePoint> next_round_;
    std::optional<TimePoint> next_rotation_;
};

}  // namespace l7::p2p
