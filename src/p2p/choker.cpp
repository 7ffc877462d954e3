#include "p2p/choker.hpp"

#include <algorithm>

#include "p2p/rate.hpp"

namespace l7::p2p {
namespace {

// Moves `next` to the first multiple of `interval` after `now`, keeping its phase (a late
// tick does not shift the schedule). Arithmetic, not a loop: a long pause costs nothing.
TimePoint advance(TimePoint next, Duration interval, TimePoint now) {
    if (next > now) {
        return next;
    }
    const auto behind = std::chrono::duration_cast<Duration>(now - next);
    const auto steps = behind / interval + 1;
    return next + std::chrono::duration_cast<Clock::duration>(steps * interval);
}

Duration at_least_1ms(Duration d) {
    return std::max<Duration>(d, std::chrono::milliseconds(1));
}

}  // namespace

Choker::Choker(ChokerConfig config) : config_(config) {
    config_.round_interval = at_least_1ms(config_.round_interval);
    config_.optimistic_interval = at_least_1ms(config_.optimistic_interval);
    config_.new_peer_weight = std::max<std::uint32_t>(config_.new_peer_weight, 1);
}

std::optional<TimePoint> Choker::next_round() const {
    if (!next_round_) {
        return std::nullopt;
    }
    return std::min(*next_round_, *next_rotation_);
}

std::optional<UnchokeRole> Choker::role(PeerKey key) const {
    const auto it = unchoked_.find(key);
    if (it == unchoked_.end()) {
        return std::nullopt;
    }
    return it->second;
}

ChokeRound Choker::tick(std::span<const ChokePeer> peers, bool seeding, TimePoint now,
                        const Random& random) {
    // Peers that left are forgotten: their slots are free for the next round.
    std::erase_if(unchoked_, [&](const auto& entry) {
        return std::none_of(peers.begin(), peers.end(),
                            [&](const ChokePeer& p) { return p.key == entry.first; });
    });
    if (optimistic_ && !unchoked_.contains(*optimistic_)) {
        optimistic_.reset();
    }

    ChokeRound out;
    const bool first = !next_round_;
    const bool round_due = first || now >= *next_round_;
    const bool rotation_due = first || now >= *next_rotation_;
    if (!round_due && !rotation_due) {
        return out;
    }
    out.ran = true;
    out.rotated = rotation_due;
    run_round(peers, seeding, rotation_due, now, random, out.decisions);
    if (first) {
        next_round_ = now + config_.round_interval;
        next_rotation_ = now + config_.optimistic_interval;
    } else {
        next_round_ = advance(*next_round_, config_.round_interval, now);
        next_rotation_ = advance(*next_rotation_, config_.optimistic_interval, now);
    }
    return out;
}

void Choker::run_round(std::span<const ChokePeer> peers, bool seeding, bool rotate, TimePoint now,
                       const Random& random, std::vector<ChokeDecision>& out) {
    std::map<PeerKey, const ChokePeer*> by_key;
    for (const auto& p : peers) {
        by_key[p.key] = &p;
    }
    const auto before = unchoked_;
    const std::optional<PeerKey> old_optimistic = optimistic_;
    auto rate_of = [&](const ChokePeer& p) { return seeding ? p.upload_rate : p.download_rate; };

    // The optimistic peer keeps its slot until rotation, unless it lost interest.
    std::optional<PeerKey> opt = rotate ? std::nullopt : optimistic_;
    if (opt && !by_key.at(*opt)->interested) {
        opt.reset();
    }

    // Regular slots: interested peers by rate. Ties go to a peer already unchoked (no churn
    // between equals), then to the lower key, so the outcome never depends on input order.
    std::vector<const ChokePeer*> ranked;
    for (const auto& [key, p] : by_key) {
        if (p->interested && (seeding || !p->snubbed) && key != opt) {
            ranked.push_back(p);
        }
    }
    std::stable_sort(ranked.begin(), ranked.end(), [&](const ChokePeer* a, const ChokePeer* b) {
        if (rate_of(*a) != rate_of(*b)) {
            return rate_of(*a) > rate_of(*b);
        }
        return before.contains(a->key) && !before.contains(b->key);
    });
    if (ranked.size() > config_.regular_slots) {
        ranked.resize(config_.regular_slots);
    }
    std::map<PeerKey, std::size_t> rank;  // 1-based
    for (std::size_t i = 0; i < ranked.size(); ++i) {
        rank[ranked[i]->key] = i + 1;
    }

    // The optimistic slot, when empty: a weighted draw among the choked and interested. On
    // rotation the slot moves, so the previous holder is drawn only if no one else can be.
    auto is_new = [&](const ChokePeer& p) { return now - p.connected_at < config_.new_peer_age; };
    if (!opt) {
        std::vector<const ChokePeer*> pool;
        const ChokePeer* previous = nullptr;
        for (const auto& [key, p] : by_key) {
            if (!p->interested || rank.contains(key)) {
                continue;
            }
            if (rotate && key == old_optimistic) {
                previous = p;
                continue;
            }
            pool.push_back(p);
        }
        if (pool.empty() && previous != nullptr) {
            pool.push_back(previous);
        }
        std::uint64_t total = 0;
        for (const auto* p : pool) {
            total += is_new(*p) ? config_.new_peer_weight : 1;
        }
        if (total > 0) {
            auto r = random_below(random, static_cast<std::uint32_t>(total));
            for (const auto* p : pool) {
                const std::uint32_t w = is_new(*p) ? config_.new_peer_weight : 1;
                if (r < w) {
                    opt = p->key;
                    break;
                }
                r -= w;
            }
        }
    }

    unchoked_.clear();
    for (const auto& [key, r] : rank) {
        unchoked_[key] = UnchokeRole::regular;
    }
    if (opt) {
        unchoked_[*opt] = UnchokeRole::optimistic;
    }
    optimistic_ = opt;

    const std::string slots = std::to_string(config_.regular_slots);
    const std::string rate_name = seeding ? "upload rate" : "download rate";
    for (const auto& [key, was] : before) {
        if (unchoked_.contains(key)) {
            continue;
        }
        const ChokePeer& p = *by_key.at(key);
        std::string reason;
        if (!p.interested) {
            reason = "no longer interested";
        } else if (!seeding && p.snubbed) {
            reason = "snubbed (sends us nothing), no regular slot";
        } else {
            reason = was == UnchokeRole::optimistic ? "optimistic unchoke rotated, " : "";
            reason += "not among the top " + slots + " (" + format_rate(rate_of(p)) + ")";
        }
        out.push_back({key, ChokeAction::choke, std::move(reason)});
    }
    for (const auto& [key, role] : unchoked_) {
        if (before.contains(key)) {
            continue;
        }
        const ChokePeer& p = *by_key.at(key);
        std::string reason;
        if (role == UnchokeRole::regular) {
            reason = "top-" + slots + " by " + rate_name + " (" + format_rate(rate_of(p)) +
                     ", rank " + std::to_string(rank.at(key)) + ")";
        } else if (is_new(p) && config_.new_peer_weight > 1) {
            reason = "optimistic unchoke (new peer, " + std::to_string(config_.new_peer_weight) +
                     "x weight)";
        } else {
            reason = "optimistic unchoke";
        }
        out.push_back({key, ChokeAction::unchoke, std::move(reason)});
    }
}

}  // namespace l7::p2p
